"""Search speed on one core: simulations per second from the empty board, 9x9 and 19x19.

  * tree overhead: goengine's MCTS with UniformEvaluator (priors and value computed in C, no
    playout) at leaves-per-batch 1, 8 and 64;
  * pure MCTS: goengine with C random playouts at every leaf (MCTSConfig.pure_mcts), beside
    OpenSpiel's C++ MCTSBot with RandomRolloutEvaluator(1 rollout) measured in the same run.
    OpenSpiel's rollouts are uniform over all legal moves (its games run to its move cap),
    ours avoid filling one's own eyes; both are "one random rollout per simulation".

    python benchmarks/mcts.py [--sims 20000] [--sizes 9 19]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core  # noqa: E402

from goengine.game import GameState  # noqa: E402
from goengine.search import MCTS, MCTSConfig, UniformEvaluator  # noqa: E402


def sims_per_second(size: int, config: MCTSConfig, sims: int, repeats: int = 3) -> float:
    best = 0.0
    for seed in range(repeats):
        mcts = MCTS(UniformEvaluator(), config.replace(num_simulations=sims, max_nodes=4_000_000), rng=seed)
        game = GameState(size)
        start = time.perf_counter()
        result = mcts.search(game)
        best = max(best, result.simulations / (time.perf_counter() - start))
    return best


def openspiel_sims_per_second(size: int, sims: int) -> float | None:
    try:
        import pyspiel
    except ImportError:
        log("pyspiel not installed (pip install open-spiel): OpenSpiel MCTSBot skipped")
        return None
    game = pyspiel.load_game("go", {"board_size": size, "komi": 7.5})
    best = 0.0
    for seed in range(3):
        evaluator = pyspiel.RandomRolloutEvaluator(1, seed)
        bot = pyspiel.MCTSBot(game, evaluator, 1.4, sims, 4000, False, seed, False)
        state = game.new_initial_state()
        start = time.perf_counter()
        bot.step(state)
        best = max(best, sims / (time.perf_counter() - start))
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=20000, help="simulations per tree-overhead search")
    parser.add_argument("--rollout-sims", type=int, default=5000, help="simulations per pure-MCTS search")
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    args = parser.parse_args(argv)
    pin_one_core()
    for size in args.sizes:
        for k in (1, 8, 64):
            value = sims_per_second(size, MCTSConfig(leaves_per_batch=k), args.sims)
            emit(bench="mcts", impl="goengine", size=size, metric="sims_per_s", value=value,
                 evaluator="uniform", leaves_per_batch=k)
        sims = args.rollout_sims if size <= 9 else args.rollout_sims // 4
        # one rollout per simulation, as OpenSpiel's RandomRolloutEvaluator(1)
        ours = sims_per_second(size, MCTSConfig.pure_mcts(rollouts_per_leaf=1), sims)
        spiel = openspiel_sims_per_second(size, sims)
        extra = {"vs_openspiel": round(ours / spiel, 2)} if spiel else {}
        emit(bench="mcts", impl="goengine", size=size, metric="sims_per_s", value=ours,
             evaluator="rollout", **extra)
        if spiel:
            emit(bench="mcts", impl="openspiel-cpp", size=size, metric="sims_per_s", value=spiel,
                 evaluator="rollout")


if __name__ == "__main__":
    main()
