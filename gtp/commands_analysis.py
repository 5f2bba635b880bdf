"""The analysis commands of GTP: GoGui's analyze commands and Leela Zero's lz-analyze and
lz-genmove_analyze (with avoid and allow, gtp/avoid.py), a mixin of GoEngine
(gtp/handlers.py; the info lines are gtp/analysis.py's, the arguments gtp/analyze_args.py's).
KataGo's commands and pondering, which build on these, are gtp/commands_kata.py's."""
from __future__ import annotations

import time

import numpy as np

from goengine.search import RESIGN

from . import analysis
from .analyze_args import parse_analyze_args
from .avoid import restricted
from .commands_records import format_score
from .engine import GtpCommandError, Stream, command
from .estimates import agent_policy, ownership_head
from .status import DEAD, SEKI

__all__ = ["AnalysisCommands"]


class AnalysisCommands:
    """gogui-analyze_commands and its heat maps, win rate, principal variation, ownership
    (playouts, and the network's where it has an ownership head), score and dead stones;
    lz-analyze and lz-genmove_analyze, streamed until the next command."""

    # ------------------------------------------------------------------ analysis (GoGui)
    @command("gogui-analyze_commands")
    def cmd_gogui_analyze_commands(self) -> str:
        commands = [
            "gfx/Policy heat map/goengine-policy_heatmap",
            "gfx/Ownership (playouts)/goengine-ownership",
            "gfx/Dead stones (playouts)/goengine-dead_stones",
        ]
        if self.mcts is not None:
            commands[1:1] = [
                "gfx/Visit heat map/goengine-visit_heatmap",
                "string/Win rate/goengine-winrate",
                "gfx/Principal variation/goengine-pv",
            ]
        if self._ownership_head() is not None:
            commands[-2:-2] = [
                "gfx/Ownership (network)/goengine-network_ownership",
                "string/Score estimate (network)/goengine-network_score",
            ]
        return "\n".join(commands)

    def _ownership_head(self):
        """The agent's ``ownership(game) -> (ownership, score)`` (Black's view) when its network
        has an ownership head (--workers: this process's agent's), else None."""
        return ownership_head(self.agent)

    def _network_estimate(self):
        head = self._ownership_head()
        if head is None:
            raise GtpCommandError(f"--agent {self.agent_name} has no network with an ownership "
                                  f"head (a zero network with pooled heads has one); "
                                  f"goengine-ownership shows the playouts' ownership")
        return head(self.game)

    @command("goengine-network_ownership")
    def cmd_network_ownership(self) -> str:
        ownership, score = self._network_estimate()
        return "\n".join(line for line in (analysis.gfx_influence(ownership, self.size),
                                            f"TEXT network score {format_score(round(score, 1))}")
                         if line)

    @command("goengine-network_score")
    def cmd_network_score(self) -> str:
        _, score = self._network_estimate()
        leader = "Black" if score >= 0 else "White"
        return (f"{leader} leads by {abs(score):.1f} points (the network's score head: final "
                f"area, Black - White - komi {self.rules.komi:g})")

    def _analysis_result(self, what: str):
        self._require_mcts(what)
        game, forced = self._position_for(self.game.to_play)
        return self._search(game, forced), game

    def _policy(self) -> np.ndarray:
        game, forced = self._position_for(self.game.to_play)

        def root_prior():  # a search agent's: the root's priors after one simulation
            return self._search(game, forced, simulations=1).prior

        return agent_policy(self.agent, game, root_prior if self.mcts is not None else None)

    @command("goengine-policy_heatmap")
    def cmd_policy_heatmap(self) -> str:
        prior = self._policy()
        n = self.size * self.size
        labels = {a: f"{round(100 * prior[a])}" for a in range(n) if prior[a] >= 0.005}
        text = f"pass {100 * prior[n]:.1f}%" if prior.shape[0] > n else None
        return analysis.gfx_heatmap(prior, self.size, labels, text)

    @command("goengine-visit_heatmap")
    def cmd_visit_heatmap(self) -> str:
        result, _ = self._analysis_result("the visit heat map")
        n = self.size * self.size
        visits = result.visits.astype(np.float64)
        total = max(1.0, visits.sum())
        labels = {a: str(int(visits[a])) for a in range(n) if visits[a] / total >= 0.01}
        return analysis.gfx_heatmap(visits, self.size, labels,
                                    f"{int(total)} visits, pass {int(visits[n])}")

    @command("goengine-winrate")
    def cmd_winrate(self) -> str:
        result, game = self._analysis_result("the win rate")
        return analysis.winrate_text(result, game.to_play)

    @command("goengine-pv")
    def cmd_pv(self) -> str:
        result, game = self._analysis_result("the principal variation")
        if not result.moves:
            return ""
        return analysis.gfx_variation(result.moves[0].pv, game.to_play, self.size)

    @command("goengine-ownership")
    def cmd_ownership(self) -> str:
        return analysis.gfx_influence(self._judge().ownership, self.size)

    @command("goengine-dead_stones")
    def cmd_dead_stones(self) -> str:
        status = self._judge()
        lines = []
        if status.stones_with(DEAD):
            lines.append("MARK " + self._vertices(status.stones_with(DEAD)))
        if status.stones_with(SEKI):
            lines.append("TRIANGLE " + self._vertices(status.stones_with(SEKI)))
        lines.append(f"TEXT area score {format_score(status.score(self.rules.komi))}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ analysis (Leela Zero)
    def _analysis_position(self, parsed, what: str):
        """(game, forced) of an analysis command: a search agent's position for the colour."""
        self._require_mcts(what)
        return self._position_for(self.game.to_play if parsed.color is None else parsed.color)

    @staticmethod
    def _root_filter(color: int, moves):
        """keep(action) for a report under avoid/allow: the root moves ``color`` may play."""
        return None if not moves else (lambda action: moves.allows(color, 0, action))

    def _searcher(self, moves=None):
        """The search to run: the agent's, or with avoid/allow this process's own MCTS (the
        --workers helpers cannot be restricted; they sit those searches out)."""
        mcts = self.mcts
        return getattr(mcts, "main", mcts) if moves else mcts

    @command("lz-analyze")
    def cmd_lz_analyze(self, *args: str) -> Stream:
        parsed = parse_analyze_args(args, self.size)
        game, forced = self._analysis_position(parsed, "lz-analyze")
        keep = self._root_filter(game.to_play, parsed.moves)

        def produce(emit):
            report = self._lz_reporter(parsed, keep, emit)
            self._search_until_input(game, forced, parsed.interval / 100.0, report, parsed.moves)

        return Stream(produce)

    def _lz_reporter(self, parsed, keep, emit):
        """report(result): emit Leela Zero's info line of a search result (none when empty)."""
        def report(result):
            line = analysis.lz_info_line(result, self.size, parsed.max_moves, keep)
            if line:
                emit(line)
        return report

    def _search_until_input(self, game, forced, interval, report=None, moves=None,
                            poll: float = 0.1) -> None:
        """Search ``game`` until the next command arrives (or ``analysis_limit``), calling
        ``report(result)`` every ``interval`` seconds and once when it stops (never when 0),
        looking for the next command every ``poll`` seconds. Under avoid/allow ``moves`` the
        search runs in a fresh tree, forgotten afterwards (gtp/avoid.py)."""
        mcts = self._searcher(moves)
        start = time.monotonic()
        poll = min(interval, poll) if interval > 0 else poll
        last = [start]

        def stop() -> bool:
            if self.analysis_limit is not None and time.monotonic() - start >= self.analysis_limit:
                return True
            return self.input_pending()

        def progress(partial) -> bool:
            if report is not None and interval > 0 and time.monotonic() - last[0] >= interval:
                last[0] = time.monotonic()
                report(partial)
            return stop()

        with self._tree_for(forced or bool(moves)), restricted(mcts, game, moves):
            result = None
            while not stop():
                before = result.simulations if result is not None else -1
                result = mcts.search(game, seconds=3600.0, callback=progress,
                                     callback_interval=poll)
                self.last_result = result
                if result.simulations == before:  # the tree is full: wait for a command
                    time.sleep(poll)
            if result is not None and report is not None and interval > 0:
                report(result)

    @command("lz-genmove_analyze")
    def cmd_lz_genmove_analyze(self, *args: str) -> Stream:
        parsed = parse_analyze_args(args, self.size, color_required=True)
        self._position_for(parsed.color)  # fails now (a "?" reply) if the game cannot go on
        keep = self._root_filter(parsed.color, parsed.moves)

        def produce(emit):
            self._genmove_stream(parsed, self._lz_reporter(parsed, keep, emit), emit)

        return Stream(produce)

    def _genmove_stream(self, parsed, report, emit) -> None:
        """genmove for ``parsed.color`` under its avoid/allow, reporting while it thinks,
        then ``play <move>``: the body of lz-genmove_analyze and kata-genmove_analyze."""
        color = parsed.color
        action = self._generate(color, report=report, interval=parsed.interval / 100.0,
                                restrict=parsed.moves)
        if action != RESIGN:
            self._play(color, action)
        emit("play " + ("resign" if action == RESIGN else self._vertex(action)))
