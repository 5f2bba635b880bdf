"""Networks exported to ONNX and run by ONNX Runtime.

    data = export_onnx(model)                         # bytes of an ONNX model, dynamic batch
    export_onnx(model, path="zero.onnx")              # ... also written (atomically) to a file
    runner = OnnxRunner(data, threads=2)              # x float32 (B, C, N, N) -> (logits, values)
    logits, values = runner(x)
    model_bytes, info = read_onnx("zero.onnx")        # info: kind, config, outputs, ...

The graph has one input "x" (float32 NCHW, batch dimension "batch") and the outputs of the
network by name: "policy" (B, N*N+1) logits and/or "value" (B,) in [-1, 1]. A ZeroNet has
both, a PolicyNet only "policy", a ValueNet only "value"; AlphaGo's evaluator pair (policy on
the first 48 lee49 planes, value on all 49) exports as one graph with both.

The file's metadata_props carry what goengine needs to rebuild the evaluator around it:
"goengine.kind", "goengine.config" (the config dataclass as JSON), "goengine.outputs"
(comma-separated), "goengine.quantized" ("int8" or absent) and "goengine.schema".

Export uses torch's TorchScript-based exporter while this torch still has it (0.1 s for the
9x9 net, no extra packages), else the torch.export-based one (needs `onnxscript`, about 4 s).
ONNX Runtime threads: `threads` intra-op threads (0: torch.get_num_threads(), so one
setting governs both back ends), one inter-op thread, sequential execution; with more than
one thread the workers do not spin-wait between calls, so they leave the cores to the
search, which runs Python between network calls.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from ..fileio import atomic_write_bytes

__all__ = ["export_onnx", "read_onnx", "OnnxRunner", "OnnxExportError", "OUTPUT_NAMES", "have_onnxruntime",
           "ONNX_SCHEMA"]

ONNX_SCHEMA = 1
OPSET = 17
OUTPUT_NAMES = ("policy", "value")


class OnnxExportError(RuntimeError):
    """The network could not be exported, or an ONNX file is not one of goengine's."""


def have_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _outputs_of(module) -> tuple[str, ...]:
    outputs = getattr(module, "outputs", None)
    if outputs is not None:
        return tuple(outputs)
    kind = getattr(module, "kind", "zero")
    return {"zero": ("policy", "value"), "policy": ("policy",), "value": ("value",)}.get(kind, ("policy", "value"))


def _example(module, batch: int = 2) -> torch.Tensor:
    config = module.config
    device = next(module.parameters()).device
    return torch.zeros(batch, config.input_planes, config.board_size, config.board_size, device=device)


def _export_torchscript(module, x, outputs) -> bytes:
    buffer = io.BytesIO()
    dynamic = {"x": {0: "batch"}, **{name: {0: "batch"} for name in outputs}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buffer, input_names=["x"], output_names=list(outputs),
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)
    return buffer.getvalue()


def _export_dynamo(module, x, outputs) -> bytes:
    batch = torch.export.Dim("batch", min=1)
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, (x,), None, input_names=["x"], output_names=list(outputs),
                                    dynamic_shapes={"x": {0: batch}}, opset_version=max(OPSET, 18),
                                    dynamo=True, verbose=False)
    return program.model_proto.SerializeToString()


