"""How well a network's ownership head reads who ends up owning each point, on self-play
games it never trained on, by move number.

    python -m training.ownership --run runs/zero9 --out docs/img/zero9-ownership.png
    python -m training.ownership --run runs/zero9 --gtp 200     # the same through goengine-gtp

By default the run's newest network is measured on the games it played itself (a
generation's games are in the replay window of the generations after it only, so they are
held out for their own player); `--model` and `--shards` choose others. Only games that were
scored count (a resigned game has no final position), and only points that someone owns at
the end (a dame or seki point has no sign). For each position the figure is the share of
those points where the sign of the head's ownership equals the final owner's; the summary
is the mean over positions from move `--from-move` (30) on, and a table per block of moves.

With `--gtp K`, the figure is measured as a GUI sees it: K positions from move 30 on of the
same games (their SGFs) are loaded into a `goengine-gtp --agent zero:weights=...` process
(`loadsgf FILE MOVE`), and the ownership of its `kata-analyze ... ownership true` (the side
to move's view, turned to Black's) is compared with each game's final owner.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from selfplay.records import list_shards, read_shard

__all__ = ["move_numbers", "ownership_agreement", "agreement_by_move"]


def move_numbers(game: np.ndarray) -> np.ndarray:
    """The move number of each sample of a shard (its rank within its game: the rows of a
    game are stored in move order, from its first move)."""
    out = np.zeros(game.size, dtype=np.int64)
    for k in range(1, game.size):
        out[k] = out[k - 1] + 1 if game[k] == game[k - 1] else 0
    return out


def ownership_agreement(model, shards: list, batch_size: int = 512, device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """(move number, agreement) of every scored position of `shards`: the share of its owned
    points where the sign of the model's ownership matches the final owner."""
    import torch

    from goengine.features import history_planes
    if not getattr(model, "has_ownership", False):
        raise ValueError("the network has no ownership head (AlphaGo Zero's heads): give one with pooled heads")
    model = model.to(device).eval()
    moves, agree = [], []
    for path in shards:
        data = read_shard(path)
        rows = np.flatnonzero(data["final"])
        if rows.size == 0:
            continue
        number = move_numbers(data["game"])[rows]
        size = int(data["size"])
        for start in range(0, rows.size, batch_size):
            part = rows[start:start + batch_size]
            x = torch.from_numpy(history_planes(model.config.feature_set, data["stones"][part],
                                                data["to_play"][part], size)).to(device)
            with torch.inference_mode():
                predicted = model.forward_all(x)["ownership"].reshape(part.size, -1).cpu().numpy()
            owner = data["ownership"][part].astype(np.float32)
            owned = owner != 0
            hits = (np.sign(predicted) == owner) & owned
            agree.append(hits.sum(1) / np.maximum(owned.sum(1), 1))
        moves.append(number)
    if not moves:
        raise ValueError("no scored games in the shards (every game was resigned?)")
    return np.concatenate(moves), np.concatenate(agree)


def agreement_by_move(moves: np.ndarray, agree: np.ndarray, block: int = 10) -> list[dict]:
    """Mean agreement and position count per block of `block` moves."""
    out = []
    for lo in range(0, int(moves.max()) + 1, block):
        sel = (moves >= lo) & (moves < lo + block)
        if sel.any():
            out.append({"moves": f"{lo}-{lo + block - 1}", "positions": int(sel.sum()),
                        "agreement": round(float(agree[sel].mean()), 4)})
    return out


