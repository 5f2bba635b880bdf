"""A first look at the engine: a random-vs-random game, its final board and its score.

    goengine-demo [--size 9] [--komi 7.5] [--seed 0]
"""
from __future__ import annotations

import argparse

import numpy as np

from .coords import BLACK, to_gtp
from .game import GameState, Rules


def random_game(size: int = 9, komi: float = 7.5, seed: int | None = 0) -> GameState:
    """Play uniformly random legal moves that do not fill one's own one-point eyes,
    passing when none is left, until two passes in a row (or a 3*N*N move cap)."""
    rng = np.random.default_rng(seed)
    game = GameState(size, Rules(komi=komi))
    cap = 3 * size * size
    while not game.is_over() and game.move_number < cap:
        mask = game.legal_mask()[:-1]
        candidates = [a for a in np.flatnonzero(mask) if not game.board.is_eye(int(a), game.to_play)]
        game.play(int(rng.choice(candidates)) if candidates else size * size)
    return game


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Play and show one random 9x9 game.")
    parser.add_argument("--size", type=int, default=9, help="board size, 2..25")
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    game = random_game(args.size, args.komi, args.seed)
    moves = " ".join(
        ("B" if color == BLACK else "W") + "[" + to_gtp(action, args.size) + "]"
        for color, action in game.history[:12]
    )
    print(f"{game.move_number} moves: {moves} ...")
    print(game.board)
    black, white = game.board.area()
    print(f"area: black {black}, white {white}, komi {args.komi}")
    print(f"result: {game.result()}")


if __name__ == "__main__":
    main()
