"""Input features: plane sets for the networks, the 8 symmetries, rollout-policy patterns.

Registry: `PLANE_SETS[name] -> (num_planes, history_length)`, history_length being the
LeafBatch stones history the set reads:
  "zero17"  AlphaGo Zero's input (zero.py numpy reference, _zero.pyx in C);
  "zerogo25" zero17 plus Go features: liberties, the simple-ko point, ladders (_zerogo.pyx,
            zerogo_ref.py the reference; zerogo25(stones, to_play, size) at training time);
  "lee48"   AlphaGo's policy-network input, "lee49" its value-network input (+ player colour)
            (_lee.pyx in C, lee_ref.py the reference); they read one position plus the
            last 8 moves (`last_moves`, see _lee.pyx) instead of stone history.
`batch_planes(name, batch, last_moves=None)` extracts any of them from a search LeafBatch.

The fast policy (AlphaGo's rollout and tree policies): _patterns.pyx documents the feature
index space; _rollout.pyx holds FastRolloutPolicy (the C sampler, a search RolloutPolicy),
TreePolicy, feature_indices and move_features; patterns_ref.py is the reference.

The Cython names below (lee48, FastRolloutPolicy, ...) are imported on first use, so that
`import goengine.features` works before the extensions are built.
"""
from importlib import import_module

from .symmetry import (NUM_SYMMETRIES, action_map, apply_planes, apply_planes_each, apply_policy,
                       apply_policy_each, inverse, inverse_each)
from .zero import zero17

PLANE_SETS = {"zero17": (17, 8), "zerogo25": (25, 8), "lee48": (48, 1), "lee49": (49, 1)}

_LAZY = {
    # AlphaGo's planes
    "lee48": "_lee", "lee49": "_lee", "lee_planes": "_lee", "lee_planes_states": "_lee",
    "lee_planes_batch": "_lee", "recent_moves": "_lee", "ladder_capture": "_lee",
    "ladder_escape": "_lee",
    # AlphaGo Zero's planes in C
    "zero17_fast": "_zero", "zero17_batch": "_zero",
    # zero17 plus liberties, ko and ladders, in C
    "zerogo25": "_zerogo", "zerogo25_batch": "_zerogo",
    # the fast policy
    "FastRolloutPolicy": "_rollout", "TreePolicy": "_rollout", "RolloutState": "_rollout",
    "feature_indices": "_rollout", "move_features": "_rollout",
}
_CONSTANTS = {"NUM_ROLLOUT_FEATURES": ("_patterns", "ROLLOUT_FEATURES"),
              "NUM_TREE_FEATURES": ("_patterns", "TREE_FEATURES"),
              "FEATURE_OFFSETS": ("_patterns", "OFFSETS")}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    if name in _CONSTANTS:
        module, attr = _CONSTANTS[name]
        return getattr(import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


HISTORY_SETS = ("zero17", "zerogo25")
"""The plane sets made from stored stone history alone (self-play shards hold that history)."""


def history_planes(name: str, stones, to_play, size: int):
    """The planes of a stone-history set (HISTORY_SETS) from stored samples: stones int8
    (B, H, N*N) most recent first, to_play (B,) -> float32 (B, planes, N, N)."""
    if name == "zero17":
        return zero17(stones, to_play, size)
    if name == "zerogo25":
        return import_module("._zerogo", __name__).zerogo25(stones, to_play, size)
    raise ValueError(f"plane set {name!r} is not made from stone history; those are {', '.join(HISTORY_SETS)}")


def batch_planes(name: str, batch, last_moves=None):
    """The planes of set `name` for the leaves of a search LeafBatch: float32
    (n, planes, N, N). last_moves: int16 (n, 8), for the lee sets only (see _lee.pyx)."""
    if name == "zero17":
        return import_module("._zero", __name__).zero17_batch(batch)
    if name == "zerogo25":
        return import_module("._zerogo", __name__).zerogo25_batch(batch)
    if name in ("lee48", "lee49"):
        return import_module("._lee", __name__).lee_planes_batch(batch, last_moves, PLANE_SETS[name][0])
    raise ValueError(f"unknown plane set {name!r}; known: {sorted(PLANE_SETS)}")


__all__ = [
    "FEATURE_OFFSETS",
    "HISTORY_SETS",
    "NUM_ROLLOUT_FEATURES",
    "NUM_SYMMETRIES",
    "NUM_TREE_FEATURES",
    "PLANE_SETS",
    "FastRolloutPolicy",
    "RolloutState",
    "TreePolicy",
    "action_map",
    "apply_planes",
    "apply_planes_each",
    "apply_policy",
    "apply_policy_each",
    "batch_planes",
    "feature_indices",
    "history_planes",
    "inverse",
    "inverse_each",
    "ladder_capture",
    "ladder_escape",
    "lee48",
    "lee49",
    "lee_planes",
    "lee_planes_batch",
    "lee_planes_states",
    "move_features",
    "recent_moves",
    "zero17",
    "zero17_batch",
    "zero17_fast",
    "zerogo25",
    "zerogo25_batch",
]
