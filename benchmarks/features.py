"""Input-feature extraction, positions per second on one core, 9x9 and 19x19.

Measured in the same run on the same random mid-game positions:
  lee48 (AlphaGo's 48 policy planes, ladders included)
    * goengine:   goengine.features.lee48(states), the Cython extractor, batches of 64;
    * python-ref: goengine.features.lee_ref.lee48_ref on goengine.board_ref boards, the
                  pure-Python reference (what the tests hold the Cython planes equal to);
                  `python-ref-cboard` is the same reference on the Cython board's Python API.
  zero17 (AlphaGo Zero's 17 planes from 8 positions of stones)
    * goengine:   goengine.features.zero17_fast, in C, at batch 1 and 64;
    * python-ref: goengine.features.zero.zero17, the numpy reference, same batches.

    python benchmarks/features.py [--seconds 2] [--sizes 9 19]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core, timed  # noqa: E402

from goengine import board_ref
from goengine.errors import IllegalMoveError
from goengine.features import lee48, lee_ref, zero, zero17_fast
from goengine.game import GameState


def positions(size: int, count: int, seed: int = 0) -> list[GameState]:
    """Seeded random games (no own-eye filling), cut at 20%..90% of N*N moves."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        game = GameState(size)
        stop = int(rng.uniform(0.2, 0.9) * size * size)
        for _ in range(stop):
            board, color = game.board, game.to_play
            empties = [a for a in range(size * size) if board.color_at(a) == 0]
            rng.shuffle(empties)
            for a in empties:
                if board.is_legal(a, color) and not board.is_eye(a, color):
                    try:
                        game.play(a)
                        break
                    except IllegalMoveError:
                        continue
            else:
                game.play(size * size)
            if game.is_over():
                break
        out.append(game)
    return out


def on_board_ref(game: GameState) -> GameState:
    ref = GameState(game.size, game.rules, board_cls=board_ref.Board)
    for _, action in game.history:
        ref.play(action)
    return ref


def bench_lee48(size: int, seconds: float) -> dict[str, float]:
    games = positions(size, 64, seed=size)
    ref_games = [on_board_ref(g) for g in games]
    out = np.empty((len(games), 48, size, size), np.float32)
    calls, elapsed = timed(lambda: lee48(games, out=out), seconds, min_calls=3)
    result = {"goengine": calls * len(games) / elapsed}
    for name, pool in (("python-ref", ref_games), ("python-ref-cboard", games)):
        calls, elapsed = timed(_cycle_ref(pool), seconds, min_calls=len(pool) if size <= 9 else 4)
        result[name] = calls / elapsed
    return result


def _cycle_ref(pool: list[GameState]):
    """A callable extracting the reference planes of the next position of `pool` each call."""
    idx = [0]

    def one():
        g = pool[idx[0] % len(pool)]
        idx[0] += 1
        lee_ref.lee_planes_ref(g.board, g.to_play, lee_ref.recent_moves(g))

    return one


def bench_zero17(size: int, seconds: float, batch: int) -> dict[str, float]:
    rng = np.random.default_rng(size)
    stones = rng.integers(0, 3, size=(batch, 8, size * size)).astype(np.int8)
    to_play = rng.integers(1, 3, size=batch).astype(np.int8)
    out = np.empty((batch, 17, size, size), np.float32)
    np.testing.assert_array_equal(zero17_fast(stones, to_play, size), zero.zero17(stones, to_play, size))
    result = {}
    calls, elapsed = timed(lambda: zero17_fast(stones, to_play, size, out), seconds)
    result["goengine"] = calls * batch / elapsed
    calls, elapsed = timed(lambda: zero.zero17(stones, to_play, size), seconds)
    result["python-ref"] = calls * batch / elapsed
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    args = parser.parse_args(argv)
    pin_one_core()
    for size in args.sizes:
        log(f"lee48 {size}x{size} ...")
        r = bench_lee48(size, args.seconds)
        common = {"bench": "features", "size": size, "metric": "positions_per_s", "features": "lee48"}
        emit(impl="goengine", value=r["goengine"], batch=64, vs_python_ref=round(r["goengine"] / r["python-ref"], 1),
             vs_python_ref_cboard=round(r["goengine"] / r["python-ref-cboard"], 1), **common)
        emit(impl="python-ref", value=r["python-ref"], board="board_ref", **common)
        emit(impl="python-ref-cboard", value=r["python-ref-cboard"], board="goengine._board", **common)
        for batch in (1, 64):
            log(f"zero17 {size}x{size} batch {batch} ...")
            z = bench_zero17(size, args.seconds, batch)
            common = {"bench": "features", "size": size, "metric": "positions_per_s", "features": "zero17",
                      "batch": batch}
            emit(impl="goengine", value=z["goengine"], vs_python_ref=round(z["goengine"] / z["python-ref"], 1), **common)
            emit(impl="python-ref", value=z["python-ref"], **common)


if __name__ == "__main__":
    main()
