# Small C helpers on goengine._board's board_t shared by the feature extractors
# (_lee: AlphaGo's planes and ladders; _patterns / _rollout: the fast policy).
from libc.stdint cimport uint32_t, int16_t, uint8_t
from libc.string cimport memcpy, memset
from goengine._board cimport board_t, MAX_PTS


ctypedef struct marks_t:
    # A set of points cleared in O(1): point p is in the set iff mark[p] == stamp.
    uint32_t stamp
    uint32_t mark[MAX_PTS]


ctypedef struct after_t:
    # What a stone of `color` on an empty point would do (see after_move).
    int captured      # opponent stones removed
    int libs          # liberties of the mover's chain afterwards
    int size          # stones in the mover's chain afterwards


cdef inline void board_copy(board_t* dst, const board_t* src) noexcept nogil:
    """Copy a board, touching only the W*W padded points in use (the arrays of board_t are
    sized for 25x25, so this is ~6x less memory traffic than a struct copy on 9x9)."""
    cdef size_t n = <size_t>(src.W * src.W)
    memcpy(dst, src, <size_t>(<const char*>&src.color[0] - <const char*>src))
    memcpy(&dst.color[0], &src.color[0], n * sizeof(uint8_t))
    memcpy(&dst.head[0], &src.head[0], n * sizeof(int16_t))
    memcpy(&dst.next[0], &src.next[0], n * sizeof(int16_t))
    memcpy(&dst.libs[0], &src.libs[0], n * sizeof(int16_t))
    memcpy(&dst.csize[0], &src.csize[0], n * sizeof(int16_t))
    memcpy(&dst.empty[0], &src.empty[0], <size_t>src.num_empty * sizeof(int16_t))
    memcpy(&dst.empty_pos[0], &src.empty_pos[0], n * sizeof(int16_t))


cdef inline uint32_t marks_next(marks_t* m) noexcept nogil:
    """Start a new, empty set; returns its stamp."""
    m.stamp += 1
    if m.stamp == 0:
        memset(&m.mark[0], 0, sizeof(m.mark))
        m.stamp = 1
    return m.stamp


cdef void marks_init(marks_t* m) noexcept nogil
cdef void after_move(const board_t* b, int pt, int color, marks_t* m, after_t* out) noexcept nogil
cdef int chain_liberty(const board_t* b, int pt) noexcept nogil
