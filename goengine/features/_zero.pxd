# AlphaGo Zero's input planes in C: see _zero.pyx.
from libc.stdint cimport int8_t

cdef enum:
    ZERO_PLANES = 17
    ZERO_HISTORY = 8

cdef void zero17_c(const int8_t* stones, const int8_t* to_play, int count, int history,
                   int nn, float* out) noexcept nogil
