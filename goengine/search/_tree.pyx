# cython: language_level=3
"""The Monte Carlo search tree in C arrays, shared by the AlphaGo Zero and AlphaGo Lee searches.

Nodes live in a pool of parallel C arrays; the children of a node are contiguous
(`first[node] .. first[node] + nchild[node]`), and each child holds the statistics of the
edge that leads to it, in the paper's notation:

    N  visit count            W  total value, from the view of the player who moved into the node
    P  prior probability      Q = W / N
    VL pending virtual visits (each counted as a loss for the player choosing the edge)

One simulation (AlphaGo Zero, Methods "Search algorithm"):
  select   from the root, repeatedly take argmax_a Q(s,a) + U(s,a),
           U = c_puct * P(s,a) * sqrt(sum_b N(s,b)) / (1 + N(s,a)), replaying the moves on a
           copy of the root board (Leela Zero's UCTSearch::play_simulation);
  evaluate the leaf: the evaluator's value v, or in AlphaGo Lee's mode
           V = (1 - lambda) * v + lambda * z with z a rollout outcome (AlphaGo 2016, eq. 5);
  expand   the leaf once it has `expansion_threshold` visits, with the evaluator's priors;
  backup   N += 1, W += V along the path, V changing sign at every ply.

K leaves of one tree, and the leaves of many trees, go to the evaluator in one LeafBatch:
every edge on a pending path carries virtual loss, removed exactly at backup.
Positional superko is enforced lazily: a child whose move repeats a position of the game
or of its own path is marked illegal the first time the search walks into it.

Over 500 lines: the tree's C code (node pool, selection, virtual loss, leaf batches,
backup, Lee-mode rollouts) works on one node pool and is kept in one module so it inlines.
"""
from libc.stdlib cimport malloc, free, calloc, realloc
from libc.string cimport memcpy, memset
from libc.math cimport sqrt, log, isnan, NAN
from libc.stdint cimport uint64_t, int32_t, int16_t, uint8_t, int8_t

import numpy as np
cimport numpy as cnp

from goengine._board cimport (
    board_t, Board, board_play, board_is_legal, board_is_eye, board_area, board_playout,
    pt_of, action_of, rng_next, rng_below, PASS_PT, EMPTY, BLACK, WHITE, MAX_PTS,
)

cnp.import_array()

cdef enum:
    F_EXPANDED = 1
    F_ILLEGAL = 2
    F_PENDING = 4
    MAX_DEPTH = 1024


cdef inline int _sign(double x) noexcept nogil:
    return (x > 0) - (x < 0)


cdef double _outcome(const board_t* b, int color, double komi) noexcept nogil:
    """+1 / -1 / 0: the Tromp-Taylor result for `color` of the finished position b."""
    cdef int black, white
    board_area(b, &black, &white)
    cdef double s = black - white - komi
    return _sign(s) if color == BLACK else -_sign(s)


cdef void _extract(const board_t* b, int8_t* out) noexcept nogil:
    cdef int r, c, i = 0, W = b.W
    for r in range(b.size):
        for c in range(b.size):
            out[i] = <int8_t>b.color[(r + 1) * W + c + 1]
            i += 1


cdef inline int _prev_pt(const board_t* b, int action) noexcept nogil:
    """A recorded move as a board point for run_from (PASS_PT for pass or none)."""
    if action < 0 or action >= b.size * b.size:
        return PASS_PT
    return pt_of(b, action)


cdef uint64_t _seed(object rng):
    cdef uint64_t s
    if isinstance(rng, np.random.Generator):
        s = <uint64_t>int(rng.integers(1, 2**63))
    elif rng is None:
        s = <uint64_t>int(np.random.default_rng().integers(1, 2**63))
    else:
        s = <uint64_t>(int(rng) * 2 + 1)
    return s if s else 1


# ----------------------------------------------------------------------------- rollouts
cdef class RolloutPolicy:
    """Uniform random rollout with the one-point-eye rule (goengine._board.board_playout)."""

    cdef int run(self, board_t* b, int color, int max_moves, uint64_t* rng) noexcept nogil:
        return board_playout(b, color, max_moves, rng)

    cdef int run_from(self, board_t* b, int color, int prev, int prev2, int max_moves,
                      uint64_t* rng) noexcept nogil:
        """A rollout that knows the last two moves (board points, PASS_PT for none): the
        trained policy's response patterns need them; the uniform one ignores them."""
        return self.run(b, color, max_moves, rng)


# ----------------------------------------------------------------------------- leaf batch
def _recent_moves(game, int n=8):
    """The last n actions of a GameState, most recent first, -1 before its start."""
    out = np.full(n, -1, dtype=np.int16)
    moves = [a for _, a in game.history[-n:]][::-1]
    out[: len(moves)] = moves
    return out


def _grow(arr, shape, dtype):
    new = np.zeros(shape, dtype=dtype)
    if arr is not None:
        new[: arr.shape[0]] = arr
    return new


