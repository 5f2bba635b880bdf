# The fast rollout policy's C sampler and the tree policy: see _rollout.pyx.
from libc.stdint cimport uint64_t, uint8_t, int16_t, int32_t
from goengine._board cimport board_t, MAX_PTS, MAX_W
from goengine.search._tree cimport RolloutPolicy
from goengine.features._boardops cimport marks_t
from goengine.features._patterns cimport pboard_t


ctypedef struct rstate_t:
    # One rollout in progress: the pattern board and, per colour to move, the base weight
    # w = exp(3x3 pattern weight) of every point (0 where that colour may not play: a stone,
    # a suicide, its own one-point eye) with row sums for sampling.
    pboard_t pb
    float w[2][MAX_PTS]
    double row[2][MAX_W]
    double rowcorr[MAX_W]
    marks_t lmarks                   # the points with a local factor this move
    marks_t marks                    # work space of after_move and friends
    int nloc
    int16_t locpt[MAX_PTS]           # points near the previous move, saving moves, the ko point
    double locf[MAX_PTS]             # their factor on w (exp of the extra features' weights)
    uint8_t locsave[MAX_PTS]
    int16_t locidx[MAX_PTS]          # point -> index in locpt (valid while lmarks marks it)
    int16_t chains[MAX_PTS]
    int16_t saves[MAX_PTS]


cdef class FastRolloutPolicy(RolloutPolicy):
    cdef float* e_nr3                # exp(clamped weight) of the two pattern tables
    cdef float* e_resp
    cdef float* raw                  # the weights as given (NUM_ROLLOUT_FEATURES)
    cdef double e_response, e_save
    cdef double e_nb[8]
    cdef void _exp_tables(self) noexcept
    cdef void rs_init(self, rstate_t* rs, const board_t* b, int prev, int prev2) noexcept nogil
    cdef void rs_update(self, rstate_t* rs) noexcept nogil
    cdef int rs_locals(self, rstate_t* rs, int color) noexcept nogil
    cdef int rs_sample(self, rstate_t* rs, int color, uint64_t* rng) noexcept nogil
    cdef int run_from(self, board_t* b, int color, int prev, int prev2, int max_moves,
                      uint64_t* rng) noexcept nogil


cdef class TreePolicy:
    cdef float* w                    # the weights, NUM_TREE_FEATURES
    cdef int priors_c(self, const board_t* b, int color, int prev, int prev2,
                      float* out) noexcept nogil
