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
from libc.math cimport expf
from libc.string cimport memset
from libc.stdint cimport int8_t, int64_t, uint8_t

import numpy as np
cimport numpy as cnp

from goengine.search._tree cimport LeafBatch

cnp.import_array()

NUM_PLANES = ZERO_PLANES
HISTORY = ZERO_HISTORY


cdef inline void _zero17_one(const int8_t* stones, int8_t c, int history, int nn,
                             const int64_t* idx, float* base) noexcept nogil:
    """One position: stones (history, nn), colour c to move -> base (17, nn). ``idx`` NULL
    reads point a at a; else transformed point a shows original point idx[a] (a symmetry).
    Branch-free inner loops (every plane written once) so that the compiler vectorises them."""
    cdef int k, a, hmax = history if history < ZERO_HISTORY else ZERO_HISTORY
    cdef int8_t s
    cdef const int8_t* src
    cdef float* own
    cdef float* opp
    cdef float colour
    for k in range(hmax):
        src = stones + <size_t>k * nn
        own = base + 2 * k * nn
        opp = own + nn
        if idx == NULL:
            for a in range(nn):
                s = src[a]
                own[a] = <float>(s == c)
                opp[a] = <float>((s != c) & (s != 0))
        else:
            for a in range(nn):
                s = src[idx[a]]
                own[a] = <float>(s == c)
                opp[a] = <float>((s != c) & (s != 0))
    if hmax < ZERO_HISTORY:
        memset(base + 2 * hmax * nn, 0, <size_t>2 * (ZERO_HISTORY - hmax) * nn * sizeof(float))
    colour = 1.0 if c == 1 else 0.0
    own = base + 16 * nn
    for a in range(nn):
        own[a] = colour


cdef void zero17_c(const int8_t* stones, const int8_t* to_play, int count, int history,
                   int nn, float* out) noexcept nogil:
    """stones (count, history, nn), to_play (count,) -> out (count, 17, nn)."""
    cdef int i
    for i in range(count):
        _zero17_one(stones + <size_t>i * history * nn, to_play[i], history, nn, NULL,
                    out + <size_t>i * ZERO_PLANES * nn)


def _out_array(out, shape):
    """`out` if it is a C-contiguous float32 array of `shape`, a new one if None."""
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if (not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.float32
            or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}")
    return out


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
    out = _out_array(out, shape)
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
    out = _out_array(out, shape)
    if count == 0:
        return out
    cdef float[:, :, :, ::1] ov = out
    with nogil:
        zero17_c(batch.stones, batch.to_play, count, batch.history_length, size * size,
                 &ov[0, 0, 0, 0])
    return out


# ----------------------------------------------------------------------------- the evaluator's fast path
def zero17_sym(stones, to_play, rows, syms, table, out=None):
    """zero17 planes of positions ``rows[j]`` of (stones (B, H, N*N) int8, to_play (B,)), each
    seen through symmetry ``syms[j]``: the same as
    ``apply_planes_each(zero17(stones, to_play, N)[rows], syms)`` in one pass, where ``table``
    is goengine.features.symmetry's point table (8, N*N) int64 (row t: the original point
    each transformed point shows). Returns float32 (len(rows), 17, N, N)."""
    cdef const int8_t[:, :, ::1] sv = np.ascontiguousarray(stones, dtype=np.int8)
    cdef const int8_t[::1] tv = np.ascontiguousarray(to_play, dtype=np.int8).reshape(-1)
    cdef const int64_t[::1] rv = np.ascontiguousarray(rows, dtype=np.int64)
    cdef const int64_t[::1] yv = np.ascontiguousarray(syms, dtype=np.int64)
    cdef const int64_t[:, ::1] tab = np.ascontiguousarray(table, dtype=np.int64)
    cdef int count = rv.shape[0], batch = sv.shape[0], history = sv.shape[1], nn = sv.shape[2]
    cdef int size = <int>round(nn ** 0.5)
    if size * size != nn or tab.shape[1] != nn or tab.shape[0] != 8:
        raise ValueError(f"stones of {nn} points and a symmetry table of shape "
                         f"{tuple(table.shape)} do not match")
    if yv.shape[0] != count:
        raise ValueError(f"{count} rows but {yv.shape[0]} symmetries")
    if tv.shape[0] != batch:
        raise ValueError(f"{batch} positions but {tv.shape[0]} colours to move")
    cdef int j, i
    for j in range(count):
        if not 0 <= rv[j] < batch:
            raise IndexError(f"row {rv[j]} is outside the batch of {batch}")
        if not 0 <= yv[j] < 8:
            raise ValueError(f"symmetry must be 0..7, got {yv[j]}")
    shape = (count, ZERO_PLANES, size, size)
    out = _out_array(out, shape)
    if count == 0:
        return out
    cdef float[:, :, :, ::1] ov = out
    with nogil:
        for j in range(count):
            i = rv[j]
            _zero17_one(&sv[i, 0, 0], tv[i], history, nn, &tab[yv[j], 0], &ov[j, 0, 0, 0])
    return out


