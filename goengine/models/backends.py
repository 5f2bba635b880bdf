"""Inference back ends behind the evaluator seam.

    evaluator = PolicyValueEvaluator(model, backend="auto")              # the fastest one here
    evaluator = PolicyValueEvaluator(model, backend="onnx-int8",
                                     backend_options={"calibration": "runs/zero9/selfplay"})
    evaluator.prepare_backend()   # export / quantise now rather than at the first evaluation
    evaluator.backend             # the back end actually running, e.g. "onnx-int8"

A back end turns the evaluator's input planes into the network's outputs; features,
symmetries, the cache and the masked softmax stay in the evaluator (evaluators.py), so every
back end sees the same positions. The runner contract: x float32 (B, C, N, N) NCHW numpy ->
(logits float32 (B, N*N+1) or None, values float32 (B,) or None).

  torch        eager torch on the model's device (the reference)
  torch-fused  batch norm folded into the convolutions (fuse.py), channels-last where
               prefer_channels_last() says it pays; the model's device, CUDA included
  onnx         the network exported to ONNX (onnx_backend.py), run by ONNX Runtime (CUDA
               execution provider with onnxruntime-gpu and a CUDA model, else the CPU)
  onnx-int8    the ONNX export quantised to int8 (quantize.py), calibrated on self-play
               positions: `calibration` = shards (paths or folders) or an array of planes;
               none: a quick self-play by the float network (about a second on 9x9)
  auto         CUDA model: torch-fused; CPU: onnx-int8 when onnxruntime is installed, else
               torch-fused (the ordering measured by benchmarks/nets.py; docs/inference.md)

Agreement (tests/test_backends.py, seeded positions, 9x9): torch-fused and onnx match eager
torch to 1e-4 in logits and values (float rounding); onnx-int8 to 0.05 in priors and values
on the test networks (quantisation error, larger for badly calibrated ranges).

Options (`backend_options`): threads (ONNX Runtime intra-op threads; 0: torch's setting),
channels_last (None: prefer_channels_last), calibration, calibration_positions (256),
calibration_method ("minmax"), exporter ("auto").
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn

__all__ = ["BACKENDS", "resolve_backend", "make_runner", "TorchRunner", "evaluator_module", "set_threads"]

from ..inference import BACKENDS  # noqa: E402  (the names live where no torch is needed)


def resolve_backend(backend: str, device: str | torch.device = "cpu") -> str:
    """The concrete back end that `backend` names on `device` ("auto" resolved)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown inference backend {backend!r}: choose from {', '.join(BACKENDS)}")
    if backend != "auto":
        if backend.startswith("onnx"):
            from .onnx_backend import have_onnxruntime
            if not have_onnxruntime():
                raise ValueError(f"backend {backend!r} needs onnxruntime: pip install 'goengine[fast]'")
        return backend
    if torch.device(device).type == "cuda":
        return "torch-fused"
    from .onnx_backend import have_onnxruntime
    if have_onnxruntime():
        try:
            import onnx  # noqa: F401  (export and quantisation read and write ONNX graphs)
            return "onnx-int8"
        except ImportError:
            pass
    return "torch-fused"


def set_threads(threads: int | None = None, *, sharing: int | None = None,
                what: str = "torch") -> int:
    """Set torch's intra-op CPU threads (ONNX Runtime sessions built afterwards follow it)
    and return the count: ``threads`` when positive (the user's ``--threads``), else
    goengine.threads.choose_threads' pick from the cores free now, one when ``sharing``
    (or ``$GOENGINE_PROCESSES``) says several processes share the machine."""
    from ..threads import choose_threads
    count = choose_threads(threads, sharing=sharing, what=what)
    torch.set_num_threads(count)
    return count


class LeeHeads(nn.Module):
    """AlphaGo's two networks as one: x (B, 49, N, N) lee49 planes -> (policy logits from
    the first 48 planes, value from all 49); the value is left out when there is no value net."""

    kind = "lee"

    def __init__(self, policy: nn.Module, value: nn.Module | None):
        super().__init__()
        self.policy = policy
        self.value = value
        # the evaluator feeds lee49 planes either way (the policy reads the first 48)
        self.config = value.config if value is not None else replace(policy.config, input_planes=49)
        self.outputs = ("policy", "value") if value is not None else ("policy",)

    def forward(self, x):
        logits = self.policy(x[:, :48])
        if self.value is None:
            return logits
        return logits, self.value(x)


def evaluator_module(evaluator) -> nn.Module:
    """The network(s) of an evaluator as one module computing `evaluator.forward`."""
    if hasattr(evaluator, "value_model"):  # LeeEvaluator: policy net, optional value net
        return LeeHeads(evaluator.model, evaluator.value_model).eval()
    return evaluator.model


def _outputs(module) -> tuple[str, ...]:
    from .onnx_backend import _outputs_of
    return _outputs_of(module)


class TorchRunner:
    """A torch module as a runner (numpy in, numpy out) on `device`."""

    def __init__(self, module: nn.Module, device, name: str = "torch"):
        self.module = module.to(device).eval()
        self.device = torch.device(device)
        self.outputs = _outputs(module)
        self.name = name

    def __call__(self, x: np.ndarray):
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device))
        out = out if isinstance(out, tuple) else (out,)
        got = {name: t.float().cpu().numpy() for name, t in zip(self.outputs, out)}
        return got.get("policy"), got.get("value")


def make_runner(evaluator, backend: str, *, threads: int = 0, channels_last: bool | None = None,
                calibration=None, calibration_positions: int = 256, calibration_method: str = "minmax",
                exporter: str = "auto", seed: int = 0):
    """The runner of `backend` ("auto" resolved on the evaluator's device) for `evaluator`."""
    device = torch.device(evaluator.device)
    name = resolve_backend(backend, device)
    module = evaluator_module(evaluator)
    if name == "torch":
        return TorchRunner(module, device, name)
    if name == "torch-fused":
        from .fuse import fuse_batchnorm, prefer_channels_last
        if channels_last is None:
            channels_last = prefer_channels_last(module, device)
        return TorchRunner(fuse_batchnorm(module, channels_last=channels_last), device, name)
    from .onnx_backend import OnnxRunner, export_onnx
    data = export_onnx(module, exporter=exporter)
    if name == "onnx":
        return OnnxRunner(data, threads=threads, device=device, name=name)
    from .quantize import calibration_planes, quantize_onnx
    if isinstance(calibration, np.ndarray):
        planes = calibration
    else:
        fp32 = OnnxRunner(data, threads=threads, name="onnx")
        planes = calibration_planes(evaluator, shards=calibration, positions=calibration_positions,
                                    rng=np.random.default_rng(seed), runner=fp32)
    int8 = quantize_onnx(data, planes, method=calibration_method)
    return OnnxRunner(int8, threads=threads, device="cpu", name=name)
