"""AlphaGo Zero's input planes ("zero17"), the numpy reference.

For the side to move (colour c) and the last 8 positions s_t, s_{t-1}, ..., s_{t-7}:

    planes[2k]     = 1 where c has a stone in s_{t-k}      (X_{t-k})
    planes[2k + 1] = 1 where the opponent has a stone        (Y_{t-k})
    planes[16]     = 1 everywhere if c is black, else 0      (C)

(AlphaGo Zero, Methods "Neural network architecture": s_t = [X_t, Y_t, X_{t-1}, Y_{t-1}, ...,
X_{t-7}, Y_{t-7}, C].) Positions before the game's start are empty.
"""
from __future__ import annotations

import numpy as np

from ..coords import BLACK

HISTORY = 8
NUM_PLANES = 17


def zero17(stones: np.ndarray, to_play: np.ndarray, size: int) -> np.ndarray:
    """stones int8 (B, H, N*N) with [:, 0] the current position (H >= 1; missing history is
    treated as empty), to_play (B,) colours -> float32 (B, 17, N, N), NCHW."""
    stones = np.asarray(stones)
    to_play = np.asarray(to_play).reshape(-1, 1, 1)
    b, h, n2 = stones.shape
    if n2 != size * size:
        raise ValueError(f"stones have {n2} points, expected {size * size}")
    out = np.zeros((b, NUM_PLANES, size, size), dtype=np.float32)
    hist = stones[:, :HISTORY].reshape(b, min(h, HISTORY), size, size)
    own = hist == to_play[..., None]
    opp = (hist != 0) & ~own
    out[:, 0:2 * hist.shape[1]:2] = own
    out[:, 1:2 * hist.shape[1]:2] = opp
    out[:, 16] = (to_play.reshape(-1) == BLACK)[:, None, None]
    return out