def export_onnx(module, path: str | os.PathLike | None = None, *, exporter: str = "auto",
                meta: dict | None = None) -> bytes:
    """The ONNX model (bytes) of a network in eval mode, with a dynamic batch dimension;
    also written atomically to `path` when given. `module` has `.config` (input_planes,
    board_size) and `.kind`; `exporter`: "auto", "torchscript" or "dynamo"."""
    import onnx

    if exporter not in ("auto", "torchscript", "dynamo"):
        raise ValueError(f"exporter must be auto, torchscript or dynamo, got {exporter!r}")
    was_training = module.training
    module.eval()
    outputs = _outputs_of(module)
    x = _example(module)
    try:
        if exporter == "dynamo":
            data = _export_dynamo(module, x, outputs)
        else:
            try:
                data = _export_torchscript(module, x, outputs)
            except Exception:  # a torch without the TorchScript exporter (or a graph it refuses)
                if exporter == "torchscript":
                    raise
                data = _export_dynamo(module, x, outputs)
    except Exception as exc:
        raise OnnxExportError(f"ONNX export of the {getattr(module, 'kind', '?')} network failed: "
                              f"{exc.__class__.__name__}: {exc}") from exc
    finally:
        module.train(was_training)
    model = onnx.load_from_string(data)
    config = getattr(module, "config", None)
    props = {"goengine.schema": str(ONNX_SCHEMA), "goengine.kind": str(getattr(module, "kind", "zero")),
             "goengine.outputs": ",".join(outputs)}
    if config is not None:
        from dataclasses import asdict
        props["goengine.config"] = json.dumps(asdict(config))
    for key, value in (meta or {}).items():
        props[f"goengine.{key}"] = value if isinstance(value, str) else json.dumps(value)
    set_metadata(model, props)
    data = model.SerializeToString()
    if path is not None:
        write_bytes_atomic(path, data)
    return data


def set_metadata(model, props: dict) -> None:
    """Replace (or add) metadata_props entries of an onnx.ModelProto."""
    keep = [p for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    for p in keep:
        model.metadata_props.add(key=p.key, value=p.value)
    for key, value in props.items():
        model.metadata_props.add(key=key, value=str(value))


def metadata(data: bytes) -> dict:
    """goengine's metadata of an ONNX model (bytes): kind, config (a dict), outputs (a
    tuple), quantized, schema; OnnxExportError if it is not a goengine export."""
    import onnx

    try:
        model = onnx.load_from_string(data)
    except Exception as exc:
        raise OnnxExportError(f"not an ONNX model ({exc.__class__.__name__}: {exc})") from None
    props = {p.key[len("goengine."):]: p.value for p in model.metadata_props if p.key.startswith("goengine.")}
    if "kind" not in props or "outputs" not in props:
        raise OnnxExportError("an ONNX model without goengine's metadata (kind, outputs)")
    info = dict(props)
    info["outputs"] = tuple(props["outputs"].split(","))
    info["config"] = json.loads(props["config"]) if "config" in props else None
    info["schema"] = int(props.get("schema", 1))
    return info


def read_onnx(path: str | os.PathLike) -> tuple[bytes, dict]:
    """(model bytes, metadata) of an exported file; OnnxExportError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise OnnxExportError(f"{path}: no such ONNX file")
    data = path.read_bytes()
    try:
        info = metadata(data)
    except OnnxExportError as exc:
        raise OnnxExportError(f"{path}: {exc}") from None
    if info["schema"] > ONNX_SCHEMA:
        raise OnnxExportError(f"{path}: export schema {info['schema']} is newer than this goengine's "
                              f"({ONNX_SCHEMA}); upgrade goengine")
    return data, info


def write_bytes_atomic(path, data: bytes) -> None:
    atomic_write_bytes(path, data, make_parents=True)


def session_options(threads: int = 0):
    import onnxruntime as ort

    threads = threads or torch.get_num_threads()
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # errors only: nothing on stdout/stderr in normal use
    if threads > 1:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


class OnnxRunner:
    """An ONNX model run by ONNX Runtime: x float32 (B, C, N, N) -> (logits float32
    (B, N*N+1) or None, values float32 (B,) or None). `device` "cuda" uses the CUDA
    execution provider when this onnxruntime has it (onnxruntime-gpu), the CPU otherwise."""

    def __init__(self, data: bytes, threads: int = 0, device: str | torch.device = "cpu", name: str = "onnx"):
        import onnxruntime as ort

        self.name = name
        self.info = metadata(data)
        self.outputs = self.info["outputs"]
        providers = ["CPUExecutionProvider"]
        if torch.device(device).type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(data, session_options(threads), providers=providers)
        self.device = "cuda" if self.session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.threads = threads or torch.get_num_threads()

    def __call__(self, x: np.ndarray):
        out = self.session.run(None, {"x": np.ascontiguousarray(x, dtype=np.float32)})
        got = dict(zip(self.outputs, out))
        return got.get("policy"), got.get("value")
