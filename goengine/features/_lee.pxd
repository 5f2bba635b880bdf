# AlphaGo (2016) policy / value network input planes in C: see _lee.pyx.
from libc.stdint cimport int16_t
from goengine._board cimport board_t, MAX_PTS
from goengine.features._boardops cimport marks_t

cdef enum:
    LEE_PLANES = 48             # policy network input (Extended Data Table 2)
    LEE_VALUE_PLANES = 49       # value network input: + the player-colour plane
    TURNS_HISTORY = 8           # moves of history the "turns since" planes read
    LADDER_MAX_DEPTH = 100      # plies read below the first move of a ladder question
    LADDER_MAX_NODES = 200      # attacker moves tried per ladder question


ctypedef struct lee_scratch_t:
    # Work space of one extractor thread (about 1 MB: allocate once, reuse).
    int nodes                                       # attacker nodes of the current question
    marks_t marks
    int16_t opts[LADDER_MAX_DEPTH + 1][MAX_PTS]     # move lists, one per ply
    board_t boards[LADDER_MAX_DEPTH + 1]            # board copies, one per ply


cdef lee_scratch_t* lee_scratch_new() noexcept nogil
cdef void lee_scratch_free(lee_scratch_t* s) noexcept nogil
cdef lee_scratch_t* lee_scratch_take() except NULL
cdef void lee_scratch_give(lee_scratch_t* s) noexcept
cdef void lee_planes_c(const board_t* b, int color, const int16_t* last_moves, int nplanes,
                       float* out, lee_scratch_t* s) noexcept nogil
cdef bint ladder_capture_c(const board_t* b, int pt, int color, lee_scratch_t* s) noexcept nogil
cdef bint ladder_escape_c(const board_t* b, int pt, int color, lee_scratch_t* s) noexcept nogil
cdef bint ladder_capture_chain_c(const board_t* b, int pt, int target, int color,
                                 lee_scratch_t* s) noexcept nogil
cdef bint ladder_defence_fails_c(const board_t* b, int target, lee_scratch_t* s) noexcept nogil
