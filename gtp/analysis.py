"""Search statistics in the formats GUIs read: Leela Zero's ``info`` lines (lz-analyze,
used by Sabaki and Lizzie) and GoGui's ``gfx`` drawing commands.

Leela Zero's analysis line (one line per report, every root move with visits, best first;
winrate, prior and lcb as integers in 1/10000, from the side to move's view)::

    info move D4 visits 120 winrate 5234 prior 1830 lcb 5101 order 0 pv D4 C3 info move ...

GoGui ``gfx`` commands used here (one per line): ``COLOR #rrggbb v1 v2 ...`` paints points,
``LABEL v text`` writes on a point, ``INFLUENCE v x`` draws x in [-1, 1] (black > 0),
``VAR b D4 w C3 ...`` shows a variation, ``MARK v ...`` marks points, ``TEXT ...`` writes
in the status line.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from goengine.coords import BLACK, opponent, to_gtp

__all__ = ["lz_info_line", "heat_color", "gfx_heatmap", "gfx_variation", "gfx_influence",
           "winrate_text"]


def _permyriad(x: float) -> int:
    """A probability as Leela Zero prints it: int(x * 10000), clipped to 0..10000."""
    if x != x:  # nan
        return 0
    return int(min(1.0, max(0.0, x)) * 10000)


def lz_info_line(result, size: int, max_moves: int | None = None) -> str:
    """The lz-analyze report of a SearchResult: ``info move ... pv ...`` for each root
    move with visits, most visited first; '' when there is none."""
    parts = []
    for order, info in enumerate(result.moves[: max_moves or None]):
        if info.visits <= 0:
            continue
        pv = " ".join(to_gtp(a, size) for a in (info.pv or [info.action]))
        parts.append(
            f"info move {to_gtp(info.action, size)} visits {info.visits} "
            f"winrate {_permyriad(info.winrate)} prior {_permyriad(info.prior)} "
            f"lcb {_permyriad(info.lcb)} order {order} pv {pv}")
    return " ".join(parts)


def heat_color(x: float) -> str:
    """A colour for x in [0, 1]: dark blue (cold) through green and yellow to red (hot)."""
    x = min(1.0, max(0.0, float(x)))
    stops = [(0.0, (40, 40, 160)), (0.35, (40, 170, 90)), (0.7, (240, 210, 40)),
             (1.0, (220, 40, 30))]
    for (x0, c0), (x1, c1) in zip(stops, stops[1:]):
        if x <= x1:
            t = (x - x0) / (x1 - x0)
            rgb = [round(a + (b - a) * t) for a, b in zip(c0, c1)]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return "#dc281e"  # pragma: no cover


def gfx_heatmap(values: np.ndarray, size: int, labels: dict[int, str] | None = None,
                text: str | None = None, threshold: float = 1e-9) -> str:
    """GoGui gfx painting every point whose value is above ``threshold`` with a colour
    scaled to the largest value (the pass entry N*N, if present, is left out), then the
    labels."""
    n = size * size
    values = np.asarray(values, dtype=np.float64)[:n]
    top = float(values.max()) if values.size else 0.0
    lines = []
    if top > threshold:
        groups: dict[str, list[str]] = {}
        for a in np.flatnonzero(values > threshold).tolist():
            groups.setdefault(heat_color(values[a] / top), []).append(to_gtp(a, size))
        lines += [f"COLOR {color} {' '.join(points)}" for color, points in sorted(groups.items())]
    for a, label in sorted((labels or {}).items()):
        lines.append(f"LABEL {to_gtp(a, size)} {label}")
    if text:
        lines.append(f"TEXT {text}")
    return "\n".join(lines)


def gfx_variation(moves: Sequence[int], first_color: int, size: int) -> str:
    """``VAR b D4 w C3 ...`` for a sequence of moves starting with ``first_color``."""
    out, color = [], first_color
    for a in moves:
        out.append(f"{'b' if color == BLACK else 'w'} {to_gtp(a, size)}")
        color = opponent(color)
    return "VAR " + " ".join(out) if out else ""


def gfx_influence(values: np.ndarray, size: int, threshold: float = 0.05) -> str:
    """``INFLUENCE v x ...`` for the points where |x| > threshold (black positive)."""
    items = [f"{to_gtp(a, size)} {values[a]:.2f}" for a in range(size * size)
             if abs(values[a]) > threshold]
    return "INFLUENCE " + " ".join(items) if items else ""


def winrate_text(result, color: int) -> str:
    """One line: the side to move's win rate, visits and the best move."""
    name = "Black" if color == BLACK else "White"
    best = to_gtp(result.best, result.size)
    return (f"{name} win rate {100 * result.winrate:.1f}% after {result.simulations} "
            f"visits; best {best}")
