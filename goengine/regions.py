"""Connected regions of a board's points: the one flood fill (Tromp-Taylor territory for the
search's passing rule, the dead-stone judge's area and its Benson test)."""
from __future__ import annotations

import numpy as np

from .coords import EMPTY, neighbors

__all__ = ["components", "empty_regions"]


def components(mask: np.ndarray, size: int) -> list[list[int]]:
    """Orthogonally connected components of the points where ``mask`` is true, each sorted,
    in the order of their smallest point."""
    seen = np.zeros(mask.shape[0], dtype=bool)
    out = []
    for start in np.flatnonzero(mask).tolist():
        if seen[start]:
            continue
        seen[start] = True
        part, stack = [], [start]
        while stack:
            p = stack.pop()
            part.append(p)
            for q in neighbors(p, size):
                if mask[q] and not seen[q]:
                    seen[q] = True
                    stack.append(q)
        out.append(sorted(part))
    return out


def empty_regions(stones: np.ndarray, size: int) -> list[tuple[list[int], int]]:
    """Each empty region of a stones array with the colours of the stones bordering it, as
    bits (BLACK | WHITE when both, 0 when none): Tromp-Taylor's territory test."""
    stones = np.asarray(stones)
    out = []
    for region in components(stones == EMPTY, size):
        border = 0
        for p in region:
            for q in neighbors(p, size):
                border |= int(stones[q])
        out.append((region, border))
    return out
