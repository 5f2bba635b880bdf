"""The one game loop: many games at once, every caller's (self-play, gating, the arena, the
Lee RL and value stages, int8 calibration).

    games = (LoopGame(GameState(9), {BLACK: a, WHITE: b}, key=i) for i in range(100))
    for done in play_games(games, parallel=16):
        record = game_record(done)

Each step, every live game makes one move, and the games whose side to move is played by
the same ``Player`` are given to it together (``player.choose(entries) -> actions``), so a
network player evaluates them in one batch. A player may keep per-game state in
``entry.state`` (a search tree per game). The rules referee: an illegal move forfeits the
game (``B+F`` / ``W+F``), ``RESIGN`` resigns, and a game that reaches its move cap
(``move_cap``: 2*N*N + 20 unless the game sets one) is scored as it stands. ``game_record``
is the one place where a finished game becomes a GameRecord.

``AgentPlayer`` wraps any agent (``select_move(game)``) for the loop: agents that do not
batch (GTP engines, a search agent with its own clock) are asked one game at a time.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from .coords import BLACK, WHITE, color_name, to_gtp
from .errors import IllegalMoveError
from .game import GameState
from .rng import as_generator
from .search import MCTS, search_games
from .search.mcts import RESIGN
from .sgf import GameRecord

__all__ = ["Player", "AgentPlayer", "SearchPlayer", "LoopGame", "move_cap", "play_games", "game_record",
           "winner", "RESIGN"]


def move_cap(size: int) -> int:
    """The move cap of a game on a size x size board: 2*N*N + 20 (no real game comes near)."""
    return 2 * size * size + 20


class Player(Protocol):
    def choose(self, entries: list["LoopGame"]) -> list[int]:
        """One action per game (0..N*N-1, N*N to pass, RESIGN), for games whose side to
        move this player plays; the games must not be changed."""


class AgentPlayer:
    """An agent (``select_move(game)``) as a loop player, one game at a time."""

    def __init__(self, agent):
        self.agent = agent

    def choose(self, entries):
        return [self.agent.select_move(entry.game) for entry in entries]


class SearchPlayer:
    """One evaluator's MCTS over many games at once: a tree per game (in ``entry.state``),
    the leaves of all of them in each evaluator call (goengine.search.search_games), the
    move (resignation included) from ``MCTS.choose``. ``simulations``: per game, or one count."""

    def __init__(self, evaluator, config, rng=None):
        self.evaluator = evaluator
        self.config = config
        self.rng = as_generator(rng)

    def searcher(self, entry: "LoopGame"):
        """This player's MCTS of ``entry`` (made at its first move)."""
        mcts = entry.state.get(self)
        if mcts is None:
            mcts = entry.state[self] = MCTS(self.evaluator, self.config, rng=self.rng)
        return mcts

    def search(self, entries: list["LoopGame"], simulations=None) -> list:
        """The search results of ``entries`` (``simulations`` per game, or one count)."""
        searchers = [self.searcher(entry) for entry in entries]
        sims = self.config.num_simulations if simulations is None else simulations
        return search_games(searchers, [entry.game for entry in entries], sims)

    def choose(self, entries):
        results = self.search(entries)
        return [self.searcher(e).choose(r, e.game) for e, r in zip(entries, results)]


@dataclass(eq=False)
class LoopGame:
    """One game of the loop: the game, its players by colour, and what the caller keeps."""

    game: GameState
    players: dict
    """BLACK and WHITE -> Player (one object may play both)."""
    key: Any = None
    """The caller's name for the game (its index in a match)."""
    cap: int | None = None
    """Move cap (None: move_cap of the board)."""
    data: Any = None
    """The caller's per-game data (training samples, a trajectory)."""
    names: tuple = ("black", "white")
    """Player names for the record."""
    result: str | None = None
    """A result the referee decided (a forfeit); None: the game's own."""
    comment: str | None = None
    state: dict = field(default_factory=dict)
    """Players' per-game state (a search tree), by the player's choosing."""

    def __post_init__(self):
        if self.cap is None:
            self.cap = move_cap(self.game.size)

    @property
    def finished(self) -> bool:
        return self.result is not None or self.game.is_over() or self.game.move_number >= self.cap


def _apply(entry: LoopGame, action: int, on_move) -> None:
    game = entry.game
    color = game.to_play
    if action == RESIGN:
        game.resign(color)
    else:
        try:
            game.play(action)
        except IllegalMoveError as exc:
            n = game.size * game.size
            entry.result = ("W" if color == BLACK else "B") + "+F"
            vertex = to_gtp(action, game.size) if 0 <= action <= n else action
            entry.comment = f"{color_name(color)} forfeits: illegal move {vertex} ({exc})"
            return
    if on_move is not None:
        on_move(entry, color, action)


def play_games(games: Iterable[LoopGame], parallel: int = 1,
               on_move: Callable[[LoopGame, int, int], None] | None = None,
               forced_move: Callable[[LoopGame], int | None] | None = None) -> Iterator[LoopGame]:
    """Play ``games`` (taken from the iterable as places free up, ``parallel`` at a time) to
    their end, yielding each as it finishes. ``on_move(entry, colour, action)`` follows every
    move; ``forced_move(entry)`` may return an action to play instead of asking the player
    (the Lee value stage's random move)."""
    source = iter(games)
    live: list[LoopGame] = []
    while True:
        while len(live) < parallel:
            entry = next(source, None)
            if entry is None:
                break
            if entry.finished:
                yield entry
            else:
                live.append(entry)
        if not live:
            return
        groups: dict[int, tuple[Any, list[LoopGame]]] = {}
        for entry in live:
            action = forced_move(entry) if forced_move is not None else None
            if action is not None:
                _apply(entry, int(action), on_move)
                continue
            player = entry.players[entry.game.to_play]
            groups.setdefault(id(player), (player, []))[1].append(entry)
        for player, entries in groups.values():
            for entry, action in zip(entries, player.choose(entries)):
                _apply(entry, int(action), on_move)
        still = []
        for entry in live:
            if entry.finished:
                yield entry
            else:
                still.append(entry)
        live = still


def game_record(entry: LoopGame, date: str | None = None) -> GameRecord:
    """The GameRecord of a finished game: its result (the referee's, or the game's own, or
    the score as it stands at the move cap, said in the comment) and the players' names."""
    game = entry.game
    comment = entry.comment
    if entry.result is None and not game.is_over():
        comment = f"move cap of {entry.cap} reached: scored as it stands"
    return GameRecord.from_game(game, result=entry.result or game.result(), black_name=entry.names[0],
                                white_name=entry.names[1], comment=comment,
                                date=date or datetime.date.today().isoformat())


def winner(entry: LoopGame) -> int:
    """BLACK, WHITE or 0 of a finished game, the referee's forfeit included."""
    if entry.result is not None:
        return WHITE if entry.result.startswith("W") else BLACK
    return entry.game.winner()
