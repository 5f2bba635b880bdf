"""Learning curves: the Elo of a Zero run's networks against fixed opponents, against the
hours the run took and the self-play games it played, for one or several runs on one plot.

    python -m training.curve --run runs/eff9 --run runs/agz9 --every 10 --games 20 --visits 200 \\
        --opponent "gnugo1=gtp:gnugo --mode gtp --level 1 --chinese-rules --positional-superko" \\
        --opponent "shipped=zero:weights=goengine/weights/zero-9x9.pt,lambda=0" \\
        --out docs/img/zero9-curves.png

Each point is a match of a run's network (generation 0, every `--every`-th network the run
kept and its newest) at `--visits` visits a move with its own search (lambda=0) against one
opponent, which plays at the same visits when it is a goengine search agent without its
own visits= or seconds=. The strength protocol of docs/zero.md: fixed visits, `--games` and
`--seed` fixed before the first game, colours alternating, `--opening-moves` random
opening moves shared by each pair of games, one game at a time (`--jobs`), Elo with its
95% interval (profile likelihood) against the opponent at 0. Every match is an ordinary
arena folder, ``<run>/curve/<opponent>/gen_NNNN``, resumable like any: the command can be
stopped and given again, and it adds the points a longer run has since.

The x axis is the wall time of the run's stages as stats.jsonl logged them (self-play,
training, gating and anchor checks), on the machine the run used: "hours" below. Results
go to ``<run>/curve/curve.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from goengine.fileio import atomic_write_bytes, read_jsonl

__all__ = ["run_hours", "curve_points", "measure_run"]


def run_hours(run: Path) -> dict[int, dict]:
    """Per generation g: the hours and self-play games the run had spent when generation g's
    network existed (every stage before g's training ended: self-play of 0..g-1, training
    and gating of 1..g), from stats.jsonl."""
    rows = read_jsonl(run / "stats.jsonl")
    spent: dict[int, float] = {}
    games: dict[int, int] = {}
    for row in rows:
        g, stage = row["generation"], row["stage"]
        owner = g + 1 if stage == "selfplay" else g  # generation g's games make network g+1
        spent[owner] = spent.get(owner, 0.0) + float(row.get("seconds", 0.0))
        if stage == "selfplay":
            games[owner] = games.get(owner, 0) + int(row.get("games", 0))
    out, hours, played = {}, 0.0, 0
    for g in range(0, max(spent, default=0) + 1):
        hours += spent.get(g, 0.0) / 3600
        played += games.get(g, 0)
        out[g] = {"hours": round(hours, 6), "games": played}
    return out


def _networks(run: Path, every: int) -> list[int]:
    """Generation 0, every `every`-th kept network and the newest (models/gen_NNNN.pt)."""
    kept = sorted(int(p.stem.split("_")[1]) for p in (run / "models").glob("gen_*.pt"))
    picked = [g for g in kept if g % every == 0]
    if kept and kept[-1] not in picked:
        picked.append(kept[-1])
    return picked


def measure_run(run: Path, opponents: list[str], every: int, games: int, visits: int, seed: int,
                opening_moves: int, jobs: int, threads: int, log=print) -> list[dict]:
    """Play (or finish) every point's match; the points, also written to curve/curve.json."""
    from goengine.agents import parse_agent_spec
    from selfplay.arena import ArenaConfig, run_arena

    config = json.loads((run / "config.json").read_text())
    hours = run_hours(run)
    points = []
    for opponent in opponents:
        spec = parse_agent_spec(opponent)
        if spec.kind in ("zero", "lee", "mcts") and not ({"visits", "seconds"} & dict(spec.options).keys()):
            spec = spec.with_options({"visits": visits})
        for g in _networks(run, every):
            weights = (run / "models" / f"gen_{g:04d}.pt").resolve()
            mine = f"gen{g}=zero:weights={weights},visits={visits},lambda=0,resign=-0.9"
            folder = run / "curve" / spec.label / f"gen_{g:04d}"
            log(f"{run.name}: generation {g} against {spec.label}, {games} games at {visits} visits")
            summary = run_arena([mine, spec], folder, ArenaConfig(
                size=config["size"], komi=config["komi"], games=games, seed=seed, jobs=jobs,
                threads=threads, opening_moves=opening_moves, anchor=spec.label), progress=False)
            (pair,) = summary["pairings"]
            elo, lo, hi = (_float(pair[k]) for k in ("elo", "low", "high"))  # "inf" for a clean sweep
            if pair["a"] != f"gen{g}":  # the network's side of the pairing
                elo, lo, hi = -elo, -hi, -lo
            points.append({"run": run.name, "opponent": spec.label, "generation": g,
                           **hours.get(g, {"hours": None, "games": None}), "games_played": pair["games"],
                           "score": round(pair["a_score"] if pair["a"] == f"gen{g}" else 1 - pair["a_score"], 4),
                           "elo": elo, "low": lo, "high": hi})
    shown = [{k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in p.items()}
             for p in points]
    atomic_write_bytes(run / "curve" / "curve.json", (json.dumps(shown, indent=1) + "\n").encode(),
                       make_parents=True)
    return points


def _float(x) -> float:
    return float("nan") if x is None else float(x)


def curve_points(points: list[dict]) -> dict[tuple, list[dict]]:
    """The points by (run, opponent), in generation order."""
    out: dict[tuple, list[dict]] = {}
    for p in points:
        out.setdefault((p["run"], p["opponent"]), []).append(p)
    return {k: sorted(v, key=lambda p: p["generation"]) for k, v in out.items()}


def _plot(points: list[dict], path: Path, visits: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for (run, opponent), line in curve_points(points).items():
        rated = [p for p in line if math.isfinite(p["elo"])]  # a clean sweep has no finite rating
        for ax, x in zip(axes, ("hours", "games")):
            ys = [p["elo"] for p in rated]
            err = [[min(p["elo"] - p["low"], 800) for p in rated], [min(p["high"] - p["elo"], 800) for p in rated]]
            ax.errorbar([p[x] for p in rated], ys, yerr=err, marker="o", capsize=3, label=f"{run} vs {opponent}")
    axes[0].set_xlabel("hours of the run's stages")
    axes[1].set_xlabel("self-play games")
    axes[0].set_ylabel(f"Elo against the opponent (0), {visits} visits a move")
    for ax in axes:
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.curve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, action="append", required=True, help="a Zero run folder (repeat)")
    parser.add_argument("--opponent", action="append", required=True, metavar="SPEC",
                        help="an arena agent spec with a label, e.g. gnugo1=gtp:gnugo ... (repeat)")
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--games", type=int, default=20)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--opening-moves", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="a PNG of the curves")
    args = parser.parse_args(argv)
    from goengine.errors import RunError, SpecError
    points = []
    try:
        for run in args.run:
            if not (run / "config.json").exists():
                raise ValueError(f"{run}: not a Zero run folder (no config.json)")
            points += measure_run(run, args.opponent, args.every, args.games, args.visits, args.seed,
                                  args.opening_moves, args.jobs, args.threads)
    except (ValueError, OSError, RunError, SpecError) as exc:
        print(f"training.curve: {exc}", file=sys.stderr)
        return 2
    for p in points:
        print(json.dumps({k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in p.items()}))
    if args.out:
        _plot(points, args.out, args.visits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
