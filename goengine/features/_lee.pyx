# cython: language_level=3
"""AlphaGo's (2016) network inputs in C: "lee48" (policy nets) and "lee49" (value net).

Planes for the player to move, colour c (Silver et al. 2016, Extended Data Table 2), each an
N x N plane, float32, the whole input (B, 48 or 49, N, N) NCHW:

    plane  count  feature            1 where ...
    0      3      stone colour       0: c's stone, 1: opponent's stone, 2: empty
    3      1      ones               everywhere
    4      8      turns since        a stone placed k = 1..7 moves ago (plane 4 + k - 1); plane 11:
                                     8 or more moves ago, or not by a move (setup, handicap)
    12     8      liberties          a stone whose chain has k = 1..7 liberties; plane 19: 8+
    20     8      capture size       a legal move for c that captures k = 0..6 stones; plane 27: 7+
    28     8      self-atari size    a legal move for c after which c's chain has exactly one
                                     liberty, the chain having k = 1..7 stones; plane 35: 8+
    36     8      liberties after    a legal move for c after which c's chain has k = 1..7
                                     liberties; plane 43: 8+
    44     1      ladder capture     a legal move for c that captures an adjacent two-liberty
                                     opponent chain by ladder (ladder_capture below)
    45     1      ladder escape      a legal move for c on the liberty of c's chain in atari that
                                     saves it from a ladder (ladder_escape below)
    46     1      sensibleness       a legal move for c that does not fill c's one-point eye
    47     1      zeros              nowhere
    48     1      player colour      everywhere if c is black (lee49 only)

"Legal" is the board's rule: empty, not the simple-ko point, not suicide (positional superko
is the game's business and is not read here). One-point eyes are goengine._board's
`board_is_eye`, the eye rule of the playouts.

Turns since. A stone placed by one of the last 8 moves is at the point of the most recent of
those moves, so `last_moves` (int16, 8 entries, last_moves[0] the move just played, then the
one before, ...; pass, or < 0 for "before the game's start", ignored) is all the history
the planes need: a stone whose point is last_moves[k] (most recent such k) is k+1 turns old,
every other stone is 8+.

Ladders. A bounded search on copies of the board (board_t, one per ply, in lee_scratch_t):
  defence(target in atari, defender to move): the defender tries, in increasing point order,
    the chain's liberty and the liberty of every adjacent attacker chain in atari (captures);
    a move that leaves the target with 3+ liberties escapes, with 2 it escapes unless
    attack() succeeds, with 1 it fails. defence fails when every legal try fails.
  attack(target with two liberties, attacker to move): counts one node; gives up (fails) at
    LADDER_MAX_DEPTH plies or past LADDER_MAX_NODES nodes; tries both liberties in increasing
    order; succeeds when one of them leaves a position where defence fails.
  ladder_capture(p): p is legal for c, and for some adjacent opponent chain with exactly two
    liberties, after c plays p, defence fails (a fresh node budget per chain).
  ladder_escape(p): p is legal for c and the liberty of an adjacent chain of c in atari, and
    after c plays p the chain has 3+ liberties, or 2 and attack fails (fresh budget).
goengine/features/lee_ref.py implements the same definitions on the Board Python API; the
tests compare the two plane by plane.

Entry points: lee48(states) / lee49(states) for GameStates (last_moves from game.history);
lee_planes(boards, colors, last_moves, planes) for Cython Boards; lee_planes_batch(batch,
last_moves, planes) for a search LeafBatch (its C boards and to_play); and in C,
lee_planes_c(board, color, last_moves, nplanes, out, scratch) with a scratch from
lee_scratch_new() (about 1 MB; one per thread). The same search answers per-chain questions
in C for zerogo25's ladder plane (_zerogo.pyx): ladder_capture_chain_c (ladder_capture for
one chain) and ladder_defence_fails_c (a chain in atari, its owner to move, is lost).

Over 500 lines: the 48 planes' C extractors (ladders included) are one concept.
"""
from libc.stdlib cimport calloc, free
from libc.string cimport memset
from libc.stdint cimport int16_t, int32_t, uint8_t, uint32_t

import numpy as np
cimport numpy as cnp

from goengine._board cimport (
    board_t, Board, board_is_legal, board_is_eye, board_play, pt_of, touches_chain,
    EMPTY, BLACK, WHITE, MAX_PTS, PASS_PT,
)
from goengine.search._tree cimport LeafBatch
from goengine.features._boardops cimport (
    marks_t, after_t, board_copy, marks_next, marks_init, after_move, chain_liberty,
)

cnp.import_array()

