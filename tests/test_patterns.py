"""The fast policy: pattern codes kept incrementally (checked against a recompute), feature
indices and softmax against the Python reference, the C sampler's distribution, rollouts
in the search, the weight API, the tree policy."""
from __future__ import annotations

import numpy as np
import pytest
from goengine._board import Board

from goengine import diagram
from goengine.coords import BLACK, WHITE, from_gtp

# the Cython modules are not optional: a missing build fails here, loudly (conftest.py)
from goengine.features import _patterns, _rollout
from goengine.features import patterns_ref as ref
from goengine.game import GameState

T = ref.T


def random_weights(seed: int, scale: float = 0.8, n: int = ref.NUM_TREE_FEATURES) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, n).astype(np.float32)


def board_from(text: str) -> Board:
    return diagram.board_from(text, Board)


def walk(policy, size: int, seed: int, moves: int | None = None):
    """States along a game sampled by the policy itself: (state, colour to move) after each move."""
    rng = np.random.default_rng(seed)
    state = policy.state(Board(size), BLACK)
    color = BLACK
    for _ in range(moves if moves is not None else int(size * size * 1.4)):
        action = state.sample(color, rng)
        state.play(action, color)
        color = 3 - color
        yield state, color


# ----------------------------------------------------------------------------- index space
def test_index_space_constants_agree():
    off = _patterns.OFFSETS
    assert off == {"nr3": ref.F_NR3, "response_pattern": ref.F_RESP, "response": ref.F_RESPONSE,
                   "save_atari": ref.F_SAVE_ATARI, "neighbour": ref.F_NEIGHBOUR,
                   "self_atari": ref.F_SELF_ATARI, "dist_prev": ref.F_DIST_PREV,
                   "dist_prev2": ref.F_DIST_PREV2, "nr12": ref.F_NR12}
    assert _patterns.ROLLOUT_FEATURES == ref.NUM_ROLLOUT_FEATURES == 2 * T + 10
    assert _patterns.TREE_FEATURES == ref.NUM_TREE_FEATURES == 3 * T + 45
    assert _patterns.SALTS == {"nr3": ref.SALT_NR3, "response_pattern": ref.SALT_RESP, "nr12": ref.SALT_NR12}
    assert list(_patterns.DIAMOND) == ref.DIAMOND


# ----------------------------------------------------------------------------- incremental codes
@pytest.mark.parametrize("size", [9, 13, 19])
def test_incremental_codes_and_weights_match_recompute(size):
    policy = _rollout.FastRolloutPolicy(random_weights(size))
    checked = captures = 0
    for step, (state, color) in enumerate(walk(policy, size, seed=size)):
        if step % 3 == 0 or size == 9:
            assert state.check() == 0, f"incremental state differs from a recompute at move {step}"
            checked += 1
        board = state.board
        captures = sum(board.captures)
    assert checked > 30 and captures > 5


def test_codes_read_the_neighbours():
    board = board_from("""
    . . . . .
    . X O . .
    . O . . .
    . . . . .
    . . . . .
    """)
    state = _rollout.FastRolloutPolicy().state(board, BLACK)
    codes = state.codes()
    # C3 (centre): N = C4 white (3 liberties), W = B3 white (3), NW = B4 black (2), rest empty
    code = int(codes[from_gtp("C3", 5)])
    assert code & 0xF == (WHITE << 2 | 3)
    assert (code >> 8) & 0xF == (WHITE << 2 | 3)
    assert (code >> 16) & 0xF == (BLACK << 2 | 2)
    assert code >> 20 == 0 and (code >> 4) & 0xF == 0 and (code >> 12) & 0xF == 0
    # A5 (corner): N, W, NW, NE, SW off the board
    code = int(codes[from_gtp("A5", 5)])
    for d in (0, 2, 4, 5, 6):
        assert (code >> (4 * d)) & 0xF == ref.NIB_EDGE
    assert ref.code_3x3(board, from_gtp("C3", 5), BLACK) == int(codes[from_gtp("C3", 5)])
    # relative to white, the colours swap
    rel = ref.code_3x3(board, from_gtp("C3", 5), WHITE)
    assert rel & 0xF == (BLACK << 2 | 3) and (rel >> 16) & 0xF == (WHITE << 2 | 2)


