"""AlphaGo Lee's model pieces: the rollout net (trained weights exported to the C sampler),
the Lee evaluator in a Lee-mode search, the raw-policy and Zero agents."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.agents import PolicyAgent, policy_agent, zero_agent  # noqa: E402
from goengine.features import NUM_ROLLOUT_FEATURES, FastRolloutPolicy, move_features  # noqa: E402
from goengine.game import GameState  # noqa: E402
from goengine.models import (  # noqa: E402
    LeeEvaluator, PolicyNet, PolicyNetConfig, RolloutNet, RolloutNetConfig, ValueNet, ValueNetConfig,
    ZeroNet, load, save, zero_config,
)
from goengine.search import MCTS, MCTSConfig  # noqa: E402

torch.set_num_threads(1)


def _positions(n, rng):
    out = []
    for _ in range(n):
        g = GameState(9)
        for _ in range(int(rng.integers(2, 30))):
            legal = np.flatnonzero(g.legal_mask()[:81])
            g.play(int(rng.choice(legal)))
        out.append(g)
    return out


def test_rollout_net_learns_a_teacher_and_exports_to_the_sampler(tmp_path):
    rng = np.random.default_rng(0)
    teacher = rng.normal(0, 2, NUM_ROLLOUT_FEATURES).astype(np.float32)
    data = []
    for g in _positions(60, rng):
        actions, offsets, indices = move_features(g, prev=g.history[-1][1], prev2=g.history[-2][1])
        logits = np.array([teacher[indices[offsets[i]:offsets[i + 1]]].sum() for i in range(len(actions))])
        data.append((offsets, indices, int(np.argmax(logits))))
    net = RolloutNet(RolloutNetConfig(num_features=NUM_ROLLOUT_FEATURES))
    opt = torch.optim.Adam(net.parameters(), lr=0.1)

    def epoch_loss(train):
        total = 0.0
        for offsets, indices, target in data:
            logits = net(torch.from_numpy(indices), torch.from_numpy(offsets[:-1]))
            loss = RolloutNet.loss(logits, torch.zeros(len(logits), dtype=torch.long), torch.tensor([target]), 1)
            if train:
                opt.zero_grad()
                loss.backward()
                opt.step()
            total += loss.item()
        return total / len(data)

    first = epoch_loss(False)
    for _ in range(15):
        epoch_loss(True)
    assert epoch_loss(False) < 0.3 * first
    save(net, tmp_path / "rollout.pt")
    again = load(tmp_path / "rollout.pt", kind="rollout")
    policy = FastRolloutPolicy(again.export())
    board = GameState(9).board.copy()
    moves = policy.rollout(board, 1, rng=0)
    assert moves > 10


def test_lee_evaluator_drives_a_lee_mode_search_with_the_fast_rollout_policy():
    policy = PolicyNet(PolicyNetConfig(layers=2, filters=8))
    value = ValueNet(ValueNetConfig(layers=2, filters=8, hidden=16))
    ev = LeeEvaluator(policy, value, rng=0)
    game = GameState(9)
    for a in (40, 41, 31):
        game.play(a)
    config = MCTSConfig.lee(num_simulations=200, expansion_threshold=4, leaves_per_batch=4)
    mcts = MCTS(ev, config, rng=0, rollout_policy=FastRolloutPolicy(np.zeros(NUM_ROLLOUT_FEATURES, np.float32)))
    result = mcts.search(game)
    assert result.simulations >= 200
    assert mcts.tree.virtual_loss_total() == 0
    assert np.all(game.legal_mask()[result.visits > 0] == 1)
    assert ev.positions < 200  # delayed expansion: fewer network calls than simulations


def test_policy_agent_plays_legal_moves_and_its_best_move(tmp_path):
    torch.manual_seed(0)
    save(ZeroNet(zero_config("tiny")), tmp_path / "z.pt")
    agent = policy_agent(str(tmp_path / "z.pt"))
    game = GameState(9)
    for _ in range(20):
        if game.is_over():
            break
        p = agent.policy(game)
        assert p.sum() == pytest.approx(1.0)
        assert np.all(p[game.legal_mask() == 0] == 0)
        action = agent.select_move(game)
        assert action == int(np.argmax(p))
        game.play(action)
    fresh = GameState(9)
    sampler = PolicyAgent(agent.evaluator, sample=True, rng=1)
    assert fresh.is_legal(sampler.select_move(fresh))
    fresh.play(81)
    fresh.play(81)
    with pytest.raises(ValueError, match="over"):
        agent.policy(fresh)


def test_zero_agent_searches_with_a_checkpoint(tmp_path):
    save(ZeroNet(zero_config("tiny")), tmp_path / "z.pt")
    agent = zero_agent(str(tmp_path / "z.pt"), simulations=32, rng=0)
    game = GameState(9)
    action = agent.select_move(game)
    assert game.is_legal(action)
    assert agent.last_result.simulations >= 32
    assert agent.board_sizes == (9,)
