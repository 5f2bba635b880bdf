"""The names of the network inference back ends, in one place that imports no torch
(goengine/models/backends.py implements them; specs, flags and configs choose by name)."""

BACKENDS = ("auto", "torch", "torch-fused", "onnx", "onnx-int8")
"""``auto`` picks the fastest here (int8 ONNX Runtime on a CPU, fused torch on CUDA)."""

__all__ = ["BACKENDS"]
