"""Deep Q-network (Mnih et al. 2015) with replay, a target network and double DQN.

A network ``Q_theta(s, .)`` is trained by minibatch SGD on transitions replayed uniformly
from a buffer, towards targets computed with a slowly-moving copy ``Q_theta-``:

    DQN         y = r + gamma * (1 - terminated) * max_a' Q_theta-(s', a')
    double DQN  y = r + gamma * (1 - terminated) * Q_theta-(s', argmax_a' Q_theta(s', a'))
                                                          (van Hasselt et al. 2016, eq. 4)
    loss        L(theta) = mean Huber(Q_theta(s, a) - y)

The max (and argmax) run over the *legal* actions of ``s'`` when the environment gives an
action mask. Double DQN picks the action with the online net and values it with the target
net, which removes most of Q-learning's maximisation bias. The target net is refreshed every
``target_update_interval`` steps: ``theta- <- tau * theta + (1 - tau) * theta-`` (tau = 1 is
the hard copy of the Nature paper). Behaviour is epsilon-greedy with epsilon decaying
linearly over ``exploration_fraction`` of the run.

The update is :func:`dqn_targets` + :func:`dqn_update`; the loop is :func:`train_dqn`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .common import (
    LearningCurve,
    PeriodicEvaluator,
    TrainResult,
    action_mask,
    linear_schedule,
    make_env,
    seed_everything,
)
from .networks import ObsEncoder, build_net, masked_logits
from .replay import Batch, ReplayBuffer

__all__ = ["DQNConfig", "train_dqn", "dqn_targets", "dqn_update", "QPolicy"]


@dataclass
class DQNConfig:
    """DQN settings; the defaults solve CartPole-v1 within 100,000 steps."""

    total_steps: int = 100_000
    """environment steps of training (the budget; training may stop earlier, see `stop_return`)"""
    learning_rate: float = 1e-3
    """Adam step size"""
    buffer_size: int = 50_000
    """replay buffer capacity in transitions"""
    gamma: float = 0.99
    """discount factor"""
    batch_size: int = 128
    """transitions per gradient step"""
    learning_starts: int = 1_000
    """environment steps of pure exploration before the first gradient step"""
    train_frequency: int = 1
    """environment steps between gradient updates"""
    gradient_steps: int = 1
    """gradient steps per update"""
    target_update_interval: int = 500
    """environment steps between target-network updates"""
    tau: float = 1.0
    """target update rate: theta- <- tau * theta + (1 - tau) * theta- (1.0 = hard copy)"""
    double_dqn: bool = True
    """pick the next action with the online net and value it with the target net"""
    epsilon_start: float = 1.0
    """exploration rate at the start"""
    epsilon_end: float = 0.05
    """exploration rate after the decay"""
    exploration_fraction: float = 0.1
    """fraction of `total_steps` over which epsilon decays linearly"""
    hidden_sizes: tuple[int, ...] = (128, 128)
    """widths of the hidden layers of the Q-network"""
    conv_channels: int = 0
    """0: an MLP; > 0: for (C, N, N) observations such as Go's, this many 3x3 filters per
    convolution layer before the MLP head"""
    conv_layers: int = 2
    """number of 3x3 convolution layers when `conv_channels` > 0"""
    huber: bool = True
    """Huber (smooth L1) loss on the TD error; False: mean squared error"""
    max_grad_norm: float = 10.0
    """gradient-norm clipping (0: none)"""
    max_episode_steps: int = 10_000
    """cap on one training episode (truncation, not termination)"""
    eval_interval: int = 5_000
    """greedy evaluation every this many environment steps (0: never)"""
    eval_episodes: int = 10
    """episodes per evaluation during training"""
    keep_best: bool = True
    """at the end, restore the weights that scored best in a greedy evaluation"""
    stop_return: float | None = None
    """stop training once a greedy evaluation's mean return reaches this value"""


class QPolicy:
    """Greedy policy of a Q-network: ``act(obs, info) = argmax over legal a of Q(obs, a)``."""

    def __init__(self, q_net: nn.Module, encoder: ObsEncoder, n_actions: int):
        self.q_net, self.encoder, self.n_actions = q_net, encoder, n_actions

    @torch.no_grad()
    def q_values(self, obs) -> np.ndarray:
        return self.q_net(self.encoder([obs]))[0].numpy()

    def __call__(self, obs, info=None) -> int:
        q = self.q_values(obs)
        mask = action_mask(info, self.n_actions)
        return int(np.argmax(np.where(mask, q, -np.inf)))


