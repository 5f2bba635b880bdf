"""Search speed in play on one core: the shipped 9x9 Zero agent's playouts per second under
a time budget (what `goengine-gtp --agent zero` and the GNU Go matches get), beside the raw
forward throughput of its inference back end at the search's batch size (leaves per network
call), measured in the same run.

`share_of_raw` is the searched network evaluations per second (playouts less cache hits and
terminal leaves are not separated: every playout counts) over the raw evaluations per second:
what the tree, features, symmetries, cache and softmax leave of the network's speed.

`--workers N` (N > 1) adds a third line: the same searches by root parallelism over N
processes on N cores (goengine.search.root_parallel, the zero spec's `workers=`), merged
playouts per second, with `speedup_vs_one_core` over the first line.

`--search play` (the default) is the search `goengine-gtp --agent zero` plays
(goengine.agents.ZERO_PLAY_SEARCH: random rollouts mixed in late in the game); `--search pure`
is AlphaGo Zero's, the network's value alone. Each line names its `mix_lambda` and `mix_ramp`.

    python benchmarks/play.py [--seconds 1] [--positions 5] [--weights W.pt] [--workers 2]
                              [--search play|pure]
"""
from __future__ import annotations

import argparse
import os
import sys

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, pin_one_core, timed  # noqa: E402

import numpy as np  # noqa: E402

from goengine.agents import ZERO_PLAY_SEARCH, shipped_weights, zero_agent  # noqa: E402
from goengine.game import GameState  # noqa: E402


def positions(count: int, size: int = 9, seed: int = 0) -> list[GameState]:
    """Positions along one game of random legal moves (no own-eye fills): the empty board,
    then every 12 moves, as openings and middle games."""
    rng = np.random.default_rng(seed)
    game, out = GameState(size), []
    while len(out) < count:
        if game.move_number % 12 == 0:
            out.append(game.copy())
        legal = np.flatnonzero(game.legal_mask()[:-1])
        if legal.size == 0 or game.is_over():
            break
        game.play(int(rng.choice(legal)))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=None, help="ZeroNet checkpoint (default: the shipped one)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--positions", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1,
                        help="also measure root parallelism over this many processes")
    parser.add_argument("--search", choices=("play", "pure"), default="play",
                        help="play: the GTP engine's search (rollouts late in the game); "
                             "pure: AlphaGo Zero's, no rollouts")
    args = parser.parse_args(argv)
    search = dict(ZERO_PLAY_SEARCH) if args.search == "play" else {"mix_lambda": 0.0, "mix_ramp": None}
    cores = os.sched_getaffinity(0)
    pin_one_core()
    weights = args.weights or shipped_weights()
    agent = zero_agent(weights, threads=1, rng=0, **search)
    board = positions(args.positions)
    playouts = seconds = 0.0
    for game in board:
        agent.mcts.reset()  # no tree reuse: each search starts from its root
        result = agent.mcts.search(game, seconds=args.seconds)
        playouts += result.playouts
        seconds += result.elapsed
    batch = agent.config.leaves_per_batch
    evaluator = agent.mcts.evaluator
    x = np.random.default_rng(0).random((batch, 17, 9, 9)).astype(np.float32)
    evaluator._forward_np(x)
    calls, elapsed = timed(lambda: evaluator._forward_np(x), 2.0, min_calls=3)
    raw = calls * batch / elapsed
    common = dict(bench="play", size=9, weights=os.path.basename(weights), backend=evaluator.backend,
                  seconds_per_move=args.seconds, positions=len(board), leaves_per_batch=batch, threads=1,
                  **search)
    emit(impl="goengine", metric="playouts_per_s", value=playouts / seconds,
         share_of_raw=round(playouts / seconds / raw, 3), **common)
    emit(impl="forward", metric="evals_per_s", value=raw, batch=batch, **common)
    if args.workers > 1:
        one_core = playouts / seconds
        os.sched_setaffinity(0, cores)  # the helpers inherit this process's cores
        rate = _root_parallel_rate(weights, board, args.seconds, args.workers, search)
        emit(impl="goengine-root-parallel", metric="playouts_per_s", value=rate, workers=args.workers,
             cores=len(cores), speedup_vs_one_core=round(rate / one_core, 3),
             **{**common, "threads": args.workers})


def _root_parallel_rate(weights: str, board: list, seconds: float, workers: int,
                        search: dict) -> float:
    """Merged playouts per second of the same searches over `workers` processes."""
    from goengine.search.root_parallel import RootParallelAgent
    kwargs = dict(weights=weights, threads=1, simulations=10_000_000, seconds=seconds, **search)
    playouts = elapsed = 0.0
    with RootParallelAgent("goengine.agents:zero_agent", kwargs, workers=workers,
                           seeds=range(workers)) as agent:
        for game in board:
            agent.reset()
            result = agent.search(game)
            playouts += result.playouts
            elapsed += result.elapsed
    return playouts / elapsed


if __name__ == "__main__":
    main()
