"""Advantage actor-critic, synchronous (A2C; Mnih et al. 2016, the synchronous A3C).

Where REINFORCE waits for the end of an episode, an actor-critic bootstraps: the critic
``V_w`` estimates what comes after a short rollout of ``n_steps`` steps, so the actor can
learn every few steps. Several environment copies step in lock-step to decorrelate a batch.

    delta_t   = r_t + gamma * (1 - done_t) * V_w(s_{t+1}) - V_w(s_t)           (TD error)
    A_t       = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}    (GAE; lambda = 1 gives
                                                  the n-step return minus V_w(s_t), as in A3C)
    actor     L_pi = -mean_t [ A_t * log pi_theta(a_t | s_t) ] - beta * mean_t H(pi_theta(.|s_t))
    critic    L_V  = mean_t (V_w(s_t) - (A_t + V_w(s_t)))^2 / 2
    total     L = L_pi + c_v * L_V

(generalised advantage estimation: Schulman et al. 2016). At a time-limit truncation the
reward is increased by ``gamma * V_w(last state)`` and the rollout is cut there, so the time
limit does not look like a real end. This is AlphaGo Zero's value head in miniature: a
learned V(s) that evaluates positions the search (here: the rollout) did not reach.

The update is :func:`gae` + :func:`a2c_update`; the loop is :func:`train_a2c`.
"""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .common import (
    LearningCurve,
    PeriodicEvaluator,
    TrainResult,
    action_mask,
    make_env,
    seed_everything,
)
from .networks import CategoricalActor, GreedyPolicy, ObsEncoder, ValueNet

__all__ = ["A2CConfig", "train_a2c", "gae", "a2c_update"]


@dataclass
class A2CConfig:
    """A2C settings; the defaults learn CartPole-v1."""

    total_steps: int = 200_000
    """environment steps of training, summed over the parallel copies (see also `stop_return`)"""
    num_envs: int = 8
    """environment copies stepped in lock-step"""
    n_steps: int = 16
    """rollout length per copy before each update (A3C's t_max)"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE's lambda: 1.0 gives plain n-step advantages, 0.0 the one-step TD error"""
    learning_rate: float = 1e-3
    """Adam step size of actor and critic together"""
    value_coef: float = 0.5
    """weight c_v of the critic's loss"""
    entropy_coef: float = 0.01
    """weight beta of the entropy bonus"""
    normalize_advantages: bool = False
    """rescale each batch's advantages to mean 0 and standard deviation 1"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """hidden-layer widths of the actor and critic networks"""
    conv_channels: int = 0
    """0: an MLP; > 0: for (C, N, N) observations such as Go's, this many 3x3 filters per
    convolution layer before the MLP head"""
    conv_layers: int = 2
    """number of 3x3 convolution layers when `conv_channels` > 0"""
    max_grad_norm: float = 0.5
    """gradient-norm clipping (0: none)"""
    max_episode_steps: int = 10_000
    """cap on one training episode (truncation, not termination)"""
    eval_interval: int = 10_000
    """greedy evaluation every this many environment steps (0: never)"""
    eval_episodes: int = 10
    """episodes per evaluation during training"""
    keep_best: bool = True
    """at the end, restore the weights that scored best in a greedy evaluation"""
    stop_return: float | None = None
    """stop training once a greedy evaluation's mean return reaches this value"""


def gae(rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor,
        last_values: torch.Tensor, gamma: float, lam: float) -> torch.Tensor:
    """Advantages ``(T, E)`` from rewards, V(s_t) and done flags ``(T, E)`` and
    V(s_T) ``(E,)`` by the GAE recursion of the module docstring."""
    T = rewards.shape[0]
    adv = torch.zeros_like(rewards)
    next_adv = torch.zeros_like(last_values)
    next_value = last_values
    for t in range(T - 1, -1, -1):
        notdone = 1.0 - dones[t]
        delta = rewards[t] + gamma * notdone * next_value - values[t]
        next_adv = delta + gamma * lam * notdone * next_adv
        adv[t] = next_adv
        next_value = values[t]
    return adv


def a2c_update(actor: CategoricalActor, critic: ValueNet, optimizer: torch.optim.Optimizer,
               obs: torch.Tensor, actions: torch.Tensor, masks: torch.Tensor,
               advantages: torch.Tensor, returns: torch.Tensor, config: A2CConfig) -> dict:
    """One gradient step on ``L_pi + c_v * L_V`` for a flattened rollout batch."""
    adv = advantages
    if config.normalize_advantages and len(adv) > 1:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    dist = actor.distribution(obs, masks)
    entropy = dist.entropy().mean()
    loss_pi = -(dist.log_prob(actions) * adv).mean() - config.entropy_coef * entropy
    loss_v = 0.5 * ((critic(obs) - returns) ** 2).mean()
    loss = loss_pi + config.value_coef * loss_v
    optimizer.zero_grad()
    loss.backward()
    if config.max_grad_norm > 0:
        nn.utils.clip_grad_norm_(list(actor.parameters()) + list(critic.parameters()),
                                 config.max_grad_norm)
    optimizer.step()
    return {"loss_pi": loss_pi.item(), "loss_v": loss_v.item(), "entropy": entropy.item()}


