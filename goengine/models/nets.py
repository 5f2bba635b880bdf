"""The networks of both recipes, as torch modules. Tensors are NCHW float32; a policy is
N*N+1 logits in action order (coords.py, pass last); a value is in [-1, 1] from the view of
the side to move.

  ZeroNet    AlphaGo Zero: 3x3 conv stem, `blocks` residual blocks of two 3x3 convs with batch
             norm, then one of two head sets (ZeroNetConfig.head):
             "fc"      AlphaGo Zero's: a policy head (1x1 conv to 2 planes, BN, ReLU, linear to
                       N*N+1) and a value head (1x1 conv to 1 plane, BN, ReLU, linear 256,
                       ReLU, linear 1, tanh); their linear layers tie the net to one size.
             "pooled"  KataGo's (Wu 2019, sections 3-4): board logits from 1x1 convolutions,
                       pass, value and score from global pooling, so one network runs on
                       every board size; it adds an ownership map, the final score and the
                       opponent's reply as outputs (`forward_all`), and global-pooling biases in
                       every `gpool_every`-th residual block.
  PolicyNet  AlphaGo (2016) SL/RL policy: a 5x5 conv then 3x3 convs with k filters and ReLU,
             then a 1x1 conv to one plane plus a position bias (the paper's 13 layers on 19x19);
             a pass logit from the pooled last hidden layer.
  ValueNet   AlphaGo (2016) value net: the same trunk on lee49, a 1x1 conv to one plane, a
             fully connected layer of 256, and a tanh output.
"""
from __future__ import annotations

import math
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
    """Input planes: 17 for the zero17 feature set, 25 for zerogo25."""
    value_hidden: int = 256
    """Units of the value head's hidden layer."""
    feature_set: str = "zero17"
    """Name of the input feature set (goengine.features.PLANE_SETS)."""
    head: str = "fc"
    """"fc": AlphaGo Zero's heads, tied to board_size (the default, so that checkpoints
    written before this field load as they were); "pooled": KataGo's size-free heads with
    ownership, score and opponent-reply outputs."""
    head_filters: int = 32
    """Channels of the pooled policy and value heads."""
    gpool_every: int = 0
    """Every k-th residual block (k, 2k, ...) adds a global-pooling bias to its first
    convolution's output (KataGo: 1.6x less compute to the same strength with it); 0: none."""


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


