"""Zobrist keys shared by every board implementation.

``KEYS[color - 1, action]`` is the 64-bit key of a stone of ``color`` on ``action``; a
position's hash is the XOR of the keys of its stones (the empty board hashes to 0). The
table is fixed by a constant seed, so the Cython board, the reference board and saved
records all agree on every hash. ``TO_PLAY_KEY`` is XOR-ed in where the side to move is
part of the hash (situational superko).
"""
from __future__ import annotations

import numpy as np

from .coords import MAX_SIZE

_SEED = 0x5EED_60_E7
KEYS: np.ndarray = np.random.default_rng(_SEED).integers(
    1, 2**63, size=(2, MAX_SIZE * MAX_SIZE), dtype=np.int64
).astype(np.uint64) * np.uint64(2) + np.uint64(1)
KEYS.setflags(write=False)
TO_PLAY_KEY: int = int(np.random.default_rng(_SEED + 1).integers(1, 2**63)) * 2 + 1


def position_hash(stones) -> int:
    """Recompute the hash of a position from its stones (a sequence of colours by action)."""
    h = 0
    for action, color in enumerate(stones):
        if color:
            h ^= int(KEYS[int(color) - 1, action])
    return h
