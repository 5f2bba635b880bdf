"""Games of an arena or ladder schedule played several at once, each in its own process.

    play_parallel(specs, pending, out, config, on_result=..., on_failure=...)

``config.jobs`` worker processes are started with the ``spawn`` method (no fork of a
process that holds torch threads or GTP pipes). Each builds its own agents from the specs
(``AgentPool``: a network is loaded once per process; a GTP engine is one subprocess per
process) and plays the games it is handed one at a time: its SGF is written by the
worker, its result line comes back to the parent, which appends it to results.jsonl
(``on_result``) as games finish, in the order they finish. At most ``jobs`` games are in
flight, so an interrupted run loses only those.

The workers ignore SIGINT: Ctrl-C reaches the parent, which terminates them (their GTP
engines see their input close and exit) and re-raises. A worker that dies (killed for
memory, a crash in native code) stops the run with ArenaError naming the games it held;
rerunning plays them again. An error other than a GTP engine's (a broken checkpoint, a
bug) comes back with its traceback and stops the run too.

Kinds registered outside goengine/agents/kinds.py and gtp/kind.py must be registered when their module is
imported: the workers import the module of each kind's factory before building agents.
"""
from __future__ import annotations

import importlib
import logging
import multiprocessing
import queue
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from goengine.threads import share_machine
from gtp.client import GtpClientError

import gtp.kind  # noqa: F401  (registers the gtp: kind)
from goengine.agents import AGENT_KINDS, AgentSpec

from ..errors import ArenaError, SpecError
from .match import AgentPool, play_scheduled_game
from .results import GameResult

__all__ = ["play_parallel"]

log = logging.getLogger("goengine.arena")

_BUILTIN_MODULES = {"goengine.agents.kinds", "gtp.kind"}


def play_parallel(specs: Sequence[AgentSpec], pending: Sequence, out, config, *,
                  on_result: Callable, on_failure: Callable[[str, str], None],
                  poll_seconds: float = 1.0) -> None:
    """Play the ``pending`` ScheduledGames in ``config.jobs`` processes. ``on_result(result)``
    gets each GameResult as it ends and returns True to stop the run (the games still in
    flight are abandoned); ``on_failure(key, error)`` gets each game an external engine
    failed (it may raise to stop the run)."""
    if not pending:
        return
    context = multiprocessing.get_context("spawn")
    jobs = max(1, min(int(config.jobs), len(pending)))
    tasks = context.Queue()
    done = context.Queue()
    modules = sorted({AGENT_KINDS[s.kind].factory.__module__ for s in specs}
                     - _BUILTIN_MODULES - {"__main__", "__mp_main__"})
    setup = {"specs": list(specs), "out": str(out), "config": config, "modules": modules}
    workers = [context.Process(target=_worker_main, args=(setup, number, tasks, done),
                               name=f"goengine-arena-worker-{number}", daemon=True)
               for number in range(1, jobs + 1)]
    for worker in workers:
        worker.start()
    games = iter(pending)
    in_flight: dict[str, object] = {}
    finished_cleanly = False

    def submit() -> None:
        game = next(games, None)
        if game is not None:
            tasks.put(game)
            in_flight[game.key] = game

    try:
        for _ in range(jobs):
            submit()
        while in_flight:
            try:
                kind, key, payload = done.get(timeout=poll_seconds)
            except queue.Empty:
                dead = [w for w in workers if not w.is_alive()]
                if dead:
                    raise ArenaError(
                        f"game process {dead[0].name} died (exit code {dead[0].exitcode}) "
                        f"while these games were being played: {', '.join(in_flight)}; "
                        f"rerun to play them again") from None
                continue
            in_flight.pop(key, None)
            if kind == "result":
                if on_result(GameResult.from_json(payload)):
                    return
            elif kind == "failed":
                on_failure(key, payload)
            else:
                if payload["type"] == "SpecError":  # a bad spec: the message names it
                    raise SpecError(payload["message"])
                raise ArenaError(f"game {key} failed in {payload['worker']}: "
                                 f"{payload['type']}: {payload['message']}\n"
                                 f"{payload['traceback']}")
            submit()
        finished_cleanly = True
    finally:
        _stop(workers, tasks, finished_cleanly)


def _stop(workers: list, tasks, cleanly: bool) -> None:
    """Ask idle workers to finish (closing their engines), or terminate them at once after
    an error, an interrupt or a stop with games in flight."""
    if cleanly:
        for _ in workers:
            tasks.put(None)
        for worker in workers:
            worker.join(timeout=60)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(timeout=10)
    tasks.cancel_join_thread()  # never block on games no worker will take


def _worker_main(setup: dict, number: int, tasks, done) -> None:
    """A worker process: play the games it is given until it gets None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for module in setup["modules"]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            log.warning("worker %d: cannot import %s (where an agent kind is registered): "
                        "%s", number, module, exc)
    config = setup["config"]
    share_machine(config.jobs)  # one of config.jobs game processes: one torch thread unless --threads
    out = Path(setup["out"])
    pool = AgentPool(setup["specs"], config.agent_context(), worker=number)
    name = multiprocessing.current_process().name
    try:
        while True:
            game = tasks.get()
            if game is None:
                break
            try:
                result = play_scheduled_game(game, pool, out, config)
            except GtpClientError as exc:
                done.put(("failed", game.key, f"{type(exc).__name__}: {exc}"))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops
                done.put(("error", game.key, {"type": type(exc).__name__, "message": str(exc),
                                              "traceback": traceback.format_exc(),
                                              "worker": name}))
            else:
                done.put(("result", game.key, asdict(result)))
    finally:
        pool.close()
