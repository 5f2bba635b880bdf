"""The search core with fake evaluators (minigo's DummyNet habit): PUCT behaviour, virtual
loss, determinism, tree reuse, node budget, many trees at once, Lee mode, passing."""
from __future__ import annotations

import numpy as np
import pytest

from goengine.agents import RandomAgent, pure_mcts_agent, rollout_mcts_agent
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.game import GameState, Rules
from goengine.search import (
    MCTS, RESIGN, LeafBatch, MCTSConfig, RolloutEvaluator, Tree, UniformEvaluator, search_many,
    should_pass, territory_owner,
)


def game_from(diagram: str, to_play: int = BLACK, komi: float = 7.5) -> GameState:
    """A game whose position is the diagram (X black, O white), `to_play` to move."""
    rows = [r.split() for r in diagram.strip().splitlines()]
    size = len(rows)
    game = GameState(size, Rules(komi=komi))
    black = [r * size + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "X"]
    white = [r * size + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "O"]
    game.setup_stones(black, white, to_play=to_play)
    return game


class MaterialEvaluator:
    """Uniform priors; value = tanh of the stone difference for the side to move."""

    history_length = 1

    def __init__(self):
        self.calls = 0
        self.batch_sizes = []

    def evaluate(self, batch):
        self.calls += 1
        self.batch_sizes.append(batch.n)
        legal = batch.legal.astype(np.float32)
        priors = legal / legal.sum(axis=1, keepdims=True)
        stones = batch.stones[:, 0]
        mine = (stones == batch.to_play[:, None]).sum(axis=1)
        theirs = ((stones != 0) & (stones != batch.to_play[:, None])).sum(axis=1)
        return priors, np.tanh((mine - theirs) / 4.0).astype(np.float32)


class HashEvaluator:
    """Deterministic pseudo-random priors and values from the position hash."""

    history_length = 1

    def evaluate(self, batch):
        n, a = batch.legal.shape
        priors = np.zeros((n, a), dtype=np.float32)
        values = np.zeros(n, dtype=np.float32)
        for i in range(n):
            rng = np.random.default_rng(int(batch.hashes[i]) % (2**63) + int(batch.to_play[i]))
            p = rng.random(a).astype(np.float32) * batch.legal[i]
            priors[i] = p / p.sum()
            values[i] = rng.uniform(-1, 1)
        return priors, values


