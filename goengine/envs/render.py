"""Board pictures as numpy RGB arrays (``render_mode="rgb_array"``), drawn without any
graphics library."""
from __future__ import annotations

import numpy as np

from ..coords import BLACK, WHITE

__all__ = ["draw_board", "star_points"]

_WOOD = np.array([220, 179, 92], np.uint8)
_LINE = np.array([40, 30, 10], np.uint8)
_BLACK = np.array([20, 20, 20], np.uint8)
_WHITE = np.array([245, 245, 240], np.uint8)
_MARK = np.array([220, 40, 40], np.uint8)


def star_points(size: int) -> list[tuple[int, int]]:
    """Hoshi (row, col) as drawn on 9x9, 13x13 and 19x19 boards (none below 7x7)."""
    if size < 7:
        return []
    edge = 2 if size < 13 else 3
    lines = [edge, size - 1 - edge]
    points = [(r, c) for r in lines for c in lines]
    if size % 2 == 1:
        mid = size // 2
        points.append((mid, mid))
        if size >= 13:
            points += [(mid, edge), (mid, size - 1 - edge), (edge, mid), (size - 1 - edge, mid)]
    return points


def draw_board(stones, size: int, last: int | None = None, cell: int = 24) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 image of ``stones`` (colours by action, row-major): wooden
    board, grid, star points, stones, and a red dot on the ``last`` move."""
    stones = np.asarray(stones).reshape(size, size)
    side = cell * (size + 1)
    img = np.empty((side, side, 3), np.uint8)
    img[:] = _WOOD
    lo, hi = cell, cell * size
    for i in range(size):
        p = cell * (i + 1)
        img[p, lo:hi + 1] = _LINE
        img[lo:hi + 1, p] = _LINE
    yy, xx = np.mgrid[0:side, 0:side]

    def disc(r: int, c: int, radius: float, color: np.ndarray) -> None:
        cy, cx = cell * (r + 1), cell * (c + 1)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius] = color

    for r, c in star_points(size):
        disc(r, c, max(2.0, cell * 0.1), _LINE)
    for r in range(size):
        for c in range(size):
            if stones[r, c] == BLACK:
                disc(r, c, cell * 0.46, _BLACK)
            elif stones[r, c] == WHITE:
                disc(r, c, cell * 0.46, _LINE)
                disc(r, c, cell * 0.46 - 1.2, _WHITE)
    if last is not None and 0 <= last < size * size:
        disc(last // size, last % size, cell * 0.14, _MARK)
    return img
