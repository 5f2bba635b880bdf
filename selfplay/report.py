"""The report of a ladder folder: Markdown with PNG plots, for users comparing the recipes.

    write_report("runs/ladder/lee-vs-zero", "docs/comparison.md")
    # or: goengine-arena report runs/ladder/lee-vs-zero --out docs/comparison.md

Sections (each one a note instead when the games or the entrants' metadata are too thin):

1. **Ratings**: maximum-likelihood Elo over all games of the folder, anchored on the
   ladder's anchor, with 95% intervals, games, score and thinking per move.
2. **Win rates**: the score of each entrant (row) against each other (column), as a
   Markdown table and a heat map.
3. **Strength against thinking time**: entrants that share a recipe and weights but think
   with different budgets (``budget`` in the ladder file, or the spec's visits/seconds):
   Elo against visits, and against seconds, per move, one line per recipe and weights.
4. **Strength against training compute**: entrants with ``training`` metadata (the
   checkpoints of a run): Elo against CPU hours and against self-play (or expert) games,
   one line per recipe (per recipe and budget when those differ).
5. **Training cost**: the recipes side by side (the most trained entrant of each): games,
   steps, positions, CPU/GPU/wall hours, and per stage where the metadata gives stages
   (AlphaGo Lee: rollout, SL, RL, value; AlphaGo Zero: one loop).

Plots use matplotlib's Agg renderer through ``matplotlib.figure.Figure`` (no pyplot, no
display, the global backend untouched); without matplotlib the report is written with a
note in place of each plot.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import os
from pathlib import Path

from goengine.fileio import atomic_write_bytes, atomic_write_via

from goengine.agents import AgentSpec, parse_agent_spec

from .errors import ArenaError
from .arena import CONFIG_FILE, RESULTS_FILE, load_results
from .ladder import LADDER_FILE, TRAINING_NUMBERS, Entrant, Ladder, ladder_summary, load_ladder

__all__ = ["ReportError", "write_report", "training_totals"]

_NUMBER_NAMES = {"games": "games", "steps": "SGD steps", "positions": "positions",
                 "cpu_hours": "CPU hours", "gpu_hours": "GPU hours", "wall_hours": "wall hours"}


class ReportError(ArenaError):
    """A folder the report cannot be made from: the message says why."""


def write_report(folder: str | os.PathLike, out: str | os.PathLike | None = None, *,
                 title: str | None = None, discussion: str | os.PathLike | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (a folder: README.md plus the plots; a .md
    path: that file, the plots in ``<name>-plots/`` beside it; default ``folder/report``).
    ``discussion``: a Markdown file written by hand (what the figures show, the commands that
    made them), placed after the header, so that regenerating the report keeps it.
    Returns the Markdown file's path."""
    folder = Path(folder)
    if not (folder / RESULTS_FILE).is_file():
        raise ReportError(f"{folder} holds no {RESULTS_FILE}: not an arena or ladder folder")
    notes = ""
    if discussion is not None:
        try:
            notes = Path(discussion).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"discussion file {discussion}: {exc}") from None
    results = load_results(folder)
    ladder = _ladder_of(folder, results)
    summary = ladder_summary(results, ladder)
    out = Path(out) if out is not None else folder / "report"
    if out.suffix.lower() == ".md":
        md_path, plots = out, out.parent / f"{out.stem}-plots"
        plots_rel = f"{out.stem}-plots/"
    else:
        md_path, plots, plots_rel = out / "README.md", out, ""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    figures = _Figures(plots, plots_rel)
    entrants = {e.label: e for e in ladder.entrants}
    rated = [r for r in summary["ratings"]]
    parts = [_header(summary, ladder, folder, title),
             *([notes] if notes.strip() else []),
             _ratings_section(rated, entrants, summary),
             _winrate_section(rated, results, figures, folder),
             _thinking_section(rated, entrants, figures),
             _compute_section(rated, entrants, figures),
             _cost_section(entrants),
             _entrants_section(ladder)]
    text = "\n\n".join(p.strip("\n") for p in parts) + "\n"
    atomic_write_bytes(md_path, text.encode("utf-8"))
    return md_path


