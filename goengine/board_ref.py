"""Reference Go board: slow, pure Python, written to be obviously correct.

This is the yardstick for the fast Cython board (``goengine._board.Board``): both expose
exactly the API in ``notes/api.md`` and the differential tests play thousands of random
games on the two in lockstep. Every question is answered here by the most direct method
(a flood fill from scratch), never by incremental bookkeeping, except the Zobrist hash,
which is updated per stone and checked against ``zobrist.position_hash`` by the tests.

Rules implemented
-----------------
* **Board.** ``size`` x ``size`` points, 2 <= size <= 25; actions are row-major indices
  from the top-left corner and ``size*size`` is the pass (see ``goengine/coords.py``).
  The board has no side to move and no history: each ``play`` names its colour.
* **Chains and liberties.** A chain is a maximal set of same-coloured stones joined by
  orthogonal adjacency; its liberties are the empty points orthogonally adjacent to it.
* **Placing a stone** on an empty point: first every opponent chain left without
  liberties is removed (captured); then, if the mover's own chain has no liberties, the
  move is suicide. Suicide is refused (``SuicideError``) unless ``allow_suicide=True``,
  in which case the mover's chain is removed and counted as captured by the opponent.
* **Simple ko.** When a move captures exactly one stone, and the new stone is a chain of
  one stone with exactly one liberty (necessarily the point just captured), that point
  is forbidden to the opponent for the next move only (``KoError``). Any move of either
  colour, a pass included, lifts the ban; a non-pass move may set a new one. There is no
  superko here: ``goengine.game.GameState`` adds it on top.
* **One-point eye** of ``color`` (used by playouts): an empty point whose on-board
  orthogonal neighbours are all stones of ``color``, and whose diagonal neighbours hold
  no opponent stone if the point is on the edge or in a corner, at most one otherwise.
* **Tromp-Taylor area.** A colour's area is its stones plus the empty regions whose
  boundary holds only stones of that colour; a region touching both colours (shared
  liberties of a seki, dame) or none (empty board) counts for nobody. ``score(komi)`` is
  black area - white area - komi. All stones count as alive.
* **Playout.** Random play from ``color``: each turn a uniformly random legal non-pass
  move that does not fill the mover's own one-point eye, or a pass if there is none;
  stops after two consecutive passes or ``max_moves`` moves (default ``3*N*N``).
"""
from __future__ import annotations

import numpy as np

from . import diagram
from .coords import BLACK, EMPTY, WHITE, check_size, neighbors, opponent
from .errors import KoError, OccupiedError, OffBoardError, SuicideError
from .rng import as_generator
from .zobrist import KEYS

__all__ = ["Board"]


def _key(color: int, action: int) -> int:
    """The Zobrist key of a stone of ``color`` on ``action``, as a Python int."""
    return int(KEYS[color - 1, action])


def _check_color(color: int) -> int:
    if color not in (BLACK, WHITE):
        raise ValueError(f"colour must be BLACK (1) or WHITE (2), got {color!r}")
    return int(color)


