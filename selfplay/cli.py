"""``goengine-arena``: matches and round-robins between agents, with Elo (selfplay/arena/).

    goengine-arena random mcts:visits=200 --games 10
    goengine-arena mcts:seconds=1 "gnugo10=gtp:gnugo --mode gtp --level 10 --chinese-rules" \\
        --games 20 --out runs/arena/mcts-vs-gnugo
    goengine-arena mcts:visits=400 mcts:visits=800 --games 400 --sprt 0 50
    goengine-arena agents               # the agent kinds and their options
    goengine-arena table runs/arena/x   # the tables of a folder's games again
    goengine-arena ladder ladders/lee-vs-zero.json --out runs/ladder/lee-vs-zero --jobs 2
    goengine-arena report runs/ladder/lee-vs-zero --out docs/comparison.md
    goengine-arena review runs/arena/x --agent new   # a Zero agent's win rate along its lost games

Subcommands: ``run`` (the default: the first word is an agent spec), ``agents``, ``table``,
``ladder`` (a round-robin defined by a JSON file: selfplay/ladder.py) and ``report`` (a
Markdown report with plots of a ladder folder: selfplay/report.py), ``review`` (a Zero
agent's own win rate along the games it lost: selfplay/review.py). Rerunning a ``run`` or
``ladder`` command resumes it: games already in the folder are skipped. Tables go
to stdout (``--json``: the summary as JSON instead), the progress bar and logs to stderr.
Exit codes: 0 done, 1 a run that cannot go on (the message says why), 2 bad arguments,
3 a ``run`` or ``ladder`` that ended with games that failed (agent errors: not recorded, a
rerun retries them; the last line on stderr says how many), 130 interrupted (the finished
games are kept).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading

from .arena import (
    AGENT_KINDS,
    ArenaConfig,
    ArenaError,
    SpecError,
    default_out_dir,
    format_summary,
    load_results,
    parse_agent_spec,
    run_arena,
    summarize,
)
from .sprt import SPRT

SUBCOMMANDS = ("run", "agents", "table", "ladder", "report", "review")


def _finite(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive(kind):
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return convert


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _add_rating_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--anchor", help="agent label rated at --anchor-rating "
                                         "(default: the first agent)")
    parser.add_argument("--anchor-rating", type=_finite, default=0.0,
                        help="Elo of the anchor (default 0)")
    parser.add_argument("--confidence", type=float, default=0.95,
                        help="level of the Elo intervals (default 0.95)")
    parser.add_argument("--interval", choices=("profile", "wald"), default="profile",
                        help="profile likelihood (default) or Wald (Fisher information) "
                             "intervals")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as JSON instead of tables")


def build_run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goengine-arena",
        description="Play matches and round-robins between agents, with colours alternating "
                    "and our rules as referee; rate them by maximum-likelihood Elo. Agent "
                    "specs: random, mcts:visits=2000, mcts:seconds=1, 'gtp:<command line>', "
                    "zero:visits=200, lee:weights=lee.json, policy:weights=sl.pt, "
                    "each optionally as LABEL=SPEC (`goengine-arena agents` lists them all). "
                    "Rerunning the same command resumes.",
        epilog="other subcommands: `goengine-arena agents`, `goengine-arena table DIR`, "
               "`goengine-arena ladder LADDER.json`, `goengine-arena report DIR`")
    parser.add_argument("agents", nargs="+", metavar="SPEC", help="agent specs (two or more)")
    parser.add_argument("--games", type=_non_negative_int, default=2,
                        help="games per pairing (default 2; with --sprt, the most to play)")
    parser.add_argument("--out", help="run folder (default: runs/arena/<agents>-<hash>); "
                                      "the same folder resumes")
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=_finite, default=7.5, help="komi (default 7.5)")
    parser.add_argument("--superko", choices=("positional", "situational", "simple"),
                        default="positional", help="superko rule of the referee")
    parser.add_argument("--max-moves", type=_positive(int),
                        help="move cap per game (default 2*N*N+20); scored as it stands")
    parser.add_argument("--opening-moves", type=int, default=0, metavar="K",
                        help="start each pair of games (colours swapped) from K random moves, so "
                             "deterministic players do not replay one game (default 0)")
    parser.add_argument("--seed", type=int, help="seed of our agents' random streams")
    parser.add_argument("--threads", type=_positive(int), default=0,
                        help="CPU threads an agent may use (default: one per game with "
                             "--jobs N, else the cores free when the agent starts)")
    parser.add_argument("--gtp-timeout", type=_positive(float), default=30.0,
                        help="seconds a GTP engine may take for a reply (default 30)")
    parser.add_argument("--genmove-timeout", type=_positive(float), default=600.0,
                        help="seconds a GTP engine may take for a move (default 600)")
    parser.add_argument("--sprt", nargs=2, type=_finite, metavar=("ELO0", "ELO1"),
                        help="stop a two-agent match when the SPRT of H0: Elo=ELO0 against "
                             "H1: Elo=ELO1 (first agent minus second) decides")
    parser.add_argument("--alpha", type=float, default=0.05, help="SPRT alpha (default 0.05)")
    parser.add_argument("--beta", type=float, default=0.05, help="SPRT beta (default 0.05)")
    parser.add_argument("--jobs", type=_positive(int), default=1,
                        help="games played at once, each in its own process (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_rating_flags(parser)
    return parser


def build_ladder_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goengine-arena ladder",
        description="Play a round-robin defined by a JSON ladder file (entrants, pairings, "
                    "rules; docs/arena.md) and rate everyone by maximum-likelihood Elo "
                    "against the anchor. Rerunning resumes: games already in the folder are "
                    "never played again, a larger 'games' plays only the new ones.")
    parser.add_argument("ladder", help="a ladder file, or a ladder folder (resumes with its "
                                       "ladder.json)")
    parser.add_argument("--out", help="run folder (default: the folder given as LADDER, else "
                                      "runs/ladder/<ladder file name>)")
    parser.add_argument("--jobs", type=_positive(int), default=1,
                        help="games played at once, each in its own process (default 1: one "
                             "after the other)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the pairings and how many games are left; play nothing")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as JSON instead of tables")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def build_report_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goengine-arena report",
        description="Write a Markdown report of a ladder folder: the Elo table, the win-rate "
                    "matrix, strength against thinking time and against training compute, "
                    "and the recipes' training costs, with PNG plots.")
    parser.add_argument("folder", help="a ladder folder (results.jsonl and ladder.json)")
    parser.add_argument("--out", help="a folder (gets README.md and the plots) or a .md file "
                                      "(the plots go to <name>-plots/ beside it); default "
                                      "FOLDER/report")
    parser.add_argument("--title", help="the report's title (default: the ladder's title)")
    parser.add_argument("--discussion", metavar="FILE.md",
                        help="a hand-written Markdown section (what the figures show, the commands "
                             "behind them) placed after the header; regenerating keeps it")
    return parser


def build_table_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="goengine-arena table",
                                     description="Print the tables of a run folder's games.")
    parser.add_argument("folder", help="a run folder (holding results.jsonl)")
    _add_rating_flags(parser)
    return parser


def _config(args, sprt=None, rules: dict | None = None) -> ArenaConfig:
    base = {"anchor": args.anchor, "anchor_rating": args.anchor_rating,
            "confidence": args.confidence, "interval": args.interval}
    if rules is not None:
        return ArenaConfig(size=rules["size"], komi=rules["komi"], superko=rules["superko"],
                           max_moves=rules.get("max_moves"),
                           opening_moves=rules.get("opening_moves", 0), **base)
    return ArenaConfig(size=args.size, komi=args.komi, superko=args.superko,
                       max_moves=args.max_moves, games=args.games, seed=args.seed,
                       threads=args.threads, gtp_timeout=args.gtp_timeout,
                       genmove_timeout=args.genmove_timeout, sprt=sprt, jobs=args.jobs,
                       opening_moves=args.opening_moves, **base)


def _print(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))


def cmd_run(argv: list[str]) -> int:
    parser = build_run_parser()
    args = parser.parse_args(argv)
    if not 0 < args.confidence < 1:
        parser.error("--confidence must be between 0 and 1")
    try:
        specs = [parse_agent_spec(s) for s in args.agents]
    except SpecError as exc:
        parser.error(str(exc))
    if len(specs) < 2:
        parser.error("give at least two agent specs")
    sprt = None
    if args.sprt is not None:
        if len(specs) != 2:
            parser.error("--sprt is for a match between two agents")
        try:
            sprt = SPRT(args.sprt[0], args.sprt[1], args.alpha, args.beta)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        config = _config(args, sprt)
    except ValueError as exc:
        parser.error(str(exc))
    labels = [s.label for s in specs]
    if config.anchor is not None and config.anchor not in labels:
        parser.error(f"--anchor {config.anchor!r} is not one of the agents: {', '.join(labels)}")
    out = args.out or default_out_dir(labels, config)
    print(f"goengine-arena: run folder {out}", file=sys.stderr)
    summary, code = _play(lambda: run_arena(specs, out, config, progress=not args.no_progress),
                          out, "rerun the same command to resume")
    if summary is None:
        return code
    _print(summary, args.json)
    return _failed_games(summary, "rerun the same command to retry them")


FAILED_GAMES = 3
"""Exit code of a run or ladder that finished with games lost to agent errors."""


def _failed_games(summary: dict, retry_hint: str) -> int:
    """0, or FAILED_GAMES after a last line on stderr saying how many games of the run
    failed: a script or CI job must not take a run whose engine crashed for a clean one."""
    failed = len(summary.get("failed") or ())
    if not failed:
        return 0
    print(f"goengine-arena: {failed} of the {summary.get('scheduled', '?')} scheduled games "
          f"failed (agent errors, listed above; not recorded, {summary.get('games', 0)} games "
          f"recorded); {retry_hint}", file=sys.stderr)
    return FAILED_GAMES


def _play(run, out, resume_hint: str):
    """(summary, 0) from ``run()``, or (None, exit code) after printing why it stopped: a bad
    spec (2), an arena error (1) or Ctrl-C (130, finished games kept)."""
    try:
        return run(), 0
    except SpecError as exc:
        print(f"goengine-arena: error: {exc}", file=sys.stderr)
        return None, 2
    except ArenaError as exc:
        print(f"goengine-arena: error: {exc}", file=sys.stderr)
        return None, 1
    except KeyboardInterrupt:
        print(f"\ngoengine-arena: interrupted; finished games are kept in {out}; {resume_hint}",
              file=sys.stderr)
        return None, 130


def cmd_agents(argv: list[str]) -> int:
    if argv:
        print("goengine-arena agents takes no arguments", file=sys.stderr)
        return 2
    print("agent specs: [LABEL=]KIND[:OPTIONS]  (options: key=value,key=value)\n")
    for name in sorted(AGENT_KINDS):
        kind = AGENT_KINDS[name]
        print(f"{name}: {kind.help}")
        if kind.raw:
            print(f"    {name}:<command line>    e.g. {kind.example!r}")
        elif kind.options:
            print(f"    e.g. {kind.example!r}; options:")
            print(kind.describe_options().replace("\n  ", "\n      ").replace("  ", "      ", 1))
    print("\nThe same specs work in goengine-gtp --agent SPEC.")
    return 0


def cmd_review(argv: list[str]) -> int:
    from .review import __doc__ as review_doc, format_reviews, review_folder, write_reviews
    parser = argparse.ArgumentParser(prog="goengine-arena review", description=review_doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="an arena run folder (results.jsonl, games/)")
    parser.add_argument("--agent", required=True, metavar="LABEL", help="the agent whose games to review")
    parser.add_argument("--weights", metavar="FILE", help="ZeroNet to search with (default: the "
                        "weights arena.json records for the agent)")
    parser.add_argument("--visits", type=_positive(int), default=800, help="visits per position (default 800)")
    parser.add_argument("--all", action="store_true", help="every game of the agent, not only its losses")
    parser.add_argument("--limit", type=_positive(int), metavar="N", help="stop after N games")
    parser.add_argument("--out", metavar="FILE", help="one JSON line per game")
    args = parser.parse_args(argv)
    try:
        reviews = review_folder(args.folder, args.agent, visits=args.visits, weights=args.weights,
                                lost_only=not args.all, limit=args.limit)
    except ValueError as exc:
        print(f"goengine-arena: error: {exc}", file=sys.stderr)
        return 1
    print(format_reviews(reviews))
    if args.out:
        write_reviews(reviews, args.out)
    return 0


def cmd_table(argv: list[str]) -> int:
    parser = build_table_parser()
    args = parser.parse_args(argv)
    from pathlib import Path
    folder = Path(args.folder)
    if not (folder / "results.jsonl").exists():
        parser.error(f"{folder} holds no results.jsonl")
    rules = None
    saved = folder / "arena.json"
    agents = None
    if saved.exists():
        data = json.loads(saved.read_text(encoding="utf-8"))
        rules = data.get("rules")
        agents = data.get("agents")
    if (folder / "ladder.json").exists() and args.anchor is None and args.anchor_rating == 0:
        # a ladder folder: its own anchor and rating unless the command line gives others
        from .ladder import load_ladder
        try:
            ladder = load_ladder(folder)
        except ArenaError as exc:
            print(f"goengine-arena: error: {exc}", file=sys.stderr)
            return 1
        args.anchor, args.anchor_rating = ladder.anchor, ladder.anchor_rating
        agents = list(dict.fromkeys(ladder.labels + list(agents or [])))
    try:
        config = _config(args, rules=rules) if rules else ArenaConfig(
            anchor=args.anchor, anchor_rating=args.anchor_rating,
            confidence=args.confidence, interval=args.interval)
        summary = summarize(load_results(folder), config, labels=agents)
    except (ArenaError, ValueError) as exc:
        print(f"goengine-arena: error: {exc}", file=sys.stderr)
        return 1
    _print(summary, args.json)
    return 0


def cmd_ladder(argv: list[str]) -> int:
    from pathlib import Path

    from .ladder import LADDER_FILE, load_ladder, run_ladder
    parser = build_ladder_parser()
    args = parser.parse_args(argv)
    source = Path(args.ladder)
    try:
        ladder = load_ladder(source)
    except ArenaError as exc:
        parser.error(str(exc))
    if args.out:
        out = Path(args.out)
    elif source.is_dir():
        out = source
    else:
        out = Path("runs/ladder") / source.stem
    if args.dry_run:
        from .arena import ResultsLog
        done = ResultsLog(out) if (out / "results.jsonl").exists() else None
        plan = ladder.schedule()
        left = [g for g in plan if done is None or g.key not in done]
        print(f"ladder {ladder.source} -> {out}: {len(ladder.entrants)} entrants, "
              f"{len(ladder.pairings)} pairings, {len(plan)} games, {len(left)} to play; "
              f"anchor {ladder.anchor} at {ladder.anchor_rating:g}")
        for a, b, games in ladder.pairings:
            todo = sum(1 for g in left if (g.a, g.b) == (a, b))
            print(f"  {a} - {b}: {games} games, {todo} to play")
        return 0
    print(f"goengine-arena: ladder folder {out}", file=sys.stderr)
    summary, code = _play(lambda: run_ladder(ladder, out, jobs=args.jobs, progress=not args.no_progress),
                          out, f"rerun the same command (or `goengine-arena ladder {out}`) to resume")
    if summary is None:
        return code
    _print(summary, args.json)
    if not args.json:
        print(f"(ladder file copied to {out / LADDER_FILE}; `goengine-arena report {out}` "
              f"writes the report)")
    return _failed_games(summary, f"rerun the same command (or `goengine-arena ladder {out}`) "
                                  f"to retry them")


def cmd_report(argv: list[str]) -> int:
    from .report import ReportError, write_report
    parser = build_report_parser()
    args = parser.parse_args(argv)
    try:
        path = write_report(args.folder, args.out, title=args.title, discussion=args.discussion)
    except ReportError as exc:
        print(f"goengine-arena: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _terminated(signum, frame):
    """SIGTERM (`kill`, a scheduler's stop): leave by an exception, so that the game
    processes are terminated and the files closed as for Ctrl-C, instead of left running."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv and argv[0] in SUBCOMMANDS:
        command, argv = argv[0], argv[1:]
    else:
        command = "run"
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if in_main_thread else None
    try:
        return {"run": cmd_run, "agents": cmd_agents, "table": cmd_table, "ladder": cmd_ladder,
                "report": cmd_report, "review": cmd_review}[command](argv)
    except BrokenPipeError:  # `goengine-arena ladder L --dry-run | head`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit's flush does not fail again
        return 141  # what a shell reports for a writer killed by SIGPIPE
    finally:
        if in_main_thread:  # main() called in-process (tests, scripts) leaves SIGTERM as it was
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
