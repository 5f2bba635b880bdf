"""AlphaGo's fast rollout (and tree) policy as a torch module, for training: a linear softmax
over sparse binary pattern features (goengine/features/_patterns.pyx documents the index
space), p(a|s) = softmax_a(sum_{i in features(s, a)} w_i). The trained weights go to the C
sampler unchanged: `FastRolloutPolicy(net.export())`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class RolloutNetConfig:
    board_size: int = 9
    """Board the policy was trained on (its patterns are size-free, but records keep it)."""
    num_features: int = 0
    """Length of the weight vector: NUM_ROLLOUT_FEATURES, or NUM_TREE_FEATURES for the tree policy."""
    tree: bool = False
    """True for the tree policy (more features, every legal move a candidate)."""
    feature_set: str = "rollout"


class RolloutNet(nn.Module):
    """Linear softmax over candidate moves.

    forward(indices, offsets, groups) with, for a batch of positions, all candidate moves
    concatenated: indices int64 (nnz,), offsets int64 (M,) the start of each move's features
    in `indices`, groups int64 (M,) the position each move belongs to. Returns the logit of
    every candidate move (M,); `loss` turns them into the cross-entropy of the chosen moves.
    """

    kind = "rollout"

    def __init__(self, config: RolloutNetConfig):
        super().__init__()
        if config.num_features <= 0:
            raise ValueError("RolloutNetConfig.num_features must be set (NUM_ROLLOUT_FEATURES or NUM_TREE_FEATURES)")
        self.config = config
        self.weights = nn.EmbeddingBag(config.num_features, 1, mode="sum")
        nn.init.zeros_(self.weights.weight)

    def forward(self, indices, offsets):
        return self.weights(indices, offsets).squeeze(1)

    @staticmethod
    def loss(logits, groups, targets, num_groups: int):
        """Cross-entropy of the target move of each position. targets: int64 (num_groups,)
        index (into the M candidates) of the move played in each position."""
        maxes = torch.full((num_groups,), -1e30, dtype=logits.dtype).scatter_reduce(
            0, groups, logits, reduce="amax", include_self=True)
        exp = torch.exp(logits - maxes[groups])
        sums = torch.zeros(num_groups, dtype=logits.dtype).index_add(0, groups, exp)
        log_z = torch.log(sums) + maxes
        return (log_z - logits[targets]).mean()

    def export(self) -> np.ndarray:
        """The weight vector for goengine.features.FastRolloutPolicy / TreePolicy."""
        return self.weights.weight.detach().cpu().numpy().reshape(-1).astype(np.float32)
