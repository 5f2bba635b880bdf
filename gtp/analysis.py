"""Search statistics in the formats GUIs read: Leela Zero's ``info`` lines (lz-analyze,
used by Sabaki and Lizzie), KataGo's (kata-analyze, used by Sabaki) and GoGui's ``gfx``
drawing commands.

Leela Zero's analysis line (one line per report, every root move with visits, best first;
winrate, prior and lcb as integers in 1/10000, from the side to move's view)::

    info move D4 visits 120 winrate 5234 prior 1830 lcb 5101 order 0 pv D4 C3 info move ...

KataGo's (docs/GTP_Extensions.md, kata-analyze): the same moves with floats, scores in
points, and with ``ownership true`` one value per point at the end of the line::

    info move D4 visits 120 winrate 0.523400 scoreMean 1.25 scoreLead 1.25 prior 0.183000
    lcb 0.510100 order 0 pv D4 C3 info move ... ownership 0.9812 0.9650 ... (N*N values)

Every value is from the side to move's view (KataGo's default ``reportAnalysisWinratesAs
SIDETOMOVE``, the view Leela Zero's tools expect): winrate, prior and lcb in [0, 1], the
score lead in points (positive: the side to move leads), ownership in [-1, 1] (+1: the side
to move owns the point). The fields are a subsequence of KataGo's own order (move visits
utility winrate scoreMean scoreStdev scoreLead scoreSelfplay prior lcb utilityLcb order pv);
those this engine has no estimate for (utility, scoreStdev, scoreSelfplay, utilityLcb) are
left out, as KataGo's docs tell consumers to expect. Floats always carry a decimal point:
Sabaki tells KataGo's winrate from Leela Zero's by the point. Ownership goes row by row from
the top-left corner (A19 on 19x19, A9 on 9x9) to the bottom-right (T1), as KataGo prints it
(cpp/command/gtp.cpp: y from 0, the top row, then x), which is goengine's action order.

KataGo's JSON analysis engine (docs/Analysis_Engine.md; goengine-analysis,
gtp/analysis_engine.py): ``kata_json_response`` writes the same search statistics as one JSON
object per analysed position, from the view ``reportAnalysisWinratesAs`` asks for (BLACK,
WHITE, or SIDETOMOVE, KataGo's default): a flipped winrate is 1 - winrate and a flipped lcb
1 - lcb, scores and ownership change sign, exactly as KataGo flips them
(cpp/search/searchresults.cpp, getAnalysisJson). Ownership and the policy go row by row
from the top-left, the policy with -1 on illegal moves and pass last.

GoGui ``gfx`` commands used here (one per line): ``COLOR #rrggbb v1 v2 ...`` paints points,
``LABEL v text`` writes on a point, ``INFLUENCE v x`` draws x in [-1, 1] (black > 0),
``VAR b D4 w C3 ...`` shows a variation, ``MARK v ...`` marks points, ``TEXT ...`` writes
in the status line.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from goengine.coords import BLACK, opponent, to_gtp

__all__ = ["lz_info_line", "kata_info_line", "reported_moves", "kata_json_response",
           "json_policy", "heat_color", "gfx_heatmap", "gfx_variation", "gfx_influence",
           "winrate_text"]


def _permyriad(x: float) -> int:
    """A probability as Leela Zero prints it: int(x * 10000), clipped to 0..10000."""
    if x != x:  # nan
        return 0
    return int(min(1.0, max(0.0, x)) * 10000)


def reported_moves(result, max_moves: int | None = None, keep=None) -> list:
    """The root moves a report lists: those with visits, most visited first, the ones
    ``keep(action)`` refuses left out (avoid/allow), at most ``max_moves``."""
    moves = [m for m in result.moves if m.visits > 0 and (keep is None or keep(m.action))]
    return moves[: max_moves or None]


def _pv(info, size: int) -> str:
    return " ".join(to_gtp(a, size) for a in (info.pv or [info.action]))


def lz_info_line(result, size: int, max_moves: int | None = None, keep=None) -> str:
    """The lz-analyze report of a SearchResult: ``info move ... pv ...`` for each root
    move with visits, most visited first; '' when there is none."""
    return " ".join(
        f"info move {to_gtp(info.action, size)} visits {info.visits} "
        f"winrate {_permyriad(info.winrate)} prior {_permyriad(info.prior)} "
        f"lcb {_permyriad(info.lcb)} order {order} pv {_pv(info, size)}"
        for order, info in enumerate(reported_moves(result, max_moves, keep)))


def _unit(x: float) -> str:
    """A probability for kata-analyze: a float in [0, 1] with a decimal point."""
    return f"{0.0 if x != x else min(1.0, max(0.0, float(x))):.6f}"


def kata_info_line(result, size: int, scores: dict | None = None, score: float = 0.0,
                   ownership=None, max_moves: int | None = None, keep=None) -> str:
    """The kata-analyze report of a SearchResult (module docstring), '' when no move has
    visits. ``scores``: the score lead of the side to move after each move (action ->
    points); a move not in it gets ``score``. ``ownership``: (N*N,) from the side to
    move's view, or None for no ``ownership`` field."""
    scores = scores or {}
    parts = []
    for order, info in enumerate(reported_moves(result, max_moves, keep)):
        lead = float(scores.get(info.action, score))
        parts.append(
            f"info move {to_gtp(info.action, size)} visits {info.visits} "
            f"winrate {_unit(info.winrate)} scoreMean {lead:.2f} scoreLead {lead:.2f} "
            f"prior {_unit(info.prior)} lcb {_unit(info.lcb)} order {order} "
            f"pv {_pv(info, size)}")
    if not parts:
        return ""
    if ownership is not None:
        values = np.clip(np.asarray(ownership, dtype=np.float64)[: size * size], -1.0, 1.0)
        parts.append("ownership " + " ".join(f"{v + 0.0:.4f}" for v in np.round(values, 4)))
    return " ".join(parts)


