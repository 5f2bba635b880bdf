# The fast board's C-level interface, for other Cython modules to cimport.
#
# A board is one C struct (board_t) so that copying it is one memcpy and a playout or a
# search can keep boards on the stack without the GIL. Points are indices into a padded
# (size+2) x (size+2) array whose outer ring holds EDGE; `pt_of` / `action_of` convert
# to and from the public action index (coords.py). Chains are circular linked lists
# (`next`) with a representative (`head`) that stores the chain's exact liberty count and
# size.
from libc.stdint cimport uint64_t, int16_t, uint8_t, int32_t

cdef enum:
    EMPTY = 0
    BLACK = 1
    WHITE = 2
    EDGE = 3
    MAX_SIZE = 25
    MAX_W = 27            # MAX_SIZE + 2
    MAX_PTS = 729         # MAX_W * MAX_W
    PASS_PT = 0           # padded index 0 is a corner of the edge ring: never a board point


ctypedef struct board_t:
    int32_t size              # N
    int32_t W                 # N + 2, the padded row stride
    int32_t ko                # point forbidden by simple ko, 0 for none
    int32_t ko_color          # colour the ko point is forbidden to, 0 for none
    int32_t num_empty         # length of the `empty` list
    int32_t captures[3]       # stones captured by BLACK ([1]) and WHITE ([2])
    uint64_t hash             # Zobrist hash of the stones (goengine/zobrist.py keys)
    const uint64_t* zkeys     # ZKEYS for this size: [(color-1) * MAX_PTS + pt]
    uint8_t color[MAX_PTS]    # EMPTY, BLACK, WHITE or EDGE
    int16_t head[MAX_PTS]     # representative point of the chain (stones only)
    int16_t next[MAX_PTS]     # next stone of the same chain (circular list)
    int16_t libs[MAX_PTS]     # exact number of liberties (valid at the head)
    int16_t csize[MAX_PTS]    # number of stones (valid at the head)
    int16_t empty[MAX_PTS]    # the empty points, in no particular order
    int16_t empty_pos[MAX_PTS]  # index of each empty point in `empty`


cdef void board_init(board_t* b, int size) noexcept nogil
cdef int pt_of(const board_t* b, int action) noexcept nogil
cdef int action_of(const board_t* b, int pt) noexcept nogil
cdef bint board_is_legal(const board_t* b, int pt, int color) noexcept nogil
cdef bint board_is_suicide(const board_t* b, int pt, int color) noexcept nogil
cdef bint board_is_eye(const board_t* b, int pt, int color) noexcept nogil
cdef int board_play(board_t* b, int pt, int color) noexcept nogil
cdef int board_chain_liberties(const board_t* b, int pt, int16_t* out) noexcept nogil
cdef void board_area(const board_t* b, int* black, int* white) noexcept nogil
cdef int board_playout(board_t* b, int color, int max_moves, uint64_t* rng) noexcept nogil
cdef uint64_t rng_next(uint64_t* state) noexcept nogil
cdef int rng_below(uint64_t* state, int n) noexcept nogil


cdef class Board:
    cdef board_t b
    cdef int _pt(self, action) except -1


cdef inline bint touches_chain(const board_t* b, int p, int h, int color) noexcept nogil:
    """Whether the point p is adjacent to a stone of the chain with head h (one definition
    for the board and the feature extractors, inlined in both)."""
    cdef int W = b.W
    return ((b.color[p - W] == color and b.head[p - W] == h)
            or (b.color[p + W] == color and b.head[p + W] == h)
            or (b.color[p - 1] == color and b.head[p - 1] == h)
            or (b.color[p + 1] == color and b.head[p + 1] == h))
