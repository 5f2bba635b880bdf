"""AlphaGo's fast rollout policy in C: moves and full rollouts per second on one core, 9x9.

Measured in the same run, from the empty board, cap 3*N*N moves or two passes in a row:
  * goengine:   goengine.features.FastRolloutPolicy (linear softmax over the 3x3, response,
                save-atari and neighbour features; seeded random weights N(0, 0.5)), its C
                `run` as the search calls it (goengine.features._rollout.rollouts_probe);
  * uniform-c:  goengine._board's uniform random C playout (the eye rule only), the
                policy-free baseline the search uses without a rollout policy.
Target: a rollout-policy move in <= 5 us on 9x9 (`us_per_move`).

    python benchmarks/rollout_policy.py [--seconds 3] [--sizes 9]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core, timed  # noqa: E402
from goengine.features._rollout import rollouts_probe

from goengine import _board
from goengine.features import NUM_ROLLOUT_FEATURES, FastRolloutPolicy


def measure(probe, size: int, seconds: float) -> tuple[float, float]:
    batch = 500 if size <= 9 else 100
    moves = [0]
    seed = [1]

    def run():
        moves[0] += probe(size, batch, seed[0])
        seed[0] += 1

    calls, elapsed = timed(run, seconds)
    return calls * batch / elapsed, moves[0] / elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[9])
    args = parser.parse_args(argv)
    pin_one_core()
    weights = np.random.default_rng(0).normal(0.0, 0.5, NUM_ROLLOUT_FEATURES).astype(np.float32)
    policy = FastRolloutPolicy(weights)
    for size in args.sizes:
        log(f"rollout policy {size}x{size} ...")
        ours = measure(lambda s, n, seed: rollouts_probe(policy, s, n, seed), size, args.seconds)
        uniform = measure(_board.playouts_per_second_probe, size, args.seconds)
        for metric, k in (("rollouts_per_s", 0), ("moves_per_s", 1)):
            common = {"bench": "rollout_policy", "size": size, "metric": metric}
            emit(impl="goengine", value=ours[k], us_per_move=round(1e6 / ours[1], 3),
                 moves_per_rollout=round(ours[1] / ours[0], 1), **common)
            emit(impl="uniform-c", value=uniform[k], us_per_move=round(1e6 / uniform[1], 3),
                 moves_per_rollout=round(uniform[1] / uniform[0], 1), **common)


if __name__ == "__main__":
    main()
