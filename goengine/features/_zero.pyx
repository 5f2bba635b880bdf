# cython: language_level=3
"""AlphaGo Zero's input planes ("zero17") in C, from a search LeafBatch's arrays.

Same planes and layout as the numpy reference goengine.features.zero.zero17 (the tests hold
the two equal): for the side to move c and the positions s_t, s_{t-1}, ..., s_{t-7},

    out[:, 2k]     = 1 where c has a stone in s_{t-k}          (X_{t-k})
    out[:, 2k + 1] = 1 where the opponent has a stone            (Y_{t-k})
    out[:, 16]     = 1 everywhere if c is black, else 0          (C)

Input: stones int8 (B, H, N*N) colours (0 empty, 1 black, 2 white) with [:, 0] the current
position (LeafBatch.stones; history beyond H is empty), to_play (B,). Output float32
(B, 17, N, N), NCHW.
"""
from libc.string cimport memset
from libc.stdint cimport int8_t

import numpy as np
cimport numpy as cnp

from goengine.search._tree cimport LeafBatch

cnp.import_array()

NUM_PLANES = ZERO_PLANES
HISTORY = ZERO_HISTORY


cdef void zero17_c(const int8_t* stones, const int8_t* to_play, int count, int history,
                   int nn, float* out) noexcept nogil:
    """stones (count, history, nn), to_play (count,) -> out (count, 17, nn). Branch-free
    inner loops (every plane written once) so that the compiler vectorises them."""
    cdef int i, k, a, hmax = history if history < ZERO_HISTORY else ZERO_HISTORY
    cdef int8_t c, s
    cdef const int8_t* src
    cdef float* own
    cdef float* opp
    cdef float* base
    cdef float colour
    for i in range(count):
        base = out + <size_t>i * ZERO_PLANES * nn
        c = to_play[i]
        for k in range(hmax):
            src = stones + (<size_t>i * history + k) * nn
            own = base + 2 * k * nn
            opp = own + nn
            for a in range(nn):
                s = src[a]
                own[a] = <float>(s == c)
                opp[a] = <float>((s != c) & (s != 0))
        if hmax < ZERO_HISTORY:
            memset(base + 2 * hmax * nn, 0, <size_t>2 * (ZERO_HISTORY - hmax) * nn * sizeof(float))
        colour = 1.0 if c == 1 else 0.0
        own = base + 16 * nn
        for a in range(nn):
            own[a] = colour


def zero17_fast(stones, to_play, int size, out=None):
    """The C version of goengine.features.zero.zero17 (same arguments, same result)."""
    st = np.ascontiguousarray(stones, dtype=np.int8)
    tp = np.ascontiguousarray(to_play, dtype=np.int8).reshape(-1)
    if st.ndim != 3:
        raise ValueError(f"stones must be (B, H, N*N), got shape {st.shape}")
    cdef int count = st.shape[0], history = st.shape[1], nn = st.shape[2]
    if nn != size * size:
        raise ValueError(f"stones have {nn} points, expected {size * size}")
    if tp.shape[0] != count:
        raise ValueError(f"{count} positions but {tp.shape[0]} colours to move")
    shape = (count, ZERO_PLANES, size, size)
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif (not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.float32
          or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}")
    if count == 0 or history == 0:
        out[...] = 0
        if count:
            out[:, 16] = (tp == 1)[:, None, None]
        return out
    cdef int8_t[:, :, ::1] sv = st
    cdef int8_t[::1] tv = tp
    cdef float[:, :, :, ::1] ov = out
    with nogil:
        zero17_c(&sv[0, 0, 0], &tv[0], count, history, nn, &ov[0, 0, 0, 0])
    return out


def zero17_batch(LeafBatch batch, out=None):
    """zero17 planes of the n leaves of a LeafBatch, straight from its C arrays."""
    cdef int count = batch.n, size = batch.size
    shape = (count, ZERO_PLANES, size, size)
    if out is None:
        out = np.empty(shape, dtype=np.float32)
    elif (not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.float32
          or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}")
    if count == 0:
        return out
    cdef float[:, :, :, ::1] ov = out
    with nogil:
        zero17_c(batch.stones, batch.to_play, count, batch.history_length, size * size,
                 &ov[0, 0, 0, 0])
    return out