def train_a2c(env: gym.Env | str, config: A2CConfig | None = None, seed: int = 0,
              progress: bool = True) -> TrainResult:
    """Train an advantage actor-critic for ``config.total_steps`` environment steps.

    ``env`` is an id or an environment with a spec: ``config.num_envs`` copies are made
    with ``gym.make(spec)``, copy ``i`` seeded with ``seed + i``. Returns a
    :class:`TrainResult` whose ``model`` is the actor and ``policy`` its greedy policy.
    """
    config = config or A2CConfig()
    first = make_env(env)
    if not isinstance(first.action_space, gym.spaces.Discrete):
        raise ValueError(f"A2C here needs a Discrete action space, got {first.action_space}")
    if config.num_envs > 1 and first.spec is None:
        raise ValueError("A2C with num_envs > 1 needs a registered environment to copy")
    envs = [first] + [make_env(first.spec) for _ in range(config.num_envs - 1)]
    seed_everything(seed)
    encoder = ObsEncoder(first.observation_space)
    n_actions = int(first.action_space.n)
    actor = CategoricalActor(encoder, config.hidden_sizes, n_actions, config.conv_channels,
                             config.conv_layers)
    critic = ValueNet(encoder, config.hidden_sizes, config.conv_channels, config.conv_layers)
    optimizer = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()),
                                 lr=config.learning_rate)
    policy = GreedyPolicy(actor, encoder, n_actions)
    env_id = first.spec.id if first.spec is not None else type(first.unwrapped).__name__
    curve = LearningCurve(algo="a2c", env_id=env_id)
    evaluator = PeriodicEvaluator(first, policy, curve, [actor, critic], config.eval_interval,
                                  config.eval_episodes, seed + 1_000_000,
                                  config.max_episode_steps, config.stop_return)

    E, T = config.num_envs, config.n_steps
    x = np.zeros((E, encoder.dim), np.float32)
    mask = np.ones((E, n_actions), bool)
    for i, e in enumerate(envs):
        e.action_space.seed(seed + i)
        o, info = e.reset(seed=seed + i)
        x[i], mask[i] = encoder.one(o), action_mask(info, n_actions)
    ep_ret, ep_len = np.zeros(E), np.zeros(E, np.int64)

    buf_x = np.zeros((T, E, encoder.dim), np.float32)
    buf_a = np.zeros((T, E), np.int64)
    buf_m = np.zeros((T, E, n_actions), bool)
    buf_r = np.zeros((T, E), np.float32)
    buf_d = np.zeros((T, E), np.float32)
    step = 0
    bar = tqdm(total=config.total_steps, desc="a2c", disable=not progress, leave=False)
    try:
        while step < config.total_steps:
            for t in range(T):
                with torch.no_grad():
                    dist = actor.distribution(torch.from_numpy(x), torch.from_numpy(mask))
                    actions = dist.sample().numpy()
                buf_x[t], buf_m[t], buf_a[t] = x, mask, actions
                for i, e in enumerate(envs):
                    o, r, terminated, truncated, info = e.step(int(actions[i]))
                    ep_ret[i] += float(r)
                    ep_len[i] += 1
                    step += 1
                    truncated = truncated or ep_len[i] >= config.max_episode_steps
                    if truncated and not terminated:
                        # the time limit is not the task's end: bootstrap from V(s_T)
                        with torch.no_grad():
                            v_last = float(critic(torch.from_numpy(encoder.one(o))[None])[0])
                        r = float(r) + config.gamma * v_last
                    buf_r[t, i] = r
                    buf_d[t, i] = float(terminated or truncated)
                    if terminated or truncated:
                        curve.add_episode(ep_ret[i], ep_len[i], step)
                        ep_ret[i], ep_len[i] = 0.0, 0
                        o, info = e.reset()
                    x[i], mask[i] = encoder.one(o), action_mask(info, n_actions)
            bar.update(T * E)
            with torch.no_grad():
                values = critic(torch.from_numpy(buf_x.reshape(T * E, -1))).reshape(T, E)
                last_values = critic(torch.from_numpy(x))
            adv = gae(torch.from_numpy(buf_r), values, torch.from_numpy(buf_d), last_values,
                      config.gamma, config.gae_lambda)
            returns = adv + values
            a2c_update(actor, critic, optimizer,
                       torch.from_numpy(buf_x.reshape(T * E, -1)),
                       torch.from_numpy(buf_a.reshape(-1)),
                       torch.from_numpy(buf_m.reshape(T * E, -1)),
                       adv.reshape(-1), returns.reshape(-1), config)
            bar.set_postfix(ret100=f"{curve.mean_return():.1f}", refresh=False)
            if evaluator.maybe(step):
                break
    except KeyboardInterrupt:
        curve.interrupted = True
    finally:
        bar.close()
    curve.env_steps = step
    evaluator.finish(step, restore_best=config.keep_best)
    return TrainResult(algo="a2c", config=config, seed=seed, curve=curve, policy=policy,
                       model=actor)