cdef class LeafBatch:
    """The leaves of one evaluator call: C boards plus the arrays a network needs.

    Python view (what an Evaluator's `evaluate(batch)` reads), for n leaves on an N x N board:
      stones   int8  (n, H, N*N)  colours (0 empty, 1 black, 2 white) of the leaf position
                                  [:, 0] and of the H-1 positions before it [:, 1:] (all-empty
                                  before the game's start); H = history_length
      to_play  int8  (n,)         colour to move at the leaf
      legal    uint8 (n, N*N+1)   moves the search may expand (simple ko; pass always 1)
      hashes   uint64 (n,)        Zobrist hash of the leaf position
      komi     float32 (n,)
      last_moves int16 (n, 8)     the last 8 moves before the leaf, most recent first (pass =
                                  N*N, -1 before the game's start): lee48's "turns since"
    `board(i)` returns a copy of leaf i as a goengine Board.
    """

    def __cinit__(self, int size, int history_length=1, int capacity=8):
        self.size = size
        self.NN = size * size
        self.A = size * size + 1
        self.history_length = max(1, history_length)
        self.max_depth = MAX_DEPTH
        self.capacity = 0
        self.n = 0
        self.boards = NULL
        self.path = NULL
        self.path_len = NULL
        self.leaf_tree = NULL
        self.leaf_expand = NULL
        self.leaf_z = NULL
        self.trees = []
        self._reserve(max(1, capacity))

    def __dealloc__(self):
        free(self.boards)
        free(self.path)
        free(self.path_len)
        free(self.leaf_tree)
        free(self.leaf_expand)
        free(self.leaf_z)

    cdef void _reserve(self, int capacity) except *:
        if capacity <= self.capacity:
            return
        cdef int old = self.capacity
        cdef board_t* boards = <board_t*>malloc(capacity * sizeof(board_t))
        cdef int32_t* path = <int32_t*>malloc(capacity * MAX_DEPTH * sizeof(int32_t))
        cdef int32_t* path_len = <int32_t*>calloc(capacity, sizeof(int32_t))
        cdef int32_t* leaf_tree = <int32_t*>calloc(capacity, sizeof(int32_t))
        cdef uint8_t* leaf_expand = <uint8_t*>calloc(capacity, sizeof(uint8_t))
        cdef float* leaf_z = <float*>calloc(capacity, sizeof(float))
        if not (boards and path and path_len and leaf_tree and leaf_expand and leaf_z):
            free(boards); free(path); free(path_len); free(leaf_tree); free(leaf_expand); free(leaf_z)
            raise MemoryError("LeafBatch: out of memory")
        if old:
            memcpy(boards, self.boards, old * sizeof(board_t))
            memcpy(path, self.path, old * MAX_DEPTH * sizeof(int32_t))
            memcpy(path_len, self.path_len, old * sizeof(int32_t))
            memcpy(leaf_tree, self.leaf_tree, old * sizeof(int32_t))
            memcpy(leaf_expand, self.leaf_expand, old * sizeof(uint8_t))
            memcpy(leaf_z, self.leaf_z, old * sizeof(float))
        free(self.boards); free(self.path); free(self.path_len)
        free(self.leaf_tree); free(self.leaf_expand); free(self.leaf_z)
        self.boards, self.path, self.path_len = boards, path, path_len
        self.leaf_tree, self.leaf_expand, self.leaf_z = leaf_tree, leaf_expand, leaf_z

        grow = _grow
        self._to_play = grow(self._to_play, (capacity,), np.int8)
        self._legal = grow(self._legal, (capacity, self.A), np.uint8)
        self._stones = grow(self._stones, (capacity, self.history_length, self.NN), np.int8)
        self._hashes = grow(self._hashes, (capacity,), np.uint64)
        self._komi = grow(self._komi, (capacity,), np.float32)
        self._last_moves = grow(self._last_moves, (capacity, 8), np.int16)
        self.last_moves = <int16_t*>cnp.PyArray_DATA(self._last_moves)
        self.to_play = <int8_t*>cnp.PyArray_DATA(self._to_play)
        self.legal = <uint8_t*>cnp.PyArray_DATA(self._legal)
        self.stones = <int8_t*>cnp.PyArray_DATA(self._stones)
        self.hashes = <uint64_t*>cnp.PyArray_DATA(self._hashes)
        self.komi = <float*>cnp.PyArray_DATA(self._komi)
        self.capacity = capacity

    def clear(self):
        self.n = 0
        self.trees = []

    def __len__(self):
        return self.n

    @property
    def stones(self):
        return self._stones[: self.n]

    @property
    def to_play(self):
        return self._to_play[: self.n]

    @property
    def legal(self):
        return self._legal[: self.n]

    @property
    def hashes(self):
        return self._hashes[: self.n]

    @property
    def komi(self):
        return self._komi[: self.n]

    @property
    def last_moves(self):
        return self._last_moves[: self.n]

    def board(self, int i):
        """A copy of leaf i as a goengine Board."""
        if not 0 <= i < self.n:
            raise IndexError(f"leaf {i} out of range 0..{self.n - 1}")
        cdef Board b = Board.__new__(Board)
        memcpy(&b.b, &self.boards[i], sizeof(board_t))
        return b

    @staticmethod
    def from_states(states, int history_length=1):
        """A batch holding the given GameStates (for evaluating positions outside a search).
        Each state needs `.board` (a Cython Board), `.to_play`, `.rules.komi` and, when
        history_length > 1, `.recent_stones(H)`."""
        states = list(states)
        if not states:
            raise ValueError("from_states needs at least one state")
        cdef int size = states[0].board.size
        cdef LeafBatch batch = LeafBatch(size, history_length, len(states))
        cdef Board board
        cdef int i, a, color
        for i, state in enumerate(states):
            board = state.board
            if not isinstance(board, Board):
                raise TypeError("LeafBatch.from_states needs states over the Cython Board")
            if board.b.size != size:
                raise ValueError("all states in one batch must have the same board size")
            memcpy(&batch.boards[i], &board.b, sizeof(board_t))
            color = state.to_play
            batch.to_play[i] = color
            batch.komi[i] = state.rules.komi
            batch.hashes[i] = board.b.hash
            mask = state.legal_mask()
            batch._legal[i] = mask
            batch._last_moves[i] = _recent_moves(state)
            if batch.history_length > 1:
                batch._stones[i] = state.recent_stones(batch.history_length)
            else:
                batch._stones[i, 0] = board.stones()
        batch.n = len(states)
        return batch


