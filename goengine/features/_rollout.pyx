# cython: language_level=3
"""AlphaGo's fast rollout policy as a C sampler, and its tree policy.

The rollout policy p_pi(a|s) is a linear softmax over local pattern features (Silver et al.
2016, Methods "Rollout policy", Extended Data Table 4):

    p_pi(a|s) = exp(sum_i w_i x_i(s, a)) / sum_b exp(sum_i w_i x_i(s, b))

over the candidate moves b: legal (simple ko, no suicide) and not filling the mover's own
one-point eye; a pass only when there is none. x(s, a) are binary features in the index
space documented in _patterns.pyx (NUM_ROLLOUT_FEATURES entries: the 3x3 non-response
pattern, the response pattern around the previous move, "response", "save atari", the 8
"neighbour" directions). The weights are one flat float32 vector over that space
(`FastRolloutPolicy.set_weights`; a torch model exports exactly that), and
`feature_indices` / `move_features` give the active indices of any move for training.

Sampling in a few microseconds (FastRolloutPolicy.run, a goengine.search._tree.RolloutPolicy
the search calls at its leaves): each empty point keeps, for each colour to move, its base
weight w = exp(w_nr3[pattern]) -- 0 for a suicide or an own eye, both read from the 3x3 code
-- and each row of the board its sum. A move changes the 3x3 codes of a few points only
(pboard_t's dirty list), so only their w are recomputed. Each turn the features that depend
on the previous move and on ataris touch at most a dozen or so "local" points, whose weight
is multiplied by exp of those features' weights (the simple-ko point gets factor 0); a draw
walks the local points, then the row sums, then one row. Weights are clamped to
[-WEIGHT_CLAMP, WEIGHT_CLAMP] before exponentiation.

The search calls `run(b, color, max_moves, rng)`, which knows no previous move, so the
response features start with the rollout's second move; `run_from(b, color, prev_pt,
prev2_pt, max_moves, rng)` (C level, _rollout.pxd) takes the leaf's last two moves as
board points (PASS_PT for none).

The tree policy (TreePolicy) is the same linear softmax with the tree-only features too
(self-atari, distances to the last two moves, the 12-point diamond around the move), over all
legal moves, computed from scratch: priors for expanded nodes.

Over 500 lines: the sampler's incremental C state (pattern weights of every point, updated
after each move) is one concept, kept in one module so it inlines.
"""
from libc.stdlib cimport calloc, free
from libc.string cimport memset
from libc.math cimport exp, INFINITY
from libc.stdint cimport uint64_t, uint32_t, uint8_t, int16_t, int32_t

import numpy as np
cimport numpy as cnp

from goengine._board cimport (
    board_t, Board, board_init, board_is_legal, board_is_eye, pt_of, action_of, rng_next,
    EMPTY, BLACK, WHITE, MAX_PTS, PASS_PT,
)
from goengine.search._tree cimport RolloutPolicy
from goengine.features._boardops cimport marks_t, board_copy, marks_next
from goengine.features._patterns cimport (
    pboard_t, pb_init, pb_play, pb_clear_dirty, pb_check, pb_features, pb_atari_chains,
    save_atari_points, diamond_key, diamond_point, neighbour_index, rel_nibbles,
    code_is_eye, code_is_suicide, idx_nr3, idx_resp,
    F_NR3, F_RESP, F_RESPONSE, F_SAVE_ATARI, F_NEIGHBOUR, NUM_ROLLOUT_FEATURES,
    NUM_TREE_FEATURES, PAT_TABLE_SIZE, MAX_ACTIVE,
)
from goengine.coords import check_size

cnp.import_array()

WEIGHT_CLAMP = 20.0
ROLLOUT_FEATURES = NUM_ROLLOUT_FEATURES
TREE_FEATURES = NUM_TREE_FEATURES


cdef inline double _clamp(double x) noexcept nogil:
    if x > 20.0:
        return 20.0
    if x < -20.0:
        return -20.0
    return x