ATARI = """
. . . . . . . . .
. . X X X X X . .
. X O O O O O X .
. X O O O O O . .
. . X X X X X . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_visits_concentrate_on_the_capture_of_a_large_group():
    game = game_from(ATARI)
    capture = [a for a in range(81) if game.board.is_legal(a, BLACK)
               and game.board.copy().play(a, BLACK) >= 10]
    assert capture == [3 * 9 + 7], "the position must have exactly one capturing move"
    # every move keeps black ahead on material (v ~ 0.76); only the capture makes v ~ 1
    mcts = MCTS(MaterialEvaluator(), MCTSConfig(num_simulations=2000), rng=0)
    result = mcts.search(game)
    assert result.best == capture[0]
    assert result.visits[capture[0]] > 0.5 * result.visits.sum()
    assert result.moves[0].winrate > 0.9


def test_uniform_priors_and_equal_values_give_near_uniform_visits():
    game = GameState(5)
    config = MCTSConfig(num_simulations=26 * 20, fpu_reduction=0.0, leaves_per_batch=1)
    result = MCTS(UniformEvaluator(), config, rng=0).search(game)
    visits = result.visits[result.visits > 0]
    assert len(visits) == 26  # every legal move and pass
    assert visits.max() - visits.min() <= 1


@pytest.mark.parametrize("evaluator", [UniformEvaluator(), MaterialEvaluator(), RolloutEvaluator(rng=1)],
                         ids=["uniform-c", "python", "rollout-c"])
@pytest.mark.parametrize("leaves", [1, 8, 32])
def test_every_virtual_loss_is_undone(evaluator, leaves):
    game = GameState(7)
    for gtp in ("D4", "C3", "E5"):
        game.play(from_gtp(gtp, 7))
    mcts = MCTS(evaluator, MCTSConfig(num_simulations=300, leaves_per_batch=leaves, virtual_loss=3), rng=0)
    result = mcts.search(game)
    assert mcts.tree.virtual_loss_total() == 0
    assert mcts.tree.pending_total() == 0
    assert result.simulations >= 300
    assert result.visits.sum() == result.simulations - 1  # the root's first visit expands it


def test_leaves_are_batched_under_virtual_loss():
    evaluator = MaterialEvaluator()
    MCTS(evaluator, MCTSConfig(num_simulations=400, leaves_per_batch=16), rng=0).search(GameState(9))
    assert max(evaluator.batch_sizes) == 16
    assert evaluator.calls < 400 / 8


def test_same_seed_same_search():
    def run(seed):
        config = MCTSConfig.selfplay(9, num_simulations=200, leaves_per_batch=4, mix_lambda=0.5)
        mcts = MCTS(RolloutEvaluator(rng=seed), config, rng=seed)
        game = GameState(9)
        moves = []
        for _ in range(4):
            result = mcts.search(game)
            action = mcts.choose(result, game)
            moves.append((action, result.visits.copy()))
            game.play(action)
        return moves

    a, b = run(7), run(7)
    assert [m for m, _ in a] == [m for m, _ in b]
    for (_, va), (_, vb) in zip(a, b):
        np.testing.assert_array_equal(va, vb)
    c = run(8)
    assert any(not np.array_equal(va, vc) for (_, va), (_, vc) in zip(a, c))


def test_tree_reuse_keeps_the_chosen_childs_statistics():
    game = GameState(9)
    mcts = MCTS(HashEvaluator(), MCTSConfig(num_simulations=500), rng=0)
    result = mcts.search(game)
    best = result.best
    tree = mcts.tree
    child_visits = int(result.visits[best])
    # grandchildren statistics under `best`, read before reuse
    (_, _, _, _, first, nchild) = tree.node_stats(
        next(i for i in range(tree.used) if tree.node_stats(i)[0] == best and i <= tree.root_child_count))
    grand = sorted((tree.node_stats(first + k)[0], tree.node_stats(first + k)[1]) for k in range(nchild))
    game.play(best)
    mcts._prepare(game)
    assert mcts.tree.root_visits == child_visits
    moves, visits, _, _ = mcts.tree.root_children()
    assert sorted(zip(moves.tolist(), visits.tolist())) == [(m, n) for m, n in grand]
    result2 = mcts.search(game, num_simulations=100)
    assert result2.simulations == child_visits + 100
    assert result.playouts == result.simulations == 500  # a fresh tree: every visit is new
    assert result2.playouts == 100  # the reused visits are the previous search's


def test_reuse_after_two_moves_and_reset_on_unrelated_position():
    game = GameState(9)
    mcts = MCTS(HashEvaluator(), MCTSConfig(num_simulations=800), rng=0)
    result = mcts.search(game)
    a = result.best
    b = result.moves[0].pv[1] if len(result.moves[0].pv) > 1 else 81
    game.play(a)
    game.play(b)
    mcts._prepare(game)
    assert mcts.tree.root_visits > 0
    other = GameState(9)
    other.play(from_gtp("A1", 9))
    mcts._prepare(other)
    assert mcts.tree.root_visits == 0


def test_node_budget_bounds_memory():
    config = MCTSConfig(num_simulations=100_000, max_nodes=5_000)
    mcts = MCTS(UniformEvaluator(), config, rng=0)
    result = mcts.search(GameState(9))
    assert mcts.tree.full
    assert mcts.tree.used <= 5_000
    assert result.simulations < 100_000
    assert mcts.tree.virtual_loss_total() == 0


def test_many_trees_search_equals_each_tree_alone():
    config = MCTSConfig(num_simulations=200, leaves_per_batch=4)
    games = []
    for opening in ([], ["E5"], ["E5", "C3"], ["A1", "J9", "B2"]):
        g = GameState(9)
        for v in opening:
            g.play(from_gtp(v, 9))
        games.append(g)

    def make_tree(g):
        t = Tree(9, config, komi=g.rules.komi, rng=0)
        t.set_position(g.board, g.to_play, g.consecutive_passes, [g.board.hash])
        return t

    evaluator = HashEvaluator()
    together = [make_tree(g) for g in games]
    search_many(together, evaluator, 200, 4)
    for g, t in zip(games, together):
        alone = make_tree(g)
        search_many([alone], evaluator, 200, 4)
        for x, y in zip(t.root_children(), alone.root_children()):
            np.testing.assert_array_equal(x, y)


def test_evaluator_with_wrong_shapes_is_refused_cleanly():
    class Broken:
        history_length = 1

        def evaluate(self, batch):
            return np.zeros((batch.n, 3), np.float32), np.zeros(batch.n, np.float32)

    mcts = MCTS(Broken(), MCTSConfig(num_simulations=10), rng=0)
    with pytest.raises(ValueError, match="expected"):
        mcts.search(GameState(9))
    assert mcts.tree.virtual_loss_total() == 0
    assert mcts.tree.pending_total() == 0


def test_lee_mode_mixes_rollouts_and_delays_expansion():
    game = GameState(9)
    # lambda = 1: the evaluator's values are ignored; two evaluators that differ only in value agree
    class Const(MaterialEvaluator):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def evaluate(self, batch):
            p, _ = super().evaluate(batch)
            return p, np.full(batch.n, self.v, np.float32)

    cfg = MCTSConfig.lee(num_simulations=300, mix_lambda=1.0, expansion_threshold=4)
    r1 = MCTS(Const(1.0), cfg, rng=3).search(game)
    r2 = MCTS(Const(-1.0), cfg, rng=3).search(game)
    np.testing.assert_array_equal(r1.visits, r2.visits)
    # lambda = 0.5: they differ
    cfg = cfg.replace(mix_lambda=0.5)
    r3 = MCTS(Const(1.0), cfg, rng=3).search(game)
    r4 = MCTS(Const(-1.0), cfg, rng=3).search(game)
    assert not np.array_equal(r3.visits, r4.visits)
    # a higher expansion threshold expands fewer nodes for the same simulations
    small = MCTS(UniformEvaluator(), MCTSConfig.lee(num_simulations=2000, expansion_threshold=1), rng=0)
    big = MCTS(UniformEvaluator(), MCTSConfig.lee(num_simulations=2000, expansion_threshold=16), rng=0)
    small.search(game)
    big.search(game)
    assert big.tree.used < small.tree.used / 4


def test_mix_ramp_mixes_rollouts_in_only_late_in_the_game():
    # the evaluator values every leaf at 0; with komi -100 every random playout is a black
    # win, so any rollout weight pulls black's root value above 0
    class Zero(MaterialEvaluator):
        def evaluate(self, batch):
            p, _ = super().evaluate(batch)
            return p, np.zeros(batch.n, np.float32)

    def late_game(moves):
        game, rng = GameState(9, Rules(komi=-100.0)), np.random.default_rng(5)
        player = RandomAgent(rng)
        while game.move_number < moves:
            game.play(player.select_move(game))
        return game

    def search(game, **changes):
        cfg = MCTSConfig(num_simulations=400, leaves_per_batch=4, **changes)
        return MCTS(Zero(), cfg, rng=7).search(game)

    early = GameState(9, Rules(komi=-100.0))
    plain = search(early)
    ramped = search(early, mix_lambda=1.0, mix_ramp=0.5)
    # more than half the board empty at every leaf: no rollout runs, the search is the plain one
    np.testing.assert_array_equal(ramped.visits, plain.visits)
    assert ramped.root_value == plain.root_value == 0.0
    assert search(early, mix_lambda=1.0).root_value > 0.9  # without the ramp they count at once

    late = late_game(70)
    empty_share = late.board.stones().tolist().count(0) / 81
    assert late.to_play == BLACK and empty_share < 0.4
    ramped = search(late, mix_lambda=1.0, mix_ramp=0.5)
    # the weight at the root's board is 1 - e / 0.5; the leaves below have fewer empty points
    assert ramped.root_value > 0.9 * (1.0 - empty_share / 0.5)
    assert ramped.root_value < search(late, mix_lambda=1.0).root_value
    with pytest.raises(ValueError, match="mix_ramp"):
        MCTSConfig(mix_ramp=0.0)


def test_lee_mode_expands_the_root_below_the_threshold():
    # fewer simulations than the expansion threshold: the root must still get its moves,
    # or the search has nothing to choose but a pass (the Lee agent passed every move)
    game = GameState(9)
    cfg = MCTSConfig.lee(num_simulations=3, expansion_threshold=8)
    mcts = MCTS(UniformEvaluator(), cfg, rng=0)
    result = mcts.search(game)
    assert result.visits[:81].sum() >= 2  # simulations went to board moves
    assert mcts.choose(result, game) != 81


def test_leaf_batch_arrays_and_history():
    game = GameState(5)
    for v in ("C3", "B2", "D4"):
        game.play(from_gtp(v, 5))
    batch = LeafBatch.from_states([game], history_length=1)
    assert batch.stones.shape == (1, 1, 25)
    assert batch.to_play[0] == WHITE
    np.testing.assert_array_equal(batch.stones[0, 0], game.board.stones())
    np.testing.assert_array_equal(batch.legal[0], game.legal_mask())
    assert batch.board(0).hash == game.board.hash


def test_search_history_planes_match_the_game():
    """With history_length H, a leaf's planes are its position and the H-1 before it."""
    captured = []

    class Recorder(UniformEvaluator):
        pass

    class HistoryEvaluator:
        history_length = 4

        def evaluate(self, batch):
            captured.append((batch.stones.copy(), batch.hashes.copy()))
            legal = batch.legal.astype(np.float32)
            return legal / legal.sum(1, keepdims=True), np.zeros(batch.n, np.float32)

    game = GameState(5)
    for v in ("C3", "B2"):
        game.play(from_gtp(v, 5))
    MCTS(HistoryEvaluator(), MCTSConfig(num_simulations=30, leaves_per_batch=1), rng=0).search(game)
    recent = game.recent_stones(4)
    first_stones, _ = captured[0]
    np.testing.assert_array_equal(first_stones[0], recent)  # the root itself
    # a child leaf: its position then the root's history shifted by one
    stones, _ = captured[1]
    np.testing.assert_array_equal(stones[0, 1:], recent[:3])
    assert (stones[0, 0] != recent[0]).sum() == 1


