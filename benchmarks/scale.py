"""Scaling the Zero loop: self-play games per hour on 1 and 2 Ray workers, the learner's rate,
and the loop's projected throughput on N machines from those measured rates.

Measured in one run, on one workload (a ZeroRun preset's network and self-play settings):
  - goengine-local: one SelfPlayWorker in this process (the reference: no Ray);
  - goengine-ray:   W GameActors (one CPU each), each playing games_per_worker games in one
                    batched task, for each W of --workers (actors started and warmed first);
  - learner:        SGD steps per second of the Zero trainer (one process) on those games.
Each figure comes per wall-clock second and per CPU second of the processes doing the work:
on a machine shared with other jobs, the wall-clock rates measure their load as much as ours,
and the CPU-time rates are what a worker or the learner does with a core of its own.
Then, for each N of --machines with --workers-per-machine actors each, the loop's time per
generation is  T(N) = G / (N * K * r)  +  S / s   (self-play, then training; gating ignored)
with r one Ray worker's games per CPU-hour, s the learner's steps per CPU second, G the
preset's games per generation and S its training steps, and the loop's throughput is
G / T(N) games per hour (see docs/distributed.md).

    nice python benchmarks/scale.py [--preset tiny] [--workers 1,2] [--games-per-worker 16]
                                    [--machines 1,2,4,8,16,32] [--workers-per-machine 2]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _evaluator_options(cfg) -> dict:
    inference = getattr(cfg, "inference", None)
    return {} if inference is None else {"backend": inference}


def measure_local(model, cfg, games: int, seed: int):
    """(games, positions searched, wall seconds, CPU seconds) of one SelfPlayWorker here."""
    from goengine.models import PolicyValueEvaluator
    from selfplay.worker import SelfPlayWorker
    evaluator = PolicyValueEvaluator(model, symmetries="random", rng=np.random.default_rng(seed),
                                     **_evaluator_options(cfg))
    worker = SelfPlayWorker(evaluator, cfg.selfplay, rng=seed)
    start, cpu = time.perf_counter(), time.process_time()
    played = list(worker.play(games))
    return played, worker.positions_searched, time.perf_counter() - start, time.process_time() - cpu


def measure_ray(model, cfg, workers: int, games_per_worker: int, seed: int):
    """(games, positions searched, wall seconds, CPU seconds of all workers) on `workers` actors."""
    from selfplay.ray_backend import ActorPool
    pool = ActorPool(workers, cpus_per_worker=1, threads=1)
    try:
        weights = pool.broadcast("bench", model)
        options = _evaluator_options(cfg)
        warm = dataclasses.replace(cfg.selfplay, max_moves=4, parallel_games=1)
        list(pool.run([(i, "selfplay", (weights, warm, 1, i, "warm-up", options)) for i in range(workers)]))
        tasks = [(i, "selfplay", (weights, cfg.selfplay, games_per_worker, seed + i, "bench", options))
                 for i in range(workers)]
        start = time.perf_counter()
        results = [r for _, r in pool.run(tasks)]
        elapsed = time.perf_counter() - start
    finally:
        pool.close()
    games = [g for r in results for g in r["games"]]
    return games, sum(r["positions"] for r in results), elapsed, sum(r["cpu_s"] for r in results)


def measure_learner(model_cfg, cfg, games, steps: int, seed: int) -> tuple[float, float]:
    """(SGD steps per wall second, per CPU second) of the Zero trainer, one process, one thread."""
    from goengine.models import ZeroNet
    from selfplay.records import write_shard
    from training.datasets import ReplayWindow
    from training.zero import zero_losses
    with tempfile.TemporaryDirectory() as tmp:
        path = write_shard(Path(tmp) / "bench.npz", [g.samples for g in games], cfg.komi)
        window = ReplayWindow.from_paths([path])
    model = ZeroNet(model_cfg).train()
    opt = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(seed)

    def step():
        x, pi, z, w = (torch.from_numpy(a) for a in window.batch(rng, cfg.batch_size))
        p, v = zero_losses(model, x, pi, z, w)
        opt.zero_grad()
        (p + v).backward()
        opt.step()

    step()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start), steps / (time.process_time() - cpu)


def projection(games_per_hour_per_worker: float, steps_per_s: float, games_per_generation: int,
               train_steps: int, machines: int, workers_per_machine: int) -> dict:
    """The sequential loop's figures on `machines` machines (docs/distributed.md)."""
    selfplay_s = games_per_generation / (machines * workers_per_machine * games_per_hour_per_worker) * 3600
    train_s = train_steps / steps_per_s
    return {"selfplay_s": selfplay_s, "train_s": train_s,
            "games_per_hour": games_per_generation / (selfplay_s + train_s) * 3600,
            "selfplay_only_games_per_hour": machines * workers_per_machine * games_per_hour_per_worker}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="tiny", help="ZeroRun preset whose net and self-play settings are measured")
    parser.add_argument("--simulations", type=int, help="override the preset's simulations per move")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts to measure")
    parser.add_argument("--games-per-worker", type=int, default=16)
    parser.add_argument("--learner-steps", type=int, default=40)
    parser.add_argument("--machines", default="1,2,4,8,16,32", help="machine counts to project")
    parser.add_argument("--workers-per-machine", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from goengine.models import ZeroNet, zero_config
    from training.zero_config import preset
    changes = {"selfplay": {"simulations": args.simulations}} if args.simulations else {}
    cfg = preset(args.preset, **changes)
    if hasattr(cfg, "inference"):
        cfg = dataclasses.replace(cfg, inference="torch")  # eager torch everywhere: one figure of merit
    model_cfg = zero_config(cfg.net, board_size=cfg.size)
    torch.manual_seed(args.seed)
    model = ZeroNet(model_cfg).eval()
    common = dict(bench="scale", size=cfg.size, preset=cfg.preset, net=cfg.net,
                  simulations=cfg.selfplay.simulations, parallel_games=cfg.selfplay.parallel_games,
                  cores=os.cpu_count())

    def figures(games, positions, wall, cpu, workers):
        return dict(workers=workers, per_worker=round(len(games) / wall * 3600 / workers, 1),
                    games_per_cpu_hour=round(len(games) / cpu * 3600, 1),
                    evals_per_s=round(positions / wall, 1), evals_per_cpu_s=round(positions / cpu, 1),
                    moves_per_game=round(float(np.mean([g.moves for g in games])), 1),
                    load_avg=round(os.getloadavg()[0], 2), **common)

    log(f"local reference: {args.games_per_worker} games in this process")
    games, positions, wall, cpu = measure_local(model, cfg, args.games_per_worker, args.seed)
    emit(impl="goengine-local", metric="games_per_hour", value=len(games) / wall * 3600,
         **figures(games, positions, wall, cpu, 1))
    per_cpu = {}
    for workers in (int(w) for w in args.workers.split(",")):
        log(f"ray: {workers} workers x {args.games_per_worker} games")
        ray_games, positions, wall, cpu = measure_ray(model, cfg, workers, args.games_per_worker, args.seed)
        per_cpu[workers] = len(ray_games) / cpu * 3600
        emit(impl="goengine-ray", metric="games_per_hour", value=len(ray_games) / wall * 3600,
             **figures(ray_games, positions, wall, cpu, workers))
        games.extend(ray_games)
    log(f"learner: {args.learner_steps} SGD steps, batch {cfg.batch_size}")
    steps_per_s, steps_per_cpu_s = measure_learner(model_cfg, cfg, games, args.learner_steps, args.seed)
    emit(impl="goengine", metric="train_steps_per_s", value=steps_per_s, batch_size=cfg.batch_size,
         steps_per_cpu_s=round(steps_per_cpu_s, 2), samples_per_cpu_s=round(steps_per_cpu_s * cfg.batch_size, 1),
         load_avg=round(os.getloadavg()[0], 2), **common)
    # Projection from CPU-time rates: what one worker and the learner do with a core of their
    # own (on a shared machine, wall-clock rates measure the other users' load as much as ours).
    r = per_cpu[max(per_cpu)]
    for machines in (int(m) for m in args.machines.split(",")):
        p = projection(r, steps_per_cpu_s, cfg.games_per_generation, cfg.train_steps, machines,
                       args.workers_per_machine)
        emit(impl="goengine-projection", metric="loop_games_per_hour", value=p["games_per_hour"],
             machines=machines, workers_per_machine=args.workers_per_machine, rate_basis="cpu_time",
             per_worker_games_per_hour=round(r, 1), learner_steps_per_s=round(steps_per_cpu_s, 2),
             selfplay_only_games_per_hour=round(p["selfplay_only_games_per_hour"], 1),
             selfplay_s_per_generation=round(p["selfplay_s"], 2), train_s_per_generation=round(p["train_s"], 2),
             games_per_generation=cfg.games_per_generation, train_steps=cfg.train_steps, **common)


if __name__ == "__main__":
    main()
