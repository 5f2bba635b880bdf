# The fast policy's local patterns on a board with incrementally updated 3x3 codes: see
# _patterns.pyx for the feature index space and the pattern encoding.
from libc.stdint cimport uint64_t, uint32_t, uint8_t, int16_t, int32_t
from goengine._board cimport board_t, MAX_PTS
from goengine.features._boardops cimport marks_t

cdef enum:
    PAT_TABLE_BITS = 18
    PAT_TABLE_SIZE = 262144          # 1 << PAT_TABLE_BITS entries per hashed pattern table
    F_NR3 = 0                        # non-response 3x3 pattern around the move (hashed)
    F_RESP = 262144                  # response pattern: 12-point diamond around the previous
                                     # move + the move's place in it (hashed)
    F_RESPONSE = 524288              # 1: the move is in the previous move's diamond
    F_SAVE_ATARI = 524289            # 1: the move saves own stones in atari
    F_NEIGHBOUR = 524290             # 8: the move is 8-connected to the previous move (by direction)
    NUM_ROLLOUT_FEATURES = 524298
    F_SELF_ATARI = 524298            # 1: tree policy only
    F_DIST_PREV = 524299             # 17: tree only, Manhattan distance to the previous move
    F_DIST_PREV2 = 524316            # 17: tree only, distance to the move before
    F_NR12 = 524333                  # tree only: 12-point diamond around the move (hashed)
    NUM_TREE_FEATURES = 786477
    DIST_BUCKETS = 17
    MAX_ACTIVE = 9                   # the most features one move can have
    NIB_EDGE = 12                    # nibble of an off-board point (colour 3, class 0)


ctypedef struct pboard_t:
    # A board with, for every point, its nibble (colour << 2 | liberty class) and the 3x3 code
    # of its 8 neighbours, kept up to date by pb_play; plus the last two moves and, per
    # colour, a list of stones whose chain went into atari (some entries may be stale).
    board_t b
    int32_t prev                     # point of the last move, PASS_PT for a pass or unknown
    int32_t prev2                    # point of the move before
    uint8_t nib[MAX_PTS]
    uint32_t code[MAX_PTS]
    int32_t natari[2]                # entries of atari[colour - 1]
    int16_t atari[2][MAX_PTS]
    int32_t ndirty                   # points whose code or occupancy changed (pb_clear_dirty)
    int16_t dirty[MAX_PTS]
    uint8_t isdirty[MAX_PTS]
    int16_t capbuf[MAX_PTS]          # work space: the stones a move removes


cdef inline int lib_class(int libs) noexcept nogil:
    return 1 if libs <= 1 else (2 if libs == 2 else 3)


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """splitmix64's finaliser: every output bit depends on every input bit."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef inline uint64_t rel_nibbles(uint64_t x, int color) noexcept nogil:
    """Absolute nibbles -> relative to `color` to move (own = 1, opponent = 2): for white,
    swap the colour bits of every stone nibble (those with a non-zero liberty class)."""
    cdef uint64_t m
    if color == 1:
        return x
    m = (x | (x >> 1)) & <uint64_t>0x1111111111111111
    return x ^ ((m << 2) | (m << 3))


cdef void pb_init(pboard_t* pb, const board_t* src, int prev, int prev2) noexcept nogil
cdef void pb_play(pboard_t* pb, int pt, int color) noexcept nogil
cdef void pb_clear_dirty(pboard_t* pb) noexcept nogil
cdef int pb_check(const pboard_t* pb) noexcept nogil
cdef uint64_t diamond_key(const pboard_t* pb, int pt) noexcept nogil
cdef bint code_is_eye(uint32_t code, int color) noexcept nogil
cdef bint code_is_suicide(uint32_t code, int color) noexcept nogil
cdef int idx_nr3(uint32_t code, int color) noexcept nogil
cdef int idx_resp(uint64_t rel_key, int k) noexcept nogil
cdef int idx_nr12(uint64_t rel_key) noexcept nogil
cdef int diamond_index(int W, int prev, int pt) noexcept nogil
cdef int neighbour_index(int k) noexcept nogil
cdef int diamond_point(int W, int center, int k) noexcept nogil
cdef int pb_atari_chains(pboard_t* pb, int color, marks_t* m, int16_t* out) noexcept nogil
cdef int save_atari_points(const board_t* b, const int16_t* chains, int nchains, int color,
                           marks_t* m, int16_t* out) noexcept nogil
cdef bint is_save_atari(const board_t* b, int pt, int color, marks_t* m) noexcept nogil
cdef int pb_features(const pboard_t* pb, int pt, int color, bint tree, marks_t* m,
                     int32_t* out) noexcept nogil
