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

from goengine.features import NUM_SYMMETRIES, apply_planes, apply_policy, zero17
from selfplay.records import list_shards, read_shard


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
        x = zero17(self.stones[idx], self.to_play[idx], self.size)
        pi = self.pi[idx].copy()
        for t in range(1, NUM_SYMMETRIES):
            sel = np.flatnonzero(syms == t)
            if sel.size:
                x[sel] = apply_planes(x[sel], t)
                pi[sel] = apply_policy(pi[sel], t)
        return x, pi, self.z[idx].copy(), self.full[idx].astype(np.float32)