# ----------------------------------------------------------------------------- against the reference
def test_feature_indices_and_probabilities_equal_reference():
    w = random_weights(1)
    policy = _rollout.FastRolloutPolicy(w)
    tree = _rollout.TreePolicy(w)
    positions = moves_checked = 0
    for size, seed in ((9, 1), (7, 2), (13, 3)):
        for step, (state, color) in enumerate(walk(policy, size, seed)):
            if step % 6:
                continue
            board = state.board
            prev, prev2 = state.last_moves
            np.testing.assert_allclose(state.probabilities(color),
                                       ref.probabilities_ref(board, color, w[:ref.NUM_ROLLOUT_FEATURES], prev, prev2),
                                       rtol=1e-5, atol=1e-9)
            actions, offsets, indices = _rollout.move_features(board, color, prev, prev2, tree=True)
            for i, a in enumerate(actions):
                expected = ref.feature_indices_ref(board, color, int(a), prev, prev2, tree=True)
                assert list(indices[offsets[i]:offsets[i + 1]]) == expected
                moves_checked += 1
            np.testing.assert_allclose(tree.priors(board, color, prev, prev2),
                                       ref.probabilities_ref(board, color, w, prev, prev2, tree=True),
                                       rtol=1e-4, atol=1e-7)
            positions += 1
    assert positions > 40 and moves_checked > 1000


def test_feature_indices_api_from_game():
    game = GameState(9)
    for m in ("E5", "D5", "E4"):
        game.play(from_gtp(m, 9))
    a = from_gtp("E3", 9)   # white's reply below E4: neighbour S of the previous move
    got = _rollout.feature_indices(game, a)
    expected = ref.feature_indices_ref(game.board, WHITE, a, from_gtp("E4", 9), from_gtp("D5", 9))
    assert list(got) == expected
    assert ref.F_RESPONSE in got and ref.F_NEIGHBOUR + 1 in got
    tree = _rollout.feature_indices(game, a, tree=True)
    assert ref.F_DIST_PREV + 0 in tree and ref.F_DIST_PREV2 + 2 in tree   # |E3-E4| = 1, |E3-D5| = 3
    with pytest.raises(ValueError):
        _rollout.feature_indices(game, from_gtp("E5", 9))
    with pytest.raises(ValueError):
        _rollout.feature_indices(game.board, a)     # a Board needs a colour


# ----------------------------------------------------------------------------- hand-made features
def features(text: str, color: int, move: str, prev: str | None = None, prev2: str | None = None,
             tree: bool = False) -> list[int]:
    board = board_from(text)
    n = board.size
    p1 = from_gtp(prev, n) if prev else -1
    p2 = from_gtp(prev2, n) if prev2 else -1
    got = list(_rollout.feature_indices(board, from_gtp(move, n), color, p1, p2, tree=tree))
    assert got == ref.feature_indices_ref(board, color, from_gtp(move, n), p1, p2, tree)
    return got


SAVE = """
. . . . . . .
. . . . . . .
. . O . . . .
. O X O . . .
. . . . . . .
. . . . . . .
. . . . . . .
"""


def test_save_atari_by_extension_not_into_self_atari():
    assert ref.F_SAVE_ATARI in features(SAVE, BLACK, "C3")
    # extending into a dead end is no save: C3 is then a self-atari
    dead = """
    . . . . . . .
    . . . . . . .
    . . O . . . .
    . O X O . . .
    . O . O . . .
    . . . . . . .
    . . . . . . .
    """
    got = features(dead, BLACK, "C3", tree=True)
    assert ref.F_SAVE_ATARI not in got and ref.F_SELF_ATARI in got
    assert ref.F_SELF_ATARI not in features(SAVE, BLACK, "C3", tree=True)


