"""A run: the games of a schedule not yet in the folder, one at a time or in parallel, and run_arena."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence

from goengine.agents import AgentSpec, check_agent_spec, parse_agent_spec
from goengine.progress import progress_bar
from gtp.client import GtpClientError

from ..errors import ArenaError
from .parallel import play_parallel
from .config import ArenaConfig, ScheduledGame, schedule_games
from .folder import _unique_labels, prepare_folder
from .match import AgentPool, play_scheduled_game
from .results import GameResult, ResultsLog
from .summary import summarize, write_summary

log = logging.getLogger("goengine.arena")


def _sprt_counts(results: Iterable[GameResult], a: str, b: str) -> tuple[int, int, int]:
    wins = draws = losses = 0
    for r in results:
        if {r.a, r.b} != {a, b}:
            continue
        s = r.score_for(a)
        wins += s == 1.0
        draws += s == 0.5
        losses += s == 0.0
    return wins, draws, losses


def play_schedule(specs: Sequence[AgentSpec], plan: Sequence[ScheduledGame],
                  out: str | os.PathLike, config: ArenaConfig, results: ResultsLog, *,
                  progress: bool = True, agents: dict | None = None,
                  stop: Callable[[], bool] | None = None, desc: str = "arena") -> list[dict]:
    """Play every game of ``plan`` whose key is not yet in ``results``, appending each
    result as it ends; one at a time, or ``config.jobs`` at once in separate processes
    (parallel.py: each builds its own agents from the specs). ``stop()`` is asked
    after each game (the SPRT): True ends the run (games still being played in other
    processes are abandoned, not recorded). Returns the games that failed through an agent
    error ({"key", "error"}); ``config.max_failures`` of them in a row raise ArenaError.
    Ctrl-C stops after closing the agents: every finished game is kept."""
    pending = [g for g in plan if g.key not in results]
    bar = _progress(len(plan), len(plan) - len(pending), progress, desc)
    failed: list[dict] = []
    in_a_row = 0

    def on_result(result: GameResult) -> bool:
        nonlocal in_a_row
        in_a_row = 0
        results.append(result)
        bar.update(1)
        bar.set_postfix_str(f"{result.black} vs {result.white}: {result.result}"[:60])
        return bool(stop is not None and stop())

    def on_failure(key: str, error: str) -> None:
        nonlocal in_a_row
        in_a_row += 1
        failed.append({"key": key, "error": error})
        log.warning("game %s failed: %s", key, error)
        bar.update(1)
        if in_a_row >= config.max_failures:
            raise ArenaError(f"{in_a_row} games in a row failed; the last: {error}")

    try:
        if config.jobs > 1 and len(pending) > 1:
            if agents:
                raise ArenaError("ready-made agents cannot be sent to other processes: "
                                 "play with jobs=1")
            play_parallel(specs, pending, out, config, on_result=on_result,
                          on_failure=on_failure)
        else:
            pool = AgentPool(specs, config.agent_context(), given=agents)
            try:
                for game in pending:
                    try:
                        result = play_scheduled_game(game, pool, out, config)
                    except GtpClientError as exc:  # an engine died, timed out, refused a move
                        on_failure(game.key, f"{type(exc).__name__}: {exc}")
                        continue
                    if on_result(result):
                        break
            finally:
                pool.close()
    finally:
        bar.close()
    return failed


def run_arena(specs: Sequence[str | AgentSpec], out: str | os.PathLike,
              config: ArenaConfig | None = None, *, progress: bool = True,
              agents: dict | None = None) -> dict:
    """Play every scheduled game not yet in ``out``'s results, then rate all the games of
    the folder. Returns the summary (also written to ``out/summary.json``).

    ``agents``: optional ready-made agents by label (tests, or agents built in code);
    the others are built from their specs (checked first: a missing weights file or
    program stops the run before any game), and closed at the end. Ctrl-C stops after
    closing the agents: every finished game is kept."""
    config = config or ArenaConfig()
    parsed = _unique_labels([parse_agent_spec(s) if isinstance(s, str) else s for s in specs])
    labels = [s.label for s in parsed]
    if len(labels) < 2:
        raise ArenaError("an arena needs at least two agents")
    if config.sprt is not None and len(labels) != 2:
        raise ArenaError("the SPRT stop is for a match between two agents")
    for spec in parsed:
        if spec.label not in (agents or {}):
            check_agent_spec(spec)
    out = prepare_folder(out, config, parsed)
    results = ResultsLog(out)
    plan = schedule_games(labels, config.games)
    sprt_status = None

    def decided() -> bool:
        nonlocal sprt_status
        sprt_status = config.sprt.status(*_sprt_counts(results.results, labels[0], labels[1]))
        return sprt_status.decision is not None

    stop = decided if config.sprt is not None else None
    to_play = [] if stop is not None and decided() else plan
    failed = play_schedule(parsed, to_play, out, config, results, progress=progress,
                           agents=agents, stop=stop)
    summary = summarize(results.results, config, labels=labels, sprt_status=sprt_status)
    summary["scheduled"] = len(plan)
    summary["failed"] = failed
    summary["folder"] = str(out)
    write_summary(out, summary)
    return summary


def _progress(total: int, done: int, enabled: bool, desc: str = "arena"):
    return progress_bar(total, desc, enabled and total != done, done, unit="game")
