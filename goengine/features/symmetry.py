"""The 8 dihedral symmetries of the square board, for planes and for policy vectors.

Symmetry t in 0..7 is `k = t % 4` quarter turns counter-clockwise (np.rot90), preceded by a
left-right mirror when t >= 4. Planes are (..., N, N) with rows from the top (coords.py);
policy vectors are (..., N*N+1) in action order, pass (the last entry) never moves.

    x' = apply_planes(x, t)           the position seen through symmetry t
    p' = apply_policy(p, t)           a policy over the original actions, moved the same way
    p  = apply_policy(p', inverse(t)) back again (a network's output on x' -> policy for x)
"""
from __future__ import annotations

import functools

import numpy as np

NUM_SYMMETRIES = 8
_INVERSE = [0, 3, 2, 1, 4, 5, 6, 7]  # rotations invert to the opposite turn; reflections are involutions


def inverse(t: int) -> int:
    """The symmetry that undoes t."""
    return _INVERSE[t]


def apply_planes(x: np.ndarray, t: int) -> np.ndarray:
    """Transform the last two axes (N, N) of x by symmetry t (returns a new contiguous array)."""
    if not 0 <= t < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be 0..7, got {t}")
    if t >= 4:
        x = x[..., :, ::-1]
    return np.ascontiguousarray(np.rot90(x, k=t % 4, axes=(-2, -1)))


def apply_policy(p: np.ndarray, t: int) -> np.ndarray:
    """Transform policy vectors (..., N*N+1) by symmetry t; pass stays last."""
    n2 = p.shape[-1] - 1
    n = int(round(n2 ** 0.5))
    if n * n != n2:
        raise ValueError(f"policy length {p.shape[-1]} is not N*N+1")
    board = apply_planes(p[..., :n2].reshape(p.shape[:-1] + (n, n)), t)
    return np.concatenate([board.reshape(p.shape[:-1] + (n2,)), p[..., n2:]], axis=-1)


@functools.lru_cache(maxsize=None)
def _point_table(size: int) -> np.ndarray:
    """(8, N*N) int64: row t lists, for each point of the transformed board, the point of the
    original board it shows (apply_planes(x, t).flat == x.flat[row])."""
    points = np.arange(size * size, dtype=np.int64).reshape(size, size)
    table = np.stack([apply_planes(points, t).ravel() for t in range(NUM_SYMMETRIES)])
    table.setflags(write=False)
    return table


def apply_planes_each(x: np.ndarray, syms: np.ndarray) -> np.ndarray:
    """Sample i of x (B, ..., N, N) transformed by symmetry syms[i], in one gather: the same
    result as apply_planes(x[i], syms[i]) for every i, without a call per symmetry."""
    b, n = x.shape[0], x.shape[-1]
    index = _point_table(n)[np.asarray(syms, dtype=np.int64)]  # (B, N*N)
    flat = x.reshape(b, -1, n * n)
    return np.take_along_axis(flat, index[:, None, :], axis=2).reshape(x.shape)


def apply_policy_each(p: np.ndarray, syms: np.ndarray) -> np.ndarray:
    """Row i of p (B, N*N+1) moved by symmetry syms[i]; pass stays last."""
    n2 = p.shape[-1] - 1
    n = int(round(n2 ** 0.5))
    if n * n != n2:
        raise ValueError(f"policy length {p.shape[-1]} is not N*N+1")
    out = np.empty_like(p)
    out[:, :n2] = np.take_along_axis(p[:, :n2], _point_table(n)[np.asarray(syms, dtype=np.int64)], axis=1)
    out[:, n2] = p[:, n2]
    return out


def inverse_each(syms: np.ndarray) -> np.ndarray:
    """The symmetries that undo each of syms."""
    return np.asarray(_INVERSE, dtype=np.int64)[np.asarray(syms, dtype=np.int64)]


def action_map(size: int, t: int) -> np.ndarray:
    """m[a] = the action that a maps to under symmetry t (pass maps to pass)."""
    n2 = size * size
    index = np.arange(n2 + 1, dtype=np.float64)
    moved = apply_policy(index[None, :], inverse(t))[0]
    return moved.astype(np.int64)
