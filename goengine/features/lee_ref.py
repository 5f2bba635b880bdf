"""AlphaGo's (2016) input planes, the slow reference: "lee48" (policy) and "lee49" (value).

Written to be obviously correct on the Board Python API (goengine.board_ref.Board or the
Cython goengine._board.Board): every "what if c plays here" question is answered by playing
the move on a copy of the board. The fast extractor (goengine.features._lee) must give the
same planes; tests/test_features.py checks them plane by plane. The plane table, and the
exact definitions of "turns since" and of the ladder search, are in _lee.pyx's docstring;
LAYOUT below names the planes.
"""
from __future__ import annotations

import numpy as np

from ..coords import BLACK, EMPTY, WHITE, neighbors

TURNS_SINCE = 8
"""Lee's turns-since planes: the last 8 moves, one plane each (not zero17's TURNS_SINCE)."""
LADDER_MAX_DEPTH = 100   # as _lee.pxd
LADDER_MAX_NODES = 200

# name -> (first plane, number of planes)
LAYOUT = {
    "stone_colour": (0, 3),       # own, opponent, empty
    "ones": (3, 1),
    "turns_since": (4, 8),
    "liberties": (12, 8),
    "capture_size": (20, 8),
    "self_atari_size": (28, 8),
    "liberties_after": (36, 8),
    "ladder_capture": (44, 1),
    "ladder_escape": (45, 1),
    "sensibleness": (46, 1),
    "zeros": (47, 1),
    "player_colour": (48, 1),     # lee49 only
}


def recent_moves(game) -> np.ndarray:
    """The last 8 actions of a GameState, most recent first, -1 before the start."""
    out = np.full(TURNS_SINCE, -1, dtype=np.int16)
    for k, (_, action) in enumerate(reversed(game.history[-TURNS_SINCE:])):
        out[k] = action
    return out


# ----------------------------------------------------------------------------- ladders
class _Budget:
    def __init__(self):
        self.nodes = 0


def _defence_fails(board, target: int, attacker: int, depth: int, budget: _Budget) -> bool:
    """target's chain has one liberty, its owner to move: does every defence fail?"""
    size = board.size
    defender = 3 - attacker
    options = set(board.chain_liberties(target))
    for stone in board.chain(target):
        for n in neighbors(stone, size):
            if board.color_at(n) == attacker and board.liberties(n) == 1:
                options.update(board.chain_liberties(n))
    for move in sorted(options):
        if not board.is_legal(move, defender):
            continue
        after = board.copy()
        after.play(move, defender)
        libs = after.liberties(target)
        if libs >= 3:
            return False
        if libs == 2 and not _attack(after, target, attacker, depth + 1, budget):
            return False
    return True


def _attack(board, target: int, attacker: int, depth: int, budget: _Budget) -> bool:
    """target's chain has two liberties, the attacker to move: is it caught in a ladder?"""
    budget.nodes += 1
    if depth >= LADDER_MAX_DEPTH or budget.nodes > LADDER_MAX_NODES:
        return False
    for move in sorted(board.chain_liberties(target)):
        if not board.is_legal(move, attacker):
            continue
        after = board.copy()
        after.play(move, attacker)
        if _defence_fails(after, target, attacker, depth + 1, budget):
            return True
    return False


def ladder_capture(board, action: int, color: int) -> bool:
    """color playing action captures an adjacent two-liberty opponent chain by ladder."""
    opp = 3 - color
    if board.color_at(action) != EMPTY or not board.is_legal(action, color):
        return False
    after = None
    seen = set()
    for n in neighbors(action, board.size):
        if board.color_at(n) != opp or board.liberties(n) != 2:
            continue
        chain = tuple(board.chain(n))
        if chain in seen:
            continue
        seen.add(chain)
        if after is None:
            after = board.copy()
            after.play(action, color)
        if after.liberties(n) == 1 and _defence_fails(after, n, color, 1, _Budget()):
            return True
    return False


def ladder_escape(board, action: int, color: int) -> bool:
    """color playing action (the liberty of its own chain in atari) escapes a ladder."""
    if board.color_at(action) != EMPTY or not board.is_legal(action, color):
        return False
    if not any(board.color_at(n) == color and board.liberties(n) == 1
               for n in neighbors(action, board.size)):
        return False
    after = board.copy()
    after.play(action, color)
    libs = after.liberties(action)
    if libs >= 3:
        return True
    return libs == 2 and not _attack(after, action, 3 - color, 1, _Budget())


# ----------------------------------------------------------------------------- planes
def lee_planes_ref(board, color: int, last_moves=None, planes: int = 48) -> np.ndarray:
    """float32 (planes, N, N) for `color` to move on `board`; last_moves as in _lee.pyx
    (most recent first; None: every stone 8+ turns old)."""
    if planes not in (48, 49):
        raise ValueError(f"lee planes must be 48 or 49, got {planes}")
    if color not in (BLACK, WHITE):
        raise ValueError(f"invalid colour {color} to move")
    n = board.size
    out = np.zeros((planes, n, n), dtype=np.float32)
    age = {}
    if last_moves is not None:
        for k, action in enumerate(list(last_moves)[:TURNS_SINCE]):
            if 0 <= action < n * n and action not in age:
                age[action] = k + 1
    for a in range(n * n):
        r, c = divmod(a, n)
        stone = board.color_at(a)
        out[3, r, c] = 1
        if stone == EMPTY:
            out[2, r, c] = 1
            if not board.is_legal(a, color):
                continue
            after = board.copy()
            captured = after.play(a, color)
            libs = after.liberties(a)
            size = len(after.chain(a))
            out[20 + min(captured, 7), r, c] = 1
            if libs == 1:
                out[28 + min(size, 8) - 1, r, c] = 1
            out[36 + min(libs, 8) - 1, r, c] = 1
            out[44, r, c] = ladder_capture(board, a, color)
            out[45, r, c] = ladder_escape(board, a, color)
            out[46, r, c] = not board.is_eye(a, color)
        else:
            out[0 if stone == color else 1, r, c] = 1
            out[4 + age.get(a, 8) - 1, r, c] = 1
            out[12 + min(board.liberties(a), 8) - 1, r, c] = 1
    if planes == 49 and color == BLACK:
        out[48] = 1
    return out


def lee48_ref(states) -> np.ndarray:
    """float32 (B, 48, N, N) for GameStates."""
    return np.stack([lee_planes_ref(s.board, s.to_play, recent_moves(s), 48) for s in states])


def lee49_ref(states) -> np.ndarray:
    """float32 (B, 49, N, N) for GameStates."""
    return np.stack([lee_planes_ref(s.board, s.to_play, recent_moves(s), 49) for s in states])
