# cython: language_level=3
"""The fast Go board: exact chains and liberties, captures, simple ko, Zobrist hashing,
Tromp-Taylor area scoring and a random playout that runs entirely in C.

Rules implemented here (the game's superko, passes and history live in game.py):
  * a move on an empty point captures every opponent chain left without liberties;
  * suicide (own chain left without liberties after captures) is illegal, unless the caller
    allows it, in which case the mover's own chain is removed;
  * simple ko: a single stone that captured exactly one stone and has exactly one liberty
    forbids the opponent to retake on the captured point on the very next move;
  * area = stones + empty regions that touch stones of one colour only (Tromp-Taylor).

Layout (see _board.pxd): the board is one C struct, with points padded by an edge ring
so that neighbours are `pt - W, pt + W, pt - 1, pt + 1` without bounds tests. Every chain
keeps its exact liberty count at its head, updated incrementally:
  * placing a stone removes one liberty from each distinct adjacent chain;
  * joining one friendly chain adds the new stone's empty neighbours that the chain did not
    already touch; joining several recounts the merged chain once;
  * removing a captured stone gives one liberty to each distinct adjacent opponent chain.
The differential tests (tests/test_board_differential.py) check all of this against the
pure-Python goengine.board_ref after every move of thousands of random games.

Over 500 lines: the board's C code (chains, liberties, captures, ko, hashing, playouts)
is one struct's operations, kept in one module so they inline.
"""
from libc.string cimport memcpy, memset
from libc.stdint cimport uint64_t, int16_t, uint8_t

import numpy as np
cimport numpy as cnp

from .coords import check_size
from .errors import KoError, OccupiedError, OffBoardError, SuicideError
from . import zobrist as _zobrist

cnp.import_array()

# Zobrist keys laid out on the padded points of every size: ZKEYS[size][(color-1)*MAX_PTS + pt].
cdef uint64_t ZKEYS[MAX_SIZE + 1][2 * MAX_PTS]


cdef void _init_zkeys():
    cdef int size, r, c, col, W
    keys = _zobrist.KEYS
    memset(ZKEYS, 0, sizeof(ZKEYS))
    for size in range(2, MAX_SIZE + 1):
        W = size + 2
        for col in range(2):
            for r in range(size):
                for c in range(size):
                    ZKEYS[size][col * MAX_PTS + (r + 1) * W + c + 1] = <uint64_t>int(keys[col, r * size + c])


_init_zkeys()


