"""Expert data: SGF collections (and games GNU Go plays against itself) -> expert shards.

    goengine-train expert-data --out data/expert9 --sgf archive/ --gnugo-games 200

Data folder (every file written to a temporary name and renamed; a stopped run resumes):

    config.json            the resolved ExpertConfig
    sgf/gnugo_00000.sgf    the games GNU Go played against itself (seeded per game index)
    shards/shard_00000.npz samples in data.py's format, `games_per_shard` games each
    state.json             sources already in shards, games and samples written, records
                           skipped by reason (with a few example messages)

Import filters: board size, handicap (at most `max_handicap`), and, where the record names
ranks (SGF BR/WR), a minimum rank for both players. A record that cannot be read or replayed
(malformed SGF, illegal move, unsupported setup) is skipped and counted under its reason; it
never stops the run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goengine.errors import SGFError
from goengine.sgf import read_sgf, write_sgf

from .common import bar, read_json, resolve_config, write_json
from .data import OPENING_COMMENT, SampleBuffer


@dataclass(frozen=True)
class ExpertConfig:
    size: int = 9
    """Board size kept (records of other sizes are skipped)."""
    max_handicap: int = 0
    """Most handicap stones a kept record may have."""
    min_rank: str | None = None
    """Weakest rank kept when a record names ranks (BR/WR), e.g. "1d", "5k", "3p"; None keeps all."""
    games_per_shard: int = 64
    """Games written together in one shard (the unit a stopped import redoes)."""
    gnugo_games: int = 0
    """Games GNU Go plays against itself before the import (a resumed run plays the rest)."""
    gnugo_level: int = 10
    """GNU Go's --level (10: about 1 s a move on 9x9)."""
    gnugo_command: str = "gnugo --mode gtp --chinese-rules"
    """The GNU Go command line (--level is added); its first word is looked up as find_gnugo() does."""
    komi: float = 7.5
    opening_moves: int = 4
    """Each GNU Go game opens with 0..opening_moves uniformly random moves (varied openings;
    these moves are not samples)."""
    max_moves: int = 0
    """Move cap of a GNU Go game (0: 2*N*N + 20, the arena's)."""
    seed: int = 0


_RANK = re.compile(rb"\b(BR|WR)\[([^\]]*)\]")


def rank_value(text: str) -> int | None:
    """A rank as a number, stronger higher: 30k=-29 ... 1k=0, 1d=1 ... 9d=9, 1p=10 ...; None
    when the text is not a rank ("?", "")."""
    m = re.search(r"(\d+)\s*([kdp])", text.lower())
    if not m:
        return None
    n, kind = int(m.group(1)), m.group(2)
    return {"k": 1 - n, "d": n, "p": 9 + n}[kind]


def sgf_sources(paths) -> list[Path]:
    """SGF files named, or found (*.sgf, recursively) under the folders named, sorted."""
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() == ".sgf" and not q.name.startswith("."))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such SGF file or folder")
    return out


def check_record(path: Path, config: ExpertConfig):
    """(record, None) for a record to keep, (None, (reason, message)) for one to skip."""
    try:
        data = path.read_bytes()
        record = read_sgf(data)
        record.source = str(path)
    except SGFError as exc:
        return None, ("malformed sgf", f"{path}: {str(exc).replace('<bytes>: ', '')}")
    except OSError as exc:
        return None, ("unreadable file", f"{path}: {exc}")
    except Exception as exc:  # sgfmill raises more than ValueError on odd input
        return None, ("malformed sgf", f"{path}: {exc.__class__.__name__}: {exc}")
    if record.size != config.size:
        return None, ("board size", f"{path}: {record.size}x{record.size}, keeping {config.size}x{config.size}")
    if record.handicap > config.max_handicap:
        return None, ("handicap", f"{path}: {record.handicap} handicap stones, keeping at most {config.max_handicap}")
    if not record.moves:
        return None, ("no moves", f"{path}: the record has no moves")
    if config.min_rank is not None:
        floor = rank_value(config.min_rank)
        ranks = [rank_value(m.group(2).decode("utf-8", "replace")) for m in _RANK.finditer(data)]
        weak = [r for r in ranks if r is not None and r < floor]
        if weak:
            return None, ("rank", f"{path}: a player ranked below {config.min_rank}")
    return record, None


# ----------------------------------------------------------------------------- GNU Go games
class OpeningAgent:
    """Plays `count` uniformly random moves (no own-eye fills), then lets `engine` play."""

    def __init__(self, engine, count: int, rng: np.random.Generator):
        from goengine.agents import RandomAgent
        self.engine = engine
        self.count = count
        self.random = RandomAgent(rng)
        self.name = engine.name

    def reset(self):
        self.engine.reset()

    def select_move(self, game) -> int:
        if game.move_number < self.count:
            return self.random.select_move(game)
        return self.engine.select_move(game)


