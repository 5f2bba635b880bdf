"""The rows of a Zero run's stats.jsonl, counted from what is on disk, so that a stage stopped
by a kill and resumed is described whole: every self-play shard carries its games'
resignation bookkeeping and the seconds and evaluations they took, every gating line its
game's seconds, every candidate its training time (training/zero.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from goengine.sgf import write_sgf
from selfplay.records import read_shard, read_shard_meta, write_shard
from selfplay.worker import FinishedGame, resignation_stats


def write_selfplay_shard(folder: Path, index: int, games: list, komi: float, g: int,
                         seconds: float, evals: int) -> None:
    """Shard `index` of a self-play folder: an SGF per game, then the samples with each game's
    resignation bookkeeping and the seconds and evaluations the games took (the stage's
    row is recounted from these)."""
    name = f"shard_{index:05d}"
    (folder / "sgf").mkdir(parents=True, exist_ok=True)
    for k, fg in enumerate(games):
        write_sgf(fg.record, folder / "sgf" / f"{name}_game{k:03d}.sgf")
    meta = {"games": [{"winner": int(fg.winner), "moves": int(fg.moves), "resigned": bool(fg.resigned),
                       "played_out": bool(fg.played_out),
                       "playthrough": bool(fg.playthrough), "would_resign": int(fg.would_resign),
                       "min_values": [float(v) for v in fg.min_values]} for fg in games],
            "seconds": round(float(seconds), 2), "evals": int(evals)}
    write_shard(folder / f"{name}.npz", [fg.samples for fg in games], komi, generation=g, meta=meta)


def selfplay_stats(shards: list[Path], resign_threshold) -> dict:
    """The self-play row of a generation from its shards: resignation counts of all its games,
    the threshold they were played with, and the seconds and evaluations they took."""
    games, seconds, evals, unrecorded = [], 0.0, 0, 0
    for path in shards:
        meta = read_shard_meta(path)
        if meta is None:  # a shard written before shards carried their bookkeeping
            unrecorded += int(np.unique(read_shard(path)["game"]).size)
            continue
        games += [FinishedGame(None, None, m["winner"], m["moves"], m["resigned"], m["playthrough"],
                               m["would_resign"], tuple(m["min_values"]), played_out=m.get("played_out", False))
                  for m in meta["games"]]
        seconds += meta["seconds"]
        evals += meta["evals"]
    stats = resignation_stats(games)
    if unrecorded:
        stats["games"] += unrecorded
        stats["unrecorded_games"] = unrecorded
    stats["resign_threshold"] = resign_threshold
    stats["seconds"] = round(seconds, 1)
    stats["evals"] = evals
    return stats
