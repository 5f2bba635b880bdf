"""The Lee recipe's goengine-train subcommands (added to training/__main__.py's parser by
`add_commands`): expert-data, rollout, sl, rl, value. Each takes a run (or data) folder that
it creates, or resumes when it exists (the saved config.json is kept; only how far to go,
--steps / --iterations / --games, may change)."""
from __future__ import annotations

import sys


def _log(args):
    return (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))


def _threads(args):
    # --threads wins; else goengine.threads' choice: the cores free now, one with siblings
    from goengine.models.backends import set_threads
    command = getattr(args, "command", "lee")
    set_threads(getattr(args, "threads", None), what=f"goengine-train {command}")


def _changes(args, names):
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _config(folder, cls, changes: dict):
    """The config of a run folder: its saved config.json (when resuming) or the defaults,
    with the options given on the command line applied."""
    import dataclasses
    from pathlib import Path
    from .common import read_json
    stored = read_json(Path(folder) / "config.json")
    base = cls(**stored) if stored else cls()
    return dataclasses.replace(base, **changes)


def _expert(args) -> int:
    import json
    from .expert import ExpertConfig, make_expert_data
    changes = _changes(args, ["size", "max_handicap", "min_rank", "games_per_shard", "gnugo_level", "komi",
                              "opening_moves", "max_moves", "seed"])
    if args.gnugo_games is not None:
        changes["gnugo_games"] = args.gnugo_games
    config = _config(args.out, ExpertConfig, changes)
    state = make_expert_data(args.out, config, sgf_paths=args.sgf, progress=not args.quiet, log=_log(args))
    print(f"{args.out}: {state['games']} games, {state['samples']} samples in {state['shards']} shards; "
          f"skipped: {json.dumps(state['skipped']) if state['skipped'] else 'none'}")
    for reason, examples in state["examples"].items():
        for e in examples:
            print(f"  skipped ({reason}): {e}")
    return 0


def _rollout(args) -> int:
    from .rollout import RolloutConfig, train_rollout
    _threads(args)
    config = _config(args.run, RolloutConfig, {**_changes(args, ["steps", "batch_size", "lr", "holdout", "seed"]),
                                               **({"tree": True} if args.tree else {})})
    m = train_rollout(args.run, args.data, config, progress=not args.quiet, log=_log(args))
    print(f"rollout policy {args.run}/rollout.pt: move-prediction accuracy held-out {m['heldout_accuracy']:.1%} "
          f"({m['heldout_positions']} positions), train {m['train_accuracy']:.1%}; loss {m['loss_first']:.3f} -> "
          f"{m['loss_last']:.3f}")
    return 0


def _sl(args) -> int:
    from .sl import SLConfig, train_sl
    _threads(args)
    config = _config(args.run, SLConfig, _changes(args, ["net", "steps", "batch_size", "lr", "holdout", "seed"]))
    m = train_sl(args.run, args.data, config, progress=not args.quiet, log=_log(args))
    print(f"SL policy {args.run}/sl.pt: held-out accuracy {m['heldout_accuracy']:.1%} ({m['heldout_positions']} "
          f"positions), train {m['train_accuracy']:.1%}; loss {m['loss_first']:.3f} -> {m['loss_last']:.3f}")
    return 0


def _rl(args) -> int:
    from .rl import RLConfig, train_rl
    _threads(args)
    names = ["sl", "iterations", "games", "pool_every", "lr", "komi", "max_moves", "eval_games", "seed"]
    m = train_rl(args.run, _config(args.run, RLConfig, _changes(args, names)), progress=not args.quiet, log=_log(args))
    rate = m["winrate_vs_sl"]
    print(f"RL policy {args.run}/rl.pt: {m['iterations']} iterations, opponent pool of {len(m['pool'])}; "
          + (f"win rate against the SL net {rate:.1%} over {m['eval_games']} games" if rate is not None else "no evaluation"))
    return 0


def _value(args) -> int:
    from .value import ValueConfig, train_value
    _threads(args)
    names = ["sl", "rl", "games", "games_per_shard", "max_u", "komi", "max_moves", "net", "steps", "batch_size",
             "lr", "holdout", "seed"]
    m = train_value(args.run, _config(args.run, ValueConfig, _changes(args, names)), progress=not args.quiet,
                    log=_log(args))
    print(f"value net {args.run}/value.pt: MSE train {m['train_mse']:.3f} ({m['train_positions']} positions), "
          f"held-out {m['heldout_mse']:.3f} ({m['heldout_positions']}); loss {m['loss_first']:.3f} -> {m['loss_last']:.3f}")
    return 0