def test_pure_mcts_beats_random():
    rng = np.random.default_rng(2026)
    wins = 0
    games = 20
    for i in range(games):
        mcts = pure_mcts_agent(300, rng=rng)
        rand = RandomAgent(rng)
        game = GameState(9)
        mcts_color = BLACK if i % 2 == 0 else WHITE
        while not game.is_over() and game.move_number < 3 * 81:
            agent = mcts if game.to_play == mcts_color else rand
            action = agent.select_move(game)
            if action == RESIGN:
                game.resign()
                break
            game.play(action)
        wins += game.winner() == mcts_color
    assert wins >= 19, f"pure MCTS won only {wins}/{games} against random"


def test_rollout_evaluator_agent_plays_legal_moves():
    agent = rollout_mcts_agent(100, rng=0)
    game = GameState(7)
    for _ in range(10):
        action = agent.select_move(game)
        assert game.is_legal(action)
        game.play(action)


def test_pass_when_opponent_passed_and_we_win_by_count():
    game = game_from("""
. X O . .
X X O O .
. X O . O
X X O O O
. X O . .
""", to_play=WHITE, komi=0.5)
    game.play(25)  # white passes
    assert game.board.score(0.5) < 0  # white owns more: black to move is losing
    assert not should_pass(game, MCTSConfig(pass_when_only_own_territory=False))
    g2 = game_from("""
. X O . .
X X O . .
. X O . .
X X O . .
. X O . .
""", to_play=BLACK, komi=0.5)
    g2.play(25)  # black passes; white wins the count now
    assert should_pass(g2, MCTSConfig())
    agent = pure_mcts_agent(200, rng=0)
    assert agent.select_move(g2) == 25