def gtp_agreement(model_path: Path, sgfs: list[Path], positions: int, from_move: int = 30,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(move number, agreement) of `positions` positions drawn from `sgfs` (games that were
    scored, from move `from_move` on), the ownership read from goengine-gtp's kata-analyze."""
    import subprocess

    from goengine.coords import BLACK
    from goengine.sgf import read_sgf
    from selfplay.records import area_ownership
    rng = np.random.default_rng(seed)
    games = []
    for path in sgfs:
        record = read_sgf(path)
        if record.result and record.result.endswith("+R") or len(record.moves) <= from_move:
            continue
        game = record.to_game()
        games.append((path, record.size, [c for c, _ in record.moves],
                      area_ownership(game.recent_stones(1)[0], record.size)))
    if not games:
        raise ValueError("no scored game with more than --from-move moves among the SGFs")
    proc = subprocess.Popen([sys.executable, "-m", "gtp", "--agent", f"zero:weights={model_path},visits=2",
                             "--threads", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def reply(command: str) -> list[str]:
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        lines = []
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"goengine-gtp ended after {command!r}")
            if line == "\n" and lines:
                return lines
            if line != "\n":
                lines.append(line.rstrip("\n"))

    moves, agree = [], []
    try:
        for _ in range(positions):
            path, size, colours, owner = games[int(rng.integers(len(games)))]
            k = int(rng.integers(from_move, len(colours)))  # k moves played: loadsgf's move k + 1
            reply(f"boardsize {size}")
            assert reply(f"loadsgf {path} {k + 1}")[0].startswith("=")
            proc.stdin.write("kata-analyze interval 10 ownership true\n")
            proc.stdin.flush()
            line = proc.stdout.readline()  # "=" then info lines
            while not line.startswith("info"):
                line = proc.stdout.readline()
            reply("name")  # stops the stream; its reply ends with the blank line
            values = np.array(line.split(" ownership ")[1].split(), dtype=np.float64)
            to_play = colours[k]  # the colour of the next move in the record
            black_view = values if to_play == BLACK else -values
            owned = owner != 0
            moves.append(k)
            agree.append(float(((np.sign(black_view) == owner) & owned).sum() / max(owned.sum(), 1)))
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    return np.array(moves), np.array(agree)


def _newest_generation(run: Path) -> tuple[Path, list]:
    """The newest generation's self-play shards and the network that played them (the best
    one at that generation: the newest promoted at or before it)."""
    state = json.loads((run / "state.json").read_text())
    played = sorted((int(d.name.split("_")[1]), d) for d in (run / "selfplay").glob("gen_*") if list_shards(d))
    if not played:
        raise ValueError(f"{run}: no self-play shards yet")
    g, folder = played[-1]
    best = max([0] + [h["generation"] for h in state["history"] if h["promoted"] and h["generation"] <= g])
    return run / "models" / f"gen_{best:04d}.pt", list_shards(folder)


def _plot(table: list[dict], path: Path, title: str, from_move: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = [int(r["moves"].split("-")[0]) for r in table]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, [r["agreement"] for r in table], marker="o")
    ax.axhline(0.9, color="grey", linestyle=":", label="90%")
    ax.axvline(from_move, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("move number (start of a block of 10)")
    ax.set_ylabel("sign agreement with the final owner")
    ax.set_ylim(0.4, 1.0)
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ownership", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a Zero run folder: its newest network on its own games")
    parser.add_argument("--model", type=Path, help="the network to measure (default: the run's newest)")
    parser.add_argument("--shards", type=Path, help="a folder of self-play shards (default: the newest network's games)")
    parser.add_argument("--from-move", type=int, default=30)
    parser.add_argument("--out", type=Path, help="a PNG of agreement against the move number")
    parser.add_argument("--gtp", type=int, metavar="K", help="measure K positions through goengine-gtp's kata-analyze")
    args = parser.parse_args(argv)
    from goengine.models import load
    from goengine.models.checkpoint import CheckpointError
    try:
        if args.run is None and (args.model is None or args.shards is None):
            raise ValueError("give --run, or both --model and --shards")
        model_path, shards = _newest_generation(args.run) if args.run else (None, None)
        model_path = args.model or model_path
        shards = list_shards(args.shards) if args.shards else shards
        if not shards:
            raise ValueError("no self-play shards to measure on")
        if args.gtp:
            sgfs = sorted({p for s in shards for p in (s.parent / "sgf").glob(f"{s.stem}_game*.sgf")})
            moves, agree = gtp_agreement(model_path, sgfs, args.gtp, args.from_move)
        else:
            moves, agree = ownership_agreement(load(model_path, kind="zero"), shards)
    except (ValueError, OSError, CheckpointError) as exc:
        print(f"training.ownership: {exc}", file=sys.stderr)
        return 2
    table = agreement_by_move(moves, agree)
    late = moves >= args.from_move
    summary = {"model": str(model_path), "shards": len(shards), "positions": int(late.sum()),
               "through": "goengine-gtp kata-analyze" if args.gtp else "the network",
               "from_move": args.from_move, "agreement": round(float(agree[late].mean()), 4) if late.any() else None,
               "by_move": table}
    print(json.dumps(summary, indent=1))
    if args.out:
        _plot(table, args.out, f"{model_path.name}: {summary['agreement']:.1%} from move {args.from_move}"
              if summary["agreement"] is not None else model_path.name, args.from_move)
    return 0


if __name__ == "__main__":
    sys.exit(main())
