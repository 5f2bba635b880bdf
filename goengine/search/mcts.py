"""MCTS: search a GameState with the C tree, choose a move, reuse the tree.

    mcts = MCTS(evaluator, MCTSConfig(num_simulations=800), rng=np.random.default_rng(0))
    result = mcts.search(game)              # or search(game, seconds=1.0)
    action = mcts.choose(result, game)      # temperature, resignation, passing rules
    for info in result.moves[:3]:
        print(info.action, info.visits, info.winrate, info.pv)

The evaluator is anything with `evaluate(batch) -> (priors, values)` (see _tree.LeafBatch for
the batch's arrays); UniformEvaluator and RolloutEvaluator run in C.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..coords import BLACK, EMPTY
from ..regions import empty_regions
from ..rng import as_generator
from ._tree import LeafBatch, Tree, search_many
from .config import MCTSConfig

RESIGN = -1
"""The action an agent returns to resign."""


@dataclass
class MoveInfo:
    """Search statistics of one root move; q and winrate are from the side to move's view."""

    action: int
    visits: int
    q: float
    prior: float
    pv: list[int] = field(default_factory=list)

    @property
    def winrate(self) -> float:
        return 0.5 if math.isnan(self.q) else (self.q + 1.0) / 2.0

    @property
    def lcb(self) -> float:
        """Lower confidence bound of the win rate (normal approximation, 95%)."""
        if self.visits == 0:
            return 0.0
        w = self.winrate
        return max(0.0, w - 1.96 * math.sqrt(max(w * (1 - w), 1e-4) / self.visits))


@dataclass
class SearchResult:
    """What one search found. `pi` is the visit distribution over N*N+1 actions (the
    AlphaGo Zero policy target), `moves` the visited root moves by decreasing visits."""

    size: int
    to_play: int
    root_value: float
    simulations: int
    visits: np.ndarray
    prior: np.ndarray
    q: np.ndarray
    moves: list[MoveInfo]
    elapsed: float
    nodes: int
    playouts: int = 0
    """Simulations this search ran itself: ``simulations`` (the root's visits) less those
    reused from the previous move's subtree (KataGo's "playouts" beside its "visits")."""

    @property
    def pi(self) -> np.ndarray:
        total = self.visits.sum()
        return self.visits / total if total else self.visits.astype(np.float64)

    @property
    def best(self) -> int:
        return self.moves[0].action if self.moves else self.size * self.size

    @property
    def winrate(self) -> float:
        return (self.root_value + 1.0) / 2.0


def _stone_history(game, length: int) -> tuple[list[int], np.ndarray]:
    """Stone hashes of every position of the game (for superko) and the stones of the
    current position and the `length - 1` before it."""
    if hasattr(game, "stone_hashes"):
        hashes = list(game.stone_hashes())
    else:
        hashes = [game.board.hash]
    n = game.size * game.size
    recent = np.zeros((length, n), dtype=np.int8)
    if length > 1 and hasattr(game, "recent_stones"):
        recent[:] = game.recent_stones(length)
    else:
        recent[0] = game.board.stones()
    return hashes, recent


def territory_owner(board, with_sizes: bool = False):
    """Tromp-Taylor owner of every point: the stone's colour, or for an empty point the one
    colour its region touches (EMPTY when it touches both or none). With `with_sizes`, also
    the size of each empty point's region (0 for stones)."""
    size = board.size
    stones = np.asarray(board.stones())
    owner = stones.astype(np.int8).copy()
    sizes = np.zeros(size * size, dtype=np.int64)
    for region, border in empty_regions(stones, size):
        owner[region] = border if border in (1, 2) else EMPTY
        sizes[region] = len(region)
    return (owner, sizes) if with_sizes else owner


