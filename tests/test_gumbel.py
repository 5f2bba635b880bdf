"""Gumbel AlphaZero's root search: the sequential-halving schedule, the completed-Q policy
target, and self-play with it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from goengine.game import GameState
from goengine.search import MCTS, MCTSConfig, RolloutEvaluator
from goengine.search.gumbel import GumbelConfig, completed_q_policy, gumbel_search_games, halving_plan


def test_halving_plan_spends_the_budget_in_log2_phases():
    assert halving_plan(4, 32) == [4, 8]          # 4 moves x 4, then 2 moves x 8
    assert halving_plan(16, 64) == [1, 2, 4, 8]   # 16x1 + 8x2 + 4x4 + 2x8 = 64
    assert halving_plan(16, 8) == [1, 1, 1, 1]    # at least one visit each
    assert halving_plan(1, 10) == [10]


def test_each_phase_visits_the_moves_still_in():
    config = MCTSConfig(num_simulations=33, leaves_per_batch=1)
    mcts = MCTS(RolloutEvaluator(rng=3), config, rng=0)
    game = GameState(5)
    (found,) = gumbel_search_games([mcts], [game], 33, np.random.default_rng(0), GumbelConfig(considered=4))
    visits = np.sort(found.result.visits[found.result.visits > 0])
    # one simulation expands the root; 16 in phase 1 (4 x 4), the 16 left in phase 2 (2 x 8)
    np.testing.assert_array_equal(visits, [4, 4, 12, 12])
    assert found.result.visits[found.action] == 12
    assert abs(found.target.sum() - 1) < 1e-9 and np.all(found.target >= 0)


def test_the_completed_q_policy_moves_mass_to_the_better_moves():
    logits = np.log(np.array([0.4, 0.3, 0.2, 0.1]))
    visits = np.array([10, 0, 5, 0])
    q = np.array([-0.5, 0.0, 0.8, 0.0])
    policy, completed = completed_q_policy(logits, visits, q, value=0.1, config=GumbelConfig())
    prior = np.exp(logits)
    assert policy[2] > prior[2] and policy[0] < prior[0]  # the good move gains, the bad loses
    # unvisited moves get v_mix = (v + N * sum_visited pi q / sum_visited pi) / (1 + N)
    weighted = (0.4 * -0.5 + 0.2 * 0.8) / 0.6
    v_mix = (0.1 + 15 * weighted) / 16
    np.testing.assert_allclose(completed, [-0.5, v_mix, 0.8, v_mix])
    # the two unvisited moves keep the prior's ratio
    assert policy[1] / policy[3] == pytest.approx(3.0)


def test_selfplay_with_gumbel_plays_games_and_records_its_targets():
    from goengine.models import PolicyValueEvaluator, ZeroNet, zero_config
    from selfplay.worker import SelfPlayConfig, SelfPlayWorker, selfplay_search
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = ZeroNet(zero_config("tiny-pooled")).eval()
    cfg = SelfPlayConfig(parallel_games=4, gumbel=GumbelConfig(considered=8), max_moves=30,
                         search=selfplay_search(num_simulations=8, leaves_per_batch=2))
    assert cfg.mcts_config().dirichlet_epsilon == 0  # the Gumbel draw explores instead
    worker = SelfPlayWorker(PolicyValueEvaluator(net), cfg, rng=0)
    games = list(worker.play(4))
    assert len(games) == 4
    for g in games:
        pis = np.array(g.samples.pi)
        np.testing.assert_allclose(pis.sum(1), 1.0, atol=1e-5)
        # completed-Q targets give every legal move some mass, not only the visited ones
        assert (pis > 0).sum(1).mean() > 8
    assert SelfPlayConfig.from_json(dataclasses.asdict(cfg)) == cfg