# ----------------------------------------------------------------------------- evaluators
cdef class CEvaluator:
    """Base of evaluators that run in C. Python evaluators need only
    `evaluate(batch) -> (priors float32 (n, N*N+1), values float32 (n,))`."""

    def __init__(self, int history_length=1):
        self.history_length = history_length

    cdef int evaluate_c(self, LeafBatch batch, float* priors, float* values) except -1:
        raise NotImplementedError

    def evaluate(self, LeafBatch batch):
        priors = np.zeros((batch.n, batch.A), dtype=np.float32)
        values = np.zeros(batch.n, dtype=np.float32)
        cdef float[:, ::1] p = priors
        cdef float[::1] v = values
        if batch.n:
            self.evaluate_c(batch, &p[0, 0], &v[0])
        return priors, values


cdef class UniformEvaluator(CEvaluator):
    """Equal priors over the legal moves, value 0: measures the tree alone."""

    cdef int evaluate_c(self, LeafBatch batch, float* priors, float* values) except -1:
        cdef int i, a, count, A = batch.A
        cdef const uint8_t* m
        with nogil:
            for i in range(batch.n):
                m = batch.legal + i * A
                count = 0
                for a in range(A):
                    count += m[a]
                for a in range(A):
                    priors[i * A + a] = m[a] / <float>count
                values[i] = 0.0
        return 0


cdef class RolloutEvaluator(CEvaluator):
    """Equal priors over the legal moves; value = mean outcome of `rollouts` C random playouts
    from the leaf, for the side to move there (Tromp-Taylor with the leaf's komi)."""
    cdef int rollouts
    cdef uint64_t rng
    cdef RolloutPolicy policy

    def __init__(self, int rollouts=1, rng=None, RolloutPolicy policy=None):
        super().__init__(1)
        if rollouts < 1:
            raise ValueError("rollouts must be >= 1")
        self.rollouts = rollouts
        self.rng = _seed(rng)
        self.policy = policy if policy is not None else RolloutPolicy()

    cdef int evaluate_c(self, LeafBatch batch, float* priors, float* values) except -1:
        cdef int i, a, r, count, A = batch.A, color
        cdef double total
        cdef board_t work
        cdef const uint8_t* m
        with nogil:
            for i in range(batch.n):
                m = batch.legal + i * A
                count = 0
                for a in range(A):
                    count += m[a]
                for a in range(A):
                    priors[i * A + a] = m[a] / <float>count
                color = batch.to_play[i]
                total = 0
                for r in range(self.rollouts):
                    memcpy(&work, &batch.boards[i], sizeof(board_t))
                    self.policy.run_from(&work, color, _prev_pt(&work, batch.last_moves[i * 8]),
                                         _prev_pt(&work, batch.last_moves[i * 8 + 1]), 3 * batch.NN, &self.rng)
                    total += _outcome(&work, color, batch.komi[i])
                values[i] = total / self.rollouts
        return 0


