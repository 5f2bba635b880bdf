"""One game between two agents, the rules as referee, a move cap -> a GameRecord.

The referee is our own GameState: area scoring (Tromp-Taylor: every stone on the board counts
as alive, so agents must capture dead stones before the game ends), komi, positional
superko by default. An agent that returns an illegal move forfeits ("B+F" / "W+F"), an agent
that returns RESIGN loses by resignation, and a game that reaches the move cap is scored as
it stands.
"""
from __future__ import annotations

from goengine.coords import BLACK, WHITE
from goengine.gameloop import AgentPlayer, LoopGame, game_record, play_games
from goengine.game import GameState, Rules
from goengine.sgf import GameRecord

def play_game(black, white, size: int = 9, rules: Rules | None = None, max_moves: int | None = None,
              on_move=None, game: GameState | None = None) -> GameRecord:
    """Play one game between two agents (objects with select_move(game) and optionally
    reset()) through the game loop (goengine/gameloop.py); `on_move(game, colour, action)`
    is called after every move."""
    game = game if game is not None else GameState(size, rules or Rules())
    for agent in (black, white):
        if hasattr(agent, "reset"):
            agent.reset()
    players = {BLACK: AgentPlayer(black), WHITE: AgentPlayer(white)}
    entry = LoopGame(game, players, cap=max_moves,
                     names=(getattr(black, "name", "black"), getattr(white, "name", "white")))
    hook = None if on_move is None else (lambda e, color, action: on_move(e.game, color, action))
    (done,) = play_games([entry], on_move=hook)
    return game_record(done)


def winner_of(result: str) -> int:
    """BLACK, WHITE or 0 (draw / no result) from an SGF result string."""
    r = (result or "").upper()
    if r.startswith("B+"):
        return BLACK
    if r.startswith("W+"):
        return WHITE
    return 0
