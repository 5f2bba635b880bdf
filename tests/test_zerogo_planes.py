"""The "zerogo25" planes (zero17 + liberties, simple ko, ladders): the training-time C entry
(_zerogo.zerogo25, from stored stone histories), the search-time one (batch_planes on a
LeafBatch's C boards) and the Python reference (zerogo_ref, on the Board API) agree on
hand-made positions and on random positions of random legal games on 7x7 to 19x19."""
from __future__ import annotations

import numpy as np
import pytest

from goengine import diagram
from goengine._board import Board
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.errors import IllegalMoveError
from goengine.features import PLANE_SETS, _lee, _zerogo, batch_planes, zero17, zerogo_ref
from goengine.game import GameState
from goengine.search import LeafBatch
from test_features import LADDER, LADDER_BREAKER as LADDER_B8

OWN1, OWN2, OWN3, OPP1, OPP2, OPP3, KO, LADDER_PLANE = range(17, 25)


# ----------------------------------------------------------------------------- helpers
def planes_all_ways(games: list[GameState], board_cls=None) -> np.ndarray:
    """zerogo25 of GameStates three ways (C from stones, C from a LeafBatch, the reference),
    held equal; returns the planes."""
    size = games[0].size
    stones = np.stack([g.recent_stones(8) for g in games])
    to_play = np.array([g.to_play for g in games], dtype=np.int8)
    fast = _zerogo.zerogo25(stones, to_play, size)
    search = batch_planes("zerogo25", LeafBatch.from_states(games, 8))
    ref = zerogo_ref.zerogo25_ref(stones, to_play, size,
                                  **({} if board_cls is None else {"board_cls": board_cls}))
    for i in range(len(games)):
        np.testing.assert_array_equal(fast[i], ref[i], err_msg=f"fast != reference, position {i}")
        np.testing.assert_array_equal(search[i], fast[i], err_msg=f"search != fast, position {i}")
    np.testing.assert_array_equal(fast[:, :17], zero17(stones, to_play, size))
    return fast


def game_from(text: str, to_play: int = BLACK) -> GameState:
    size, stones = diagram.parse(text)
    game = GameState(size)
    game.setup_stones([a for a, c in stones.items() if c == BLACK],
                      [a for a, c in stones.items() if c == WHITE], to_play=to_play)
    return game


def at(point: str, size: int) -> tuple[int, int]:
    return divmod(from_gtp(point, size), size)


def random_positions(size: int, count: int, seed: int, every: int, kos: int = 4) -> list[GameState]:
    """GameStates of seeded random games (legal moves not filling one's own eye, a pass now and
    then): `count` taken one every `every` moves, then `kos` positions with a ko point and
    the `kos` positions one move after those (the ko gone, or a new one)."""
    rng = np.random.default_rng(seed)
    regular: list[GameState] = []
    with_ko: list[GameState] = []
    after_ko: list[GameState] = []
    while len(regular) < count or len(after_ko) < kos:
        game = GameState(size)
        ko_before = False
        for i in range(int(size * size * 1.6)):
            board, color = game.board, game.to_play
            moves = np.flatnonzero(board.legal_mask(color)[:-1])
            rng.shuffle(moves)
            played = False
            if rng.random() > 0.02:
                for a in moves:
                    if board.is_eye(int(a), color):
                        continue
                    try:
                        game.play(int(a))
                    except IllegalMoveError:       # superko
                        continue
                    played = True
                    break
            if not played:
                game.play(size * size)
            if game.is_over():
                break
            if ko_before and len(after_ko) < len(with_ko):
                after_ko.append(game.copy())
            ko_before = game.board.ko >= 0
            if ko_before and len(with_ko) < kos:
                with_ko.append(game.copy())
            elif i % every == every - 1 and len(regular) < count:
                regular.append(game.copy())
    return regular + with_ko + after_ko


# ----------------------------------------------------------------------------- registry
def test_registry():
    import goengine.features as features
    assert PLANE_SETS["zerogo25"] == (25, 8) and _zerogo.NUM_PLANES == 25
    assert PLANE_SETS["zero17"] == (17, 8)
    assert features.zerogo25 is _zerogo.zerogo25
    assert features.zerogo25_batch is _zerogo.zerogo25_batch


