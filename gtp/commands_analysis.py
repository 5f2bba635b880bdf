"""The analysis commands of GTP: GoGui's analyze commands and Leela Zero's lz-analyze and
lz-genmove_analyze, a mixin of GoEngine (gtp/handlers.py; the info lines are gtp/analysis.py's)."""
from __future__ import annotations

import time

import numpy as np

from goengine.coords import (
    BLACK, WHITE,
)
from goengine.search import RESIGN

from . import analysis
from .commands_records import format_score
from .engine import GtpCommandError, Stream, command
from .status import DEAD, SEKI


__all__ = ["AnalysisCommands"]



class AnalysisCommands:
    """gogui-analyze_commands and its heat maps, win rate, principal variation, ownership and
    dead stones; lz-analyze and lz-genmove_analyze, streamed until the next command."""

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
        return "\n".join(commands)

    def _analysis_result(self, what: str):
        self._require_mcts(what)
        game, forced = self._position_for(self.game.to_play)
        return self._search(game, forced), game

    def _policy(self) -> np.ndarray:
        game, forced = self._position_for(self.game.to_play)
        policy = getattr(self.agent, "policy", None)
        if policy is not None:
            return np.asarray(policy(game), dtype=np.float64)
        if self.mcts is not None:
            return self._search(game, forced, simulations=1).prior  # the root's priors
        # the random agent's own policy: uniform over legal moves that fill no own eye
        n = game.pass_action
        out = np.zeros(n + 1)
        legal = [a for a in np.flatnonzero(game.legal_mask()[:n]).tolist()
                 if not game.board.is_eye(a, game.to_play)]
        if legal:
            out[legal] = 1.0 / len(legal)
        else:
            out[n] = 1.0
        return out

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
    def _analyze_args(self, args: tuple[str, ...], color_required: bool):
        """Parse ``[color] [interval] [interval n] [maxmoves n] [minmoves n]``."""
        color, interval, max_moves = None, None, None
        tokens = list(args)
        if tokens and tokens[0].lower() in ("b", "w", "black", "white"):
            color = BLACK if tokens.pop(0).lower().startswith("b") else WHITE
        elif color_required:
            raise GtpCommandError("syntax error: a colour (b or w) comes first")
        if tokens and tokens[0].isdigit():
            interval = int(tokens.pop(0))
        while tokens:
            tag = tokens.pop(0).lower()
            if tag in ("interval", "maxmoves", "minmoves") and tokens and tokens[0].isdigit():
                value = int(tokens.pop(0))
                if tag == "interval":
                    interval = value
                elif tag == "maxmoves":
                    max_moves = value
            elif tag in ("avoid", "allow"):
                raise GtpCommandError(f"syntax error: the {tag} tag is not supported")
            else:
                raise GtpCommandError(f"syntax error: cannot parse analyze tag {tag!r}")
        return color, 100 if interval is None else interval, max_moves

    @command("lz-analyze")
    def cmd_lz_analyze(self, *args: str) -> Stream:
        color, interval, max_moves = self._analyze_args(args, color_required=False)
        self._require_mcts("lz-analyze")
        game, forced = self._position_for(self.game.to_play if color is None else color)

        def produce(emit):
            self._ponder(game, forced, interval / 100.0, max_moves, emit)

        return Stream(produce)

    def _ponder(self, game, forced, interval, max_moves, emit) -> None:
        """Search ``game`` until the next command arrives (or ``analysis_limit``), emitting
        an info line every ``interval`` seconds (none when 0) and one when it stops."""
        mcts = self.mcts
        start = time.monotonic()
        poll = min(interval, 0.1) if interval > 0 else 0.1
        last = [start]

        def stop() -> bool:
            if self.analysis_limit is not None and time.monotonic() - start >= self.analysis_limit:
                return True
            return self.input_pending()

        def progress(partial) -> bool:
            if interval > 0 and time.monotonic() - last[0] >= interval:
                last[0] = time.monotonic()
                line = analysis.lz_info_line(partial, self.size, max_moves)
                if line:
                    emit(line)
            return stop()

        with self._tree_for(forced):
            result = None
            while not stop():
                before = result.simulations if result is not None else -1
                result = mcts.search(game, seconds=3600.0, callback=progress,
                                     callback_interval=poll)
                self.last_result = result
                if result.simulations == before:  # the tree is full: wait for a command
                    time.sleep(poll)
            if result is not None and interval > 0:
                line = analysis.lz_info_line(result, self.size, max_moves)
                if line:
                    emit(line)

    @command("lz-genmove_analyze")
    def cmd_lz_genmove_analyze(self, *args: str) -> Stream:
        color, interval, _ = self._analyze_args(args, color_required=True)
        self._position_for(color)  # fails now (a "?" reply) if the game cannot go on

        def produce(emit):
            action = self._generate(color, emit=emit, interval=interval / 100.0)
            if action != RESIGN:
                self._play(color, action)
            emit("play " + ("resign" if action == RESIGN else self._vertex(action)))

        return Stream(produce)
