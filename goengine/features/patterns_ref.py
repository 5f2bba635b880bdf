"""The fast policy's features, the slow reference: the same feature indices and the same
softmax as goengine.features._patterns / _rollout, from the Board Python API only.

The encoding and the index space are documented in _patterns.pyx; this module restates them
in plain Python (its own constants, which the tests compare with the Cython ones). Save
atari is computed here by a different route: by enumerating every chain in atari of the
board rather than looking around the move.
"""
from __future__ import annotations

import math

import numpy as np

from ..coords import EMPTY, neighbors

TABLE_BITS = 18
T = 1 << TABLE_BITS
F_NR3 = 0
F_RESP = T
F_RESPONSE = 2 * T
F_SAVE_ATARI = 2 * T + 1
F_NEIGHBOUR = 2 * T + 2
NUM_ROLLOUT_FEATURES = 2 * T + 10
F_SELF_ATARI = 2 * T + 10
F_DIST_PREV = 2 * T + 11
F_DIST_PREV2 = 2 * T + 28
F_NR12 = 2 * T + 45
NUM_TREE_FEATURES = 3 * T + 45
DIST_BUCKETS = 17
WEIGHT_CLAMP = 20.0

SALT_NR3 = 0x9E3779B97F4A7C15
SALT_RESP = 0xD1B54A32D192ED03
SALT_NR12 = 0x8CB92BA72F3D8DD7
NIB_EDGE = 12

NEIGHBOURS_3X3 = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
DIAMOND = [(-2, 0), (-1, -1), (-1, 0), (-1, 1), (0, -2), (0, -1), (0, 1), (0, 2),
           (1, -1), (1, 0), (1, 1), (2, 0)]
_MASK = (1 << 64) - 1


def mix64(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def table_index(key: int, salt: int) -> int:
    return mix64(key ^ salt) >> (64 - TABLE_BITS)


def nibble(board, row: int, col: int, color: int) -> int:
    """The point's nibble relative to `color` to move: liberty class | colour << 2."""
    n = board.size
    if not (0 <= row < n and 0 <= col < n):
        return NIB_EDGE
    a = row * n + col
    stone = board.color_at(a)
    if stone == EMPTY:
        return 0
    libs = board.liberties(a)
    cls = 1 if libs <= 1 else (2 if libs == 2 else 3)
    rel = 1 if stone == color else 2
    return rel << 2 | cls


def code_3x3(board, action: int, color: int) -> int:
    r, c = divmod(action, board.size)
    return sum(nibble(board, r + dr, c + dc, color) << (4 * d)
               for d, (dr, dc) in enumerate(NEIGHBOURS_3X3))


def code_diamond(board, action: int, color: int) -> int:
    r, c = divmod(action, board.size)
    return sum(nibble(board, r + dr, c + dc, color) << (4 * k)
               for k, (dr, dc) in enumerate(DIAMOND))


def _atari_chains(board, color: int) -> list[list[int]]:
    chains, seen = [], set()
    for a in range(board.size * board.size):
        if a in seen or board.color_at(a) != color:
            continue
        chain = board.chain(a)
        seen.update(chain)
        if board.liberties(a) == 1:
            chains.append(chain)
    return chains


def is_save_atari(board, action: int, color: int) -> bool:
    """Some own chain in atari is saved: action is its liberty and leaves it with >= 2
    liberties, or action captures an opponent chain that touches it."""
    opp = 3 - color
    for chain in _atari_chains(board, color):
        (liberty,) = board.chain_liberties(chain[0])
        if liberty == action:
            after = board.copy()
            if after.is_legal(action, color):
                after.play(action, color)
                if after.liberties(action) >= 2:
                    return True
        for stone in chain:
            for n in neighbors(stone, board.size):
                if (board.color_at(n) == opp and board.liberties(n) == 1
                        and board.chain_liberties(n) == [action]):
                    return True
    return False


def feature_indices_ref(board, color: int, action: int, prev: int = -1, prev2: int = -1,
                        tree: bool = False) -> list[int]:
    """Active feature indices, ascending, of `color` playing the empty point `action`;
    prev / prev2 the actions of the last two moves (-1 or N*N: none)."""
    n = board.size
    has_prev = 0 <= prev < n * n
    has_prev2 = 0 <= prev2 < n * n
    r, c = divmod(action, n)
    out = [F_NR3 + table_index(code_3x3(board, action, color), SALT_NR3)]
    neighbour = None
    if has_prev:
        pr, pc = divmod(prev, n)
        offset = (r - pr, c - pc)
        if offset in DIAMOND:
            k = DIAMOND.index(offset)
            key = code_diamond(board, prev, color) | (nibble(board, pr, pc, color) & 3) << 48 | k << 52
            out += [F_RESP + table_index(key, SALT_RESP), F_RESPONSE]
            if offset in NEIGHBOURS_3X3:
                neighbour = NEIGHBOURS_3X3.index(offset)
    if is_save_atari(board, action, color):
        out.append(F_SAVE_ATARI)
    if neighbour is not None:
        out.append(F_NEIGHBOUR + neighbour)
    if tree:
        after = board.copy()
        after.play(action, color, allow_suicide=True)
        if after.color_at(action) == color and after.liberties(action) == 1:
            out.append(F_SELF_ATARI)
        for base, other, present in ((F_DIST_PREV, prev, has_prev), (F_DIST_PREV2, prev2, has_prev2)):
            if present:
                orow, ocol = divmod(other, n)
                dist = min(max(abs(r - orow) + abs(c - ocol), 1), DIST_BUCKETS)
                out.append(base + dist - 1)
        out.append(F_NR12 + table_index(code_diamond(board, action, color), SALT_NR12))
    return out


def candidates_ref(board, color: int, tree: bool = False) -> list[int]:
    """Legal moves (simple ko); for the rollout policy, less those filling an own eye."""
    return [a for a in range(board.size * board.size)
            if board.is_legal(a, color) and (tree or not board.is_eye(a, color))]


def probabilities_ref(board, color: int, weights, prev: int = -1, prev2: int = -1,
                      tree: bool = False) -> np.ndarray:
    """The policy's softmax over the N*N+1 actions (pass 1 only without a candidate)."""
    n2 = board.size * board.size
    weights = np.asarray(weights, dtype=np.float64)
    out = np.zeros(n2 + 1)
    moves = candidates_ref(board, color, tree)
    if not moves:
        out[n2] = 1.0
        return out
    logits = []
    for a in moves:
        idx = feature_indices_ref(board, color, a, prev, prev2, tree)
        ws = [weights[i] if i < len(weights) else 0.0 for i in idx]
        if not tree:
            ws = [min(max(w, -WEIGHT_CLAMP), WEIGHT_CLAMP) for w in ws]
        logits.append(sum(ws))
    top = max(logits)
    ex = [math.exp(x - top) for x in logits]
    total = sum(ex)
    for a, e in zip(moves, ex):
        out[a] = e / total
    return out