def dqn_targets(q_net: nn.Module, target_net: nn.Module, batch: Batch, gamma: float,
                double: bool) -> torch.Tensor:
    """TD targets ``y`` (shape (B,)) of DQN or double DQN; see the module docstring."""
    with torch.no_grad():
        q_target_next = target_net(batch.next_obs)
        if double:
            a_star = masked_logits(q_net(batch.next_obs), batch.next_mask).argmax(dim=1)
            q_next = q_target_next.gather(1, a_star[:, None]).squeeze(1)
        else:
            q_next = masked_logits(q_target_next, batch.next_mask).max(dim=1).values
        # a next state with no legal action (only a finished game) has no future
        q_next = torch.where(batch.next_mask.any(dim=1), q_next, torch.zeros_like(q_next))
        return batch.rewards + gamma * (1.0 - batch.terminated) * q_next


def dqn_update(q_net: nn.Module, target_net: nn.Module, optimizer: torch.optim.Optimizer,
               batch: Batch, config: DQNConfig) -> float:
    """One gradient step on ``L(theta) = mean loss(Q_theta(s, a) - y)``; returns the loss."""
    y = dqn_targets(q_net, target_net, batch, config.gamma, config.double_dqn)
    q_sa = q_net(batch.obs).gather(1, batch.actions[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q_sa, y) if config.huber else F.mse_loss(q_sa, y)
    optimizer.zero_grad()
    loss.backward()
    if config.max_grad_norm > 0:
        nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm)
    optimizer.step()
    return loss.item()


@torch.no_grad()
def _update_target(q_net: nn.Module, target_net: nn.Module, tau: float) -> None:
    for p, tp in zip(q_net.parameters(), target_net.parameters()):
        tp.mul_(1.0 - tau).add_(p, alpha=tau)


def train_dqn(env: gym.Env | str, config: DQNConfig | None = None, seed: int = 0,
              progress: bool = True) -> TrainResult:
    """Train a DQN agent for ``config.total_steps`` environment steps.

    Works with Discrete or Box observations and Discrete actions, with or without an
    ``info["action_mask"]``. Returns a :class:`TrainResult` with ``model`` the Q-network
    and ``policy`` its greedy policy. Ctrl-C stops early and returns what was learned.
    """
    config = config or DQNConfig()
    env = make_env(env)
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"DQN needs a Discrete action space, got {env.action_space}")
    rng = seed_everything(seed)
    env.action_space.seed(seed)
    encoder = ObsEncoder(env.observation_space)
    n_actions = int(env.action_space.n)
    q_net = build_net(encoder, config.hidden_sizes, n_actions, 1.0, config.conv_channels,
                      config.conv_layers)
    target_net = copy.deepcopy(q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.learning_rate)
    buffer = ReplayBuffer(config.buffer_size, encoder.dim, n_actions)
    policy = QPolicy(q_net, encoder, n_actions)
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    curve = LearningCurve(algo="dqn", env_id=env_id)
    evaluator = PeriodicEvaluator(env, policy, curve, [q_net], config.eval_interval,
                                  config.eval_episodes, seed + 1_000_000,
                                  config.max_episode_steps, config.stop_return)

    obs, info = env.reset(seed=seed)
    x, mask = encoder.one(obs), action_mask(info, n_actions)
    ep_ret, ep_len = 0.0, 0
    decay_steps = config.exploration_fraction * config.total_steps
    bar = tqdm(total=config.total_steps, desc="dqn", disable=not progress, leave=False)
    step = 0
    try:
        for step in range(1, config.total_steps + 1):
            eps = linear_schedule(config.epsilon_start, config.epsilon_end, decay_steps, step)
            if rng.random() < eps:
                action = int(rng.choice(np.flatnonzero(mask)))
            else:
                with torch.no_grad():
                    q = q_net(torch.from_numpy(x)[None])[0].numpy()
                action = int(np.argmax(np.where(mask, q, -np.inf)))
            obs, reward, terminated, truncated, info = env.step(action)
            x2, mask2 = encoder.one(obs), action_mask(info, n_actions)
            buffer.add(x, action, float(reward), x2, terminated, mask2)
            ep_ret += float(reward)
            ep_len += 1
            if terminated or truncated or ep_len >= config.max_episode_steps:
                curve.add_episode(ep_ret, ep_len, step)
                obs, info = env.reset()
                x, mask = encoder.one(obs), action_mask(info, n_actions)
                ep_ret, ep_len = 0.0, 0
                bar.set_postfix(ret100=f"{curve.mean_return():.1f}", eps=f"{eps:.2f}",
                                refresh=False)
            else:
                x, mask = x2, mask2

            if step > config.learning_starts and step % config.train_frequency == 0:
                for _ in range(config.gradient_steps):
                    dqn_update(q_net, target_net, optimizer,
                               buffer.sample(config.batch_size, rng), config)
            if step % config.target_update_interval == 0:
                _update_target(q_net, target_net, config.tau)

            bar.update(1)
            if evaluator.maybe(step):
                break
    except KeyboardInterrupt:
        curve.interrupted = True
    finally:
        bar.close()
    curve.env_steps = step
    evaluator.finish(step, restore_best=config.keep_best)
    q_net.eval()
    return TrainResult(algo="dqn", config=config, seed=seed, curve=curve, policy=policy,
                       model=q_net)
