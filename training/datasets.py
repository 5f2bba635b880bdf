"""Training data: a replay window over the newest self-play shards, sampled with symmetries.

    window = ReplayWindow.from_folder("runs/zero/selfplay", max_samples=100_000)
    x, pi, z, policy_weight = window.batch(rng, 256)    # numpy, ready for torch.from_numpy

x is float32 (B, 17, N, N) zero17 planes, pi float32 (B, N*N+1), z float32 (B,),
policy_weight float32 (B,) = 1 for full searches, 0 for playout-cap cheap ones. Each sample is
seen through a random one of the 8 dihedral symmetries (planes and pi moved together).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from goengine.features import NUM_SYMMETRIES, apply_planes_each, apply_policy_each, zero17
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


class ReplayWindow:
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
            for name in ("stones", "to_play", "pi", "z", "full"):
                setattr(window, name, getattr(window, name)[-max_samples:])
        return window

    @classmethod
    def from_folder(cls, folder, max_samples: int | None = None) -> "ReplayWindow":
        return cls.from_paths(list_shards(Path(folder)), max_samples)

    def __len__(self) -> int:
        return self.z.shape[0]

    def in_order(self, batch_size: int):
        """Every sample once, in order and as played (no symmetry): batches of
        (x, pi, z, policy_weight) for measuring a network on held-out games."""
        for start in range(0, len(self), batch_size):
            rows = slice(start, start + batch_size)
            yield (zero17(self.stones[rows], self.to_play[rows], self.size), self.pi[rows],
                   self.z[rows], self.full[rows].astype(np.float32))

    def batch(self, rng: np.random.Generator, batch_size: int, part: tuple[int, int] | None = None):
        """A batch of batch_size samples. part=(rank, world): every rank draws the same whole
        batch from the same rng stream and gets its slice (rows rank*B//world to
        (rank+1)*B//world), so `world` processes together see exactly one process's batch."""
        idx = rng.integers(0, len(self), size=batch_size)
        syms = rng.integers(0, NUM_SYMMETRIES, size=batch_size)
        if part is not None:
            rank, world = part
            rows = slice(rank * batch_size // world, (rank + 1) * batch_size // world)
            idx, syms = idx[rows], syms[rows]
        x = apply_planes_each(zero17(self.stones[idx], self.to_play[idx], self.size), syms)
        pi = apply_policy_each(self.pi[idx], syms)
        return x, pi, self.z[idx].copy(), self.full[idx].astype(np.float32)
