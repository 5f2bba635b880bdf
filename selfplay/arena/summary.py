"""The summary of a run: wins by pairing and colour, Elo with intervals, SPRT, and its text tables."""
from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from goengine.fileio import atomic_write_bytes

from ..elo import fit_elo, tally
from ..sprt import SprtStatus
from .config import SUMMARY_FILE, ArenaConfig
from .results import GameResult


def write_summary(out: str | os.PathLike, summary: dict) -> None:
    """summary.json of a run folder, written atomically."""
    atomic_write_bytes(Path(out) / SUMMARY_FILE,
                  (json.dumps(summary, indent=2) + "\n").encode("utf-8"))


def summarize(results: Sequence[GameResult], config: ArenaConfig | None = None, *,
              labels: Sequence[str] | None = None, sprt_status: SprtStatus | None = None) -> dict:
    """Tables of a set of games, JSON-ready: per pairing (wins by colour, score, Elo with
    its interval from the fit over all games), per player (rating and interval), colours
    overall, and the SPRT state."""
    config = config or ArenaConfig()
    order = list(labels or [])
    for r in results:
        for p in (r.a, r.b):
            if p not in order:
                order.append(p)
    players = [p for p in order if any(p in (r.a, r.b) for r in results)]
    summary: dict = {"rules": config.folder_rules(), "games": len(results),
                     "agents": order, "pairings": [], "ratings": [], "elo": None,
                     "colours": {"black_wins": 0, "white_wins": 0, "draws": 0}}
    for r in results:
        key = ("black_wins" if r.winner == r.black else "white_wins" if r.winner == r.white
               else "draws")
        summary["colours"][key] += 1
    if not results:
        summary["sprt"] = _sprt_json(config, sprt_status)
        return summary
    anchor = config.anchor if config.anchor in players else players[0]
    games = [(r.a, r.b, r.score_for(r.a)) for r in results]
    fit = fit_elo(games, anchor=anchor, anchor_rating=config.anchor_rating,
                  confidence=config.confidence, players=players)
    tallies = tally(games)
    for a, b in tallies:
        if order.index(a) > order.index(b):
            a, b = b, a
        rows = [r for r in results if {r.a, r.b} == {a, b}]
        lo, hi = fit.interval(a, b, config.interval)
        summary["pairings"].append({
            "a": a, "b": b, "games": len(rows),
            "a_wins_black": sum(r.winner == a and r.black == a for r in rows),
            "a_wins_white": sum(r.winner == a and r.white == a for r in rows),
            "b_wins_black": sum(r.winner == b and r.black == b for r in rows),
            "b_wins_white": sum(r.winner == b and r.white == b for r in rows),
            "draws": sum(r.winner is None for r in rows),
            "a_score": sum(r.score_for(a) for r in rows) / len(rows),
            "elo": _num(fit.diff(a, b)), "low": _num(lo), "high": _num(hi),
            "stderr": _num(fit.stderr(a, b)),
            "reasons": _count(r.reason for r in rows),
            "mean_moves": round(sum(r.moves for r in rows) / len(rows), 1),
            "mean_seconds": round(sum(r.seconds for r in rows) / len(rows), 1),
        })
    for p in players:
        lo, hi = fit.rating_interval(p, config.interval)
        mine = [r for r in results if p in (r.a, r.b)]
        moves = seconds = visits = playouts = 0
        for r in mine:
            side = (r.per_move or {}).get("black" if r.black == p else "white")
            if side:
                moves += side["moves"]
                seconds += side["seconds"]
                visits += side["visits"]
                playouts += side.get("playouts", side["visits"])  # older results: no reuse known
        summary["ratings"].append({
            "player": p, "rating": _num(fit.ratings[p]), "low": _num(lo), "high": _num(hi),
            "games": len(mine), "score": sum(r.score_for(p) for r in mine) / len(mine),
            "seconds_per_move": round(seconds / moves, 3) if moves else None,
            "visits_per_move": round(visits / moves, 1) if moves and visits else None,
            "playouts_per_move": round(playouts / moves, 1) if moves and visits else None})
    summary["ratings"].sort(key=lambda row: -_sortable(row["rating"]))
    summary["elo"] = {"model": "Bradley-Terry, logistic Elo, maximum likelihood over all "
                               "games", "anchor": anchor, "anchor_rating": config.anchor_rating,
                      "confidence": config.confidence, "interval": config.interval}
    summary["sprt"] = _sprt_json(config, sprt_status)
    return summary


