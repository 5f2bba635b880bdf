"""The one game loop: two agents, the rules as referee, a move cap -> a GameRecord.

The referee is our own GameState: area scoring (Tromp-Taylor: every stone on the board counts
as alive, so agents must capture dead stones before the game ends), komi, positional
superko by default. An agent that returns an illegal move forfeits ("B+F" / "W+F"), an agent
that returns RESIGN loses by resignation, and a game that reaches the move cap is scored as
it stands.
"""
from __future__ import annotations

import datetime

from goengine.coords import BLACK, WHITE, color_name, to_gtp
from goengine.errors import IllegalMoveError
from goengine.game import GameState, Rules
from goengine.search.mcts import RESIGN
from goengine.sgf import GameRecord


def default_move_cap(size: int) -> int:
    return 2 * size * size + 20


def play_game(black, white, size: int = 9, rules: Rules | None = None, max_moves: int | None = None,
              on_move=None, game: GameState | None = None) -> GameRecord:
    """Play one game between two agents (objects with select_move(game) and optionally
    reset()); `on_move(game, colour, action)` is called after every move."""
    game = game if game is not None else GameState(size, rules or Rules())
    size = game.size
    cap = max_moves if max_moves is not None else default_move_cap(size)
    agents = {BLACK: black, WHITE: white}
    for agent in (black, white):
        if hasattr(agent, "reset"):
            agent.reset()
    result = None
    comment = None
    while not game.is_over() and game.move_number < cap:
        color = game.to_play
        action = agents[color].select_move(game)
        if action == RESIGN:
            game.resign(color)
            break
        try:
            game.play(action)
        except IllegalMoveError as exc:
            loser = color_name(color)
            result = ("W" if color == BLACK else "B") + "+F"
            comment = f"{loser} forfeits: illegal move {to_gtp(action, size) if 0 <= action <= size * size else action} ({exc})"
            break
        if on_move is not None:
            on_move(game, color, action)
    if result is None:
        result = game.result()
        if not game.is_over():
            comment = f"move cap of {cap} reached: scored as it stands"
    record = GameRecord.from_game(
        game,
        result=result,
        black_name=getattr(black, "name", "black"),
        white_name=getattr(white, "name", "white"),
        date=datetime.date.today().isoformat(),
        comment=comment,
    )
    return record


def winner_of(result: str) -> int:
    """BLACK, WHITE or 0 (draw / no result) from an SGF result string."""
    r = (result or "").upper()
    if r.startswith("B+"):
        return BLACK
    if r.startswith("W+"):
        return WHITE
    return 0