def _ladder_of(folder: Path, results) -> Ladder:
    """The folder's ladder.json, or a bare ladder of the labels in the results (an arena
    folder) with the rules of its arena.json."""
    if (folder / LADDER_FILE).is_file():
        try:
            return load_ladder(folder / LADDER_FILE)
        except ArenaError as exc:
            raise ReportError(str(exc)) from None
    import json
    labels: list[str] = []
    for r in results:
        for p in (r.a, r.b):
            if p not in labels:
                labels.append(p)
    if len(labels) < 2:
        raise ReportError(f"{folder}: fewer than two agents have games")
    rules = {}
    if (folder / CONFIG_FILE).is_file():
        rules = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8")).get("rules", {})
    entrants = tuple(_bare_entrant(p) for p in labels)
    return Ladder(entrants=entrants, pairings=(), size=rules.get("size", 9),
                  komi=rules.get("komi", 7.5), superko=rules.get("superko", "positional"),
                  max_moves=rules.get("max_moves"), anchor=labels[0], anchor_rating=0.0)


def _bare_entrant(label: str) -> Entrant:
    """An arena folder's agent: its label is often its spec (``mcts:visits=100``), which
    then gives its budget."""
    try:
        spec = parse_agent_spec(label)
    except ArenaError:
        return Entrant(label, AgentSpec(label, label, "unknown"))
    options = dict(spec.options)
    budget = {k: options[k] for k in ("visits", "seconds") if k in options}
    return Entrant(label, dataclasses.replace(spec, label=label), budget=budget)


# ============================================================================ numbers
def _val(x) -> float:
    """A summary number as a float: "inf"/"-inf" as infinities, None as NaN."""
    if x is None:
        return math.nan
    if isinstance(x, str):
        return math.inf if x == "inf" else -math.inf
    return float(x)


def _elo(x) -> str:
    v = _val(x)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return f"{v:.0f}"


def _num(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:,.0f}"
    return f"{int(x):,}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])


def _budget_text(entrant: Entrant | None) -> str:
    if entrant is None or not entrant.budget:
        return ""
    if "visits" in entrant.budget:
        return f"{_num(entrant.budget['visits'])} visits"
    return f"{entrant.budget['seconds']:g} s"


def training_totals(training: dict) -> dict:
    """The totals of a ``training`` object: its own numbers, else the sum over its stages."""
    stages = training.get("stages") or {}
    out = {}
    for key in TRAINING_NUMBERS:
        if training.get(key) is not None:
            out[key] = training[key]
        elif any(s.get(key) is not None for s in stages.values()):
            out[key] = sum(s.get(key) or 0 for s in stages.values())
    return out


def _line_name(entrant: Entrant) -> str:
    """The line an entrant belongs to in the thinking-time plot: recipe and weights."""
    if entrant.meta.get("line"):
        return str(entrant.meta["line"])
    recipe = entrant.recipe or entrant.spec.kind
    weights = dict(entrant.spec.options).get("weights")
    if weights:
        return f"{recipe} ({Path(str(weights)).name})"
    if entrant.spec.kind in ("zero", "policy"):
        return f"{recipe} (shipped net)"
    return recipe


# ============================================================================ sections
def _header(summary: dict, ladder: Ladder, folder: Path, title: str | None) -> str:
    rules = summary["rules"]
    elo = summary.get("elo") or {}
    heading = title or ladder.title or "Ladder report"
    lines = [f"# {heading}", ""]
    if ladder.description:
        lines += [ladder.description, ""]
    colours = summary["colours"]
    anchor = elo.get("anchor", ladder.anchor)
    anchor_rating = elo.get("anchor_rating", ladder.anchor_rating)
    level = round(100 * elo.get("confidence", ladder.confidence))
    kind = {"profile": "profile-likelihood", "wald": "Wald"}[elo.get("interval", ladder.interval)]
    lines.append(
        f"{summary['games']} games on {rules['size']}x{rules['size']}, komi {rules['komi']:g}, "
        f"area scoring, {rules['superko']} superko, move cap {rules['max_moves']}; black won "
        f"{colours['black_wins']}, white {colours['white_wins']}, draws {colours['draws']}. "
        f"Elo by maximum likelihood over all games (Bradley-Terry, logistic scale), "
        f"{anchor} fixed at {anchor_rating:g}; {level}% {kind} intervals (docs/arena.md "
        f"explains them, and why a perfect score gives an infinite estimate with a finite "
        f"bound).")
    lines += ["", f"Generated {datetime.date.today().isoformat()} from `{folder}` by "
                  f"`goengine-arena report {folder}`; the games are in `{folder}/games/` "
                  f"as SGF."]
    return "\n".join(lines)