# ----------------------------------------------------------------------------- the tree
cdef class Tree:
    """One search tree over one game. See the module docstring; goengine.search.mcts.MCTS
    drives it, and `search_many` runs many trees with one evaluator batch."""

    def __cinit__(self, int size, config, double komi=7.5, rng=None, RolloutPolicy rollout_policy=None,
                  int history_length=1):
        self.size = size
        self.NN = size * size
        self.A = size * size + 1
        self.max_nodes = int(config.max_nodes)
        self.capacity = min(self.max_nodes, 1 << 16)  # grown on demand up to max_nodes
        self.hist_len = max(1, history_length)
        self.first = <int32_t*>malloc(self.capacity * sizeof(int32_t))
        self.nchild = <int16_t*>malloc(self.capacity * sizeof(int16_t))
        self.move = <int16_t*>malloc(self.capacity * sizeof(int16_t))
        self.parent = <int32_t*>malloc(self.capacity * sizeof(int32_t))
        self.N = <int32_t*>malloc(self.capacity * sizeof(int32_t))
        self.VL = <int32_t*>malloc(self.capacity * sizeof(int32_t))
        self.W = <double*>malloc(self.capacity * sizeof(double))
        self.P = <float*>malloc(self.capacity * sizeof(float))
        self.V0 = <float*>malloc(self.capacity * sizeof(float))
        self.flags = <uint8_t*>malloc(self.capacity * sizeof(uint8_t))
        self.root_hist = <int8_t*>calloc(self.hist_len * self.NN, sizeof(int8_t))
        self.ring = <int8_t*>calloc(self.hist_len * self.NN, sizeof(int8_t))
        self.path_hashes = <uint64_t*>malloc(MAX_DEPTH * sizeof(uint64_t))
        self.hist_hashes = NULL
        self.n_hist = 0
        if not (self.first and self.nchild and self.move and self.parent and self.N and self.VL
                and self.W and self.P and self.V0 and self.flags and self.root_hist and self.ring
                and self.path_hashes):
            raise MemoryError(f"cannot allocate a tree of {self.capacity} nodes")
        self.komi = komi
        self.c_puct = config.c_puct
        self.c_base = config.c_puct_base or 0.0
        self.fpu = config.fpu_reduction
        self.fpu_root = config.fpu_root_reduction if config.fpu_root_reduction is not None else config.fpu_reduction
        self.forced_k = getattr(config, "forced_playouts", 0.0)
        self.lam = config.mix_lambda
        self.lam_ramp = config.mix_ramp if config.mix_ramp is not None else 0.0
        self.vl = config.virtual_loss
        self.exp_thr = config.expansion_threshold
        self.rollouts = config.rollouts_per_leaf
        self.rollout_cap = config.rollout_max_moves or 3 * size * size
        self.allow_eye_fill = config.allow_eye_fill
        self.rng = _seed(rng)
        self.rollout_policy = rollout_policy if rollout_policy is not None else RolloutPolicy()
        self.superko = 1
        self.plan_len = 0
        self.plan_pos = 0
        self.sims = 0
        self.full = False
        self.used = 0
        self.root = -1

    def __dealloc__(self):
        free(self.first); free(self.nchild); free(self.move); free(self.parent)
        free(self.N); free(self.VL); free(self.W); free(self.P); free(self.V0); free(self.flags)
        free(self.root_hist); free(self.ring); free(self.path_hashes); free(self.hist_hashes)

    # ------------------------------------------------------------------ position
    def set_position(self, Board board, int to_play, int passes=0, hashes=None, recent_stones=None,
                     bint superko=True, bint keep_tree=False, recent_moves=None):
        """Point the root at a position. `hashes`: the game's earlier position hashes (for
        positional superko); `recent_stones`: (H, N*N) int8 of the root position and the H-1
        before it. keep_tree=True keeps the existing root's statistics (after `reuse`)."""
        if board.b.size != self.size:
            raise ValueError(f"board is {board.b.size}x{board.b.size}, tree is {self.size}x{self.size}")
        memcpy(&self.root_board, &board.b, sizeof(board_t))
        self.plan_len = 0
        self.root_color = to_play
        self.root_passes = passes
        self.superko = 1 if superko else 0
        h = np.unique(np.asarray(hashes if hashes is not None else [], dtype=np.uint64))
        free(self.hist_hashes)
        self.n_hist = len(h)
        self.hist_hashes = <uint64_t*>malloc(max(1, self.n_hist) * sizeof(uint64_t))
        cdef int i
        for i in range(self.n_hist):
            self.hist_hashes[i] = h[i]
        for i in range(8):
            self.root_moves[i] = -1
        if recent_moves is not None:
            for i, a in enumerate(list(recent_moves)[:8]):
                self.root_moves[i] = int(a)
        memset(self.root_hist, 0, self.hist_len * self.NN)
        cdef int8_t[:, ::1] rs
        if recent_stones is not None:
            arr = np.ascontiguousarray(recent_stones, dtype=np.int8)[: self.hist_len]
            rs = arr
            for i in range(arr.shape[0]):
                memcpy(self.root_hist + i * self.NN, &rs[i, 0], self.NN)
        else:
            _extract(&self.root_board, self.root_hist)
        if not keep_tree or self.root < 0:
            self.used = 0
            self.full = False
            self.root = self._alloc(1)
            self.move[self.root] = -1
            self.parent[self.root] = -1
        self._orig_root_prior = None

    cdef bint _grow(self, int needed) noexcept nogil:
        """Enlarge the node arrays to hold `needed` nodes (doubling, at most max_nodes)."""
        cdef long cap = self.capacity
        while cap < needed:
            cap *= 2
        if cap > self.max_nodes:
            cap = self.max_nodes
        if cap < needed:
            return False
        cdef void* p
        p = realloc(self.first, cap * sizeof(int32_t))
        if p == NULL: return False
        self.first = <int32_t*>p
        p = realloc(self.nchild, cap * sizeof(int16_t))
        if p == NULL: return False
        self.nchild = <int16_t*>p
        p = realloc(self.move, cap * sizeof(int16_t))
        if p == NULL: return False
        self.move = <int16_t*>p
        p = realloc(self.parent, cap * sizeof(int32_t))
        if p == NULL: return False
        self.parent = <int32_t*>p
        p = realloc(self.N, cap * sizeof(int32_t))
        if p == NULL: return False
        self.N = <int32_t*>p
        p = realloc(self.VL, cap * sizeof(int32_t))
        if p == NULL: return False
        self.VL = <int32_t*>p
        p = realloc(self.W, cap * sizeof(double))
        if p == NULL: return False
        self.W = <double*>p
        p = realloc(self.P, cap * sizeof(float))
        if p == NULL: return False
        self.P = <float*>p
        p = realloc(self.V0, cap * sizeof(float))
        if p == NULL: return False
        self.V0 = <float*>p
        p = realloc(self.flags, cap * sizeof(uint8_t))
        if p == NULL: return False
        self.flags = <uint8_t*>p
        self.capacity = <int>cap
        return True

    cdef int _alloc(self, int count) noexcept nogil:
        """Reserve `count` contiguous nodes; -1 when the node budget is spent."""
        cdef int start = self.used, i
        if start + count > self.capacity and not self._grow(start + count):
            self.full = True
            return -1
        for i in range(start, start + count):
            self.first[i] = -1
            self.nchild[i] = 0
            self.N[i] = 0
            self.VL[i] = 0
            self.W[i] = 0.0
            self.P[i] = 0.0
            self.V0[i] = NAN
            self.flags[i] = 0
        self.used = start + count
        return start

    def set_root_plan(self, actions):
        """Have the root's selection visit `actions` in turn, cycling (Gumbel's sequential
        halving: each considered move its share of the simulations), instead of PUCT; below
        the root PUCT selects as ever. An empty list returns the root to PUCT. The plan is
        cleared when the root moves (set_position, reuse)."""
        cdef int i, k = len(actions)
        if k > 640:
            raise ValueError(f"a root plan of {k} moves is longer than 640")
        for i in range(k):
            self.root_plan[i] = <int16_t>int(actions[i])
        self.plan_len = k
        self.plan_pos = 0

    def reuse(self, int action):
        """Make the child reached by `action` the new root, keeping its subtree (compacted to
        the front of the pool). Returns False (and leaves the tree to be reset by
        set_position) when there is no such expanded child."""
        if self.root < 0 or not (self.flags[self.root] & F_EXPANDED):
            return False
        cdef int c, child = -1, fc = self.first[self.root]
        for c in range(fc, fc + self.nchild[self.root]):
            if self.move[c] == action:
                child = c
                break
        if child < 0 or (self.flags[child] & F_ILLEGAL):
            return False
        self._compact(child)
        return True

    def _compact(self, int new_root):
        """Copy the subtree under new_root to fresh arrays in breadth-first order."""
        cdef int cap = self.capacity
        cdef int32_t* first = <int32_t*>malloc(cap * sizeof(int32_t))
        cdef int16_t* nchild = <int16_t*>malloc(cap * sizeof(int16_t))
        cdef int16_t* move = <int16_t*>malloc(cap * sizeof(int16_t))
        cdef int32_t* parent = <int32_t*>malloc(cap * sizeof(int32_t))
        cdef int32_t* N = <int32_t*>malloc(cap * sizeof(int32_t))
        cdef int32_t* VL = <int32_t*>malloc(cap * sizeof(int32_t))
        cdef double* W = <double*>malloc(cap * sizeof(double))
        cdef float* P = <float*>malloc(cap * sizeof(float))
        cdef float* V0 = <float*>malloc(cap * sizeof(float))
        cdef uint8_t* flags = <uint8_t*>malloc(cap * sizeof(uint8_t))
        cdef int32_t* old_of = <int32_t*>malloc(cap * sizeof(int32_t))
        if not (first and nchild and move and parent and N and VL and W and P and V0 and flags and old_of):
            free(first); free(nchild); free(move); free(parent); free(N); free(VL); free(W); free(P)
            free(V0); free(flags); free(old_of)
            raise MemoryError("tree compaction: out of memory")
        cdef int head = 0, used = 1, o, k, nc, fc
        old_of[0] = new_root
        parent[0] = -1
        with nogil:
            while head < used:
                o = old_of[head]
                move[head] = self.move[o]
                N[head] = self.N[o]
                VL[head] = 0
                W[head] = self.W[o]
                P[head] = self.P[o]
                V0[head] = self.V0[o]
                flags[head] = self.flags[o] & ~F_PENDING
                nc = self.nchild[o]
                nchild[head] = nc
                if self.first[o] >= 0 and nc > 0:
                    fc = self.first[o]
                    first[head] = used
                    for k in range(nc):
                        old_of[used + k] = fc + k
                        parent[used + k] = head
                    used += nc
                else:
                    first[head] = -1
                head += 1
        free(self.first); free(self.nchild); free(self.move); free(self.parent); free(self.N)
        free(self.VL); free(self.W); free(self.P); free(self.V0); free(self.flags); free(old_of)
        self.first, self.nchild, self.move, self.parent = first, nchild, move, parent
        self.N, self.VL, self.W, self.P, self.V0, self.flags = N, VL, W, P, V0, flags
        self.used = used
        self.root = 0
        self.move[0] = -1
        self.full = False

    # ------------------------------------------------------------------ selection and backup
    cdef double _leaf_lambda(self, const board_t* b) noexcept nogil:
        """The rollout weight at a leaf: mix_lambda, or with mix_ramp r set, mix_lambda *
        clip(1 - e / r, 0, 1) for the leaf's share e of empty points."""
        cdef double w
        if self.lam <= 0.0 or self.lam_ramp <= 0.0:
            return self.lam
        w = 1.0 - (<double>b.num_empty / self.NN) / self.lam_ramp
        if w <= 0.0:
            return 0.0
        return self.lam * w if w < 1.0 else self.lam

    cdef int _select(self, int node) noexcept nogil:
        """argmax over the children of Q + U (PUCT with first-play urgency and virtual loss);
        at the root with forced playouts, first any visited child below its forced count
        sqrt(k * P * N(root)), the least visited of them."""
        cdef int fc = self.first[node], nc = self.nchild[node], c, best = -1, n, a
        cdef double parent_n = self.N[node] + self.VL[node]
        cdef double forced_best = 1e300
        if node == self.root and self.plan_len > 0:  # the root plan (Gumbel's halving) picks
            for n in range(self.plan_len):
                a = self.root_plan[self.plan_pos % self.plan_len]
                self.plan_pos += 1
                for c in range(fc, fc + nc):
                    if self.move[c] == a and not (self.flags[c] & F_ILLEGAL):
                        return c
        if node == self.root and self.forced_k > 0.0:
            for c in range(fc, fc + nc):
                if self.flags[c] & F_ILLEGAL or self.N[c] == 0:
                    continue
                n = self.N[c] + self.VL[c]
                if n < sqrt(self.forced_k * self.P[c] * self.N[node]) and n < forced_best:
                    forced_best = n
                    best = c
            if best >= 0:
                return best
        cdef double q_parent = -self.W[node] / self.N[node] if self.N[node] > 0 else 0.0
        cdef double visited_mass = 0.0, fpu_value, cp, sq, q, u, score, best_score = -1e300
        for c in range(fc, fc + nc):
            if self.N[c] + self.VL[c] > 0:
                visited_mass += self.P[c]
        fpu_value = q_parent - (self.fpu_root if node == self.root else self.fpu) * sqrt(visited_mass)
        cp = self.c_puct
        if self.c_base > 0:
            cp += log((1.0 + parent_n + self.c_base) / self.c_base)
        sq = sqrt(parent_n if parent_n > 1 else 1.0)
        for c in range(fc, fc + nc):
            if self.flags[c] & F_ILLEGAL:
                continue
            n = self.N[c] + self.VL[c]
            if n > 0:
                q = (self.W[c] - self.VL[c]) / n
            else:
                q = fpu_value
            u = cp * self.P[c] * sq / (1 + n)
            score = q + u
            if score > best_score:
                best_score = score
                best = c
        return best

    cdef void _undo_vl(self, const int32_t* path, int length) noexcept nogil:
        cdef int i
        for i in range(length):
            self.VL[path[i]] -= self.vl

    cdef void _backup(self, const int32_t* path, int length, double value, bint had_vl) noexcept nogil:
        """value is from the view of the player to move at the leaf path[length-1]."""
        cdef int i, node
        cdef double v = -value
        for i in range(length - 1, -1, -1):
            node = path[i]
            if had_vl:
                self.VL[node] -= self.vl
            self.N[node] += 1
            self.W[node] += v
            v = -v
        self.sims += 1

    cdef int _gather(self, LeafBatch batch, int k, int tree_index) except -1:
        """Descend up to k times; leaves needing the evaluator are appended to `batch`, the
        others (game over, or Lee-mode leaves below the expansion threshold whose value is
        known) are backed up at once. Returns the number of leaves appended."""
        cdef int added = 0, attempt, slot, depth, node, child, color, passes, restarts, d, idx, j
        cdef int H = self.hist_len, NN = self.NN, A = self.A, a, pt
        cdef board_t* b
        cdef int32_t* path
        cdef uint64_t h
        cdef bint repeat, need_expand, need_value
        cdef double v, z, lam
        cdef board_t work
        cdef int lo, hi, mid
        cdef int lm[8]
        batch._reserve(batch.n + 1)
        for attempt in range(k):
            if self.full:
                break
            slot = batch.n
            b = &batch.boards[slot]
            path = batch.path + slot * MAX_DEPTH
            restarts = 0
            while True:
                memcpy(b, &self.root_board, sizeof(board_t))
                node = self.root
                color = self.root_color
                passes = self.root_passes
                depth = 0
                path[0] = node
                self.VL[node] += self.vl
                if H > 1:
                    memcpy(self.ring, self.root_hist, NN)
                repeat = False
                while (self.flags[node] & F_EXPANDED) and passes < 2 and depth + 1 < MAX_DEPTH:
                    child = self._select(node)
                    a = self.move[child]
                    pt = pt_of(b, a)
                    board_play(b, pt, color)
                    if pt == PASS_PT:
                        passes += 1
                    else:
                        passes = 0
                        if self.superko:
                            h = b.hash
                            lo = 0
                            hi = self.n_hist
                            while lo < hi:
                                mid = (lo + hi) >> 1
                                if self.hist_hashes[mid] < h:
                                    lo = mid + 1
                                else:
                                    hi = mid
                            repeat = lo < self.n_hist and self.hist_hashes[lo] == h
                            for j in range(depth):
                                if self.path_hashes[j] == h:
                                    repeat = True
                            if repeat:
                                self.flags[child] |= F_ILLEGAL
                                break
                    self.path_hashes[depth] = b.hash
                    depth += 1
                    path[depth] = child
                    self.VL[child] += self.vl
                    node = child
                    color = 3 - color
                    if H > 1:
                        _extract(b, self.ring + (depth % H) * NN)
                if not repeat:
                    break
                self._undo_vl(path, depth + 1)
                restarts += 1
                if restarts > 64:
                    return added
            # the leaf is path[depth]; the side to move there is `color`
            if passes >= 2:
                self._backup(path, depth + 1, _outcome(b, color, self.komi), True)
                continue
            if self.flags[node] & F_PENDING:
                self._undo_vl(path, depth + 1)
                break
            # the root is expanded at once: below the threshold it would have no moves to choose
            need_expand = not (self.flags[node] & F_EXPANDED) and (
                depth == 0 or self.N[node] + 1 >= self.exp_thr)
            lam = self._leaf_lambda(b)
            need_value = lam < 1.0 and isnan(self.V0[node])
            for j in range(8):  # the leaf's last 8 moves: the path's, then the game's
                idx = depth - j
                if idx >= 1:
                    lm[j] = self.move[path[idx]]
                else:
                    lm[j] = self.root_moves[-idx] if -idx < 8 else -1
            z = 0.0
            if lam > 0.0:
                for j in range(self.rollouts):
                    memcpy(&work, b, sizeof(board_t))
                    self.rollout_policy.run_from(&work, color, _prev_pt(b, lm[0]), _prev_pt(b, lm[1]),
                                                 self.rollout_cap, &self.rng)
                    z += _outcome(&work, color, self.komi)
                z /= self.rollouts
            if not need_expand and not need_value:
                v = z if lam >= 1.0 else (1.0 - lam) * self.V0[node] + lam * z
                self._backup(path, depth + 1, v, True)
                continue
            # hand the leaf to the evaluator
            self.flags[node] |= F_PENDING
            batch.path_len[slot] = depth + 1
            batch.leaf_tree[slot] = tree_index
            batch.leaf_expand[slot] = need_expand
            batch.leaf_z[slot] = <float>z
            batch.to_play[slot] = <int8_t>color
            batch.hashes[slot] = b.hash
            batch.komi[slot] = <float>self.komi
            for j in range(8):
                batch.last_moves[slot * 8 + j] = <int16_t>lm[j]
            for a in range(NN):
                pt = pt_of(b, a)
                batch.legal[slot * A + a] = board_is_legal(b, pt, color) and (
                    self.allow_eye_fill or not board_is_eye(b, pt, color))
            batch.legal[slot * A + NN] = 1
            if H > 1:
                for j in range(H):
                    idx = depth - j
                    if idx >= 0:
                        memcpy(batch.stones + (slot * H + j) * NN, self.ring + (idx % H) * NN, NN)
                    else:
                        memcpy(batch.stones + (slot * H + j) * NN, self.root_hist + (-idx) * NN, NN)
            else:
                _extract(b, batch.stones + slot * NN)
            batch.n += 1
            added += 1
            batch._reserve(batch.n + 1)
        return added

    cdef void _finish(self, LeafBatch batch, int slot, const float* prior, float value) noexcept nogil:
        """Expand the leaf of `slot` with `prior` (if due) and back up its value."""
        cdef int32_t* path = batch.path + slot * MAX_DEPTH
        cdef double lam
        cdef int length = batch.path_len[slot], leaf = path[length - 1]
        cdef int A = self.A, a, count = 0, c, fc
        cdef const uint8_t* m = batch.legal + slot * A
        cdef double total = 0.0, v
        self.flags[leaf] &= ~F_PENDING
        self.V0[leaf] = value
        if batch.leaf_expand[slot] and not (self.flags[leaf] & F_EXPANDED):
            for a in range(A):
                if m[a]:
                    count += 1
                    if prior[a] > 0:
                        total += prior[a]
            fc = self._alloc(count)
            if fc >= 0:
                c = fc
                for a in range(A):
                    if m[a]:
                        self.move[c] = <int16_t>a
                        self.parent[c] = leaf
                        if total > 0:
                            self.P[c] = (prior[a] if prior[a] > 0 else 0.0) / total
                        else:
                            self.P[c] = 1.0 / count
                        c += 1
                # a random child order breaks ties between equal children at random
                # instead of in board order (uniform priors would favour the top rows)
                for a in range(count - 1, 0, -1):
                    c = fc + rng_below(&self.rng, a + 1)
                    self.move[fc + a], self.move[c] = self.move[c], self.move[fc + a]
                    self.P[fc + a], self.P[c] = self.P[c], self.P[fc + a]
                self.first[leaf] = fc
                self.nchild[leaf] = <int16_t>count
                self.flags[leaf] |= F_EXPANDED
        lam = self._leaf_lambda(&batch.boards[slot])
        if lam <= 0.0:
            v = value
        elif lam >= 1.0:
            v = batch.leaf_z[slot]
        else:
            v = (1.0 - lam) * value + lam * batch.leaf_z[slot]
        self._backup(path, length, v, True)

    def _abort(self, LeafBatch batch, int tree_index):
        """Forget this tree's pending leaves of `batch` (after an evaluator failure): their
        virtual loss is removed and nothing is backed up."""
        cdef int slot
        cdef int32_t* path
        for slot in range(batch.n):
            if batch.leaf_tree[slot] == tree_index:
                path = batch.path + slot * MAX_DEPTH
                self.flags[path[batch.path_len[slot] - 1]] &= ~F_PENDING
                self._undo_vl(path, batch.path_len[slot])

    # ------------------------------------------------------------------ inspection
    @property
    def root_visits(self):
        return self.N[self.root] if self.root >= 0 else 0

    @property
    def root_expanded(self):
        return self.root >= 0 and bool(self.flags[self.root] & F_EXPANDED)

    def root_value(self):
        """Mean value of the root for the side to move (0 before any visit)."""
        if self.root < 0 or self.N[self.root] == 0:
            return 0.0
        return -self.W[self.root] / self.N[self.root]

    def root_children(self):
        """(moves, visits, q, priors) of the root's legal children; q from the root player's view
        (nan for unvisited children)."""
        if not self.root_expanded:
            e = np.zeros(0)
            return e.astype(np.int64), e.astype(np.int64), e, e
        cdef int fc = self.first[self.root], nc = self.nchild[self.root], c
        moves, visits, q, p = [], [], [], []
        for c in range(fc, fc + nc):
            if self.flags[c] & F_ILLEGAL:
                continue
            moves.append(self.move[c])
            visits.append(self.N[c])
            q.append(self.W[c] / self.N[c] if self.N[c] > 0 else np.nan)
            p.append(self.P[c])
        return (np.array(moves, dtype=np.int64), np.array(visits, dtype=np.int64),
                np.array(q, dtype=np.float64), np.array(p, dtype=np.float64))

    def principal_variation(self, int first_move, int max_len=30):
        """The moves from the root starting with `first_move`, then each time the most visited child."""
        cdef int node = -1, c, best, fc
        out = []
        if not self.root_expanded:
            return out
        fc = self.first[self.root]
        for c in range(fc, fc + self.nchild[self.root]):
            if self.move[c] == first_move:
                node = c
        while node >= 0 and len(out) < max_len and self.N[node] > 0:
            out.append(self.move[node])
            if not (self.flags[node] & F_EXPANDED):
                break
            best = -1
            fc = self.first[node]
            for c in range(fc, fc + self.nchild[node]):
                if not (self.flags[c] & F_ILLEGAL) and (best < 0 or self.N[c] > self.N[best]):
                    best = c
            node = best
        return out

    def apply_root_noise(self, noise, double epsilon):
        """P = (1 - eps) * P + eps * noise over the root's children (in root_children order of all
        children, illegal ones included); the un-noised priors are kept so that noise never
        compounds over repeated searches of one root."""
        if not self.root_expanded:
            raise RuntimeError("the root must be expanded before noise is applied")
        cdef int fc = self.first[self.root], nc = self.nchild[self.root], i
        if self._orig_root_prior is None:
            self._orig_root_prior = np.array([self.P[fc + i] for i in range(nc)], dtype=np.float64)
        noise = np.asarray(noise, dtype=np.float64)
        if noise.shape != (nc,):
            raise ValueError(f"noise must have shape ({nc},)")
        for i in range(nc):
            self.P[fc + i] = (1 - epsilon) * self._orig_root_prior[i] + epsilon * noise[i]

    @property
    def root_child_count(self):
        return self.nchild[self.root] if self.root_expanded else 0

    def virtual_loss_total(self):
        """Sum of pending virtual visits over all nodes (0 after every complete search)."""
        cdef long total = 0
        cdef int i
        for i in range(self.used):
            total += self.VL[i]
        return total

    def pending_total(self):
        cdef int i, total = 0
        for i in range(self.used):
            total += (self.flags[i] & F_PENDING) != 0
        return total

    def node_stats(self, int node):
        """(move, N, W, P, first_child, nchild) of a node, for tests."""
        if not 0 <= node < self.used:
            raise IndexError(node)
        return (self.move[node], self.N[node], self.W[node], self.P[node], self.first[node], self.nchild[node])

    @property
    def root_index(self):
        return self.root