NUM_PLANES = LEE_PLANES
NUM_VALUE_PLANES = LEE_VALUE_PLANES
HISTORY = TURNS_HISTORY
MAX_LADDER_DEPTH = LADDER_MAX_DEPTH
MAX_LADDER_NODES = LADDER_MAX_NODES

cdef enum:
    P_OWN = 0
    P_OPP = 1
    P_EMPTY = 2
    P_ONES = 3
    P_TURNS = 4
    P_LIBS = 12
    P_CAPTURE = 20
    P_SELF_ATARI = 28
    P_LIBS_AFTER = 36
    P_LADDER_CAPTURE = 44
    P_LADDER_ESCAPE = 45
    P_SENSIBLE = 46
    P_ZEROS = 47
    P_COLOR = 48


# ----------------------------------------------------------------------------- scratch
cdef lee_scratch_t* lee_scratch_new() noexcept nogil:
    """A zeroed work space, or NULL when out of memory."""
    cdef lee_scratch_t* s = <lee_scratch_t*>calloc(1, sizeof(lee_scratch_t))
    if s != NULL:
        marks_init(&s.marks)
    return s


cdef void lee_scratch_free(lee_scratch_t* s) noexcept nogil:
    free(s)


cdef lee_scratch_t* _cached = NULL    # one spare work space, taken and given back under the GIL


cdef lee_scratch_t* lee_scratch_take() except NULL:
    """A work space: the spare one, or a new one (MemoryError when none can be had). Under
    the GIL; give it back with lee_scratch_give. Shared by the lee and zerogo planes."""
    global _cached
    cdef lee_scratch_t* s = _cached
    if s != NULL:
        _cached = NULL
        return s
    s = lee_scratch_new()
    if s == NULL:
        raise MemoryError("cannot allocate the ladder work space")
    return s


cdef void lee_scratch_give(lee_scratch_t* s) noexcept:
    """Keep `s` as the spare work space, or free it when there is one."""
    global _cached
    if _cached == NULL:
        _cached = s
    else:
        lee_scratch_free(s)


# ----------------------------------------------------------------------------- ladders
cdef inline void _sort(int16_t* a, int k) noexcept nogil:
    cdef int i, j
    cdef int16_t x
    for i in range(1, k):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


cdef bint _defence_fails(lee_scratch_t* s, const board_t* cur, int target, int attacker,
                         int depth) noexcept nogil:
    """The chain on `target` has one liberty and its owner is to move: True when no
    defender move saves it from the ladder (see the module docstring)."""
    cdef int W = cur.W, defender = 3 - attacker, k = 0, i, j, n, h, m, libs, st_pt, lib
    cdef int16_t* opts = &s.opts[depth][0]
    cdef board_t* nxt = &s.boards[depth]
    cdef uint32_t st = marks_next(&s.marks)
    cdef after_t am
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    m = chain_liberty(cur, target)
    lib = m
    opts[k] = <int16_t>m
    k += 1
    s.marks.mark[m] = st
    st_pt = cur.head[target]
    j = st_pt
    while True:
        for i in range(4):
            n = j + d[i]
            if cur.color[n] == attacker:
                h = cur.head[n]
                if s.marks.mark[h] != st:
                    s.marks.mark[h] = st
                    if cur.libs[h] == 1:
                        m = chain_liberty(cur, h)
                        if s.marks.mark[m] != st:
                            s.marks.mark[m] = st
                            opts[k] = <int16_t>m
                            k += 1
        j = cur.next[j]
        if j == st_pt:
            break
    _sort(opts, k)
    for i in range(k):
        m = opts[i]
        if not board_is_legal(cur, m, defender):
            continue
        if m == lib:
            # extending: the chain's liberties afterwards are known without playing
            after_move(cur, m, defender, &s.marks, &am)
            if am.libs >= 3:
                return False
            if am.libs < 2:
                continue
        board_copy(nxt, cur)
        board_play(nxt, m, defender)
        libs = nxt.libs[nxt.head[target]]
        if libs >= 3:
            return False
        if libs == 2 and not _attack(s, nxt, target, attacker, depth + 1):
            return False
    return True