def _ratings_section(rated: list[dict], entrants: dict, summary: dict) -> str:
    lines = ["## Ratings", ""]
    if not rated:
        return "\n".join(lines + ["No games yet: nothing to rate."])
    level = round(100 * (summary.get("elo") or {}).get("confidence", 0.95))
    rows = []
    for k, r in enumerate(rated, 1):
        e = entrants.get(r["player"])
        per_move = "" if r.get("seconds_per_move") is None else f"{r['seconds_per_move']:.2f}"
        visits = "" if r.get("visits_per_move") is None else f"{r['visits_per_move']:.0f}"
        playouts = "" if r.get("playouts_per_move") is None else f"{r['playouts_per_move']:.0f}"
        rows.append([str(k), f"`{r['player']}`", (e.recipe or "") if e else "",
                     _budget_text(e), _elo(r["rating"]),
                     f"[{_elo(r['low'])}, {_elo(r['high'])}]", str(r["games"]),
                     f"{100 * r['score']:.1f}%", per_move, visits, playouts])
    lines.append(_table(["rank", "entrant", "recipe", "budget", "Elo", f"{level}% interval",
                         "games", "score", "s/move", "visits/move", "playouts/move"], rows))
    return "\n".join(lines)


def repeated_games(folder: Path, results) -> dict:
    """{(a, b): (distinct, games)} for the pairings some of whose games are move for move
    the same (two deterministic players replay their games: such games are not independent
    evidence). Read from the games' SGF files; a missing or unreadable file counts as distinct."""
    from goengine.sgf import read_sgf
    seen: dict = {}
    for r in results:
        key = (r.a, r.b)
        try:
            moves = (r.black, tuple(read_sgf(folder / r.sgf).moves)) if r.sgf else None
        except (OSError, ValueError):  # SGFError is a ValueError
            moves = None
        seen.setdefault(key, []).append(moves if moves is not None else object())
    out = {}
    for key, games in seen.items():
        distinct = len(set(games))
        if distinct < len(games):
            out[key] = (distinct, len(games))
    return out


def _winrate_section(rated: list[dict], results, figures: _Figures, folder: Path | None = None) -> str:
    lines = ["## Win rates", ""]
    players = [r["player"] for r in rated]
    if len(players) < 2:
        return "\n".join(lines + ["Too few rated entrants for a win-rate matrix."])
    points = {(a, b): [0.0, 0] for a in players for b in players}
    for r in results:
        if r.a in players and r.b in players:
            for me, other in ((r.a, r.b), (r.b, r.a)):
                points[(me, other)][0] += r.score_for(me)
                points[(me, other)][1] += 1
    rows = []
    for a in players:
        row = [f"`{a}`"]
        for b in players:
            score, games = points[(a, b)]
            row.append("" if a == b else "–" if not games
                       else f"{100 * score / games:.0f}% ({_num(score)}/{games})")
        rows.append(row)
    lines.append("The row's score against the column (wins plus half the draws, out of the "
                 "games played); entrants in rating order.")
    lines += ["", _table(["", *[f"`{b}`" for b in players]], rows), ""]
    matrix = [[math.nan if a == b or not points[(a, b)][1]
               else points[(a, b)][0] / points[(a, b)][1] for b in players] for a in players]
    counts = [[points[(a, b)][1] for b in players] for a in players]
    lines.append(figures.heatmap("winrate.png", players, matrix, counts))
    repeated = repeated_games(folder, results) if folder is not None else {}
    if repeated:
        lines += ["", "Pairings whose games repeat move for move (deterministic players; the "
                      "ratings count every game, so their intervals are too narrow): "
                  + ", ".join(f"`{a}`-`{b}` {d} distinct of {n}" for (a, b), (d, n) in sorted(repeated.items()))
                  + "."]
    return "\n".join(lines)


