# cython: language_level=3
"""Local patterns of AlphaGo's fast rollout and tree policies (Silver et al. 2016, Methods
"Rollout policy" and Extended Data Table 4), on a board with incrementally updated codes.

Encoding
--------
Every point has a 4-bit nibble: bits 0-1 the liberty class of the chain on it (0 for an
empty or off-board point, else 1, 2 or 3 for 1, 2, >= 3 liberties), bits 2-3 its colour
(0 empty, 1 black, 2 white, 3 off-board). Patterns are read relative to the player to move
c (`rel_nibbles`: own stones colour 1, the opponent's colour 2), so one weight serves both
colours.
  3x3 code of a point: the nibbles of its 8 neighbours, neighbour d at bits 4d..4d+3, in the
      order d = N, S, W, E, NW, NE, SW, SE (offsets (-1,0) (1,0) (0,-1) (0,1) (-1,-1) (-1,1)
      (1,-1) (1,1) as (row, column)). pboard_t keeps it for every point, updated as stones
      are played and captured and as chains change liberty class (pb_play).
  12-point diamond of a point: the nibbles of the points at offsets k = 0..11:
      (-2,0) (-1,-1) (-1,0) (-1,1) (0,-2) (0,-1) (0,1) (0,2) (1,-1) (1,0) (1,1) (2,0),
      point k at bits 4k..4k+3 (48 bits); computed when needed.

Feature index space (one flat float32 weight vector; T = PAT_TABLE_SIZE = 2**18)
--------------------------------------------------------------------------------
  index                  count  feature (binary, for a candidate move p of c)
  F_NR3 = 0              T      non-response 3x3 pattern: mix64(rel 3x3 code of p ^ S3) >> 46
  F_RESP = T             T      response pattern, when p is in the 12-point diamond of the
                                previous move m (the opponent's): key = rel diamond of m
                                | liberty class of m << 48 | k << 52 (k: p's place in the
                                diamond); index mix64(key ^ SR) >> 46
  F_RESPONSE = 2T        1      p is in the diamond of m
  F_SAVE_ATARI = 2T+1    1      p saves own stones in atari: p is the liberty of an own chain
                                in atari and that chain has >= 2 liberties after p, or p
                                captures an opponent chain adjacent to an own chain in atari
  F_NEIGHBOUR = 2T+2     8      p is 8-connected to m, by direction from m (N S W E NW NE SW SE)
  NUM_ROLLOUT_FEATURES = 2T+10  (the rollout policy reads only these)
  F_SELF_ATARI = 2T+10   1      tree only: after p, c's chain has exactly one liberty
  F_DIST_PREV = 2T+11    17     tree only: min(|p - m|_1, 17) - 1, when there is an m
  F_DIST_PREV2 = 2T+28   17     tree only: the same for the move before m (c's own)
  F_NR12 = 2T+45         T      tree only: 12-point diamond around p: mix64(rel diamond ^ S12) >> 46
  NUM_TREE_FEATURES = 3T+45
A move's logit is the sum of the weights of its active features (at most MAX_ACTIVE = 9).
There is no previous move after a pass or at the start of a rollout the tree starts without
one. Hashing is "feature hashing": distinct patterns may share a table entry (rarely, with
2**18 entries per table). Nakade patterns (Extended Data Table 4) are not implemented.
goengine/features/patterns_ref.py computes the same indices from the Board API; the tests
hold the two equal, and the incremental codes equal to a recompute.

Over 500 lines: the pattern hashes and their incremental updates in C are one concept.
"""
from libc.string cimport memset
from libc.stdint cimport uint64_t, uint32_t, uint8_t, int16_t, int32_t

from goengine._board cimport (
    board_t, board_play, board_is_legal, EMPTY, EDGE, MAX_PTS, PASS_PT,
)
from goengine.features._boardops cimport (
    marks_t, after_t, board_copy, marks_next, after_move, chain_liberty,
)

cdef uint64_t SALT_NR3 = <uint64_t>0x9E3779B97F4A7C15
cdef uint64_t SALT_RESP = <uint64_t>0xD1B54A32D192ED03
cdef uint64_t SALT_NR12 = <uint64_t>0x8CB92BA72F3D8DD7

# diamond offsets (row, column), and the 3x3 direction (N S W E NW NE SW SE) of the inner 8
cdef int DR[12]
cdef int DC[12]
cdef int NB_OF[12]
cdef int _i
_DR = (-2, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 2)
_DC = (0, -1, 0, 1, -2, -1, 1, 2, -1, 0, 1, 0)
_NB = (-1, 4, 0, 5, -1, 2, 3, -1, 6, 1, 7, -1)
for _i in range(12):
    DR[_i] = _DR[_i]
    DC[_i] = _DC[_i]
    NB_OF[_i] = _NB[_i]
