"""Training samples on disk: versioned, compressed .npz shards, written atomically.

A shard holds S samples of one board size, arrays named for their layout:
    schema       int64 scalar, SHARD_SCHEMA
    size         int64 scalar, N
    komi         float32 scalar
    stones       int8  (S, 8, N*N)   the position and the 7 before it (0 empty, 1 black, 2 white),
                                     most recent first: zero17 planes are made from it
                                     (goengine.features.zero17) at training time
    to_play      int8  (S,)          colour to move
    pi           float32 (S, N*N+1)  MCTS visit distribution (the policy target)
    z            float32 (S,)        game outcome from the side to move: +1 win, -1 loss, 0 draw
    full_search  bool  (S,)          False for playout-cap-randomised cheap searches (not a
                                     policy target; their z is still a value target)
    game         int64 (S,)          index of the sample's game within the shard
    ownership    int8  (S, N*N)      schema 2: who owns each point of the game's final position
                                     under area scoring, from the side to move's view: +1 the
                                     mover (its stone, or empty points only its stones border),
                                     -1 the opponent, 0 neither (the ownership head's target)
    score        float32 (S,)        schema 2: the final area margin, komi included, from the
                                     side to move's view (the score head's target)
    final        bool  (S,)          schema 2: whether the game reached a scored final position
                                     (False for a resigned game: its ownership and score are
                                     zeros and not targets; its z still is one). Schema 1 shards
                                     read as final=False everywhere.
    generation   int64 scalar        the network generation that played these games
    meta         str scalar          optional: JSON of what the games' stage records about them
                                     (training/zero.py: each game's resignation bookkeeping, the
                                     seconds and evaluations they took), so the stage's totals
                                     can be recounted from the shards after a kill
A shard is written to a temporary name in its folder and renamed into place, so a reader
never sees half a shard, and a crash leaves at most a stray temporary file (ignored).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from goengine.coords import BLACK, WHITE
from goengine.features.zero import HISTORY
from goengine.fileio import atomic_write_bytes
from goengine.regions import empty_regions

SHARD_SCHEMA = 2


class ShardError(ValueError):
    """A shard that cannot be read; the message names the file and the problem."""


def area_ownership(stones: np.ndarray, size: int) -> np.ndarray:
    """int8 (N*N,) from Black's view: +1 for a black stone or an empty point in a region that
    only black stones border, -1 the same for White, 0 for a region both (or neither)
    border: the points each colour's area score counts (every stone counted alive)."""
    stones = np.asarray(stones).reshape(-1)
    own = np.where(stones == BLACK, 1, np.where(stones == WHITE, -1, 0)).astype(np.int8)
    for region, border in empty_regions(stones, size):
        if border in (BLACK, WHITE):
            own[region] = 1 if border == BLACK else -1
    return own


