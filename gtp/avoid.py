"""``avoid`` and ``allow`` of lz-analyze and kata-analyze: moves the search must not play.

Leela Zero (GTP.cpp, ``AnalyzeTags``) and KataGo (docs/GTP_Extensions.md) take

    avoid COLOR VERTEX,VERTEX,... UNTIL_DEPTH     never these moves of COLOR
    allow COLOR VERTEX,VERTEX,... UNTIL_DEPTH     only these moves of COLOR (pass stays allowed)

for COLOR's moves in the first UNTIL_DEPTH plies of the search's lines: depth 0 is the root
(the move the GUI asks about), so ``1`` means the root only. A vertex list may hold Leela
Zero's rectangles (``A1:C3``) and ``pass``. As in Leela Zero, ``allow`` is given at most once
a colour and not with an ``avoid`` of the same colour other than pass, and ``allow`` never
forbids pass. A node always keeps one move: when every legal move is forbidden, pass stays.

How the search honours them without a change to goengine/search: the tree creates a node's
children from the legal mask of the leaf batch (``LeafBatch.legal``) after the evaluator has
answered (``Tree._finish``), so ``RestrictedEvaluator`` wraps the search's evaluator and
clears the forbidden moves from that mask, leaf by leaf. It tells a leaf's depth from the
moves the batch carries with it (``last_moves``: the path's moves, then the game's): a leaf
is at depth d when its last 8 moves are d moves followed by the game's last 8 - d, and those
d moves, replayed on the root board, give the leaf's hash. So depths 0 to 8 (an UNTIL_DEPTH
up to 9) are honoured; deeper lines are searched freely. The tree must be fresh (no node
expanded before the restriction), and is forgotten afterwards.

The API this works around, for the day goengine/search has it: ``Tree.set_root_mask(mask:
uint8 (N*N+1,))`` (children the root may create or select), or better
``MCTS.search(..., restrict: Callable[[int depth, int color], uint8 mask] | None)``.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from goengine.coords import from_gtp, opponent, to_rc

__all__ = ["MoveRule", "MoveFilter", "RestrictedEvaluator", "restricted", "parse_vertices",
           "HONOURED_DEPTH"]

HONOURED_DEPTH = 9
"""Plies from the root (depths 0..8) in which avoid/allow are honoured: a leaf carries its
last 8 moves, so its depth is known up to 8."""

_HASH_MEMO_LIMIT = 200_000


def parse_vertices(text: str, size: int) -> frozenset[int]:
    """``D4,Q16,A1:C3,pass`` -> actions (ValueError naming a bad vertex or range)."""
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ValueError(f"empty vertex in {text!r}")
        if ":" in item:
            first, _, last = item.partition(":")
            a, b = from_gtp(first, size), from_gtp(last, size)
            if a == size * size or b == size * size:
                raise ValueError(f"a range cannot end at pass: {item!r}")
            (r0, c0), (r1, c1) = to_rc(a, size), to_rc(b, size)
            out.update(r * size + c for r in range(min(r0, r1), max(r0, r1) + 1)
                       for c in range(min(c0, c1), max(c0, c1) + 1))
        else:
            out.add(from_gtp(item, size))
    return frozenset(out)


@dataclass(frozen=True)
class MoveRule:
    """One avoid or allow tag."""

    color: int
    actions: frozenset
    until_depth: int
    allow: bool


class MoveFilter:
    """The avoid/allow tags of one command: which moves a colour may play at a depth."""

    def __init__(self, size: int):
        self.size = size
        self.rules: list[MoveRule] = []
        self._masks: dict[tuple[int, int], np.ndarray | None] = {}

    def add(self, kind: str, color: int, actions: frozenset, until_depth: int) -> None:
        """Add ``avoid`` or ``allow`` (ValueError for a combination Leela Zero refuses)."""
        if until_depth < 1:
            raise ValueError(f"{kind}: the depth must be at least 1, got {until_depth}")
        allow = kind == "allow"
        passes = frozenset({self.size * self.size})
        for rule in self.rules:
            if rule.color != color:
                continue
            if allow and rule.allow:
                raise ValueError("allow is given at most once for a colour")
            if (allow and not rule.allow and rule.actions - passes) or (
                    not allow and rule.allow and actions - passes):
                raise ValueError("allow and avoid of the same colour (other than pass) "
                                 "do not go together")
        self.rules.append(MoveRule(color, actions, until_depth, allow))
        self._masks.clear()

    def __bool__(self) -> bool:
        return bool(self.rules)

    @property
    def max_depth(self) -> int:
        """The plies from the root in which some tag applies, at most HONOURED_DEPTH."""
        return min(HONOURED_DEPTH, max((r.until_depth for r in self.rules), default=0))

    def banned(self, color: int, depth: int) -> np.ndarray | None:
        """bool (N*N+1,): the moves ``color`` may not play at ``depth`` (None: none)."""
        key = (color, depth)
        if key not in self._masks:
            n = self.size * self.size
            mask = np.zeros(n + 1, dtype=bool)
            for rule in self.rules:
                if rule.color != color or depth >= rule.until_depth:
                    continue
                if rule.allow:
                    allowed = np.zeros(n + 1, dtype=bool)
                    allowed[list(rule.actions)] = True
                    allowed[n] = True  # allow never forbids pass (Leela Zero)
                    mask |= ~allowed
                else:
                    mask[list(rule.actions)] = True
            self._masks[key] = mask if mask.any() else None
        return self._masks[key]

    def allows(self, color: int, depth: int, action: int) -> bool:
        banned = self.banned(color, depth)
        return banned is None or not banned[action]

    def root_choice(self, game, action: int, moves) -> int:
        """``action`` if ``game.to_play`` may play it at the root, else the first allowed
        legal move of ``moves`` (MoveInfo, best first), else pass."""
        color, n = game.to_play, game.pass_action
        if action < 0 or self.allows(color, 0, action):
            return action
        for info in moves:
            if self.allows(color, 0, info.action) and (info.action == n
                                                       or game.is_legal(info.action)):
                return info.action
        return n


class RestrictedEvaluator:
    """An evaluator that answers as ``inner`` does and then clears the moves ``moves``
    forbids from each leaf's legal mask, so that the tree never creates those children (see
    the module docstring). ``leaves_restricted`` counts the leaves it changed. With tags
    for the root only it hands ``mcts`` back its own evaluator once the root is expanded,
    so the rest of the search runs at full speed."""

    def __init__(self, inner, game, moves: MoveFilter, mcts=None):
        self.inner = inner
        self.history_length = int(getattr(inner, "history_length", 1))
        self.moves = moves
        self.mcts = mcts
        self.leaves_restricted = 0
        self._depths = moves.max_depth
        self._root = game.board.copy()
        self._color = game.to_play
        recent = [a for _, a in game.history[-8:]][::-1]
        self._recent = tuple(recent + [-1] * (8 - len(recent)))
        self._hashes = {(): int(game.board.hash)}
        self._root_done = False

    def __getattr__(self, name):  # backend, symmetries, ...: the wrapped evaluator's
        return getattr(self.inner, name)

    def _hash_of(self, path: tuple) -> int | None:
        """Hash of the root board after ``path`` (moves in play order); None if illegal."""
        h = self._hashes.get(path)
        if h is None and path not in self._hashes:
            board, color = self._root.copy(), self._color
            try:
                for a in path:
                    board.play(int(a), color, allow_suicide=True)
                    color = opponent(color)
                h = int(board.hash)
            except Exception:  # noqa: BLE001 - not a line of this root
                h = None
            if len(self._hashes) < _HASH_MEMO_LIMIT:
                self._hashes[path] = h
        return h

    def depth(self, last_moves, leaf_hash: int, color: int) -> int | None:
        """The leaf's depth below the root when it is below HONOURED_DEPTH and some tag may
        apply there, else None. ``last_moves``: its 8 last moves, most recent first."""
        for d in range(self._depths):
            if color != (self._color if d % 2 == 0 else opponent(self._color)):
                continue
            if d < 8 and tuple(last_moves[d:]) != self._recent[:8 - d]:
                continue
            if self._hash_of(tuple(reversed(last_moves[:d]))) == leaf_hash:
                return d
        return None

    def evaluate(self, batch):
        priors, values = self.inner.evaluate(batch)
        if batch.n:
            legal = batch.legal  # a view of the mask the tree expands from
            last = batch.last_moves.tolist()
            hashes = batch.hashes.tolist()
            colors = batch.to_play.tolist()
            for i in range(batch.n):
                d = self.depth(last[i], hashes[i], colors[i])
                if d is None:
                    continue
                self._root_done |= d == 0
                banned = self.moves.banned(colors[i], d)
                if banned is None:
                    continue
                keep = legal[i].astype(bool) & ~banned
                if not keep.any():
                    keep[-1] = True  # a node keeps a move: pass
                legal[i] = keep
                self.leaves_restricted += 1
        if self._root_done and self._depths == 1 and self.mcts is not None \
                and self.mcts.evaluator is self:
            self.mcts.evaluator = self.inner  # the rest of the search needs no masks
        return priors, values


@contextmanager
def restricted(mcts, game, moves: MoveFilter | None):
    """``mcts`` (an MCTS; a fresh tree) searches ``game`` under ``moves`` inside the block;
    yields the RestrictedEvaluator (None without tags)."""
    if not moves:
        yield None
        return
    inner = mcts.evaluator
    wrapper = RestrictedEvaluator(inner, game, moves, mcts)
    mcts.evaluator = wrapper
    try:
        yield wrapper
    finally:
        mcts.evaluator = inner