# ----------------------------------------------------------------------------- liberties
def test_liberty_planes_atari_and_two_liberties():
    text = """
    . . . . . . .
    . X X . . . .
    . O O X . . .
    O X . . . . .
    . . . . . . .
    . . . . . O O
    . . . . . . X
    """
    for to_play in (BLACK, WHITE):
        p = planes_all_ways([game_from(text, to_play)])[0]
        own, opp = (0, 3) if to_play == BLACK else (3, 0)
        # black: B6-C6 4 liberties, D5 3, B4 2 (B3, C4), G1 1 (F1: in atari)
        assert p[OWN3 + own][at("B6", 7)] == 1 and p[OWN3 + own][at("D5", 7)] == 1
        assert p[OWN2 + own][at("B4", 7)] == 1
        assert p[OWN1 + own][at("G1", 7)] == 1
        # white: B5-C5 2 liberties (A5, C4), A4 2 (A5, A3), F2-G2 4
        assert p[OWN2 + opp][at("B5", 7)] == 1 and p[OWN2 + opp][at("C5", 7)] == 1
        assert p[OWN2 + opp][at("A4", 7)] == 1
        assert p[OWN3 + opp][at("F2", 7)] == 1
        # one liberty plane per stone, none on empty points
        libs = p[OWN1:OPP3 + 1]
        assert (libs.sum(axis=0) == p[0] + p[1]).all()
        assert (libs[0:3].sum(axis=0) == p[0]).all() and (libs[3:6].sum(axis=0) == p[1]).all()
        assert p[KO].sum() == 0
    # black's G1 in atari is lost (extending on F1 leaves one liberty, F2-G2 has four) for
    # black to move; for white to move it is capturable at once
    pb = planes_all_ways([game_from(text, BLACK)])[0]
    pw = planes_all_ways([game_from(text, WHITE)])[0]
    assert pb[LADDER_PLANE][at("G1", 7)] == 1 and pw[LADDER_PLANE][at("G1", 7)] == 1


# ----------------------------------------------------------------------------- ladders
# LADDER (tests/test_features.py) and LADDER_B8, the same with a white ladder breaker on B8,
# which stops the ladder that E4 starts (north-west) ...
def _with_h2(text: str) -> str:
    """The position with a white stone on H2, which stops the ladder that D5 starts
    (south-east)."""
    rows = text.strip("\n").split("\n")
    rows[7] = ". . . . . . . O ."          # H2
    return "\n" + "\n".join(rows) + "\n"


def test_ladder_capture_works_and_breakers_stop_it():
    """Black to move; white's E5 (liberties E4, D5) is ladderable while one atari still
    works: either without breaker, or D5's with B8 alone; with B8 and H2 neither does."""
    e5 = at("E5", 9)
    for text, works in ((LADDER, True), (LADDER_B8, True), (_with_h2(LADDER_B8), False),
                        (_with_h2(LADDER), True)):
        game = game_from(text, BLACK)
        p = planes_all_ways([game])[0]
        assert p[OPP2][e5] == 1
        assert p[LADDER_PLANE][e5] == works, text
        expected = [_lee.ladder_capture(game.board, from_gtp(q, 9), BLACK) for q in ("E4", "D5")]
        assert any(expected) == works
        assert p[LADDER_PLANE].sum() == works
    assert _lee.ladder_capture(game_from(LADDER_B8, BLACK).board, from_gtp("E4", 9), BLACK) is False


def test_ladder_lost_chain_only_without_breaker():
    """Black ataris on E4; white to move: its E5 stone in atari is lost to the ladder unless
    B8 breaks it (then D5 escapes)."""
    for text, lost in ((LADDER, True), (LADDER_B8, False)):
        game = game_from(text, BLACK)
        game.play(from_gtp("E4", 9))
        p = planes_all_ways([game])[0]
        assert p[OWN1][at("E5", 9)] == 1
        assert p[LADDER_PLANE][at("E5", 9)] == lost
        assert _lee.ladder_escape(game.board, from_gtp("D5", 9), WHITE) != lost
        # black's E4 (3 liberties) and the other black stones are never marked
        assert p[LADDER_PLANE].sum() == lost


def test_chain_saved_by_capturing_is_not_ladderable():
    """Black's D4 is in atari and extending on D3 leaves it in atari (lee48's ladder-escape
    plane is 0 there), but capturing white's D5 on D6 saves it: plane 24 follows the ladder
    search's whole defence, so D4 is not marked; D5, in atari, is (capturable)."""
    text = """
    . . . . . . .
    . . X O X . .
    . . O X O . .
    . . O . . . .
    . . . O . . .
    . . . . . . .
    . . . . . . .
    """
    game = game_from(text, BLACK)
    p = planes_all_ways([game])[0]
    assert p[OWN1][at("D5", 7)] == 1 and p[OPP1][at("D6", 7)] == 1
    assert p[LADDER_PLANE][at("D5", 7)] == 0
    assert p[LADDER_PLANE][at("D6", 7)] == 1
    assert _lee.ladder_escape(game.board, from_gtp("D4", 7), BLACK) is False


