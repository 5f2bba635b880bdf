"""REINFORCE with a learned baseline (Williams 1992; Sutton & Barto 2018, section 13.4).

The policy-gradient theorem gives the gradient of the expected return J(theta) as an
expectation over the policy's own episodes; REINFORCE estimates it with Monte-Carlo returns:

    G_t       = r_t + gamma * r_{t+1} + gamma^2 * r_{t+2} + ...           (return from t)
    A_t       = G_t - V_w(s_t)                                  (advantage w.r.t. baseline)
    grad J   ~= mean_t  A_t * grad_theta log pi_theta(a_t | s_t)                 (eq. 13.8)
    baseline    w <- w - lr_v * grad_w mean_t (V_w(s_t) - G_t)^2 / 2

Subtracting a baseline that depends only on the state leaves the gradient unbiased and
lowers its variance. Like most implementations this drops the gamma^t factor of the
textbook's episodic update. When a time limit (not the task) ends an episode, the return is
bootstrapped from the baseline's value of the last state instead of assuming zero reward
afterwards (``bootstrap_truncated``). With ``info["action_mask"]`` the softmax runs over legal
actions only.

AlphaGo's RL policy network was trained with exactly this update: z = +/-1 at the end of a
self-play game as G_t, and a value-network baseline in one variant (Silver et al. 2016).

The update is :func:`discounted_returns` + :func:`reinforce_update`; the loop is
:func:`train_reinforce`.
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

__all__ = ["ReinforceConfig", "train_reinforce", "discounted_returns", "reinforce_update",
           "Episode"]


@dataclass
class ReinforceConfig:
    """REINFORCE settings; the defaults learn CartPole-v1."""

    total_steps: int = 200_000
    """environment steps of training (the budget; see also `stop_return`)"""
    episodes_per_update: int = 4
    """episodes collected with the current policy before each gradient step"""
    gamma: float = 0.99
    """discount factor"""
    learning_rate: float = 2e-3
    """Adam step size of the policy"""
    baseline: bool = True
    """subtract a learned state-value baseline V_w(s); False: plain REINFORCE with G_t alone"""
    value_learning_rate: float = 2e-3
    """Adam step size of the baseline"""
    normalize_advantages: bool = True
    """rescale each batch's advantages to mean 0 and standard deviation 1"""
    entropy_coef: float = 0.0
    """weight of the entropy bonus that keeps the policy from collapsing early"""
    bootstrap_truncated: bool = True
    """at a time-limit truncation, start G from V_w(last state) instead of 0"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """hidden-layer widths of the policy and baseline networks"""
    conv_channels: int = 0
    """0: an MLP; > 0: for (C, N, N) observations such as Go's, this many 3x3 filters per
    convolution layer before the MLP head"""
    conv_layers: int = 2
    """number of 3x3 convolution layers when `conv_channels` > 0"""
    max_grad_norm: float = 1.0
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


@dataclass
class Episode:
    """One episode as arrays: obs (T, D), actions (T,), rewards (T,), masks (T, A), and
    whether it was truncated (with the encoded last observation for bootstrapping)."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    masks: np.ndarray
    truncated: bool
    last_obs: np.ndarray


def discounted_returns(rewards: np.ndarray, gamma: float, bootstrap: float = 0.0) -> np.ndarray:
    """G_t = r_t + gamma * G_{t+1}, computed backwards from G_T = ``bootstrap``."""
    out = np.zeros(len(rewards), dtype=np.float32)
    g = bootstrap
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


def reinforce_update(actor: CategoricalActor, critic: ValueNet | None,
                     opt_pi: torch.optim.Optimizer, opt_v: torch.optim.Optimizer | None,
                     episodes: list[Episode], config: ReinforceConfig) -> dict:
    """One policy-gradient step (and one baseline step) on a batch of whole episodes."""
    obs = torch.from_numpy(np.concatenate([e.obs for e in episodes]))
    actions = torch.from_numpy(np.concatenate([e.actions for e in episodes]))
    masks = torch.from_numpy(np.concatenate([e.masks for e in episodes]))
    returns = []
    for e in episodes:
        boot = 0.0
        if e.truncated and config.bootstrap_truncated and critic is not None:
            with torch.no_grad():
                boot = float(critic(torch.from_numpy(e.last_obs)[None])[0])
        returns.append(discounted_returns(e.rewards, config.gamma, boot))
    G = torch.from_numpy(np.concatenate(returns))

    if critic is not None:
        values = critic(obs)
        adv = G - values.detach()
    else:
        adv = G.clone()
    if config.normalize_advantages and len(adv) > 1:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)

    dist = actor.distribution(obs, masks)
    entropy = dist.entropy().mean()
    loss_pi = -(dist.log_prob(actions) * adv).mean() - config.entropy_coef * entropy
    opt_pi.zero_grad()
    loss_pi.backward()
    if config.max_grad_norm > 0:
        nn.utils.clip_grad_norm_(actor.parameters(), config.max_grad_norm)
    opt_pi.step()

    stats = {"loss_pi": loss_pi.item(), "entropy": entropy.item()}
    if critic is not None:
        loss_v = 0.5 * ((values - G) ** 2).mean()
        opt_v.zero_grad()
        loss_v.backward()
        if config.max_grad_norm > 0:
            nn.utils.clip_grad_norm_(critic.parameters(), config.max_grad_norm)
        opt_v.step()
        stats["loss_v"] = loss_v.item()
    return stats