class MCTS:
    """AlphaGo Zero / AlphaGo Lee Monte Carlo tree search over one game at a time.

    The tree is kept between moves: when the next search is of a game that continues the
    previous one by a few moves, the subtree of those moves is reused (AlphaGo Zero, Methods:
    "the child node corresponding to the played action becomes the new root node").
    """

    def __init__(self, evaluator, config: MCTSConfig | None = None, rng=None, rollout_policy=None):
        self.evaluator = evaluator
        self.config = config or MCTSConfig()
        self.rng = as_generator(rng)
        self.rollout_policy = rollout_policy
        self.history_length = int(getattr(evaluator, "history_length", 1))
        self._tree: Tree | None = None
        self._tree_key = None  # (size, komi, history list) the tree's root stands for
        self._batch: LeafBatch | None = None
        self._visits_at_prepare = 0  # the root's visits when the current search began (reused ones)

    # ------------------------------------------------------------------ the tree
    def reset(self) -> None:
        """Forget the tree (a new game, or a position set up by hand)."""
        self._tree_key = None

    def _prepare(self, game) -> Tree:
        cfg = self.config
        key = (game.size, game.rules.komi, game.rules.superko)
        history = list(game.history)
        reused = False
        if (self._tree is not None and self._tree_key is not None and self._tree_key[0] == key
                and self._tree.size == game.size):
            old = self._tree_key[1]
            trailing = 0
            for _, action in reversed(history):
                if action != game.size * game.size:
                    break
                trailing += 1
            k = len(history) - len(old)
            if k < 0:   # moves were taken back: a new tree
                natural = False
            elif k == 0:  # the same position again (e.g. analysis continued)
                natural = (game.to_play, game.consecutive_passes) == self._tree_key[2]
            else:       # moves were played since: side to move and passes must follow from them
                natural = (game.consecutive_passes == min(trailing, 2)
                           and game.to_play == 3 - history[-1][0])
            if natural and 0 <= k <= 8 and history[: len(old)] == old:
                reused = True
                for _, action in history[len(old):]:
                    if not self._tree.reuse(action):
                        reused = False
                        break
        if self._tree is None or self._tree.size != game.size or self._tree.hist_len != self.history_length:
            self._tree = Tree(game.size, cfg, komi=game.rules.komi, rng=self.rng,
                              rollout_policy=self.rollout_policy, history_length=self.history_length)
            reused = False
        elif not reused or self._tree_key[0] != key:
            # komi or rules changed, or an unrelated position: a new tree with the new komi
            self._tree = Tree(game.size, cfg, komi=game.rules.komi, rng=self.rng,
                              rollout_policy=self.rollout_policy, history_length=self.history_length)
            reused = False
        hashes, recent = _stone_history(game, self.history_length)
        recent_moves = [a for _, a in game.history[-8:]][::-1]
        self._tree.set_position(game.board, game.to_play, game.consecutive_passes, hashes, recent,
                                superko=game.rules.superko != "simple", keep_tree=reused,
                                recent_moves=recent_moves)
        self._tree_key = (key, history, (game.to_play, game.consecutive_passes))
        return self._tree

    @property
    def tree(self) -> Tree | None:
        return self._tree

    # ------------------------------------------------------------------ search
    def search(self, game, num_simulations: int | None = None, seconds: float | None = None,
               callback=None, callback_interval: float = 0.1) -> SearchResult:
        """Search `game` for `num_simulations` more simulations (default: the config's), or for
        `seconds` of wall time when given. `callback(result)` is called about every
        `callback_interval` seconds with the partial result (GTP's lz-analyze uses it); a
        callback that returns True stops the search."""
        if game.is_over():
            raise ValueError("cannot search a finished game")
        cfg = self.config
        start = time.monotonic()
        tree = self.begin(game)
        sims_before = self._visits_at_prepare
        if seconds is not None:
            deadline = start + seconds
            chunk = max(cfg.leaves_per_batch, 16)
            next_callback = start + callback_interval
            while time.monotonic() < deadline and not tree.full:
                self._run(tree, chunk, deadline)
                if callback is not None and time.monotonic() >= next_callback:
                    next_callback = time.monotonic() + callback_interval
                    if callback(self._result(game, tree, start)):
                        break
                if num_simulations is not None and tree.root_visits - sims_before >= num_simulations:
                    break
        else:
            total = cfg.num_simulations if num_simulations is None else num_simulations
            remaining = total - (tree.root_visits - sims_before)
            if callback is None:
                self._run(tree, remaining, 0.0)
            else:
                next_callback = start + callback_interval
                while remaining > 0 and not tree.full:
                    before = tree.root_visits
                    self._run(tree, min(remaining, max(cfg.leaves_per_batch, 64)), 0.0)
                    remaining -= tree.root_visits - before
                    if time.monotonic() >= next_callback:
                        next_callback = time.monotonic() + callback_interval
                        if callback(self._result(game, tree, start)):
                            break
                    if tree.root_visits == before:
                        break
        return self._result(game, tree, start)

    def begin(self, game) -> Tree:
        """Prepare the tree for `game` (reusing it when the game continues the last search),
        expand the root and add root noise: the first half of `search`, for callers that run
        many games' trees in one batch (search_games)."""
        if game.is_over():
            raise ValueError("cannot search a finished game")
        tree = self._prepare(game)
        self._visits_at_prepare = tree.root_visits
        if not tree.root_expanded:
            self._run(tree, 1, 0.0)
        if self.config.dirichlet_epsilon > 0 and tree.root_child_count > 0:
            alpha = self.config.dirichlet_alpha or 10.0 / (game.size * game.size)
            noise = self.rng.dirichlet([alpha] * tree.root_child_count)
            tree.apply_root_noise(noise, self.config.dirichlet_epsilon)
        self._start = time.monotonic()
        return tree

    def result(self, game, with_pv: bool = True) -> SearchResult:
        """The result of the search begun by `begin` for `game`; with_pv=False leaves each
        move's principal variation empty (self-play and gating never read it)."""
        return self._result(game, self._tree, getattr(self, "_start", time.monotonic()), with_pv)

    def _run(self, tree: Tree, sims: int, deadline: float) -> None:
        if sims <= 0:
            return
        if self._batch is None or self._batch.size != tree.size:
            self._batch = LeafBatch(tree.size, self.history_length, self.config.leaves_per_batch + 1)
        search_many([tree], self.evaluator, sims, self.config.leaves_per_batch, self._batch, deadline)

    def _result(self, game, tree: Tree, start: float, with_pv: bool = True) -> SearchResult:
        n = game.size * game.size + 1
        moves, visits, q, prior = tree.root_children()
        v = np.zeros(n, dtype=np.int64)
        qq = np.full(n, np.nan)
        pp = np.zeros(n)
        v[moves] = visits
        qq[moves] = q
        pp[moves] = prior
        order = sorted(range(len(moves)), key=lambda i: (-visits[i], -np.nan_to_num(q[i], nan=-2), -prior[i]))
        infos = [
            MoveInfo(int(moves[i]), int(visits[i]), float(q[i]), float(prior[i]),
                     tree.principal_variation(int(moves[i])) if with_pv else [])
            for i in order if visits[i] > 0
        ]
        return SearchResult(game.size, game.to_play, tree.root_value(), int(tree.root_visits), v, pp, qq,
                            infos, time.monotonic() - start, tree.used,
                            int(tree.root_visits) - self._visits_at_prepare)

    # ------------------------------------------------------------------ move choice
    def choose(self, result: SearchResult, game) -> int:
        """The move to play after `result`: resign, a forced pass, a sample from the visits
        (temperature, early in the game) or the most visited move. The sample is drawn from
        the pruned visits when the search forced playouts (policy_target): forced visits are
        there to check a move, not a vote for it. A pass is never sampled unless it is the
        most visited move: an early network's pass prior gives it a few visits, and a sampled
        opening pass ended most of such a run's self-play games at move 3 (the opponent,
        winning, passes back), teaching nothing."""
        cfg = self.config
        n = game.size * game.size
        if not result.moves:
            return n
        min_moves = n // 4 if cfg.resign_min_moves is None else cfg.resign_min_moves
        if game.move_number >= min_moves and below_resign_threshold(result, cfg.resign_threshold):
            return RESIGN
        if should_pass(game, cfg):
            return n
        if cfg.no_losing_pass and result.best == n and losing_pass(game):
            others = [m.action for m in result.moves if m.action != n]
            if others:
                return others[0]
        temperature_moves = max(1, n // 8) if cfg.temperature_moves is None else cfg.temperature_moves
        if game.move_number < temperature_moves:
            weights = policy_target(result, cfg) ** (1.0 / cfg.temperature)
            if result.best != n:  # a pass is sampled only when it is the search's choice anyway
                weights[n] = 0.0
            total = weights.sum()
            if total > 0:
                return int(self.rng.choice(len(weights), p=weights / total))
        return result.best


def policy_target(result: SearchResult, config: MCTSConfig) -> np.ndarray:
    """The training target of a search: its visit distribution, with KataGo's policy target
    pruning when the search forced playouts (config.forced_playouts > 0). Every root child
    but the most visited one loses up to its forced count sqrt(k * P * N) of visits, as
    long as its PUCT score stays below the best child's; a child left with one visit or
    none is dropped. What remains is what PUCT would have spent on its own."""
    visits = result.visits.astype(np.float64)
    total = visits.sum()
    if config.forced_playouts <= 0 or total <= 0:
        return result.pi
    best = int(np.argmax(visits))
    cp = config.c_puct
    if config.c_puct_base:
        cp += math.log((1.0 + total + config.c_puct_base) / config.c_puct_base)
    u = cp * result.prior * math.sqrt(total)  # U(c) = u(c) / (1 + N(c))
    q = np.nan_to_num(result.q, nan=-1.0)
    bar = q[best] + u[best] / (1.0 + visits[best])
    for c in np.flatnonzero(visits):
        if c == best:
            continue
        gap = bar - q[c]
        if gap <= 0:  # its PUCT is at or above the best's with every visit it has
            continue
        fewest = math.ceil(u[c] / gap - 1.0)  # the fewest visits whose PUCT stays below
        kept = max(visits[c] - math.sqrt(config.forced_playouts * result.prior[c] * total), fewest, 0.0)
        visits[c] = 0.0 if kept <= 1.0 else min(visits[c], kept)
    return visits / visits.sum()


def below_resign_threshold(result: SearchResult, threshold: float | None) -> bool:
    """The resignation test: the root's value and its best move's Q, from the side to move,
    are both below ``threshold`` (None: never). MCTS.choose resigns on it; self-play's
    play-through games record who would have."""
    return (threshold is not None and bool(result.moves) and result.root_value < threshold
            and result.moves[0].q < threshold)


def search_games(searchers, games, simulations, leaves_per_batch: int | None = None,
                 batch: LeafBatch | None = None, with_pv: bool = False) -> list[SearchResult]:
    """Search many games at once, one MCTS per game, every evaluator call one batch holding
    the leaves of all games (the self-play worker's inner loop). `simulations` is an int or
    one count per game. All searchers must share one evaluator. The results carry no
    principal variations unless `with_pv` (building them is per-move Python work that
    self-play and gating do not need)."""
    if not searchers:
        return []
    trees = [m.begin(g) for m, g in zip(searchers, games)]
    evaluator = searchers[0].evaluator
    k = leaves_per_batch or searchers[0].config.leaves_per_batch
    search_many(trees, evaluator, simulations, k, batch)
    return [m.result(g, with_pv) for m, g in zip(searchers, games)]


def losing_pass(game) -> bool:
    """Whether passing now loses at once: the opponent has not passed, and the board counted
    now (Tromp-Taylor) is the opponent's, so its pass back would end the game for it."""
    if game.consecutive_passes:
        return False
    score = game.board.score(game.rules.komi)
    return (score < 0) if game.to_play == BLACK else (score > 0)


def should_pass(game, config: MCTSConfig) -> bool:
    """The passing rules of MCTSConfig: pass to end a won game after the opponent passed, and
    pass when every legal move would only fill one's own territory."""
    n = game.size * game.size
    me = game.to_play
    if config.pass_when_winning and game.consecutive_passes >= 1:
        score = game.board.score(game.rules.komi)
        if (score > 0) if me == BLACK else (score < 0):
            return True
    if config.pass_when_only_own_territory:
        legal = np.flatnonzero(game.legal_mask()[:n])
        if legal.size == 0:
            return True
        stones = game.board.stones()
        if not np.any(stones == 3 - me):
            return False
        owner, region_size = territory_owner(game.board, with_sizes=True)
        limit = config.territory_max_fraction * n
        if np.all((owner[legal] == me) & (region_size[legal] <= limit)):
            return True
    return False
