"""Reinforcement-learning fundamentals on gymnasium environments, Go among them.

Reading order (docs/rl.md is the guide):

=====================  ==========================================================
module                 what it holds
=====================  ==========================================================
``common``             LearningCurve (CSV + PNG), TrainResult, ``evaluate``, seeding
``dp``                 known dynamics: policy evaluation, value iteration (V and Q)
``tabular``            Q-learning, SARSA, expected SARSA
``networks``           observation encoding, MLPs, masked softmax policies
``replay``             the replay buffer
``dqn``                DQN with target network and double DQN
``reinforce``          REINFORCE with a learned baseline
``actor_critic``       advantage actor-critic (A2C with GAE)
``cli``                the ``goengine-rl`` command
=====================  ==========================================================

Every ``train_*`` function takes ``(env, config, seed, progress)`` and returns a
:class:`~training.rl.common.TrainResult`. The deep methods (which need torch) are imported
on first use, so the tabular ones run without torch.
"""
from __future__ import annotations

import importlib

from .common import EvalResult, LearningCurve, TrainResult, evaluate, make_env
from .dp import TabularMDP, policy_evaluation, policy_iteration, q_from_v, value_iteration
from .tabular import QLearningConfig, SarsaConfig, train_qlearning, train_sarsa

_LAZY = {
    "DQNConfig": "dqn", "train_dqn": "dqn",
    "ReinforceConfig": "reinforce", "train_reinforce": "reinforce",
    "A2CConfig": "actor_critic", "train_a2c": "actor_critic",
}

__all__ = [
    "EvalResult", "LearningCurve", "TrainResult", "evaluate", "make_env", "TabularMDP",
    "policy_evaluation", "policy_iteration", "q_from_v", "value_iteration",
    "QLearningConfig", "SarsaConfig", "train_qlearning", "train_sarsa", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