cdef inline double _uniform(uint64_t* rng) noexcept nogil:
    return (rng_next(rng) >> 11) * (1.0 / 9007199254740992.0)


cdef uint64_t _seed_state(object rng) except? 0:
    """A non-zero xorshift state from a numpy Generator, an int seed or None."""
    if isinstance(rng, np.random.Generator):
        seed = int(rng.integers(0, 2**63))
    elif rng is None:
        seed = int(np.random.default_rng().integers(0, 2**63))
    else:
        seed = int(rng) & 0xFFFFFFFFFFFFFFFF
    cdef uint64_t z = <uint64_t>seed + <uint64_t>0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    z = z ^ (z >> 31)
    return z if z != 0 else <uint64_t>0x9E3779B97F4A7C15


cdef inline float _base(const float* e_nr3, const pboard_t* pb, int q, int color) noexcept nogil:
    """exp(3x3 pattern weight) of q for `color` to move; 0 if q is not a candidate."""
    cdef uint32_t code
    if pb.b.color[q] != EMPTY:
        return 0.0
    code = pb.code[q]
    if code_is_suicide(code, color) or code_is_eye(code, color):
        return 0.0
    return e_nr3[idx_nr3(code, color)]


# ----------------------------------------------------------------------------- the sampler
cdef class FastRolloutPolicy(RolloutPolicy):
    """The trained rollout policy as a RolloutPolicy for the search (see the module docstring).

    FastRolloutPolicy(weights=None): weights is a float32 vector of NUM_ROLLOUT_FEATURES (or
    NUM_TREE_FEATURES: the tree-only tail is ignored); None gives all-zero weights, i.e. a
    uniform choice among the candidate moves. One object may serve many trees; `run` keeps
    its working state on the stack, so it is safe to call from several threads at once.
    """

    def __cinit__(self, *args, **kwargs):
        self.e_nr3 = <float*>calloc(PAT_TABLE_SIZE, sizeof(float))
        self.e_resp = <float*>calloc(PAT_TABLE_SIZE, sizeof(float))
        self.raw = <float*>calloc(NUM_ROLLOUT_FEATURES, sizeof(float))
        if self.e_nr3 == NULL or self.e_resp == NULL or self.raw == NULL:
            raise MemoryError("FastRolloutPolicy: cannot allocate the weight tables")
        self._exp_tables()

    def __dealloc__(self):
        free(self.e_nr3)
        free(self.e_resp)
        free(self.raw)

    def __init__(self, weights=None):
        if weights is not None:
            self.set_weights(weights)

    cdef void _exp_tables(self) noexcept:
        cdef int i
        for i in range(PAT_TABLE_SIZE):
            self.e_nr3[i] = <float>exp(_clamp(self.raw[F_NR3 + i]))
            self.e_resp[i] = <float>exp(_clamp(self.raw[F_RESP + i]))
        self.e_response = exp(_clamp(self.raw[F_RESPONSE]))
        self.e_save = exp(_clamp(self.raw[F_SAVE_ATARI]))
        for i in range(8):
            self.e_nb[i] = exp(_clamp(self.raw[F_NEIGHBOUR + i]))

    def set_weights(self, weights):
        """Load a flat float32 weight vector over the feature index space."""
        w = np.ascontiguousarray(weights, dtype=np.float32).reshape(-1)
        if w.shape[0] not in (NUM_ROLLOUT_FEATURES, NUM_TREE_FEATURES):
            raise ValueError(f"rollout weights must have {NUM_ROLLOUT_FEATURES} entries (or "
                             f"{NUM_TREE_FEATURES} with the tree features), got {w.shape[0]}")
        if not np.all(np.isfinite(w)):
            raise ValueError("rollout weights must be finite")
        cdef float[::1] v = w
        cdef int i
        for i in range(NUM_ROLLOUT_FEATURES):
            self.raw[i] = v[i]
        self._exp_tables()

    @property
    def weights(self):
        """A copy of the weight vector (float32, NUM_ROLLOUT_FEATURES)."""
        out = np.empty(NUM_ROLLOUT_FEATURES, dtype=np.float32)
        cdef float[::1] o = out
        cdef int i
        for i in range(NUM_ROLLOUT_FEATURES):
            o[i] = self.raw[i]
        return out

    def __reduce__(self):
        return (FastRolloutPolicy, (self.weights,))

    @classmethod
    def load(cls, path):
        """From a .npy file, or a .npz file with a "weights" array."""
        data = np.load(path)
        if isinstance(data, np.lib.npyio.NpzFile):
            if "weights" not in data:
                raise ValueError(f"{path}: no 'weights' array")
            data = data["weights"]
        return cls(data)

    # ------------------------------------------------------------------ C level
    cdef void rs_init(self, rstate_t* rs, const board_t* b, int prev, int prev2) noexcept nogil:
        cdef int W = b.W, r, c, q
        cdef float w0, w1
        pb_init(&rs.pb, b, prev, prev2)
        memset(&rs.lmarks.mark[0], 0, W * W * sizeof(uint32_t))
        memset(&rs.marks.mark[0], 0, W * W * sizeof(uint32_t))
        rs.lmarks.stamp = 0
        rs.marks.stamp = 0
        rs.nloc = 0
        for r in range(W):
            rs.row[0][r] = 0.0
            rs.row[1][r] = 0.0
            rs.rowcorr[r] = 0.0
        for r in range(1, W - 1):
            for c in range(1, W - 1):
                q = r * W + c
                w0 = _base(self.e_nr3, &rs.pb, q, BLACK)
                w1 = _base(self.e_nr3, &rs.pb, q, WHITE)
                rs.w[0][q] = w0
                rs.w[1][q] = w1
                rs.row[0][r] += w0
                rs.row[1][r] += w1
        pb_clear_dirty(&rs.pb)

    cdef void rs_update(self, rstate_t* rs) noexcept nogil:
        """Recompute the base weights of the points the last move changed."""
        cdef pboard_t* pb = &rs.pb
        cdef int W = pb.b.W, i, q, r
        cdef float w0, w1
        for i in range(pb.ndirty):
            q = pb.dirty[i]
            r = q // W
            w0 = _base(self.e_nr3, pb, q, BLACK)
            w1 = _base(self.e_nr3, pb, q, WHITE)
            rs.row[0][r] += <double>w0 - rs.w[0][q]
            rs.row[1][r] += <double>w1 - rs.w[1][q]
            rs.w[0][q] = w0
            rs.w[1][q] = w1
        pb_clear_dirty(pb)

    cdef int rs_locals(self, rstate_t* rs, int color) noexcept nogil:
        """Collect the points whose weight the previous move, ataris and ko change."""
        cdef pboard_t* pb = &rs.pb
        cdef const board_t* b = &pb.b
        cdef int ci = color - 1, W = b.W, m = pb.prev, k, q, nb, n = 0, nch, ns, j, idx
        cdef uint64_t key
        cdef double f
        cdef uint32_t st = marks_next(&rs.lmarks)
        if m != PASS_PT:
            key = rel_nibbles(diamond_key(pb, m), color) | (<uint64_t>(pb.nib[m] & 3) << 48)
            for k in range(12):
                q = diamond_point(W, m, k)
                if q < 0 or rs.w[ci][q] == 0.0:
                    continue
                f = self.e_response * self.e_resp[idx_resp(key, k)]
                nb = neighbour_index(k)
                if nb >= 0:
                    f *= self.e_nb[nb]
                rs.lmarks.mark[q] = st
                rs.locidx[q] = <int16_t>n
                rs.locpt[n] = <int16_t>q
                rs.locf[n] = f
                rs.locsave[n] = 0
                n += 1
        nch = pb_atari_chains(pb, color, &rs.marks, rs.chains)
        if nch:
            ns = save_atari_points(b, rs.chains, nch, color, &rs.marks, rs.saves)
            for j in range(ns):
                q = rs.saves[j]
                if rs.w[ci][q] == 0.0:
                    continue
                if rs.lmarks.mark[q] == st:
                    idx = rs.locidx[q]
                    if not rs.locsave[idx]:
                        rs.locsave[idx] = 1
                        rs.locf[idx] *= self.e_save
                else:
                    rs.lmarks.mark[q] = st
                    rs.locidx[q] = <int16_t>n
                    rs.locpt[n] = <int16_t>q
                    rs.locf[n] = self.e_save
                    rs.locsave[n] = 1
                    n += 1
        q = b.ko
        if q != 0 and b.ko_color == color and rs.w[ci][q] != 0.0:
            if rs.lmarks.mark[q] == st:
                rs.locf[rs.locidx[q]] = 0.0
            else:
                rs.lmarks.mark[q] = st
                rs.locidx[q] = <int16_t>n
                rs.locpt[n] = <int16_t>q
                rs.locf[n] = 0.0
                rs.locsave[n] = 0
                n += 1
        rs.nloc = n
        return n

    cdef int rs_sample(self, rstate_t* rs, int color, uint64_t* rng) noexcept nogil:
        """Draw a move for `color` (a point, or PASS_PT when there is no candidate)."""
        cdef int ci = color - 1, W = rs.pb.b.W, n, j, q, r, c, chosen = PASS_PT, fallback = PASS_PT
        cdef double tot = 0.0, u, x, eff
        cdef const float* w = &rs.w[ci][0]
        cdef uint32_t st
        n = self.rs_locals(rs, color)
        st = rs.lmarks.stamp
        for r in range(1, W - 1):
            tot += rs.row[ci][r]
        for j in range(n):
            q = rs.locpt[j]
            x = w[q]
            tot += x * (rs.locf[j] - 1.0)
            rs.rowcorr[q // W] += x
        if tot > 0.0:
            u = _uniform(rng) * tot
            for j in range(n):
                x = w[rs.locpt[j]] * rs.locf[j]
                if x > 0.0:
                    fallback = rs.locpt[j]
                    if u < x:
                        chosen = fallback
                        break
                    u -= x
            if chosen == PASS_PT:
                for r in range(1, W - 1):
                    eff = rs.row[ci][r] - rs.rowcorr[r]
                    if u >= eff:
                        u -= eff
                        continue
                    q = r * W
                    for c in range(1, W - 1):
                        q += 1
                        x = w[q]
                        if x > 0.0 and rs.lmarks.mark[q] != st:
                            fallback = q
                            if u < x:
                                chosen = q
                                break
                            u -= x
                    if chosen != PASS_PT:
                        break
                if chosen == PASS_PT:
                    chosen = fallback          # u ran past the end by rounding
                    if chosen == PASS_PT:
                        for r in range(1, W - 1):
                            for c in range(1, W - 1):
                                q = r * W + c
                                if w[q] > 0.0 and not (rs.lmarks.mark[q] == st and rs.locf[rs.locidx[q]] == 0.0):
                                    chosen = q
        for j in range(n):
            rs.rowcorr[rs.locpt[j] // W] = 0.0
        return chosen

    cdef int run_from(self, board_t* b, int color, int prev, int prev2, int max_moves,
                      uint64_t* rng) noexcept nogil:
        """A rollout in place from b, `color` to move, prev / prev2 the points of the last two
        moves (PASS_PT when unknown). Stops after two passes in a row or max_moves moves;
        returns the number of moves played (passes included)."""
        cdef rstate_t rs
        cdef int moves = 0, passes = 0, pt
        self.rs_init(&rs, b, prev, prev2)
        while passes < 2 and moves < max_moves:
            pt = self.rs_sample(&rs, color, rng)
            if pt == PASS_PT:
                passes += 1
            else:
                passes = 0
            pb_play(&rs.pb, pt, color)
            self.rs_update(&rs)
            color = 3 - color
            moves += 1
        board_copy(b, &rs.pb.b)
        return moves

    cdef int run(self, board_t* b, int color, int max_moves, uint64_t* rng) noexcept nogil:
        return self.run_from(b, color, PASS_PT, PASS_PT, max_moves, rng)

    # ------------------------------------------------------------------ Python API
    def rollout(self, Board board, int color, rng=None, int max_moves=-1, prev=None, prev2=None):
        """Play a rollout in place on `board` (as Board.playout); returns the moves played.
        prev / prev2: the actions of the last two moves, if known."""
        _check_color(color)
        cdef uint64_t state = _seed_state(rng)
        cdef int p1 = _pt_or_pass(&board.b, prev), p2 = _pt_or_pass(&board.b, prev2), n
        if max_moves < 0:
            max_moves = 3 * board.b.size * board.b.size
        with nogil:
            n = self.run_from(&board.b, color, p1, p2, max_moves, &state)
        return n

    def state(self, board_or_game, color=None, prev=None, prev2=None):
        """A RolloutState: the sampler's incremental state, for inspection and tests."""
        board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
        return RolloutState(self, board, p1, p2)

    def probabilities(self, board_or_game, color=None, prev=None, prev2=None):
        """p_pi over the N*N+1 actions (pass last: 1 only when there is no candidate)."""
        board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
        return RolloutState(self, board, p1, p2).probabilities(color)

    def sample(self, board_or_game, color=None, prev=None, prev2=None, rng=None):
        """One move drawn from p_pi (an action; N*N for a pass)."""
        board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
        return RolloutState(self, board, p1, p2).sample(color, rng)


cdef inline void _check_color(int color) except *:
    if color != BLACK and color != WHITE:
        raise ValueError(f"invalid colour {color}: expected BLACK (1) or WHITE (2)")


cdef int _pt_or_pass(const board_t* b, object action) except -1:
    """The point of an action; PASS_PT for None, a pass or a negative action."""
    if action is None:
        return PASS_PT
    cdef long a = int(action)
    if a < 0 or a >= b.size * b.size:
        return PASS_PT
    return pt_of(b, <int>a)


def _unpack(board_or_game, color, prev, prev2):
    """(Board, colour to move, prev action, prev2 action) from a GameState or a Board."""
    if hasattr(board_or_game, "history") and hasattr(board_or_game, "to_play"):
        game = board_or_game
        board = game.board
        if color is None:
            color = game.to_play
        history = game.history
        n = len(history)
        if prev is None and n >= 1:
            prev = history[n - 1][1]
        if prev2 is None and n >= 2:
            prev2 = history[n - 2][1]
    else:
        board = board_or_game
        if color is None:
            raise ValueError("a colour to move is needed with a Board")
    if not isinstance(board, Board):
        raise TypeError("pattern features need the Cython Board (goengine._board.Board)")
    _check_color(color)
    return board, int(color), (-1 if prev is None else int(prev)), (-1 if prev2 is None else int(prev2))


cdef class RolloutState:
    """The sampler's incremental state over a copy of a board: play moves on it and read the
    probabilities the sampler would draw from, its 3x3 codes, or a check against a recompute."""
    cdef rstate_t* rs
    cdef FastRolloutPolicy policy
    cdef int size

    def __cinit__(self, FastRolloutPolicy policy, Board board, int prev=-1, int prev2=-1):
        self.rs = <rstate_t*>calloc(1, sizeof(rstate_t))
        if self.rs == NULL:
            raise MemoryError()
        self.policy = policy
        self.size = board.b.size
        policy.rs_init(self.rs, &board.b, _pt_or_pass(&board.b, prev), _pt_or_pass(&board.b, prev2))

    def __dealloc__(self):
        free(self.rs)

    def play(self, int action, int color):
        """Play a legal move (pass = N*N) and update the state incrementally."""
        _check_color(color)
        cdef const board_t* b = &self.rs.pb.b
        if not 0 <= action <= self.size * self.size:
            raise ValueError(f"action {action} is off the board")
        cdef int pt = pt_of(b, action)
        if pt != PASS_PT and not board_is_legal(b, pt, color):
            raise ValueError(f"illegal move {action} for colour {color}")
        pb_play(&self.rs.pb, pt, color)
        self.policy.rs_update(self.rs)

    def probabilities(self, int color):
        """float64 (N*N+1): the distribution rs_sample draws from for `color` to move."""
        _check_color(color)
        cdef rstate_t* rs = self.rs
        cdef const board_t* b = &rs.pb.b
        cdef int ci = color - 1, n, j, a, q, NN = self.size * self.size
        out = np.zeros(NN + 1, dtype=np.float64)
        cdef double[::1] o = out
        cdef double total = 0.0
        n = self.policy.rs_locals(rs, color)
        for a in range(NN):
            o[a] = rs.w[ci][pt_of(b, a)]
        for j in range(n):
            q = rs.locpt[j]
            o[action_of(b, q)] *= rs.locf[j]
        for a in range(NN):
            total += o[a]
        if total > 0:
            for a in range(NN):
                o[a] /= total
        else:
            o[NN] = 1.0
        return out

    def sample(self, int color, rng=None):
        """Draw a move for `color` (not played); an action, N*N for a pass."""
        _check_color(color)
        cdef uint64_t state = _seed_state(rng)
        cdef int pt = self.policy.rs_sample(self.rs, color, &state)
        return action_of(&self.rs.pb.b, pt)

    def sample_many(self, int color, int count, rng=None):
        """`count` independent draws (int64 actions) from the same position."""
        _check_color(color)
        cdef uint64_t state = _seed_state(rng)
        out = np.empty(count, dtype=np.int64)
        cdef long[::1] o = out
        cdef int i
        for i in range(count):
            o[i] = action_of(&self.rs.pb.b, self.policy.rs_sample(self.rs, color, &state))
        return out

    def check(self):
        """Mismatches between the incremental state and a recompute from the board: pattern
        nibbles and codes, atari lists, base weights, row sums (0 when all agree)."""
        cdef rstate_t* fresh = <rstate_t*>calloc(1, sizeof(rstate_t))
        if fresh == NULL:
            raise MemoryError()
        cdef int bad = pb_check(&self.rs.pb), W = self.rs.pb.b.W, r, c, q, ci
        self.policy.rs_init(fresh, &self.rs.pb.b, self.rs.pb.prev, self.rs.pb.prev2)
        for ci in range(2):
            for r in range(1, W - 1):
                if abs(fresh.row[ci][r] - self.rs.row[ci][r]) > 1e-6 * (1.0 + abs(fresh.row[ci][r])):
                    bad += 1
                for c in range(1, W - 1):
                    q = r * W + c
                    if fresh.w[ci][q] != self.rs.w[ci][q]:
                        bad += 1
        free(fresh)
        return bad

    def codes(self):
        """uint32 (N*N): the incremental 3x3 code of every point (absolute colours)."""
        out = np.empty(self.size * self.size, dtype=np.uint32)
        cdef int a
        for a in range(self.size * self.size):
            out[a] = self.rs.pb.code[pt_of(&self.rs.pb.b, a)]
        return out

    @property
    def board(self):
        """A copy of the current board."""
        cdef Board b = Board.__new__(Board)
        b.b = self.rs.pb.b
        return b

    @property
    def last_moves(self):
        """(prev, prev2) actions (-1 for none or a pass)."""
        cdef const board_t* b = &self.rs.pb.b
        p1 = action_of(b, self.rs.pb.prev) if self.rs.pb.prev != PASS_PT else -1
        p2 = action_of(b, self.rs.pb.prev2) if self.rs.pb.prev2 != PASS_PT else -1
        return p1, p2


# ----------------------------------------------------------------------------- features
def feature_indices(board_or_game, int action, color=None, prev=None, prev2=None, bint tree=False):
    """The active feature indices (int64, ascending) of playing `action` (an empty point)
    for the side to move of a GameState (prev / prev2 from its history), or for `color` on
    a Board (prev / prev2 given as actions, or none). tree=True adds the tree features."""
    board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
    cdef Board bd = board
    cdef int NN = bd.b.size * bd.b.size, k, i
    if not 0 <= action < NN:
        raise ValueError(f"action {action} is not a point of the board")
    cdef int pt = pt_of(&bd.b, action)
    if bd.b.color[pt] != EMPTY:
        raise ValueError(f"point {action} is occupied")
    cdef pboard_t* pb = <pboard_t*>calloc(1, sizeof(pboard_t))
    cdef marks_t* m = <marks_t*>calloc(1, sizeof(marks_t))
    cdef int32_t idx[MAX_ACTIVE]
    try:
        if pb == NULL or m == NULL:
            raise MemoryError()
        pb_init(pb, &bd.b, _pt_or_pass(&bd.b, p1), _pt_or_pass(&bd.b, p2))
        k = pb_features(pb, pt, color, tree, m, idx)
        return np.array([idx[i] for i in range(k)], dtype=np.int64)
    finally:
        free(pb)
        free(m)


def move_features(board_or_game, color=None, prev=None, prev2=None, bint tree=False):
    """Features of every candidate move, for training: (actions int32 (M,), offsets int64
    (M+1,), indices int64 (offsets[-1],)); move i has indices[offsets[i]:offsets[i+1]].
    Candidates: legal moves (simple ko) that do not fill the mover's own one-point eye --
    the moves the rollout sampler chooses among; with tree=True every legal move."""
    board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
    cdef Board bd = board
    cdef int NN = bd.b.size * bd.b.size, a, pt, k, i, m_count = 0, nnz = 0
    actions = np.empty(NN, dtype=np.int32)
    offsets = np.zeros(NN + 1, dtype=np.int64)
    indices = np.empty(NN * MAX_ACTIVE, dtype=np.int64)
    cdef int[::1] av = actions
    cdef long[::1] ov = offsets
    cdef long[::1] iv = indices
    cdef pboard_t* pb = <pboard_t*>calloc(1, sizeof(pboard_t))
    cdef marks_t* m = <marks_t*>calloc(1, sizeof(marks_t))
    cdef int32_t idx[MAX_ACTIVE]
    cdef int col = color
    try:
        if pb == NULL or m == NULL:
            raise MemoryError()
        pb_init(pb, &bd.b, _pt_or_pass(&bd.b, p1), _pt_or_pass(&bd.b, p2))
        with nogil:
            for a in range(NN):
                pt = pt_of(&bd.b, a)
                if not board_is_legal(&bd.b, pt, col):
                    continue
                if not tree and board_is_eye(&bd.b, pt, col):
                    continue
                k = pb_features(pb, pt, col, tree, m, idx)
                av[m_count] = a
                for i in range(k):
                    iv[nnz + i] = idx[i]
                nnz += k
                m_count += 1
                ov[m_count] = nnz
    finally:
        free(pb)
        free(m)
    return actions[:m_count].copy(), offsets[:m_count + 1].copy(), indices[:nnz].copy()


# ----------------------------------------------------------------------------- tree policy
cdef class TreePolicy:
    """The tree policy: a linear softmax over all the features (NUM_TREE_FEATURES weights)
    and all legal moves; `priors` gives p over the N*N+1 actions (pass 0 unless nothing
    else is legal)."""

    def __cinit__(self, *args, **kwargs):
        self.w = <float*>calloc(NUM_TREE_FEATURES, sizeof(float))
        if self.w == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.w)

    def __init__(self, weights=None):
        if weights is not None:
            self.set_weights(weights)

    def set_weights(self, weights):
        """A float32 vector of NUM_TREE_FEATURES (or NUM_ROLLOUT_FEATURES: the tree-only
        features then weigh 0)."""
        w = np.ascontiguousarray(weights, dtype=np.float32).reshape(-1)
        if w.shape[0] not in (NUM_ROLLOUT_FEATURES, NUM_TREE_FEATURES):
            raise ValueError(f"tree weights must have {NUM_TREE_FEATURES} entries (or "
                             f"{NUM_ROLLOUT_FEATURES}), got {w.shape[0]}")
        if not np.all(np.isfinite(w)):
            raise ValueError("tree weights must be finite")
        cdef float[::1] v = w
        cdef int i
        memset(self.w, 0, NUM_TREE_FEATURES * sizeof(float))
        for i in range(w.shape[0]):
            self.w[i] = v[i]

    def __reduce__(self):
        return (TreePolicy, (self.weights,))

    @property
    def weights(self):
        out = np.empty(NUM_TREE_FEATURES, dtype=np.float32)
        cdef float[::1] o = out
        cdef int i
        for i in range(NUM_TREE_FEATURES):
            o[i] = self.w[i]
        return out

    cdef int priors_c(self, const board_t* b, int color, int prev, int prev2,
                      float* out) noexcept nogil:
        """Write p over the N*N+1 actions of b for `color`; returns the number of legal
        moves. prev / prev2 are points (PASS_PT for none)."""
        cdef pboard_t pb
        cdef marks_t m
        cdef int NN = b.size * b.size, a, pt, k, i, count = 0
        cdef int32_t idx[MAX_ACTIVE]
        cdef double logit, best = -INFINITY, total = 0.0
        cdef double logits[MAX_PTS]
        pb_init(&pb, b, prev, prev2)
        memset(&m, 0, sizeof(marks_t))
        for a in range(NN):
            pt = pt_of(b, a)
            if board_is_legal(b, pt, color):
                k = pb_features(&pb, pt, color, True, &m, idx)
                logit = 0.0
                for i in range(k):
                    logit += self.w[idx[i]]
                logits[a] = logit
                if logit > best:
                    best = logit
                count += 1
            else:
                logits[a] = -INFINITY
        for a in range(NN):
            if logits[a] > -INFINITY:
                logits[a] = exp(logits[a] - best)
                total += logits[a]
            else:
                logits[a] = 0.0
        for a in range(NN):
            out[a] = <float>(logits[a] / total) if count else 0.0
        out[NN] = 0.0 if count else 1.0
        return count

    def priors(self, board_or_game, color=None, prev=None, prev2=None):
        """float32 (N*N+1) tree-policy probabilities for the side to move."""
        board, color, p1, p2 = _unpack(board_or_game, color, prev, prev2)
        cdef Board bd = board
        out = np.empty(bd.b.size * bd.b.size + 1, dtype=np.float32)
        cdef float[::1] o = out
        cdef int c = color, q1 = _pt_or_pass(&bd.b, p1), q2 = _pt_or_pass(&bd.b, p2)
        with nogil:
            self.priors_c(&bd.b, c, q1, q2, &o[0])
        return out


# ----------------------------------------------------------------------------- benchmark probe
def rollouts_probe(FastRolloutPolicy policy, int size, int n, seed=0):
    """n rollouts from the empty board (cap 3*N*N moves); returns the total moves played.
    benchmarks/rollout_policy.py times it against goengine._board.playouts_per_second_probe."""
    cdef board_t empty, work
    cdef uint64_t state = _seed_state(seed)
    cdef long total = 0
    cdef int i, cap = 3 * size * size
    board_init(&empty, check_size(size))
    with nogil:
        for i in range(n):
            board_copy(&work, &empty)
            total += policy.run_from(&work, BLACK, PASS_PT, PASS_PT, cap, &state)
    return total
