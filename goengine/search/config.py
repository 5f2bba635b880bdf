"""MCTSConfig: every knob of the search, each with the reason it exists.

Defaults are for play on a laptop CPU on 9x9 with AlphaGo Zero-style PUCT; `MCTSConfig.lee()`
and `MCTSConfig.pure_mcts()` give the other two modes, `selfplay()` the exploration settings.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class MCTSConfig:
    num_simulations: int = 400
    """Simulations per move when no time budget is given."""

    c_puct: float = 1.5
    """Exploration constant of PUCT: U(s,a) = c_puct * P(s,a) * sqrt(sum_b N(s,b)) / (1 + N(s,a))
    (AlphaGo Zero, Methods: "Select")."""

    c_puct_base: float | None = None
    """If set, AlphaZero's growing exploration rate: c(s) = c_puct + log((1 + N(s) + base) / base)
    (AlphaZero pseudocode uses c_init 1.25 and base 19652). None keeps c_puct constant."""

    fpu_reduction: float = 0.25
    """First-play urgency: an unvisited child's Q is its parent's Q minus
    fpu_reduction * sqrt(sum of the priors of visited children) (Leela Zero), so the search
    tries the policy's favourites before wide exploration. 0 gives unvisited children the
    parent's Q."""

    fpu_root_reduction: float | None = None
    """FPU reduction at the root (None: same as fpu_reduction). Self-play with noise often
    uses 0 here so that noise can steer the search to new moves."""

    virtual_loss: int = 3
    """Virtual visits added to every edge on the path of a pending leaf, each counted as a
    loss for the player choosing that edge, so that the K leaves of one batch differ
    (minigo strategies.py). Removed exactly at backup."""

    leaves_per_batch: int = 8
    """K: leaves gathered under virtual loss before one evaluator call, per tree."""

    dirichlet_alpha: float | None = None
    """Alpha of the root Dirichlet noise; None means 10 / (N*N) (AlphaZero scales it to the
    typical number of legal moves: 0.03 on 19x19, ~0.12 on 9x9)."""

    dirichlet_epsilon: float = 0.0
    """Weight of the root noise: P = (1 - eps) * P + eps * Dir(alpha). 0 turns noise off (play);
    self-play uses 0.25."""

    temperature: float = 1.0
    """Move choice from root visits: pi(a) ~ N(a)^(1/temperature) for the first
    `temperature_moves` moves of the game, then the most visited move."""

    temperature_moves: int | None = 0
    """Number of game moves played with `temperature`; after them the choice is greedy (None:
    N*N/8 of the board being played).
    0 means always greedy (play); self-play uses N*N/8 (MCTSConfig.selfplay; AlphaGo Zero: 30
    on 19x19)."""

    expansion_threshold: int = 1
    """Visits a leaf needs before it is expanded (its priors requested). 1 is AlphaGo Zero;
    AlphaGo Lee used 40, with rollouts (and the cached value) evaluating the leaf meanwhile."""

    mix_lambda: float = 0.0
    """AlphaGo Lee's mixing: leaf value V = (1 - lambda) * v + lambda * z, where v is the
    evaluator's value and z a rollout outcome. 0 is AlphaGo Zero (no rollouts); 1 with uniform
    priors is plain UCT with random playouts."""

    mix_ramp: float | None = None
    """Rollouts only late in the game: with r set (0 < r <= 1) the weight at a leaf whose
    board has a share e of empty points is mix_lambda * max(0, 1 - e / r), none while more than
    r of the board is empty. The value network counts a nearly settled board worst, and a
    random playout scores one best. None: mix_lambda at every leaf."""

    rollouts_per_leaf: int = 1
    """Rollouts run at a leaf when mix_lambda > 0; z is their mean outcome."""

    rollout_max_moves: int | None = None
    """Move cap of one rollout (None: 3*N*N)."""

    resign_threshold: float | None = None
    """Resign when the root's value and its best move's Q, from the side to move, are both
    below this (e.g. -0.9). None never resigns."""

    resign_min_moves: int | None = 0
    """No resignation before this game move (0: none; None: N*N/4 of the board played, the
    agent kinds' rule)."""

    max_nodes: int = 16_000_000
    """Node budget: the search stops early rather than allocate more tree nodes (37 bytes
    each, allocated as the tree grows: 16M nodes is at most ~600 MB, about 200k simulations
    on 9x9), so memory is bounded whatever the time budget."""

    allow_eye_fill: bool = False
    """Whether the search considers moves that fill the mover's own one-point eye. Such moves
    never help under area scoring except in rare capturing races, and searching them wastes
    visits and lets a search throw away a won game; minigo and Pachi prune them too."""

    pass_when_winning: bool = True
    """After the opponent passes, pass at once when the position, counted now (Tromp-Taylor,
    as the arena referees), is a win for the side to move: never throw away a won game by
    playing on."""

    pass_when_only_own_territory: bool = True
    """Pass when every legal move only fills the mover's own territory: empty regions bordered
    by its stones alone and no larger than `territory_max_fraction` of the board, with the
    opponent on the board. Such moves cannot gain under area scoring, only lose eyes."""

    forced_playouts: float = 0.0
    """KataGo's forced playouts (Wu 2019, section 3.1): each root child that has a visit gets
    at least sqrt(k * P(c) * sum N) of them, so that noise-favoured moves are looked at long
    enough to be judged; `policy_target` then prunes those forced visits from the policy
    target. 0 turns both off; KataGo's self-play uses k = 2 (1.25x less compute in its
    ablation, with the pruning). For self-play only: it spends play visits on weak moves."""

    no_losing_pass: bool = False
    """Never pass while the opponent has not, into a position the count now gives the
    opponent (it would pass back and win), when another move is searched: self-play's rule
    (MCTSConfig.selfplay). An early network's pass prior gets a pass enough visits to be the
    choice, the search rarely reaches the opponent's ending pass below it, and the visits
    then teach the pass again: most games of such a run ended at move 3."""

    territory_max_fraction: float = 0.25
    """Largest region (as a share of the board) the passing rule counts as settled territory:
    a bigger empty area, such as the whole board around a lone stone, is still open."""

    def __post_init__(self):
        checks = [
            (self.num_simulations >= 1, "num_simulations must be >= 1"),
            (self.c_puct > 0, "c_puct must be > 0"),
            (self.virtual_loss >= 0, "virtual_loss must be >= 0"),
            (self.leaves_per_batch >= 1, "leaves_per_batch must be >= 1"),
            (0.0 <= self.dirichlet_epsilon <= 1.0, "dirichlet_epsilon must be in [0, 1]"),
            (self.temperature > 0, "temperature must be > 0"),
            (self.expansion_threshold >= 1, "expansion_threshold must be >= 1"),
            (0.0 <= self.mix_lambda <= 1.0, "mix_lambda must be in [0, 1]"),
            (self.mix_ramp is None or 0.0 < self.mix_ramp <= 1.0, "mix_ramp must be in (0, 1]"),
            (self.rollouts_per_leaf >= 1, "rollouts_per_leaf must be >= 1"),
            (self.max_nodes >= 1000, "max_nodes must be >= 1000"),
            (self.forced_playouts >= 0, "forced_playouts must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"MCTSConfig: {message}")

    def replace(self, **changes) -> "MCTSConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def pure_mcts(cls, **changes) -> "MCTSConfig":
        """UCT with uniform priors and C random playouts: the engine's first real opponent.
        With uniform priors PUCT's exploration term is divided by the number of legal moves,
        so c_puct must be larger than with a network (the matches against GNU Go that chose 4
        are in docs/arena.md); several playouts per leaf lower the noise of each leaf's value."""
        base = dict(mix_lambda=1.0, c_puct=4.0, rollouts_per_leaf=8, fpu_reduction=0.0,
                    leaves_per_batch=1, virtual_loss=1)
        base.update(changes)
        return cls(**base)

    @classmethod
    def lee(cls, **changes) -> "MCTSConfig":
        """AlphaGo Lee's policy-and-value search: delayed expansion and value/rollout mixing."""
        base = dict(mix_lambda=0.5, expansion_threshold=8, c_puct=2.5)
        base.update(changes)
        return cls(**base)

    @classmethod
    def selfplay(cls, size: int | None = None, **changes) -> "MCTSConfig":
        """Exploration for AlphaGo Zero self-play: root noise and visit temperature for the
        first N*N/8 moves (of `size` when given, else of the board being played)."""
        moves = max(1, size * size // 8) if size is not None else None
        base = dict(dirichlet_epsilon=0.25, temperature_moves=moves, fpu_root_reduction=0.0, no_losing_pass=True)
        base.update(changes)
        return cls(**base)