def search_many(trees, evaluator, simulations, int leaves_per_batch=8, LeafBatch batch=None,
                double deadline=0.0):
    """Run `simulations` more simulations in every tree (an int, or one count per tree),
    gathering up to `leaves_per_batch` leaves per tree into one batch per evaluator call. A tree
    whose node budget is spent stops early. `deadline` (time.monotonic() value, 0 for none)
    stops all trees at that time. Returns the number of evaluator calls."""
    import time
    cdef int ntrees = len(trees), i, j, slot, calls = 0
    cdef Tree t
    if ntrees == 0:
        return 0
    cdef list tree_list = list(trees)
    cdef int size = (<Tree>tree_list[0]).size
    cdef int H = max((<Tree>tr).hist_len for tr in tree_list)
    sims_each = np.broadcast_to(np.asarray(simulations, dtype=np.int64), (ntrees,))
    cdef long[::1] target = np.array([(<Tree>tr).sims for tr in tree_list], dtype=np.int64) + sims_each
    cdef CEvaluator cev = evaluator if isinstance(evaluator, CEvaluator) else None
    cdef float[:, ::1] pri
    cdef float[::1] val
    if batch is None or batch.size != size or batch.history_length != H:
        batch = LeafBatch(size, H, ntrees * leaves_per_batch + 1)
    cdef int A = size * size + 1
    pri_buf = np.zeros((ntrees * leaves_per_batch + 1, A), dtype=np.float32)
    val_buf = np.zeros(ntrees * leaves_per_batch + 1, dtype=np.float32)
    while True:
        batch.n = 0
        active = False
        for i in range(ntrees):
            t = tree_list[i]
            if t.sims < target[i] and not t.full:
                active = True
                t._gather(batch, min(leaves_per_batch, <int>(target[i] - t.sims)), i)
        if batch.n:
            if cev is not None:
                if pri_buf.shape[0] < batch.n:
                    pri_buf = np.zeros((batch.n, A), dtype=np.float32)
                    val_buf = np.zeros(batch.n, dtype=np.float32)
                pri = pri_buf
                val = val_buf
                cev.evaluate_c(batch, &pri[0, 0], &val[0])
            else:
                try:
                    priors, values = evaluator.evaluate(batch)
                    priors = np.require(priors, np.float32, ["C", "W"])
                    values = np.require(np.reshape(values, -1), np.float32, ["C", "W"])
                except BaseException:
                    for i in range(ntrees):
                        (<Tree>tree_list[i])._abort(batch, i)
                    raise
                if priors.shape != (batch.n, A) or values.shape != (batch.n,):
                    for i in range(ntrees):
                        (<Tree>tree_list[i])._abort(batch, i)
                    raise ValueError(
                        f"evaluator returned priors {priors.shape} and values {values.shape}, "
                        f"expected ({batch.n}, {A}) and ({batch.n},)")
                pri = priors
                val = values
            calls += 1
            for slot in range(batch.n):
                t = tree_list[batch.leaf_tree[slot]]
                t._finish(batch, slot, &pri[slot, 0], val[slot])
        if not active:
            break
        if deadline and time.monotonic() >= deadline:
            break
    return calls
