"""RL fundamentals, end to end: DQN, REINFORCE and A2C on CartPole-v1, and policy-gradient
agents on 5x5 Go against the random opponent.

For each run: the greedy policy's mean return over 100 evaluation episodes (on Go: its win
rate over 500 games per colour), on seeds never used in training, and the environment steps
training used. On CartPole, training stops early once a 10-episode greedy evaluation during
training is perfect (`stop_return`); every run keeps its best-evaluated weights, and
evaluation steps are not counted as training steps. The reference, measured in the same
run, is a uniformly random (legal) policy on the same environment.

    python benchmarks/rl.py [--only dqn reinforce a2c go] [--go-algo reinforce a2c] [--seed 0]

Targets (issue 8): DQN >= 475 with fewer than 100,000 steps; on 5x5 Go a win rate of at
least 90% against the random opponent (komi 7.5) by REINFORCE, which trains for both
colours and is evaluated over 500 games as black and 500 as white (`--go-algo a2c` adds
A2C, trained and evaluated as black). Not run in CI (about ten minutes on one core; A2C on
Go five more).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core  # noqa: E402

import gymnasium as gym  # noqa: E402
import torch  # noqa: E402

from training.rl.actor_critic import A2CConfig, train_a2c  # noqa: E402
from training.rl.common import evaluate  # noqa: E402
from training.rl.dqn import DQNConfig, train_dqn  # noqa: E402
from training.rl.reinforce import ReinforceConfig, train_reinforce  # noqa: E402

EVAL_EPISODES = 100
EVAL_SEED = 777_000  # training and its evaluations use seeds far below this

CARTPOLE = {
    "dqn": (train_dqn, DQNConfig(total_steps=100_000, stop_return=500.0)),
    "reinforce": (train_reinforce, ReinforceConfig(total_steps=300_000, stop_return=500.0)),
    "a2c": (train_a2c, A2CConfig(total_steps=300_000, stop_return=500.0)),
}
GO = {  # algo -> (train, config, colour the agent trains as; "random": both, drawn per game)
    "a2c": (train_a2c, A2CConfig(total_steps=400_000, hidden_sizes=(128, 128), gamma=1.0,
                                 eval_interval=50_000, eval_episodes=100), "black"),
    "reinforce": (train_reinforce,
                  ReinforceConfig(total_steps=600_000, hidden_sizes=(128, 128), gamma=1.0,
                                  episodes_per_update=32, num_envs=16, entropy_coef=0.01,
                                  entropy_coef_end=0.0, augment_symmetries=True,
                                  eval_interval=50_000, eval_episodes=200), "random"),
}


def random_policy(n_actions: int, seed: int):
    rng = np.random.default_rng(seed)

    def act(obs, info):
        mask = info.get("action_mask")
        legal = np.flatnonzero(mask) if mask is not None else np.arange(n_actions)
        return int(rng.choice(legal))

    return act


def bench_cartpole(algo: str, seed: int) -> None:
    env_id = "CartPole-v1"
    common = dict(bench="rl_cartpole", size=None, env=env_id, eval_episodes=EVAL_EPISODES)
    ref = evaluate(gym.make(env_id), random_policy(2, seed), EVAL_EPISODES, seed=EVAL_SEED)
    emit(impl="random-policy", algo="random", metric="greedy_mean_return", value=ref.mean,
         **common)
    train, config = CARTPOLE[algo]
    start = time.perf_counter()
    result = train(env_id, config, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    ev = evaluate(gym.make(env_id), result.policy, EVAL_EPISODES, seed=EVAL_SEED)
    steps = result.curve.total_steps
    log(f"{algo}: {ev} after {steps} training steps ({seconds:.0f} s)")
    emit(impl="goengine", algo=algo, metric="greedy_mean_return", value=ev.mean,
         train_steps=steps, seed=seed, seconds=round(seconds, 1), **common)
    emit(impl="goengine", algo=algo, metric="train_env_steps", value=steps,
         greedy_mean_return=ev.mean, seed=seed, **common)


def bench_go(algo: str, seed: int, games: int = 500) -> None:
    """Train against goengine.agents.RandomAgent (komi 7.5) as black, or as both colours,
    then play ``games`` evaluation games with the greedy policy as each colour trained."""
    import goengine.envs  # noqa: F401  (registers goengine/Go5x5-v0)

    env_id = "goengine/Go5x5-v0"
    train, config, train_color = GO[algo]
    colors = ["black"] if train_color == "black" else ["black", "white"]
    common = dict(bench="rl_go", size=5, metric="win_rate", opponent="random", komi=7.5,
                  games=games)
    for color in colors:
        ref = evaluate(gym.make(env_id, agent_color=color), random_policy(26, seed), games,
                       seed=EVAL_SEED)
        emit(impl="random-policy", algo="random", value=ref.success_rate, agent_color=color,
             **common)
    start = time.perf_counter()
    result = train(gym.make(env_id, agent_color=train_color), config, seed=seed,
                   progress=False)
    seconds = time.perf_counter() - start
    for color in colors:
        ev = evaluate(gym.make(env_id, agent_color=color), result.policy, games,
                      seed=EVAL_SEED)
        log(f"{algo} on 5x5 Go as {color}: win rate {ev.success_rate:.3f} ({ev})")
        emit(impl="goengine", algo=algo, value=ev.success_rate, agent_color=color,
             train_agent_color=train_color, train_steps=result.curve.total_steps,
             train_games=result.curve.episodes, seed=seed, seconds=round(seconds, 1),
             **common)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=["dqn", "reinforce", "a2c", "go"],
                        default=["dqn", "reinforce", "a2c", "go"])
    parser.add_argument("--go-algo", nargs="+", choices=sorted(GO), default=["reinforce"],
                        help="methods to train on 5x5 Go")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pin_one_core()
    torch.set_num_threads(1)
    for name in args.only:
        if name == "go":
            for algo in args.go_algo:
                bench_go(algo, args.seed)
        else:
            bench_cartpole(name, args.seed)


if __name__ == "__main__":
    main()