def _common(p, folder_help, data=True):
    p.add_argument("--run", required=True, help=folder_help)
    if data:
        p.add_argument("--data", required=True, help="expert-data folder (its shards/)")
    p.add_argument("--steps", type=int, help="optimiser steps to reach")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--quiet", action="store_true", help="no progress bars or logs")


def add_commands(sub) -> None:
    """Add the Lee subcommands to goengine-train's subparsers."""
    e = sub.add_parser("expert-data", help="AlphaGo Lee: SGF collections and GNU Go games -> expert shards")
    e.add_argument("--out", required=True, help="data folder (created, or resumed if it exists)")
    e.add_argument("--sgf", nargs="*", default=[], help="SGF files or folders (searched recursively)")
    e.add_argument("--gnugo-games", type=int, help="games GNU Go plays against itself first")
    e.add_argument("--gnugo-level", type=int, help="GNU Go --level (default 10)")
    e.add_argument("--opening-moves", type=int, help="up to this many random opening moves per GNU Go game")
    e.add_argument("--max-moves", type=int, help="move cap of a GNU Go game")
    e.add_argument("--size", type=int, help="board size kept (default 9)")
    e.add_argument("--komi", type=float)
    e.add_argument("--max-handicap", type=int, help="most handicap stones kept (default 0)")
    e.add_argument("--min-rank", help="weakest rank kept where records name ranks, e.g. 1d")
    e.add_argument("--games-per-shard", type=int)
    e.add_argument("--seed", type=int)
    e.add_argument("--quiet", action="store_true")
    e.set_defaults(func=_expert)

    r = sub.add_parser("rollout", help="AlphaGo Lee: fast rollout policy on expert moves")
    _common(r, "run folder (created, or resumed)")
    r.add_argument("--holdout", type=float, help="fraction of games held out (default 0.1)")
    r.add_argument("--tree", action="store_true", help="train the tree policy's features instead")
    r.set_defaults(func=_rollout)

    s = sub.add_parser("sl", help="AlphaGo Lee: SL policy network on expert moves")
    _common(s, "run folder (created, or resumed)")
    s.add_argument("--net", help="PolicyNet preset: tiny, 9x9, 19x19")
    s.add_argument("--holdout", type=float)
    s.set_defaults(func=_sl)

    rl = sub.add_parser("rl", help="AlphaGo Lee: RL policy net by REINFORCE against a pool of earlier selves")
    rl.add_argument("--run", required=True, help="run folder (created, or resumed)")
    rl.add_argument("--sl", help="SL policy checkpoint to start from")
    rl.add_argument("--iterations", type=int, help="iterations to reach")
    rl.add_argument("--games", type=int, help="games per iteration")
    rl.add_argument("--pool-every", type=int, help="add the current net to the pool every k iterations")
    rl.add_argument("--lr", type=float)
    rl.add_argument("--komi", type=float)
    rl.add_argument("--max-moves", type=int)
    rl.add_argument("--eval-games", type=int, help="games against the SL net at the end")
    rl.add_argument("--seed", type=int)
    rl.add_argument("--threads", type=int, help="torch CPU threads")
    rl.add_argument("--quiet", action="store_true")
    rl.set_defaults(func=_rl)

    v = sub.add_parser("value", help="AlphaGo Lee: value net on one position per self-play game")
    _common(v, "run folder (created, or resumed)", data=False)
    v.add_argument("--sl", help="SL policy checkpoint (moves before U)")
    v.add_argument("--rl", help="RL policy checkpoint (moves after U; default the SL net)")
    v.add_argument("--games", type=int, help="self-play games (one sample each)")
    v.add_argument("--games-per-shard", type=int)
    v.add_argument("--max-u", type=int, help="U is drawn from 1..max-u")
    v.add_argument("--komi", type=float)
    v.add_argument("--max-moves", type=int)
    v.add_argument("--net", help="ValueNet preset: tiny, 9x9, 19x19")
    v.add_argument("--holdout", type=float)
    v.set_defaults(func=_value)
