"""The game: a board plus side to move, passes, superko history, undo, handicap and result.

The board (``goengine._board.Board`` or ``goengine.board_ref.Board``) knows only stones,
captures and simple ko. ``GameState`` adds what a whole game needs:

* **Side to move** (``to_play``), the move list (``history`` of ``(colour, action)``) and
  the count of ``consecutive_passes``. The game is over after two consecutive passes or a
  resignation; ``play`` then raises ``GameOverError``.
* **Superko** (``Rules.superko``), checked against ``positions``, the keys of every
  position of the game so far (the start position, after any handicap or setup stones,
  included; one entry per move, passes included):

  ============== ================================================================
  ``positional`` a move may not recreate the stones of any earlier position
                 (key = the board's Zobrist stone hash)
  ``situational`` a move may not recreate an earlier position *with the same side
                 to move* (key = stone hash XOR ``zobrist.TO_PLAY_KEY`` when white
                 is to move)
  ``simple``     no superko: only the board's simple ko (the hashes are still kept)
  ============== ================================================================

  A pass is always legal. With ``Rules.suicide`` a suicide is played and removes the
  mover's chain; under positional superko a one-stone suicide therefore repeats the
  position and is refused, as in the Tromp-Taylor and New Zealand rules.
* **Undo** to any earlier move: every move plays on a fresh copy of the board and keeps
  the previous one, so ``undo()`` restores the exact earlier state (stones, captures, ko,
  side to move, passes, superko history). The board objects are never changed once they
  are installed, which also lets ``copy()`` share them between games.
* **Handicap**: ``place_fixed_handicap(n)`` puts the stones where GNU Go 3.8 does
  (``fixed_handicap_points``); ``set_free_handicap(actions)`` takes any points. White moves
  next. Handicap stones are setup, not moves: they are not in ``history`` and cannot be
  undone.
* **Scoring**: area (Tromp-Taylor: stones plus empty regions bordered by one colour only,
  every stone alive), black minus white minus komi; ``result()`` in SGF's ``RE`` form.

Illegal moves raise the ``goengine.errors.IllegalMoveError`` subclass that names the
reason; the state is left unchanged.

Over 500 lines because the rules are one concept: moves, passes, superko, undo, handicap
and the result share the game's state and each needs the others' invariants.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from .coords import BLACK, EMPTY, WHITE, check_size, color_name, neighbors, opponent, to_gtp
from .errors import (
    GameOverError,
    IllegalMoveError,
    OffBoardError,
    SuperkoError,
    WrongColorError,
)
from .zobrist import KEYS, TO_PLAY_KEY

__all__ = ["Rules", "GameState", "SUPERKO_KINDS", "fixed_handicap_points",
           "max_fixed_handicap", "format_result"]

SUPERKO_KINDS = ("positional", "situational", "simple")


@dataclass(frozen=True)
class Rules:
    """The rules a game is played under. Scoring is always by area (Tromp-Taylor)."""

    komi: float = 7.5
    """Points given to white; the score is black area - white area - komi."""
    superko: str = "positional"
    """"positional", "situational" or "simple" (simple ko only); see the module docstring."""
    suicide: bool = False
    """Whether a move that leaves its own chain without liberties is allowed (the chain is
    then removed, as in the New Zealand and Tromp-Taylor rules)."""

    def __post_init__(self):
        if self.superko not in SUPERKO_KINDS:
            raise ValueError(f"unknown superko kind {self.superko!r}: expected one of "
                             f"{', '.join(SUPERKO_KINDS)}")
        try:
            komi = float(self.komi)
        except (TypeError, ValueError):
            raise ValueError(f"komi must be a number, got {self.komi!r}") from None
        if komi != komi or komi in (float("inf"), float("-inf")):
            raise ValueError(f"komi must be finite, got {self.komi!r}")
        object.__setattr__(self, "komi", komi)
        object.__setattr__(self, "suicide", bool(self.suicide))


# ----------------------------------------------------------------------------- handicap
# GNU Go 3.8 (engine/handicap.c, place_fixed_handicap) places stones from this table of
# (row, col) codes: 2 and -2 stand for the third line from either edge (the fourth on
# boards larger than 11x11), 0 for the middle line; 5 and 7 stones put tengen first and
# then take the first 4 and 6 entries.
_GNUGO_PLACES = ((2, -2), (-2, 2), (2, 2), (-2, -2), (0, 2), (0, -2), (2, 0), (-2, 0),
                 (0, 0))


def max_fixed_handicap(size: int) -> int:
    """The largest fixed handicap GNU Go gives on a ``size`` board: 9 on odd sizes from
    9x9, 4 on 7x7, 8x8 and even sizes from 10x10, none (0) below 7x7."""
    size = check_size(size)
    if size % 2 == 1 and size >= 9:
        return 9
    if size >= 7:
        return 4
    return 0


def fixed_handicap_points(size: int, n: int) -> list[int]:
    """The actions of GNU Go's fixed handicap of ``n`` stones on a ``size`` board, sorted
    row-major from the top-left (the order in which GNU Go's ``fixed_handicap`` lists them).

    The placement is GNU Go 3.8's for every size it accepts (up to 19x19), checked against
    the real program by tests/test_gnugo.py; the same rule is applied to 20x20..25x25.
    ValueError when GNU Go refuses the count: ``n < 2``, or more than
    ``max_fixed_handicap(size)`` (so no fixed handicap at all below 7x7)."""
    size = check_size(size)
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"handicap must be an integer, got {n!r}") from None
    top = max_fixed_handicap(size)
    if top == 0:
        raise ValueError(f"no fixed handicap on a {size}x{size} board (GNU Go places fixed "
                         f"handicap stones only from 7x7 up)")
    if not 2 <= n <= top:
        raise ValueError(f"invalid fixed handicap {n} for a {size}x{size} board: must be "
                         f"2..{top}")
    three = 3 if size > 11 else 2
    mid = size // 2

    def line(code: int) -> int:
        if code == 0:
            return mid
        value = three if code > 0 else -three
        return value + size - 1 if value < 0 else value

    points = []
    remaining = n
    if n in (5, 7):
        points.append(mid * size + mid)
        remaining -= 1
    for code_row, code_col in _GNUGO_PLACES[:remaining]:
        points.append(line(code_row) * size + line(code_col))
    return sorted(points)


def format_result(winner: int, margin: float | None = None) -> str:
    """SGF ``RE`` text: ``"B+3.5"``, ``"W+R"`` (margin None = resignation), ``"0"`` (draw)."""
    if winner == EMPTY:
        return "0"
    letter = "B" if winner == BLACK else "W"
    if margin is None:
        return f"{letter}+R"
    return f"{letter}+{abs(float(margin)):g}"


# ----------------------------------------------------------------------------- the game
class _Undo(NamedTuple):
    """What ``undo`` restores. ``kind`` is "move" (a board move or pass, also recorded in
    ``history`` and ``positions``) or "resign"."""

    kind: str
    board: object
    to_play: int
    consecutive_passes: int
    resigned: int


def _default_board_cls():
    try:
        from ._board import Board
    except ImportError as exc:
        raise ImportError(
            f"the Cython board goengine._board does not import ({exc}); build it with "
            f"`python setup.py build_ext --inplace`, or pass board_cls="
            f"goengine.board_ref.Board") from exc
    return Board


class GameState:
    """One game of Go: see the module docstring.

    Attributes (read them, do not assign): ``size``, ``rules``, ``board`` (the current
    Board; never mutate it), ``to_play``, ``history`` (list of ``(colour, action)``),
    ``consecutive_passes``, ``handicap`` (black setup stones, sorted), ``setup_white``
    (white setup stones, from SGF ``AW``; normally empty), ``resigned`` (the colour that
    resigned, or EMPTY).
    """

    def __init__(self, size: int = 9, rules: Rules | None = None, board_cls=None):
        self.size = check_size(size)
        self.rules = Rules() if rules is None else rules
        if not isinstance(self.rules, Rules):
            raise TypeError(f"rules must be a goengine.game.Rules, got {self.rules!r}")
        self.board_cls = _default_board_cls() if board_cls is None else board_cls
        self.board = self.board_cls(self.size)
        self.to_play = BLACK
        self.history: list[tuple[int, int]] = []
        self.consecutive_passes = 0
        self.handicap: list[int] = []
        self.setup_white: list[int] = []
        self.resigned = EMPTY
        self._undo: list[_Undo] = []
        self._positions: list[int] = []
        self._stone_hashes: list[int] = []
        self._position_counts: dict[int, int] = {}
        self._record_position()

    # ------------------------------------------------------------------ basic queries
    @property
    def move_number(self) -> int:
        """Moves played so far, passes included (setup stones are not moves)."""
        return len(self.history)

    @property
    def positions(self) -> tuple[int, ...]:
        """Superko keys of every position so far, oldest first (the current one last)."""
        return tuple(self._positions)

    @property
    def pass_action(self) -> int:
        return self.size * self.size

    def is_over(self) -> bool:
        """True after two consecutive passes or a resignation."""
        return self.consecutive_passes >= 2 or self.resigned != EMPTY

    def last_move(self) -> tuple[int, int] | None:
        """The last ``(colour, action)`` played, or None at the start."""
        return self.history[-1] if self.history else None

    def stone_hashes(self) -> list[int]:
        """Zobrist stone hashes of every position so far, oldest first (the current one
        last), whatever the superko kind (for a search's own positional superko check)."""
        return list(self._stone_hashes)

    def recent_stones(self, length: int) -> np.ndarray:
        """int8 array ``(length, N*N)``: the stones of the current position (row 0) and of
        the ``length - 1`` positions before it (row k: k moves ago, passes included), rows
        of zeros (empty boards) before the start of the game."""
        out = np.zeros((length, self.pass_action), dtype=np.int8)
        boards = [self.board] + [e.board for e in reversed(self._undo) if e.kind == "move"]
        for row, board in enumerate(boards[:length]):
            out[row] = board.stones()
        return out

    # ------------------------------------------------------------------ superko
    def _key(self, stone_hash: int, to_play: int) -> int:
        """The superko key of a position: its stone hash, and for situational superko
        the side to move folded in."""
        if self.rules.superko == "situational" and to_play == WHITE:
            return stone_hash ^ TO_PLAY_KEY
        return stone_hash

    def _record_position(self) -> None:
        key = self._key(self.board.hash, self.to_play)
        self._positions.append(key)
        self._stone_hashes.append(self.board.hash)
        self._position_counts[key] = self._position_counts.get(key, 0) + 1

    def _forget_position(self) -> None:
        self._stone_hashes.pop()
        key = self._positions.pop()
        left = self._position_counts[key] - 1
        if left:
            self._position_counts[key] = left
        else:
            del self._position_counts[key]

    def _hash_after(self, action: int, color: int) -> int:
        """Stone hash after ``color`` plays the board-legal point ``action`` (not pass)."""
        board = self.board
        other = opponent(color)
        h = board.hash ^ int(KEYS[color - 1, action])
        captured = False
        seen: set[int] = set()
        for nb in neighbors(action, self.size):
            if nb not in seen and board.color_at(nb) == other and board.liberties(nb) == 1:
                chain = board.chain(nb)
                seen.update(chain)
                h ^= int(np.bitwise_xor.reduce(KEYS[other - 1, chain]))
                captured = True
        if not captured and self.rules.suicide and not board.is_legal(action, color, False):
            # a suicide (legal only because the rules allow it) removes the mover's chain
            after = board.copy()
            after.play(action, color, allow_suicide=True)
            return after.hash
        return h

    def _repeats(self, action: int, color: int) -> bool:
        """Whether the board-legal point ``action`` by ``color`` breaks superko."""
        if self.rules.superko == "simple":
            return False
        key = self._key(self._hash_after(action, color), opponent(color))
        return key in self._position_counts

    # ------------------------------------------------------------------ legality
    def _check_color(self, color) -> int:
        if color not in (BLACK, WHITE):
            raise WrongColorError(f"colour must be BLACK (1) or WHITE (2), got {color!r}")
        return int(color)

    def _check_action(self, action) -> int:
        try:
            action = operator.index(action)
        except TypeError:
            raise OffBoardError(f"action must be an integer, got {action!r}",
                                action=None) from None
        if not 0 <= action <= self.pass_action:
            raise OffBoardError(f"action {action} is off a {self.size}x{self.size} board "
                                f"(0..{self.pass_action}, {self.pass_action} = pass)",
                                action=action)
        return action

    def is_legal(self, action: int, color: int | None = None) -> bool:
        """Whether ``color`` (default: the side to move) may play ``action`` now, superko
        included. False for everything once the game is over, and for off-board actions."""
        color = self.to_play if color is None else self._check_color(color)
        try:
            action = self._check_action(action)
        except OffBoardError:
            return False
        if self.is_over():
            return False
        if action == self.pass_action:
            return True
        if not self.board.is_legal(action, color, self.rules.suicide):
            return False
        return not self._repeats(action, color)

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """uint8 array of shape ``(N*N + 1,)``, 1 where ``is_legal`` (the last entry is
        pass). All zeros once the game is over."""
        color = self.to_play if color is None else self._check_color(color)
        n = self.pass_action
        if self.is_over():
            return np.zeros(n + 1, dtype=np.uint8)
        mask = np.array(self.board.legal_mask(color, self.rules.suicide), dtype=np.uint8)
        if self.rules.superko == "simple":
            return mask
        keys = self._keys_after_all(color).tolist()
        counts = self._position_counts
        for a in np.flatnonzero(mask[:n]).tolist():
            if keys[a] in counts:
                mask[a] = 0
        return mask

    def _keys_after_all(self, color: int) -> np.ndarray:
        """Superko keys of the positions after ``color`` plays each point (uint64 array of
        N*N entries; only meaningful where the board allows the move)."""
        board = self.board
        n = self.pass_action
        other = opponent(color)
        keys = np.uint64(board.hash) ^ KEYS[color - 1, :n]
        stones = board.stones()
        # a move on the single liberty of an opponent chain in atari captures that chain
        seen: set[int] = set()
        for p in np.flatnonzero(stones == other).tolist():
            if board.liberties(p) != 1 or p in seen:
                continue
            chain = board.chain(p)
            seen.update(chain)
            (lib,) = board.chain_liberties(p)
            keys[lib] ^= np.bitwise_xor.reduce(KEYS[other - 1, chain])
        if self.rules.suicide:
            plain = board.legal_mask(color, False)
            loose = board.legal_mask(color, True)
            for a in np.flatnonzero(loose[:n] & ~plain[:n]).tolist():
                keys[a] = np.uint64(self._hash_after(a, color))
        if self.rules.superko == "situational" and other == WHITE:
            keys ^= np.uint64(TO_PLAY_KEY)
        return keys

    # ------------------------------------------------------------------ moves
    def play(self, action: int) -> None:
        """Play ``action`` for the side to move (pass = N*N)."""
        self.play_color(self.to_play, action)

    def play_color(self, color: int, action: int) -> None:
        """Play ``action`` for ``color``, whether or not it is that colour's turn (GTP
        ``play``); the opponent of ``color`` moves next. Raises an IllegalMoveError
        subclass (OffBoardError, OccupiedError, KoError, SuicideError, SuperkoError,
        GameOverError, WrongColorError) and leaves the state unchanged."""
        color = self._check_color(color)
        action = self._check_action(action)
        if self.is_over():
            why = "a resignation" if self.resigned != EMPTY else "two passes"
            raise GameOverError(f"the game is over (after {why}): "
                                f"{color_name(color)} cannot play", action=action)
        after = self.board.copy()
        try:
            after.play(action, color, allow_suicide=self.rules.suicide)
        except IllegalMoveError as exc:
            raise type(exc)(f"{color_name(color)} {to_gtp(action, self.size)} is illegal "
                            f"({exc.reason}): {exc}", action=action) from exc
        if action != self.pass_action and self.rules.superko != "simple":
            key = self._key(after.hash, opponent(color))
            if key in self._position_counts:
                raise SuperkoError(f"{color_name(color)} {to_gtp(action, self.size)} is "
                                   f"illegal: it repeats an earlier position "
                                   f"({self.rules.superko} superko)", action=action)
        self._undo.append(_Undo("move", self.board, self.to_play, self.consecutive_passes,
                                self.resigned))
        self.board = after
        self.history.append((color, action))
        self.consecutive_passes = (self.consecutive_passes + 1
                                   if action == self.pass_action else 0)
        self.to_play = opponent(color)
        self._record_position()

    def pass_move(self) -> None:
        """Pass for the side to move."""
        self.play(self.pass_action)

    def resign(self, color: int | None = None) -> None:
        """``color`` (default: the side to move) resigns; the game is over. Undoable."""
        color = self.to_play if color is None else self._check_color(color)
        if self.is_over():
            raise GameOverError(f"the game is already over: {color_name(color)} cannot "
                                f"resign")
        self._undo.append(_Undo("resign", self.board, self.to_play, self.consecutive_passes,
                                self.resigned))
        self.resigned = color

    def undo(self) -> None:
        """Take back the last move (or resignation), restoring the state exactly as it
        was before it. ValueError when there is nothing to undo (setup stones are not
        moves and stay)."""
        if not self._undo:
            raise ValueError("nothing to undo: no move has been played")
        entry = self._undo.pop()
        self.board = entry.board
        self.to_play = entry.to_play
        self.consecutive_passes = entry.consecutive_passes
        self.resigned = entry.resigned
        if entry.kind == "move":
            self.history.pop()
            self._forget_position()

    def resume(self) -> None:
        """Let play go on after two passes (a disputed end: GTP's kgs-genmove_cleanup, or a
        GUI that plays on): the pass count is reset; the passes stay in the history."""
        if self.resigned != EMPTY:
            raise GameOverError("the game ended by resignation and cannot resume")
        self.consecutive_passes = 0

    def copy(self) -> "GameState":
        """An independent copy (boards are shared: they are never mutated)."""
        other = GameState.__new__(GameState)
        other.__dict__.update(self.__dict__)
        other.history = self.history[:]
        other.handicap = self.handicap[:]
        other.setup_white = self.setup_white[:]
        other._undo = self._undo[:]
        other._positions = self._positions[:]
        other._stone_hashes = self._stone_hashes[:]
        other._position_counts = dict(self._position_counts)
        return other

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    # ------------------------------------------------------------------ setup
    def _check_fresh(self, what: str) -> None:
        if self.history or self._undo:
            raise ValueError(f"{what}: the game has already started "
                             f"({self.move_number} moves played)")
        if self.handicap or self.setup_white or self.board.num_empty != self.pass_action:
            raise ValueError(f"{what}: the board is not empty")

    def place_fixed_handicap(self, n: int) -> list[int]:
        """Put GNU Go's fixed handicap of ``n`` stones on the empty board (see
        ``fixed_handicap_points``); white moves next. Returns the actions."""
        self._check_fresh("cannot place a fixed handicap")
        points = fixed_handicap_points(self.size, n)
        self.setup_stones(points)
        return list(points)

    def set_free_handicap(self, actions: Iterable[int]) -> None:
        """Put black handicap stones on the given points of the empty board, before the
        first move; white moves next. ValueError unless the points are distinct, on the
        board (not pass) and at least one (at most N*N - 1)."""
        self._check_fresh("cannot set a free handicap")
        actions = list(actions)
        if not actions:
            raise ValueError("a free handicap needs at least one stone")
        self.setup_stones(actions)

    def setup_stones(self, black: Sequence[int] = (), white: Sequence[int] = (),
                     to_play: int | None = None) -> None:
        """Put setup stones (SGF ``AB``/``AW``) on the empty board before the first move.
        ``to_play`` defaults to WHITE when there are black stones only (handicap), else
        BLACK. The setup position starts the superko history. ValueError for a point off
        the board, a point given twice, or stones that would leave a chain without
        liberties."""
        self._check_fresh("cannot add setup stones")
        n = self.pass_action
        black_pts = [self._setup_point(a) for a in black]
        white_pts = [self._setup_point(a) for a in white]
        every = black_pts + white_pts
        if len(set(every)) != len(every):
            twice = sorted({a for a in every if every.count(a) > 1})
            raise ValueError("setup point given twice: "
                             + ", ".join(to_gtp(a, self.size) for a in twice))
        if len(every) >= n:
            raise ValueError(f"{len(every)} setup stones do not fit on a {self.size}x"
                             f"{self.size} board (at most {n - 1})")
        board = self.board.copy()
        for color, points in ((BLACK, black_pts), (WHITE, white_pts)):
            for a in points:
                try:
                    captured = board.play(a, color)
                except IllegalMoveError:
                    captured = -1
                if captured:
                    raise ValueError("setup stones leave a chain without liberties (at "
                                     f"{to_gtp(a, self.size)})")
        if to_play is None:
            to_play = WHITE if black_pts and not white_pts else BLACK
        to_play = self._check_color(to_play)
        self.board = board  # no capture happened, so no ko is set
        self.handicap = sorted(black_pts)
        self.setup_white = sorted(white_pts)
        self.to_play = to_play
        self._positions.clear()
        self._stone_hashes.clear()
        self._position_counts.clear()
        self._record_position()

    def _setup_point(self, action) -> int:
        try:
            action = operator.index(action)
        except TypeError:
            raise ValueError(f"setup point must be an integer action, got {action!r}") from None
        if not 0 <= action < self.pass_action:
            raise ValueError(f"setup point {action} is not a point of a {self.size}x"
                             f"{self.size} board (0..{self.pass_action - 1})")
        return action

    # ------------------------------------------------------------------ result
    def score(self) -> float:
        """Area score: black area - white area - komi (every stone counts as alive)."""
        return float(self.board.score(self.rules.komi))

    def winner(self) -> int:
        """BLACK, WHITE, or EMPTY for a draw: the resignation's, else the score's."""
        if self.resigned != EMPTY:
            return opponent(self.resigned)
        s = self.score()
        return BLACK if s > 0 else WHITE if s < 0 else EMPTY

    def result(self) -> str:
        """SGF result: ``"B+3.5"``, ``"W+R"`` or ``"0"``; by the current area score when
        the game has not ended by resignation."""
        if self.resigned != EMPTY:
            return format_result(opponent(self.resigned))
        s = self.score()
        return format_result(self.winner(), s)

    # ------------------------------------------------------------------ display
    def __str__(self) -> str:
        return f"{self.board}\n{color_name(self.to_play)} to play, move {self.move_number}"

    def __repr__(self) -> str:
        state = "over" if self.is_over() else f"{color_name(self.to_play)} to play"
        return (f"<GameState {self.size}x{self.size} move {self.move_number}, {state}, "
                f"{self.rules}>")
