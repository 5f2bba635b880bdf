"""goengine as KataGo's JSON analysis engine: ``goengine-analysis`` or
``python -m gtp.analysis_engine``, for programs written for ``katago analysis`` (KaTrain).

    goengine-analysis --agent mcts:visits=500
    goengine-analysis analysis -model ANY -config ANY -analysis-threads 4   # as KaTrain starts KataGo

The protocol is KataGo's docs/Analysis_Engine.md: one JSON query a line on stdin, one JSON
response a line on stdout (flushed), logs on stderr. Queries are read at once (the query's
warnings, errors and the actions are answered right away) and their positions searched one at
a time in one worker thread, the highest ``priority`` first, then in the order they came
(turns of one query by increasing turn number), so responses may come out of order.

Each position is searched in a fresh tree (KataGo clears its search after each position) by
the agent's search for ``maxVisits`` root visits (the query's, overrideSettings', the
command line's -override-config, else the agent's budget) and ``maxTime`` seconds when set;
the numbers are gtp/estimates.py's and gtp/analysis.py's, the same as kata-analyze's. With
``reportDuringSearchEvery`` a report with ``isDuringSearch`` true is written that often
while it searches; every position ends with exactly one report where it is false, or with
``noResults`` when it was terminated before it started. Actions: ``query_version``,
``clear_cache``, ``terminate``, ``terminate_all``, ``query_models``; an unknown one is an
error naming the field ``action``.

Command line: KataGo's arguments are accepted so that a program that starts ``katago
analysis -model M -config C [-analysis-threads N] [-override-config K=V,...]
[-quit-without-waiting]`` can start this instead. ``-model``, ``-config``, ``-human-model``
and ``-analysis-threads`` are ignored (one position at a time; nothing is read from the
config file), ``-override-config`` sets the keys overrideSettings takes, and
``-quit-without-waiting`` stops the search in progress at the end of input instead of
finishing every queued position. goengine's own: ``--agent SPEC`` (goengine-gtp's, default
mcts), ``--weights``, ``--visits``, ``--time-per-move``, ``--threads``, ``--seed``.
"""
from __future__ import annotations

import argparse
import dataclasses
import heapq
import itertools
import json
import logging
import math
import sys
import threading
import time
from dataclasses import dataclass

import goengine
from goengine.agents import AGENT_KINDS, spec_board_sizes

from . import analysis
from .analysis_query import (QueryError, Settings, apply_settings, parse_override_config,
                             parse_query)
from .avoid import restricted
from .estimates import agent_policy, estimates_for, ownership_head
from .players import PlayerOptions, check_options, log_to_stderr, make_agent
from .status import StatusConfig

__all__ = ["AnalysisEngine", "main", "build_parser"]

log = logging.getLogger("gtp.analysis")

POLL = 0.05
"""Seconds between the search's looks for a terminate (and its partial reports)."""
PARTIAL_SCORE_SHARE = 0.25
"""Per partial report, the moves' positions are scored by the network for at most this
share of reportDuringSearchEvery (at least 0.02 s)."""
FINAL_SCORE_SHARE, SCORE_MIN_SECONDS = 0.25, 0.25
"""For the final report, at most this share of the search's time (at least 0.25 s); all
reported moves with includeMovesOwnership."""


@dataclass
class _Item:
    """One position of a query, queued."""

    query: object
    turn: int
    game: object
    priority: int
    terminated: bool = False