def _sprt_json(config: ArenaConfig, status: SprtStatus | None):
    if config.sprt is None:
        return None
    out = asdict(config.sprt)
    if status is not None:
        out.update(llr=round(status.llr, 4), lower=round(status.lower, 4),
                   upper=round(status.upper, 4), decision=status.decision)
    return out


def _count(items) -> dict:
    out: dict = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _num(x: float):
    """JSON number: rounded; infinities as "inf"/"-inf"; NaN as None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return round(float(x), 1)


def _sortable(x) -> float:
    if x is None:
        return -math.inf
    if isinstance(x, str):
        return math.inf if x == "inf" else -math.inf
    return float(x)


def _fmt_elo(x) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return "+inf" if x == "inf" else "-inf"
    return f"{x:+.0f}"


def format_summary(summary: dict) -> str:
    """The tables of ``summarize`` as text."""
    rules = summary["rules"]
    lines = [(f"{summary['games']} games on {rules['size']}x{rules['size']}, komi "
              f"{rules['komi']:g}, area scoring, {rules['superko']} superko")]
    colours = summary["colours"]
    lines.append(f"black won {colours['black_wins']}, white won {colours['white_wins']}, "
                 f"draws {colours['draws']}")
    if summary["pairings"]:
        elo = summary["elo"]
        level = round(elo["confidence"] * 100)
        lines.append("")
        header = ["a", "b", "games", "a wins (B/W)", "b wins (B/W)", "draws", "a score",
                  f"Elo a-b [{level}% {elo['interval']}]"]
        rows = []
        for p in summary["pairings"]:
            rows.append([p["a"], p["b"], str(p["games"]),
                         _wins(p["a_wins_black"], p["a_wins_white"]),
                         _wins(p["b_wins_black"], p["b_wins_white"]),
                         str(p["draws"]), f"{100 * p['a_score']:.1f}%",
                         f"{_fmt_elo(p['elo'])} [{_fmt_elo(p['low'])}, {_fmt_elo(p['high'])}]"])
        lines += _table(header, rows)
        lines.append("")
        header = ["rank", "agent", "Elo", f"{level}% interval", "games", "score",
                  "s/move", "visits/move", "playouts/move"]
        rows = [[str(k), r["player"], _fmt_elo(r["rating"]),
                 f"[{_fmt_elo(r['low'])}, {_fmt_elo(r['high'])}]", str(r["games"]),
                 f"{100 * r['score']:.1f}%",
                 "" if r.get("seconds_per_move") is None else f"{r['seconds_per_move']:.2f}",
                 "" if r.get("visits_per_move") is None else f"{r['visits_per_move']:.0f}",
                 "" if r.get("playouts_per_move") is None else f"{r['playouts_per_move']:.0f}"]
                for k, r in enumerate(summary["ratings"], 1)]
        lines += _table(header, rows)
        lines.append(f"(Elo by maximum likelihood over all games; {elo['anchor']} fixed at "
                     f"{elo['anchor_rating']:g})")
    sprt = summary.get("sprt")
    if sprt:
        verdict = {"H1": f"accepted H1 (Elo = {sprt['elo1']:g})",
                   "H0": f"accepted H0 (Elo = {sprt['elo0']:g})"}.get(sprt.get("decision"),
                                                                      "undecided")
        lines.append(f"SPRT elo0={sprt['elo0']:g} elo1={sprt['elo1']:g} "
                     f"alpha={sprt['alpha']:g} beta={sprt['beta']:g}: LLR "
                     f"{sprt.get('llr', 0):.2f} in ({sprt.get('lower', 0):.2f}, "
                     f"{sprt.get('upper', 0):.2f}): {verdict}")
    if summary.get("failed"):
        lines.append(f"{len(summary['failed'])} games failed (agent errors; rerun to retry):")
        lines += [f"  {f['key']}: {f['error'][:200]}" for f in summary["failed"]]
    return "\n".join(lines)


def _wins(black: int, white: int) -> str:
    return f"{black + white} ({black}/{white})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
