"""Tabular temporal-difference control: Q-learning, SARSA and expected SARSA.

All three keep a table ``Q[s, a]`` and, after every step ``(s, a, r, s')``, move
``Q(s, a)`` a step ``alpha`` towards a one-step target (Sutton & Barto 2018, ch. 6):

    Q(s, a) <- Q(s, a) + alpha * [target - Q(s, a)]

    Q-learning      target = r + gamma * max_a' Q(s', a')                   (eq. 6.8)
    SARSA           target = r + gamma * Q(s', a'),  a' ~ eps-greedy(Q, s')  (eq. 6.7)
    expected SARSA  target = r + gamma * sum_a' pi(a'|s') Q(s', a')          (eq. 6.9)

with ``gamma * (...)`` dropped when ``s'`` is terminal (never when the episode was only
truncated by a time limit). Q-learning is *off-policy*: it learns the greedy policy's
values while behaving epsilon-greedily, so on CliffWalking it learns the optimal path
along the cliff edge (return -13) yet falls off now and then while exploring. SARSA is
*on-policy*: it learns the values of the epsilon-greedy policy it follows, and so prefers
the safer path a row or two away from the cliff, with better online returns.

The three targets are the functions :func:`q_learning_target`, :func:`sarsa_target` and
:func:`expected_sarsa_target`; the loop that calls them is :func:`_td_control`.
"""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from .common import (
    LearningCurve,
    TrainResult,
    action_mask,
    argmax_random_tie,
    evaluate,
    linear_schedule,
    make_env,
    masked_argmax,
)

__all__ = [
    "TabularConfig", "QLearningConfig", "SarsaConfig", "train_qlearning", "train_sarsa",
    "q_learning_target", "sarsa_target", "expected_sarsa_target", "epsilon_greedy",
    "epsilon_greedy_probs",
]


@dataclass
class TabularConfig:
    """Settings shared by the tabular TD methods."""

    episodes: int = 500
    """number of training episodes"""
    alpha: float = 0.5
    """step size of the TD update, Q(s,a) += alpha * (target - Q(s,a))"""
    alpha_end: float | None = None
    """if set, alpha decays linearly from `alpha` to this value over all episodes"""
    gamma: float = 1.0
    """discount factor"""
    epsilon: float = 0.1
    """exploration rate of the epsilon-greedy behaviour policy at the start"""
    epsilon_end: float | None = None
    """if set, epsilon decays linearly to this value over the first `epsilon_decay_fraction`
    of the episodes"""
    epsilon_decay_fraction: float = 1.0
    """fraction of the episodes over which epsilon decays (when `epsilon_end` is set)"""
    initial_q: float = 0.0
    """initial value of every Q(s, a); optimistic values drive early exploration"""
    max_steps: int = 10_000
    """cap on the steps of one training episode (the episode is truncated, not terminated)"""
    eval_interval: int = 0
    """evaluate the greedy policy every this many episodes (0: never)"""
    eval_episodes: int = 100
    """episodes per evaluation during training"""

    def epsilon_at(self, episode: int) -> float:
        if self.epsilon_end is None:
            return self.epsilon
        return linear_schedule(self.epsilon, self.epsilon_end,
                               self.epsilon_decay_fraction * self.episodes, episode)

    def alpha_at(self, episode: int) -> float:
        if self.alpha_end is None:
            return self.alpha
        return linear_schedule(self.alpha, self.alpha_end, self.episodes, episode)


@dataclass
class QLearningConfig(TabularConfig):
    """Tabular Q-learning (Watkins 1989); every field is a :class:`TabularConfig` field."""


@dataclass
class SarsaConfig(TabularConfig):
    """Tabular SARSA (Rummery & Niranjan 1994)."""

    expected: bool = False
    """expected SARSA: average Q(s', .) under the epsilon-greedy policy instead of sampling
    a'"""


# --------------------------------------------------------------------------- the maths

def epsilon_greedy_probs(q_row: np.ndarray, epsilon: float,
                         mask: np.ndarray | None = None) -> np.ndarray:
    """pi(.|s) of the epsilon-greedy policy: epsilon spread uniformly over the legal
    actions, the rest shared by the greedy ones."""
    legal = np.ones(len(q_row), bool) if mask is None else mask
    q = np.where(legal, q_row, -np.inf)
    greedy = (q == q.max()) & legal
    probs = epsilon * legal / legal.sum()
    probs += (1.0 - epsilon) * greedy / greedy.sum()
    return probs


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator,
                   mask: np.ndarray | None = None) -> int:
    """With probability epsilon a uniformly random legal action, else a greedy one
    (ties broken at random)."""
    if rng.random() < epsilon:
        legal = np.flatnonzero(mask) if mask is not None else np.arange(len(q_row))
        return int(rng.choice(legal))
    return argmax_random_tie(q_row, rng, mask)