# ----------------------------------------------------------------------------- random numbers
cdef inline uint64_t rng_next(uint64_t* s) noexcept nogil:
    """xorshift64*: fast, and good enough for choosing playout moves."""
    cdef uint64_t x = s[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    s[0] = x
    return x * <uint64_t>0x2545F4914F6CDD1D


cdef inline int rng_below(uint64_t* s, int n) noexcept nogil:
    """A uniform integer in [0, n) (Lemire's multiply-shift range reduction)."""
    return <int>(((rng_next(s) >> 32) * <uint64_t>n) >> 32)


cdef uint64_t _seed_state(uint64_t seed) noexcept nogil:
    """splitmix64 of the seed, never 0 (xorshift's only fixed point)."""
    cdef uint64_t z = seed + <uint64_t>0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    z = z ^ (z >> 31)
    return z if z != 0 else <uint64_t>0x9E3779B97F4A7C15


# ----------------------------------------------------------------------------- coordinates
cdef inline int pt_of(const board_t* b, int action) noexcept nogil:
    if action == b.size * b.size:
        return PASS_PT
    return (action // b.size + 1) * b.W + action % b.size + 1


cdef inline int action_of(const board_t* b, int pt) noexcept nogil:
    if pt == PASS_PT:
        return b.size * b.size
    return (pt // b.W - 1) * b.size + pt % b.W - 1


# ----------------------------------------------------------------------------- empty list
cdef inline void _add_empty(board_t* b, int pt) noexcept nogil:
    b.empty_pos[pt] = <int16_t>b.num_empty
    b.empty[b.num_empty] = <int16_t>pt
    b.num_empty += 1


cdef inline void _remove_empty(board_t* b, int pt) noexcept nogil:
    cdef int i = b.empty_pos[pt]
    cdef int last = b.empty[b.num_empty - 1]
    b.empty[i] = <int16_t>last
    b.empty_pos[last] = <int16_t>i
    b.num_empty -= 1


cdef inline void _swap_empty(board_t* b, int i, int j) noexcept nogil:
    cdef int16_t a = b.empty[i]
    cdef int16_t c = b.empty[j]
    b.empty[i] = c
    b.empty[j] = a
    b.empty_pos[c] = <int16_t>i
    b.empty_pos[a] = <int16_t>j


# ----------------------------------------------------------------------------- the board
cdef void board_init(board_t* b, int size) noexcept nogil:
    cdef int W = size + 2, pt, r, c
    memset(b, 0, sizeof(board_t))
    b.size = size
    b.W = W
    b.zkeys = &ZKEYS[size][0]
    for pt in range(W * W):
        b.color[pt] = EDGE
    for r in range(size):
        for c in range(size):
            pt = (r + 1) * W + c + 1
            b.color[pt] = EMPTY
            _add_empty(b, pt)


cdef int _count_libs(const board_t* b, int h) noexcept nogil:
    """Recount the liberties of the chain with head h (marks each liberty once)."""
    cdef uint8_t mark[MAX_PTS]
    cdef int W = b.W, s = h, n, i, count = 0
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    memset(mark, 0, W * W)
    while True:
        for i in range(4):
            n = s + d[i]
            if b.color[n] == EMPTY and not mark[n]:
                mark[n] = 1
                count += 1
        s = b.next[s]
        if s == h:
            break
    return count


cdef int board_chain_liberties(const board_t* b, int pt, int16_t* out) noexcept nogil:
    """Write the liberty points of the chain on pt to out; return how many."""
    cdef uint8_t mark[MAX_PTS]
    cdef int W = b.W, h = b.head[pt], s, n, i, count = 0
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    memset(mark, 0, W * W)
    s = h
    while True:
        for i in range(4):
            n = s + d[i]
            if b.color[n] == EMPTY and not mark[n]:
                mark[n] = 1
                out[count] = <int16_t>n
                count += 1
        s = b.next[s]
        if s == h:
            break
    return count


cdef void _merge_into(board_t* b, int root, int other) noexcept nogil:
    """Join chain `other` to chain `root` (relabel other's stones, splice the lists)."""
    cdef int s = other
    cdef int16_t tmp
    while True:
        b.head[s] = <int16_t>root
        s = b.next[s]
        if s == other:
            break
    tmp = b.next[root]
    b.next[root] = b.next[other]
    b.next[other] = tmp
    b.csize[root] += b.csize[other]


cdef void _remove_chain(board_t* b, int h, int color) noexcept nogil:
    """Remove the chain with head h (of `color`); its neighbours of the other colour gain liberties."""
    cdef int W = b.W, s = h, nxt, i, j, n, nh, k
    cdef int other = 3 - color
    cdef int seen[4]
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    while True:
        nxt = b.next[s]
        b.color[s] = EMPTY
        b.hash ^= b.zkeys[(color - 1) * MAX_PTS + s]
        _add_empty(b, s)
        k = 0
        for i in range(4):
            n = s + d[i]
            if b.color[n] == other:
                nh = b.head[n]
                for j in range(k):
                    if seen[j] == nh:
                        break
                else:
                    seen[k] = nh
                    k += 1
                    b.libs[nh] += 1
        s = nxt
        if s == h:
            break


cdef bint board_is_suicide(const board_t* b, int pt, int color) noexcept nogil:
    """Whether a stone of `color` on the empty point pt would have no liberty after captures."""
    cdef int W = b.W, i, n, c
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    for i in range(4):
        n = pt + d[i]
        c = b.color[n]
        if c == EMPTY:
            return False
        if c == color:
            if b.libs[b.head[n]] > 1:
                return False
        elif c != EDGE:
            if b.libs[b.head[n]] == 1:
                return False
    return True


cdef bint board_is_legal(const board_t* b, int pt, int color) noexcept nogil:
    """Legality under simple ko with suicide forbidden; pass is always legal."""
    if pt == PASS_PT:
        return True
    if b.color[pt] != EMPTY:
        return False
    if pt == b.ko and color == b.ko_color:
        return False
    return not board_is_suicide(b, pt, color)


cdef bint board_is_eye(const board_t* b, int pt, int color) noexcept nogil:
    """One-point eye of `color`: orthogonal neighbours are own stones or edge; at most one
    opponent stone on the diagonals in the centre, none on the edge."""
    cdef int W = b.W, i, c, bad = 0
    cdef bint at_edge = False
    cdef int opp = 3 - color
    if b.color[pt] != EMPTY:
        return False
    c = b.color[pt - W]
    if c != color and c != EDGE:
        return False
    c = b.color[pt + W]
    if c != color and c != EDGE:
        return False
    c = b.color[pt - 1]
    if c != color and c != EDGE:
        return False
    c = b.color[pt + 1]
    if c != color and c != EDGE:
        return False
    for i in range(4):
        if i == 0:
            c = b.color[pt - W - 1]
        elif i == 1:
            c = b.color[pt - W + 1]
        elif i == 2:
            c = b.color[pt + W - 1]
        else:
            c = b.color[pt + W + 1]
        if c == opp:
            bad += 1
        elif c == EDGE:
            at_edge = True
    if at_edge:
        return bad == 0
    return bad <= 1


cdef int board_play(board_t* b, int pt, int color) noexcept nogil:
    """Play a stone (the caller has checked that the point is empty and not a ko point).
    Returns the number of opponent stones captured. A suicide removes the mover's chain."""
    cdef int W = b.W, opp = 3 - color
    cdef int fr[4]
    cdef int en[4]
    cdef int d[4]
    cdef int nf = 0, ne = 0, i, j, n, c, h, root, libs = 0, add, captured = 0, ko_pt = 0
    b.ko = 0
    b.ko_color = 0
    if pt == PASS_PT:
        return 0
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    _remove_empty(b, pt)
    b.color[pt] = <uint8_t>color
    b.hash ^= b.zkeys[(color - 1) * MAX_PTS + pt]
    b.head[pt] = <int16_t>pt
    b.next[pt] = <int16_t>pt
    b.csize[pt] = 1
    for i in range(4):
        n = pt + d[i]
        c = b.color[n]
        if c == EMPTY:
            libs += 1
        elif c == color:
            h = b.head[n]
            for j in range(nf):
                if fr[j] == h:
                    break
            else:
                fr[nf] = h
                nf += 1
        elif c == opp:
            h = b.head[n]
            for j in range(ne):
                if en[j] == h:
                    break
            else:
                en[ne] = h
                ne += 1
    b.libs[pt] = <int16_t>libs
    for i in range(ne):
        b.libs[en[i]] -= 1
    for i in range(nf):
        b.libs[fr[i]] -= 1

    if nf == 0:
        root = pt
    elif nf == 1:
        root = fr[0]
        add = 0
        for i in range(4):
            n = pt + d[i]
            if b.color[n] == EMPTY and not touches_chain(b, n, root, color):
                add += 1
        b.libs[root] += add
        b.head[pt] = <int16_t>root
        b.next[pt] = b.next[root]
        b.next[root] = <int16_t>pt
        b.csize[root] += 1
    else:
        root = fr[0]
        for i in range(1, nf):
            if b.csize[fr[i]] > b.csize[root]:
                root = fr[i]
        b.head[pt] = <int16_t>root
        b.next[pt] = b.next[root]
        b.next[root] = <int16_t>pt
        b.csize[root] += 1
        for i in range(nf):
            if fr[i] != root:
                _merge_into(b, root, fr[i])
        b.libs[root] = <int16_t>_count_libs(b, root)

    for i in range(ne):
        h = en[i]
        if b.libs[h] == 0:
            if b.csize[h] == 1:
                ko_pt = h
            captured += b.csize[h]
            _remove_chain(b, h, opp)
    if captured:
        b.captures[color] += captured
    if b.libs[root] == 0:
        b.captures[opp] += b.csize[root]
        _remove_chain(b, root, color)
        return 0
    if captured == 1 and b.csize[root] == 1 and b.libs[root] == 1:
        b.ko = ko_pt
        b.ko_color = opp
    return captured


cdef void board_area(const board_t* b, int* black, int* white) noexcept nogil:
    """Tromp-Taylor area: stones plus empty regions bordered by one colour only."""
    cdef uint8_t seen[MAX_PTS]
    cdef int16_t stack[MAX_PTS]
    cdef int W = b.W, r, c, pt, sp, p, n, i, region, borders
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    memset(seen, 0, W * W)
    black[0] = 0
    white[0] = 0
    for r in range(b.size):
        for c in range(b.size):
            pt = (r + 1) * W + c + 1
            if b.color[pt] == BLACK:
                black[0] += 1
            elif b.color[pt] == WHITE:
                white[0] += 1
            elif not seen[pt]:
                region = 0
                borders = 0
                sp = 0
                stack[sp] = <int16_t>pt
                sp += 1
                seen[pt] = 1
                while sp:
                    sp -= 1
                    p = stack[sp]
                    region += 1
                    for i in range(4):
                        n = p + d[i]
                        if b.color[n] == EMPTY:
                            if not seen[n]:
                                seen[n] = 1
                                stack[sp] = <int16_t>n
                                sp += 1
                        elif b.color[n] != EDGE:
                            borders |= b.color[n]
                if borders == BLACK:
                    black[0] += region
                elif borders == WHITE:
                    white[0] += region


cdef int board_playout(board_t* b, int color, int max_moves, uint64_t* rng) noexcept nogil:
    """Random playout in place: each turn a uniform choice among legal moves that do not fill
    the mover's own one-point eye, a pass when none is left; stops after two passes in a row
    or max_moves moves. Returns the number of moves played (passes included)."""
    cdef int moves = 0, passes = 0, n, i, p, chosen
    while passes < 2 and moves < max_moves:
        n = b.num_empty
        chosen = PASS_PT
        while n > 0:
            i = rng_below(rng, n)
            p = b.empty[i]
            if (not (p == b.ko and color == b.ko_color)
                    and not board_is_eye(b, p, color)
                    and not board_is_suicide(b, p, color)):
                chosen = p
                break
            n -= 1
            _swap_empty(b, i, n)
        if chosen == PASS_PT:
            passes += 1
            b.ko = 0
            b.ko_color = 0
        else:
            passes = 0
            board_play(b, chosen, color)
        color = 3 - color
        moves += 1
    return moves


# ----------------------------------------------------------------------------- Python API
def _rebuild(int size, bytes state):
    cdef Board board = Board.__new__(Board)
    if len(state) != sizeof(board_t):
        raise ValueError("pickled board from an incompatible build")
    memcpy(&board.b, <const char*>state, sizeof(board_t))
    if board.b.size != size:
        raise ValueError("pickled board is corrupt")
    board.b.zkeys = &ZKEYS[size][0]
    return board


cdef inline void _check_color(int color) except *:
    if color != BLACK and color != WHITE:
        raise ValueError(f"invalid colour {color}: expected BLACK (1) or WHITE (2)")


cdef class Board:
    """Fast board: see the module docstring and /goengine/board_ref.py for the same API in
    plain Python. Actions are coords.py's (row-major from the top-left, pass = N*N)."""

    def __init__(self, size=9):
        board_init(&self.b, check_size(size))

    @property
    def size(self):
        return self.b.size

    cdef int _pt(self, action) except -1:
        cdef long a
        try:
            a = action
        except (TypeError, OverflowError):
            raise OffBoardError(f"invalid action {action!r}", action=None) from None
        if a < 0 or a > self.b.size * self.b.size:
            raise OffBoardError(f"action {a} is off a {self.b.size}x{self.b.size} board", action=a)
        return pt_of(&self.b, <int>a)

    def copy(self):
        cdef Board other = Board.__new__(Board)
        memcpy(&other.b, &self.b, sizeof(board_t))
        return other

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (_rebuild, (self.b.size, (<char*>&self.b)[:sizeof(board_t)]))

    def play(self, action, int color, bint allow_suicide=False):
        """Play `color` at `action` (pass = N*N); return the number of stones captured."""
        _check_color(color)
        cdef int pt = self._pt(action)
        if pt == PASS_PT:
            board_play(&self.b, PASS_PT, color)
            return 0
        if self.b.color[pt] != EMPTY:
            raise OccupiedError(f"point {action} is occupied", action=action)
        if pt == self.b.ko and color == self.b.ko_color:
            raise KoError(f"point {action} is a ko: it cannot be retaken at once", action=action)
        if not allow_suicide and board_is_suicide(&self.b, pt, color):
            raise SuicideError(f"point {action} is suicide", action=action)
        return board_play(&self.b, pt, color)

    def is_legal(self, action, int color, bint allow_suicide=False):
        _check_color(color)
        cdef int pt
        try:
            pt = self._pt(action)
        except OffBoardError:
            return False
        if pt == PASS_PT:
            return True
        if allow_suicide:
            return self.b.color[pt] == EMPTY and not (pt == self.b.ko and color == self.b.ko_color)
        return board_is_legal(&self.b, pt, color)

    def legal_mask(self, int color, bint allow_suicide=False):
        """uint8 array of N*N+1 entries: 1 where `color` may play (pass always 1)."""
        _check_color(color)
        cdef int n = self.b.size * self.b.size, a, pt
        mask = np.zeros(n + 1, dtype=np.uint8)
        cdef uint8_t[::1] m = mask
        for a in range(n):
            pt = pt_of(&self.b, a)
            if allow_suicide:
                m[a] = self.b.color[pt] == EMPTY and not (pt == self.b.ko and color == self.b.ko_color)
            else:
                m[a] = board_is_legal(&self.b, pt, color)
        m[n] = 1
        return mask

    def is_eye(self, action, int color):
        _check_color(color)
        cdef int pt = self._pt(action)
        if pt == PASS_PT:
            return False
        return board_is_eye(&self.b, pt, color)

    def color_at(self, action):
        cdef int pt = self._pt(action)
        if pt == PASS_PT:
            raise OffBoardError("pass has no colour", action=action)
        return self.b.color[pt]

    def stones(self):
        """int8 array of N*N colours, row-major from the top-left."""
        cdef int n = self.b.size * self.b.size, a
        out = np.empty(n, dtype=np.int8)
        cdef cnp.int8_t[::1] o = out
        for a in range(n):
            o[a] = self.b.color[pt_of(&self.b, a)]
        return out

    @property
    def ko(self):
        return action_of(&self.b, self.b.ko) if self.b.ko else -1

    @property
    def ko_color(self):
        return self.b.ko_color

    @property
    def hash(self):
        return self.b.hash

    @property
    def captures(self):
        return (self.b.captures[BLACK], self.b.captures[WHITE])

    @property
    def num_empty(self):
        return self.b.num_empty

    def liberties(self, action):
        cdef int pt = self._pt(action)
        if pt == PASS_PT or self.b.color[pt] != BLACK and self.b.color[pt] != WHITE:
            return 0
        return self.b.libs[self.b.head[pt]]

    def chain(self, action):
        cdef int pt = self._pt(action)
        if pt == PASS_PT or self.b.color[pt] != BLACK and self.b.color[pt] != WHITE:
            return []
        out = []
        cdef int h = self.b.head[pt], s = h
        while True:
            out.append(action_of(&self.b, s))
            s = self.b.next[s]
            if s == h:
                break
        return sorted(out)

    def chain_liberties(self, action):
        cdef int pt = self._pt(action)
        cdef int16_t buf[MAX_PTS]
        cdef int k, i
        if pt == PASS_PT or self.b.color[pt] != BLACK and self.b.color[pt] != WHITE:
            return []
        k = board_chain_liberties(&self.b, pt, buf)
        return sorted(action_of(&self.b, buf[i]) for i in range(k))

    def area(self):
        cdef int black, white
        board_area(&self.b, &black, &white)
        return (black, white)

    def score(self, double komi=0.0):
        cdef int black, white
        board_area(&self.b, &black, &white)
        return black - white - komi

    def playout(self, int color, rng=None, int max_moves=-1):
        """Random playout in place (see board_playout); returns the number of moves played.
        `rng` is a numpy Generator, an int seed, or None for fresh entropy."""
        _check_color(color)
        cdef uint64_t state
        if isinstance(rng, np.random.Generator):
            seed = int(rng.integers(0, 2**63))
        elif rng is None:
            seed = int(np.random.default_rng().integers(0, 2**63))
        else:
            seed = int(rng) & 0xFFFFFFFFFFFFFFFF
        state = _seed_state(<uint64_t>seed)
        if max_moves < 0:
            max_moves = 3 * self.b.size * self.b.size
        with nogil:
            n = board_playout(&self.b, color, max_moves, &state)
        return n

    def __str__(self):
        from .diagram import render
        return render(self.stones(), self.b.size, ko=self.ko if self.b.ko else None)

    def __repr__(self):
        return f"<goengine Board {self.b.size}x{self.b.size} stones={self.b.size ** 2 - self.b.num_empty} hash={self.b.hash:016x}>"


def playouts_per_second_probe(int size, int n, seed=0):
    """Run n playouts from the empty board (copying it each time); return total moves.
    Used by benchmarks/playouts.py to time the C playout without Python in the loop."""
    cdef board_t empty, work
    cdef uint64_t state = _seed_state(<uint64_t>seed)
    cdef long total = 0
    cdef int i, cap = 3 * size * size
    board_init(&empty, check_size(size))
    with nogil:
        for i in range(n):
            memcpy(&work, &empty, sizeof(board_t))
            total += board_playout(&work, BLACK, cap, &state)
    return total
