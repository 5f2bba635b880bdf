"""The observation of the Go environment: six planes from the side to move's view (no
gymnasium here, so that the opponents and GoEnv both use it without importing each other)."""
from __future__ import annotations

import numpy as np

from ..coords import BLACK, opponent
from ..game import GameState

__all__ = ["observation", "NUM_PLANES", "PLANES"]

PLANES = ("own stones", "opponent stones", "legal points", "own stones in atari",
          "opponent stones in atari", "colour (1 = black)")
"""What each observation plane holds, from the point of view of the player to move. The
atari planes (chains with one liberty) are the smallest of AlphaGo's liberty features: they
make captures and escapes visible to a network that sees one position at a time."""
NUM_PLANES = len(PLANES)


def observation(game: GameState, color: int | None = None,
                legal: np.ndarray | None = None) -> np.ndarray:
    """The ``(6, N, N)`` uint8 planes of :data:`PLANES` for ``color`` (default: the side
    to move). ``legal`` is ``game.legal_mask()`` if already computed."""
    color = game.to_play if color is None else color
    n = game.size
    board = game.board
    stones = np.asarray(board.stones())
    if legal is None:
        legal = game.legal_mask(color)
    atari = np.zeros(n * n, dtype=bool)
    seen = np.zeros(n * n, dtype=bool)
    for a in np.flatnonzero(stones).tolist():
        if not seen[a]:
            chain = board.chain(a)
            seen[chain] = True
            if board.liberties(a) == 1:
                atari[chain] = True
    obs = np.empty((NUM_PLANES, n, n), dtype=np.uint8)
    own, other = stones == color, stones == opponent(color)
    obs[0] = own.reshape(n, n)
    obs[1] = other.reshape(n, n)
    obs[2] = np.asarray(legal[: n * n]).reshape(n, n)
    obs[3] = (own & atari).reshape(n, n)
    obs[4] = (other & atari).reshape(n, n)
    obs[5] = 1 if color == BLACK else 0
    return obs
