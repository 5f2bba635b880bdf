"""KataGo's analysis commands, the search limits GUIs set, and pondering: a mixin of GoEngine
(gtp/handlers.py), for agents with a search.

==================================  ============================================================
command                             reply
==================================  ============================================================
kata-analyze [c] [i] [tags]         streamed KataGo ``info`` lines (gtp/analysis.py) every i
                                    centiseconds until the next command; lz-analyze's tags
                                    (avoid, allow, maxmoves, ...) and ``ownership true``
kata-genmove_analyze c [i] [tags]   the same while it thinks, then ``play <move>``
kata-list-params                    ``maxVisits maxPlayouts maxTime ponderingEnabled``
kata-get-param p                    its value (2^50 / 1e+20: no limit, KataGo's convention)
kata-set-param p v                  sets it; an unknown parameter is an error naming it
lz-setoption name N value V         Leela Zero's options ``visits``, ``playouts`` (0: no limit)
                                    and ``pondering``; without arguments, the option list
==================================  ============================================================

**The numbers of kata-analyze**, all from the side to move's view (KataGo's default
``reportAnalysisWinratesAs SIDETOMOVE``), computed by gtp/estimates.py, which
goengine-analysis (KataGo's JSON analysis engine, gtp/analysis_engine.py) shares:

- ``visits``, ``winrate``, ``prior``, ``lcb``: the search's root statistics (``MoveInfo``).
- ``scoreLead`` (and ``scoreMean``, which KataGo defines as the same number): with a network
  that has an ownership head (``agent.ownership``), the network's score (the final area
  margin, komi included, averaged over the 8 symmetries) of the position after each reported
  move. Those positions are evaluated best move first, for at most a quarter of the report
  interval per report (at least 20 ms, about 3 ms each for a tiny 9x9 network), and kept for
  the rest of the command; a move not evaluated yet shows the score of the position itself.
  Without such a network, every move shows the dead-stone judge's expected score of the
  position (gtp/status.py ``expected_score``: the playout ownership summed, minus komi): a
  per-move judgement would cost 50 ms of playouts a move.
- ``ownership``: the network's ownership of the position (not the search tree's average,
  which KataGo prints), or without a network the judge's: random playouts, half with each
  side first, with Benson's pass-alive chains and their eyes set to their owner.

**Search limits.** ``maxPlayouts`` is ``--visits`` (new simulations a move; the reused
tree is not counted), ``maxTime`` ``--time-per-move`` (a GTP clock may shorten it), and
``maxVisits`` caps the root's visits, reused ones included, as KataGo defines them
(cpp/program/gtpconfig.cpp): a move then searches maxVisits less what the tree it reuses
already holds (at least one simulation). Every limit that is set applies; one must remain.

**Pondering** (``--ponder``, ``kata-set-param ponderingEnabled true``, ``lz-setoption name
pondering value true``): after the engine has played a move, while no command is waiting,
it searches the position (the opponent to move) in the agent's own tree, which the next
genmove then reuses. It never changes that genmove otherwise: the same budget of new
simulations, the same choice rules. It looks for the next command every 0.05 s (within
about 0.1 s of it arriving the command is answered; tests/test_kata_analyze.py measures it)
and resumes after a command that leaves the position as it was (``time_left``, ``name``).
"""
from __future__ import annotations

import dataclasses
import logging
from contextlib import contextmanager

from . import analysis
from .analyze_args import parse_analyze_args
from .avoid import restricted
from .engine import GtpCommandError, Stream, command, parse_bool, parse_float
from .estimates import Estimates, estimates_for

__all__ = ["KataCommands", "KATA_COMMANDS", "PARAMS", "UNLIMITED_VISITS", "UNLIMITED_TIME",
           "PONDER_POLL"]

log = logging.getLogger("gtp")

KATA_COMMANDS = ("kata-analyze", "kata-genmove_analyze", "kata-list-params", "kata-get-param",
                 "kata-set-param", "lz-setoption")
"""This mixin's commands: listed only for an agent with a search (handlers.SEARCH_COMMANDS)."""

