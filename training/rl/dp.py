"""Dynamic programming on known dynamics: policy evaluation, value iteration, policy iteration.

Gymnasium's toy-text environments (FrozenLake, CliffWalking, Taxi) publish their dynamics
as ``env.unwrapped.P[s][a] = [(p, s', r, terminated), ...]``. :class:`TabularMDP` turns
that into two arrays,

* ``P[s, a, s']`` - probability of moving to ``s'`` *and carrying on* (transitions that
  terminate are left out, so nothing is bootstrapped after the end), and
* ``R[s, a]``     - expected immediate reward ``sum_{s'} p(s'|s,a) r``,

so that every Bellman backup is one line of numpy:

    Q(s, a) = R(s, a) + gamma * sum_{s'} P(s, a, s') V(s')                  (backup)
    V^pi(s) = sum_a pi(a|s) Q^pi(s, a)                  (Bellman expectation, S&B eq. 4.5)
    V*(s)   = max_a [R(s, a) + gamma * sum_{s'} P(s, a, s') V*(s')]      (optimality, eq. 4.10)

Nothing here samples: these are the exact values the sampling methods of
:mod:`training.rl.tabular` estimate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DPConfig", "TabularMDP", "q_from_v", "policy_evaluation", "value_iteration",
    "policy_iteration",
    "greedy_policy", "uniform_policy", "DPResult",
]


@dataclass
class DPConfig:
    """Settings of the dynamic-programming methods."""

    gamma: float = 0.99
    """discount factor"""
    theta: float = 1e-10
    """stop sweeping once no value changes by more than this"""


@dataclass
class TabularMDP:
    """Finite MDP as arrays: ``P`` (S, A, S) continuing-transition probabilities and
    ``R`` (S, A) expected rewards. Rows of ``P`` sum to 1 minus the probability of
    terminating."""

    P: np.ndarray
    R: np.ndarray

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    @classmethod
    def from_transitions(cls, transitions: dict, n_states: int | None = None,
                         n_actions: int | None = None) -> "TabularMDP":
        """From a gymnasium-style table ``transitions[s][a] = [(p, s', r, terminated), ...]``."""
        n_states = n_states if n_states is not None else len(transitions)
        n_actions = n_actions if n_actions is not None else len(transitions[0])
        P = np.zeros((n_states, n_actions, n_states))
        R = np.zeros((n_states, n_actions))
        for s in range(n_states):
            for a in range(n_actions):
                total = 0.0
                for p, s2, r, terminated in transitions[s][a]:
                    total += p
                    R[s, a] += p * r
                    if not terminated:
                        P[s, a, int(s2)] += p
                if abs(total - 1.0) > 1e-6:
                    raise ValueError(f"transition probabilities of (s={s}, a={a}) sum to {total}")
        return cls(P, R)

    @classmethod
    def from_env(cls, env) -> "TabularMDP":
        """From a toy-text environment (wrapped or not) that exposes ``unwrapped.P``."""
        base = env.unwrapped
        if not hasattr(base, "P"):
            raise ValueError(f"{env} does not publish its dynamics as .P; "
                             "dynamic programming needs a toy-text environment")
        return cls.from_transitions(base.P, env.observation_space.n, env.action_space.n)


@dataclass
class DPResult:
    """Values and greedy policy from a DP method, and the number of sweeps it took."""

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    """greedy action per state, shape (S,)"""
    sweeps: int

    def act(self, obs, info=None) -> int:
        """The greedy policy as ``act(obs, info) -> action``."""
        return int(self.policy[int(obs)])


def q_from_v(mdp: TabularMDP, V: np.ndarray, gamma: float) -> np.ndarray:
    """One-step lookahead ``Q(s,a) = R(s,a) + gamma * sum_s' P(s,a,s') V(s')``."""
    return mdp.R + gamma * mdp.P @ V


def uniform_policy(mdp: TabularMDP) -> np.ndarray:
    """pi(a|s) = 1/A as an (S, A) array."""
    return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)


def greedy_policy(Q: np.ndarray) -> np.ndarray:
    """argmax_a Q(s, a) per state (first maximum on ties), shape (S,)."""
    return np.argmax(Q, axis=1)


def _as_distribution(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    policy = np.asarray(policy)
    if policy.ndim == 1:  # deterministic: one action per state
        pi = np.zeros((mdp.n_states, mdp.n_actions))
        pi[np.arange(mdp.n_states), policy.astype(int)] = 1.0
        return pi
    if policy.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"policy has shape {policy.shape}, expected (S,) or "
                         f"({mdp.n_states}, {mdp.n_actions})")
    return policy


def policy_evaluation(mdp: TabularMDP, policy: np.ndarray, gamma: float = 0.99,
                      theta: float = 1e-10, max_sweeps: int = 100_000) -> DPResult:
    """Iterative policy evaluation (Sutton & Barto 2018, section 4.1):

        V_{k+1}(s) = sum_a pi(a|s) [R(s,a) + gamma * sum_s' P(s,a,s') V_k(s')]

    until ``max_s |V_{k+1}(s) - V_k(s)| < theta``. ``policy`` is either an (S, A)
    array of probabilities or an (S,) array of actions. Returns V^pi, Q^pi, and the
    policy greedy with respect to Q^pi (one step of policy improvement).
    """
    pi = _as_distribution(mdp, policy)
    V = np.zeros(mdp.n_states)
    for sweep in range(1, max_sweeps + 1):
        V_new = np.sum(pi * q_from_v(mdp, V, gamma), axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < theta:
            break
    else:
        raise RuntimeError(f"policy evaluation did not converge in {max_sweeps} sweeps "
                           f"(gamma={gamma}; an improper policy with gamma=1 never ends)")
    Q = q_from_v(mdp, V, gamma)
    return DPResult(V, Q, greedy_policy(Q), sweep)


def value_iteration(mdp: TabularMDP, gamma: float = 0.99, theta: float = 1e-10,
                    max_sweeps: int = 100_000) -> DPResult:
    """Value iteration (Sutton & Barto 2018, section 4.4):

        V_{k+1}(s) = max_a [R(s,a) + gamma * sum_s' P(s,a,s') V_k(s')]

    until the largest change is below ``theta``. Returns V*, Q* and a greedy policy.
    """
    V = np.zeros(mdp.n_states)
    for sweep in range(1, max_sweeps + 1):
        V_new = np.max(q_from_v(mdp, V, gamma), axis=1)
        delta = np.max(np.abs(V_new - V))
        V = V_new
        if delta < theta:
            break
    else:
        raise RuntimeError(f"value iteration did not converge in {max_sweeps} sweeps")
    Q = q_from_v(mdp, V, gamma)
    return DPResult(V, Q, greedy_policy(Q), sweep)


def policy_iteration(mdp: TabularMDP, gamma: float = 0.99, theta: float = 1e-10,
                     max_iterations: int = 1000) -> DPResult:
    """Policy iteration (Sutton & Barto 2018, section 4.3): evaluate pi, make it greedy
    with respect to Q^pi, repeat until the policy is stable. ``sweeps`` counts
    improvement steps. It starts from "always action 0", so use ``gamma < 1`` unless
    every policy reaches a terminal state (with ``gamma = 1`` a policy that never ends
    has no finite value)."""
    policy = np.zeros(mdp.n_states, dtype=np.int64)
    for it in range(1, max_iterations + 1):
        ev = policy_evaluation(mdp, policy, gamma, theta)
        # keep the current action on ties so the loop cannot cycle between equal policies
        best = ev.Q.max(axis=1)
        keep = ev.Q[np.arange(mdp.n_states), policy] >= best - 1e-12
        new_policy = np.where(keep, policy, ev.policy)
        if np.array_equal(new_policy, policy):
            return DPResult(ev.V, ev.Q, policy, it)
        policy = new_policy
    raise RuntimeError(f"policy iteration did not converge in {max_iterations} iterations")
