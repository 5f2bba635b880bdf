"""Small torch networks and the observation encoding the deep methods share.

Tensor contract: :class:`ObsEncoder` turns a batch of raw observations into a float32
tensor ``x: (B, D)``:

* ``Discrete(n)``  -> one-hot, D = n (FrozenLake, CliffWalking, Taxi);
* ``Box(shape)``    -> flattened, D = prod(shape) (CartPole's 4 numbers; the Go
  environment's ``(planes, N, N)`` stack becomes ``planes * N * N``).

Every network maps ``x: (B, D)`` to ``(B, out)``: Q-values ``Q(s, .)``, policy logits, or
a state value ``V(s)`` with out = 1. :func:`build_net` makes either an MLP or, for image
observations ``(C, N, N)`` such as Go's planes, a small convolutional net (3x3 convolutions
that keep the N x N shape, then the MLP head) - the shape of AlphaGo's policy network.
"""
from __future__ import annotations

from typing import Sequence

import gymnasium as gym
import numpy as np
import torch
from torch import nn

__all__ = [
    "ObsEncoder", "mlp", "masked_logits", "MASK_VALUE", "CategoricalActor", "ValueNet",
    "GreedyPolicy", "SamplingPolicy", "ConvNet", "build_net",
]

MASK_VALUE = -1e9
"""logit given to illegal actions: exp(MASK_VALUE - max) underflows to exactly 0"""


class ObsEncoder:
    """Raw observations (numpy) -> ``torch.float32`` tensor ``(B, D)``."""

    def __init__(self, space: gym.Space):
        if isinstance(space, gym.spaces.Discrete):
            self.kind, self.dim, self.start = "onehot", int(space.n), int(space.start)
        elif isinstance(space, gym.spaces.Box):
            self.kind, self.dim, self.start = "flat", int(np.prod(space.shape)), 0
        else:
            raise ValueError(f"unsupported observation space {space}: "
                             "expected Discrete or Box")
        self.space = space

    def numpy(self, obs_batch) -> np.ndarray:
        """``(B, D)`` float32 array (what a replay buffer stores)."""
        if self.kind == "onehot":
            idx = np.asarray(obs_batch, dtype=np.int64).reshape(-1) - self.start
            out = np.zeros((len(idx), self.dim), dtype=np.float32)
            out[np.arange(len(idx)), idx] = 1.0
            return out
        return np.asarray(obs_batch, dtype=np.float32).reshape(-1, self.dim)

    def one(self, obs) -> np.ndarray:
        """A single observation as a ``(D,)`` float32 array."""
        return self.numpy([obs])[0]

    def __call__(self, obs_batch) -> torch.Tensor:
        return torch.from_numpy(self.numpy(obs_batch))


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, out_gain: float = 1.0) -> nn.Sequential:
    """``in_dim -> hidden... -> out_dim`` with ReLU between layers.

    Weights are orthogonal with gain sqrt(2) (the common choice for ReLU nets in
    policy-gradient code) and ``out_gain`` on the last layer: a small gain such as 0.01
    for policy logits starts the policy near uniform.
    """
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    layers.append(nn.Linear(d, out_dim))
    for i, layer in enumerate(m for m in layers if isinstance(m, nn.Linear)):
        last = i == len(hidden)
        nn.init.orthogonal_(layer.weight, gain=out_gain if last else np.sqrt(2))
        nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class ConvNet(nn.Module):
    """``x: (B, C*N*N)`` -> view ``(B, C, N, N)`` -> ``layers`` x (3x3 conv, ReLU) with
    ``channels`` filters and zero padding -> flatten ``(B, channels*N*N)`` -> MLP head."""

    def __init__(self, image_shape: Sequence[int], channels: int, layers: int,
                 hidden: Sequence[int], out_dim: int, out_gain: float = 1.0):
        super().__init__()
        c, h, w = image_shape
        self.image_shape = (int(c), int(h), int(w))
        convs: list[nn.Module] = []
        for i in range(layers):
            conv = nn.Conv2d(c if i == 0 else channels, channels, 3, padding=1)
            nn.init.orthogonal_(conv.weight, gain=np.sqrt(2))
            nn.init.zeros_(conv.bias)
            convs += [conv, nn.ReLU()]
        self.trunk = nn.Sequential(*convs)
        self.head = mlp(channels * h * w, hidden, out_dim, out_gain=out_gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, *self.image_shape)
        return self.head(self.trunk(x).flatten(1))


