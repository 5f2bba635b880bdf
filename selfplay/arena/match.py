"""One scheduled game: the agents of a process by label (AgentPool), its opening, its SGF and result line."""
from __future__ import annotations

import hashlib
import logging
import os
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from goengine.agents import AGENT_KINDS, AgentContext, AgentSpec, RandomAgent, make_agent
from goengine.coords import BLACK, WHITE
from goengine.game import GameState
from goengine.sgf import write_sgf

from ..game_runner import play_game, winner_of
from .config import GAMES_DIR, ArenaConfig, ScheduledGame, _now, _slug
from .results import GameResult

log = logging.getLogger("goengine.arena")


def _reason(result: str, comment: str | None) -> str:
    r = (result or "").upper()
    if r.endswith("+R"):
        return "resign"
    if r.endswith("+F"):
        return "forfeit"
    if comment and "move cap" in comment:
        return "move cap"
    return "score"


class AgentPool:
    """The agents of one process, by label. Reusable kinds (GTP engines, networks) are
    built at their first game and ``reset()`` between games; the others are built afresh
    for every game on a random stream derived from the run's seed, the game's key and the
    label, so a resumed run plays the games an uninterrupted one would have played.
    ``given``: ready-made agents by label. ``worker``: the process number of a parallel run
    (0 in a sequential one), which gives each process's reusable agents their own stream."""

    def __init__(self, specs: Sequence[AgentSpec], context: AgentContext, *,
                 given: dict | None = None, worker: int = 0):
        self.specs = {s.label: s for s in specs}
        self.order = [s.label for s in specs]
        self.context = context
        self.given = dict(given or {})
        self.worker = worker
        self.built: dict = {}

    def get(self, label: str, game: ScheduledGame):
        if label in self.given:
            return self.given[label]
        spec = self.specs[label]
        if AGENT_KINDS[spec.kind].reusable:
            if label not in self.built:
                stream = (self.order.index(label),)
                if self.worker:
                    stream += (1_000_003 + self.worker,)
                self.built[label] = make_agent(spec, self.context, stream)
            return self.built[label]
        digest = hashlib.sha1(f"{game.key}|{label}".encode()).digest()
        return make_agent(spec, self.context, (int.from_bytes(digest[:8], "little"),))

    def close(self) -> None:
        """Close the agents built here (GTP engines are processes)."""
        for agent in self.built.values():
            close = getattr(agent, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:  # noqa: BLE001 - never hide the run's own error
                    log.warning("closing %s: %s", getattr(agent, "name", agent), exc)
        self.built.clear()


OPENING_COMMENT = "random opening move"
"""The SGF comment of the moves an arena game opened with before the agents played (the
text training/lee's expert-data import skips as samples)."""


def random_opening(config: ArenaConfig, game: "ScheduledGame") -> GameState:
    """The position after ``config.opening_moves`` random moves, the same for games 2j and
    2j+1 of a pairing (drawn from the run's seed, the pairing and j), so each opening is
    played once from each side. Stops early if no move is left."""
    pairing = zlib.crc32(f"{game.a}|{game.b}".encode("utf-8"))
    rng = np.random.default_rng([config.seed or 0, pairing, game.index // 2])
    state = GameState(config.size, config.rules)
    picker = RandomAgent(rng)  # legal moves that fill no own eye; a pass when none is left
    for _ in range(config.opening_moves):
        move = picker.select_move(state)
        if move == config.size * config.size:
            break
        state.play(move)
    return state


def play_scheduled_game(game: ScheduledGame, pool: AgentPool, out: str | os.PathLike,
                        config: ArenaConfig) -> GameResult:
    """Play one scheduled game with the pool's agents under the config's rules, write its
    SGF to ``out/games/<a>--<b>/<index>.sgf`` and return its result line (not yet
    appended). A GTP engine that dies, times out or refuses a move raises GtpClientError."""
    out = Path(out)
    started = time.monotonic()
    black, white = pool.get(game.black, game), pool.get(game.white, game)
    watch = _MoveWatch({BLACK: black, WHITE: white})
    start = random_opening(config, game) if config.opening_moves else None
    opening = len(start.history) if start is not None else 0
    record = play_game(black, white, size=config.size, rules=config.rules,
                       max_moves=config.max_moves, on_move=watch, game=start)
    for number in range(1, opening + 1):
        record.move_comments[number] = OPENING_COMMENT
    record.black_name, record.white_name = game.black, game.white
    sgf_rel = Path(GAMES_DIR) / f"{_slug(game.a)}--{_slug(game.b)}" / f"{game.index:04d}.sgf"
    (out / sgf_rel).parent.mkdir(parents=True, exist_ok=True)
    write_sgf(record, out / sgf_rel)
    colour = winner_of(record.result)
    winner = game.black if colour == BLACK else game.white if colour == WHITE else None
    return GameResult(key=game.key, a=game.a, b=game.b, index=game.index, black=game.black,
                      white=game.white, result=record.result, winner=winner,
                      reason=_reason(record.result, record.comment), moves=len(record.moves),
                      seconds=round(time.monotonic() - started, 2), sgf=sgf_rel.as_posix(),
                      finished=_now(), per_move=watch.summary())


class _MoveWatch:
    """play_game's on_move callback: time per move of each side (the time between two
    moves is the mover's), and the root visits of agents that report a search result."""

    def __init__(self, agents: dict):
        self.agents = agents
        self.last = time.monotonic()
        self.stats = {BLACK: [0, 0.0, 0, 0], WHITE: [0, 0.0, 0, 0]}

    def __call__(self, game, colour, action) -> None:
        now = time.monotonic()
        entry = self.stats[colour]
        entry[0] += 1
        entry[1] += now - self.last
        self.last = now
        result = getattr(self.agents[colour], "last_result", None)
        visits = getattr(result, "simulations", None)
        if isinstance(visits, (int, np.integer)):
            entry[2] += int(visits)
            entry[3] += int(getattr(result, "playouts", visits))

    def summary(self) -> dict:
        return {name: {"moves": m, "seconds": round(t, 3), "visits": v, "playouts": n}
                for name, (m, t, v, n) in (("black", self.stats[BLACK]),
                                           ("white", self.stats[WHITE]))}
