"""The 8 dihedral symmetries: round trips, the group law, policies moving with planes, and the
input features commuting with them (a feature of the transformed position is the
transformed feature)."""
from __future__ import annotations

import numpy as np
import pytest

from goengine.errors import IllegalMoveError
from goengine.features import (
    NUM_SYMMETRIES,
    action_map,
    apply_planes,
    apply_planes_each,
    apply_policy,
    apply_policy_each,
    inverse,
    inverse_each,
    zero17,
)
from goengine.game import GameState


def random_game(size: int, moves: int, seed: int) -> GameState:
    rng = np.random.default_rng(seed)
    game = GameState(size)
    for _ in range(moves):
        mask = game.legal_mask().astype(bool)
        mask[-1] = False
        choices = [a for a in np.flatnonzero(mask) if not game.board.is_eye(int(a), game.to_play)]
        game.play(int(rng.choice(choices)) if choices else size * size)
        if game.is_over():
            break
    return game


def transformed(game: GameState, t: int) -> GameState:
    """The same game with every move moved by symmetry t."""
    m = action_map(game.size, t)
    out = GameState(game.size, game.rules)
    for _, action in game.history:
        out.play(int(m[action]))
    return out


@pytest.mark.parametrize("t", range(NUM_SYMMETRIES))
def test_planes_and_policy_round_trip(t):
    rng = np.random.default_rng(t)
    x = rng.normal(size=(3, 5, 7, 7)).astype(np.float32)
    np.testing.assert_array_equal(apply_planes(apply_planes(x, t), inverse(t)), x)
    p = rng.random((4, 50))
    q = apply_policy(p, t)
    assert np.all(q[:, -1] == p[:, -1]), "pass never moves"
    np.testing.assert_array_equal(apply_policy(q, inverse(t)), p)
    assert apply_planes(x, t).flags.c_contiguous


def test_the_eight_are_distinct_and_a_group():
    x = np.arange(25, dtype=np.float64).reshape(5, 5)
    images = [apply_planes(x, t) for t in range(NUM_SYMMETRIES)]
    assert len({im.tobytes() for im in images}) == 8
    assert np.array_equal(images[0], x)
    for a in range(8):
        for b in range(8):
            composed = apply_planes(apply_planes(x, a), b)
            assert any(np.array_equal(composed, im) for im in images)
    with pytest.raises(ValueError):
        apply_planes(x, 8)
    with pytest.raises(ValueError):
        apply_policy(np.zeros(11), 1)      # 10 points: not a square board


@pytest.mark.parametrize("t", range(NUM_SYMMETRIES))
def test_action_map_moves_one_hot_planes(t):
    size = 6
    m = action_map(size, t)
    assert m[size * size] == size * size
    assert sorted(m[:-1]) == list(range(size * size))
    for a in range(size * size):
        one_hot = np.zeros(size * size)
        one_hot[a] = 1
        moved = apply_planes(one_hot.reshape(size, size), t).reshape(-1)
        assert moved[m[a]] == 1
        policy = np.append(one_hot, 0.0)
        assert apply_policy(policy, t)[m[a]] == 1


@pytest.mark.parametrize("t", range(NUM_SYMMETRIES))
def test_policy_is_equivariant_with_planes(t):
    """A per-point policy computed from planes commutes with the symmetries: f(T x) = T f(x)."""
    rng = np.random.default_rng(10 + t)
    x = rng.normal(size=(2, 4, 9, 9))
    weights = rng.normal(size=4)

    def policy(planes):
        logits = np.tensordot(planes, weights, axes=([1], [0])).reshape(planes.shape[0], -1)
        logits = np.concatenate([logits, np.zeros((planes.shape[0], 1))], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    np.testing.assert_allclose(policy(apply_planes(x, t)), apply_policy(policy(x), t), rtol=1e-12)


def test_zero17_is_equivariant():
    game = random_game(9, 40, seed=1)
    stones = np.zeros((1, 8, 81), np.int8)
    replay = GameState(9)
    boards = [replay.board.stones()]
    for _, action in game.history:
        replay.play(action)
        boards.append(replay.board.stones())
    for k in range(8):
        stones[0, k] = boards[-1 - k]
    to_play = np.array([game.to_play])
    planes = zero17(stones, to_play, 9)
    for t in range(NUM_SYMMETRIES):
        moved = apply_planes(stones.reshape(1, 8, 9, 9), t).reshape(1, 8, 81)
        np.testing.assert_array_equal(zero17(moved, to_play, 9), apply_planes(planes, t))


def test_lee48_is_equivariant():
    from goengine.features import _lee
    ladders = 0
    for seed in range(6):
        game = random_game(9, 20 + 12 * seed, seed=seed)
        planes = _lee.lee48([game])[0]
        ladders += planes[44:46].sum()
        for t in range(NUM_SYMMETRIES):
            try:
                other = transformed(game, t)
            except IllegalMoveError:   # pragma: no cover - the rules are symmetric
                pytest.fail("a symmetric game must stay legal")
            np.testing.assert_array_equal(_lee.lee48([other])[0], apply_planes(planes, t),
                                          err_msg=f"seed {seed} symmetry {t}")
    assert ladders > 0


@pytest.mark.parametrize("size", [5, 9])
def test_per_sample_symmetries_match_one_call_per_symmetry(size):
    rng = np.random.default_rng(size)
    syms = np.concatenate([np.arange(8), rng.integers(0, 8, size=24)])
    planes = rng.random((syms.size, 17, size, size)).astype(np.float32)
    stones = rng.integers(-1, 2, size=(syms.size, size, size)).astype(np.int8)
    policy = rng.random((syms.size, size * size + 1)).astype(np.float32)
    moved_planes = apply_planes_each(planes, syms)
    moved_stones = apply_planes_each(stones, syms)
    moved_policy = apply_policy_each(policy, syms)
    for i, t in enumerate(syms):
        np.testing.assert_array_equal(moved_planes[i], apply_planes(planes[i], int(t)))
        np.testing.assert_array_equal(moved_stones[i], apply_planes(stones[i], int(t)))
        np.testing.assert_array_equal(moved_policy[i], apply_policy(policy[i], int(t)))
    np.testing.assert_array_equal(inverse_each(syms), [inverse(int(t)) for t in syms])
    back = apply_policy_each(moved_policy, inverse_each(syms))
    np.testing.assert_array_equal(back, policy)
