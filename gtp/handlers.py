"""The Go commands of the GTP engine: GTP v2 and the extensions GUIs use.

Here: the agent, the game and its moves, scoring and the board; handicap, clocks and SGF
are commands_records.py's, the analysis commands commands_analysis.py's, KataGo's analysis,
the search parameters and pondering commands_kata.py's (mixins).

``GoEngine`` is a ``gtp.engine.GtpEngine`` holding one game (``goengine.game.GameState``),
one agent (built from a goengine/agents/ spec, the flags mapped by ``gtp/players.py``), the
clocks (``gtp/timecontrol.py``) and the dead-stone judge (``gtp/status.py``). One method per
command; the arguments arrive converted from the signature (``Color`` -> BLACK/WHITE,
``Vertex`` -> action).

==========================  =================================================================
command                     reply
==========================  =================================================================
boardsize n                 new empty board (``unacceptable size`` outside 2..25 or what the
                            agent plays)
clear_board                 new empty board, clocks reset
komi x                      komi changed (moves already played are kept)
play c v                    ``illegal move: <reason>``
genmove c                   the move played (``pass``, ``resign``), within the time budget
undo                        ``cannot undo`` when no move is left
showboard                   the board with coordinates, captures, side to move
final_score                 ``B+3.5`` / ``W+0.5`` / ``0``: area score, dead stones removed
final_status_list s         chains (one per line) that are ``alive``, ``dead`` or ``seki``
time_settings m b s         GTP clock (absolute / Canadian / none)
kgs-time_settings ...       ``none``, ``absolute m``, ``canadian m b s``, ``byoyomi m p n``
time_left c t s             a clock report
kgs-genmove_cleanup c       genmove (``resign`` included), but while dead opponent stones remain a
                            pass, or any move after the opponent's pass, becomes a capture
fixed_handicap n            GNU Go's handicap points (``invalid number of stones``,
                            ``board not empty``)
place_free_handicap n       the engine's choice of n points
set_free_handicap v...      the controller's points (``bad vertex list``)
loadsgf f [n]               the game of file f, before move n (``cannot load file``)
printsgf [f]                the game as SGF (into file f when given)
reg_genmove c               the move genmove would choose, not played, no clock
list_stones c               the stones of colour c
is_legal c v                ``1`` or ``0``
kgs-rules r                 ``chinese``, ``aga``, ``new_zealand``, ``japanese``,
                            ``tromp-taylor``: ko and suicide rules; scoring is always by area
kgs-game_over               acknowledged
gogui-analyze_commands      GoGui's analyze commands (heat maps, ownership): commands_analysis.py
lz-analyze, lz-genmove_...  Leela Zero's streamed analysis (avoid, allow): commands_analysis.py
kata-analyze, kata-...      KataGo's analysis, kata-set-param, lz-setoption: commands_kata.py
==========================  =================================================================

A game that ended with two passes goes on when another move is played or generated (a
disputed end on KGS, ``kgs-genmove_cleanup``).
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

import numpy as np

import goengine
from goengine.coords import (
    EMPTY, check_size, color_name, from_gtp, opponent, to_gtp,
)
from goengine.agents import AGENT_KINDS, make_agent
from goengine.diagram import render
from goengine.errors import IllegalMoveError
from goengine.game import GameState, Rules
from goengine.search import RESIGN
from goengine.sgf import rules_to_text

from .engine import Color, GtpCommandError, GtpEngine, Vertex, command
from .commands_analysis import AnalysisCommands
from .commands_kata import KATA_COMMANDS, KataCommands
from .commands_records import GameRecordCommands, format_score, free_handicap_points  # noqa: F401  (re-exported)
from .players import PlayerOptions, agent_spec
from .status import ALIVE, DEAD, SEKI, StatusConfig, StatusResult, is_self_atari, judge
from .timecontrol import TimeConfig, TimeControl

__all__ = ["GoEngine", "format_score", "free_handicap_points", "KGS_RULES"]

log = logging.getLogger("gtp")

QUIT_POLL = 0.05
"""Seconds between a genmove search's looks for quit or the end of input (each look builds
the partial result, so not every few simulations)."""

SEARCH_COMMANDS = ("lz-analyze", "lz-genmove_analyze", "goengine-visit_heatmap", "goengine-winrate",
                   "goengine-pv") + KATA_COMMANDS
"""Commands that need the agent's search: listed only for an agent that has one."""

