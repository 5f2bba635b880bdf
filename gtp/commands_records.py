"""The GTP commands of handicap, clocks and SGF files: a mixin of GoEngine (gtp/handlers.py)."""
from __future__ import annotations

import logging

import numpy as np

from goengine.coords import (
    BLACK, EMPTY, WHITE, check_size,
)
from goengine.errors import SGFError
from goengine.game import Rules, fixed_handicap_points, max_fixed_handicap
from goengine.sgf import GameRecord, read_sgf, rules_to_text, to_sgf_bytes, write_sgf

from .engine import Color, GtpCommandError, Vertex, command
from .timecontrol import TimeSettings


__all__ = ["GameRecordCommands", "format_score", "free_handicap_points"]

log = logging.getLogger("gtp")


def format_score(score: float) -> str:
    """GTP final_score text: ``B+3.5``, ``W+0.5``, ``0``."""
    if abs(score) < 1e-9:
        return "0"
    return f"{'B' if score > 0 else 'W'}+{abs(score):g}"


def free_handicap_points(size: int, n: int) -> list[int]:
    """The engine's free handicap of ``n`` stones: GNU Go's fixed points as far as they go,
    then, one at a time, the empty point farthest (Manhattan distance) from the stones
    already placed among the points at least as far from the edge as handicap stones stand
    (the 4th line from 13x13 up, the 3rd on 7x7..11x11); ties go to the point nearest that
    line, then to the first in row-major order. Points nearer the edge are used only when
    those run out. ValueError unless 1 <= n < N*N."""
    size = check_size(size)
    if not 1 <= n < size * size:
        raise ValueError(f"invalid number of handicap stones {n} for {size}x{size}")
    top = max_fixed_handicap(size)
    points = fixed_handicap_points(size, min(n, top)) if top >= 2 and n >= 2 else []
    line = 3 if size > 11 else 2 if size >= 7 else 1 if size >= 4 else 0
    rows, cols = np.divmod(np.arange(size * size), size)
    edge = np.minimum(np.minimum(rows, size - 1 - rows), np.minimum(cols, size - 1 - cols))
    while len(points) < n:
        free = np.ones(size * size, dtype=bool)
        free[points] = False
        inner = free & (edge >= line)
        candidates = inner if inner.any() else free
        if points:
            pr, pc = np.divmod(np.array(points), size)
            dist = (np.abs(rows[:, None] - pr[None, :])
                    + np.abs(cols[:, None] - pc[None, :])).min(axis=1)
        else:
            dist = np.zeros(size * size, dtype=np.int64)
        key = dist * 1000 - np.abs(edge - line)
        key = np.where(candidates, key, np.iinfo(np.int64).min)
        points.append(int(np.argmax(key)))
    return sorted(points)


