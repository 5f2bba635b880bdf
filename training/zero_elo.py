"""Elo of a Zero run's promoted generations against the first, measured by matches, as a PNG.

    python -m training.zero_elo --run runs/zero9 --games 20 --every 3 --out runs/zero9/elo.png

The gating chain in state.json already gives an Elo per promoted generation, but it chains
small matches (each against its predecessor), so its errors add up and it cannot show a
generation that beats its parent yet is weaker than an older one. This command plays each
chosen promoted generation against generation 0 and against the previously chosen one
(`--games` each, colours alternating, the gating search), rates every game at once by maximum
likelihood (selfplay/elo.py, generation 0 at 0 Elo, 95% profile intervals) and plots both
curves against the self-play games it took to reach each generation.

Every game is appended to ``<run>/elo/games.jsonl`` as it ends (rerunning skips what is
there, so the command resumes); the ratings go to ``<run>/elo/elo.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from goengine.fileio import atomic_write_bytes, read_jsonl
from selfplay.elo import fit_elo


def promoted_generations(state: dict) -> list[int]:
    return [0] + [h["generation"] for h in state["history"] if h["promoted"]]


def chosen(generations: list[int], every: int) -> list[int]:
    """Generation 0, every `every`-th promoted generation after it, and always the newest."""
    picked = generations[::every]
    if generations[-1] not in picked:
        picked.append(generations[-1])
    return picked


def games_before(run: Path) -> dict[int, int]:
    """Self-play games played before each generation's network existed (from stats.jsonl)."""
    per_gen: dict[int, int] = {}
    for row in read_jsonl(run / "stats.jsonl"):
        if row.get("stage") == "selfplay":
            per_gen[row["generation"]] = row.get("games", 0)
    out, total = {}, 0
    for g in range(max(per_gen, default=0) + 2):
        out[g] = total
        total += per_gen.get(g, 0)
    return out


def _read_games(path: Path) -> list[dict]:
    return read_jsonl(path, stop_at_bad_line=True)  # a torn game is played again


def play_pairs(run, pairs: list[tuple[int, int]], games: int, path: Path, log=print) -> list[dict]:
    """Play the missing games of each (a, b) pair of generations; return every game on file."""
    from goengine.models import load

    cfg = run.config
    return play_games(pairs, games, path,
                      model_for=lambda g: load(run.model_path(g), kind="zero", board_size=cfg.size).to(run.device),
                      evaluator_for=run.evaluator, mcfg=run.gating_config(), size=cfg.size, komi=cfg.komi,
                      seed_base=cfg.seed * 7717, name=lambda g: f"gen {g}", log=log)


def play_games(pairs, games: int, path: Path, *, model_for, evaluator_for, mcfg, size: int, komi: float,
               seed_base: int = 0, name=str, log=print) -> list[dict]:
    """Play the missing games of each (a, b) pair of players (ints), appending each game to the
    JSON-lines file `path` as it ends (a torn last line is dropped and its game replayed);
    return every game on file. model_for(player) loads a network, evaluator_for(model, seed)
    wraps it; colours alternate and each pair's seed depends only on (a, b)."""
    from selfplay.netmatch import play_net_match

    rows = _read_games(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in rows).encode())
    for a, b in pairs:
        done = {r["game"] for r in rows if (r["a"], r["b"]) == (a, b)}
        if len(done) >= games:
            continue
        log(f"{name(a)} vs {name(b)}: {games - len(done)} games")
        seed = seed_base + a * 131 + b
        models = [model_for(g) for g in (a, b)]
        with open(path, "a") as f:
            for mg in play_net_match(evaluator_for(models[0], seed), evaluator_for(models[1], seed + 1), games,
                                     mcfg, size=size, komi=komi, rng=seed, skip=done):
                row = {"a": a, "b": b, "game": mg.index, "a_color": "B" if mg.a_color == 1 else "W",
                       "a_won": bool(mg.a_won), "draw": mg.winner == 0, "result": mg.result, "moves": mg.moves}
                f.write(json.dumps(row) + "\n")
                f.flush()
                os.fsync(f.fileno())
                rows.append(row)
    return rows


def rate(rows: list[dict], generations: list[int]) -> dict:
    games = [(r["a"], r["b"], 0.5 if r.get("draw") else float(r["a_won"])) for r in rows]
    fit = fit_elo(games, anchor=0, anchor_rating=0.0)
    out = {}
    for g in generations:
        if g not in fit.players:
            continue
        lo, hi = fit.rating_interval(g)
        out[g] = {"elo": fit.diff(g, 0), "low": lo, "high": hi,
                  "games": sum(1 for r in rows if g in (r["a"], r["b"]))}
    return out


