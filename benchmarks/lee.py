"""AlphaGo Lee search speed: simulations per second with and without rollouts, beside the
pure-MCTS agent's, from the same positions in one run (one torch thread by default).

Four searches, each built as goengine.agents builds it for play:
  * lee value+rollouts  lee_agent, policy-net priors, leaf value (1-λ)·v + λ·z with λ = 0.5
                        (the value net's v, one FastRolloutPolicy rollout's z);
  * lee value-only      lee_agent with λ = 0: the value net alone, no rollouts;
  * lee rollouts-only   lee_agent from a manifest without a value net (λ = 1): policy priors,
                        rollouts alone;
  * pure-mcts           pure_mcts_agent: uniform priors, C random playouts (8 per leaf), no
                        network (the reference, measured in the same run).
Positions: the empty board and `--positions` mid-game positions reached by uniformly random
legal moves (no own-eye fills) from a seeded generator. Every search starts from a fresh tree
and runs `--visits` simulations; each agent gets about `--seconds` in all, split evenly over the
positions. A line's value is total simulations / total search time; `per_position` has the
figure of each position, `net_evals_per_sim` the network positions evaluated per simulation.

Without `--weights` the policy, value and rollout networks are built from presets with random
weights (search speed does not depend on the weights; the rollout weights are N(0, 0.5), as in
benchmarks/rollout_policy.py, so that rollouts are not uniform) and written with a manifest to a
temporary folder; `--weights MANIFEST` (or a folder, see goengine.agents.lee_weights) uses
trained ones. The `weights` field of every line says which.

    python benchmarks/lee.py [--seconds 5] [--size 9 [19]] [--visits 800] [--threads 1]
                             [--preset auto|tiny|9x9|19x19] [--weights runs/lee/lee.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# the repo root first, not benchmarks/ (whose selfplay.py would shadow the selfplay package)
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from benchmarks._common import emit, log, pin_one_core  # noqa: E402

from goengine.agents import RandomAgent, lee_agent, lee_weights, pure_mcts_agent  # noqa: E402
from goengine.game import GameState  # noqa: E402


def positions(size: int, count: int, seed: int = 0) -> list[tuple[int, GameState]]:
    """(moves played, game): the empty board, then `count` positions after uniformly random
    legal moves, spread up to half of the board's points (9x9: 0, 13, 27, 40 for count 3)."""
    out = [(0, GameState(size))]
    n = size * size
    for k in range(1, count + 1):
        target = round(k * n / (2 * count))
        agent = RandomAgent(np.random.default_rng(seed + k))
        game = GameState(size)
        while game.move_number < target and not game.is_over():
            game.play(agent.select_move(game))
        if game.is_over():  # two passes in a row: unlikely this early; skip rather than search it
            log(f"{size}x{size}: the random game ended before move {target}; position skipped")
            continue
        out.append((target, game))
    return out


def random_lee_weights(folder: Path, size: int, preset: str, seed: int = 0) -> tuple[str, str]:
    """Write random-init policy, value and rollout checkpoints and two manifests (with and
    without the value net) to `folder`; returns their paths."""
    import torch
    from goengine.features import NUM_ROLLOUT_FEATURES
    from goengine.models import (PolicyNet, PolicyNetConfig, RolloutNet, RolloutNetConfig, ValueNet,
                                 ValueNetConfig, save)
    from goengine.models.nets import POLICY_PRESETS, VALUE_PRESETS
    torch.manual_seed(seed)
    policy = PolicyNet(PolicyNetConfig(**{**POLICY_PRESETS[preset], "board_size": size}))
    value = ValueNet(ValueNetConfig(**{**VALUE_PRESETS[preset], "board_size": size}))
    rollout = RolloutNet(RolloutNetConfig(board_size=size, num_features=NUM_ROLLOUT_FEATURES))
    with torch.no_grad():
        rollout.weights.weight.normal_(0.0, 0.5)
    meta = {"recipe": "benchmarks/lee.py random init", "preset": preset}
    for name, model in (("policy.pt", policy), ("value.pt", value), ("rollout.pt", rollout)):
        save(model, folder / name, meta=meta)
    full, bare = folder / "lee.json", folder / "lee-novalue.json"
    full.write_text(json.dumps({"policy": "policy.pt", "value": "value.pt", "rollout": "rollout.pt"}))
    bare.write_text(json.dumps({"policy": "policy.pt", "rollout": "rollout.pt"}))
    return str(full), str(bare)


def trained_manifests(weights: str, folder: Path, size: int) -> tuple[str | None, str]:
    """Manifests (with value net, or None when the weights have none; without) for trained
    weights, checked against the board size."""
    from goengine.models.checkpoint import read
    parts = lee_weights(weights)
    board = read(parts["policy"])["config"]["board_size"]
    if board != size:
        raise SystemExit(f"{weights}: the policy net is for {board}x{board}, not {size}x{size} (--size)")
    bare = folder / f"lee-novalue-{size}.json"
    bare.write_text(json.dumps({"policy": str(Path(parts["policy"]).resolve()),
                                "rollout": str(Path(parts["rollout"]).resolve())}))
    full = None
    if parts["value"]:
        full = folder / f"lee-{size}.json"
        full.write_text(json.dumps({k: str(Path(v).resolve()) for k, v in parts.items() if v}))
    return (str(full) if full else None), str(bare)