class Board:
    """A Go position with simple ko; see the module docstring for the rules."""

    def __init__(self, size: int):
        self._size = check_size(size)
        n = self._size * self._size
        self._stones = [EMPTY] * n
        self._neighbors = [neighbors(a, self._size) for a in range(n)]
        self._ko = -1
        self._ko_color = EMPTY
        self._hash = 0
        self._captures = [0, 0]  # stones captured by BLACK, by WHITE

    # ------------------------------------------------------------------ properties
    @property
    def size(self) -> int:
        return self._size

    @property
    def ko(self) -> int:
        return self._ko

    @property
    def ko_color(self) -> int:
        return self._ko_color

    @property
    def hash(self) -> int:
        return self._hash

    @property
    def captures(self) -> tuple[int, int]:
        return (self._captures[0], self._captures[1])

    @property
    def num_empty(self) -> int:
        return self._stones.count(EMPTY)

    # ------------------------------------------------------------------ helpers
    def _check_action(self, action: int) -> int:
        """``action`` as an int, or OffBoardError unless it is in 0..N*N (pass included)."""
        if not 0 <= action <= self._size * self._size:
            raise OffBoardError(f"action {action} is off a {self._size}x{self._size} board",
                                action=action)
        return int(action)

    def _is_stone(self, action: int) -> bool:
        """Whether ``action`` (checked: OffBoardError) is a point holding a stone."""
        action = self._check_action(action)
        return action < self._size * self._size and self._stones[action] != EMPTY

    def _flood(self, action: int) -> tuple[set[int], set[int]]:
        """The chain through the stone on ``action`` and that chain's liberties."""
        color = self._stones[action]
        chain, libs, todo = {action}, set(), [action]
        while todo:
            a = todo.pop()
            for nb in self._neighbors[a]:
                c = self._stones[nb]
                if c == EMPTY:
                    libs.add(nb)
                elif c == color and nb not in chain:
                    chain.add(nb)
                    todo.append(nb)
        return chain, libs

    def _set(self, action: int, color: int) -> None:
        """Put ``color`` (EMPTY to remove) on ``action``, keeping the hash in step."""
        old = self._stones[action]
        if old != EMPTY:
            self._hash ^= _key(old, action)
        if color != EMPTY:
            self._hash ^= _key(color, action)
        self._stones[action] = color

    def _recompute_hash(self) -> int:
        """The hash from scratch (for tests; ``.hash`` is kept incrementally)."""
        h = 0
        for a, c in enumerate(self._stones):
            if c != EMPTY:
                h ^= _key(c, a)
        return h

    def _why_illegal(self, action: int, color: int, allow_suicide: bool):
        """The error class that forbids the move, or None if it is legal."""
        n = self._size * self._size
        if not 0 <= action <= n:
            return OffBoardError
        if action == n:
            return None
        if self._stones[action] != EMPTY:
            return OccupiedError
        if action == self._ko and color == self._ko_color:
            return KoError
        if not allow_suicide and self._is_suicide(action, color):
            return SuicideError
        return None

    def _is_suicide(self, action: int, color: int) -> bool:
        """Would a stone of ``color`` on empty ``action`` leave its own chain without
        liberties once the opponent chains it captures are removed? Tried on a copy,
        unless the new stone has an empty neighbour: then it has a liberty for sure."""
        if any(self._stones[nb] == EMPTY for nb in self._neighbors[action]):
            return False
        _, _, own_libs = self.copy()._place(action, color)
        return not own_libs

    def _place(self, action: int, color: int) -> tuple[list[int], set[int], set[int]]:
        """Put a stone of ``color`` on empty ``action`` and remove the opponent chains left
        without liberties. Returns (captured points, own chain, own chain's liberties);
        the caller deals with suicide (empty liberties), ko and the capture counts."""
        other = opponent(color)
        self._set(action, color)
        captured: list[int] = []
        for nb in self._neighbors[action]:
            if self._stones[nb] == other:
                chain, libs = self._flood(nb)
                if not libs:
                    for s in chain:
                        self._set(s, EMPTY)
                    captured.extend(chain)
        own_chain, own_libs = self._flood(action)
        return captured, own_chain, own_libs

    # ------------------------------------------------------------------ moves
    def play(self, action: int, color: int, allow_suicide: bool = False) -> int:
        """Play ``color`` at ``action`` (``N*N`` passes); return the opponent stones captured."""
        color = _check_color(color)
        error = self._why_illegal(action, color, allow_suicide)
        if error is not None:
            raise error(f"{error.reason}: {color} at {action}", action=action)
        self._ko, self._ko_color = -1, EMPTY
        if action == self._size * self._size:
            return 0
        other = opponent(color)
        captured, own_chain, own_libs = self._place(int(action), color)
        self._captures[color - 1] += len(captured)
        if not own_libs:  # suicide, allowed (checked above): remove the mover's chain
            for s in own_chain:
                self._set(s, EMPTY)
            self._captures[other - 1] += len(own_chain)
            return 0
        if len(captured) == 1 and len(own_chain) == 1 and len(own_libs) == 1:
            self._ko, self._ko_color = captured[0], other
        return len(captured)

    def is_legal(self, action: int, color: int, allow_suicide: bool = False) -> bool:
        """Whether ``play(action, color, allow_suicide)`` would succeed (off board: False)."""
        return self._why_illegal(action, _check_color(color), allow_suicide) is None

    def legal_mask(self, color: int, allow_suicide: bool = False) -> np.ndarray:
        """uint8 array of shape ``(N*N + 1,)``: 1 where ``is_legal``; the pass entry is 1."""
        color = _check_color(color)
        n = self._size * self._size
        return np.array([self.is_legal(a, color, allow_suicide) for a in range(n + 1)],
                        dtype=np.uint8)

    def is_eye(self, action: int, color: int) -> bool:
        """Whether ``action`` is a one-point eye of ``color`` (module docstring); pass is
        not."""
        color = _check_color(color)
        action = self._check_action(action)
        if action == self._size * self._size or self._stones[action] != EMPTY:
            return False
        if any(self._stones[nb] != color for nb in self._neighbors[action]):
            return False
        row, col = divmod(action, self._size)
        enemy, off_board = 0, 0
        for dr in (-1, 1):
            for dc in (-1, 1):
                r, c = row + dr, col + dc
                if 0 <= r < self._size and 0 <= c < self._size:
                    enemy += self._stones[r * self._size + c] == opponent(color)
                else:
                    off_board += 1
        return enemy == 0 if off_board else enemy <= 1

    # ------------------------------------------------------------------ queries
    def color_at(self, action: int) -> int:
        """The colour on a point; OffBoardError for pass or an action off the board."""
        if self._check_action(action) == self._size * self._size:
            raise OffBoardError("pass has no colour", action=action)
        return self._stones[action]

    def stones(self) -> np.ndarray:
        """int8 array of shape ``(N*N,)``: the colour on each point, row-major."""
        return np.array(self._stones, dtype=np.int8)

    def chain(self, action: int) -> list[int]:
        """Sorted actions of the chain on ``action``; [] if the point is empty (or pass)."""
        if not self._is_stone(action):
            return []
        return sorted(self._flood(action)[0])

    def chain_liberties(self, action: int) -> list[int]:
        """Sorted liberties of the chain on ``action``; [] if the point is empty (or pass)."""
        if not self._is_stone(action):
            return []
        return sorted(self._flood(action)[1])

    def liberties(self, action: int) -> int:
        """Exact liberty count of the chain on ``action``; 0 if the point is empty (or
        pass)."""
        return len(self.chain_liberties(action))

    def area(self) -> tuple[int, int]:
        """Tromp-Taylor area ``(black, white)``: stones plus empty regions bordered only
        by that colour."""
        area = {BLACK: 0, WHITE: 0}
        seen: set[int] = set()
        for a, c in enumerate(self._stones):
            if c != EMPTY:
                area[c] += 1
            elif a not in seen:
                region, border, todo = {a}, set(), [a]
                while todo:
                    p = todo.pop()
                    for nb in self._neighbors[p]:
                        cn = self._stones[nb]
                        if cn == EMPTY:
                            if nb not in region:
                                region.add(nb)
                                todo.append(nb)
                        else:
                            border.add(cn)
                seen |= region
                if len(border) == 1:
                    area[border.pop()] += len(region)
        return area[BLACK], area[WHITE]

    def score(self, komi: float = 0.0) -> float:
        """Black area - white area - komi."""
        black, white = self.area()
        return float(black - white - komi)

    # ------------------------------------------------------------------ playout
    def playout(self, color: int, rng: np.random.Generator | int | None = None,
                max_moves: int = -1) -> int:
        """Random game in place from ``color`` to move; return the moves played (passes
        included). See the module docstring for the move choice and the stopping rule."""
        color = _check_color(color)
        rng = as_generator(rng)
        n = self._size * self._size
        if max_moves < 0:
            max_moves = 3 * n
        moves = passes = 0
        while moves < max_moves and passes < 2:
            candidates = [a for a in range(n)
                          if self.is_legal(a, color) and not self.is_eye(a, color)]
            if candidates:
                self.play(candidates[int(rng.integers(len(candidates)))], color)
                passes = 0
            else:
                self.play(n, color)
                passes += 1
            moves += 1
            color = opponent(color)
        return moves

    # ------------------------------------------------------------------ copying, display
    def copy(self) -> "Board":
        other = Board.__new__(Board)
        other.__dict__.update(self.__dict__)
        other._stones = self._stones[:]
        other._captures = self._captures[:]
        return other  # _neighbors is never mutated, so it is shared

    def __str__(self) -> str:
        return diagram.render(self._stones, self._size,
                              ko=self._ko if self._ko >= 0 else None)

    def __repr__(self) -> str:
        return f"<board_ref.Board size={self._size} hash={self._hash:#018x}>"