_POOLED = dict(head="pooled", gpool_every=2)
_GO = dict(feature_set="zerogo25", input_planes=25)
ZERO_PRESETS = {
    # AlphaGo Zero's architecture (heads tied to the board size)
    "tiny": dict(blocks=2, filters=32),
    "small": dict(blocks=4, filters=32),
    "9x9": dict(blocks=6, filters=64),
    "19x19": dict(blocks=20, filters=256, board_size=19),
    # the same towers with KataGo's size-free heads and global pooling
    "tiny-pooled": dict(blocks=2, filters=32, head_filters=16, value_hidden=64, **_POOLED),
    "small-pooled": dict(blocks=4, filters=32, head_filters=32, value_hidden=64, **_POOLED),
    "9x9-pooled": dict(blocks=6, filters=64, head_filters=32, value_hidden=128, **_POOLED),
    # with Go features in the input (zero17 + liberties, ko, ladders; KataGo: 1.55x)
    "tiny-pooled-go": dict(blocks=2, filters=32, head_filters=16, value_hidden=64, **_POOLED, **_GO),
    "small-pooled-go": dict(blocks=4, filters=32, head_filters=32, value_hidden=64, **_POOLED, **_GO),
    "19x19-pooled": dict(blocks=20, filters=256, head_filters=64, board_size=19, **_POOLED),
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


def global_pool(x, with_max: bool = True):
    """(B, C, N, N) -> (B, 3C): the mean, the mean scaled by (N - 14) / 10 (so that the
    heads can tell board sizes apart, as KataGo's) and the max (or, for the value head,
    the mean scaled by ((N - 14) / 10)^2 - 0.1, as KataGo's value head)."""
    mean = x.mean(dim=(2, 3))
    scale = (x.shape[-1] - 14) / 10.0
    third = x.amax(dim=(2, 3)) if with_max else mean * (scale * scale - 0.1)
    return torch.cat([mean, mean * scale, third], dim=1)


class GlobalPoolingBlock(nn.Module):
    """A residual block whose first convolution's output gets a per-channel bias computed
    from global pooling of the input (KataGo's global pooling: the tower sees the whole
    board at once, for ko fights and whole-board status, whatever its receptive field)."""

    def __init__(self, filters: int, pooled: int):
        super().__init__()
        self.conv1 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters)
        self.gconv = nn.Conv2d(filters, pooled, 1, bias=False)
        self.gbn = nn.BatchNorm2d(pooled)
        self.gfc = nn.Linear(3 * pooled, filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(filters)

    def forward(self, x):
        g = global_pool(F.relu(self.gbn(self.gconv(x))))
        y = F.relu(self.bn1(self.conv1(x)) + self.gfc(g)[:, :, None, None])
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


SCORE_SCALE = 20.0
"""Points per unit of the score head's raw output (its targets are final area margins)."""


class PooledHeads(nn.Module):
    """KataGo's heads on a tower output h (B, F, N, N), none tied to N:
      policy     a 1x1 conv to head_filters, biased by a linear map of its global pooling,
                 then a 1x1 conv to 2 planes: the move logits and the opponent's reply
                 logits; both pass logits are a linear map of the pooling;
      value      a 1x1 conv to head_filters; its pooling feeds a hidden layer, then the win
                 value (tanh) and the score (points, mover's view);
      ownership  a 1x1 conv of the value head's planes: tanh, +1 where the mover ends up
                 owning the point, -1 where the opponent does."""

    def __init__(self, filters: int, head: int, hidden: int):
        super().__init__()
        self.policy_conv = nn.Sequential(nn.Conv2d(filters, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU())
        self.policy_bias = nn.Linear(3 * head, head)
        self.policy_out = nn.Conv2d(head, 2, 1, bias=False)
        self.pass_fc = nn.Linear(3 * head, 2)
        self.value_conv = nn.Sequential(nn.Conv2d(filters, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU())
        self.value_fc = nn.Sequential(nn.Linear(3 * head, hidden), nn.ReLU(), nn.Linear(hidden, 2))
        self.ownership_out = nn.Conv2d(head, 1, 1)

    def forward(self, h):
        """(policy logits, opponent-reply logits, value, score, ownership raw (B, N, N))."""
        p = self.policy_conv(h)
        pooled = global_pool(p)
        p = F.relu(p + self.policy_bias(pooled)[:, :, None, None])
        board = self.policy_out(p).flatten(2)  # (B, 2, N*N)
        passes = self.pass_fc(pooled)  # (B, 2)
        v = self.value_conv(h)
        out = self.value_fc(global_pool(v, with_max=False))
        policy = torch.cat([board[:, 0], passes[:, :1]], dim=1)
        reply = torch.cat([board[:, 1], passes[:, 1:]], dim=1)
        return policy, reply, torch.tanh(out[:, 0]), out[:, 1] * SCORE_SCALE, self.ownership_out(v)[:, 0]


class ZeroNet(nn.Module):
    """x: (B, input_planes, N, N) -> (policy logits (B, N*N+1), value (B,)); with pooled
    heads, `forward_all(x)` also gives the ownership, score and opponent-reply heads."""

    kind = "zero"

    def __init__(self, config: ZeroNetConfig = ZeroNetConfig()):
        super().__init__()
        if config.head not in ("fc", "pooled"):
            raise ValueError(f"unknown ZeroNet head {config.head!r}: choose fc or pooled")
        self.config = config
        n, f = config.board_size, config.filters
        self.stem = nn.Sequential(nn.Conv2d(config.input_planes, f, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(f), nn.ReLU())
        every = config.gpool_every
        self.tower = nn.Sequential(*[GlobalPoolingBlock(f, max(8, f // 4)) if every and (i + 1) % every == 0
                                     else ResidualBlock(f) for i in range(config.blocks)])
        if config.head == "pooled":
            self.heads = PooledHeads(f, config.head_filters, config.value_hidden)
            return
        self.policy_conv = nn.Sequential(nn.Conv2d(f, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
        self.policy_fc = nn.Linear(2 * n * n, n * n + 1)
        self.value_conv = nn.Sequential(nn.Conv2d(f, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU())
        self.value_fc = nn.Sequential(nn.Linear(n * n, config.value_hidden), nn.ReLU(),
                                      nn.Linear(config.value_hidden, 1))

    @property
    def has_ownership(self) -> bool:
        """Whether `forward_all` gives ownership, score and opponent-reply heads."""
        return self.config.head == "pooled"

    def forward(self, x):
        h = self.tower(self.stem(x))
        if self.config.head == "pooled":
            policy, _, value, _, _ = self.heads(h)
            return policy, value
        p = self.policy_fc(self.policy_conv(h).flatten(1))
        v = torch.tanh(self.value_fc(self.value_conv(h).flatten(1))).squeeze(1)
        return p, v

    def forward_all(self, x) -> dict:
        """Every head: policy (B, N*N+1) logits, value (B,); with pooled heads also
        reply (B, N*N+1) logits of the opponent's next move, score (B,) the final area
        margin in points and ownership (B, N, N) in [-1, 1], both from the mover's view,
        and ownership_logit (B, N, N), the ownership before its tanh (for the loss)."""
        if self.config.head != "pooled":
            policy, value = self.forward(x)
            return {"policy": policy, "value": value}
        policy, reply, value, score, own = self.heads(self.tower(self.stem(x)))
        return {"policy": policy, "value": value, "reply": reply, "score": score,
                "ownership": torch.tanh(own), "ownership_logit": own}


class ScoreUtilityNet(nn.Module):
    """A pooled ZeroNet whose value output is the search's utility: the win value with a
    share `factor` of KataGo's static score utility (Wu 2019, section 4.2),

        u = (1 - factor) * v + factor * (2 / pi) * atan(score / N),

    N the board width (9 points on 9x9). The search then prefers, among moves that win (or
    lose) alike, the one that wins by more (or loses by less): it keeps playing well when the
    game hangs on a few points, where the win value is flat. u stays in [-1, 1], so Q,
    resignation and win rates read it as before (a share `factor` of them is the score's).
    Exportable and foldable like the network itself (the same .kind, .config, .meta)."""

    def __init__(self, net: "ZeroNet", factor: float):
        super().__init__()
        if not getattr(net, "has_ownership", False):
            raise ValueError("a score utility needs a network with a score head (pooled heads)")
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"score utility factor {factor} is not in [0, 1]")
        self.net = net
        self.factor = float(factor)
        for name in ("kind", "config", "meta"):
            if hasattr(net, name):
                setattr(self, name, getattr(net, name))

    @property
    def has_ownership(self) -> bool:
        return True

    def forward(self, x):
        out = self.net.forward_all(x)
        width = x.shape[-1]
        utility = torch.atan(out["score"] / width) * (2.0 / math.pi)
        return out["policy"], (1.0 - self.factor) * out["value"] + self.factor * utility

    def forward_all(self, x):
        return self.net.forward_all(x)


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
