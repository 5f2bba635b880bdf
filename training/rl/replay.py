"""Uniform experience replay (Lin 1992; Mnih et al. 2015) as a numpy ring buffer.

Each row is one transition ``(s, a, r, s', terminated, legal(s'))``; ``s`` and ``s'`` are
stored already encoded (``(D,)`` float32, see :class:`training.rl.networks.ObsEncoder`).
``terminated`` is True only when ``s'`` is terminal; a time-limit truncation stores False
so that the target still bootstraps from ``s'``. ``legal(s')`` is the next state's action
mask, which the DQN target needs to take its max over legal actions only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ReplayBuffer", "Batch"]


@dataclass
class Batch:
    """A sampled minibatch as tensors: obs (B, D), actions (B,), rewards (B,),
    next_obs (B, D), terminated (B,) float, next_mask (B, A) bool."""

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor
    next_mask: torch.Tensor


class ReplayBuffer:
    """Fixed-capacity FIFO of transitions; once full the oldest is overwritten."""

    def __init__(self, capacity: int, obs_dim: int, n_actions: int):
        if capacity <= 0:
            raise ValueError(f"replay capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.next_mask = np.ones((capacity, n_actions), dtype=bool)
        self.pos = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray,
            terminated: bool, next_mask: np.ndarray | None = None) -> None:
        i = self.pos
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = float(terminated)
        self.next_mask[i] = True if next_mask is None else next_mask
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """``batch_size`` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        return Batch(
            obs=torch.from_numpy(self.obs[idx]),
            actions=torch.from_numpy(self.actions[idx]),
            rewards=torch.from_numpy(self.rewards[idx]),
            next_obs=torch.from_numpy(self.next_obs[idx]),
            terminated=torch.from_numpy(self.terminated[idx]),
            next_mask=torch.from_numpy(self.next_mask[idx]),
        )
