"""Random playouts per second on one core, from the empty board, 9x9 and 19x19.

Implementations measured in the same run, with the same policy (uniform over legal moves
that do not fill the mover's own one-point eye, pass when none is left) and the same cap
(3*N*N moves, or two passes in a row):
  * goengine:          the Cython board's C playout (goengine._board.board_playout);
  * board_ref:         goengine.board_ref, the pure-Python reference board;
  * openspiel-python:  OpenSpiel's C++ Go state driven from a Python loop, the eye test done
                       with numpy on its observation planes (skipped if pyspiel is missing).

    python benchmarks/playouts.py [--seconds 3] [--sizes 9 19]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core, timed  # noqa: E402

from goengine import BLACK  # noqa: E402
from goengine import _board  # noqa: E402
from goengine import board_ref  # noqa: E402


def bench_goengine(size: int, seconds: float) -> tuple[float, float]:
    batch = 2000 if size <= 9 else 500
    moves = [0]
    seed = [1]

    def run():
        moves[0] += _board.playouts_per_second_probe(size, batch, seed[0])
        seed[0] += 1

    calls, elapsed = timed(run, seconds)
    return calls * batch / elapsed, moves[0] / (calls * batch)


def bench_board_ref(size: int, seconds: float) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    moves = [0]

    def run():
        moves[0] += board_ref.Board(size).playout(BLACK, rng)

    calls, elapsed = timed(run, seconds)
    return calls / elapsed, moves[0] / calls


def _openspiel_eye_mask(planes: np.ndarray, mover: int) -> np.ndarray:
    """One-point eyes of `mover` (0 black, 1 white) from OpenSpiel's observation planes
    (black, white, empty, to-play), with the same rule as goengine's is_eye."""
    own, opp, empty = planes[mover], planes[1 - mover], planes[2]
    n = own.shape[0]
    own_e = np.pad(own, 1, constant_values=1)       # the edge counts as own for the orthogonals
    opp_p = np.pad(opp, 1, constant_values=0)
    edge = np.pad(np.zeros((n, n)), 1, constant_values=1)
    orth = own_e[:-2, 1:-1] * own_e[2:, 1:-1] * own_e[1:-1, :-2] * own_e[1:-1, 2:]
    diag_opp = opp_p[:-2, :-2] + opp_p[:-2, 2:] + opp_p[2:, :-2] + opp_p[2:, 2:]
    diag_edge = edge[:-2, :-2] + edge[:-2, 2:] + edge[2:, :-2] + edge[2:, 2:]
    ok_diag = np.where(diag_edge > 0, diag_opp == 0, diag_opp <= 1)
    return (empty > 0) & (orth > 0) & ok_diag


def bench_openspiel(size: int, seconds: float) -> tuple[float, float] | None:
    try:
        import pyspiel
    except ImportError:
        log("pyspiel not installed (pip install open-spiel): openspiel-python skipped")
        return None
    cap = 3 * size * size
    game = pyspiel.load_game("go", {"board_size": size, "komi": 7.5, "max_game_length": cap})
    shape = game.observation_tensor_shape()
    pass_action = size * size
    rng = np.random.default_rng(1)
    moves = [0]

    def run():
        state = game.new_initial_state()
        played = 0
        while not state.is_terminal() and played < cap:
            mover = state.current_player()
            legal = np.array(state.legal_actions(), dtype=np.int64)
            legal = legal[legal != pass_action]
            if legal.size:
                planes = np.asarray(state.observation_tensor(), dtype=np.float32).reshape(shape)
                # OpenSpiel's action a is row a // N counted from the bottom, column a % N.
                eyes = _openspiel_eye_mask(planes, mover)
                rows, cols = legal // size, legal % size
                # its observation planes are stored with row 0 at the bottom too
                legal = legal[~eyes[rows, cols]]
            action = int(rng.choice(legal)) if legal.size else pass_action
            state.apply_action(action)
            played += 1
        moves[0] += played

    calls, elapsed = timed(run, seconds)
    return calls / elapsed, moves[0] / calls


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    args = parser.parse_args(argv)
    pin_one_core()
    for size in args.sizes:
        ours, ours_len = bench_goengine(size, args.seconds)
        ref, ref_len = bench_board_ref(size, args.seconds)
        spiel = bench_openspiel(size, args.seconds)
        common = dict(bench="playouts", size=size, metric="playouts_per_s")
        extra = {"vs_board_ref": round(ours / ref, 1)}
        if spiel is not None:
            extra["vs_openspiel_python"] = round(ours / spiel[0], 1)
        emit(impl="goengine", value=ours, moves_per_playout=round(ours_len, 1), **extra, **common)
        emit(impl="board_ref", value=ref, moves_per_playout=round(ref_len, 1), **common)
        if spiel is not None:
            emit(impl="openspiel-python", value=spiel[0], moves_per_playout=round(spiel[1], 1), **common)


if __name__ == "__main__":
    main()