cdef bint _attack(lee_scratch_t* s, const board_t* cur, int target, int attacker,
                  int depth) noexcept nogil:
    """The chain on `target` has two liberties and the attacker is to move: True when the
    attacker captures it by ladder within the depth and node bounds."""
    cdef int W = cur.W, i, h, j, n, k = 0, L
    cdef int16_t* libs = &s.opts[depth][0]
    cdef board_t* nxt = &s.boards[depth]
    cdef int d[4]
    s.nodes += 1
    if depth >= LADDER_MAX_DEPTH or s.nodes > LADDER_MAX_NODES:
        return False
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    h = cur.head[target]
    j = h
    while k < 2:                      # the two liberties, in increasing order
        for i in range(4):
            n = j + d[i]
            if cur.color[n] == EMPTY and (k == 0 or libs[0] != n):
                libs[k] = <int16_t>n
                k += 1
                if k == 2:
                    break
        j = cur.next[j]
        if j == h:
            break
    _sort(libs, k)
    for i in range(k):
        L = libs[i]
        if not board_is_legal(cur, L, attacker):
            continue
        board_copy(nxt, cur)
        board_play(nxt, L, attacker)
        if _defence_fails(s, nxt, target, attacker, depth + 1):
            return True
    return False


cdef bint ladder_capture_c(const board_t* b, int pt, int color, lee_scratch_t* s) noexcept nogil:
    """Whether `color` playing the empty point pt captures an adjacent two-liberty opponent
    chain by ladder."""
    cdef int W = b.W, opp = 3 - color, i, j, n, nc = 0
    cdef int cand[4]
    cdef int d[4]
    cdef board_t* nxt = &s.boards[0]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    for i in range(4):
        n = pt + d[i]
        if b.color[n] == opp and b.libs[b.head[n]] == 2:
            for j in range(nc):
                if b.head[cand[j]] == b.head[n]:
                    break
            else:
                cand[nc] = n
                nc += 1
    if nc == 0 or not board_is_legal(b, pt, color):
        return False
    board_copy(nxt, b)
    board_play(nxt, pt, color)
    for j in range(nc):
        if nxt.color[cand[j]] != opp or nxt.libs[nxt.head[cand[j]]] != 1:
            continue
        s.nodes = 0
        if _defence_fails(s, nxt, cand[j], color, 1):
            return True
    return False


cdef bint ladder_escape_c(const board_t* b, int pt, int color, lee_scratch_t* s) noexcept nogil:
    """Whether `color` playing the empty point pt, the liberty of an adjacent chain of its
    own in atari, saves that chain from a ladder."""
    cdef int W = b.W, i, n
    cdef bint found = False
    cdef board_t* nxt = &s.boards[0]
    cdef after_t am
    for i in range(4):
        n = pt + (-W if i == 0 else W if i == 1 else -1 if i == 2 else 1)
        if b.color[n] == color and b.libs[b.head[n]] == 1:
            found = True
            break
    if not found or not board_is_legal(b, pt, color):
        return False
    after_move(b, pt, color, &s.marks, &am)
    if am.libs >= 3:
        return True
    if am.libs < 2:
        return False
    board_copy(nxt, b)
    board_play(nxt, pt, color)
    s.nodes = 0
    return not _attack(s, nxt, pt, 3 - color, 1)


cdef bint ladder_capture_chain_c(const board_t* b, int pt, int target, int color,
                                 lee_scratch_t* s) noexcept nogil:
    """ladder_capture_c's question for one chain: whether `color` playing the empty point pt
    captures the two-liberty opponent chain on `target` (pt one of its liberties) by ladder.
    The same search with the same fresh node budget, so that ladder_capture_c(b, pt, color)
    is the OR of this over pt's adjacent two-liberty opponent chains."""
    cdef int opp = 3 - color
    cdef board_t* nxt = &s.boards[0]
    if (b.color[target] != opp or b.libs[b.head[target]] != 2 or b.color[pt] != EMPTY
            or not touches_chain(b, pt, b.head[target], opp) or not board_is_legal(b, pt, color)):
        return False
    board_copy(nxt, b)
    board_play(nxt, pt, color)
    if nxt.color[target] != opp or nxt.libs[nxt.head[target]] != 1:
        return False
    s.nodes = 0
    return _defence_fails(s, nxt, target, color, 1)


cdef bint ladder_defence_fails_c(const board_t* b, int target, lee_scratch_t* s) noexcept nogil:
    """The chain on `target` is in atari and its owner is to move: whether no defence saves it
    from the ladder, i.e. the search's defence (extending on the liberty, or capturing an
    adjacent attacker chain in atari, then attack() on two liberties) fails at ply 0 (the
    owner's move is ply 0, as in ladder_escape_c) with a fresh node budget. ladder_escape_c
    asks about the extension alone; this asks about every defence. False when the chain is
    not in atari. `b` must not be one of s's boards."""
    if (b.color[target] != BLACK and b.color[target] != WHITE) or b.libs[b.head[target]] != 1:
        return False
    s.nodes = 0
    return _defence_fails(s, b, target, 3 - b.color[target], 0)


