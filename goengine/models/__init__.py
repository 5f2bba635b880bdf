"""Torch networks, checkpoints and their Evaluator adapters (the only torch users of goengine)."""
from .checkpoint import CHECKPOINT_SCHEMA, CheckpointError, load, save
from .evaluators import LeeEvaluator, NetworkEvaluator, PolicyValueEvaluator, masked_softmax, network_ownership
from .rollout import RolloutNet, RolloutNetConfig
from .nets import (
    PolicyNet, PolicyNetConfig, ScoreUtilityNet, ValueNet, ValueNetConfig, ZeroNet, ZeroNetConfig, ZERO_PRESETS,
    zero_config,
)

__all__ = [
    "ZeroNet", "ZeroNetConfig", "PolicyNet", "PolicyNetConfig", "ValueNet", "ValueNetConfig",
    "ZERO_PRESETS", "zero_config", "save", "load", "CheckpointError", "CHECKPOINT_SCHEMA",
    "PolicyValueEvaluator", "NetworkEvaluator", "LeeEvaluator", "masked_softmax", "RolloutNet",
    "RolloutNetConfig", "ScoreUtilityNet", "network_ownership",
]