def plot(path: Path, ratings: dict, chain: dict, games_at: dict, title: str, labels: dict | None = None,
         ylabel: str = "Elo (generation 0 = 0)", xlabel: str = "self-play games before the generation",
         curve: str = "matches vs generation 0 and the previous point (ML, 95%)") -> None:
    """Both Elo curves against self-play games; `labels` names the points (default: the key)."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))

    def name_points(keys, xs, ys):
        for g, xi, yi in zip(keys, xs, ys):
            ax.annotate((labels or {}).get(g, str(g)), (xi, yi), textcoords="offset points", xytext=(3, 5), fontsize=7)

    gens = sorted(chain)
    if gens:
        ax.plot([games_at.get(g, 0) for g in gens], [chain[g] for g in gens], "--", color="0.6",
                marker=".", label="gating chain (each vs its predecessor)")
    gens = sorted(g for g in ratings if math.isfinite(ratings[g]["elo"]))
    if gens:
        x = np.array([games_at.get(g, 0) for g in gens])
        y = np.array([ratings[g]["elo"] for g in gens])
        lo = np.array([ratings[g]["low"] for g in gens])
        hi = np.array([ratings[g]["high"] for g in gens])
        lo = np.where(np.isfinite(lo), lo, y)
        hi = np.where(np.isfinite(hi), hi, y)
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", color="C0", capsize=3,
                    label=curve)
        name_points(gens, x, y)
    # a perfect score somewhere between a point and generation 0 leaves it no finite ML rating:
    # draw the 95% lower bound instead
    bounded = sorted(g for g in ratings if not math.isfinite(ratings[g]["elo"]) and math.isfinite(ratings[g]["low"]))
    if bounded:
        x = [games_at.get(g, 0) for g in bounded]
        y = [ratings[g]["low"] for g in bounded]
        ax.plot(x, y, "^", color="C3", label="no finite rating (a perfect score on its way to the first): 95% lower bound")
        name_points(bounded, x, y)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def finite(x: float):
    """x, or None where it is infinite or NaN (strict JSON: a perfect score has no finite Elo)."""
    return x if math.isfinite(x) else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.zero_elo", description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a goengine-train zero run folder")
    parser.add_argument("--games", type=int, default=20, help="games per pair of generations (0: plot the chain only)")
    parser.add_argument("--every", type=int, default=1, help="rate every k-th promoted generation (and the newest)")
    parser.add_argument("--out", help="PNG path (default <run>/elo/elo.png)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.games < 0 or args.every < 1:
        parser.error("--games must be >= 0 and --every >= 1")
    import torch
    from .zero import ZeroRun

    torch.set_num_threads(args.threads)
    folder = Path(args.run)
    if not (folder / "state.json").exists():
        print(f"zero_elo: {folder} is not a Zero run folder (no state.json)", file=sys.stderr)
        return 2
    log = (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    run = ZeroRun(folder, log=log, progress=False, lock=False)  # reads the run, may run beside it
    gens = chosen(promoted_generations(run.state), args.every)
    pairs = [(g, 0) for g in gens[1:]] + [(g, h) for h, g in zip(gens[1:], gens[2:])]
    ratings = {}
    if args.games and len(gens) > 1:
        rows = play_pairs(run, pairs, args.games, folder / "elo" / "games.jsonl", log=log)
        ratings = rate([r for r in rows if (r["a"], r["b"]) in set(pairs)], gens)
    chain = {int(k): v for k, v in run.state["elo"].items()}
    games_at = games_before(folder)
    out = Path(args.out) if args.out else folder / "elo" / "elo.png"
    init = json.loads((folder / "config.json").read_text()).get("initial_weights")
    title = (f"{folder.name}: promoted generations"
             + (f" (generation 0 = {Path(init).name})" if init else " (generation 0 = random init)"))
    plot(out, ratings, chain, games_at, title)
    summary = {"pairs": pairs, "games_per_pair": args.games,
               "ratings": {str(g): {k: finite(v) if isinstance(v, float) else v for k, v in r.items()}
                           for g, r in ratings.items()},
               "chain": chain,
               "games_before": {str(g): games_at.get(g, 0) for g in gens}}
    atomic_write_bytes(folder / "elo" / "elo.json", (json.dumps(summary, indent=2) + "\n").encode())
    print(f"{'gen':>4} {'games':>7} {'chain':>7} {'elo':>7}  95% interval")
    for g in gens:
        r = ratings.get(g)
        cell = (f"{r['elo']:+7.0f}  [{r['low']:+.0f}, {r['high']:+.0f}]" if r else f"{'':>7}")
        print(f"{g:>4} {games_at.get(g, 0):>7} {chain.get(g, float('nan')):+7.0f} {cell}")
    print(f"plot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