# ----------------------------------------------------------------------------- the planes
cdef inline int _imin(int a, int b) noexcept nogil:
    return a if a < b else b


cdef void lee_planes_c(const board_t* b, int color, const int16_t* last_moves, int nplanes,
                       float* out, lee_scratch_t* s) noexcept nogil:
    """Write the 48 (or 49) planes of the position b, `color` to move, to out (nplanes, N, N).
    last_moves: TURNS_HISTORY actions, most recent first (see the module docstring), or NULL."""
    cdef int n = b.size, NN = n * n, W = b.W, a, k, pt, c, libs, opp = 3 - color, r, col
    cdef uint8_t age[MAX_PTS]
    cdef after_t am
    memset(out, 0, <size_t>nplanes * NN * sizeof(float))
    memset(age, 0, NN)
    if last_moves != NULL:
        for k in range(TURNS_HISTORY - 1, -1, -1):
            a = last_moves[k]
            if 0 <= a < NN:
                age[a] = <uint8_t>(k + 1)
    a = 0
    for r in range(n):
        pt = (r + 1) * W + 1
        for col in range(n):
            c = b.color[pt]
            out[P_ONES * NN + a] = 1.0
            if c == EMPTY:
                out[P_EMPTY * NN + a] = 1.0
                if board_is_legal(b, pt, color):
                    after_move(b, pt, color, &s.marks, &am)
                    out[(P_CAPTURE + _imin(am.captured, 7)) * NN + a] = 1.0
                    if am.libs == 1:
                        out[(P_SELF_ATARI + _imin(am.size, 8) - 1) * NN + a] = 1.0
                    out[(P_LIBS_AFTER + _imin(am.libs, 8) - 1) * NN + a] = 1.0
                    if ladder_capture_c(b, pt, color, s):
                        out[P_LADDER_CAPTURE * NN + a] = 1.0
                    if ladder_escape_c(b, pt, color, s):
                        out[P_LADDER_ESCAPE * NN + a] = 1.0
                    if not board_is_eye(b, pt, color):
                        out[P_SENSIBLE * NN + a] = 1.0
            else:
                out[(P_OWN if c == color else P_OPP) * NN + a] = 1.0
                k = age[a] if age[a] else 8
                out[(P_TURNS + k - 1) * NN + a] = 1.0
                libs = b.libs[b.head[pt]]
                out[(P_LIBS + _imin(libs, 8) - 1) * NN + a] = 1.0
            a += 1
            pt += 1
    if nplanes > P_COLOR and color == BLACK:
        for a in range(NN):
            out[P_COLOR * NN + a] = 1.0


# ----------------------------------------------------------------------------- Python API
cdef int _check_planes(int planes) except -1:
    if planes != LEE_PLANES and planes != LEE_VALUE_PLANES:
        raise ValueError(f"lee planes must be 48 or 49, got {planes}")
    return planes


def recent_moves(game):
    """int16 (8,): the actions of the last 8 moves of a GameState, most recent first (pass =
    N*N), -1 before the game's start: the `last_moves` row the "turns since" planes read."""
    out = np.full(TURNS_HISTORY, -1, dtype=np.int16)
    history = game.history
    cdef int k, m = len(history)
    for k in range(min(TURNS_HISTORY, m)):
        out[k] = history[m - 1 - k][1]
    return out


def _out_array(out, int count, int planes, int size):
    shape = (count, planes, size, size)
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if (not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.float32
            or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}")
    return out


def lee_planes(boards, colors, last_moves=None, int planes=48, out=None):
    """Planes for Cython Boards: boards (B,), colors (B,) to move, last_moves int16 (B, 8)
    (see the module docstring; None: no history, every stone 8+ turns old)
    -> float32 (B, planes, N, N)."""
    boards = list(boards)
    cdef int count = len(boards), i, size
    _check_planes(planes)
    if count == 0:
        raise ValueError("lee_planes needs at least one board")
    size = (<Board?>boards[0]).b.size
    cols = np.ascontiguousarray(colors, dtype=np.int32).reshape(-1)
    if cols.shape[0] != count:
        raise ValueError(f"{count} boards but {cols.shape[0]} colours")
    cdef int16_t[:, ::1] lm
    cdef bint have_moves = last_moves is not None
    if have_moves:
        lm = np.ascontiguousarray(last_moves, dtype=np.int16).reshape(count, TURNS_HISTORY)
    result = _out_array(out, count, planes, size)
    cdef float[:, :, :, ::1] o = result
    cdef int[::1] cv = cols
    cdef Board board
    cdef const int16_t* lmp = NULL
    cdef lee_scratch_t* s = lee_scratch_take()
    try:
        for i in range(count):
            board = <Board?>boards[i]
            if board.b.size != size:
                raise ValueError("all boards of a batch must have the same size")
            if cv[i] != BLACK and cv[i] != WHITE:
                raise ValueError(f"invalid colour {cv[i]} to move")
            if have_moves:
                lmp = &lm[i, 0]
            with nogil:
                lee_planes_c(&board.b, cv[i], lmp, planes, &o[i, 0, 0, 0], s)
    finally:
        lee_scratch_give(s)
    return result