def build_net(encoder: "ObsEncoder", hidden: Sequence[int], out_dim: int,
              out_gain: float = 1.0, conv_channels: int = 0, conv_layers: int = 2) -> nn.Module:
    """An MLP, or a :class:`ConvNet` when ``conv_channels > 0`` (which needs a
    ``Box(C, N, N)`` observation space)."""
    if conv_channels <= 0:
        return mlp(encoder.dim, hidden, out_dim, out_gain=out_gain)
    shape = getattr(encoder.space, "shape", None)
    if encoder.kind != "flat" or shape is None or len(shape) != 3:
        raise ValueError(f"a convolutional network needs (C, N, N) observations, got "
                         f"{encoder.space}")
    return ConvNet(shape, conv_channels, conv_layers, hidden, out_dim, out_gain=out_gain)


def masked_logits(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Logits with illegal actions (``mask == False``) set to :data:`MASK_VALUE`, so that
    softmax gives them probability 0 and their gradients vanish."""
    if mask is None:
        return logits
    return torch.where(mask, logits, torch.full_like(logits, MASK_VALUE))


class CategoricalActor(nn.Module):
    """Policy ``pi_theta(a|s) = softmax(masked logits)``; ``x: (B, D) -> logits (B, A)``."""

    def __init__(self, encoder: ObsEncoder, hidden: Sequence[int], n_actions: int,
                 conv_channels: int = 0, conv_layers: int = 2):
        super().__init__()
        self.net = build_net(encoder, hidden, n_actions, 0.01, conv_channels, conv_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def distribution(self, x: torch.Tensor,
                     mask: torch.Tensor | None = None) -> torch.distributions.Categorical:
        return torch.distributions.Categorical(logits=masked_logits(self.net(x), mask))


class ValueNet(nn.Module):
    """State value ``V_w(s)``; ``x: (B, D) -> (B,)``."""

    def __init__(self, encoder: ObsEncoder, hidden: Sequence[int], conv_channels: int = 0,
                 conv_layers: int = 2):
        super().__init__()
        self.net = build_net(encoder, hidden, 1, 1.0, conv_channels, conv_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class GreedyPolicy:
    """``act(obs, info)``: the most probable legal action of a :class:`CategoricalActor`."""

    def __init__(self, actor: CategoricalActor, encoder: ObsEncoder, n_actions: int):
        self.actor, self.encoder, self.n_actions = actor, encoder, n_actions

    @torch.no_grad()
    def __call__(self, obs, info=None) -> int:
        logits = self.actor(self.encoder([obs]))[0].numpy()
        mask = np.ones(self.n_actions, bool)
        if info is not None and "action_mask" in info:
            mask = np.asarray(info["action_mask"]).astype(bool)
        return int(np.argmax(np.where(mask, logits, -np.inf)))


class SamplingPolicy(GreedyPolicy):
    """``act(obs, info)``: an action sampled from pi(.|obs) (legal ones only)."""

    def __init__(self, actor: CategoricalActor, encoder: ObsEncoder, n_actions: int,
                 rng: np.random.Generator):
        super().__init__(actor, encoder, n_actions)
        self.rng = rng

    @torch.no_grad()
    def __call__(self, obs, info=None) -> int:
        mask = None
        if info is not None and "action_mask" in info:
            mask = torch.as_tensor(np.asarray(info["action_mask"]).astype(bool))[None]
        probs = self.actor.distribution(self.encoder([obs]), mask).probs[0].double().numpy()
        return int(self.rng.choice(len(probs), p=probs / probs.sum()))