def _finite(x: float, default: float = 0.0) -> float:
    x = float(x)
    return x if math.isfinite(x) else default


def json_policy(policy, game) -> list[float]:
    """KataGo's ``policy``: N*N+1 values, row by row from the top-left then pass, the
    legal moves' probabilities summing to 1 (uniform when ``policy`` gives them none) and
    -1 on illegal moves (occupied points, ko, superko, suicide)."""
    legal = game.legal_mask().astype(bool)
    values = np.clip(np.nan_to_num(np.asarray(policy, dtype=np.float64)[: legal.size]), 0.0, None)
    values = np.where(legal, values, 0.0)
    total = values.sum()
    values = values / total if total > 0 else legal / max(1, legal.sum())
    return [float(v) if ok else -1.0 for v, ok in zip(values, legal)]


def kata_json_response(result, game, estimates, *, perspective: int = 0, pv_len: int = 15,
                       ownership: bool = False, moves_ownership: bool = False, policy=None,
                       keep=None) -> dict:
    """The analysis part of a KataGo analysis-engine response (``moveInfos``, ``rootInfo``,
    ``ownership``, ``policy``) for a SearchResult of ``game``. ``estimates``: the position's
    gtp/estimates.Estimates (side to move's view; moves it scored have their own score lead,
    and with ``moves_ownership`` their ownership). ``perspective``: BLACK, WHITE or 0 for
    the side to move. ``pv_len``: moves after the first of each pv. ``policy``: (N*N+1,)
    move probabilities, or None for no ``policy`` field. ``keep``: the root filter of
    avoid/allow."""
    size, to_play = game.size, game.to_play
    sign = 1.0 if perspective in (0, to_play) else -1.0

    def rate(x: float) -> float:
        x = _finite(x, 0.5)
        return x if sign > 0 else 1.0 - x

    infos = []
    for order, info in enumerate(reported_moves(result, None, keep)):
        lead = sign * _finite(estimates.leads.get(info.action, estimates.score))
        entry = {
            "move": to_gtp(info.action, size), "visits": int(info.visits),
            "utility": sign * _finite(info.q), "winrate": rate(info.winrate),
            "scoreMean": lead, "scoreLead": lead, "scoreSelfplay": lead,
            "prior": _finite(info.prior), "lcb": rate(info.lcb), "order": order,
            "pv": [to_gtp(a, size) for a in (info.pv or [info.action])[: pv_len + 1]],
        }
        if moves_ownership and info.action in estimates.move_ownership:
            entry["ownership"] = _ownership(sign * estimates.move_ownership[info.action], size)
        infos.append(entry)
    root = sign * _finite(estimates.score)
    out = {
        "moveInfos": infos,
        "rootInfo": {"currentPlayer": "B" if to_play == BLACK else "W",
                     "visits": int(result.simulations), "winrate": rate(result.winrate),
                     "scoreLead": root, "scoreSelfplay": root,
                     "utility": sign * _finite(result.root_value)},
    }
    if ownership:
        out["ownership"] = _ownership(sign * estimates.ownership, size)
    if policy is not None:
        out["policy"] = json_policy(policy, game)
    return out


def _ownership(values, size: int) -> list[float]:
    values = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)[: size * size]), -1.0, 1.0)
    return [round(float(v), 6) + 0.0 for v in values]


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
