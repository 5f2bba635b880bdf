# cython: language_level=3
"""The Zero network's Go-feature input ("zerogo25"): zero17 plus liberties, ko and ladders.

KataGo (Wu 2019, "Accelerating Self-Play Learning in Go") found that Go-specific inputs
(liberties, ko, ladders) save about 1.55x compute. For the side to move c (o = 3 - c the
opponent), float32 (B, 25, N, N), NCHW:

    plane  1 where ...
    0..16  zero17's planes, the same order (goengine.features.zero: X_t, Y_t, ..., C)
    17     a stone of c whose chain has exactly 1 liberty
    18     a stone of c whose chain has exactly 2 liberties
    19     a stone of c whose chain has 3 or more liberties
    20-22  the same for o's stones
    23     the simple-ko point: the one point c may not play now because of the simple ko
           rule (goengine._board's rule: o's last move was a single stone that captured
           exactly one stone and has exactly one liberty, the captured point); empty when
           there is none. Simple ko only: superko is the game's business.
    24     "ladderable": the stones of every chain that is lost to its owner with c to move,
           by direct capture or by goengine.features._lee's bounded ladder search
           (LADDER_MAX_DEPTH plies, LADDER_MAX_NODES attacker nodes per question; the ko
           point counts in every legality test of the reading), that is
             * an o chain with one liberty that c may legally play (it is captured at once;
               the only such liberty c may not play is the ko point of plane 23);
             * an o chain with two liberties that c captures by ladder: for one of its
               liberties L, c playing L is legal and leaves the chain in atari, and then
               every defence fails (_lee.ladder_capture_chain_c, the question lee48's
               ladder-capture plane asks at L about this one chain, so that plane 44 of
               lee48 is 1 at L exactly when L is a liberty of some such chain);
             * a c chain with one liberty that no defence saves: c to move, the ladder
               search's defence (extend on the liberty, or capture an adjacent o chain in
               atari; on two liberties the attack must fail) fails
               (_lee.ladder_defence_fails_c). This is more than "ladder_escape at the
               liberty fails" (lee48's plane 45): that plane tries the extension only, so a
               chain saved by capturing an atari-ing stone would read as lost there.
           c's chains with two or more liberties and o's with three or more are never
           marked (c moves first; a ladder needs an atari).

Two entry points, which give the same planes (tests/test_zerogo_planes.py):
  zerogo25(stones, to_play, size)  training time, from stored samples: stones int8
      (B, H, N*N) (0 empty, 1 black, 2 white; [:, 0] the current position, [:, 1] the one
      before it, ...; missing history is empty), to_play (B,). The current position is
      rebuilt on a C board (its stones placed one by one: no chain of a legal position is
      ever left without liberties on the way, so nothing is captured); the ko point comes
      from [:, 0] and [:, 1]: the positions differ exactly by one new o stone p and one c
      stone q removed, p touches no other o stone, and p's one empty neighbour is q. With
      [:, 1] the position before [:, 0] (as samples and LeafBatch hold it) that is
      _board.board_play's condition (o's move captured exactly one stone and is a chain of
      one stone with one liberty), read off the two positions; a pass, a setup position,
      or a move by c itself (a GTP `play` out of turn) gives no ko for c, as on the board.
  zerogo25_batch(batch)  search time, from a search LeafBatch: zero17 from its stone
      history, planes 17-24 from its C boards (batch.boards[i], whose ko point is the
      board's own: plane 23 is board.ko when board.ko_color is the side to move).
goengine/features/zerogo_ref.py is the slow reference on the Board Python API.

In C: zerogo_board_c(board, c, out, scratch) writes planes 17-24 of one board.
"""
from libc.stdlib cimport calloc, free
from libc.string cimport memset
from libc.stdint cimport int8_t, int16_t

import numpy as np
cimport numpy as cnp

from goengine._board cimport (
    board_t, board_init, board_play, board_is_legal, board_chain_liberties, pt_of,
    EMPTY, BLACK, WHITE, MAX_PTS,
)
from goengine.search._tree cimport LeafBatch
from goengine.features._boardops cimport chain_liberty
from goengine.features._lee cimport (
    lee_scratch_t, lee_scratch_take, lee_scratch_give, ladder_capture_chain_c,
    ladder_defence_fails_c,
)
from goengine.features._zero cimport zero17_c, ZERO_HISTORY
from goengine.features._zero import _out_array

