"""The Zero loop's self-play and gating stages on a Ray actor pool (`--cluster ray`).

    goengine-train zero --run runs/zero9 --preset 9x9 --cluster ray --address auto --workers 16

`RayBackend.selfplay(run, g)` and `RayBackend.gate(run, g)` stand in for ZeroRun's own stages
and keep their contract: the same run folder, the same files, progress read back from disk.

Self-play: the games still missing in generation g are cut into shards of games_per_shard
(names the folder does not hold yet), shards grouped into tasks so every actor gets work and
each task fills one actor's batch (parallel_games), each task seeded from its first shard
(the same seed whichever actor plays it, and again when a dead actor's task is replayed).
The driver writes a task's SGFs and shards, atomically, when the whole task has returned, so
a shard on disk is always complete and a worker that dies loses only games not yet written.

Gating: the gating games not yet in gating/gen_g.jsonl are cut into chunks, one task each;
each finished chunk's rows are appended (fsync'd) as it returns, so a run killed during
gating replays only the chunks not yet written.
"""
from __future__ import annotations

import json
import math
import os
import time

from goengine.fileio import atomic_write_bytes
from goengine.progress import progress_bar
from selfplay.ray_backend import ActorPool
from selfplay.records import list_shards
from selfplay.worker import brief_stats


class RayBackend:
    """Self-play and gating of a ZeroRun on `workers` Ray actors (see selfplay.ray_backend)."""

    def __init__(self, workers: int = 2, address: str | None = None, cpus_per_worker: float = 1,
                 gpus_per_worker: float = 0, threads: int = 1, log=print, pool: ActorPool | None = None):
        self.log = log
        self.pool = pool or ActorPool(workers, address=address, cpus_per_worker=cpus_per_worker,
                                      gpus_per_worker=gpus_per_worker, threads=threads, log=log)

    def close(self) -> None:
        self.pool.close()

    @staticmethod
    def evaluator_options(run) -> dict:
        """The actors' evaluator settings that the run's config chooses: its inference back end
        (built on each actor; an int8 back end calibrates there, the run's shards being files
        the driver's machine has)."""
        inference = getattr(run.config, "inference", None)
        return {} if inference is None else {"backend": inference}

    # ------------------------------------------------------------------ self-play
    @staticmethod
    def shard_plan(existing: set[str], games: int, per_shard: int) -> list[tuple[int, int]]:
        """(shard index, games) for `games` more games: shards of per_shard (the last one
        smaller), at the lowest indices whose names are not in `existing`."""
        plan, index = [], 0
        while games > 0:
            if f"shard_{index:05d}.npz" not in existing:
                n = min(per_shard, games)
                plan.append((index, n))
                games -= n
            index += 1
        return plan

    def task_groups(self, plan: list, parallel_games: int) -> list[list[tuple[int, int]]]:
        """Consecutive shards grouped into tasks: enough tasks for every worker, no more games
        in one task than one worker plays at once (at least one shard a task)."""
        if not plan:
            return []
        per_shard = max(n for _, n in plan)
        k = max(1, min(parallel_games // per_shard, math.ceil(len(plan) / self.pool.workers)))
        return [plan[i:i + k] for i in range(0, len(plan), k)]

    def selfplay(self, run, g: int) -> None:
        from .zero_stats import write_selfplay_shard
        cfg = run.config
        folder = run.selfplay_dir(g)
        done = run.games_on_disk(g)
        if done >= cfg.games_per_generation:
            return
        remaining = cfg.games_per_generation - done
        existing = {p.name for p in list_shards(folder)}
        groups = self.task_groups(self.shard_plan(existing, remaining, cfg.games_per_shard),
                                  cfg.selfplay.parallel_games)
        weights = self.pool.broadcast(run.state["best"], run.best_model().cpu())
        self.pool.retain({weights.version})
        sp = run.selfplay_config(g)
        tasks = []
        for group in groups:
            first = group[0][0]
            seed = cfg.seed * 1_000_003 + g * 1009 + first
            tasks.append((tuple(group), "selfplay",
                          (weights, sp, sum(n for _, n in group), seed, f"zero-gen{g}",
                           self.evaluator_options(run))))
        self.log(f"[gen {g}] self-play on {self.pool.workers} Ray workers: {remaining} games to play "
                 f"({done} on disk), {len(tasks)} tasks")
        bar = progress_bar(remaining, f"gen {g} self-play (ray)", run.progress)
        replaced = self.pool.replaced
        since = time.monotonic()
        for group, result in self.pool.run(tasks):
            games = result["games"]
            now = time.monotonic()  # a task's time and evaluations, shared among its shards
            at = 0
            for index, n in group:
                chunk = games[at:at + n]
                at += n
                write_selfplay_shard(folder, index, chunk, cfg.komi, g, (now - since) * n / len(games),
                                     result["positions"] * n // len(games))
            since = now
            bar.update(len(games))
        bar.close()
        stats = run.selfplay_stats(g)  # the whole stage's, counted from the shards on disk
        stats.update(backend="ray", workers=self.pool.workers, workers_replaced=self.pool.replaced - replaced)
        run._append_stats(g, "selfplay", stats)
        self.log(f"[gen {g}] self-play done: {brief_stats(stats)}")

    # ------------------------------------------------------------------ gating
    def gate(self, run, g: int) -> tuple[bool, float]:
        from goengine.models import load
        cfg = run.config
        if not cfg.gating:
            return True, float("nan")
        unique = {r["game"]: r for r in run._gating_results(g)}
        results = [unique[i] for i in sorted(unique)]
        missing = [i for i in range(cfg.gating_games) if i not in unique]
        if missing:
            path = run.gating_path(g)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in results).encode(), make_parents=True)
            candidate = self.pool.broadcast(f"candidate:{g}", load(run.candidate_path(g), kind="zero"))
            best = self.pool.broadcast(run.state["best"], run.best_model().cpu())
            self.pool.retain({candidate.version, best.version})
            size = max(1, min(16, math.ceil(len(missing) / self.pool.workers)))
            base = cfg.seed * 31 + g
            mcfg = run.gating_config()
            tasks = [(tuple(missing[i:i + size]), "match",
                      (candidate, best, missing[i:i + size], mcfg, cfg.size, cfg.komi,
                       base * 1_000_003 + 2 * missing[i], 16, self.evaluator_options(run)))
                     for i in range(0, len(missing), size)]
            self.log(f"[gen {g}] gating on {self.pool.workers} Ray workers: {len(missing)} games, "
                     f"candidate vs best")
            bar = progress_bar(cfg.gating_games, f"gen {g} gating (ray)", run.progress, initial=len(results))
            with open(path, "a") as f:
                for _, games in self.pool.run(tasks):
                    for mg in games:
                        row = {"game": mg.index, "candidate_color": "B" if mg.a_color == 1 else "W",
                               "candidate_won": mg.a_won, "result": mg.result, "moves": mg.moves}
                        f.write(json.dumps(row) + "\n")
                        results.append(row)
                    f.flush()
                    os.fsync(f.fileno())
                    bar.update(len(games))
            bar.close()
        wins = sum(r["candidate_won"] for r in results[: cfg.gating_games])
        rate = wins / cfg.gating_games
        return rate >= cfg.gating_threshold, rate
