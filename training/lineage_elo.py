"""Elo along a lineage of Zero networks, each trained from the one before, as a PNG.

    python -m training.lineage_elo goengine/weights/zero-9x9-gen13.pt goengine/weights/zero-9x9-gen52.pt \\
        goengine/weights/zero-9x9.pt --games 16 --work runs/lineage --out docs/img/zero9-lineage.png

A network continued by `goengine-train zero --init` starts a new run whose generation 0 is
its parent, so training.zero_elo rates one run at a time. This command rates a whole chain of
runs: each network plays the first one and the one before it (`--games` each, colours
alternating, the gating search of 64 simulations), every game is rated at once by maximum
likelihood (the first network at 0 Elo, 95% profile intervals) and the ratings are plotted
against the self-play games behind each network: the sum of the games its checkpoint and those
before it record (each network's run counts its own games, so the chain must be given in
training order, each network the parent of the next).

Games are appended to ``<work>/games.jsonl`` as they end (a rerun skips them: it resumes);
the ratings go to ``<work>/elo.json``. Appending a newer network to the list keeps the games
played; any other change to the list needs a new work folder.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from goengine.fileio import atomic_write_bytes

from .zero_elo import finite, play_games, plot, rate


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check_work(work: Path, networks: list[Path]) -> None:
    """Refuse a work folder whose games were played by another list of networks; a list that
    extends the stored one (a newer network appended) keeps the games already played."""
    index = work / "networks.json"
    listed = [{"path": str(p), "sha256": _digest(p)} for p in networks]
    if index.exists():
        stored = json.loads(index.read_text())
        if [n["sha256"] for n in stored] != [n["sha256"] for n in listed[:len(stored)]]:
            raise ValueError(f"{work}: its games were played by other networks ({', '.join(n['path'] for n in stored)}); "
                             "give a new --work folder, or those networks in that order with newer ones after them")
        if len(stored) == len(listed):
            return
    work.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(index, (json.dumps(listed, indent=2) + "\n").encode())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.lineage_elo", description=__doc__.split("\n")[0])
    parser.add_argument("networks", nargs="+", help="ZeroNet checkpoints in training order, oldest first")
    parser.add_argument("--games", type=int, default=16, help="games per pair of networks")
    parser.add_argument("--visits", "--simulations", dest="simulations", type=int, default=64, metavar="N",
                        help="visits (search simulations) per move (--simulations is the old name)")
    parser.add_argument("--work", default="runs/lineage-elo", help="folder for the games and ratings (resumable)")
    parser.add_argument("--out", help="PNG path (default <work>/elo.png)")
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if len(args.networks) < 2 or args.games < 1 or args.simulations < 1:
        parser.error("give at least two networks, --games >= 1 and --simulations >= 1")
    import numpy as np
    import torch

    from goengine.models import CheckpointError, PolicyValueEvaluator, load
    from .zero_config import ZeroConfig, gating_search

    torch.set_num_threads(args.threads)
    paths = [Path(p) for p in args.networks]
    try:
        models = [load(p, kind="zero") for p in paths]
    except CheckpointError as exc:
        print(f"lineage_elo: {exc}", file=sys.stderr)
        return 2
    sizes = {m.config.board_size for m in models}
    if len(sizes) != 1:
        print(f"lineage_elo: networks for several board sizes {sorted(sizes)}", file=sys.stderr)
        return 2
    size = sizes.pop()
    work = Path(args.work)
    try:
        _check_work(work, paths)
    except ValueError as exc:
        print(f"lineage_elo: {exc}", file=sys.stderr)
        return 2
    log = (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    stems = [p.stem for p in paths]
    names = {i: stem if stems.count(stem) == 1 else f"{i}:{stem}" for i, stem in enumerate(stems)}
    n = len(paths)
    pairs = [(i, 0) for i in range(1, n)] + [(i, i - 1) for i in range(2, n)]

    def evaluator_for(model, seed):
        return PolicyValueEvaluator(model, symmetries="random", rng=np.random.default_rng(seed), backend="torch")

    rows = play_games(pairs, args.games, work / "games.jsonl", model_for=lambda i: models[i],
                      evaluator_for=evaluator_for,
                      mcfg=gating_search(ZeroConfig(gating_simulations=args.simulations)),
                      size=size, komi=args.komi, seed_base=args.seed * 7717, name=names.get, log=log)
    ratings = rate([r for r in rows if (r["a"], r["b"]) in set(pairs)], list(range(n)))
    games_at, total = {}, 0
    for i, m in enumerate(models):
        total += int(m.meta.get("games", 0))
        games_at[i] = total
    out = Path(args.out) if args.out else work / "elo.png"
    plot(out, ratings, {}, games_at, f"lineage of {n} networks, each trained from the one before",
         labels=names, ylabel=f"Elo ({names[0]} = 0)", xlabel="self-play games behind the network (all its runs)",
         curve=f"matches vs {names[0]} and the previous network (ML, 95%)")

    summary = {"networks": [str(p) for p in paths], "games_per_pair": args.games, "simulations": args.simulations,
               "ratings": {names[i]: {k: finite(v) if isinstance(v, float) else v for k, v in r.items()}
                           for i, r in ratings.items()},
               "games_before": {names[i]: games_at[i] for i in range(n)}}
    atomic_write_bytes(work / "elo.json", (json.dumps(summary, indent=2) + "\n").encode())
    print(f"{'network':<24} {'games':>7} {'elo':>7}  95% interval")
    for i in range(n):
        r = ratings.get(i)
        cell = f"{r['elo']:+7.0f}  [{r['low']:+.0f}, {r['high']:+.0f}]" if r else ""
        print(f"{names[i]:<24} {games_at[i]:>7} {cell}")
    print(f"plot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