def _points(rated: list[dict], entrants: dict, x_of) -> dict:
    """{line name: [(x, rating, low, high, label)]} for the rated entrants with an x."""
    lines: dict = {}
    for r in rated:
        e = entrants.get(r["player"])
        if e is None:
            continue
        found = x_of(e)
        if found is None:
            continue
        name, x = found
        lines.setdefault(name, []).append((float(x), _val(r["rating"]), _val(r["low"]),
                                           _val(r["high"]), r["player"]))
    for pts in lines.values():
        pts.sort()
    return lines


def _thinking_section(rated: list[dict], entrants: dict, figures: _Figures) -> str:
    out = ["## Strength against thinking time", ""]
    drawn = 0
    for key, unit in (("visits", "visits per move"), ("seconds", "seconds per move")):
        lines = _points(rated, entrants, lambda e, key=key: (_line_name(e), e.budget[key])
                        if key in e.budget else None)
        lines = {name: pts for name, pts in lines.items() if len({p[0] for p in pts}) >= 2}
        if not lines:
            continue
        drawn += 1
        out.append(figures.lines(f"elo_vs_{key}.png", lines, unit, f"Elo against {unit}",
                                 log_x=True))
        out += ["", _points_table(lines, unit), ""]
    if not drawn:
        out.append("Too little data: this needs two or more entrants of one recipe and weights "
                   "with different visits (or seconds) per move.")
    return "\n".join(out)


def _compute_section(rated: list[dict], entrants: dict, figures: _Figures) -> str:
    out = ["## Strength against training compute", ""]
    with_training = [e for e in entrants.values() if training_totals(e.training)]
    budgets_of: dict = {}
    for e in with_training:
        budgets_of.setdefault(e.recipe or e.spec.kind, set()).add(_budget_text(e))

    def line(e: Entrant) -> str:
        recipe = e.recipe or e.spec.kind
        budget = _budget_text(e)
        return f"{recipe} @ {budget}" if len(budgets_of[recipe]) > 1 and budget else recipe

    drawn = 0
    for key, unit in (("cpu_hours", "training CPU hours"), ("games", "training games")):
        lines = _points(rated, entrants, lambda e, key=key: (line(e), training_totals(
            e.training)[key]) if key in training_totals(e.training) else None)
        if sum(len(p) for p in lines.values()) < 2:
            continue
        drawn += 1
        out.append(figures.lines(f"elo_vs_{key}.png", lines, unit, f"Elo against {unit}",
                                 log_x=False))
        out += ["", _points_table(lines, unit), ""]
    if not drawn:
        out.append("Too little data: this needs two or more rated entrants whose ladder "
                   "entries give `training` with `cpu_hours` or `games` (the checkpoints of a "
                   "training run).")
    return "\n".join(out)


def _points_table(lines: dict, unit: str) -> str:
    rows = [[name, f"`{label}`", _num(x), _elo(rating), f"[{_elo(lo)}, {_elo(hi)}]"]
            for name, pts in lines.items() for x, rating, lo, hi, label in pts]
    return _table(["line", "entrant", unit, "Elo", "interval"], rows)


def _cost_section(entrants: dict) -> str:
    out = ["## Training cost of the recipes", ""]
    best: dict = {}
    for e in entrants.values():
        totals = training_totals(e.training)
        if not totals:
            continue
        recipe = e.recipe or e.spec.kind
        key = (totals.get("cpu_hours", 0) + totals.get("gpu_hours", 0),
               totals.get("games", 0), totals.get("steps", 0))
        if recipe not in best or key > best[recipe][0]:
            best[recipe] = (key, e, totals)
    if not best:
        return "\n".join(out + ["No entrant gives `training` metadata: nothing to compare."])
    recipes = sorted(best)
    out.append("The most trained entrant of each recipe: what it cost to make it (totals; a "
               "stage's own numbers below).")
    header = [""] + [f"{r} (`{best[r][1].label}`)" for r in recipes]
    rows = []
    for key in TRAINING_NUMBERS:
        if any(key in best[r][2] for r in recipes):
            rows.append([_NUMBER_NAMES[key]] + [_num(best[r][2].get(key)) for r in recipes])
    rows.append(["stages"] + [", ".join(best[r][1].training.get("stages") or {}) or "one"
                              for r in recipes])
    out.append("")
    out.append(_table(header, rows))
    stage_rows = []
    for r in recipes:
        for name, stage in (best[r][1].training.get("stages") or {}).items():
            stage_rows.append([r, name] + [_num(stage.get(k)) for k in TRAINING_NUMBERS])
    if stage_rows:
        keep = [i for i, _ in enumerate(TRAINING_NUMBERS) if any(row[2 + i] for row in stage_rows)]
        out += ["", _table(["recipe", "stage"] + [_NUMBER_NAMES[TRAINING_NUMBERS[i]] for i in keep],
                           [row[:2] + [row[2 + i] for i in keep] for row in stage_rows])]
    if len(recipes) < 2:
        out += ["", f"Only {recipes[0]} gives training metadata: no side-by-side comparison."]
    return "\n".join(out)