def lee_planes_states(states, int planes=48, out=None):
    """Planes for GameStates (over the Cython Board): each state's board, side to move and
    last 8 moves (game.history) -> float32 (B, planes, N, N)."""
    states = list(states)
    if not states:
        raise ValueError("lee planes need at least one state")
    cdef int count = len(states), i, k, m
    lm = np.full((count, TURNS_HISTORY), -1, dtype=np.int16)
    cdef int16_t[:, ::1] lv = lm
    for i in range(count):
        st = states[i]
        if not isinstance(st.board, Board):
            raise TypeError("lee features need GameStates over the Cython Board (goengine._board.Board)")
        history = st.history
        m = len(history)
        for k in range(min(TURNS_HISTORY, m)):
            lv[i, k] = history[m - 1 - k][1]
    return lee_planes([st.board for st in states], [st.to_play for st in states], lm, planes, out)


def lee48(states, out=None):
    """AlphaGo's policy-network input for GameStates: float32 (B, 48, N, N)."""
    return lee_planes_states(states, LEE_PLANES, out)


def lee49(states, out=None):
    """AlphaGo's value-network input for GameStates: float32 (B, 49, N, N)."""
    return lee_planes_states(states, LEE_VALUE_PLANES, out)


def lee_planes_batch(LeafBatch batch, last_moves=None, int planes=48, out=None):
    """Planes for the n leaves of a search LeafBatch (its C boards and to_play); last_moves
    int16 (n, 8) as in the module docstring (None: every stone 8+ turns old)."""
    _check_planes(planes)
    cdef int count = batch.n, i
    if count == 0:
        return np.zeros((0, planes, batch.size, batch.size), dtype=np.float32)
    cdef int16_t[:, ::1] lm
    cdef bint have_moves = last_moves is not None
    if have_moves:
        lm = np.ascontiguousarray(last_moves, dtype=np.int16).reshape(count, TURNS_HISTORY)
    result = _out_array(out, count, planes, batch.size)
    cdef float[:, :, :, ::1] o = result
    cdef const int16_t* lmp = NULL
    cdef lee_scratch_t* s = lee_scratch_take()
    try:
        with nogil:
            for i in range(count):
                if have_moves:
                    lmp = &lm[i, 0]
                lee_planes_c(&batch.boards[i], batch.to_play[i], lmp, planes, &o[i, 0, 0, 0], s)
    finally:
        lee_scratch_give(s)
    return result


cdef int _empty_point(Board board, int action) except -1:
    cdef int n = board.b.size
    if not 0 <= action < n * n:
        raise ValueError(f"action {action} is not a point of a {n}x{n} board")
    return pt_of(&board.b, action)


def ladder_capture(Board board, int action, int color):
    """Whether `color` playing `action` captures an adjacent two-liberty chain by ladder."""
    cdef int pt = _empty_point(board, action)
    if board.b.color[pt] != EMPTY:
        return False
    cdef lee_scratch_t* s = lee_scratch_take()
    try:
        return bool(ladder_capture_c(&board.b, pt, color, s))
    finally:
        lee_scratch_give(s)


def ladder_escape(Board board, int action, int color):
    """Whether `color` playing `action` saves an adjacent chain of its own in atari from a ladder."""
    cdef int pt = _empty_point(board, action)
    if board.b.color[pt] != EMPTY:
        return False
    cdef lee_scratch_t* s = lee_scratch_take()
    try:
        return bool(ladder_escape_c(&board.b, pt, color, s))
    finally:
        lee_scratch_give(s)


def after_move_info(Board board, int action, int color):
    """(captured, liberties, chain size) of `color` playing the empty point `action`, computed
    without playing (_boardops.after_move); the caller checks legality."""
    cdef int pt = _empty_point(board, action)
    if board.b.color[pt] != EMPTY:
        raise ValueError(f"point {action} is occupied")
    cdef marks_t* m = <marks_t*>calloc(1, sizeof(marks_t))
    cdef after_t am
    if m == NULL:
        raise MemoryError()
    after_move(&board.b, pt, color, m, &am)
    free(m)
    return am.captured, am.libs, am.size