# the index in the diamond of the offset (dr + 2, dc + 2), -1 outside it
cdef int DIAMOND_AT[5][5]
for _i in range(25):
    DIAMOND_AT[_i // 5][_i % 5] = -1
for _i in range(12):
    DIAMOND_AT[_DR[_i] + 2][_DC[_i] + 2] = _i

TABLE_BITS = PAT_TABLE_BITS
TABLE_SIZE = PAT_TABLE_SIZE
OFFSETS = {
    "nr3": F_NR3, "response_pattern": F_RESP, "response": F_RESPONSE,
    "save_atari": F_SAVE_ATARI, "neighbour": F_NEIGHBOUR, "self_atari": F_SELF_ATARI,
    "dist_prev": F_DIST_PREV, "dist_prev2": F_DIST_PREV2, "nr12": F_NR12,
}
ROLLOUT_FEATURES = NUM_ROLLOUT_FEATURES
TREE_FEATURES = NUM_TREE_FEATURES
SALTS = {"nr3": SALT_NR3, "response_pattern": SALT_RESP, "nr12": SALT_NR12}
DIAMOND = tuple(zip(_DR, _DC))


# ----------------------------------------------------------------------------- encoding
cdef inline int _dir_offset(int W, int d) noexcept nogil:
    if d == 0:
        return -W
    if d == 1:
        return W
    if d == 2:
        return -1
    if d == 3:
        return 1
    if d == 4:
        return -W - 1
    if d == 5:
        return -W + 1
    if d == 6:
        return W - 1
    return W + 1


cdef inline uint8_t _nib_of(const board_t* b, int p) noexcept nogil:
    cdef int c = b.color[p]
    if c == EMPTY:
        return 0
    if c == EDGE:
        return NIB_EDGE
    return <uint8_t>((c << 2) | lib_class(b.libs[b.head[p]]))


cdef inline uint32_t _code_of(const uint8_t* nib, int W, int p) noexcept nogil:
    return (<uint32_t>nib[p - W] | (<uint32_t>nib[p + W] << 4) | (<uint32_t>nib[p - 1] << 8)
            | (<uint32_t>nib[p + 1] << 12) | (<uint32_t>nib[p - W - 1] << 16)
            | (<uint32_t>nib[p - W + 1] << 20) | (<uint32_t>nib[p + W - 1] << 24)
            | (<uint32_t>nib[p + W + 1] << 28))


cdef uint64_t diamond_key(const pboard_t* pb, int pt) noexcept nogil:
    """The 12 absolute nibbles of the diamond around pt (off-board: NIB_EDGE)."""
    cdef int W = pb.b.W, r0 = pt // W, c0 = pt % W, k, r, c
    cdef uint64_t key = 0, nb
    for k in range(12):
        r = r0 + DR[k]
        c = c0 + DC[k]
        if 0 <= r < W and 0 <= c < W:
            nb = pb.nib[r * W + c]
        else:
            nb = NIB_EDGE
        key |= nb << (4 * k)
    return key


cdef int diamond_index(int W, int prev, int pt) noexcept nogil:
    """pt's place 0..11 in the diamond around prev, -1 if outside."""
    cdef int dr = pt // W - prev // W, dc = pt % W - prev % W
    if dr < -2 or dr > 2 or dc < -2 or dc > 2:
        return -1
    return DIAMOND_AT[dr + 2][dc + 2]


cdef int neighbour_index(int k) noexcept nogil:
    """The 3x3 direction (N S W E NW NE SW SE) of diamond place k, -1 for the outer 4."""
    return NB_OF[k]


cdef int diamond_point(int W, int center, int k) noexcept nogil:
    """The board point at diamond place k around center, -1 when off the board."""
    cdef int r = center // W + DR[k], c = center % W + DC[k]
    if r < 1 or r > W - 2 or c < 1 or c > W - 2:
        return -1
    return r * W + c


cdef bint code_is_eye(uint32_t code, int color) noexcept nogil:
    """goengine._board.board_is_eye read from a 3x3 code (the centre assumed empty)."""
    cdef int d, col, opp = 3 - color, bad = 0
    cdef bint edge = False
    for d in range(4):
        col = (code >> (4 * d + 2)) & 3
        if col != color and col != 3:
            return False
    for d in range(4, 8):
        col = (code >> (4 * d + 2)) & 3
        if col == opp:
            bad += 1
        elif col == 3:
            edge = True
    if edge:
        return bad == 0
    return bad <= 1


cdef bint code_is_suicide(uint32_t code, int color) noexcept nogil:
    """goengine._board.board_is_suicide read from a 3x3 code (the centre assumed empty)."""
    cdef int d, nb, col, cls
    for d in range(4):
        nb = (code >> (4 * d)) & 15
        col = nb >> 2
        cls = nb & 3
        if col == EMPTY:
            return False
        if col == color:
            if cls >= 2:
                return False
        elif col != 3 and cls == 1:
            return False
    return True


cdef int idx_nr3(uint32_t code, int color) noexcept nogil:
    return <int>(mix64(rel_nibbles(code, color) ^ SALT_NR3) >> (64 - PAT_TABLE_BITS))


cdef int idx_resp(uint64_t rel_key, int k) noexcept nogil:
    return <int>(mix64((rel_key | (<uint64_t>k << 52)) ^ SALT_RESP) >> (64 - PAT_TABLE_BITS))


cdef int idx_nr12(uint64_t rel_key) noexcept nogil:
    return <int>(mix64(rel_key ^ SALT_NR12) >> (64 - PAT_TABLE_BITS))


# ----------------------------------------------------------------------------- the board
cdef void pb_init(pboard_t* pb, const board_t* src, int prev, int prev2) noexcept nogil:
    """Copy src and compute every nibble and code from scratch."""
    cdef board_t* b = &pb.b
    cdef int W, n, p, r, c
    board_copy(b, src)
    W = b.W
    n = W * W
    pb.prev = prev
    pb.prev2 = prev2
    pb.natari[0] = 0
    pb.natari[1] = 0
    pb.ndirty = 0
    memset(&pb.isdirty[0], 0, n)
    for p in range(n):
        pb.nib[p] = _nib_of(b, p)
        pb.code[p] = 0
    for r in range(1, W - 1):
        for c in range(1, W - 1):
            p = r * W + c
            pb.code[p] = _code_of(&pb.nib[0], W, p)
            if b.color[p] != EMPTY and b.head[p] == p and b.libs[p] == 1:
                pb.atari[b.color[p] - 1][pb.natari[b.color[p] - 1]] = <int16_t>p
                pb.natari[b.color[p] - 1] += 1


cdef inline void _dirty(pboard_t* pb, int q) noexcept nogil:
    if not pb.isdirty[q]:
        pb.isdirty[q] = 1
        pb.dirty[pb.ndirty] = <int16_t>q
        pb.ndirty += 1


cdef void pb_clear_dirty(pboard_t* pb) noexcept nogil:
    cdef int i
    for i in range(pb.ndirty):
        pb.isdirty[pb.dirty[i]] = 0
    pb.ndirty = 0


cdef inline void _set_nib(pboard_t* pb, int s, uint8_t nb) noexcept nogil:
    """Give point s the nibble nb: the codes of its 8 neighbours change in one field each."""
    cdef uint32_t x = pb.nib[s] ^ nb
    cdef int W = pb.b.W, d, q
    if x == 0:
        return
    pb.nib[s] = nb
    for d in range(8):
        q = s - _dir_offset(W, d)
        pb.code[q] ^= x << (4 * d)
        if pb.b.color[q] == EMPTY:
            _dirty(pb, q)


cdef void _compact_atari(pboard_t* pb, int ci) noexcept nogil:
    """Drop stale entries and duplicates from atari[ci] (a rare full clean-up)."""
    cdef uint8_t seen[MAX_PTS]
    cdef int i, k = 0, s, h
    cdef const board_t* b = &pb.b
    memset(seen, 0, b.W * b.W)
    for i in range(pb.natari[ci]):
        s = pb.atari[ci][i]
        if b.color[s] == ci + 1 and b.libs[b.head[s]] == 1:
            h = b.head[s]
            if not seen[h]:
                seen[h] = 1
                pb.atari[ci][k] = <int16_t>s
                k += 1
    pb.natari[ci] = k


cdef inline void _push_atari(pboard_t* pb, int color, int s) noexcept nogil:
    cdef int ci = color - 1
    if pb.natari[ci] >= MAX_PTS:
        _compact_atari(pb, ci)
    pb.atari[ci][pb.natari[ci]] = <int16_t>s
    pb.natari[ci] += 1


cdef void _refresh_chain(pboard_t* pb, int pt) noexcept nogil:
    """Bring the nibbles of the chain on pt up to date (checked on pt's own nibble first by
    callers that know the chain's nibbles are uniform)."""
    cdef const board_t* b = &pb.b
    cdef int h = b.head[pt], s = h
    cdef uint8_t nb = <uint8_t>((b.color[pt] << 2) | lib_class(b.libs[h]))
    while True:
        _set_nib(pb, s, nb)
        s = b.next[s]
        if s == h:
            break
    if (nb & 3) == 1:
        _push_atari(pb, b.color[pt], pt)


cdef void pb_play(pboard_t* pb, int pt, int color) noexcept nogil:
    """Play a legal move (or PASS_PT) and update nibbles, codes, the atari lists, the last
    moves and the dirty list."""
    cdef board_t* b = &pb.b
    cdef int W = b.W, opp = 3 - color, i, j, n, c, h, s, ncap = 0, nfr = 0, nopp = 0
    cdef int fr[4]
    cdef int op[4]
    cdef int caph[4]
    cdef int nch = 0
    cdef int d[4]
    cdef uint8_t nb
    pb.prev2 = pb.prev
    pb.prev = pt
    if pt == PASS_PT:
        board_play(b, PASS_PT, color)
        return
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    for i in range(4):
        n = pt + d[i]
        c = b.color[n]
        if c == color:
            h = b.head[n]
            for j in range(nfr):
                if b.head[fr[j]] == h:
                    break
            else:
                fr[nfr] = n
                nfr += 1
        elif c == opp:
            h = b.head[n]
            if b.libs[h] == 1:
                for j in range(nch):
                    if caph[j] == h:
                        break
                else:
                    caph[nch] = h
                    nch += 1
                    s = h
                    while True:
                        pb.capbuf[ncap] = <int16_t>s
                        ncap += 1
                        s = b.next[s]
                        if s == h:
                            break
            else:
                for j in range(nopp):
                    if b.head[op[j]] == h:
                        break
                else:
                    op[nopp] = n
                    nopp += 1
    board_play(b, pt, color)
    # the new stone, then the friendly chains it joined (their nibbles are uniform per chain)
    nb = <uint8_t>((color << 2) | lib_class(b.libs[b.head[pt]]))
    _set_nib(pb, pt, nb)
    _dirty(pb, pt)
    for j in range(nfr):
        if pb.nib[fr[j]] != nb:
            _refresh_chain(pb, pt)
            break
    else:
        if (nb & 3) == 1:
            _push_atari(pb, color, pt)
    # captured stones become empty
    for j in range(ncap):
        s = pb.capbuf[j]
        _set_nib(pb, s, 0)
        _dirty(pb, s)
    # opponent chains that lost a liberty
    for j in range(nopp):
        n = op[j]
        if pb.nib[n] != ((opp << 2) | lib_class(b.libs[b.head[n]])):
            _refresh_chain(pb, n)
    # own chains that gained liberties from the captures
    for j in range(ncap):
        s = pb.capbuf[j]
        for i in range(4):
            n = s + d[i]
            if b.color[n] == color and pb.nib[n] != ((color << 2) | lib_class(b.libs[b.head[n]])):
                _refresh_chain(pb, n)


cdef int pb_check(const pboard_t* pb) noexcept nogil:
    """Mismatches between the incremental state and a recompute: nibbles and codes of the
    board's points, and chains in atari missing from the atari lists."""
    cdef const board_t* b = &pb.b
    cdef int W = b.W, r, c, p, bad = 0, i, ci
    cdef bint found
    for r in range(1, W - 1):
        for c in range(1, W - 1):
            p = r * W + c
            if pb.nib[p] != _nib_of(b, p):
                bad += 1
            if pb.code[p] != _code_of(&pb.nib[0], W, p):
                bad += 1
            if b.color[p] != EMPTY and b.head[p] == p and b.libs[p] == 1:
                ci = b.color[p] - 1
                found = False
                for i in range(pb.natari[ci]):
                    if b.color[pb.atari[ci][i]] == ci + 1 and b.head[pb.atari[ci][i]] == p:
                        found = True
                        break
                if not found:
                    bad += 1
    return bad


# ----------------------------------------------------------------------------- save atari
cdef int pb_atari_chains(pboard_t* pb, int color, marks_t* m, int16_t* out) noexcept nogil:
    """The heads of color's chains in atari (cleaning that colour's list as it goes)."""
    cdef int ci = color - 1, i = 0, k = 0, s, h
    cdef const board_t* b = &pb.b
    cdef uint32_t st = marks_next(m)
    while i < pb.natari[ci]:
        s = pb.atari[ci][i]
        if b.color[s] != color or b.libs[b.head[s]] != 1:
            pb.natari[ci] -= 1
            pb.atari[ci][i] = pb.atari[ci][pb.natari[ci]]
            continue
        h = b.head[s]
        if m.mark[h] == st:
            pb.natari[ci] -= 1
            pb.atari[ci][i] = pb.atari[ci][pb.natari[ci]]
            continue
        m.mark[h] = st
        out[k] = <int16_t>h
        k += 1
        i += 1
    return k


cdef inline int _add_unique(int16_t* arr, int k, int v) noexcept nogil:
    cdef int i
    for i in range(k):
        if arr[i] == v:
            return k
    arr[k] = <int16_t>v
    return k + 1


cdef int save_atari_points(const board_t* b, const int16_t* chains, int nchains, int color,
                           marks_t* m, int16_t* out) noexcept nogil:
    """The moves that save one of the given own chains in atari (see F_SAVE_ATARI)."""
    cdef int W = b.W, opp = 3 - color, j, i, s, n, h, L, k = 0
    cdef after_t am
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    for j in range(nchains):
        h = chains[j]
        L = chain_liberty(b, h)
        if L:
            after_move(b, L, color, m, &am)
            if am.libs >= 2:
                k = _add_unique(out, k, L)
        s = h
        while True:
            for i in range(4):
                n = s + d[i]
                if b.color[n] == opp and b.libs[b.head[n]] == 1:
                    k = _add_unique(out, k, chain_liberty(b, n))
            s = b.next[s]
            if s == h:
                break
    return k


cdef bint is_save_atari(const board_t* b, int pt, int color, marks_t* m) noexcept nogil:
    """F_SAVE_ATARI for the empty point pt, from scratch."""
    cdef int W = b.W, opp = 3 - color, i, n, s, h, q, j
    cdef after_t am
    cdef int d[4]
    d[0] = -W; d[1] = W; d[2] = -1; d[3] = 1
    for i in range(4):
        n = pt + d[i]
        if b.color[n] == color and b.libs[b.head[n]] == 1:
            after_move(b, pt, color, m, &am)
            if am.libs >= 2:
                return True
            break
    for i in range(4):
        n = pt + d[i]
        if b.color[n] == opp and b.libs[b.head[n]] == 1:
            h = b.head[n]
            s = h
            while True:
                for j in range(4):
                    q = s + d[j]
                    if b.color[q] == color and b.libs[b.head[q]] == 1:
                        return True
                s = b.next[s]
                if s == h:
                    break
    return False


# ----------------------------------------------------------------------------- features
cdef inline int _dist_bucket(int W, int a, int b) noexcept nogil:
    cdef int dr = a // W - b // W, dc = a % W - b % W, dist
    if dr < 0:
        dr = -dr
    if dc < 0:
        dc = -dc
    dist = dr + dc
    if dist < 1:
        dist = 1
    if dist > DIST_BUCKETS:
        dist = DIST_BUCKETS
    return dist - 1


cdef int pb_features(const pboard_t* pb, int pt, int color, bint tree, marks_t* m,
                     int32_t* out) noexcept nogil:
    """The active feature indices (ascending) of `color` playing the empty point pt; the
    tree features too when `tree`. Returns how many (<= MAX_ACTIVE)."""
    cdef const board_t* b = &pb.b
    cdef int W = b.W, k = 0, j = -1, nb = -1, m_pt = pb.prev
    cdef uint64_t key
    cdef after_t am
    out[k] = F_NR3 + idx_nr3(pb.code[pt], color)
    k += 1
    if m_pt != PASS_PT:
        j = diamond_index(W, m_pt, pt)
        if j >= 0:
            key = rel_nibbles(diamond_key(pb, m_pt), color) | (<uint64_t>(pb.nib[m_pt] & 3) << 48)
            out[k] = F_RESP + idx_resp(key, j)
            out[k + 1] = F_RESPONSE
            k += 2
            nb = NB_OF[j]
    if is_save_atari(b, pt, color, m):
        out[k] = F_SAVE_ATARI
        k += 1
    if nb >= 0:
        out[k] = F_NEIGHBOUR + nb
        k += 1
    if tree:
        after_move(b, pt, color, m, &am)
        if am.libs == 1:
            out[k] = F_SELF_ATARI
            k += 1
        if m_pt != PASS_PT:
            out[k] = F_DIST_PREV + _dist_bucket(W, pt, m_pt)
            k += 1
        if pb.prev2 != PASS_PT:
            out[k] = F_DIST_PREV2 + _dist_bucket(W, pt, pb.prev2)
            k += 1
        out[k] = F_NR12 + idx_nr12(rel_nibbles(diamond_key(pb, pt), color))
        k += 1
    return k
