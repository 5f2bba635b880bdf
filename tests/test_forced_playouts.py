"""KataGo's forced playouts at the root of a self-play search, and the policy target pruning
that takes them back out of the training target."""
from __future__ import annotations

import math

import numpy as np

from goengine.game import GameState
from goengine.search import MCTS, MCTSConfig, RolloutEvaluator
from goengine.search.mcts import SearchResult, policy_target


def _search(forced: float, seed: int = 0, sims: int = 400):
    config = MCTSConfig.selfplay(num_simulations=sims, forced_playouts=forced, leaves_per_batch=1)
    game = GameState(7)
    return MCTS(RolloutEvaluator(rng=seed), config, rng=seed).search(game), config


def test_every_visited_root_child_gets_its_forced_playouts():
    for seed in range(3):
        result, _ = _search(2.0, seed)
        total = result.visits.sum()
        visited = np.flatnonzero(result.visits)
        forced = np.sqrt(2.0 * result.prior[visited] * total)
        # each reached its forced count as it stood when last chosen (N grew by at most one
        # visit per forced child after it)
        assert np.all(result.visits[visited] >= np.floor(forced) - 1), seed
        plain, _ = _search(0.0, seed)
        assert np.count_nonzero(result.visits >= 3) > np.count_nonzero(plain.visits >= 3)


def test_pruning_takes_the_forced_visits_back_and_keeps_the_best_move():
    result, config = _search(2.0)
    target = policy_target(result, config)
    assert abs(target.sum() - 1) < 1e-9
    best = int(np.argmax(result.visits))
    assert int(np.argmax(target)) == best
    assert target[best] > result.pi[best]  # the best keeps its visits; the others lose some
    kept = target * result.visits[best] / target[best]  # back in visits
    assert np.all(kept <= result.visits + 1e-9) and kept.sum() < result.visits.sum()
    assert np.count_nonzero(target) < np.count_nonzero(result.visits)
    assert not np.any((kept > 1e-9) & (kept <= 1.0))  # no child left with one visit or less
    plain = MCTSConfig.selfplay(num_simulations=400)
    np.testing.assert_array_equal(policy_target(result, plain), result.pi)


def _result(visits, q, prior):
    visits = np.asarray(visits)
    return SearchResult(size=1, to_play=1, root_value=0.0, simulations=int(visits.sum()), visits=visits,
                        prior=np.asarray(prior, float), q=np.asarray(q, float), moves=[], elapsed=0.0, nodes=0)


def test_pruning_arithmetic_on_a_hand_made_root():
    # child 0 is best (80 visits, Q 0.5); child 1 had 15 visits at Q 0.0 with prior 0.1
    config = MCTSConfig(c_puct=1.0, forced_playouts=2.0)
    total = 100
    r = _result([80, 15, 5], [0.5, 0.0, 0.6], [0.5, 0.1, 0.4])
    target = policy_target(r, config)
    bar = 0.5 + 1.0 * 0.5 * math.sqrt(total) / 81
    fewest = math.ceil(1.0 * 0.1 * math.sqrt(total) / (bar - 0.0) - 1)
    kept1 = max(15 - math.sqrt(2 * 0.1 * total), fewest)
    # child 2's Q is above the best's PUCT score: its visits stay
    expected = np.array([80, kept1, 5], float)
    np.testing.assert_allclose(target, expected / expected.sum())


def test_the_opening_sample_is_drawn_from_the_pruned_visits():
    """A move kept alive by forced playouts alone is never sampled in the opening."""
    result, config = _search(2.0)
    target = policy_target(result, config)
    pruned = np.flatnonzero((result.visits > 0) & (target == 0))
    assert pruned.size
    mcts = MCTS(RolloutEvaluator(rng=0), config, rng=5)
    game = GameState(7)
    chosen = {mcts.choose(result, game) for _ in range(300)}
    assert not chosen & set(pruned.tolist())
    assert len(chosen) > 1


def test_a_pass_is_sampled_in_the_opening_only_when_it_is_the_best_move():
    result, config = _search(0.0, sims=200)
    n = 49
    result.visits[n] = 5  # a pass with a few visits, not the most
    assert result.best != n
    mcts = MCTS(RolloutEvaluator(rng=0), config, rng=1)
    assert n not in {mcts.choose(result, GameState(7)) for _ in range(400)}


def test_selfplay_never_passes_into_a_loss_the_opponent_would_end():
    from goengine.search.mcts import losing_pass
    game = GameState(7)
    game.play(24)  # Black's one stone owns the whole board: White's pass loses at once
    assert losing_pass(game)
    result, config = _search(0.0, sims=50)
    result.visits[:] = 0
    result.visits[49] = 30  # the pass most visited...
    result.visits[10] = 5   # ...and one other move
    from goengine.search.mcts import MoveInfo
    result.moves = [MoveInfo(49, 30, 0.0, 0.1), MoveInfo(10, 5, 0.0, 0.1)]
    mcts = MCTS(RolloutEvaluator(rng=0), config.replace(temperature_moves=0), rng=0)
    assert mcts.choose(result, game) == 10
    plain = MCTS(RolloutEvaluator(rng=0), MCTSConfig(), rng=0)  # play: passing is allowed
    assert plain.choose(result, game) == 49
    game.pass_move()  # White passes: Black's pass would end the game, a terminal the search sees
    assert not losing_pass(game)