PARAMS = ("maxVisits", "maxPlayouts", "maxTime", "ponderingEnabled")
UNLIMITED_VISITS = 1 << 50
"""KataGo's 'no limit' for visits and playouts (gtpconfig.cpp): this much or more."""
UNLIMITED_TIME = 1e20
PONDER_POLL = 0.05
"""Seconds between the ponder search's looks for the next command."""
SCORE_SHARE, SCORE_MIN_SECONDS = 0.25, 0.02
"""Per report, the moves' positions are scored by the network for at most this share of
the interval, or this many seconds."""

LZ_OPTIONS = {"visits": "maxVisits", "playouts": "maxPlayouts", "pondering": "ponderingEnabled"}


def _count(text: str) -> int:
    """A visit count: an integer of any size (KataGo writes 2^50 for no limit), or a float."""
    try:
        return int(text) if text.strip().isdigit() else int(float(text))
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a number of visits") from None


class KataCommands:
    """kata-analyze, kata-genmove_analyze, kata-*-param, lz-setoption and pondering."""

    pondering: bool = False
    """Search on the opponent's time after our move (--ponder)."""
    max_visits: int | None = None
    """kata-set-param maxVisits: the root's visits a move, the reused ones included."""
    _generated = None  # (move number after it, colour, action) of the last generated move

    # ------------------------------------------------------------------ kata-analyze
    def _estimates(self, game) -> Estimates:
        head = self._ownership_head()
        status = self._judge() if head is None and game is self.game else None
        return estimates_for(game, head, self.status_config, self.rules.komi, status)

    def _kata_reporter(self, game, parsed, emit):
        """report(result) writing kata-analyze lines for ``game`` under ``parsed``'s tags."""
        keep = self._root_filter(game.to_play, parsed.moves)
        budget = max(SCORE_MIN_SECONDS, SCORE_SHARE * parsed.interval / 100.0)
        estimates = []

        def report(result):
            if not estimates:  # on the first report: after the "=" line, inside the command
                estimates.append(self._estimates(game))
            est = estimates[0]
            leads = est.move_leads(analysis.reported_moves(result, parsed.max_moves, keep), budget)
            line = analysis.kata_info_line(result, self.size, leads, est.score,
                                           est.ownership if parsed.ownership else None,
                                           parsed.max_moves, keep)
            if line:
                emit(line)

        return report

    @command("kata-analyze")
    def cmd_kata_analyze(self, *args: str) -> Stream:
        parsed = parse_analyze_args(args, self.size, kata=True)
        game, forced = self._analysis_position(parsed, "kata-analyze")

        def produce(emit):
            self._search_until_input(game, forced, parsed.interval / 100.0,
                                     self._kata_reporter(game, parsed, emit), parsed.moves)

        return Stream(produce)

    @command("kata-genmove_analyze")
    def cmd_kata_genmove_analyze(self, *args: str) -> Stream:
        parsed = parse_analyze_args(args, self.size, kata=True, color_required=True)
        self._require_mcts("kata-genmove_analyze")
        game, _ = self._position_for(parsed.color)  # fails now if the game cannot go on

        def produce(emit):
            self._genmove_stream(parsed, self._kata_reporter(game, parsed, emit), emit)

        return Stream(produce)

    # ------------------------------------------------------------------ one move's search
    @contextmanager
    def _move_search(self, game, restrict=None):
        """Around the agent's search of one move (``_generate``): avoid/allow ``restrict``
        (a fresh tree, this process's MCTS restricted: gtp/avoid.py) and maxVisits (the
        budget of new simulations that brings the root to it)."""
        agent = self.agent
        saved = agent.budget
        if restrict:
            agent.reset()
        try:
            with restricted(self._searcher(restrict), game, restrict):
                if self.max_visits is not None:
                    reused = self.mcts.search(game, num_simulations=0).simulations
                    playouts = max(1, self.max_visits - reused)
                    agent.budget = dataclasses.replace(
                        saved, visits=playouts if saved.visits is None else min(saved.visits,
                                                                                playouts))
                yield
        finally:
            agent.budget = saved
            if restrict:
                agent.reset()

    # ------------------------------------------------------------------ pondering
    def idle(self) -> None:
        """Ponder: search the position after the move this engine just played until the next
        command arrives (GtpEngine.run calls this between commands)."""
        if not self.pondering or self._generated is None or self._agent is None:
            return
        game = self.game
        number, color, action = self._generated
        if game.move_number != number or game.last_move() != (color, action) or game.is_over():
            return
        if self.mcts is None:
            return
        log.debug("pondering")
        self._search_until_input(game, False, 0.0, poll=PONDER_POLL)

    # ------------------------------------------------------------------ parameters
    def _param(self, name: str) -> str:
        for known in PARAMS:
            if name.lower() == known.lower():
                return known
        raise GtpCommandError(f"unknown parameter {name!r}: the parameters are "
                              f"{', '.join(PARAMS)}")

    def _get_param(self, name: str) -> str:
        if name == "ponderingEnabled":
            return "true" if self.pondering else "false"
        budget = self.agent.budget
        if name == "maxVisits":
            return str(self.max_visits or UNLIMITED_VISITS)
        if name == "maxPlayouts":  # with no limit at all the budget's default visits apply
            playouts = budget.visits or (budget.default_visits if budget.seconds is None
                                         and self.max_visits is None else None)
            return str(playouts or UNLIMITED_VISITS)
        return f"{budget.seconds:g}" if budget.seconds else f"{UNLIMITED_TIME:g}"

    def _set_param(self, name: str, value: str) -> None:
        """Set a parameter from its text (ValueError for a bad value)."""
        if name == "ponderingEnabled":
            self.pondering = parse_bool(value)
            return
        agent = self.agent
        budget, max_visits = agent.budget, self.max_visits
        if name == "maxTime":
            seconds = parse_float(value)
            if seconds <= 0:
                raise ValueError(f"must be more than 0 seconds, got {value}")
            budget = dataclasses.replace(budget, seconds=None if seconds >= UNLIMITED_TIME
                                         else seconds)
        else:
            count = _count(value)
            if count < 1:
                raise ValueError(f"must be at least 1, got {value}")
            count = None if count >= UNLIMITED_VISITS else count
            if name == "maxVisits":
                max_visits = count
            else:
                budget = dataclasses.replace(budget, visits=count)
        if budget.visits is None and budget.seconds is None and max_visits is None:
            raise ValueError("one of maxVisits, maxPlayouts and maxTime must stay limited")
        agent.budget, self.max_visits = budget, max_visits

    @command("kata-list-params")
    def cmd_kata_list_params(self) -> str:
        self._require_mcts("kata-list-params")
        return " ".join(PARAMS)

    @command("kata-get-param")
    def cmd_kata_get_param(self, param: str) -> str:
        self._require_mcts("kata-get-param")
        return self._get_param(self._param(param))

    @command("kata-set-param")
    def cmd_kata_set_param(self, param: str, value: str) -> None:
        self._require_mcts("kata-set-param")
        name = self._param(param)
        try:
            self._set_param(name, value)
        except ValueError as exc:
            raise GtpCommandError(f"kata-set-param {name}: {exc}") from None

    @command("lz-setoption")
    def cmd_lz_setoption(self, *args: str) -> str | None:
        self._require_mcts("lz-setoption")
        if not args:
            visits, playouts = (int(self._get_param(p)) for p in ("maxVisits", "maxPlayouts"))
            return "\n".join([
                f"option name Visits type spin default "
                f"{0 if visits >= UNLIMITED_VISITS else visits} min 0 max 1000000000",
                f"option name Playouts type spin default "
                f"{0 if playouts >= UNLIMITED_VISITS else playouts} min 0 max 1000000000",
                f"option name Pondering type check default {self._get_param('ponderingEnabled')}"])
        lowered = [a.lower() for a in args]
        if lowered[0] != "name" or "value" not in lowered[1:] or lowered.index("value", 1) < 2:
            raise GtpCommandError("syntax error: usage: lz-setoption name <option> value <value>")
        at = lowered.index("value", 1)
        option, value = " ".join(lowered[1:at]), " ".join(args[at + 1:])
        if option not in LZ_OPTIONS:
            raise GtpCommandError(f"unknown option {' '.join(args[1:at])!r}: the options are "
                                  f"Visits, Playouts and Pondering")
        name = LZ_OPTIONS[option]
        if name != "ponderingEnabled" and value.strip() == "0":
            value = str(UNLIMITED_VISITS)  # Leela Zero's 0: no limit
        try:
            self._set_param(name, value)
        except ValueError as exc:
            raise GtpCommandError(f"lz-setoption {option}: {exc}") from None
        return None