def unsymmetrise_into(net, rows, syms, table, logits):
    """Scatter network outputs made on transformed boards back to the original board:
    ``logits[rows[j]]`` becomes ``net[j]`` seen through the inverse of ``syms[j]`` (the same
    as ``apply_policy_each(net, inverse_each(syms))``; pass, the last entry, stays)."""
    cdef const float[:, ::1] nv = np.ascontiguousarray(net, dtype=np.float32)
    cdef const int64_t[::1] rv = np.ascontiguousarray(rows, dtype=np.int64)
    cdef const int64_t[::1] yv = np.ascontiguousarray(syms, dtype=np.int64)
    cdef const int64_t[:, ::1] tab = np.ascontiguousarray(table, dtype=np.int64)
    cdef float[:, ::1] lv = logits
    cdef int count = rv.shape[0], a = nv.shape[1], nn = tab.shape[1], j, p, i
    if nv.shape[0] != count or yv.shape[0] != count:
        raise ValueError(f"{nv.shape[0]} outputs, {count} rows and {yv.shape[0]} symmetries")
    if a != nn + 1 or lv.shape[1] != a:
        raise ValueError(f"policies of {a} and {lv.shape[1]} entries for a board of {nn} points")
    for j in range(count):
        if not 0 <= rv[j] < lv.shape[0]:
            raise IndexError(f"row {rv[j]} is outside the {lv.shape[0]} rows")
        if not 0 <= yv[j] < 8:
            raise ValueError(f"symmetry must be 0..7, got {yv[j]}")
    cdef const int64_t* idx
    with nogil:
        for j in range(count):
            i = rv[j]
            idx = &tab[yv[j], 0]
            for p in range(nn):
                lv[i, idx[p]] = nv[j, p]
            lv[i, nn] = nv[j, nn]
    return logits


def masked_softmax_fast(logits, legal, float temperature=1.0):
    """The C version of goengine.models.evaluators.masked_softmax: softmax of logits /
    temperature over each row's legal entries (float32), zeros for a row with none legal."""
    cdef const float[:, ::1] lv = np.ascontiguousarray(logits, dtype=np.float32)
    cdef const uint8_t[:, ::1] gv = np.ascontiguousarray(legal, dtype=np.uint8)
    if lv.shape[0] != gv.shape[0] or lv.shape[1] != gv.shape[1]:
        raise ValueError(f"logits {tuple(np.shape(logits))} and legal {tuple(np.shape(legal))} differ in shape")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    cdef int n = lv.shape[0], a = lv.shape[1], i, k
    out = np.zeros((n, a), dtype=np.float32)
    cdef float[:, ::1] ov = out
    cdef float m, z, total
    cdef bint any_legal
    with nogil:
        for i in range(n):
            any_legal = False
            m = 0.0
            for k in range(a):
                if gv[i, k]:
                    z = lv[i, k] / temperature
                    if not any_legal or z > m:
                        m = z
                    any_legal = True
            if not any_legal:
                continue
            total = 0.0
            for k in range(a):
                if gv[i, k]:
                    z = expf(lv[i, k] / temperature - m)
                    ov[i, k] = z
                    total = total + z
            if total > 0:
                for k in range(a):
                    ov[i, k] = ov[i, k] / total
    return out