def test_save_atari_by_capture():
    # black C4 is in atari (liberty C3); so is the white D4 beside it (liberty E4):
    # capturing on E4 saves C4, and so does extending on C3 (it joins D3)
    text = """
    . . . . . . .
    . . . . . . .
    . . O X . . .
    . O X O . . .
    . . . X . . .
    . . . . . . .
    . . . . . . .
    """
    board = board_from(text)
    assert board.liberties(from_gtp("C4", 7)) == 1 and board.liberties(from_gtp("D4", 7)) == 1
    assert ref.F_SAVE_ATARI in features(text, BLACK, "E4")
    assert ref.F_SAVE_ATARI in features(text, BLACK, "C3")
    assert ref.F_SAVE_ATARI not in features(text, BLACK, "A1")
    # for white, C3 captures C4 but saves nothing of its own in atari... D4 is in atari and
    # capturing C4 frees D4's neighbour: a save by capture
    assert ref.F_SAVE_ATARI in features(text, WHITE, "C3")
    # the sampler, from its atari lists, marks the same points
    policy = _rollout.FastRolloutPolicy(np.where(np.arange(ref.NUM_ROLLOUT_FEATURES) == ref.F_SAVE_ATARI,
                                                 3.0, 0.0).astype(np.float32))
    p = policy.probabilities(board, BLACK)
    boosted = {a for a in range(49) if p[a] > 2 * np.median(p[p > 0])}
    assert boosted == {from_gtp("E4", 7), from_gtp("C3", 7)}


def test_response_neighbour_and_distance_features():
    empty = "\n".join([". " * 9] * 9)
    got = features(empty, BLACK, "F6", prev="E5", prev2="A1", tree=True)
    assert ref.F_RESPONSE in got and ref.F_NEIGHBOUR + 5 in got      # NE of the previous move
    assert ref.F_DIST_PREV + 1 in got and ref.F_DIST_PREV2 + 9 in got
    far = features(empty, BLACK, "J9", prev="E5", tree=True)
    assert ref.F_RESPONSE not in far and all(not ref.F_NEIGHBOUR <= i < ref.F_NEIGHBOUR + 8 for i in far)
    two_away = features(empty, BLACK, "E7", prev="E5")
    assert ref.F_RESPONSE in two_away and all(not ref.F_NEIGHBOUR <= i < ref.F_NEIGHBOUR + 8 for i in two_away)
    assert ref.F_DIST_PREV + 15 in features(empty, BLACK, "A1", prev="J9", tree=True)   # 16 away


def test_candidates_exclude_eyes_suicide_and_ko():
    board = board_from("""
    . . . . . .
    . X O . . .
    X . X O . .
    . X O . . .
    X . . . . .
    . X . . . .
    """)
    board.play(from_gtp("B4", 6), WHITE)          # white captures C4: a ko for black
    assert board.ko == from_gtp("C4", 6)
    policy = _rollout.FastRolloutPolicy(random_weights(3))
    for color in (BLACK, WHITE):
        p = policy.probabilities(board, color)
        for a in range(36):
            allowed = board.is_legal(a, color) and not board.is_eye(a, color)
            assert (p[a] > 0) == allowed, (color, a)
        assert p[-1] == 0 and abs(p.sum() - 1) < 1e-9
    p = policy.probabilities(board, BLACK)
    assert p[from_gtp("C4", 6)] == 0 and p[from_gtp("A1", 6)] == 0      # ko, own eye
    assert policy.probabilities(board, WHITE)[from_gtp("A1", 6)] == 0   # suicide


def test_pass_when_no_candidate():
    board = Board(2)
    board.play(0, BLACK)
    board.play(3, BLACK)
    policy = _rollout.FastRolloutPolicy()
    # white may not play: both points are suicide; black's are its own eyes
    for color in (BLACK, WHITE):
        p = policy.probabilities(board, color)
        assert p[-1] == 1.0 and p[:-1].sum() == 0
        assert policy.sample(board, color) == 4
    copy = board.copy()
    assert policy.rollout(copy, WHITE, rng=1) == 2
    assert copy.stones().tolist() == board.stones().tolist()


