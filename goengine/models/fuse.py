"""Batch norm folded into the convolutions, for inference.

In eval mode a batch norm after a convolution is an affine map per output channel, so it
can be folded into the convolution's weights and bias (Jacob et al. 2018, eq. 8):

    W' = W * gamma / sqrt(var + eps)          (scaled per output channel)
    b' = (b - mean) * gamma / sqrt(var + eps) + beta

`fuse_batchnorm(model)` returns a copy of the module with every Conv2d -> BatchNorm2d pair
of its traced graph replaced by one Conv2d (torch.fx finds the pairs, so it works for any
network here: ZeroNet's stem, tower and heads; PolicyNet and ValueNet have no batch norm and
come back unchanged apart from the tracing). The copy computes the same function to float
rounding (about 1e-6 relative). `channels_last` also stores the weights NHWC, which lets
oneDNN pick its blocked convolution kernels; whether that pays depends on the CPU and the
width, so the benchmark measures it (benchmarks/nets.py) and `prefer_channels_last` encodes
what was measured.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["fuse_batchnorm", "prefer_channels_last", "FusedModule"]


class FusedModule(nn.Module):
    """A folded copy of a network: same inputs and outputs as the original, eval only.

    x: float32 NCHW (B, C, N, N); with `channels_last` the input is made channels-last
    before the first convolution (the caller may pass either layout)."""

    def __init__(self, graph_module: nn.Module, channels_last: bool):
        super().__init__()
        self.net = graph_module
        self.channels_last = channels_last

    def forward(self, x):
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x)


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    return torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)


def fuse_batchnorm(model: nn.Module, channels_last: bool = False) -> FusedModule:
    """A copy of `model` (left untouched) with batch norm folded into the convolutions
    before it. Works for every module torch.fx can trace (all of goengine.models.nets)."""
    from torch.fx import symbolic_trace
    from torch.fx.experimental.optimization import matches_module_pattern, replace_node_module

    model = copy.deepcopy(model).eval()
    graph_module = symbolic_trace(model)
    modules = dict(graph_module.named_modules())
    folded = 0
    for node in list(graph_module.graph.nodes):
        if not matches_module_pattern((nn.Conv2d, nn.BatchNorm2d), node, modules):
            continue
        conv_node = node.args[0]
        if len(conv_node.users) > 1:  # the conv output is read elsewhere too: keep both
            continue
        conv, bn = modules[conv_node.target], modules[node.target]
        if not bn.track_running_stats:
            continue
        replace_node_module(conv_node, modules, _fold(conv, bn))
        node.replace_all_uses_with(conv_node)
        graph_module.graph.erase_node(node)
        folded += 1
    graph_module.graph.lint()
    graph_module.delete_all_unused_submodules()
    graph_module.recompile()
    graph_module.folded_batchnorms = folded
    if channels_last:
        graph_module = graph_module.to(memory_format=torch.channels_last)
    fused = FusedModule(graph_module, channels_last).eval()
    for name in ("kind", "config", "meta"):
        if hasattr(model, name):
            setattr(fused, name, getattr(model, name))
    return fused


def prefer_channels_last(model: nn.Module, device: torch.device | str = "cpu") -> bool:
    """Whether channels-last pays for this network on this device, as measured by
    benchmarks/nets.py: on CUDA always (tensor-core kernels want NHWC); on the CPU for
    towers of 64 filters or more, where oneDNN's blocked kernels win, not for narrow ones."""
    if torch.device(device).type == "cuda":
        return True
    config = getattr(model, "config", None)
    return getattr(config, "filters", 0) >= 64