cnp.import_array()

NUM_PLANES = ZG_PLANES
HISTORY = ZERO_HISTORY


# ----------------------------------------------------------------------------- ladders
cdef bint _ladderable(const board_t* b, int h, int c, lee_scratch_t* s) noexcept nogil:
    """Plane 24's question for the chain with head h (see the module docstring)."""
    cdef int libs = b.libs[h], k
    cdef int16_t lib[MAX_PTS]
    if b.color[h] == c:
        return libs == 1 and ladder_defence_fails_c(b, h, s)
    if libs == 1:
        return board_is_legal(b, chain_liberty(b, h), c)
    if libs == 2:
        board_chain_liberties(b, h, lib)
        for k in range(2):
            if ladder_capture_chain_c(b, lib[k], h, c, s):
                return True
    return False


cdef void zerogo_board_c(const board_t* b, int c, float* out, lee_scratch_t* s) noexcept nogil:
    """Planes 17-24 of the position b, colour c to move: out points at plane 0 of the
    sample (25 planes of N*N); planes 0-16 are left alone."""
    cdef int n = b.size, NN = n * n, W = b.W, r, col, pt, a = 0, h, libs, colour
    cdef int8_t verdict[MAX_PTS]          # per chain head: -1 unknown, 0 / 1 plane 24
    cdef float* base = out + P_OWN_LIBS * NN
    memset(base, 0, <size_t>(ZG_PLANES - P_OWN_LIBS) * NN * sizeof(float))
    memset(verdict, -1, <size_t>(W * W))
    for r in range(n):
        pt = (r + 1) * W + 1
        for col in range(n):
            colour = b.color[pt]
            if colour == BLACK or colour == WHITE:
                h = b.head[pt]
                libs = b.libs[h]
                out[((P_OWN_LIBS if colour == c else P_OPP_LIBS) + (libs if libs < 3 else 3) - 1) * NN + a] = 1.0
                if libs <= 2:
                    if verdict[h] < 0:
                        verdict[h] = 1 if _ladderable(b, h, c, s) else 0
                    if verdict[h]:
                        out[P_LADDER * NN + a] = 1.0
            a += 1
            pt += 1
    if b.ko != 0 and b.ko_color == c:
        out[P_KO * NN + (b.ko // W - 1) * n + b.ko % W - 1] = 1.0


cdef int _ko_point(const int8_t* now, const int8_t* before, int c, int size) noexcept nogil:
    """The action of the simple-ko point forbidding c, -1 for none, from the current position
    and the one before it (see the module docstring)."""
    cdef int nn = size * size, a, p = -1, q = -1, o = 3 - c, r, col, libs = 0
    for a in range(nn):
        if now[a] == before[a]:
            continue
        if now[a] == o and before[a] == EMPTY and p < 0:
            p = a
        elif now[a] == EMPTY and before[a] == c and q < 0:
            q = a
        else:
            return -1
    if p < 0 or q < 0:
        return -1
    r = p // size
    col = p % size
    if r > 0:
        if now[p - size] == o:
            return -1
        libs += now[p - size] == EMPTY
    if r < size - 1:
        if now[p + size] == o:
            return -1
        libs += now[p + size] == EMPTY
    if col > 0:
        if now[p - 1] == o:
            return -1
        libs += now[p - 1] == EMPTY
    if col < size - 1:
        if now[p + 1] == o:
            return -1
        libs += now[p + 1] == EMPTY
    if libs != 1:
        return -1
    if q == p - size or q == p + size or (q == p - 1 and col > 0) or (q == p + 1 and col < size - 1):
        return q            # p's one liberty is the captured point
    return -1


cdef int _board_from_stones(board_t* b, const int8_t* now, const int8_t* before, int c,
                            int size) noexcept nogil:
    """Rebuild the position `now` on b, its ko point from `before` (NULL: no history).
    Returns 0, 1 for a colour outside 0..2, 2 for a chain without liberties."""
    cdef int nn = size * size, a, empties = 0, k
    board_init(b, size)
    for a in range(nn):
        if now[a] == EMPTY:
            empties += 1
        elif now[a] == BLACK or now[a] == WHITE:
            board_play(b, pt_of(b, a), now[a])
        else:
            return 1
    if b.num_empty != empties:
        return 2
    b.ko = 0
    b.ko_color = 0
    if before != NULL:
        k = _ko_point(now, before, c, size)
        if k >= 0:
            b.ko = pt_of(b, k)
            b.ko_color = c
    return 0


# ----------------------------------------------------------------------------- Python API
def zerogo25(stones, to_play, int size, out=None):
    """Training time: stones int8 (B, H, N*N) ([:, 0] the current position, [:, 1] the one
    before it; H >= 1, missing history empty), to_play (B,) -> float32 (B, 25, N, N)."""
    st = np.ascontiguousarray(stones, dtype=np.int8)
    tp = np.ascontiguousarray(to_play, dtype=np.int8).reshape(-1)
    if st.ndim != 3:
        raise ValueError(f"stones must be (B, H, N*N), got shape {st.shape}")
    cdef int count = st.shape[0], history = st.shape[1], nn = st.shape[2], i, bad = 0, at = -1
    if nn != size * size:
        raise ValueError(f"stones have {nn} points, expected {size * size}")
    if not 2 <= size <= 25:
        raise ValueError(f"board size must be 2..25, got {size}")
    if history < 1:
        raise ValueError("stones need at least the current position (H >= 1)")
    if tp.shape[0] != count:
        raise ValueError(f"{count} positions but {tp.shape[0]} colours to move")
    if count and not np.isin(tp, (BLACK, WHITE)).all():
        raise ValueError("to_play must hold BLACK (1) or WHITE (2)")
    shape = (count, ZG_PLANES, size, size)
    out = _out_array(out, shape)
    if count == 0:
        return out
    cdef const int8_t[:, :, ::1] sv = st
    cdef const int8_t[::1] tv = tp
    cdef float[:, :, :, ::1] ov = out
    cdef board_t* b = <board_t*>calloc(1, sizeof(board_t))
    if b == NULL:
        raise MemoryError()
    cdef lee_scratch_t* s = NULL
    try:
        s = lee_scratch_take()
        with nogil:
            for i in range(count):
                zero17_c(&sv[i, 0, 0], &tv[i], 1, history, nn, &ov[i, 0, 0, 0])
                bad = _board_from_stones(b, &sv[i, 0, 0], &sv[i, 1, 0] if history > 1 else NULL,
                                         tv[i], size)
                if bad:
                    at = i
                    break
                zerogo_board_c(b, tv[i], &ov[i, 0, 0, 0], s)
    finally:
        free(b)
        if s != NULL:
            lee_scratch_give(s)
    if bad == 1:
        raise ValueError(f"position {at}: stones must be 0 (empty), 1 (black) or 2 (white)")
    if bad == 2:
        raise ValueError(f"position {at}: a chain without liberties (not a legal position)")
    return out


def zerogo25_batch(LeafBatch batch, out=None):
    """Search time: the zerogo25 planes of the n leaves of a LeafBatch, from its stone history
    (planes 0-16) and its C boards (17-24, the ko point the board's own)."""
    cdef int count = batch.n, size = batch.size, nn = size * size, i
    shape = (count, ZG_PLANES, size, size)
    out = _out_array(out, shape)
    if count == 0:
        return out
    cdef float[:, :, :, ::1] ov = out
    cdef int H = batch.history_length
    cdef lee_scratch_t* s = lee_scratch_take()
    try:
        with nogil:
            for i in range(count):
                zero17_c(batch.stones + <size_t>i * H * nn, batch.to_play + i, 1, H, nn,
                         &ov[i, 0, 0, 0])
                zerogo_board_c(&batch.boards[i], batch.to_play[i], &ov[i, 0, 0, 0], s)
    finally:
        lee_scratch_give(s)
    return out