class GameRecordCommands:
    """fixed_handicap, place_free_handicap, set_free_handicap, time_settings,
    kgs-time_settings, time_left, loadsgf, printsgf (the game's state is GoEngine's)."""

    # ------------------------------------------------------------------ handicap
    def _check_empty(self) -> None:
        if not self._board_is_empty():
            raise GtpCommandError("board not empty")

    def cmd_fixed_handicap(self, number_of_stones: int) -> str:
        self._check_empty()
        try:
            points = fixed_handicap_points(self.size, number_of_stones)
        except ValueError:
            raise GtpCommandError("invalid number of stones") from None
        self.game.set_free_handicap(points)
        return self._vertices(points)

    def cmd_place_free_handicap(self, number_of_stones: int) -> str:
        self._check_empty()
        if not 2 <= number_of_stones < self.size * self.size:
            raise GtpCommandError("invalid number of stones")
        points = free_handicap_points(self.size, number_of_stones)
        self.game.set_free_handicap(points)
        return self._vertices(points)

    def cmd_set_free_handicap(self, *vertices: Vertex) -> None:
        self._check_empty()
        n = self.size * self.size
        if (len(vertices) < 2 or len(set(vertices)) != len(vertices) or n in vertices
                or len(vertices) >= n):
            raise GtpCommandError("bad vertex list")
        self.game.set_free_handicap(vertices)

    # ------------------------------------------------------------------ time
    def cmd_time_settings(self, main_time: float, byo_yomi_time: float,
                          byo_yomi_stones: int) -> None:
        if main_time < 0 or byo_yomi_time < 0:
            raise GtpCommandError("syntax error: times must not be negative")
        self.clock.set(TimeSettings.from_gtp(main_time, byo_yomi_time, byo_yomi_stones))
        log.info("time settings: %s", self.clock.settings)

    @command("kgs-time_settings")
    def cmd_kgs_time_settings(self, system: str, *values: float) -> None:
        system = system.lower()
        expected = {"none": 0, "absolute": 1, "canadian": 3, "byoyomi": 3}
        if system not in expected:
            raise GtpCommandError(f"syntax error: unknown time system {system!r} (none, "
                                  f"absolute, canadian or byoyomi)")
        if len(values) != expected[system] or any(v < 0 for v in values):
            usage = {"none": "none", "absolute": "absolute <main_time>",
                     "canadian": "canadian <main_time> <byo_yomi_time> <byo_yomi_stones>",
                     "byoyomi": "byoyomi <main_time> <period_time> <periods>"}[system]
            raise GtpCommandError(f"syntax error: usage: kgs-time_settings {usage}")
        if system in ("canadian", "byoyomi") and values[2] != int(values[2]):
            raise GtpCommandError("syntax error: the stone or period count must be an integer")
        try:
            if system == "none":
                settings = TimeSettings("none")
            elif system == "absolute":
                settings = TimeSettings("absolute", main=values[0])
            elif system == "canadian":
                settings = (TimeSettings("canadian", main=values[0], period=values[1],
                                         stones=int(values[2]))
                            if values[2] > 0 and values[1] > 0
                            else TimeSettings("absolute", main=values[0]))
            else:
                settings = TimeSettings("byoyomi", main=values[0], period=values[1],
                                        periods=int(values[2]))
        except ValueError as exc:
            raise GtpCommandError(f"syntax error: {exc}") from None
        self.clock.set(settings)
        log.info("time settings: %s", settings)

    def cmd_time_left(self, color: Color, time: float, stones: int) -> None:
        if time < 0:
            time = 0.0
        self.clock.time_left(color, time, stones)

    # ------------------------------------------------------------------ SGF
    def cmd_loadsgf(self, filename: str, move_number: int | None = None) -> None:
        if move_number is not None and move_number < 1:
            raise GtpCommandError("syntax error: the move number must be 1 or more")
        try:
            record = read_sgf(filename)
        except SGFError as exc:
            raise GtpCommandError(f"cannot load file: {exc}") from None
        sizes = getattr(self.agent, "board_sizes", None)
        if sizes is not None and record.size not in sizes:
            raise GtpCommandError(f"cannot load file: board size {record.size} is not one "
                                  f"that --agent {self.agent_name} plays")
        rules = Rules(komi=record.komi, superko=self.rules.superko, suicide=self.rules.suicide)
        if move_number is not None and move_number <= len(record.moves):
            record.moves = record.moves[: move_number - 1]
        record.result = None  # a resignation is not replayed: the GUI may play on
        try:
            game = record.to_game(rules=rules, source=filename)
        except SGFError as exc:
            raise GtpCommandError(f"cannot load file: {exc}") from None
        self.size, self.rules, self.game = record.size, rules, game
        self.agent.reset()
        self._status_cache = None
        self.player_names = {c: name for c, name in ((BLACK, record.black_name),
                                                     (WHITE, record.white_name)) if name}

    def _record(self) -> GameRecord:
        game = self.game
        record = GameRecord.from_game(game, black_name=self.player_names.get(BLACK),
                                      white_name=self.player_names.get(WHITE))
        if game.is_over() and game.resigned == EMPTY:
            record.result = format_score(self._judge().score(self.rules.komi))
        if not record.rules or record.rules.startswith("simple ko"):
            record.rules = rules_to_text(game.rules)
        return record

    def cmd_printsgf(self, filename: str | None = None) -> str | None:
        record = self._record()
        if filename is None:
            return to_sgf_bytes(record).decode("utf-8").strip()
        try:
            write_sgf(record, filename)
        except OSError as exc:
            raise GtpCommandError(f"cannot save file: {exc}") from None
        return None
