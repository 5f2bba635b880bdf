"""Training data: a replay window over the newest self-play shards, sampled with symmetries.

    window = ReplayWindow.from_folder("runs/zero/selfplay", max_samples=100_000)
    batch = window.batch(rng, 256)    # a Batch of numpy arrays, ready for torch.from_numpy

Each sample is seen through a random one of the 8 dihedral symmetries (planes, policies and
ownership moved together). Batch fields, B rows:
    x              float32 (B, C, N, N) the window's plane set (zero17: C = 17)
    pi             float32 (B, N*N+1)    the search's visit distribution
    z              float32 (B,)          the game's outcome for the mover
    policy_weight  float32 (B,)          1 for full searches, 0 for playout-cap cheap ones
    ownership      float32 (B, N, N)     the final owner of each point, mover's view (+1/0/-1)
    score          float32 (B,)          the final area margin, mover's view
    final_weight   float32 (B,)          1 where the game was scored (ownership and score are
                                         targets), 0 for resigned games and schema-1 shards
    reply          float32 (B, N*N+1)    the opponent's next visit distribution (the
                                         auxiliary opponent-move target, KataGo's)
    reply_weight   float32 (B,)          1 where that next move exists and was a full search
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from goengine.features import NUM_SYMMETRIES, apply_planes_each, apply_policy_each, history_planes
from selfplay.records import list_shards, read_shard


def newest_shards(source, max_samples: int, size: int | None = None) -> list[Path]:
    """The newest complete shards under `source` (oldest first) that together hold at least
    max_samples samples (all of them if fewer). `source` is a Zero run folder (its window_seed
    shards, then its generations in order) or any folder of shards. Raises ValueError naming
    the folder when it holds none, or shards of another board size than `size`."""
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"{source}: no such folder of self-play shards")
    if (source / "config.json").exists():  # a run folder: generations in order, not by name
        gens = sorted((source / "selfplay").glob("gen_*"), key=lambda d: int(d.name.split("_")[1]))
        paths = list_shards(source / "window_seed") + [p for d in gens for p in list_shards(d)]
    else:
        paths = list_shards(source)
    if not paths:
        raise ValueError(f"{source}: holds no self-play shards (.npz)")
    chosen, total = [], 0
    for path in reversed(paths):
        shard = read_shard(path)
        if size is not None and int(shard["size"]) != size:
            raise ValueError(f"{path}: a {int(shard['size'])}x{int(shard['size'])} shard, "
                             f"not {size}x{size}")
        chosen.append(path)
        total += shard["z"].shape[0]
        if total >= max_samples:
            break
    return chosen[::-1]


def split_holdout(paths: list, every: int) -> tuple[list, list]:
    """(training shards, held-out shards): every `every`-th shard is held out, so held-out
    games are whole games, none of whose positions is trained on."""
    if every < 2:
        raise ValueError(f"holding out one shard in {every}: give at least 2")
    held = [p for i, p in enumerate(paths) if i % every == every - 1]
    if not held:
        raise ValueError(f"only {len(paths)} shards: too few to hold out one in {every}")
    return [p for i, p in enumerate(paths) if i % every != every - 1], held


class Batch(NamedTuple):
    """Training targets of B samples (the fields are described in the module docstring)."""

    x: np.ndarray
    pi: np.ndarray
    z: np.ndarray
    policy_weight: np.ndarray
    ownership: np.ndarray
    score: np.ndarray
    final_weight: np.ndarray
    reply: np.ndarray
    reply_weight: np.ndarray


def _next_in_game(shard: dict) -> np.ndarray:
    """Per sample, whether the shard's next row is the same game's next move (then it holds
    the opponent's reply): rows of a game are stored in move order."""
    game = shard["game"]
    return np.append(game[1:] == game[:-1], False)


_ARRAYS = ("stones", "to_play", "pi", "z", "full", "ownership", "score", "final", "has_next")


class ReplayWindow:
    feature_set = "zero17"
    """The input planes batches are made of (a stone-history set: zero17 or zerogo25); the
    trainer sets its network's."""

    def __init__(self, shards: list[dict]):
        if not shards:
            raise ValueError("the replay window is empty: no self-play shards yet")
        sizes = {int(s["size"]) for s in shards}
        if len(sizes) != 1:
            raise ValueError(f"shards of several board sizes in one window: {sorted(sizes)}")
        self.size = sizes.pop()
        self.stones = np.concatenate([s["stones"] for s in shards])
        self.to_play = np.concatenate([s["to_play"] for s in shards])
        self.pi = np.concatenate([s["pi"] for s in shards])
        self.z = np.concatenate([s["z"] for s in shards])
        self.full = np.concatenate([s["full_search"] for s in shards])
        self.ownership = np.concatenate([s["ownership"] for s in shards])
        self.score = np.concatenate([s["score"] for s in shards])
        self.final = np.concatenate([s["final"] for s in shards])
        self.has_next = np.concatenate([_next_in_game(s) for s in shards])

    @classmethod
    def from_paths(cls, paths, max_samples: int | None = None) -> "ReplayWindow":
        """The newest shards of `paths` (oldest first) holding up to max_samples samples."""
        chosen, total = [], 0
        for path in reversed(list(paths)):
            shard = read_shard(path)
            chosen.append(shard)
            total += shard["z"].shape[0]
            if max_samples is not None and total >= max_samples:
                break
        window = cls(list(reversed(chosen)))
        if max_samples is not None and len(window) > max_samples:
            for name in _ARRAYS:
                setattr(window, name, getattr(window, name)[-max_samples:])
        return window

    @classmethod
    def from_folder(cls, folder, max_samples: int | None = None) -> "ReplayWindow":
        return cls.from_paths(list_shards(Path(folder)), max_samples)

    def __len__(self) -> int:
        return self.z.shape[0]

    def _batch(self, idx: np.ndarray, syms: np.ndarray | None) -> Batch:
        """The Batch of rows idx, each moved by its symmetry (None: as played)."""
        n2 = self.size * self.size
        x = history_planes(self.feature_set, self.stones[idx], self.to_play[idx], self.size)
        pi = self.pi[idx]
        has_reply = self.has_next[idx]
        nxt = np.where(has_reply, idx + 1, idx)  # (a row without a reply reads itself, weight 0)
        reply = self.pi[nxt]
        own = np.zeros((idx.size, n2 + 1), np.float32)  # padded with a "pass" column to share
        own[:, :n2] = self.ownership[idx]               # the policy's symmetry code
        if syms is not None:
            x = apply_planes_each(x, syms)
            pi, reply, own = (apply_policy_each(a, syms) for a in (pi, reply, own))
        return Batch(x, pi.astype(np.float32, copy=True), self.z[idx].copy(), self.full[idx].astype(np.float32),
                     own[:, :n2].reshape(-1, self.size, self.size), self.score[idx].copy(),
                     self.final[idx].astype(np.float32), reply.astype(np.float32, copy=True),
                     (has_reply & self.full[nxt]).astype(np.float32))

    def in_order(self, batch_size: int):
        """Every sample once, in order and as played (no symmetry): Batches for measuring
        a network on held-out games."""
        for start in range(0, len(self), batch_size):
            yield self._batch(np.arange(start, min(start + batch_size, len(self))), None)

    def batch(self, rng: np.random.Generator, batch_size: int, part: tuple[int, int] | None = None) -> Batch:
        """A Batch of batch_size samples. part=(rank, world): every rank draws the same whole
        batch from the same rng stream and gets its slice (rows rank*B//world to
        (rank+1)*B//world), so `world` processes together see exactly one process's batch."""
        idx = rng.integers(0, len(self), size=batch_size)
        syms = rng.integers(0, NUM_SYMMETRIES, size=batch_size)
        if part is not None:
            rank, world = part
            rows = slice(rank * batch_size // world, (rank + 1) * batch_size // world)
            idx, syms = idx[rows], syms[rows]
        return self._batch(idx, syms)
