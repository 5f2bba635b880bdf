"""Opponents for :class:`goengine.envs.GoEnv`: anything with ``select_move(game) -> action``.

The agent protocol is ``goengine.agents``' (``select_move(game)`` returns an action, pass
``N*N``, or ``RESIGN`` = -1; ``reset()`` is called when a game starts). This module adds two
opponents that only environments need, and the adapter that turns a policy trained in the
environment into an opponent (for play against earlier selves, as AlphaGo's RL stage did).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..agents import RandomAgent
from .observation import observation

__all__ = ["RESIGN", "RandomAgent", "PassAgent", "PolicyAgent", "make_opponent"]

RESIGN = -1


class PassAgent:
    """Always passes: the weakest opponent, useful in tests."""

    name = "pass"
    last_result = None

    def reset(self) -> None:
        pass

    def select_move(self, game) -> int:
        return game.size * game.size


class PolicyAgent:
    """An environment policy ``act(obs, info) -> action`` as an agent for any game.

    It sees the position through :func:`goengine.envs.go.observation` from the side to move
    and ``info["action_mask"]``, exactly as the policy saw positions in ``GoEnv``.
    """

    def __init__(self, policy: Callable[[np.ndarray, dict], int], name: str = "policy"):
        self.policy = policy
        self.name = name
        self.last_result = None

    def reset(self) -> None:
        pass

    def select_move(self, game) -> int:
        legal = game.legal_mask()
        obs = observation(game, game.to_play, legal)
        return int(self.policy(obs, {"action_mask": legal.astype(np.int8)}))


def make_opponent(spec: Any) -> tuple[Any, bool]:
    """``(opponent, owned)`` from an ``opponent=`` argument: None or ``"random"`` gives a
    RandomAgent that the environment seeds (owned = True), ``"pass"`` a PassAgent; any
    object with ``select_move`` is used as it is."""
    if spec is None or spec == "random":
        return RandomAgent(), True
    if spec == "pass":
        return PassAgent(), False
    if isinstance(spec, str):
        raise ValueError(f"unknown opponent {spec!r}: use 'random', 'pass' or an object "
                         f"with select_move(game)")
    if not callable(getattr(spec, "select_move", None)):
        raise TypeError(f"opponent {spec!r} has no select_move(game) method")
    return spec, False