def _run_episode(env: gym.Env, actor: CategoricalActor, encoder: ObsEncoder, n_actions: int,
                 max_steps: int, seed: int | None) -> tuple[Episode, float]:
    obs, info = env.reset(seed=seed)
    xs, acts, rews, masks = [], [], [], []
    truncated = False
    for _ in range(max_steps):
        x = encoder.one(obs)
        mask = action_mask(info, n_actions)
        with torch.no_grad():
            dist = actor.distribution(torch.from_numpy(x)[None], torch.from_numpy(mask)[None])
            a = int(dist.sample()[0])
        obs, r, terminated, truncated, info = env.step(a)
        xs.append(x)
        acts.append(a)
        rews.append(float(r))
        masks.append(mask)
        if terminated or truncated:
            break
    else:
        truncated = True  # our own cap
    ep = Episode(np.stack(xs), np.asarray(acts, dtype=np.int64),
                 np.asarray(rews, dtype=np.float32), np.stack(masks), bool(truncated),
                 encoder.one(obs))
    return ep, float(np.sum(rews))


def train_reinforce(env: gym.Env | str, config: ReinforceConfig | None = None, seed: int = 0,
                    progress: bool = True) -> TrainResult:
    """Train a softmax policy by REINFORCE (with a baseline unless ``config.baseline`` is
    False) for about ``config.total_steps`` environment steps (whole episodes).

    Returns a :class:`TrainResult` whose ``model`` is the actor and ``policy`` its greedy
    (most probable legal action) policy. Ctrl-C stops early and returns what was learned.
    """
    config = config or ReinforceConfig()
    env = make_env(env)
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"REINFORCE here needs a Discrete action space, got {env.action_space}")
    seed_everything(seed)
    env.action_space.seed(seed)
    encoder = ObsEncoder(env.observation_space)
    n_actions = int(env.action_space.n)
    actor = CategoricalActor(encoder, config.hidden_sizes, n_actions, config.conv_channels,
                             config.conv_layers)
    critic = (ValueNet(encoder, config.hidden_sizes, config.conv_channels, config.conv_layers)
              if config.baseline else None)
    opt_pi = torch.optim.Adam(actor.parameters(), lr=config.learning_rate)
    opt_v = torch.optim.Adam(critic.parameters(), lr=config.value_learning_rate) if critic else None
    policy = GreedyPolicy(actor, encoder, n_actions)
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    curve = LearningCurve(algo="reinforce", env_id=env_id)
    modules = [actor] + ([critic] if critic is not None else [])
    evaluator = PeriodicEvaluator(env, policy, curve, modules, config.eval_interval,
                                  config.eval_episodes, seed + 1_000_000,
                                  config.max_episode_steps, config.stop_return)
    step, first = 0, True
    bar = tqdm(total=config.total_steps, desc="reinforce", disable=not progress, leave=False)
    try:
        while step < config.total_steps:
            batch = []
            for _ in range(config.episodes_per_update):
                ep, ret = _run_episode(env, actor, encoder, n_actions,
                                       config.max_episode_steps, seed if first else None)
                first = False
                step += len(ep.rewards)
                curve.add_episode(ret, len(ep.rewards), step)
                bar.update(len(ep.rewards))
                batch.append(ep)
            reinforce_update(actor, critic, opt_pi, opt_v, batch, config)
            bar.set_postfix(ret100=f"{curve.mean_return():.1f}", refresh=False)
            if evaluator.maybe(step):
                break
    except KeyboardInterrupt:
        curve.interrupted = True
    finally:
        bar.close()
    curve.env_steps = step
    evaluator.finish(step, restore_best=config.keep_best)
    return TrainResult(algo="reinforce", config=config, seed=seed, curve=curve, policy=policy,
                       model=actor)