KGS_RULES = {
    # kgs-rules name -> (superko, suicide); scoring is by area under all of them
    "chinese": ("positional", False),
    "aga": ("situational", False),
    "new_zealand": ("situational", True),
    "tromp-taylor": ("positional", True),
    "japanese": ("simple", False),
}


class GoEngine(GameRecordCommands, KataCommands, AnalysisCommands, GtpEngine):
    """The Go engine behind ``python -m gtp`` / ``goengine-gtp``.

    ``agent``: an agent spec (goengine.agents: ``zero``, ``mcts:visits=800``, ...).
    ``options``: the command line's ``PlayerOptions`` (flags that are spec options, and
    the agent's context). ``resign_threshold``: resign when the side to move's win rate
    (root and best move) is below it, from move N*N/4 on (the spec's ``resign=2W-1``);
    None never resigns; ``...`` keeps the spec's (the kinds' default: 0.05).
    ``background``: build the agent (load its networks, import torch) in a thread, so that
    the first commands (protocol_version, name, list_commands) are answered at once; a
    command that needs the agent waits for it.
    """

    engine_name = "goengine"
    engine_version = goengine.__version__

    def __init__(self, agent: str = "mcts", options: PlayerOptions | None = None, *,
                 resign_threshold=...,
                 status_config: StatusConfig | None = None,
                 time_config: TimeConfig | None = None, background: bool = False):
        super().__init__()
        self.options = options or PlayerOptions()
        self.spec = agent_spec(agent, self.options, resign_threshold)
        self.agent_name = self.spec.kind
        self.agent_kind = AGENT_KINDS[self.spec.kind]
        self._agent = None
        self._agent_error: Exception | None = None
        self._loader: threading.Thread | None = None
        if background:
            self._loader = threading.Thread(target=self._build_agent, name="goengine-agent-loader",
                                            daemon=True)
            self._loader.start()
        else:
            self._agent = make_agent(self.spec, self.options.context())
        self.status_config = status_config or StatusConfig(
            seed=0 if self.options.seed is None else self.options.seed)
        self.size = check_size(self.options.size)
        self.rules = Rules(komi=self.options.komi)
        self.clock = TimeControl(config=time_config or TimeConfig())
        self.converters[Vertex] = self._parse_vertex
        self.game = GameState(self.size, self.rules)
        self.player_names: dict[int, str] = {}
        self.analysis_limit: float | None = None
        """Seconds after which lz-analyze stops by itself (None: only the next command
        stops it). For tests and scripts that cannot send a next command."""
        self._status_cache: tuple | None = None
        self.last_result = None
        """The SearchResult of the last search (genmove, analysis), for tests and logs."""

    def _build_agent(self) -> None:
        try:
            self._agent = make_agent(self.spec, self.options.context())
        except Exception as exc:  # noqa: BLE001 - reported by the first command that needs it
            self._agent_error = exc

    @property
    def agent(self):
        """The agent (built in the background: waits for it; a failed build is a GTP error)."""
        if self._agent is None and self._loader is not None:
            self._loader.join()
            if self._agent_error is not None:
                raise GtpCommandError(f"the agent could not be built: {self._agent_error}")
        return self._agent

    def agent_error(self) -> Exception | None:
        """Why the agent could not be built in the background (None: it was, or is built
        in the foreground); waits for the build."""
        if self._loader is not None:
            self._loader.join()
        return self._agent_error

    def close(self) -> None:
        """Stop the agent's helper processes, if it has any (``--workers``)."""
        if self._loader is not None:
            self._loader.join()
        close = getattr(self._agent, "close", None)
        if close is not None:
            close()

    # ------------------------------------------------------------------ helpers
    @property
    def mcts(self):
        return getattr(self.agent, "mcts", None)

    def _searches(self) -> bool:
        """Whether the agent searches, from its kind while it is still being built."""
        if self._agent is None and self._loader is not None and self._loader.is_alive():
            return self.agent_kind.searches
        return self.mcts is not None

    @property
    def commands(self) -> list[str]:
        """The listed commands less the search's analysis when the agent does not search."""
        listed = super().commands
        if self._searches():
            return listed
        return [name for name in listed if name not in SEARCH_COMMANDS]

    def cmd_known_command(self, command_name: str) -> str:
        known = self._find(command_name) is not None and (command_name not in SEARCH_COMMANDS
                                                          or self._searches())
        return "true" if known else "false"

    def _parse_vertex(self, token: str) -> int:
        return from_gtp(token, self.size)

    def _vertex(self, action: int) -> str:
        return to_gtp(action, self.size)

    def _vertices(self, actions) -> str:
        return " ".join(self._vertex(a) for a in actions)

    def _board_is_empty(self) -> bool:
        g = self.game
        return (not g.history and not g.handicap and not g.setup_white
                and g.board.num_empty == self.size * self.size)

    def _new_game(self, size: int | None = None) -> None:
        if size is not None:
            self.size = size
        self.game = GameState(self.size, self.rules)
        self.agent.reset()
        self.clock.reset()
        self.player_names.clear()
        self._status_cache = None
        self.last_result = None

    def _replay(self, rules: Rules) -> GameState:
        """The current game replayed under ``rules`` (komi or ko rule changed)."""
        old = self.game
        game = GameState(self.size, rules)
        if old.handicap or old.setup_white:
            game.setup_stones(old.handicap, old.setup_white,
                              to_play=old.history[0][0] if old.history else old.to_play)
        for color, action in old.history:
            if game.is_over():
                game.resume()
            game.play_color(color, action)
        return game

    def _require_mcts(self, what: str):
        mcts = self.mcts
        if mcts is None:
            kinds = sorted(name for name, kind in AGENT_KINDS.items() if kind.searches)
            raise GtpCommandError(f"{what} needs a search agent (--agent {', '.join(kinds)}); "
                                  f"--agent {self.agent_name} does not search")
        return mcts

    def _position_for(self, color: int) -> tuple[GameState, bool]:
        """A game with ``color`` to move and not over (the real one when it already is).
        The flag says whether the side to move was forced (the search tree must then be
        forgotten before and after searching it)."""
        game = self.game
        if game.is_over() or game.to_play != color:
            game = game.copy()
            if game.resigned != EMPTY:
                raise GtpCommandError("the game is over (resignation); undo it first")
            if game.is_over():
                game.resume()
        forced = game.to_play != color
        if forced:
            game.to_play = color  # GTP lets a colour move out of turn
        return game, forced

    def _judge(self) -> StatusResult:
        """Dead-stone judgement of the current position (cached per position)."""
        key = (self.game.board.hash, self.game.to_play, self.size)
        if self._status_cache is None or self._status_cache[0] != key:
            self._status_cache = (key, self._judge_game(self.game))
        return self._status_cache[1]

    def _judge_game(self, game: GameState) -> StatusResult:
        """The judge on ``game``: by the agent's ownership head when it has one (and the
        status config allows), else by random playouts."""
        ownership = None
        if self.status_config.use_network and getattr(self.agent, "ownership", None) is not None:
            ownership = self.agent.ownership(game)[0]
        return judge(game.board, self.status_config, game.to_play, ownership)

    @contextmanager
    def _tree_for(self, forced: bool):
        """The search tree for a position: a forced side to move (GTP lets a colour move out
        of turn) searches in a fresh tree, forgotten afterwards."""
        if forced:
            self.agent.reset()
        try:
            yield
        finally:
            if forced:
                self.agent.reset()

    def _search(self, game: GameState, forced: bool, simulations: int | None = None):
        """The agent's search of ``game`` for its budget, or for ``simulations``."""
        with self._tree_for(forced):
            if simulations is None:
                result = self.agent.search(game)
            else:
                result = self.mcts.search(game, num_simulations=simulations)
        self.last_result = result
        return result

    def _generate(self, color: int, *, use_clock: bool = True, cleanup: bool = False,
                  report=None, interval: float = 0.0, restrict=None) -> int:
        """Choose a move for ``color`` (an action, or RESIGN); nothing is played. A search
        agent's move, resignation included, is its own choice (``MCTS.choose``), within the
        avoid/allow ``restrict`` (gtp/avoid.py). ``report(result)`` is called every
        ``interval`` seconds (> 0) while it thinks, and at the end."""
        game, forced = self._position_for(color)
        start = time.monotonic()
        clock = self.clock.budget(color, self.game.board.num_empty) if use_clock else None
        seconds = None
        result = None
        if self.mcts is not None:
            last = [start]
            analysing = report is not None and interval > 0

            def progress(partial):
                if analysing and time.monotonic() - last[0] >= interval:
                    last[0] = time.monotonic()
                    report(partial)
                # quit or the end of input stops the search: the GUI will not wait for it
                return self.quit_pending()

            seconds = self.agent.budget.for_move(clock)[1]
            with self._tree_for(forced), self._move_search(game, restrict):
                action = int(self.agent.select_move(game, clock, progress,
                                                    max(0.01, interval) if analysing
                                                    else QUIT_POLL))
                result = self.last_result = self.agent.last_result
            if restrict:
                action = restrict.root_choice(game, action, result.moves)
            if analysing:
                report(result)
        else:
            action = int(self.agent.select_move(game))
        if action != RESIGN and action != game.pass_action and not game.is_legal(action):
            # the search knows only simple ko and the current position's hash: a move it
            # likes may repeat an earlier position (superko); take the next best instead
            legal = [m.action for m in (result.moves if result is not None else [])
                     if m.action == game.pass_action or game.is_legal(m.action)]
            log.warning("agent %s chose the illegal move %s; playing %s instead",
                        self.agent_name, self._vertex(action),
                        self._vertex(legal[0]) if legal else "pass")
            action = legal[0] if legal else game.pass_action
        if cleanup and action != RESIGN and (action == game.pass_action
                                             or game.consecutive_passes >= 1):
            action = self._cleanup_move(game, color, action, result)
        elapsed = time.monotonic() - start
        if use_clock:
            self.clock.spend(color, elapsed)
        self._log_move(color, action, result, elapsed, seconds)
        self._generated = (self.game.move_number + 1, color, action)  # pondering starts there
        return action

    def _cleanup_move(self, game: GameState, color: int, action: int, result) -> int:
        """kgs-genmove_cleanup at the end of the game: when the search chose to pass, or the
        opponent has just passed, and opponent stones judged dead remain, play the searched
        move that takes a liberty of a dead chain and is not a self-atari, else any such
        move, else the best searched non-pass move; with none left dead, the search's own
        `action`. Mid-game (the opponent did not pass) a search move is never replaced, as
        in Leela Zero and KataGo: the arena sends kgs-genmove_cleanup for every move, and
        overriding the search whenever the judge sees a dead stone would answer every
        invasion on its liberties. After the opponent's pass a random-playout search sees
        every move inside its own area as equal and would fill it in any order, so the
        capture is chosen for it. (A resignation is returned as it is by the caller.)"""
        n = game.pass_action
        status = self._judge_game(game)
        dead = [c for c in status.groups(DEAD) if status.stones[c[0]] == opponent(color)]
        if not dead:
            return action
        safe = []
        for chain in sorted(dead, key=lambda c: game.board.liberties(c[0])):
            for lib in game.board.chain_liberties(chain[0]):
                if lib not in safe and game.is_legal(lib) and not is_self_atari(game.board, lib, color):
                    safe.append(lib)
        searched = [m.action for m in (result.moves if result is not None else [])]
        for a in searched:
            if a in safe:
                return a
        if safe:
            return safe[0]
        for a in searched:
            if a != n and game.is_legal(a):
                return a
        return n

    def _log_move(self, color, action, result, elapsed, seconds) -> None:
        move = "resign" if action == RESIGN else self._vertex(action)
        text = f"{color_name(color)} {move} in {elapsed:.2f} s"
        if seconds is not None:
            text += f" (budget {seconds:.2f} s, {self.clock.describe(color)})"
        if result is not None and result.moves:
            best = result.moves[0]
            pv = " ".join(self._vertex(a) for a in best.pv[:10])
            text += (f": {result.simulations} visits, win rate {100 * result.winrate:.1f}%, "
                     f"pv {pv}")
        log.info(text)

    def _play(self, color: int, action: int) -> None:
        if self.game.is_over() and self.game.resigned == EMPTY:
            self.game.resume()
        self.game.play_color(color, action)

    # ------------------------------------------------------------------ setup
    def cmd_boardsize(self, size: int) -> None:
        try:
            check_size(size)
        except ValueError:
            raise GtpCommandError("unacceptable size") from None
        sizes = getattr(self.agent, "board_sizes", None)
        if sizes is not None and size not in sizes:
            raise GtpCommandError(f"unacceptable size (--agent {self.agent_name} plays "
                                  f"{', '.join(map(str, sorted(sizes)))})")
        self._new_game(size)

    def cmd_clear_board(self) -> None:
        self._new_game()

    def cmd_komi(self, komi: float) -> None:
        self.rules = Rules(komi=komi, superko=self.rules.superko, suicide=self.rules.suicide)
        self.game = self._replay(self.rules)
        self._status_cache = None

    @command("kgs-rules")
    def cmd_kgs_rules(self, rules: str) -> None:
        key = rules.lower().replace(" ", "_")
        if key not in KGS_RULES:
            raise GtpCommandError(f"unknown rules {rules!r}: expected one of "
                                  f"{', '.join(KGS_RULES)}")
        superko, suicide = KGS_RULES[key]
        new = Rules(komi=self.rules.komi, superko=superko, suicide=suicide)
        try:
            game = self._replay(new)
        except IllegalMoveError as exc:
            raise GtpCommandError(f"the game so far is illegal under {rules}: {exc}") from None
        self.rules, self.game = new, game
        if key == "japanese":
            log.info("kgs-rules japanese: simple ko; the engine still scores by area")

    @command("kgs-game_over")
    def cmd_kgs_game_over(self) -> None:
        log.info("game over: %s", self.game.result() if self.game.is_over() else "")

    # ------------------------------------------------------------------ moves
    def cmd_play(self, color: Color, vertex: Vertex) -> None:
        try:
            self._play(color, vertex)
        except IllegalMoveError as exc:
            raise GtpCommandError(f"illegal move: {self._vertex(vertex)} ({exc.reason})") from None

    def cmd_genmove(self, color: Color) -> str:
        action = self._generate(color)
        if action == RESIGN:
            return "resign"
        self._play(color, action)
        return self._vertex(action)

    def cmd_reg_genmove(self, color: Color) -> str:
        action = self._generate(color, use_clock=False)
        return "resign" if action == RESIGN else self._vertex(action)

    @command("kgs-genmove_cleanup")
    def cmd_kgs_genmove_cleanup(self, color: Color) -> str:
        action = self._generate(color, cleanup=True)
        if action == RESIGN:
            return "resign"
        self._play(color, action)
        return self._vertex(action)

    @command(ignore_extra=True)  # qgo sends "undo 0"; GNU Go takes back one move whatever follows
    def cmd_undo(self) -> None:
        try:
            self.game.undo()
        except ValueError:
            raise GtpCommandError("cannot undo") from None

    def cmd_is_legal(self, color: Color, vertex: Vertex) -> str:
        game = self.game
        if game.is_over() and game.resigned == EMPTY:
            game = game.copy()
            game.resume()
        return "1" if game.is_legal(vertex, color) else "0"

    def cmd_list_stones(self, color: Color) -> str:
        return self._vertices(np.flatnonzero(self.game.board.stones() == color).tolist())

    # ------------------------------------------------------------------ scoring
    @command(ignore_extra=True)  # qgo sends an argument; GNU Go ignores it
    def cmd_final_score(self) -> str:
        if self.game.resigned != EMPTY:
            return self.game.result()
        return format_score(self._judge().score(self.rules.komi))

    def cmd_final_status_list(self, status: str) -> str:
        status = status.lower()
        if status not in (ALIVE, DEAD, SEKI):
            raise GtpCommandError(f"syntax error: invalid status {status!r} (alive, dead or seki)")
        return "\n".join(self._vertices(chain) for chain in self._judge().groups(status))

    # ------------------------------------------------------------------ display
    def cmd_showboard(self) -> str:
        g = self.game
        last = g.last_move()
        ko = g.board.ko if g.board.ko >= 0 and g.board.ko_color == g.to_play else None
        lines = [render(g.board.stones(), self.size, last=last[1] if last else None, ko=ko)]
        black, white = g.board.captures
        lines.append(f"Black (X) has captured {black} stones, White (O) {white}")
        status = "game over" if g.is_over() else f"{color_name(g.to_play)} to play"
        lines.append(f"Move {g.move_number}, {status}, komi {self.rules.komi:g}, "
                     f"{rules_to_text(self.rules)} rules")
        return "\n" + "\n".join(lines)
