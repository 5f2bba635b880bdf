"""Matches between two network evaluators, many games at once (gating).

Every game is searched by the MCTS of the side to move; at each step the game loop groups the
games by which network moves, and each group's trees are searched together, so every
evaluator call is one batch. Colours alternate: game i has `a` as black when i is even.
"""
from __future__ import annotations

from dataclasses import dataclass

from goengine.coords import BLACK, WHITE
from goengine.game import GameState, Rules
from goengine.gameloop import LoopGame, SearchPlayer, play_games, winner
from goengine.rng import as_generator
from goengine.search import MCTSConfig


@dataclass
class MatchGame:
    index: int
    a_color: int
    winner: int
    moves: int
    result: str

    @property
    def a_won(self) -> bool:
        return self.winner == self.a_color


def play_net_match(eval_a, eval_b, games: int, config: MCTSConfig, size: int = 9, komi: float = 7.5,
                   rng=None, parallel: int = 16, skip=(), max_moves: int | None = None):
    """Yield MatchGame results for games 0 .. games-1, except the indices in `skip` (games
    already played), as they finish (not in index order: games run in parallel), through
    the game loop (goengine/gameloop.py: its move cap unless `max_moves`)."""
    rng = as_generator(rng)
    a, b = SearchPlayer(eval_a, config, rng), SearchPlayer(eval_b, config, rng)
    done = set(skip)
    entries = (LoopGame(GameState(size, Rules(komi=komi)),
                        {BLACK: a, WHITE: b} if i % 2 == 0 else {BLACK: b, WHITE: a}, key=i, cap=max_moves)
               for i in range(games) if i not in done)
    for entry in play_games(entries, parallel):
        game = entry.game
        a_color = BLACK if entry.key % 2 == 0 else WHITE
        yield MatchGame(entry.key, a_color, winner(entry), game.move_number, entry.result or game.result())