def test_pass_when_every_move_fills_own_territory():
    game = game_from("""
. X . X O . O
X X X X O O O
. X . X O . O
X X X X O O O
. X . X O . O
X X X X O O O
. X . X O . O
""", to_play=BLACK, komi=0.5)
    owner = territory_owner(game.board)
    legal = np.flatnonzero(game.legal_mask()[:49])
    assert np.all(owner[legal] == BLACK)
    assert should_pass(game, MCTSConfig())
    agent = pure_mcts_agent(200, rng=0)
    assert agent.select_move(game) == 49


def test_resignation():
    game = game_from("""
O O O O O
O . O . O
O O O O O
. . . . .
. . . . .
""", to_play=BLACK, komi=0.5)
    agent = pure_mcts_agent(300, rng=0, resign_threshold=-0.8)
    assert agent.select_move(game) == RESIGN


def test_search_games_builds_principal_variations_only_when_asked():
    from goengine.search import search_games
    games = [GameState(9), GameState(9)]
    games[1].play(from_gtp("E5", 9))

    def run(with_pv):
        searchers = [MCTS(UniformEvaluator(), MCTSConfig(num_simulations=200), rng=i) for i in range(2)]
        return search_games(searchers, games, 200, with_pv=with_pv)
    plain, full = run(False), run(True)
    for a, b in zip(plain, full):
        np.testing.assert_array_equal(a.visits, b.visits)  # the same search either way
        assert all(m.pv == [] for m in a.moves)
        assert b.moves[0].pv[0] == b.moves[0].action and len(b.moves[0].pv) >= 2