def test_long_ladder_on_19x19():
    """The ladder shape in the lower-right corner of 19x19 (test_features): about 60 plies to
    the far corner; a white stone on B18 breaks it."""
    def rc(r, c):
        return r * 19 + c
    for breaker in (False, True):
        game = GameState(19)
        game.setup_stones([rc(15, 16), rc(16, 17), rc(17, 15)], [rc(16, 16)] + ([rc(1, 1)] if breaker else []),
                          to_play=BLACK)
        p = planes_all_ways([game], board_cls=Board)[0]
        libs = game.board.chain_liberties(rc(16, 16))
        assert p[LADDER_PLANE][16, 16] == any(_lee.ladder_capture(game.board, a, BLACK) for a in libs)
        game.play(rc(17, 16))
        p = planes_all_ways([game], board_cls=Board)[0]
        assert p[LADDER_PLANE][16, 16] == (not breaker)


# ----------------------------------------------------------------------------- ko
KO_SHAPE = """
. . . . . .
. X O . . .
X . X O . .
. X O . . .
. . . . . .
. . . . . .
"""


def test_ko_point_after_a_ko_capture_and_gone_after_another_move():
    game = game_from(KO_SHAPE, WHITE)
    p = planes_all_ways([game])[0]
    assert p[KO].sum() == 0
    game.play(from_gtp("B4", 6))                 # white takes C4: black may not retake at once
    assert game.board.ko == from_gtp("C4", 6)
    p = planes_all_ways([game])[0]
    assert p[KO].sum() == 1 and p[KO][at("C4", 6)] == 1
    # white's B4 stone is in atari, but black may not capture it now
    assert p[OPP1][at("B4", 6)] == 1 and p[LADDER_PLANE][at("B4", 6)] == 0
    game.play(from_gtp("F1", 6))                 # black's ko threat: the ko is gone for white
    p = planes_all_ways([game])[0]
    assert p[KO].sum() == 0
    game.play(from_gtp("F2", 6))                 # white answers: black may retake now
    p = planes_all_ways([game])[0]
    assert p[KO].sum() == 0 and p[LADDER_PLANE][at("B4", 6)] == 1
    game.play(from_gtp("C4", 6))                 # black retakes: now white may not at B4
    p = planes_all_ways([game])[0]
    assert p[KO].sum() == 1 and p[KO][at("B4", 6)] == 1


def test_ko_edge_cases():
    game = game_from(KO_SHAPE, WHITE)
    game.play(from_gtp("B4", 6))
    after_capture = game.copy()
    # a pass ends the ko
    game.pass_move()
    assert planes_all_ways([game])[0][KO].sum() == 0
    # a move out of turn: white captures, then white again (GTP play): no ko for black ...
    game = game_from(KO_SHAPE, WHITE)
    game.play(from_gtp("B4", 6))
    game.play_color(WHITE, from_gtp("F1", 6))
    assert planes_all_ways([game])[0][KO].sum() == 0
    # ... and for the colour the board's ko does not forbid (white to move after its capture)
    odd = after_capture.copy()
    odd.to_play = WHITE
    assert planes_all_ways([odd])[0][KO].sum() == 0
    # no history: no ko can be read (one position only, or an empty previous one)
    stones = after_capture.recent_stones(8)
    one = _zerogo.zerogo25(stones[None, :1], [BLACK], 6)
    assert one[0, KO].sum() == 0
    both = _zerogo.zerogo25(stones[None, :2], [BLACK], 6)
    assert both[0, KO][at("C4", 6)] == 1
    # a capture of one stone that leaves the capturer with two liberties is no ko
    text = """
    . . . . . .
    . X O . . .
    . . X O . .
    . X O . . .
    . . . . . .
    . . . . . .
    """
    game = game_from(text, WHITE)
    game.play(from_gtp("B4", 6))
    assert game.board.ko == -1
    assert planes_all_ways([game])[0][KO].sum() == 0


# ----------------------------------------------------------------------------- random positions
@pytest.mark.parametrize("size,count,every,board", [(7, 200, 2, "ref"), (9, 300, 3, "ref"),
                                                     (13, 60, 6, "cython"), (19, 30, 15, "cython")])
def test_random_positions_three_ways(size, count, every, board):
    games = random_positions(size, count, seed=size, every=every, kos=8)
    p = planes_all_ways(games, board_cls=None if board == "ref" else Board)
    with_ko = int((p[:, KO].sum(axis=(1, 2)) > 0).sum())
    laddered = p[:, LADDER_PLANE] * p[:, OPP2]     # 2-liberty chains caught in a ladder
    lost = p[:, LADDER_PLANE] * p[:, OWN1]          # own chains in atari that cannot escape
    assert with_ko >= 8, f"only {with_ko} positions with a ko"
    assert int((laddered.sum(axis=(1, 2)) > 0).sum()) >= 2
    assert int((lost.sum(axis=(1, 2)) > 0).sum()) >= 2
    assert (p[:, KO].sum(axis=(1, 2)) <= 1).all()


