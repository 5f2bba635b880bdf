# cython: language_level=3
"""C helpers on the fast board shared by the feature extractors.

`after_move` answers, without playing, what a stone of `color` on an empty point would do:
stones captured, and the size and exact liberty count of the mover's chain afterwards.
It is what AlphaGo's "capture size", "self-atari size" and "liberties after move" planes
and the fast policy's "save atari" / "self-atari" features read; tests/test_features.py
checks it against playing the move on a copy of the board.
"""
from libc.string cimport memset

from goengine._board cimport board_t, EMPTY, MAX_PTS, touches_chain


cdef inline bint _in(int h, const int* arr, int k) noexcept nogil:
    cdef int i
    for i in range(k):
        if arr[i] == h:
            return True
    return False


cdef void marks_init(marks_t* m) noexcept nogil:
    memset(m, 0, sizeof(marks_t))


cdef int chain_liberty(const board_t* b, int pt) noexcept nogil:
    """One liberty of the chain on pt (the only one when it is in atari); 0 if none."""
    cdef int W = b.W, h = b.head[pt], s = h
    while True:
        if b.color[s - W] == EMPTY:
            return s - W
        if b.color[s + W] == EMPTY:
            return s + W
        if b.color[s - 1] == EMPTY:
            return s - 1
        if b.color[s + 1] == EMPTY:
            return s + 1
        s = b.next[s]
        if s == h:
            return 0


cdef void after_move(const board_t* b, int pt, int color, marks_t* m, after_t* out) noexcept nogil:
    """The result of `color` playing on the empty point pt (the caller checks legality).

    libs = |empty neighbours of pt  U  liberties of the adjacent own chains (less pt)
            U  captured stones adjacent to pt or to those own chains|."""
    cdef int W = b.W, opp = 3 - color, i, j, n, c, h, s, nf = 0, ne = 0, count = 0
    cdef int fr[4]
    cdef int en[4]
    cdef int d[4]
    cdef uint32_t st
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    out.captured = 0
    out.size = 1
    for i in range(4):
        n = pt + d[i]
        c = b.color[n]
        if c == color:
            h = b.head[n]
            for j in range(nf):
                if fr[j] == h:
                    break
            else:
                fr[nf] = h
                nf += 1
                out.size += b.csize[h]
        elif c == opp:
            h = b.head[n]
            if b.libs[h] == 1:
                for j in range(ne):
                    if en[j] == h:
                        break
                else:
                    en[ne] = h
                    ne += 1
                    out.captured += b.csize[h]
    if ne == 0 and nf <= 1:
        # fast path, no union needed: the new stone's empty neighbours that do not already
        # touch the joined chain, plus that chain's liberties less pt itself
        for i in range(4):
            n = pt + d[i]
            if b.color[n] == EMPTY and not (nf == 1 and touches_chain(b, n, fr[0], color)):
                count += 1
        out.libs = count + (b.libs[fr[0]] - 1 if nf == 1 else 0)
        return
    st = marks_next(m)
    m.mark[pt] = st
    for i in range(4):
        n = pt + d[i]
        if b.color[n] == EMPTY and m.mark[n] != st:
            m.mark[n] = st
            count += 1
    for j in range(nf):
        s = fr[j]
        while True:
            for i in range(4):
                n = s + d[i]
                if b.color[n] == EMPTY and m.mark[n] != st:
                    m.mark[n] = st
                    count += 1
            s = b.next[s]
            if s == fr[j]:
                break
    for j in range(ne):
        s = en[j]
        while True:
            for i in range(4):
                n = s + d[i]
                if n == pt or (b.color[n] == color and _in(b.head[n], fr, nf)):
                    count += 1      # each captured stone is marked at most once: it is visited once
                    break
            s = b.next[s]
            if s == en[j]:
                break
    out.libs = count
