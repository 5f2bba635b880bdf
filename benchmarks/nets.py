"""Network evaluations per second on this CPU (and CUDA when present): every ZeroNet preset
(and the Lee PolicyNet/ValueNet presets) at batch 1, 16, 64 and 256, on every inference
back end (goengine.models.backends): torch (eager, the reference), torch-fused, onnx,
onnx-int8 (and "torch-fused-cl", fused with channels-last forced on, to show whether it pays).

Each line names its `backend`; `impl` "forward" is the back end's runner alone (numpy planes
in, numpy outputs out), `impl` "goengine" the full evaluator the search calls (zero17 planes,
random symmetry, back end, masked softmax). `vs_torch` is the ratio to eager torch at the
same preset, batch and impl, measured in the same run.

    python benchmarks/nets.py [--presets tiny small 9x9] [--backends torch onnx-int8] [--seconds 2] [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, timed  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from goengine.models import PolicyNet, PolicyNetConfig, PolicyValueEvaluator, ValueNet, ValueNetConfig  # noqa: E402
from goengine.models import ZeroNet, zero_config  # noqa: E402
from goengine.models.nets import POLICY_PRESETS, VALUE_PRESETS  # noqa: E402
from goengine.models.onnx_backend import have_onnxruntime  # noqa: E402


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


def cpu_timed(fn, seconds: float) -> tuple[float, float]:
    """(calls per wall second, calls per CPU second of this process). On a shared machine the
    second is the figure that does not depend on the neighbours' load (with one thread it is
    the wall-clock rate of an idle core); both are reported."""
    cpu = time.process_time()
    calls, elapsed = timed(fn, seconds, min_calls=3)
    return calls / elapsed, calls / max(time.process_time() - cpu, 1e-9)


def bench_runner(runner, planes: int, size: int, batch: int, seconds: float) -> tuple[float, float]:
    x = (np.random.default_rng(batch).random((batch, planes, size, size)) > 0.7).astype(np.float32)
    runner(x)
    wall, cpu = cpu_timed(lambda: runner(x), seconds)
    return wall * batch, cpu * batch


BACKENDS = ["torch", "torch-fused", "torch-fused-cl", "onnx", "onnx-int8"]


def _evaluator(model, backend: str, device, threads: int):
    options = {"threads": threads}
    if backend == "torch-fused-cl":
        backend, options["channels_last"] = "torch-fused", True
    elif backend == "torch-fused":
        options["channels_last"] = False
    evaluator = PolicyValueEvaluator(model, symmetries="random", rng=0, device=device, backend=backend,
                                     backend_options=options)
    evaluator.prepare_backend()
    if evaluator.runner is None:  # eager torch: the same numpy-in, numpy-out contract
        from goengine.models.backends import TorchRunner
        evaluator.runner = TorchRunner(model, device, "torch")
    return evaluator


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "small", "9x9"])
    parser.add_argument("--backends", nargs="+", default=BACKENDS, choices=BACKENDS)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=0, help="torch and ONNX Runtime threads (0: torch's default)")
    parser.add_argument("--lee", action="store_true", help="also the Lee PolicyNet and ValueNet presets")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rng = np.random.default_rng(0)
    backends = list(args.backends)
    if not have_onnxruntime():
        log("onnxruntime is not installed: the onnx back ends are skipped (pip install 'goengine[fast]')")
        backends = [b for b in backends if not b.startswith("onnx")]
    if "torch" in backends:  # the reference first
        backends.remove("torch")
        backends.insert(0, "torch")
    for device in devices:
        for preset in args.presets:
            cfg = zero_config(preset)
            torch.manual_seed(0)
            model = ZeroNet(cfg).to(device).eval()
            reference = {}
            for backend in backends:
                try:
                    evaluator = _evaluator(model, backend, device, args.threads)
                except Exception as exc:  # e.g. no ONNX CUDA provider: say so, go on
                    log(f"{preset} {backend} on {device.type}: skipped ({exc.__class__.__name__}: {exc})")
                    continue
                for batch in args.batches:
                    raw = bench_runner(evaluator.runner, 17, cfg.board_size, batch, args.seconds)
                    fake = _FakeBatch(batch, cfg.board_size, rng)
                    wall, cpu = cpu_timed(lambda: evaluator.evaluate(fake), args.seconds)
                    full = (wall * batch, cpu * batch)
                    common = dict(bench="nets", size=cfg.board_size, metric="evals_per_s", preset=preset,
                                  batch=batch, backend=backend, device=device.type, net="zero",
                                  threads=torch.get_num_threads())
                    for impl, (value, per_cpu) in (("goengine", full), ("forward", raw)):
                        if backend == "torch":
                            reference[impl, batch] = (value, per_cpu)
                        ref = reference.get((impl, batch))
                        emit(impl=impl, value=value, vs_torch=round(value / ref[0], 2) if ref else None,
                             evals_per_cpu_s=round(per_cpu, 1),
                             vs_torch_cpu=round(per_cpu / ref[1], 2) if ref else None, **common)
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