def gnugo_argv(config: ExpertConfig) -> list[str]:
    import shlex
    from gtp.client import find_gnugo
    argv = shlex.split(config.gnugo_command)
    if argv and argv[0] == "gnugo":
        found = find_gnugo()
        if found is None:
            raise FileNotFoundError("GNU Go is not installed (gnugo not on PATH nor in /usr/games)")
        argv[0] = found
    return argv + ["--level", str(config.gnugo_level)]


def play_gnugo_games(folder: Path, config: ExpertConfig, progress: bool = True, log=print) -> int:
    """Play the GNU Go games still missing from folder/sgf; returns how many there are."""
    from goengine.game import Rules
    from gtp.client import GtpAgent
    from selfplay.game_runner import play_game
    sgf_dir = folder / "sgf"
    have = len(list(sgf_dir.glob("gnugo_*.sgf"))) if sgf_dir.is_dir() else 0
    if have >= config.gnugo_games:
        return have
    name = f"gnugo-{config.gnugo_level}"
    sgf_dir.mkdir(parents=True, exist_ok=True)
    pbar = bar(config.gnugo_games, "gnugo games", progress, initial=have)
    with GtpAgent(gnugo_argv(config), name=name, size=config.size, komi=config.komi) as engine:
        for index in range(have, config.gnugo_games):
            path = sgf_dir / f"gnugo_{index:05d}.sgf"
            if path.exists():
                pbar.update()
                continue
            rng = np.random.default_rng([config.seed, index])
            agent = OpeningAgent(engine, int(rng.integers(0, config.opening_moves + 1)), rng)
            record = play_game(agent, agent, size=config.size, rules=Rules(komi=config.komi),
                               max_moves=config.max_moves or None)
            record.black_name = record.white_name = name
            for number in range(1, min(agent.count, len(record.moves)) + 1):
                record.move_comments[number] = OPENING_COMMENT
            write_sgf(record, path)
            pbar.update()
            pbar.set_postfix(result=record.result)
    pbar.close()
    return config.gnugo_games


# ----------------------------------------------------------------------------- import
def import_sgf(folder: Path, sources: list[Path], config: ExpertConfig, progress: bool = True) -> dict:
    """Turn the records of `sources` not yet in shards into shards; returns state.json's dict."""
    shard_dir = folder / "shards"
    state_path = folder / "state.json"
    state = read_json(state_path, {"sources_done": [], "shards": 0, "games": 0, "samples": 0,
                                   "skipped": {}, "examples": {}})
    done = set(state["sources_done"])
    todo = [p for p in sources if str(p) not in done]
    buffer = SampleBuffer(config.size)
    pending_sources, pending_skips, pending_examples, games_in_buffer = [], {}, {}, 0

    def flush():
        nonlocal buffer, pending_sources, pending_skips, pending_examples, games_in_buffer
        if len(buffer):
            buffer.write(shard_dir / f"shard_{state['shards']:05d}.npz")
            state["shards"] += 1
            state["samples"] += len(buffer)
            state["games"] += games_in_buffer
        state["sources_done"] += pending_sources
        for reason, count in pending_skips.items():
            state["skipped"][reason] = state["skipped"].get(reason, 0) + count
            examples = state["examples"].setdefault(reason, [])
            examples += pending_examples[reason][: max(0, 3 - len(examples))]
        write_json(state_path, state)
        buffer = SampleBuffer(config.size)
        pending_sources, pending_skips, pending_examples, games_in_buffer = [], {}, {}, 0

    pbar = bar(len(todo), "import sgf", progress)
    for path in todo:
        record, skip = check_record(path, config)
        if record is not None:
            try:
                buffer.add_game(state["games"] + games_in_buffer, record)
                games_in_buffer += 1
            except SGFError as exc:
                skip = ("illegal move", str(exc))
            except Exception as exc:  # an unsupported record must not stop the import
                skip = ("unsupported record", f"{path}: {exc.__class__.__name__}: {exc}")
            if skip is not None:  # drop any samples of the half-added game
                keep = len(buffer.rows["game"]) - sum(1 for g in buffer.rows["game"]
                                                      if g == state["games"] + games_in_buffer)
                for rows in buffer.rows.values():
                    del rows[keep:]
        if skip is not None:
            pending_skips[skip[0]] = pending_skips.get(skip[0], 0) + 1
            pending_examples.setdefault(skip[0], []).append(skip[1])
        pending_sources.append(str(path))
        pbar.update()
        if games_in_buffer >= config.games_per_shard:
            flush()
    flush()
    pbar.close()
    return state


def make_expert_data(folder, config: ExpertConfig | None = None, sgf_paths=(), progress: bool = True,
                     log=print) -> dict:
    """The whole `expert-data` command: GNU Go games, then import of every source."""
    folder = Path(folder)
    config = resolve_config(folder, config, ExpertConfig)
    if config.gnugo_games:
        play_gnugo_games(folder, config, progress=progress, log=log)
    sources = sgf_sources(sgf_paths)
    if (folder / "sgf").is_dir():
        sources += sorted((folder / "sgf").glob("gnugo_*.sgf"))
    return import_sgf(folder, sources, config, progress=progress)