def _entrants_section(ladder: Ladder) -> str:
    rows = [[f"`{e.label}`", f"`{e.spec.text}`", e.recipe or "", _budget_text(e),
             ("retired; " if e.retired else "") + (e.note or "")] for e in ladder.entrants]
    return "\n".join(["## Entrants", "", _table(["entrant", "spec", "recipe", "budget", "note"],
                                                 rows)])


# ============================================================================ plots
class _Figures:
    """PNG plots into one folder; each method returns the Markdown that shows the plot, or
    a one-line note when matplotlib is missing."""

    def __init__(self, folder: Path, rel: str):
        self.folder = folder
        self.rel = rel
        try:
            from matplotlib.figure import Figure
        except ImportError:
            Figure = None
        self.Figure = Figure

    def _save(self, fig, name: str, alt: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        atomic_write_via(self.folder / name, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        return f"![{alt}]({self.rel}{name})"

    def _missing(self, what: str) -> str:
        return f"(The {what} plot needs matplotlib: `pip install matplotlib`.)"

    def heatmap(self, name: str, players: list[str], matrix, counts) -> str:
        if self.Figure is None:
            return self._missing("win-rate")
        import numpy as np
        n = len(players)
        fig = self.Figure(figsize=(2.2 + 0.9 * n, 1.6 + 0.8 * n))
        ax = fig.add_subplot()
        data = np.ma.masked_invalid(np.array(matrix, dtype=float))
        image = ax.imshow(data, cmap="RdYlGn", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(n), labels=players, rotation=40, ha="right")
        ax.set_yticks(range(n), labels=players)
        for i in range(n):
            for j in range(n):
                if counts[i][j] and i != j:
                    ax.text(j, i, f"{100 * matrix[i][j]:.0f}%\n{counts[i][j]}", ha="center",
                            va="center", fontsize=7)
        ax.set_title("score of row against column (games below)")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        return self._save(fig, name, "win-rate matrix")

    def lines(self, name: str, lines: dict, xlabel: str, title: str, log_x: bool) -> str:
        if self.Figure is None:
            return self._missing(title)
        fig = self.Figure(figsize=(6.4, 4.2))
        ax = fig.add_subplot()
        skipped = drawn = 0
        for line_name, pts in sorted(lines.items()):
            finite = [p for p in pts if math.isfinite(p[1])]
            skipped += len(pts) - len(finite)
            if not finite:
                continue
            drawn += 1
            xs = [p[0] for p in finite]
            ys = [p[1] for p in finite]
            low = [p[1] - p[2] if math.isfinite(p[2]) else 0.0 for p in finite]
            high = [p[3] - p[1] if math.isfinite(p[3]) else 0.0 for p in finite]
            ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, label=line_name)
        if not drawn:
            return (f"(No plot of {title[0].lower() + title[1:]}: every rating on it is "
                    f"infinite, a perfect or a zero score; the table gives the bounds.)")
        if log_x and all(x > 0 for pts in lines.values() for x, *_ in pts):
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Elo")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        markdown = self._save(fig, name, title)
        if skipped:
            markdown += (f"\n\n({skipped} entrant(s) with an infinite rating, a perfect or a "
                         f"zero score, are not drawn; the table gives their bounds.)")
        return markdown
