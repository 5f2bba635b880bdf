"""Matches between two network evaluators, many games at once (gating).

Every game is searched by the MCTS of the side to move; at each step the games are grouped by
which network moves, and each group's trees are searched together, so every evaluator call
is one batch. Colours alternate: game i has `a` as black when i is even.
"""
from __future__ import annotations

from dataclasses import dataclass

from goengine.coords import BLACK, WHITE
from goengine.game import GameState, Rules
from goengine.rng import as_generator
from goengine.search import MCTS, RESIGN, MCTSConfig, search_games


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
    already played), as they finish (not in index order: games run in parallel)."""
    rng = as_generator(rng)
    cap = max_moves if max_moves is not None else 2 * size * size
    done = set(skip)
    pending = [i for i in range(games) if i not in done]
    live = []
    while pending or live:
        while pending and len(live) < parallel:
            i = pending.pop(0)
            a_color = BLACK if i % 2 == 0 else WHITE
            game = GameState(size, Rules(komi=komi))
            searchers = {a_color: MCTS(eval_a, config, rng=rng), (3 - a_color): MCTS(eval_b, config, rng=rng)}
            live.append((i, a_color, game, searchers))
        for color in (BLACK, WHITE):
            group = [entry for entry in live if entry[2].to_play == color and not entry[2].is_over()]
            for evaluator in (eval_a, eval_b):
                sub = [e for e in group if e[3][color].evaluator is evaluator]
                if not sub:
                    continue
                results = search_games([e[3][color] for e in sub], [e[2] for e in sub], config.num_simulations)
                for (i, a_color, game, searchers), result in zip(sub, results):
                    action = searchers[color].choose(result, game)
                    if action == RESIGN:
                        game.resign(color)
                    else:
                        game.play(action)
        still = []
        for entry in live:
            i, a_color, game, _ = entry
            if game.is_over() or game.move_number >= cap:
                yield MatchGame(i, a_color, game.winner(), game.move_number, game.result())
            else:
                still.append(entry)
        live = still
