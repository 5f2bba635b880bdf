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

Around the update, the standard stabilisers of policy-gradient code (cleanrl, OpenSpiel),
each a config field: several episodes per gradient step (``episodes_per_update``), played in
lock-step by ``num_envs`` environment copies so that one batched forward pass chooses all
their actions; advantage normalisation; an entropy bonus that can decay linearly
(``entropy_coef`` -> ``entropy_coef_end``); learning rates that can decay linearly to 0
(``anneal_lr``); gradient clipping; and, for square-board tasks such as Go, each episode
seen through the 8 rotations and reflections of the board (``augment_symmetries``: 8 times
the data for the same games, as AlphaGo's networks were trained). The symmetric images are
off-policy samples, so each is weighted by the truncated importance ratio
min(1, pi(g a | g s) / pi(a | s)); without it the policy collapses (docs/rl.md).

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
    augment_symmetries,
    linear_schedule,
    make_env,
    seed_everything,
)
from .networks import CategoricalActor, GreedyPolicy, ObsEncoder, ValueNet

__all__ = ["ReinforceConfig", "train_reinforce", "discounted_returns", "reinforce_update",
           "collect_episodes", "Episode"]


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
    entropy_coef_end: float | None = None
    """entropy weight at the end of training, reached by linear decay from `entropy_coef`
    over `total_steps` (None: constant `entropy_coef`)"""
    anneal_lr: bool = False
    """decay both Adam step sizes linearly to 0 over `total_steps`"""
    augment_symmetries: bool = False
    """train on each episode's states, actions and masks under the 8 rotations and
    reflections of the board too (square (C, N, N) observations whose first N*N actions are
    the points, row-major, such as Go's), weighted by truncated importance ratios; only for
    tasks that are themselves symmetric"""
    num_envs: int = 1
    """environment copies that play a batch's episodes in lock-step (one batched forward
    pass per step: faster, same algorithm); > 1 needs a registered environment to copy"""
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
                     episodes: list[Episode], config: ReinforceConfig,
                     entropy_coef: float | None = None,
                     image_shape: tuple[int, ...] | None = None) -> dict:
    """One policy-gradient step (and one baseline step) on a batch of whole episodes.

    ``entropy_coef`` overrides ``config.entropy_coef`` (the training loop passes the
    scheduled value); ``image_shape``, the ``(C, N, N)`` observation shape, is needed with
    ``config.augment_symmetries``.
    """
    obs = np.concatenate([e.obs for e in episodes])
    actions = np.concatenate([e.actions for e in episodes])
    masks = np.concatenate([e.masks for e in episodes])
    returns = []
    for e in episodes:
        boot = 0.0
        if e.truncated and config.bootstrap_truncated and critic is not None:
            with torch.no_grad():
                boot = float(critic(torch.from_numpy(e.last_obs)[None])[0])
        returns.append(discounted_returns(e.rewards, config.gamma, boot))
    returns = np.concatenate(returns)
    if config.augment_symmetries:
        if image_shape is None:
            raise ValueError("augment_symmetries needs the (C, N, N) image_shape")
        obs, actions, masks = augment_symmetries(obs, actions, masks, image_shape)
        returns = np.tile(returns, 8)
    obs, actions, masks = torch.from_numpy(obs), torch.from_numpy(actions), torch.from_numpy(masks)
    G = torch.from_numpy(returns)

    if critic is not None:
        values = critic(obs)
        adv = G - values.detach()
    else:
        adv = G.clone()
    if config.normalize_advantages and len(adv) > 1:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)

    beta = config.entropy_coef if entropy_coef is None else entropy_coef
    dist = actor.distribution(obs, masks)
    entropy = dist.entropy().mean()
    logp = dist.log_prob(actions)
    weights = torch.ones_like(logp)
    if config.augment_symmetries:
        # The image (g s, g a) of a step was not sampled from pi(.|g s) but from pi(.|s):
        # weight it by the truncated importance ratio min(1, pi(g a|g s) / pi(a|s)). The
        # identity block (the first B rows; this is the policy that played) gets weight 1;
        # without the truncation, negative advantages on actions that pi(.|g s) already
        # finds unlikely would push their log-probability towards -infinity.
        behaviour = logp.detach()[: len(logp) // 8].repeat(8)
        weights = torch.exp(logp.detach() - behaviour).clamp(max=1.0)
    loss_pi = -(weights * logp * adv).mean() - beta * entropy
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


class _EpisodeRecorder:
    """The episode one environment copy is playing: its current observation and mask, and
    the arrays of the steps so far."""

    def __init__(self, env: gym.Env, encoder: ObsEncoder, n_actions: int, seed: int | None):
        obs, info = env.reset(seed=seed)
        self.env, self.encoder, self.n_actions = env, encoder, n_actions
        self.x, self.mask = encoder.one(obs), action_mask(info, n_actions)
        self.xs, self.acts, self.rews, self.masks = [], [], [], []

    def step(self, action: int, max_steps: int) -> Episode | None:
        """Play ``action``; return the finished :class:`Episode`, or None while it goes on."""
        obs, r, terminated, truncated, info = self.env.step(action)
        self.xs.append(self.x)
        self.acts.append(action)
        self.rews.append(float(r))
        self.masks.append(self.mask)
        self.x, self.mask = self.encoder.one(obs), action_mask(info, self.n_actions)
        truncated = bool(truncated) or (not terminated and len(self.rews) >= max_steps)
        if not (terminated or truncated):
            return None
        return Episode(np.stack(self.xs), np.asarray(self.acts, dtype=np.int64),
                       np.asarray(self.rews, dtype=np.float32), np.stack(self.masks),
                       truncated, self.x)


def collect_episodes(envs: list[gym.Env], actor: CategoricalActor, encoder: ObsEncoder,
                     n_actions: int, n_episodes: int, max_steps: int,
                     seeds: list[int | None] | None = None) -> list[Episode]:
    """Play ``n_episodes`` whole episodes with the current policy, ``len(envs)`` at a time
    in lock-step: each step samples the actions of all running episodes from one batched
    forward pass. A copy whose episode ends starts another while fewer than ``n_episodes``
    have started, so every episode of the batch comes from the same policy. The ``i``-th
    episode started in copy ``i`` resets with ``seeds[i]`` (None: continue its generator).
    Episodes are returned in the order they ended."""
    seeds = seeds or [None] * len(envs)
    running: dict[int, _EpisodeRecorder] = {}
    for i in range(min(len(envs), n_episodes)):
        running[i] = _EpisodeRecorder(envs[i], encoder, n_actions, seeds[i])
    started, done = len(running), []
    while running:
        ids = list(running)
        x = torch.from_numpy(np.stack([running[i].x for i in ids]))
        mask = torch.from_numpy(np.stack([running[i].mask for i in ids]))
        with torch.no_grad():
            actions = actor.distribution(x, mask).sample().tolist()
        for i, a in zip(ids, actions):
            episode = running[i].step(int(a), max_steps)
            if episode is None:
                continue
            done.append(episode)
            if started < n_episodes:
                running[i] = _EpisodeRecorder(envs[i], encoder, n_actions, None)
                started += 1
            else:
                del running[i]
    return done


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
    if config.num_envs > 1 and env.spec is None:
        raise ValueError("REINFORCE with num_envs > 1 needs a registered environment to copy")
    envs = [env] + [make_env(env.spec) for _ in range(config.num_envs - 1)]
    seed_everything(seed)
    for i, e in enumerate(envs):
        e.action_space.seed(seed + i)
    encoder = ObsEncoder(env.observation_space)
    n_actions = int(env.action_space.n)
    image_shape = tuple(getattr(env.observation_space, "shape", None) or ())
    if config.augment_symmetries and (len(image_shape) != 3 or image_shape[1] != image_shape[2]
                                      or n_actions < image_shape[1] * image_shape[2]):
        raise ValueError(f"augment_symmetries needs square (C, N, N) observations and at "
                         f"least N*N actions, got {env.observation_space} and {n_actions}")
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
    step = 0
    seeds: list[int | None] | None = [seed + i for i in range(len(envs))]
    bar = tqdm(total=config.total_steps, desc="reinforce", disable=not progress, leave=False)
    try:
        while step < config.total_steps:
            if config.anneal_lr:
                frac = max(1.0 - step / config.total_steps, 0.0)
                for opt, lr in ((opt_pi, config.learning_rate),
                                (opt_v, config.value_learning_rate)):
                    if opt is not None:
                        opt.param_groups[0]["lr"] = frac * lr
            beta = config.entropy_coef
            if config.entropy_coef_end is not None:
                beta = linear_schedule(config.entropy_coef, config.entropy_coef_end,
                                       config.total_steps, step)
            batch = collect_episodes(envs, actor, encoder, n_actions,
                                     config.episodes_per_update, config.max_episode_steps, seeds)
            seeds = None  # only the first episode of each copy is seeded
            for ep in batch:
                step += len(ep.rewards)
                curve.add_episode(float(ep.rewards.sum()), len(ep.rewards), step)
                bar.update(len(ep.rewards))
            reinforce_update(actor, critic, opt_pi, opt_v, batch, config, entropy_coef=beta,
                             image_shape=image_shape if config.augment_symmetries else None)
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
