# The Zero network's Go-feature planes ("zerogo25") in C: see _zerogo.pyx.
from goengine._board cimport board_t
from goengine.features._lee cimport lee_scratch_t

cdef enum:
    ZG_PLANES = 25
    P_OWN_LIBS = 17         # 17, 18, 19: the mover's stones, 1 / 2 / 3+ liberties
    P_OPP_LIBS = 20         # 20, 21, 22: the opponent's stones
    P_KO = 23               # the simple-ko point
    P_LADDER = 24           # "ladderable" chains

cdef void zerogo_board_c(const board_t* b, int c, float* out, lee_scratch_t* s) noexcept nogil