def test_ladder_plane_agrees_with_lee48_ladder_capture():
    """plane 24's two-liberty question is lee48's ladder-capture question for one chain: the
    points of lee48's plane 44 are exactly the liberties of the marked two-liberty opponent
    chains that ladder-capture them, so every such point is a liberty of a marked chain and
    every marked chain has such a liberty."""
    games = random_positions(9, 60, seed=5, every=3)
    p = _zerogo.zerogo25(np.stack([g.recent_stones(8) for g in games]),
                         [g.to_play for g in games], 9)
    lee = _lee.lee48(games)
    checked = 0
    for i, game in enumerate(games):
        board = game.board
        marked_libs = set()
        for a in np.flatnonzero((p[i, LADDER_PLANE] * p[i, OPP2]).reshape(-1)):
            libs = board.chain_liberties(int(a))
            assert any(lee[i, 44].reshape(-1)[q] for q in libs)
            marked_libs.update(libs)
            checked += 1
        for q in np.flatnonzero(lee[i, 44].reshape(-1)):
            assert int(q) in marked_libs
    assert checked > 10


def test_search_leaves():
    """Leaves of a real search (ko captures and passes in the tree): the planes from the
    LeafBatch's boards equal those rebuilt from its stone history, and the reference."""
    from goengine.search import MCTSConfig, Tree, search_many
    seen = {"leaves": 0, "ko": 0}

    class Checker:
        history_length = 8

        def evaluate(self, batch):
            search = batch_planes("zerogo25", batch)
            fast = _zerogo.zerogo25(batch.stones, batch.to_play, batch.size)
            np.testing.assert_array_equal(search, fast)
            np.testing.assert_array_equal(
                fast, zerogo_ref.zerogo25_ref(batch.stones, batch.to_play, batch.size, board_cls=Board))
            seen["leaves"] += batch.n
            seen["ko"] += int((fast[:, KO].sum(axis=(1, 2)) > 0).sum())
            legal = batch.legal.astype(np.float32)
            return legal / legal.sum(axis=1, keepdims=True), np.zeros(batch.n, np.float32)

    roots = random_positions(7, 0, seed=3, every=5, kos=2)[:2]      # two with a ko
    roots += random_positions(9, 2, seed=4, every=25, kos=0)
    for game in roots:
        tree = Tree(game.size, MCTSConfig(), history_length=8)
        tree.set_position(game.board, game.to_play, recent_stones=game.recent_stones(8))
        search_many([tree], Checker(), 30, leaves_per_batch=4)
    assert seen["leaves"] >= 40 and seen["ko"] >= 2


# ----------------------------------------------------------------------------- arguments
def test_bad_arguments():
    stones = np.zeros((2, 8, 81), np.int8)
    out = np.empty((2, 25, 9, 9), np.float32)
    assert _zerogo.zerogo25(stones, [BLACK, WHITE], 9, out=out) is out
    assert (out[0, 16] == 1).all() and (out[1, 16] == 0).all() and out[:, 17:].sum() == 0
    assert _zerogo.zerogo25(stones[:0], [], 9).shape == (0, 25, 9, 9)
    with pytest.raises(ValueError, match="points"):
        _zerogo.zerogo25(stones, [BLACK, WHITE], 8)
    with pytest.raises(ValueError, match="colours to move"):
        _zerogo.zerogo25(stones, [BLACK], 9)
    with pytest.raises(ValueError, match="to_play"):
        _zerogo.zerogo25(stones, [BLACK, 3], 9)
    with pytest.raises(ValueError, match="out must be"):
        _zerogo.zerogo25(stones, [BLACK, WHITE], 9, out=np.empty((2, 17, 9, 9), np.float32))
    bad = stones.copy()
    bad[1, 0, 5] = 3
    with pytest.raises(ValueError, match="position 1: stones must be"):
        _zerogo.zerogo25(bad, [BLACK, WHITE], 9)
    dead = stones.copy()
    dead[0, 0, [0, 1, 9]] = [BLACK, WHITE, WHITE]      # black A9 without liberties
    with pytest.raises(ValueError, match="position 0: a chain without liberties"):
        _zerogo.zerogo25(dead, [BLACK, WHITE], 9)
    empty = LeafBatch(9, 8, 4)
    assert batch_planes("zerogo25", empty).shape == (0, 25, 9, 9)
