# C-level interface of the search tree, for Cython evaluators and rollout policies to cimport.
from libc.stdint cimport uint64_t, int32_t, int16_t, uint8_t, int8_t
from goengine._board cimport board_t


cdef class RolloutPolicy:
    """Plays a rollout in place on a C board; the default is uniform random with the eye rule.
    Subclasses (the trained fast policy) override `run`."""
    cdef int run(self, board_t* b, int color, int max_moves, uint64_t* rng) noexcept nogil
    cdef int run_from(self, board_t* b, int color, int prev, int prev2, int max_moves,
                      uint64_t* rng) noexcept nogil


cdef class LeafBatch:
    cdef readonly int capacity, n, size, history_length
    cdef int A, NN, max_depth
    cdef board_t* boards
    cdef object _to_play, _legal, _stones, _hashes, _komi, _last_moves
    cdef int16_t* last_moves
    cdef int8_t* to_play
    cdef uint8_t* legal
    cdef int8_t* stones
    cdef uint64_t* hashes
    cdef float* komi
    cdef int32_t* path
    cdef int32_t* path_len
    cdef int32_t* leaf_tree
    cdef uint8_t* leaf_expand
    cdef float* leaf_z
    cdef list trees
    cdef void _reserve(self, int capacity) except *


cdef class CEvaluator:
    """An evaluator that the tree can call in C, without building Python arrays."""
    cdef readonly int history_length
    cdef int evaluate_c(self, LeafBatch batch, float* priors, float* values) except -1


cdef class Tree:
    cdef readonly int size, capacity, used, hist_len, max_nodes
    cdef int A, NN, root
    cdef int32_t* first
    cdef int16_t* nchild
    cdef int16_t* move
    cdef int32_t* parent
    cdef int32_t* N
    cdef int32_t* VL
    cdef double* W
    cdef float* P
    cdef float* V0
    cdef uint8_t* flags
    cdef board_t root_board
    cdef int root_color, root_passes, superko
    cdef double komi
    cdef uint64_t* hist_hashes
    cdef int n_hist
    cdef int8_t* root_hist
    cdef int16_t root_moves[8]
    cdef int8_t* ring
    cdef uint64_t* path_hashes
    # configuration, copied from MCTSConfig
    cdef double c_puct, c_base, fpu, fpu_root, lam, lam_ramp, forced_k
    cdef int vl, exp_thr, rollouts, rollout_cap
    cdef bint allow_eye_fill
    cdef uint64_t rng
    cdef RolloutPolicy rollout_policy
    cdef public long sims
    cdef readonly bint full
    cdef object _orig_root_prior
    cdef int16_t root_plan[640]  # a 25x25 board's 626 actions fit
    cdef int plan_len, plan_pos

    cdef int _alloc(self, int count) noexcept nogil
    cdef bint _grow(self, int needed) noexcept nogil
    cdef int _select(self, int node) noexcept nogil
    cdef double _leaf_lambda(self, const board_t* b) noexcept nogil
    cdef void _backup(self, const int32_t* path, int length, double value, bint had_vl) noexcept nogil
    cdef void _undo_vl(self, const int32_t* path, int length) noexcept nogil
    cdef int _gather(self, LeafBatch batch, int k, int tree_index) except -1
    cdef void _finish(self, LeafBatch batch, int slot, const float* prior, float value) noexcept nogil
