"""Expert samples on disk: versioned .npz shards of positions and the move an expert played.

A shard (``shard_00000.npz``) holds S positions of one board size; array names state the layout:

    schema      int64 scalar, EXPERT_SCHEMA
    size        int64 scalar, N
    stones      int8  (S, N*N)  the position before the move: 0 empty, 1 black, 2 white,
                                row-major from the top-left (goengine/coords.py)
    to_play     int8  (S,)      colour to move (1 black, 2 white)
    ko          int16 (S,)      the simple-ko point the side to move may not retake, or -1
    last_moves  int16 (S, 8)    the last 8 moves, most recent first (pass = N*N, -1 before the
                                game's start): the "turns since" planes and the rollout
                                policy's previous-move patterns read them
    move        int16 (S,)      the move played (the target), pass = N*N
    winner      int8  (S,)      the game's winner: 1 black, 2 white, 0 unknown or a draw
    komi        float32 (S,)    the game's komi
    game        int64 (S,)      index of the game within the data set (held-out splits are by game)

A shard is written to a temporary name and renamed (goengine.fileio.atomic_write_bytes).
`board_of` rebuilds the Cython Board of a sample (stones and ko), `load_expert` reads a folder.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from goengine._board import Board
from goengine.coords import BLACK, WHITE
from goengine.fileio import atomic_write_bytes

EXPERT_SCHEMA = 1
LAST_MOVES = 8
OPENING_COMMENT = "random opening move"
"""Move comment marking the random opening moves of generated games: not expert samples."""
ARRAYS = ("stones", "to_play", "ko", "last_moves", "move", "winner", "komi", "game")


class ExpertShardError(ValueError):
    """An expert shard that cannot be read; the message names the file and the problem."""


class SampleBuffer:
    """Samples collected position by position, written as one shard by `write`."""

    def __init__(self, size: int):
        self.size = size
        self.rows = {k: [] for k in ARRAYS}

    def __len__(self):
        return len(self.rows["move"])

    def add_game(self, game_index: int, record, game_rules=None) -> int:
        """Replay `record` (a GameRecord; raises SGFError for an illegal move) and add one
        sample per move. Returns the number of samples added."""
        from goengine._board import Board as CBoard
        from goengine.features import recent_moves
        from selfplay.game_runner import winner_of
        game = record.to_game(board_cls=CBoard)  # validates every move first
        winner = winner_of(record.result or "")
        replay = type(game)(record.size, game.rules, board_cls=CBoard)
        if record.setup_black or record.setup_white:
            first = record.moves[0][0] if record.moves else None
            replay.setup_stones(record.setup_black, record.setup_white,
                                to_play=first if first in (BLACK, WHITE) else None)
        added = 0
        for number, (color, action) in enumerate(record.moves, start=1):
            if replay.to_play == color and record.move_comments.get(number) != OPENING_COMMENT:
                self.rows["stones"].append(replay.board.stones())
                self.rows["to_play"].append(color)
                self.rows["ko"].append(replay.board.ko if replay.board.ko_color == color else -1)
                self.rows["last_moves"].append(recent_moves(replay))
                self.rows["move"].append(action)
                self.rows["winner"].append(winner)
                self.rows["komi"].append(record.komi)
                self.rows["game"].append(game_index)
                added += 1
            replay.play_color(color, action)
        return added

    def arrays(self) -> dict:
        n2 = self.size * self.size
        r = self.rows
        return dict(
            schema=np.int64(EXPERT_SCHEMA), size=np.int64(self.size),
            stones=np.array(r["stones"], dtype=np.int8).reshape(-1, n2),
            to_play=np.array(r["to_play"], dtype=np.int8),
            ko=np.array(r["ko"], dtype=np.int16),
            last_moves=np.array(r["last_moves"], dtype=np.int16).reshape(-1, LAST_MOVES),
            move=np.array(r["move"], dtype=np.int16),
            winner=np.array(r["winner"], dtype=np.int8),
            komi=np.array(r["komi"], dtype=np.float32),
            game=np.array(r["game"], dtype=np.int64),
        )

    def write(self, path) -> Path:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays())
        return atomic_write_bytes(path, buffer.getvalue(), make_parents=True)


def read_expert_shard(path) -> dict:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ExpertShardError(f"{path}: no such shard") from None
    except Exception as exc:
        raise ExpertShardError(f"{path}: not a readable .npz shard ({exc})") from None
    missing = [k for k in ("schema", "size", *ARRAYS) if k not in arrays]
    if missing:
        raise ExpertShardError(f"{path}: missing arrays {missing} (not an expert shard?)")
    if int(arrays["schema"]) > EXPERT_SCHEMA:
        raise ExpertShardError(f"{path}: expert shard schema {int(arrays['schema'])} is newer than this goengine's")
    s, n2 = arrays["move"].shape[0], int(arrays["size"]) ** 2
    if arrays["stones"].shape != (s, n2) or arrays["last_moves"].shape != (s, LAST_MOVES):
        raise ExpertShardError(f"{path}: arrays stones/last_moves have shapes {arrays['stones'].shape}/"
                               f"{arrays['last_moves'].shape}, expected {(s, n2)}/{(s, LAST_MOVES)}")
    return arrays


def list_expert_shards(folder) -> list[Path]:
    folder = Path(folder)
    shards = folder / "shards" if (folder / "shards").is_dir() else folder
    return sorted(p for p in shards.glob("shard_*.npz") if not p.name.startswith("."))


def load_expert(folder, size: int | None = None) -> dict:
    """Every sample of the shards of a data folder (or its shards/ subfolder), concatenated."""
    paths = list_expert_shards(folder)
    if not paths:
        raise FileNotFoundError(f"{folder}: no expert shards (shard_*.npz); run goengine-train expert-data first")
    parts = [read_expert_shard(p) for p in paths]
    sizes = {int(p["size"]) for p in parts}
    if len(sizes) != 1 or (size is not None and sizes != {size}):
        raise ValueError(f"{folder}: shards of board sizes {sorted(sizes)}" + (f", expected {size}" if size else ""))
    out = {k: np.concatenate([p[k] for p in parts]) for k in ARRAYS}
    out["size"] = sizes.pop()
    return out


def split_by_game(data: dict, holdout: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and held-out samples: a seeded `holdout` fraction of the games
    (at least one when there are two or more) is held out whole."""
    games = np.unique(data["game"])
    rng = np.random.default_rng(seed)
    k = int(round(holdout * len(games)))
    if holdout > 0 and len(games) >= 2:
        k = min(max(k, 1), len(games) - 1)
    held = set(rng.permutation(games)[:k].tolist()) if holdout > 0 else set()
    mask = np.array([g in held for g in data["game"]], dtype=bool)
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def board_of(stones: np.ndarray, to_play: int, ko: int, last_move: int, size: int) -> Board:
    """The Cython Board of a sample. Stones are placed one by one (in a legal position no
    placement captures); a ko is rebuilt by replaying the capture that made it: the position
    before the last move has the last move's point empty and a stone of the side to move at
    the ko point."""
    board = Board(size)
    stones = np.asarray(stones)
    if ko >= 0 and 0 <= last_move < size * size:
        for a in np.flatnonzero(stones):
            if a != last_move:
                board.play(int(a), int(stones[a]))
        board.play(int(ko), int(to_play))
        board.play(int(last_move), int(stones[last_move]))
    else:
        for a in np.flatnonzero(stones):
            board.play(int(a), int(stones[a]))
    return board


def boards_of(data: dict, index: np.ndarray) -> list:
    size = int(data["size"])
    return [board_of(data["stones"][i], int(data["to_play"][i]), int(data["ko"][i]),
                     int(data["last_moves"][i, 0]), size) for i in index]