# ----------------------------------------------------------------------------- sampling
def test_sampler_draws_from_its_distribution():
    w = random_weights(4, scale=1.0)
    policy = _rollout.FastRolloutPolicy(w)
    for state, color in walk(policy, 9, seed=4, moves=30):
        pass
    p = state.probabilities(color)
    draws = state.sample_many(color, 40000, rng=7)
    freq = np.bincount(draws, minlength=82) / len(draws)
    assert np.all(freq[p == 0] == 0)
    # every frequency within 5 standard errors (binomial) of its probability
    se = np.sqrt(p * (1 - p) / len(draws)) + 1e-12
    assert np.all(np.abs(freq - p) <= 5 * se + 1e-4)
    assert p.max() > 3 * np.median(p[p > 0]), "weights should make the distribution uneven"


def test_rollouts_are_seeded_and_end_properly():
    policy = _rollout.FastRolloutPolicy(random_weights(5))
    results = []
    for _ in range(2):
        board = Board(9)
        n = policy.rollout(board, BLACK, rng=42)
        results.append((n, board.stones().tolist()))
    assert results[0] == results[1]
    n, stones = results[0]
    assert 40 < n <= 243
    board = Board(9)
    for a, c in enumerate(stones):
        if c:
            assert board.play(a, c) == 0    # a legal position: no chain without a liberty
    capped = Board(9)
    assert policy.rollout(capped, BLACK, rng=1, max_moves=10) == 10
    assert _rollout.rollouts_probe(policy, 9, 20, 0) > 20 * 40


def test_rollout_policy_plugs_into_the_search():
    from goengine.search import (
        LeafBatch,
        MCTSConfig,
        RolloutEvaluator,
        Tree,
        search_many,
    )
    policy = _rollout.FastRolloutPolicy(random_weights(6))
    game = GameState(9)
    for m in ("E5", "C3", "G7"):
        game.play(from_gtp(m, 9))
    evaluator = RolloutEvaluator(rollouts=4, rng=0, policy=policy)
    priors, values = evaluator.evaluate(LeafBatch.from_states([game, game]))
    assert priors.shape == (2, 82) and np.all(np.abs(values) <= 1)
    tree = Tree(9, MCTSConfig.lee(mix_lambda=1.0), rng=0, rollout_policy=policy)
    tree.set_position(game.board, game.to_play)
    search_many([tree], evaluator, 50)
    assert tree.sims >= 50


# ----------------------------------------------------------------------------- weights
def test_weights_api(tmp_path):
    w = random_weights(7, n=ref.NUM_ROLLOUT_FEATURES)
    policy = _rollout.FastRolloutPolicy(w)
    np.testing.assert_array_equal(policy.weights, w)
    policy.set_weights(random_weights(8))            # the tree-sized vector: tail ignored
    np.testing.assert_array_equal(policy.weights, random_weights(8)[:ref.NUM_ROLLOUT_FEATURES])
    np.save(tmp_path / "w.npy", w)
    np.testing.assert_array_equal(_rollout.FastRolloutPolicy.load(tmp_path / "w.npy").weights, w)
    np.savez(tmp_path / "w.npz", weights=w)
    np.testing.assert_array_equal(_rollout.FastRolloutPolicy.load(tmp_path / "w.npz").weights, w)
    with pytest.raises(ValueError, match="entries"):
        policy.set_weights(np.zeros(10, np.float32))
    bad = w.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        policy.set_weights(bad)
    # huge weights are clamped, not overflowed
    policy.set_weights(np.full(ref.NUM_ROLLOUT_FEATURES, 500.0, np.float32))
    p = policy.probabilities(Board(9), BLACK)
    assert np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-9
    tree = _rollout.TreePolicy(w)                     # rollout-sized: tree features weigh 0
    assert tree.weights[ref.NUM_ROLLOUT_FEATURES:].sum() == 0
    import pickle  # policies travel to worker processes
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(_rollout.FastRolloutPolicy(w))).weights, w)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(tree)).weights, tree.weights)
    pri = tree.priors(Board(9), BLACK)
    assert abs(pri.sum() - 1) < 1e-5 and pri[-1] == 0


def test_zero_weights_are_uniform_over_candidates():
    policy = _rollout.FastRolloutPolicy()
    for state, color in walk(policy, 9, seed=9, moves=40):
        pass
    p = state.probabilities(color)
    nonzero = p[:-1][p[:-1] > 0]
    np.testing.assert_allclose(nonzero, 1.0 / len(nonzero))
