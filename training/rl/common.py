"""Pieces every algorithm in ``training.rl`` shares.

* :class:`LearningCurve` - one row per training episode (and optional greedy-evaluation
  points), saved as CSV and as a PNG plot (matplotlib, Agg backend, imported lazily).
* :class:`TrainResult` - what every ``train_*`` function returns: the curve, a greedy
  policy ``act(obs, info) -> action``, the resolved config and the seed.
* :func:`evaluate` - mean return of a policy over seeded episodes, each capped at
  ``max_steps`` so that a greedy policy that loops forever still ends.
* schedules, seeding, ``make_env`` and small helpers for action masks.

A *policy* everywhere in this package is a callable ``act(obs, info) -> int``: ``info``
is the dict the environment returned with ``obs``; when it holds ``"action_mask"`` (as the
Go environment's does) the policy must pick an action whose mask entry is 1.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from goengine.fileio import atomic_write_via

Policy = Callable[[Any, dict], int]

__all__ = [
    "Policy", "LearningCurve", "TrainResult", "EvalResult", "evaluate", "make_env",
    "seed_everything", "linear_schedule", "action_mask", "argmax_random_tie",
    "masked_argmax", "config_to_dict", "atomic_write", "PeriodicEvaluator",
    "square_symmetries", "augment_symmetries",
]


# --------------------------------------------------------------------------- seeding

def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch (when it is imported) and return a fresh ``numpy.random.Generator``.

    Environments are seeded separately, through ``env.reset(seed=...)`` and
    ``env.action_space.seed(...)``, by the training loops.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def make_env(env_id: "str | gym.Env | gym.envs.registration.EnvSpec", **kwargs: Any) -> gym.Env:
    """``gym.make(env_id, **kwargs)``; ids in the ``goengine/`` namespace import
    :mod:`goengine.envs` first so they are registered. An ``Env`` passes through; an
    ``EnvSpec`` makes a fresh copy of the environment it describes."""
    if isinstance(env_id, gym.Env):
        return env_id
    name = env_id.id if isinstance(env_id, gym.envs.registration.EnvSpec) else env_id
    if name.startswith("goengine/"):
        import goengine.envs  # noqa: F401  (registers the Go environments)
    return gym.make(env_id, **kwargs)


# --------------------------------------------------------------------------- schedules

def linear_schedule(start: float, end: float, duration: float, t: float) -> float:
    """Linear interpolation from ``start`` (t = 0) to ``end`` (t >= duration)."""
    if duration <= 0:
        return end
    frac = min(max(t / duration, 0.0), 1.0)
    return start + frac * (end - start)


# --------------------------------------------------------------------------- masks

def action_mask(info: dict | None, n_actions: int) -> np.ndarray:
    """The boolean legal-action mask in ``info["action_mask"]``, or all True."""
    if info is not None and "action_mask" in info:
        mask = np.asarray(info["action_mask"]).astype(bool)
        if mask.shape != (n_actions,):
            raise ValueError(f"action_mask has shape {mask.shape}, expected ({n_actions},)")
        return mask
    return np.ones(n_actions, dtype=bool)


def argmax_random_tie(values: np.ndarray, rng: np.random.Generator,
                      mask: np.ndarray | None = None) -> int:
    """Index of the largest entry, ties broken uniformly at random (only among ``mask``).

    Random tie-breaking matters for tabular methods that start from Q = 0: a fixed
    ``np.argmax`` would always try action 0 first.
    """
    v = np.asarray(values, dtype=np.float64)
    if mask is not None:
        v = np.where(mask, v, -np.inf)
    best = np.flatnonzero(v == v.max())
    return int(best[0] if len(best) == 1 else rng.choice(best))


def masked_argmax(values: np.ndarray, mask: np.ndarray | None = None) -> int:
    """Deterministic argmax (first maximum) restricted to ``mask``."""
    v = np.asarray(values, dtype=np.float64)
    if mask is not None:
        v = np.where(mask, v, -np.inf)
    return int(np.argmax(v))


# --------------------------------------------------------------------------- symmetries

def square_symmetries(n: int) -> np.ndarray:
    """``(8, n*n)`` index maps of the 8 rotations and reflections of an ``n x n`` grid.

    Row ``t`` is symmetry ``t`` (``t % 4`` quarter turns of ``np.rot90``, after a left-right
    mirror when ``t >= 4``; row 0 is the identity): ``perm[t][j]`` is the point of the
    original grid that lands on point ``j``, points numbered row-major from the top-left.
    """
    grid = np.arange(n * n).reshape(n, n)
    return np.stack([np.rot90(grid[:, ::-1] if t >= 4 else grid, t % 4).reshape(-1)
                     for t in range(8)])


def augment_symmetries(obs: np.ndarray, actions: np.ndarray, masks: np.ndarray,
                       image_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of samples and its 7 images under the symmetries of the square.

    ``obs`` is ``(B, C*N*N)``, flattened ``(C, N, N)`` planes; ``actions`` ``(B,)`` and
    ``masks`` ``(B, A)`` use actions ``0 .. N*N-1`` for the points, row-major from the
    top-left, and leave any further action (Go's pass) alone. Returns ``(8B, ...)`` arrays,
    symmetry-major: rows ``t*B .. (t+1)*B - 1`` are symmetry ``t`` of
    :func:`square_symmetries`, so anything per sample (returns, advantages) is repeated with
    ``np.tile(x, 8)``. Valid wherever the task itself is symmetric, as Go is.
    """
    c, h, w = image_shape
    if h != w or masks.shape[1] < h * w:
        raise ValueError(f"symmetry augmentation needs (C, N, N) observations and at least "
                         f"N*N actions, got {image_shape} and {masks.shape[1]} actions")
    n2, batch = h * w, len(obs)
    planes = obs.reshape(batch, c, n2)
    out_obs, out_actions, out_masks = [], [], []
    for perm in square_symmetries(h):
        inverse = np.argsort(perm)  # inverse[a] = where point a lands
        out_obs.append(planes[:, :, perm].reshape(batch, -1))
        out_actions.append(np.where(actions < n2, inverse[np.minimum(actions, n2 - 1)], actions))
        out_masks.append(np.concatenate([masks[:, perm], masks[:, n2:]], axis=1))
    return (np.concatenate(out_obs), np.concatenate(out_actions).astype(actions.dtype),
            np.concatenate(out_masks))


