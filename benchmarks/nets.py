"""Network evaluations per second on this CPU (and CUDA when present): every ZeroNet preset
(and the Lee PolicyNet/ValueNet presets) at batch 1, 16, 64 and 256, eager torch.

The reference in the same run is the raw forward pass; `impl` "goengine" is the full
evaluator (zero17 planes, random symmetry, masked softmax) that the search calls.

    python benchmarks/nets.py [--presets tiny small 9x9] [--seconds 2] [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import sys

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, timed  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from goengine.models import PolicyNet, PolicyNetConfig, PolicyValueEvaluator, ValueNet, ValueNetConfig  # noqa: E402
from goengine.models import ZeroNet, zero_config  # noqa: E402
from goengine.models.nets import POLICY_PRESETS, VALUE_PRESETS  # noqa: E402


class _FakeBatch:
    """A LeafBatch-like object with random positions (what the evaluator reads)."""

    def __init__(self, n: int, size: int, rng):
        self.n = n
        self.size = size
        self.stones = rng.integers(0, 3, size=(n, 8, size * size)).astype(np.int8)
        self.to_play = rng.integers(1, 3, size=n).astype(np.int8)
        self.legal = (self.stones[:, 0] == 0).astype(np.uint8)
        self.legal = np.concatenate([self.legal, np.ones((n, 1), np.uint8)], axis=1)


def bench_model(model, planes: int, size: int, batch: int, seconds: float, device) -> float:
    x = torch.rand(batch, planes, size, size, device=device)
    with torch.inference_mode():
        model(x)
        calls, elapsed = timed(lambda: model(x), seconds, min_calls=3)
    return calls * batch / elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "small", "9x9"])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--lee", action="store_true", help="also the Lee PolicyNet and ValueNet presets")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rng = np.random.default_rng(0)
    for device in devices:
        for preset in args.presets:
            cfg = zero_config(preset)
            model = ZeroNet(cfg).to(device).eval()
            evaluator = PolicyValueEvaluator(model, symmetries="random", rng=0, device=device)
            for batch in args.batches:
                raw = bench_model(model, 17, cfg.board_size, batch, args.seconds, device)
                fake = _FakeBatch(batch, cfg.board_size, rng)
                calls, elapsed = timed(lambda: evaluator.evaluate(fake), args.seconds, min_calls=3)
                common = dict(bench="nets", size=cfg.board_size, metric="evals_per_s", preset=preset,
                              batch=batch, backend="torch", device=device.type, net="zero",
                              threads=torch.get_num_threads())
                emit(impl="goengine", value=calls * batch / elapsed, **common)
                emit(impl="torch-forward", value=raw, **common)
        if args.lee:
            for preset in ("tiny", "9x9"):
                for kind, cls, cfg in (("policy", PolicyNet, PolicyNetConfig(**POLICY_PRESETS[preset])),
                                       ("value", ValueNet, ValueNetConfig(**VALUE_PRESETS[preset]))):
                    model = cls(cfg).to(device).eval()
                    for batch in args.batches:
                        raw = bench_model(model, cfg.input_planes, cfg.board_size, batch, args.seconds, device)
                        emit(bench="nets", impl="torch-forward", size=cfg.board_size, metric="evals_per_s",
                             value=raw, preset=preset, batch=batch, backend="torch", device=device.type,
                             net=kind, threads=torch.get_num_threads())


if __name__ == "__main__":
    main()
