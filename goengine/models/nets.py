"""The networks of both recipes, as torch modules. Tensors are NCHW float32; a policy is
N*N+1 logits in action order (coords.py, pass last); a value is in [-1, 1] from the view of
the side to move.

  ZeroNet    AlphaGo Zero: 3x3 conv stem, `blocks` residual blocks of two 3x3 convs with batch
             norm, a policy head (1x1 conv to 2 planes, BN, ReLU, linear to N*N+1) and a value
             head (1x1 conv to 1 plane, BN, ReLU, linear 256, ReLU, linear 1, tanh).
  PolicyNet  AlphaGo (2016) SL/RL policy: a 5x5 conv then 3x3 convs with k filters and ReLU,
             then a 1x1 conv to one plane plus a position bias (the paper's 13 layers on 19x19);
             a pass logit from the pooled last hidden layer.
  ValueNet   AlphaGo (2016) value net: the same trunk on lee49, a 1x1 conv to one plane, a
             fully connected layer of 256, and a tanh output.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class ZeroNetConfig:
    board_size: int = 9
    """N: the board the network is built for (its linear heads depend on it)."""
    blocks: int = 6
    """Residual blocks in the tower (AlphaGo Zero: 20 or 40 on 19x19)."""
    filters: int = 64
    """Convolution channels in the tower (AlphaGo Zero: 256)."""
    input_planes: int = 17
    """Input planes: 17 for the zero17 feature set."""
    value_hidden: int = 256
    """Units of the value head's hidden layer."""
    feature_set: str = "zero17"
    """Name of the input feature set (goengine.features.PLANE_SETS)."""


@dataclass(frozen=True)
class PolicyNetConfig:
    board_size: int = 9
    layers: int = 7
    """Convolution layers before the 1x1 output (AlphaGo: 12 + the output layer = 13)."""
    filters: int = 64
    """k: filters per hidden layer (AlphaGo: 192 on 19x19)."""
    input_planes: int = 48
    feature_set: str = "lee48"


@dataclass(frozen=True)
class ValueNetConfig:
    board_size: int = 9
    layers: int = 7
    filters: int = 64
    input_planes: int = 49
    hidden: int = 256
    feature_set: str = "lee49"


ZERO_PRESETS = {
    "tiny": dict(blocks=2, filters=32),
    "small": dict(blocks=4, filters=32),
    "9x9": dict(blocks=6, filters=64),
    "19x19": dict(blocks=20, filters=256, board_size=19),
}
POLICY_PRESETS = {
    "tiny": dict(layers=3, filters=32),
    "9x9": dict(layers=7, filters=64),
    "19x19": dict(layers=12, filters=192, board_size=19),
}
VALUE_PRESETS = {
    "tiny": dict(layers=3, filters=32, hidden=64),
    "9x9": dict(layers=7, filters=64),
    "19x19": dict(layers=12, filters=192, board_size=19),
}


def zero_config(preset: str = "9x9", **changes) -> ZeroNetConfig:
    if preset not in ZERO_PRESETS:
        raise ValueError(f"unknown ZeroNet preset {preset!r}: choose from {sorted(ZERO_PRESETS)}")
    return ZeroNetConfig(**{**ZERO_PRESETS[preset], **changes})


# ----------------------------------------------------------------------------- ZeroNet
class ResidualBlock(nn.Module):
    def __init__(self, filters: int):
        super().__init__()
        self.conv1 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(filters)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class ZeroNet(nn.Module):
    """x: (B, input_planes, N, N) -> (policy logits (B, N*N+1), value (B,))."""

    kind = "zero"

    def __init__(self, config: ZeroNetConfig = ZeroNetConfig()):
        super().__init__()
        self.config = config
        n, f = config.board_size, config.filters
        self.stem = nn.Sequential(nn.Conv2d(config.input_planes, f, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(f), nn.ReLU())
        self.tower = nn.Sequential(*[ResidualBlock(f) for _ in range(config.blocks)])
        self.policy_conv = nn.Sequential(nn.Conv2d(f, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
        self.policy_fc = nn.Linear(2 * n * n, n * n + 1)
        self.value_conv = nn.Sequential(nn.Conv2d(f, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU())
        self.value_fc = nn.Sequential(nn.Linear(n * n, config.value_hidden), nn.ReLU(),
                                      nn.Linear(config.value_hidden, 1))

    def forward(self, x):
        h = self.tower(self.stem(x))
        p = self.policy_fc(self.policy_conv(h).flatten(1))
        v = torch.tanh(self.value_fc(self.value_conv(h).flatten(1))).squeeze(1)
        return p, v


# ----------------------------------------------------------------------------- AlphaGo (2016)
class _Trunk(nn.Module):
    def __init__(self, planes: int, layers: int, filters: int):
        super().__init__()
        convs = [nn.Conv2d(planes, filters, 5, padding=2)]
        convs += [nn.Conv2d(filters, filters, 3, padding=1) for _ in range(layers - 1)]
        self.convs = nn.ModuleList(convs)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        return x


class PolicyNet(nn.Module):
    """x: (B, 48, N, N) -> policy logits (B, N*N+1). Used for the SL and the RL policy."""

    kind = "policy"

    def __init__(self, config: PolicyNetConfig = PolicyNetConfig()):
        super().__init__()
        self.config = config
        n = config.board_size
        self.trunk = _Trunk(config.input_planes, config.layers, config.filters)
        self.out = nn.Conv2d(config.filters, 1, 1, bias=False)
        self.position_bias = nn.Parameter(torch.zeros(n * n))
        self.pass_fc = nn.Linear(config.filters, 1)

    def forward(self, x):
        h = self.trunk(x)
        board = self.out(h).flatten(1) + self.position_bias
        pass_logit = self.pass_fc(h.mean(dim=(2, 3)))
        return torch.cat([board, pass_logit], dim=1)


class ValueNet(nn.Module):
    """x: (B, 49, N, N) -> value (B,) in [-1, 1] for the side to move."""

    kind = "value"

    def __init__(self, config: ValueNetConfig = ValueNetConfig()):
        super().__init__()
        self.config = config
        n = config.board_size
        self.trunk = _Trunk(config.input_planes, config.layers, config.filters)
        self.out = nn.Conv2d(config.filters, 1, 1)
        self.fc = nn.Sequential(nn.Linear(n * n, config.hidden), nn.ReLU(), nn.Linear(config.hidden, 1))

    def forward(self, x):
        return torch.tanh(self.fc(F.relu(self.out(self.trunk(x))).flatten(1))).squeeze(1)


MODEL_CLASSES = {"zero": (ZeroNet, ZeroNetConfig), "policy": (PolicyNet, PolicyNetConfig),
                 "value": (ValueNet, ValueNetConfig)}


def _register_rollout():
    from .rollout import RolloutNet, RolloutNetConfig
    MODEL_CLASSES["rollout"] = (RolloutNet, RolloutNetConfig)


_register_rollout()


def config_dict(model: nn.Module) -> dict:
    return asdict(model.config)
