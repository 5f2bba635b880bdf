"""Self-play throughput for a ZeroNet preset: games per hour and network evaluations per
second, beside the raw network throughput at the same batch size measured in the same run.

The worker plays `parallel` games at once with `leaves` leaves per game per call, so each
evaluator call holds up to parallel * leaves positions; the figure that matters is
`share_of_raw`: self-play evals/s over raw forward evals/s at the worker's mean batch size
(the search, feature and batching overhead; target >= 0.70).

    python benchmarks/selfplay.py [--preset 9x9] [--parallel 32] [--leaves 8] [--games 32] [--threads 1]
    python benchmarks/selfplay.py --preset small-pooled --forced-playouts 2   # the efficient recipe's
"""
from __future__ import annotations

import argparse
import os
import sys
import time

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, timed  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from goengine.models import PolicyValueEvaluator, ZeroNet, zero_config  # noqa: E402
from selfplay.worker import SelfPlayConfig, SelfPlayWorker, selfplay_search  # noqa: E402


class CountingEvaluator(PolicyValueEvaluator):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.calls = 0
        self.batch_total = 0

    def evaluate(self, batch):
        self.calls += 1
        self.batch_total += batch.n
        return super().evaluate(batch)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="9x9")
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--leaves", type=int, default=8)
    parser.add_argument("--simulations", type=int, default=100)
    parser.add_argument("--games", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--forced-playouts", type=float, default=0.0, help="KataGo's k (the efficient recipe: 2)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        cfg = zero_config(args.preset)
        model = ZeroNet(cfg).to(device).eval()
        evaluator = CountingEvaluator(model, symmetries="random", rng=0, device=torch.device(device))
        sp = SelfPlayConfig(size=cfg.board_size, parallel_games=args.parallel, resign_threshold=None,
                            search=selfplay_search(num_simulations=args.simulations, leaves_per_batch=args.leaves,
                                                   forced_playouts=args.forced_playouts))
        worker = SelfPlayWorker(evaluator, sp, rng=0)
        start = time.perf_counter()
        games = list(worker.play(args.games))
        elapsed = time.perf_counter() - start
        evals = evaluator.positions
        mean_batch = evaluator.batch_total / max(evaluator.calls, 1)
        batch = max(1, int(round(mean_batch)))
        x = torch.rand(batch, cfg.input_planes, cfg.board_size, cfg.board_size, device=device)
        with torch.inference_mode():
            model(x)
            calls, raw_elapsed = timed(lambda: model(x), 3.0, min_calls=3)
        raw = calls * batch / raw_elapsed
        common = dict(bench="selfplay", size=cfg.board_size, preset=args.preset, device=device,
                      parallel_games=args.parallel, leaves_per_batch=args.leaves, simulations=args.simulations,
                      mean_batch=round(mean_batch, 1), threads=torch.get_num_threads(), head=cfg.head,
                      forced_playouts=args.forced_playouts)
        emit(impl="goengine", metric="games_per_hour", value=len(games) / elapsed * 3600,
             moves_per_game=round(float(np.mean([g.moves for g in games])), 1), **common)
        emit(impl="goengine", metric="evals_per_s", value=evals / elapsed,
             share_of_raw=round(evals / elapsed / raw, 3), **common)
        emit(impl="torch-forward", metric="evals_per_s", value=raw, batch=batch, **common)


if __name__ == "__main__":
    main()
