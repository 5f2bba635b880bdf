"""goengine-train: the training command line.

    goengine-train zero --run runs/zero-tiny --preset tiny       # AlphaGo Zero loop (resumable)
    python -m training zero --run runs/zero9 --preset 9x9 --generations 20
"""
from __future__ import annotations

import argparse
import errno
import sys

from goengine.inference import BACKENDS


def _zero(args) -> int:
    from .zero import ZeroRun
    from .zero_config import PRESETS, RUNTIME_FIELDS, ZeroConfig, preset

    if args.inference in ("local", "ray"):  # --backend ray before it meant inference
        print(f"goengine-train: --backend {args.inference} is now --cluster {args.inference} "
              f"(--backend names the inference back end, as in goengine-gtp)", file=sys.stderr)
        args.cluster, args.inference = args.inference, None

    changes = {}
    sp = {}
    if args.generations is not None:
        changes["generations"] = args.generations
    if args.games is not None:
        changes["games_per_generation"] = args.games
    if args.steps is not None:
        changes["train_steps"] = args.steps
    # may change when a run resumes: they do not change what is computed (one option each)
    runtime = {name: getattr(args, name) for name in RUNTIME_FIELDS if getattr(args, name) is not None}
    for name in ("anchor_every", "anchor_games", "anchor_visits"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            print(f"goengine-train: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    if args.anchor:
        from selfplay.arena import SpecError, parse_agent_spec
        try:
            parse_agent_spec(args.anchor)
        except SpecError as exc:
            print(f"goengine-train: --anchor: {exc}", file=sys.stderr)
            return 2
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.gating_games is not None:
        changes["gating_games"] = args.gating_games
    if args.no_gating:
        changes["gating"] = False
    if args.init is not None:
        changes["initial_weights"] = args.init
    if args.window_from is not None:
        changes["window_seed"] = args.window_from
    if args.simulations is not None:
        sp["search"] = {"num_simulations": args.simulations}
    if args.parallel is not None:
        sp["parallel_games"] = args.parallel
    if sp:
        changes["selfplay"] = sp
    from pathlib import Path
    exists = (Path(args.run) / "config.json").exists()
    config = None
    if not exists:
        if args.preset not in PRESETS:
            print(f"goengine-train: unknown preset {args.preset!r}; choose from {sorted(PRESETS)}", file=sys.stderr)
            return 2
        config = preset(args.preset, **changes, **runtime)
    elif changes.keys() - {"generations"}:
        print(f"goengine-train: {args.run} already holds a run; only --generations can change when resuming "
              f"(its config.json is kept)", file=sys.stderr)
        return 2
    elif "generations" in changes:  # the stored recipe, run to another number of generations
        import dataclasses
        import json
        stored = ZeroConfig.from_json(json.loads((Path(args.run) / "config.json").read_text()))
        config = dataclasses.replace(stored, generations=changes["generations"])
    log = (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    from .distributed import open_zero_run
    with open_zero_run(ZeroRun, args, config, runtime=runtime, log=log, progress=not args.quiet) as (run, loop):
        if loop is None:  # a torchrun process other than rank 0: it trained when told to
            return 0
        print(f"run folder: {run.folder}  (preset {run.config.preset}, {run.config.size}x{run.config.size}, "
              f"net {run.config.net}, device {run.device})")
        last = loop()
    state = run.state
    print(f"generations: {state['generation']} / {run.config.generations}; best network: "
          f"{state['best']} (generation {state['best_generation']})")
    if last:
        rate = last.get("winrate_vs_best")
        verdict = "promoted" if last["promoted"] else "not promoted"
        print(f"newest candidate (generation {last['generation']}) vs previous best (generation "
              f"{last['previous_best']}): win rate {rate:.0%} over {run.config.gating_games} games -> {verdict}")
    print("Elo of promoted generations (chained gating results, generation 0 = 0): "
          + ", ".join(f"gen {k}: {v:+.0f}" for k, v in state["elo"].items()))
    if state.get("anchor"):
        print(f"anchor checks against {run.config.anchor or 'the anchor'}: "
              + ", ".join(f"after gen {g}: gen {r['network']} {r['wins']}/{r['games']}"
                          for g, r in sorted(state["anchor"].items(), key=lambda kv: int(kv[0]))))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="goengine-train", description="Train goengine's agents.")
    sub = parser.add_subparsers(dest="command", required=True)
    z = sub.add_parser("zero", help="AlphaGo Zero self-play training loop (resumable)")
    z.add_argument("--run", default="runs/zero-tiny", help="run folder (created, or resumed if it exists)")
    z.add_argument("--preset", default="tiny", help="tiny (minutes on a CPU), 9x9, 19x19 (the efficient recipe), agz-9x9, agz-19x19 (AlphaGo Zero as published)")
    z.add_argument("--generations", type=int, help="total generations to reach")
    z.add_argument("--games", type=int, help="self-play games per generation")
    z.add_argument("--visits", "--simulations", dest="simulations", type=int, metavar="N",
                   help="visits (search simulations) per full self-play move: the config's "
                        "selfplay.search.num_simulations (--simulations is the old name)")
    z.add_argument("--parallel", type=int, help="games played at once by the self-play worker")
    z.add_argument("--steps", type=int, help="training steps per generation")
    z.add_argument("--gating-games", type=int, help="games of each gating match")
    z.add_argument("--no-gating", action="store_true", help="promote every candidate (AlphaZero)")
    z.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="start generation 0 from this ZeroNet (e.g. goengine/weights/zero-9x9.pt) instead of a random one")
    z.add_argument("--window-from", default=None, metavar="RUN",
                   help="fill the replay window at the start with the newest games of this run folder "
                        "(or folder of shards), e.g. the run --init's network came from")
    z.add_argument("--anchor", metavar="SPEC",
                   help="an arena agent the best network plays every --anchor-every generations, e.g. "
                        "\"gtp:gnugo --mode gtp --level 1\" (training/anchor.py); give it again on resume")
    z.add_argument("--anchor-every", type=int, metavar="N", help="generations between anchor checks (default 10)")
    z.add_argument("--anchor-games", type=int, metavar="N", help="games of each anchor check (default 20)")
    z.add_argument("--anchor-visits", type=int, metavar="N",
                   help="visits per move of the run's network in anchor checks (default 400)")
    z.add_argument("--device", choices=["auto", "cpu", "cuda"])
    z.add_argument("--threads", type=int, help="torch CPU threads")
    z.add_argument("--backend", dest="inference", choices=BACKENDS + ("local", "ray"),
                   help="network inference back end of self-play and gating (default auto: the "
                        "fastest here), as goengine-gtp's --backend")
    z.add_argument("--inference", dest="inference", choices=BACKENDS, help=argparse.SUPPRESS)
    z.add_argument("--seed", type=int)
    z.add_argument("--quiet", action="store_true", help="no progress bars or stage logs")
    z.add_argument("--cluster", choices=["local", "ray"], default="local",
                   help="self-play and gating here (local) or on Ray actors (see docs/distributed.md)")
    z.add_argument("--address", help="Ray cluster to join (\"auto\", HOST:6379 or ray://HOST:10001); "
                   "default: a Ray instance on this machine")
    z.add_argument("--workers", type=int, default=2, help="Ray self-play/gating actors")
    z.add_argument("--worker-cpus", type=float, default=1, help="CPUs reserved per Ray actor")
    z.add_argument("--worker-gpus", type=float, default=0, help="GPUs per Ray actor (0.25: four share one)")
    z.set_defaults(func=_zero)
    from .compress import add_commands as _add_compress_commands  # distill, prune, export
    _add_compress_commands(sub)
    from .swa import add_commands as _add_swa_commands  # average
    _add_swa_commands(sub)
    from .lee.cli import add_commands as _add_lee_commands  # expert-data, rollout, sl, rl, value
    _add_lee_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT) and not isinstance(exc, FileNotFoundError):
            raise
        if isinstance(exc, FileNotFoundError):
            print(f"goengine-train: error: {exc}", file=sys.stderr)
            return 2
        # every file is written to a temporary name and renamed: the failed one only is missing
        what = exc.filename or "a file"
        print(f"goengine-train: could not write {what}: {exc.strerror[:1].lower() + exc.strerror[1:]}. "
              f"Nothing written before was lost; free some space and run the same command again "
              f"to resume.", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"goengine-train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