def q_learning_target(Q: np.ndarray, r: float, s2: int, terminated: bool, gamma: float,
                      mask2: np.ndarray | None = None) -> float:
    """r + gamma * max_a' Q(s', a')  (0 future when s' is terminal)."""
    if terminated:
        return r
    q = Q[s2] if mask2 is None else Q[s2][mask2]
    return r + gamma * float(np.max(q))


def sarsa_target(Q: np.ndarray, r: float, s2: int, a2: int, terminated: bool,
                 gamma: float) -> float:
    """r + gamma * Q(s', a') for the action a' the behaviour policy picked in s'."""
    return r if terminated else r + gamma * float(Q[s2, a2])


def expected_sarsa_target(Q: np.ndarray, r: float, s2: int, terminated: bool, gamma: float,
                          epsilon: float, mask2: np.ndarray | None = None) -> float:
    """r + gamma * sum_a' pi(a'|s') Q(s', a') with pi epsilon-greedy."""
    if terminated:
        return r
    probs = epsilon_greedy_probs(Q[s2], epsilon, mask2)
    return r + gamma * float(np.dot(probs, Q[s2]))


# --------------------------------------------------------------------------- the loop

def _table_policy(Q: np.ndarray):
    n_actions = Q.shape[1]

    def act(obs, info=None) -> int:
        return masked_argmax(Q[int(obs)], action_mask(info, n_actions))

    return act


def _check_discrete(env: gym.Env) -> tuple[int, int]:
    if not isinstance(env.observation_space, gym.spaces.Discrete):
        raise ValueError(f"tabular methods need a Discrete observation space, got "
                         f"{env.observation_space} (use DQN or a policy-gradient method)")
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"tabular methods need a Discrete action space, got {env.action_space}")
    return int(env.observation_space.n), int(env.action_space.n)


def _td_control(env: gym.Env | str, config: TabularConfig, seed: int, kind: str,
                progress: bool) -> TrainResult:
    env = make_env(env)
    n_states, n_actions = _check_discrete(env)
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    Q = np.full((n_states, n_actions), float(config.initial_q))
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    curve = LearningCurve(algo=kind, env_id=env_id)
    eval_env = make_env(env.spec) if (config.eval_interval and env.spec) else None
    total_steps = 0
    bar = tqdm(range(config.episodes), desc=kind, disable=not progress, leave=False)
    try:
        for episode in bar:
            eps, alpha = config.epsilon_at(episode), config.alpha_at(episode)
            s, info = env.reset(seed=seed if episode == 0 else None)
            mask = action_mask(info, n_actions)
            a = epsilon_greedy(Q[s], eps, rng, mask)
            ret, length = 0.0, 0
            for _ in range(config.max_steps):
                s2, r, terminated, truncated, info = env.step(a)
                mask2 = action_mask(info, n_actions)
                ret += float(r)
                length += 1
                if kind == "qlearning":
                    target = q_learning_target(Q, r, s2, terminated, config.gamma, mask2)
                    a2 = None
                elif kind == "sarsa":
                    a2 = epsilon_greedy(Q[s2], eps, rng, mask2) if mask2.any() else 0
                    target = sarsa_target(Q, r, s2, a2, terminated, config.gamma)
                else:  # expected SARSA
                    target = expected_sarsa_target(Q, r, s2, terminated, config.gamma, eps,
                                                   mask2)
                    a2 = None
                Q[s, a] += alpha * (target - Q[s, a])
                if terminated or truncated:
                    break
                s = s2
                a = a2 if a2 is not None else epsilon_greedy(Q[s], eps, rng, mask2)
            total_steps += length
            curve.add_episode(ret, length, total_steps)
            if eval_env is not None and (episode + 1) % config.eval_interval == 0:
                res = evaluate(eval_env, _table_policy(Q), config.eval_episodes,
                               seed=seed + 1_000_000, max_steps=config.max_steps)
                curve.add_eval(total_steps, res.mean)
            if progress and (episode + 1) % 50 == 0:
                bar.set_postfix(ret100=f"{curve.mean_return():.2f}", eps=f"{eps:.3f}")
    except KeyboardInterrupt:
        curve.interrupted = True
    finally:
        bar.close()
    return TrainResult(algo=kind, config=config, seed=seed, curve=curve,
                       policy=_table_policy(Q), q=Q)


def train_qlearning(env: gym.Env | str, config: QLearningConfig | None = None, seed: int = 0,
                    progress: bool = True) -> TrainResult:
    """Tabular Q-learning on an environment with Discrete observations and actions.

    Returns a :class:`TrainResult` whose ``q`` is the learned table and whose ``policy``
    is greedy in it. Ctrl-C stops training early and still returns what was learned.
    """
    return _td_control(env, config or QLearningConfig(), seed, "qlearning", progress)


def train_sarsa(env: gym.Env | str, config: SarsaConfig | None = None, seed: int = 0,
                progress: bool = True) -> TrainResult:
    """Tabular SARSA (or expected SARSA with ``config.expected``); see :func:`train_qlearning`."""
    config = config or SarsaConfig()
    kind = "expected_sarsa" if getattr(config, "expected", False) else "sarsa"
    return _td_control(env, config, seed, kind, progress)
