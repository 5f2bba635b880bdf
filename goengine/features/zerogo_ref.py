"""The "zerogo25" planes (zero17 plus liberties, ko and ladders), the slow reference.

Written to be obviously correct on the Board Python API (goengine.board_ref.Board by default,
or the Cython goengine._board.Board), independently of the C extractor
goengine.features._zerogo, whose docstring defines the planes; tests/test_zerogo_planes.py
holds the two equal. Where the C code reads the ko point off the two positions, this one
replays the last move on a board holding the previous position and keeps that board's own
ko point; liberties come from the board's flood fill; ladders from lee_ref's Python ladder
search (the reference of _lee's C search), played out on copies of the board.
"""
from __future__ import annotations

import numpy as np

from ..board_ref import Board as RefBoard
from ..coords import BLACK, EMPTY, WHITE
from .lee_ref import _Budget, _defence_fails
from .zero import zero17

NUM_PLANES = 25


def _place(stones: np.ndarray, size: int, board_cls):
    """A board holding the position `stones` (N*N colours), ko free, or None if it is not one
    (a colour outside 0..2, or a chain without liberties)."""
    board = board_cls(size)
    for a in np.flatnonzero(stones):
        if stones[a] not in (BLACK, WHITE):
            return None
        board.play(int(a), int(stones[a]))
    if not np.array_equal(board.stones(), stones):
        return None
    return board


def position_board(current: np.ndarray, previous: np.ndarray | None, to_play: int, size: int,
                   board_cls=RefBoard):
    """The board of the position `current` with `to_play` to move, ko point included: when
    `previous` and `current` differ by one new opponent stone, that move is replayed on
    `previous`, and if that gives `current` the replayed board (with its ko) is returned."""
    current = np.asarray(current, dtype=np.int8)
    opp = 3 - to_play
    if previous is not None:
        previous = np.asarray(previous, dtype=np.int8)
        new = np.flatnonzero((previous == EMPTY) & (current == opp))
        if len(new) == 1:
            board = _place(previous, size, board_cls)
            if board is not None and board.is_legal(int(new[0]), opp):
                board.play(int(new[0]), opp)
                if np.array_equal(board.stones(), current):
                    return board
    board = _place(current, size, board_cls)
    if board is None:
        raise ValueError("not a legal position")
    return board


def ladderable(board, action: int, to_play: int) -> bool:
    """Plane 24 for the chain on `action` (see _zerogo.pyx)."""
    libs = board.liberties(action)
    if board.color_at(action) == to_play:
        return libs == 1 and _defence_fails(board, action, 3 - to_play, 0, _Budget())
    if libs == 1:
        return board.is_legal(board.chain_liberties(action)[0], to_play)
    if libs == 2:
        for move in sorted(board.chain_liberties(action)):
            if not board.is_legal(move, to_play):
                continue
            after = board.copy()
            after.play(move, to_play)
            if after.liberties(action) == 1 and _defence_fails(after, action, to_play, 1, _Budget()):
                return True
    return False


def board_planes(board, to_play: int) -> np.ndarray:
    """Planes 17-24 (float32 (8, N, N)) of a board, `to_play` to move."""
    n = board.size
    out = np.zeros((8, n, n), dtype=np.float32)
    verdict: dict[tuple[int, ...], bool] = {}
    for a in range(n * n):
        colour = board.color_at(a)
        if colour == EMPTY:
            continue
        r, c = divmod(a, n)
        libs = board.liberties(a)
        out[(0 if colour == to_play else 3) + min(libs, 3) - 1, r, c] = 1
        chain = tuple(board.chain(a))
        if chain not in verdict:
            verdict[chain] = ladderable(board, a, to_play)
        out[7, r, c] = verdict[chain]
    if board.ko >= 0 and board.ko_color == to_play:
        out[6][divmod(board.ko, n)] = 1
    return out


def zerogo25_ref(stones, to_play, size: int, board_cls=RefBoard) -> np.ndarray:
    """stones int8 (B, H, N*N) ([:, 0] the current position, [:, 1] the one before it),
    to_play (B,) -> float32 (B, 25, N, N), as _zerogo.zerogo25."""
    stones = np.asarray(stones, dtype=np.int8)
    to_play = np.asarray(to_play).reshape(-1)
    out = np.zeros((stones.shape[0], NUM_PLANES, size, size), dtype=np.float32)
    out[:, :17] = zero17(stones, to_play, size)
    for i in range(stones.shape[0]):
        c = int(to_play[i])
        board = position_board(stones[i, 0], stones[i, 1] if stones.shape[1] > 1 else None, c,
                               size, board_cls)
        out[i, 17:] = board_planes(board, c)
    return out