def measure(agent, games: list[tuple[int, GameState]], visits: int, seconds: float) -> dict:
    """Fresh-tree searches of `visits` simulations from every position for about
    seconds / len(games) each (at least one search each): total and per-position sims/s."""
    mcts = agent.mcts
    evaluator = mcts.evaluator
    warm = games[-1][1]
    mcts.reset()
    mcts.search(warm, num_simulations=min(visits, 64))  # first network call, allocations
    evals0 = getattr(evaluator, "positions", 0)
    share = seconds / len(games)
    sims_all, time_all, per_position = 0, 0.0, []
    for _, game in games:
        sims, spent = 0, 0.0
        while spent < share or sims == 0:
            mcts.reset()
            start = time.perf_counter()
            result = mcts.search(game, num_simulations=visits)
            spent += time.perf_counter() - start
            sims += result.simulations
        per_position.append(round(sims / spent, 1))
        sims_all += sims
        time_all += spent
    out = {"value": sims_all / time_all, "per_position": per_position, "sims": sims_all}
    if hasattr(evaluator, "positions"):
        out["net_evals_per_sim"] = round((evaluator.positions - evals0) / sims_all, 3)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="search time per agent and size, "
                        "split over the positions")
    parser.add_argument("--size", type=int, nargs="+", default=[9], help="board sizes (e.g. 9 19)")
    parser.add_argument("--visits", type=int, default=800, help="simulations per search")
    parser.add_argument("--positions", type=int, default=3, help="mid-game positions beside the empty board")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: also pinned to one core)")
    parser.add_argument("--preset", default="auto", choices=["auto", "tiny", "9x9", "19x19"],
                        help="network presets of the random-init weights (auto: 19x19 on 19x19, else 9x9)")
    parser.add_argument("--weights", default=None, help="trained Lee weights: a manifest or folder "
                        "(goengine.agents.lee_weights); default: random-init networks from presets")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads == 1:
        pin_one_core()
    import torch  # after pin_one_core's OMP_NUM_THREADS
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="bench-lee-") as tmp:
        for size in args.size:
            if args.weights:
                full, bare = trained_manifests(args.weights, Path(tmp), size)
                weights = f"trained:{args.weights}"
            else:
                preset = args.preset if args.preset != "auto" else ("19x19" if size >= 19 else "9x9")
                folder = Path(tmp) / f"random-{size}"
                folder.mkdir()
                full, bare = random_lee_weights(folder, size, preset, seed=args.seed)
                weights = f"random-init:{preset}"
            games = positions(size, args.positions, seed=args.seed)
            agents = []
            if full:
                agents.append(("value+rollouts", lambda: lee_agent(full, args.visits, rng=args.seed, mix_lambda=0.5)))
                agents.append(("value-only", lambda: lee_agent(full, args.visits, rng=args.seed, mix_lambda=0.0)))
            else:
                log(f"{args.weights}: no value net; only the rollouts-only Lee search is measured")
            agents.append(("rollouts-only", lambda: lee_agent(bare, args.visits, rng=args.seed)))
            agents.append(("pure-mcts", lambda: pure_mcts_agent(args.visits, rng=args.seed)))
            figures = {}
            for variant, make in agents:
                log(f"{size}x{size} {variant} ({weights}) ...")
                agent = make()
                cfg = agent.config
                figures[variant] = measure(agent, games, args.visits, args.seconds)
                figures[variant]["config"] = {
                    "mix_lambda": cfg.mix_lambda, "rollouts_per_leaf": cfg.rollouts_per_leaf if cfg.mix_lambda > 0 else 0,
                    "expansion_threshold": cfg.expansion_threshold, "leaves_per_batch": cfg.leaves_per_batch}
            ref = figures["pure-mcts"]["value"]
            common = {"bench": "lee", "size": size, "metric": "sims_per_s", "visits": args.visits,
                      "threads": args.threads, "position_moves": [m for m, _ in games],
                      "load_avg_1m": round(os.getloadavg()[0], 2)}
            for variant, fig in figures.items():
                lee = variant != "pure-mcts"
                extra = {"vs_pure_mcts": round(fig["value"] / ref, 3)} if lee else {}
                if "net_evals_per_sim" in fig:
                    extra["net_evals_per_sim"] = fig["net_evals_per_sim"]
                emit(impl="goengine-lee" if lee else "goengine-pure-mcts", value=fig["value"], variant=variant,
                     value_net=variant == "value+rollouts" or variant == "value-only", **fig["config"],
                     weights=weights if lee else "none", **extra, per_position=fig["per_position"],
                     **common)


if __name__ == "__main__":
    main()
