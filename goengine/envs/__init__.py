"""Go as a gymnasium environment (the only place in ``goengine`` that imports gymnasium).

Importing this package registers:

================================  =============================================
id                                 defaults
================================  =============================================
``goengine/Go-v0``                 9x9 (pass ``size=`` for any size 2..25)
``goengine/Go5x5-v0``              5x5
``goengine/Go7x7-v0``              7x7
``goengine/Go9x9-v0``              9x9
================================  =============================================

All take the keyword arguments of :class:`GoEnv` (``komi``, ``opponent``,
``agent_color``, ``superko``, ``max_moves``, ``illegal_action``, ``render_mode``)::

    import gymnasium as gym
    import goengine.envs

    env = gym.make("goengine/Go5x5-v0", opponent="random", agent_color="random")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(
        env.action_space.sample(mask=info["action_mask"]))

Without importing it first, ``gym.make("goengine.envs:goengine/Go-v0")`` imports it.
"""
from __future__ import annotations

from gymnasium.envs.registration import register, registry

from .go import NUM_PLANES, PLANES, GoEnv, observation
from .opponents import PassAgent, PolicyAgent, RandomAgent, make_opponent
from .render import draw_board

__all__ = ["GoEnv", "observation", "PLANES", "NUM_PLANES", "RandomAgent", "PassAgent",
           "PolicyAgent", "make_opponent", "draw_board", "ENV_IDS"]

ENV_IDS = {
    "goengine/Go-v0": {},
    "goengine/Go5x5-v0": {"size": 5},
    "goengine/Go7x7-v0": {"size": 7},
    "goengine/Go9x9-v0": {"size": 9},
}

for _id, _kwargs in ENV_IDS.items():
    if _id not in registry:
        register(id=_id, entry_point="goengine.envs.go:GoEnv", kwargs=dict(_kwargs))