class AnalysisEngine:
    """KataGo's analysis protocol over goengine's agent ``agent`` (a spec) and ``options``
    (gtp/players.py). ``defaults``: the settings before a query's (-override-config).
    ``out``: where responses go (one line each, flushed). ``quit_without_waiting``: at the end
    of input stop the search in progress and drop the queue. The agent is built by the
    worker thread, so that actions are answered before the networks have loaded."""

    def __init__(self, agent: str = "mcts", options: PlayerOptions | None = None,
                 defaults: Settings | None = None, out=None, *,
                 quit_without_waiting: bool = False, status_config: StatusConfig | None = None):
        options = options or PlayerOptions()
        self.spec = check_options(agent, options)
        kind = AGENT_KINDS[self.spec.kind]
        if not kind.searches:
            searching = sorted(name for name, k in AGENT_KINDS.items() if k.searches)
            raise ValueError(f"goengine-analysis needs a search agent (--agent "
                             f"{', '.join(searching)}); --agent {self.spec.kind} does not search")
        self.sizes = spec_board_sizes(self.spec)
        # the flags are in the spec now; a network agent is built for a size it plays
        self.options = options.without_flags()
        if self.sizes and self.options.size not in self.sizes:
            self.options = dataclasses.replace(self.options, size=self.sizes[0])
        self.defaults = defaults or Settings()
        self.out = out if out is not None else sys.stdout
        self.quit_without_waiting = quit_without_waiting
        self.status_config = status_config or StatusConfig(
            seed=0 if self.options.seed is None else self.options.seed)
        self.agent = None
        self.agent_error: Exception | None = None
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._queue: list = []
        self._order = itertools.count()
        self._current: _Item | None = None
        self._closing = False
        self._worker = threading.Thread(target=self._work, name="goengine-analysis", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ output
    def write(self, obj: dict) -> None:
        """One response line, flushed (JSON without NaN)."""
        line = json.dumps(obj, separators=(",", ":"), allow_nan=False)
        with self._write_lock:
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except (OSError, ValueError):  # the reader has gone (closed pipe): nobody to tell
                log.debug("response dropped: stdout is closed")

    def _error(self, qid, field, message: str) -> None:
        obj = {"error": message}
        if field is not None:
            obj["field"] = field
        if qid is not None:
            obj["id"] = qid
        self.write(obj)

    # ------------------------------------------------------------------ input
    def run(self, stdin) -> int:
        """Serve queries from ``stdin`` until it ends; then finish the queued positions (or
        stop, with quit_without_waiting). 2 when the agent could not be built, else 0."""
        for line in stdin:
            self.handle_line(line)
        self.close(wait=not self.quit_without_waiting)
        return 2 if self.agent_error is not None else 0

    def handle_line(self, line: str) -> None:
        """Answer or enqueue one input line; never raises (errors are responses)."""
        line = line.strip()
        if not line:
            return
        try:
            obj = json.loads(line)
        except ValueError as exc:
            self._error(None, None, f"{exc} - could not parse input line as json request: {line}")
            return
        if not isinstance(obj, dict):
            self._error(None, None, "Request line was valid json but was not an object, "
                                    f"ignoring: {json.dumps(obj)}")
            return
        qid = obj.get("id")
        if not isinstance(qid, str):
            self._error(None, None, 'Request must have a string "id" field')
            return
        try:
            if "action" in obj:
                self._action(obj)
            else:
                self._enqueue(obj)
        except QueryError as exc:
            self._error(qid, exc.field, exc.message)
        except Exception as exc:  # noqa: BLE001 - a response, never a traceback on stdout
            log.debug("query %s failed", qid, exc_info=True)
            self._error(qid, None, f"goengine could not handle the query: {exc}")

    def _enqueue(self, obj: dict) -> None:
        query = parse_query(obj, self.defaults)
        if self.sizes and query.size not in self.sizes:
            raise QueryError("boardXSize", f"--agent {self.spec.text} plays "
                             f"{', '.join(f'{n}x{n}' for n in self.sizes)} only (its networks' size)")
        for name, message in query.warnings:
            self.write({"id": query.id, "field": name, "warning": message})
        with self._cond:
            for turn, game, priority in query.positions:
                heapq.heappush(self._queue, (-priority, next(self._order),
                                             _Item(query, turn, game, priority)))
            self._cond.notify()

    # ------------------------------------------------------------------ actions
    def _action(self, obj: dict) -> None:
        action = obj["action"]
        if action == "query_version":
            self.write({**obj, "version": goengine.__version__, "git_hash": "<omitted>"})
        elif action == "clear_cache":
            self.write(obj)  # every position is searched in a fresh tree: nothing is cached
        elif action in ("terminate", "terminate_all"):
            target = None
            if action == "terminate":
                target = obj.get("terminateId")
                if not isinstance(target, str):
                    raise QueryError("terminateId", "Must specify string field terminateId")
            turns = obj.get("turnNumbers")
            if turns is not None and not (isinstance(turns, list) and all(
                    isinstance(t, int) and not isinstance(t, bool) for t in turns)):
                raise QueryError("turnNumbers", "Must specify an array of integers")
            self.write(obj)
            self.terminate(target, turns)
        elif action == "query_models":
            self.write({**obj, "models": [self._model()]})
        else:
            raise QueryError("action", f"Unknown action: {action}")

    def _model(self) -> dict:
        weights = dict(self.spec.options).get("weights")
        name = weights.rsplit("/", 1)[-1] if weights else f"goengine {self.spec.kind} agent"
        return {"name": name, "internalName": self.spec.text, "maxBatchSize": 1,
                "usesHumanSLProfile": False, "version": 0, "usingFP16": "false"}

    def terminate(self, qid: str | None = None, turns=None) -> None:
        """Terminate the positions of query ``qid`` (None: all) at ``turns`` (None: all): the
        queued ones answer ``noResults``, the one searching stops and reports."""
        def hit(item):
            return (qid is None or item.query.id == qid) and (turns is None or item.turn in turns)

        with self._cond:
            dropped = [entry[2] for entry in self._queue if hit(entry[2])]
            self._queue = [entry for entry in self._queue if not hit(entry[2])]
            heapq.heapify(self._queue)
            if self._current is not None and hit(self._current):
                self._current.terminated = True
        for item in dropped:
            self.write({"id": item.query.id, "isDuringSearch": False, "noResults": True,
                        "turnNumber": item.turn})

    def close(self, wait: bool = True) -> None:
        """No more queries: finish the queue (``wait``) or stop now; joins the worker."""
        with self._cond:
            self._closing = True
            if not wait:
                self._queue.clear()
                if self._current is not None:
                    self._current.terminated = True
            self._cond.notify()
        self._worker.join()
        close = getattr(self.agent, "close", None)
        if close is not None:
            close()

    # ------------------------------------------------------------------ the worker
    def _work(self) -> None:
        try:
            agent = make_agent(self.spec, self.options)
        except Exception as exc:  # noqa: BLE001 - every query is answered with it
            self.agent_error = exc
            log.error("the agent could not be built: %s", exc)
        else:
            with self._cond:
                self.agent = agent
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                item = heapq.heappop(self._queue)[2]
                self._current = item
            try:
                if self.agent_error is not None:
                    self._error(item.query.id, None,
                                f"the agent could not be built: {self.agent_error}")
                elif item.terminated:
                    self.write({"id": item.query.id, "isDuringSearch": False, "noResults": True,
                                "turnNumber": item.turn})
                else:
                    self._analyse(item)
            except Exception as exc:  # noqa: BLE001
                log.warning("analysis of %s turn %d failed", item.query.id, item.turn,
                            exc_info=True)
                self._error(item.query.id, None, f"goengine could not analyse turn "
                                                 f"{item.turn}: {exc}")
            finally:
                with self._cond:
                    self._current = None

    def _budget(self, settings: Settings) -> tuple[int | None, float | None]:
        """(root visits, seconds) of one search: the query's settings, else the agent's."""
        budget = self.agent.budget
        visits = settings.max_visits if settings.max_visits is not None else budget.visits
        seconds = settings.max_time if settings.max_time is not None else budget.seconds
        if visits is None and seconds is None:
            visits = budget.default_visits
        return visits, seconds

    def _analyse(self, item: _Item) -> None:
        query, game, agent = item.query, item.game, self.agent
        settings = query.settings
        visits, seconds = self._budget(settings)
        mcts = agent.mcts
        searcher = getattr(mcts, "main", mcts) if query.moves else mcts
        keep = None if not query.moves else (lambda a: query.moves.allows(game.to_play, 0, a))
        head = ownership_head(agent)
        if query.include_moves_ownership and head is None and not query.warned_moves_ownership:
            query.warned_moves_ownership = True  # once a query, before its first result
            self.write({"id": query.id, "field": "includeMovesOwnership",
                        "warning": f"--agent {self.spec.text} has no network with an ownership "
                                   f"head: moveInfos carry no ownership"})
        estimates = estimates_for(game, head, self.status_config, game.rules.komi)
        policy = []  # computed once, at the first report that needs it
        if query.include_policy and query.moves:  # its own search, not inside this one's
            policy.append(self._policy(agent, game, None, True))

        def respond(result, during: bool, score_seconds: float) -> None:
            estimates.move_leads(analysis.reported_moves(result, None, keep), score_seconds)
            if query.include_policy and not policy:
                policy.append(self._policy(agent, game, result, False))
            body = analysis.kata_json_response(
                result, game, estimates, perspective=settings.perspective,
                pv_len=settings.pv_len, ownership=query.include_ownership,
                moves_ownership=query.include_moves_ownership,
                policy=policy[0] if policy else None, keep=keep)
            self.write({"id": query.id, "isDuringSearch": during, **body,
                        "turnNumber": item.turn})

        every = query.report_every
        last = [time.monotonic()]

        def progress(partial) -> bool:
            if item.terminated:
                return True
            if every is not None and time.monotonic() - last[0] >= every:
                respond(partial, True, max(0.02, PARTIAL_SCORE_SHARE * every))
                last[0] = time.monotonic()
            return False

        start = time.monotonic()
        agent.reset()
        try:
            with restricted(searcher, game, query.moves):
                result = searcher.search(game, num_simulations=visits, seconds=seconds,
                                         callback=progress,
                                         callback_interval=min(POLL, every or POLL))
        finally:
            agent.reset()
        elapsed = time.monotonic() - start
        respond(result, False, math.inf if query.include_moves_ownership
                else max(SCORE_MIN_SECONDS, FINAL_SCORE_SHARE * elapsed))

    @staticmethod
    def _policy(agent, game, result, restricted_search: bool):
        """The position's move probabilities: the network's, else the root priors of
        ``result``, or of a one-simulation search in a fresh tree when the analysis is
        restricted by avoid/allow (called before that search: it resets the tree)."""
        def root_prior():
            if not restricted_search:
                return result.prior
            agent.reset()
            try:
                return agent.mcts.search(game, num_simulations=1).prior
            finally:
                agent.reset()

        return agent_policy(agent, game, root_prior)


# ----------------------------------------------------------------------------- the program
def build_parser() -> argparse.ArgumentParser:
    from .__main__ import _positive_int, _seconds

    p = argparse.ArgumentParser(
        prog="goengine-analysis", allow_abbrev=False,
        description="goengine as KataGo's JSON analysis engine (docs/Analysis_Engine.md) for "
                    "programs written for `katago analysis`, such as KaTrain: JSON queries on "
                    "stdin, JSON responses on stdout, logs on stderr. KataGo's own arguments "
                    "are accepted; -model, -config, -human-model and -analysis-threads are "
                    "ignored.")
    p.add_argument("command", nargs="?", choices=["analysis"],
                   help="KataGo's subcommand, accepted and ignored")
    p.add_argument("--agent", default="mcts", metavar="SPEC",
                   help="the searching agent: a spec KIND[:key=value,...] as goengine-gtp's and "
                        "goengine-arena's (mcts, zero, lee; default mcts)")
    p.add_argument("--weights", metavar="FILE", help="checkpoint of the agent's networks")
    p.add_argument("--visits", type=_positive_int, metavar="N",
                   help="root visits of a search when the query sets no maxVisits (the spec's "
                        "visits=; default: the agent's)")
    p.add_argument("--time-per-move", type=_seconds, metavar="SECONDS",
                   help="seconds of a search when the query sets no maxTime (seconds=)")
    p.add_argument("--threads", type=_positive_int, default=0,
                   help="threads the network agents may use (default: chosen from the free cores)")
    p.add_argument("--seed", type=int, help="seed of all random choices")
    p.add_argument("--quiet", action="store_true", help="log only warnings and errors")
    p.add_argument("--verbose", action="store_true", help="log debug details")
    katago = p.add_argument_group("KataGo's arguments")
    katago.add_argument("-model", metavar="FILE", help="ignored (the agent is --agent's)")
    katago.add_argument("-human-model", metavar="FILE", help="ignored")
    katago.add_argument("-config", metavar="FILE", help="ignored: nothing is read from it")
    katago.add_argument("-analysis-threads", type=int, metavar="N",
                        help="ignored: one position is searched at a time")
    katago.add_argument("-override-config", action="append", default=[], metavar="K=V,...",
                        help="maxVisits, maxPlayouts, maxTime, reportAnalysisWinratesAs, "
                             "analysisPVLen (other KataGo keys are ignored)")
    katago.add_argument("-quit-without-waiting", action="store_true",
                        help="at the end of input, stop instead of finishing the queued positions")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_to_stderr(args.verbose, args.quiet)
    try:
        defaults, ignored, unknown = apply_settings(Settings(),
                                                    parse_override_config(args.override_config))
        for key in ignored + unknown:
            log.warning("-override-config %s: not used by goengine", key)
        options = PlayerOptions(size=9, visits=args.visits, time_per_move=args.time_per_move,
                                threads=args.threads, seed=args.seed, weights=args.weights)
        protocol_out = sys.stdout
        engine = AnalysisEngine(args.agent, options, defaults, protocol_out,
                                quit_without_waiting=args.quit_without_waiting)
    except (ValueError, OSError) as exc:  # QueryError is a ValueError: a bad -override-config
        parser.exit(2, f"{parser.prog}: error: {getattr(exc, 'message', exc)}\n")
    sys.stdout = sys.stderr  # only the protocol goes to stdout
    log.info("goengine %s analysis engine ready: --agent %s", goengine.__version__, args.agent)
    try:
        status = engine.run(sys.stdin)
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout = protocol_out
    if engine.agent_error is not None:
        parser.exit(2, f"{parser.prog}: error: the agent could not be built: "
                       f"{engine.agent_error}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
