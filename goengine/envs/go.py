"""Go as a single-agent gymnasium environment: the agent plays one colour, an opponent
agent the other."""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..coords import BLACK, EMPTY, WHITE, check_size, color_name, opponent, to_gtp
from ..diagram import render as render_diagram
from ..errors import IllegalMoveError
from ..game import GameState, Rules
from .observation import NUM_PLANES, PLANES, observation
from .opponents import RESIGN, make_opponent
from .render import draw_board

__all__ = ["GoEnv", "observation", "NUM_PLANES", "PLANES"]

_AGENT_COLORS = {"black": BLACK, "white": WHITE, "random": EMPTY, "b": BLACK, "w": WHITE,
                 BLACK: BLACK, WHITE: WHITE}


class GoEnv(gym.Env):
    """Go against a fixed opponent, on an N x N board with area scoring.

    ## Description

    The agent plays one colour of a game of Go (area scoring, positional superko by
    default) against an *opponent*: any object with ``select_move(game) -> action``, such as
    ``goengine.agents.RandomAgent`` (the default) or a trained agent. Each ``step`` plays the
    agent's move and then the opponent's reply, so every observation finds the agent to move.

    ## Action Space

    ``Discrete(N*N + 1)``: action ``a < N*N`` places a stone on row ``a // N``, column
    ``a % N`` counted from the top-left corner (``goengine.coords``); ``N*N`` passes. The
    legal actions are ``info["action_mask"]`` (int8, 1 = legal, superko included), ready for
    ``env.action_space.sample(mask=info["action_mask"])``.

    ## Observation Space

    ``Box(0, 1, (6, N, N), uint8)``, the planes :data:`PLANES` seen by the agent: its own
    stones, the opponent's stones, the points where it may play now (ko and superko
    applied), its stones in atari, the opponent's stones in atari (chains with a single
    liberty), and a constant plane of ones when the agent plays black (the side that gives
    komi). :func:`observation` makes the same planes for any ``GameState``.

    ## Rewards

    0 on every step except the last: +1 when the agent wins, -1 when it loses (by the area
    score with komi, or by resignation), 0 for a draw or a truncated game. An illegal action
    gives -1 (see *Episode End*).

    ## Starting State

    An empty board. When the agent plays white, the opponent's first move is already on
    the board in the first observation.

    ## Episode End

    Terminated when the game ends (two consecutive passes or a resignation) or, with
    ``illegal_action="lose"`` (the default), when the agent plays an illegal move: the agent
    loses and ``info["illegal_move"]`` says why (e.g. ``"black D4 is illegal (ko): ..."``).
    With ``illegal_action="raise"`` the ``goengine.errors.IllegalMoveError`` subclass is
    raised instead and the state is unchanged. Truncated after ``max_moves`` moves of both
    players (default ``4 * N * N``).

    ## Information

    ``info`` holds ``action_mask`` (int8, shape ``(N*N+1,)``; all zeros once the game is
    over), ``agent_color`` and ``to_play`` (1 black, 2 white), ``move_number``,
    ``opponent_action`` (the reply just played, -1 for resignation, None before any), and
    at the end ``winner`` (1, 2, or 0 for a draw), ``score`` (black minus white minus komi)
    and ``result`` (``"B+3.5"``, ``"W+R"``, ``"0"``).

    ## Arguments

    ```python
    import gymnasium as gym
    import goengine.envs  # registers goengine/Go-v0, goengine/Go5x5-v0, ...
    env = gym.make("goengine/Go-v0", size=9, komi=7.5, opponent=None, agent_color="black")
    ```

    * ``size``: board size N, 2..25 (default 9).
    * ``komi``: points given to white (default 7.5).
    * ``opponent``: ``None`` or ``"random"`` for a random agent seeded by ``reset(seed=...)``,
      ``"pass"`` for one that always passes, or any object with ``select_move(game)``
      (``reset()`` is called at the start of each game when it has one).
    * ``agent_color``: ``"black"``, ``"white"`` or ``"random"`` (drawn at each reset).
    * ``superko``: ``"positional"``, ``"situational"`` or ``"simple"``.
    * ``max_moves``: moves (both players, passes included) before truncation.
    * ``illegal_action``: ``"lose"`` or ``"raise"``.
    * ``render_mode``: ``"ansi"`` (text diagram) or ``"rgb_array"`` (an image).
    * ``board_cls``: board implementation (default: the Cython board).

    ``reset(options={"agent_color": "white"})`` changes the colour for that episode.

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2}

    def __init__(self, size: int = 9, komi: float = 7.5, opponent: Any = None,
                 agent_color: str | int = "black", superko: str = "positional",
                 max_moves: int | None = None, illegal_action: str = "lose",
                 render_mode: str | None = None, board_cls=None):
        self.size = check_size(size)
        self.rules = Rules(komi=komi, superko=superko)
        if agent_color not in _AGENT_COLORS:
            raise ValueError(f"agent_color must be 'black', 'white' or 'random', "
                             f"got {agent_color!r}")
        self.agent_color_setting = _AGENT_COLORS[agent_color]
        if illegal_action not in ("lose", "raise"):
            raise ValueError(f"illegal_action must be 'lose' or 'raise', got {illegal_action!r}")
        self.illegal_action = illegal_action
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, "
                             f"got {render_mode!r}")
        self.render_mode = render_mode
        self.max_moves = 4 * self.size * self.size if max_moves is None else int(max_moves)
        if self.max_moves <= 0:
            raise ValueError(f"max_moves must be positive, got {max_moves}")
        self.board_cls = board_cls
        self.opponent, self._owns_opponent = make_opponent(opponent)

        n = self.size * self.size
        self.action_space = spaces.Discrete(n + 1)
        self.observation_space = spaces.Box(0, 1, (NUM_PLANES, self.size, self.size), np.uint8)
        self.game: GameState | None = None
        self.agent_color = BLACK
        self._last_opponent_action: int | None = None
        self._ended = self._illegal = False

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self._owns_opponent:
            self.opponent.rng = self.np_random  # seeded together with the environment
        color = self.agent_color_setting
        if options and "agent_color" in options:
            if options["agent_color"] not in _AGENT_COLORS:
                raise ValueError(f"options['agent_color'] must be 'black', 'white' or "
                                 f"'random', got {options['agent_color']!r}")
            color = _AGENT_COLORS[options["agent_color"]]
        if color == EMPTY:
            color = BLACK if self.np_random.random() < 0.5 else WHITE
        self.agent_color = color
        self.game = GameState(self.size, self.rules, board_cls=self.board_cls)
        self._last_opponent_action = None
        self._ended = self._illegal = False
        if hasattr(self.opponent, "reset"):
            self.opponent.reset()
        if self.agent_color == WHITE:
            self._opponent_move()
        return self._obs(), self._info()

    def step(self, action):
        if self.game is None:
            raise RuntimeError("call reset() before step()")
        if self._ended:
            raise RuntimeError("the episode is over: call reset() before step()")
        try:
            action = int(action)
        except (TypeError, ValueError):
            raise ValueError(f"action must be an integer, got {action!r}") from None
        game = self.game
        try:
            game.play(action)
        except IllegalMoveError as exc:
            if self.illegal_action == "raise":
                raise
            self._ended = self._illegal = True
            info = self._info()
            info["illegal_move"] = f"{_vertex(action, self.size)}: {exc}"
            info["winner"] = opponent(self.agent_color)
            return self._obs(), -1.0, True, False, info
        if not game.is_over():
            self._opponent_move()
        terminated = game.is_over()
        truncated = not terminated and game.move_number >= self.max_moves
        reward = self._reward() if terminated else 0.0
        self._ended = terminated or truncated
        return self._obs(), reward, terminated, truncated, self._info()

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; "
                            "make the env with render_mode='ansi' or 'rgb_array'")
            return None
        if self.game is None:
            raise RuntimeError("call reset() before render()")
        if self.render_mode == "ansi":
            return self._ansi()
        last = self.game.last_move()
        return draw_board(self.game.board.stones(), self.size,
                          last=None if last is None else last[1])

    # ------------------------------------------------------------------ helpers
    def _opponent_move(self) -> None:
        game = self.game
        action = int(self.opponent.select_move(game))
        self._last_opponent_action = action
        if action == RESIGN:
            game.resign(game.to_play)
            return
        try:
            game.play(action)
        except IllegalMoveError as exc:
            raise RuntimeError(f"the opponent {getattr(self.opponent, 'name', self.opponent)!r} "
                               f"played an illegal move: {exc}") from exc

    def _reward(self) -> float:
        winner = self.game.winner()
        if winner == EMPTY:
            return 0.0
        return 1.0 if winner == self.agent_color else -1.0

    def _legal(self) -> np.ndarray:
        """The agent's legal moves now; none once the game is over or lost by an illegal
        move (a truncated game keeps its legal moves: the position is not terminal)."""
        if self._illegal or self.game.is_over() or self.game.to_play != self.agent_color:
            return np.zeros(self.size * self.size + 1, np.uint8)
        return self.game.legal_mask()

    def _obs(self) -> np.ndarray:
        return observation(self.game, self.agent_color, self._legal())

    def _info(self) -> dict:
        game = self.game
        mask = self._legal().astype(np.int8)
        info = {
            "action_mask": mask,
            "agent_color": self.agent_color,
            "to_play": game.to_play,
            "move_number": game.move_number,
            "opponent_action": self._last_opponent_action,
        }
        if game.is_over() or game.move_number >= self.max_moves:
            info["winner"] = game.winner()
            info["score"] = game.score()
            info["result"] = game.result()
        return info

    def _ansi(self) -> str:
        game = self.game
        last = game.last_move()
        board = render_diagram(game.board.stones(), self.size,
                               last=None if last is None else last[1],
                               ko=game.board.ko if game.board.ko >= 0 else None)
        if game.is_over():
            status = f"game over: {game.result()}"
        else:
            status = f"{color_name(game.to_play)} to play"
        return (f"{board}\nmove {game.move_number}, {status}; agent plays "
                f"{color_name(self.agent_color)}, komi {self.rules.komi}\n")


def _vertex(action: int, size: int) -> str:
    try:
        return to_gtp(action, size)
    except ValueError:
        return f"action {action}"
