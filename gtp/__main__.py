"""The GTP engine program for Go GUIs: ``goengine-gtp`` or ``python -m gtp``.

    goengine-gtp --agent mcts --visits 20000
    goengine-gtp --agent 'zero:visits=800,lambda=0'      # any goengine-arena agent spec
    goengine-gtp --agent mcts --time-per-move 2 --resign-threshold off --ponder
    goengine-gtp --agent random --seed 1 --quiet

It speaks GTP v2 on stdin/stdout (see gtp/handlers.py for the commands and docs/gtp.md
for the GUIs); logs go to stderr. Bad options, or a --weights file that is missing, end
the program at once with a message on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import logging
import math
import sys

from goengine.coords import MAX_SIZE, MIN_SIZE

from goengine.agents import AGENT_KINDS, BACKENDS, MCTS_VISITS, NETWORK_VISITS, spec_board_sizes

from .players import PlayerOptions, check_options, log_to_stderr

__all__ = ["main", "build_parser", "engine_from_args"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _size(text: str) -> int:
    value = _positive_int(text)
    if not MIN_SIZE <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"board size must be {MIN_SIZE}..{MAX_SIZE}, "
                                         f"got {value}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _seconds(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _lambda(text: str) -> float:
    value = _finite(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _ramp(text: str) -> float:
    if text.lower() in ("off", "none"):
        return 0.0  # PlayerOptions: no ramp
    value = _finite(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, or 'off', got {text}")
    return value


def _threshold(text: str) -> float | None:
    if text.lower() in ("off", "none", "never"):
        return None
    value = _finite(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a win rate between 0 and 1 (e.g. 0.05) "
                                         f"or 'off', got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    agents = "; ".join(f"{name}: {kind.help}" if kind.help else name
                       for name, kind in sorted(AGENT_KINDS.items()))
    p = argparse.ArgumentParser(
        prog="goengine-gtp",
        description="goengine as a GTP v2 engine for Go GUIs (Sabaki, GoGui, Lizzie, q5go) "
                    "and match programs. Protocol on stdin/stdout, logs on stderr.")
    p.add_argument("--agent", default="mcts", metavar="SPEC",
                   help=f"who chooses the moves: an agent spec KIND[:key=value,...], the same "
                        f"as goengine-arena's (`goengine-arena agents` lists every option). "
                        f"Kinds: {agents} (default: mcts)")
    p.add_argument("--weights", metavar="FILE",
                   help="checkpoint of the agent's networks (agents with networks only)")
    p.add_argument("--size", type=_size, default=9, help="board size at start (default 9)")
    p.add_argument("--komi", type=_finite, default=7.5, help="komi at start (default 7.5)")
    p.add_argument("--visits", type=_positive_int, metavar="N",
                   help=f"search simulations per move, the spec's visits= (default "
                        f"{MCTS_VISITS} for mcts, {NETWORK_VISITS} for zero and lee when no "
                        f"time limit applies; a cap when one does)")
    p.add_argument("--time-per-move", type=_seconds, metavar="SECONDS",
                   help="seconds per move when the controller sets no clock (a cap when "
                        "it does); the spec's seconds=")
    p.add_argument("--threads", type=_positive_int, default=0,
                   help="threads the network agents may use (default: chosen from the cores "
                        "free at start, one when other processes share the machine)")
    p.add_argument("--workers", type=_positive_int,
                   help="zero agent: processes (one core each) that search every move at "
                        "once, their root visits summed (root parallelism; default 1); workers=")
    p.add_argument("--lambda", dest="rollout_lambda", type=_lambda, metavar="L",
                   help="zero agent: weight of random rollouts in each leaf's value, "
                        "(1-L)*v + L*z; 0 is the pure AlphaGo Zero search (default 1); lambda=")
    p.add_argument("--ramp", dest="rollout_ramp", type=_ramp, metavar="R",
                   help="zero agent: rollouts only late, weight L * max(0, 1 - empty share / R); "
                        "'off': weight L at every leaf (default 0.7: none while more than "
                        "70%% of the board is empty); ramp=")
    p.add_argument("--backend", choices=BACKENDS,
                   help="network inference back end of network agents (default auto: the "
                        "fastest here, int8 ONNX Runtime on a CPU; see docs/inference.md); backend=")
    p.add_argument("--seed", type=int, help="seed of all random choices (reproducible play)")
    p.add_argument("--resign-threshold", type=_threshold, default=..., metavar="WINRATE",
                   help="resign when the win rate falls below this, from move N*N/4 on; "
                        "'off' never resigns (default 0.05); the spec's resign=2*WINRATE-1")
    p.add_argument("--ponder", action="store_true",
                   help="search agents: think on the opponent's time after each move the "
                        "engine plays, until the next command arrives (the next move reuses "
                        "that tree); kata-set-param ponderingEnabled and lz-setoption name "
                        "pondering turn it on and off")
    p.add_argument("--lag", type=_non_negative, default=0.3, metavar="SECONDS",
                   help="seconds per move the clock counts outside the search (GUI, "
                        "network); kept in reserve (default 0.3)")
    p.add_argument("--quiet", action="store_true", help="log only warnings and errors")
    p.add_argument("--verbose", action="store_true", help="log every command (debug)")
    return p


def engine_from_args(args: argparse.Namespace, background: bool = False):
    """The GoEngine the parsed arguments describe (ValueError for a bad combination)."""
    from .handlers import GoEngine
    from .timecontrol import TimeConfig

    options = PlayerOptions(size=args.size, komi=args.komi, visits=args.visits,
                            time_per_move=args.time_per_move, threads=args.threads,
                            workers=args.workers, seed=args.seed, weights=args.weights,
                            backend=args.backend, rollout_lambda=args.rollout_lambda,
                            rollout_ramp=args.rollout_ramp)
    spec = check_options(args.agent, options, args.resign_threshold)
    sizes = spec_board_sizes(spec)
    if sizes and args.size not in sizes:
        played = ", ".join(f"{n}x{n}" for n in sizes)
        raise ValueError(f"--agent {spec.text} plays {played} (its networks' size); --size "
                         f"{args.size} is not one of them")
    # the agent (networks, torch) loads in the background: the first commands are answered at once
    engine = GoEngine(spec, options.without_flags(), time_config=TimeConfig(lag=args.lag),
                      background=background)
    engine.pondering = args.ponder
    return engine


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_to_stderr(args.verbose, args.quiet)
    try:
        engine = engine_from_args(args, background=True)
    except (ValueError, OSError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    # only the protocol goes to stdout: anything else printed by mistake lands on stderr
    protocol_out = sys.stdout
    sys.stdout = sys.stderr
    logging.getLogger("gtp").info("goengine %s ready: --agent %s", engine.engine_version,
                                  args.agent)
    try:
        status = engine.run(sys.stdin, protocol_out)
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout = protocol_out
    error = engine.agent_error()  # an agent that could not be built (a damaged network)
    if error is not None:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