# --------------------------------------------------------------------------- files

def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path`` (its folder is
    made if missing)."""
    return atomic_write_via(path, write, make_parents=True)


def config_to_dict(config: Any) -> dict:
    """A config dataclass as a JSON-ready dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=list))


# --------------------------------------------------------------------------- curves

@dataclass
class LearningCurve:
    """The record of one training run.

    ``returns[i]``, ``lengths[i]`` and ``steps[i]`` belong to training episode ``i``
    (``steps`` is the number of environment steps taken when that episode ended). Greedy
    evaluations made during training, if any, are ``eval_steps`` / ``eval_returns``.
    """

    algo: str = ""
    env_id: str = ""
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    env_steps: int = 0
    """environment steps taken in training, unfinished last episode included"""
    interrupted: bool = False

    def add_episode(self, ret: float, length: int, total_steps: int) -> None:
        self.returns.append(float(ret))
        self.lengths.append(int(length))
        self.steps.append(int(total_steps))

    def add_eval(self, total_steps: int, mean_return: float) -> None:
        self.eval_steps.append(int(total_steps))
        self.eval_returns.append(float(mean_return))

    @property
    def episodes(self) -> int:
        return len(self.returns)

    @property
    def total_steps(self) -> int:
        """Environment steps used in training (evaluation episodes not counted)."""
        return max(self.env_steps, self.steps[-1] if self.steps else 0)

    def mean_return(self, last: int = 100) -> float:
        """Mean training (online) return over the last ``last`` episodes."""
        if not self.returns:
            return math.nan
        return float(np.mean(self.returns[-last:]))

    def smoothed(self, window: int = 100) -> np.ndarray:
        """Trailing moving average of the episode returns (window shrinks at the start)."""
        r = np.asarray(self.returns, dtype=np.float64)
        if len(r) == 0:
            return r
        c = np.cumsum(np.insert(r, 0, 0.0))
        idx = np.arange(1, len(r) + 1)
        lo = np.maximum(idx - window, 0)
        return (c[idx] - c[lo]) / (idx - lo)

    def save_csv(self, path: str | os.PathLike) -> Path:
        """Write ``episode,step,return,length`` rows; evaluation points, if any, go to
        ``<stem>_eval.csv`` beside it as ``step,eval_return`` rows."""
        path = Path(path)

        def write(tmp: str) -> None:
            with open(tmp, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["episode", "step", "return", "length"])
                for i, (s, r, n) in enumerate(zip(self.steps, self.returns, self.lengths)):
                    w.writerow([i, s, r, n])

        atomic_write(path, write)
        if self.eval_steps:
            def write_eval(tmp: str) -> None:
                with open(tmp, "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(["step", "eval_return"])
                    w.writerows(zip(self.eval_steps, self.eval_returns))

            atomic_write(path.with_name(path.stem + "_eval.csv"), write_eval)
        return path

    @classmethod
    def load_csv(cls, path: str | os.PathLike) -> "LearningCurve":
        curve = cls()
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                curve.add_episode(float(row["return"]), int(row["length"]), int(row["step"]))
        return curve

    def plot(self, path: str | os.PathLike, window: int = 100, title: str | None = None) -> Path:
        """Save a PNG: episode returns (faint), their moving average, and greedy
        evaluations when present, against environment steps."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        x = np.asarray(self.steps)
        ax.plot(x, self.returns, color="tab:blue", alpha=0.25, lw=0.8, label="episode return")
        ax.plot(x, self.smoothed(window), color="tab:blue", lw=1.8,
                label=f"mean of last {window}")
        if self.eval_steps:
            ax.plot(self.eval_steps, self.eval_returns, "o-", color="tab:orange", ms=3,
                    label="greedy evaluation")
        ax.set_xlabel("environment steps")
        ax.set_ylabel("return")
        ax.set_title(title or f"{self.algo} on {self.env_id}".strip())
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        path = Path(path)
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
        plt.close(fig)
        return path


@dataclass
class TrainResult:
    """What every ``train_*`` function returns.

    ``policy`` is the greedy policy ``act(obs, info) -> action`` of the trained agent.
    Tabular methods fill ``q`` (shape ``(S, A)``); deep methods fill ``model`` (the
    torch module that ``policy`` uses).
    """

    algo: str
    config: Any
    seed: int
    curve: LearningCurve
    policy: Policy
    q: np.ndarray | None = None
    model: Any = None

    def evaluate(self, env: gym.Env, episodes: int = 100, seed: int = 10_000,
                 max_steps: int = 1000) -> "EvalResult":
        return evaluate(env, self.policy, episodes=episodes, seed=seed, max_steps=max_steps)


# --------------------------------------------------------------------------- evaluation

@dataclass
class EvalResult:
    """Returns and lengths of evaluation episodes."""

    returns: np.ndarray
    lengths: np.ndarray
    capped: int
    """episodes stopped by ``max_steps`` rather than by the environment"""

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        return float(np.std(self.returns))

    @property
    def success_rate(self) -> float:
        """Fraction of episodes with a positive return (FrozenLake's goal, a Go win)."""
        return float(np.mean(self.returns > 0))

    def __str__(self) -> str:
        return (f"mean return {self.mean:.3f} +- {self.std:.3f} over {len(self.returns)} "
                f"episodes (mean length {np.mean(self.lengths):.1f}, capped {self.capped})")


def evaluate(env: gym.Env, policy: Policy, episodes: int = 100, seed: int = 10_000,
             max_steps: int = 1000) -> EvalResult:
    """Run ``policy`` for ``episodes`` episodes; episode ``i`` is reset with ``seed + i``.

    Each episode ends when the environment terminates or truncates it, or after
    ``max_steps`` steps (a greedy tabular policy may walk in circles forever).
    """
    returns = np.zeros(episodes)
    lengths = np.zeros(episodes, dtype=np.int64)
    capped = 0
    for i in range(episodes):
        obs, info = env.reset(seed=seed + i)
        total, n, done = 0.0, 0, False
        while not done and n < max_steps:
            obs, reward, terminated, truncated, info = env.step(policy(obs, info))
            total += float(reward)
            n += 1
            done = terminated or truncated
        capped += int(not done)
        returns[i], lengths[i] = total, n
    return EvalResult(returns, lengths, capped)


class PeriodicEvaluator:
    """Greedy evaluations during training, every ``interval`` environment steps.

    Each evaluation adds a point to ``curve``; the best-scoring weights of ``modules``
    are kept (:meth:`finish` can put them back), and :meth:`maybe` answers True once
    an evaluation reaches ``stop_return``. With ``interval == 0`` or an environment
    without a spec to copy it does nothing.
    """

    def __init__(self, env: gym.Env, policy: Policy, curve: LearningCurve, modules: list,
                 interval: int, episodes: int, seed: int, max_steps: int,
                 stop_return: float | None = None):
        self.env = make_env(env.spec) if (interval and env.spec is not None) else None
        self.policy, self.curve, self.modules = policy, curve, modules
        self.interval, self.episodes = interval, episodes
        self.seed, self.max_steps = seed, max_steps
        self.stop_return = stop_return
        self.next_at = interval
        self.best = -math.inf
        self.best_state: list | None = None

    def maybe(self, step: int) -> bool:
        """Evaluate if ``step`` has reached the next evaluation point; True means stop."""
        if self.env is None or step < self.next_at:
            return False
        while self.next_at <= step:
            self.next_at += self.interval
        return self._evaluate(step)

    def _evaluate(self, step: int) -> bool:
        mean = evaluate(self.env, self.policy, self.episodes, seed=self.seed + step,
                        max_steps=self.max_steps).mean
        self.curve.add_eval(step, mean)
        if mean >= self.best:
            import copy

            self.best = mean
            self.best_state = [copy.deepcopy(m.state_dict()) for m in self.modules]
        return self.stop_return is not None and mean >= self.stop_return

    def finish(self, step: int, restore_best: bool) -> None:
        """Evaluate the final weights too (unless just done), then, with
        ``restore_best``, load the best-scoring weights back."""
        if self.env is None:
            return
        if not self.curve.eval_steps or self.curve.eval_steps[-1] != step:
            self._evaluate(step)
        if restore_best and self.best_state is not None:
            for m, state in zip(self.modules, self.best_state):
                m.load_state_dict(state)
