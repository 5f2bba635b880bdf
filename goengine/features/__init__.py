"""Input features: plane sets for the networks, the 8 symmetries, rollout-policy patterns.

Registry: `PLANE_SETS[name] -> (num_planes, history_length)`; "zero17" is AlphaGo Zero's input.
"""
from .symmetry import NUM_SYMMETRIES, action_map, apply_planes, apply_policy, inverse
from .zero import zero17

PLANE_SETS = {"zero17": (17, 8)}

__all__ = ["PLANE_SETS", "zero17", "NUM_SYMMETRIES", "apply_planes", "apply_policy", "inverse", "action_map"]