@dataclass
class GameSamples:
    """The samples of one game, collected move by move; `finish(winner, ...)` fills z and,
    for a game that was scored, the ownership and score targets."""

    size: int
    stones: list = field(default_factory=list)
    to_play: list = field(default_factory=list)
    pi: list = field(default_factory=list)
    full_search: list = field(default_factory=list)
    z: list = field(default_factory=list)
    final_ownership: np.ndarray | None = None
    """int8 (N*N,) from Black's view (area_ownership of the final position), None if resigned."""
    final_score: float = 0.0
    """Black's final area margin (komi included); meaningful with final_ownership only."""

    def add(self, recent_stones: np.ndarray, to_play: int, pi: np.ndarray, full_search: bool = True):
        self.stones.append(np.asarray(recent_stones, dtype=np.int8)[:HISTORY])
        self.to_play.append(int(to_play))
        self.pi.append(np.asarray(pi, dtype=np.float32))
        self.full_search.append(bool(full_search))

    def finish(self, winner: int, final_stones: np.ndarray | None = None, score: float = 0.0) -> None:
        """winner: BLACK (1), WHITE (2) or 0 for a draw. final_stones (N*N,): the scored final
        position, with `score` Black's area margin (komi included); None for a resigned game."""
        self.z = [0.0 if winner == 0 else (1.0 if tp == winner else -1.0) for tp in self.to_play]
        if final_stones is not None:
            self.final_ownership = area_ownership(final_stones, self.size)
            self.final_score = float(score)

    def targets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ownership int8 (S, N*N), score float32 (S,), final bool (S,)), each from its
        sample's mover's view: the shard arrays of this game."""
        s, n2 = len(self), self.size * self.size
        if self.final_ownership is None:
            return np.zeros((s, n2), np.int8), np.zeros(s, np.float32), np.zeros(s, bool)
        sign = np.where(np.asarray(self.to_play) == BLACK, 1, -1).astype(np.int8)
        return (sign[:, None] * self.final_ownership[None, :], (sign * self.final_score).astype(np.float32),
                np.ones(s, bool))

    def __len__(self):
        return len(self.to_play)


def write_shard(path, games: list[GameSamples], komi: float, generation: int = 0,
                meta: dict | None = None) -> Path:
    """Write the samples of `games` (all finished, one board size) as one shard, with `meta`
    (JSON-serialisable) beside them when given."""
    if not games:
        raise ValueError("a shard needs at least one game")
    size = games[0].size
    if any(g.size != size for g in games):
        raise ValueError("all games of a shard must have one board size")
    if any(len(g.z) != len(g) for g in games):
        raise ValueError("every game must be finished (z filled) before it is written")
    n2 = size * size
    stones = np.zeros((sum(len(g) for g in games), HISTORY, n2), dtype=np.int8)
    i = 0
    for g in games:
        for s in g.stones:
            stones[i, : s.shape[0]] = s
            i += 1
    arrays = dict(
        schema=np.int64(SHARD_SCHEMA),
        size=np.int64(size),
        komi=np.float32(komi),
        generation=np.int64(generation),
        stones=stones,
        to_play=np.array([t for g in games for t in g.to_play], dtype=np.int8),
        pi=np.array([p for g in games for p in g.pi], dtype=np.float32).reshape(-1, n2 + 1),
        z=np.array([z for g in games for z in g.z], dtype=np.float32),
        full_search=np.array([f for g in games for f in g.full_search], dtype=bool),
        game=np.array([k for k, g in enumerate(games) for _ in range(len(g))], dtype=np.int64),
    )
    targets = [g.targets() for g in games]
    arrays.update(ownership=np.concatenate([t[0] for t in targets]).reshape(-1, n2),
                  score=np.concatenate([t[1] for t in targets]),
                  final=np.concatenate([t[2] for t in targets]))
    if meta is not None:
        arrays["meta"] = np.array(json.dumps(meta))  # a str array: loads without pickle
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue(), make_parents=True)


REQUIRED = ("schema", "size", "komi", "stones", "to_play", "pi", "z", "full_search", "game")


def read_shard(path) -> dict[str, np.ndarray]:
    """Load and validate a shard; ShardError names the file and what is wrong."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ShardError(f"{path}: no such shard") from None
    except Exception as exc:
        raise ShardError(f"{path}: not a readable .npz shard ({exc})") from None
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise ShardError(f"{path}: missing arrays {missing}")
    if int(arrays["schema"]) > SHARD_SCHEMA:
        raise ShardError(f"{path}: shard schema {int(arrays['schema'])} is newer than this goengine's")
    size = int(arrays["size"])
    s = arrays["stones"].shape[0]
    shapes = {"stones": (s, HISTORY, size * size), "to_play": (s,), "pi": (s, size * size + 1),
              "z": (s,), "full_search": (s,), "game": (s,)}
    if "ownership" not in arrays:  # schema 1: no final-position targets
        arrays.update(ownership=np.zeros((s, size * size), np.int8), score=np.zeros(s, np.float32),
                      final=np.zeros(s, bool))
    shapes.update(ownership=(s, size * size), score=(s,), final=(s,))
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise ShardError(f"{path}: array {name} has shape {arrays[name].shape}, expected {shape}")
    return arrays


def read_shard_meta(path) -> dict | None:
    """The `meta` of a shard (None when it has none), without reading its samples."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"])) if "meta" in data.files else None
    except Exception as exc:
        raise ShardError(f"{path}: not a readable .npz shard ({exc})") from None


def list_shards(folder) -> list[Path]:
    """Complete shards under `folder` (recursively), oldest name first; temporaries skipped."""
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*.npz") if not p.name.startswith("."))
