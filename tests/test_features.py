"""Input planes: AlphaGo's lee48 / lee49 (Cython against the Python reference, plane by plane,
on hand-made ASCII positions and on 500 random ones) and AlphaGo Zero's zero17 (Cython
against the numpy reference, from arrays and from a search's LeafBatch)."""
from __future__ import annotations

import numpy as np
import pytest

from goengine import diagram
from goengine.board_ref import Board as RefBoard
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.errors import IllegalMoveError

# the Cython extractors are not optional: a missing build fails here, loudly (conftest.py)
from goengine.features import PLANE_SETS, _lee, _zero, lee_ref, zero
from goengine.features.lee_ref import LAYOUT, lee_planes_ref
from goengine.game import GameState


# ----------------------------------------------------------------------------- helpers
def random_positions(size: int, count: int, seed: int, every: int = 4) -> list[GameState]:
    """GameStates from seeded random games (legal, not filling own eyes), one every `every`
    moves: a spread of openings, fights with captures and ko, and full boards."""
    rng = np.random.default_rng(seed)
    out: list[GameState] = []
    while len(out) < count:
        game = GameState(size)
        for i in range(int(size * size * 1.5)):
            board, color = game.board, game.to_play
            empties = [a for a in range(size * size) if board.color_at(a) == 0]
            rng.shuffle(empties)
            for a in empties:
                if board.is_legal(a, color) and not board.is_eye(a, color):
                    try:
                        game.play(a)
                        break
                    except IllegalMoveError:  # superko
                        continue
            else:
                game.play(size * size)
            if game.is_over():
                break
            if i % every == every - 1:
                out.append(game.copy())
    return out[:count]


def game_from(text: str, to_play: int = BLACK) -> GameState:
    size, stones = diagram.parse(text)
    game = GameState(size)
    game.setup_stones([a for a, c in stones.items() if c == BLACK],
                      [a for a, c in stones.items() if c == WHITE], to_play=to_play)
    return game


def plane(planes: np.ndarray, name: str, k: int = 0) -> np.ndarray:
    first, count = LAYOUT[name]
    assert k < count
    return planes[first + k]


def at(text_point: str, size: int) -> tuple[int, int]:
    return divmod(from_gtp(text_point, size), size)


def check_against_ref(game: GameState, planes: int = 48) -> np.ndarray:
    fast = _lee.lee_planes_states([game], planes)[0]
    ref = lee_planes_ref(game.board, game.to_play, lee_ref.recent_moves(game), planes)
    for name, (first, count) in LAYOUT.items():
        if first < planes:
            np.testing.assert_array_equal(fast[first:first + count], ref[first:first + count],
                                          err_msg=f"plane group {name!r}")
    return fast


# ----------------------------------------------------------------------------- registry
def test_registry():
    assert PLANE_SETS["lee48"][0] == 48 and PLANE_SETS["lee49"][0] == 49
    assert PLANE_SETS["zero17"] == (17, 8)
    assert sum(count for name, (first, count) in LAYOUT.items() if first < 48) == 48
    assert _lee.NUM_PLANES == 48 and _lee.MAX_LADDER_DEPTH == lee_ref.LADDER_MAX_DEPTH
    assert _lee.MAX_LADDER_NODES == lee_ref.LADDER_MAX_NODES


# ----------------------------------------------------------------------------- hand-made positions
LADDER = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . X . . . .
. . . . O X . . .
. . . X . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""
# the same with a white ladder breaker on the north-west diagonal
LADDER_BREAKER = LADDER.replace("\n. . . . . . . . .\n. . . . . . . . .\n. . . . X",
                                "\n. O . . . . . . .\n. . . . . . . . .\n. . . . X", 1)


def test_ladder_capture_works_and_breaker_stops_it():
    game = game_from(LADDER, BLACK)
    p = check_against_ref(game)
    cap = plane(p, "ladder_capture")
    # E4 ataris from below: the ladder runs north-west to the edge; D5 from the left: south-east
    assert cap[at("E4", 9)] == 1 and cap[at("D5", 9)] == 1
    assert cap.sum() == 2
    game = game_from(LADDER_BREAKER, BLACK)
    p = check_against_ref(game)
    cap = plane(p, "ladder_capture")
    assert cap[at("E4", 9)] == 0, "the white stone on B8 breaks the north-west ladder"
    assert cap[at("D5", 9)] == 1
    assert plane(p, "ladder_escape").sum() == 0


def test_ladder_escape_only_with_breaker():
    for text, escapes in ((LADDER, False), (LADDER_BREAKER, True)):
        game = game_from(text, BLACK)
        game.play(from_gtp("E4", 9))                    # black ataris; white to move
        p = check_against_ref(game)
        esc = plane(p, "ladder_escape")
        assert esc[at("D5", 9)] == escapes
        assert esc.sum() == escapes
        assert _lee.ladder_escape(game.board, from_gtp("D5", 9), WHITE) == escapes
        assert lee_ref.ladder_escape(game.board, from_gtp("D5", 9), WHITE) == escapes


def test_long_ladder_across_19x19():
    """The same shape in the lower-right corner of 19x19: the ladder runs 15 diagonal steps to
    the far corner (about 60 plies, within the search bounds); a white stone on B18 breaks it."""
    def rc(r, c):
        return r * 19 + c
    for breaker in (False, True):
        game = GameState(19)
        game.setup_stones([rc(15, 16), rc(16, 17), rc(17, 15)], [rc(16, 16)] + ([rc(1, 1)] if breaker else []),
                          to_play=BLACK)
        assert _lee.ladder_capture(game.board, rc(17, 16), BLACK) != breaker
        assert lee_ref.ladder_capture(game.board, rc(17, 16), BLACK) != breaker
        game.play(rc(17, 16))
        assert _lee.ladder_escape(game.board, rc(16, 15), WHITE) == breaker
        check_against_ref(game)


def test_capture_of_several_groups():
    # black on D8 captures the two white chains C9-C8 and E9-E8-E7 at once (2 + 3 stones)
    text = """
    . X O X O X . . .
    . X O . O X . . .
    . . X X O X . . .
    . . . . X . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    """
    game = game_from(text, BLACK)
    p = check_against_ref(game)
    r, c = at("D8", 9)
    assert plane(p, "capture_size", 5)[r, c] == 1
    assert p[20:28, r, c].sum() == 1
    # afterwards the new stone's chain has the freed points as liberties
    after = game.board.copy()
    assert after.play(from_gtp("D8", 9), BLACK) == 5
    libs = after.liberties(from_gtp("D8", 9))
    assert plane(p, "liberties_after", min(libs, 8) - 1)[r, c] == 1
    # an ordinary empty point captures nothing: capture-size plane 0
    assert plane(p, "capture_size", 0)[at("J1", 9)] == 1
    assert _lee.after_move_info(game.board, from_gtp("D8", 9), BLACK) == (5, libs, len(after.chain(from_gtp("D8", 9))))


def test_self_atari_and_liberty_planes():
    # black's two stones B5-C5 are in atari (liberty D5); extending leaves 3 stones with one
    # liberty (D4): self-atari of size 3
    text = """
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . O O O . . . . .
    O X X . O . . . .
    . O O . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . X
    """
    game = game_from(text, BLACK)
    p = check_against_ref(game)
    r, c = at("D5", 9)
    assert plane(p, "self_atari_size", 2)[r, c] == 1
    assert plane(p, "liberties_after", 0)[r, c] == 1
    assert plane(p, "ladder_escape")[r, c] == 0
    # liberties of stones: the black chain 1, the lone corner stone 2, the white wall B6-D6 6
    assert plane(p, "liberties", 0)[at("B5", 9)] == 1
    assert plane(p, "liberties", 1)[at("J1", 9)] == 1
    assert plane(p, "liberties", 5)[at("C6", 9)] == 1
    # a move in the open next to the corner stone: 2-stone chain with 3 liberties
    assert plane(p, "liberties_after", 2)[at("H1", 9)] == 1
    assert plane(p, "liberties_after", 3)[at("E2", 9)] == 1
    assert plane(p, "self_atari_size")[at("E2", 9)] == 0


def test_liberties_eight_or_more():
    text = """
    . . . . . . .
    . . . . . . .
    . . X X X . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    """
    game = game_from(text, WHITE)
    p = check_against_ref(game)
    assert plane(p, "liberties", 7)[at("D5", 7)] == 1          # 8 liberties: the 8+ plane
    assert plane(p, "stone_colour", 1)[at("D5", 7)] == 1        # white to move: black is the opponent
    # black-to-move view: after C4 the chain C4+C5-E5 has 9 liberties (8+)
    black = game_from(text, BLACK)
    pb = check_against_ref(black)
    assert plane(pb, "liberties_after", 7)[at("C4", 7)] == 1


def test_sensibleness_eyes_suicide_and_ko():
    text = """
    . X . X . O .
    X X X X O . O
    . . . . . O .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    """
    game = game_from(text, BLACK)
    p = check_against_ref(game)
    sens = plane(p, "sensibleness")
    assert sens[at("C7", 7)] == 0          # black's own eye: legal but not sensible
    assert plane(p, "liberties_after", 5)[at("C7", 7)] == 1      # 6 liberties
    r, c = at("F6", 7)
    assert sens[r, c] == 0 and p[20:47, r, c].sum() == 0       # white's eye: suicide for black
    assert sens[at("G1", 7)] == 1
    # for white: F6 is its own eye (legal, not sensible), C7 is suicide
    pw = check_against_ref(game_from(text, WHITE))
    assert plane(pw, "sensibleness")[r, c] == 0 and plane(pw, "liberties_after", 4)[r, c] == 1
    assert pw[20:47][(slice(None),) + at("C7", 7)].sum() == 0
    # a ko: white takes on B4, black may not retake on C4 at once
    ko_game = game_from("""
    . . . . . .
    . X O . . .
    X . X O . .
    . X O . . .
    . . . . . .
    . . . . . .
    """, WHITE)
    ko_game.play(from_gtp("B4", 6))        # white captures C4
    assert ko_game.board.ko == from_gtp("C4", 6)
    p = check_against_ref(ko_game)
    r, c = at("C4", 6)
    assert p[20:47, r, c].sum() == 0       # black may not retake: nothing but "empty"
    assert plane(p, "stone_colour", 2)[r, c] == 1


def test_turns_since_from_history():
    game = GameState(9)
    game.setup_stones([from_gtp("A1", 9)], [], to_play=BLACK)
    moves = ["E5", "D5", "E4", "D4", "pass", "E3", "D3", "E2", "D2", "E6"]
    for m in moves:
        game.play(81 if m == "pass" else from_gtp(m, 9))
    p = check_against_ref(game)
    turns = p[4:12]
    age = {m: len(moves) - i for i, m in enumerate(moves)}
    for m, k in age.items():
        if m == "pass":
            continue
        expected = min(k, 8) - 1
        assert turns[expected][at(m, 9)] == 1, m
        assert turns[:, at(m, 9)[0], at(m, 9)[1]].sum() == 1
    assert turns[7][at("A1", 9)] == 1                     # setup stone: 8+
    assert turns[:, ~(p[2] > 0)].sum() == (p[0] + p[1]).sum()   # one plane per stone, none on empties
    # no history at all: every stone 8+
    q = _lee.lee_planes([game.board], [game.to_play])[0]
    assert q[11].sum() == (q[0] + q[1]).sum()


def test_turns_since_replayed_point():
    # white stone captured, point retaken: the age is the newest move's
    game = game_from("""
    . . . . .
    . . X . .
    . X . X .
    . . . . .
    . . . . .
    """, WHITE)
    game.play(from_gtp("C3", 5))           # white into atari
    game.play(from_gtp("C2", 5))           # black captures
    game.play(from_gtp("A1", 5))
    game.play(from_gtp("C3", 5))           # black fills the point
    p = check_against_ref(game)
    assert p[4][at("C3", 5)] == 1 and p[5][at("A1", 5)] == 1 and p[6][at("C2", 5)] == 1


def test_constant_planes_and_lee49():
    game = random_positions(9, 1, seed=5)[0]
    p48 = _lee.lee48([game])[0]
    assert (p48[3] == 1).all() and (p48[47] == 0).all()
    p49 = _lee.lee49([game])[0]
    np.testing.assert_array_equal(p49[:48], p48)
    assert (p49[48] == (1.0 if game.to_play == BLACK else 0.0)).all()
    np.testing.assert_array_equal(p49, lee_planes_ref(game.board, game.to_play,
                                                      lee_ref.recent_moves(game), 49))


def test_ref_is_board_independent():
    """The reference reads only the Board API: on board_ref's boards it agrees too."""
    for game in random_positions(7, 12, seed=11, every=6):
        ref_game = GameState(7, board_cls=RefBoard)
        for color, action in game.history:
            ref_game.play(action)
        a = lee_planes_ref(ref_game.board, ref_game.to_play, lee_ref.recent_moves(ref_game))
        np.testing.assert_array_equal(a, _lee.lee48([game])[0])


# ----------------------------------------------------------------------------- random positions
def test_lee_planes_equal_reference_on_500_random_positions():
    games = (random_positions(9, 380, seed=1) + random_positions(13, 70, seed=2, every=8)
             + random_positions(19, 50, seed=3, every=20))
    assert len(games) == 500
    totals = np.zeros(48)
    for size in (9, 13, 19):
        group = [g for g in games if g.size == size]
        fast = _lee.lee48(group)
        ref = lee_ref.lee48_ref(group)
        for name, (first, count) in LAYOUT.items():
            if first < 48:
                bad = np.argwhere((fast[:, first:first + count] != ref[:, first:first + count]).any(axis=(1, 2, 3)))
                assert bad.size == 0, f"{name} differs on {size}x{size} position {bad[0, 0]}"
        totals += fast.sum(axis=(0, 2, 3))
    # the random positions exercise every feature
    for name in ("ladder_capture", "ladder_escape", "self_atari_size", "capture_size"):
        first, count = LAYOUT[name]
        assert totals[first:first + count].sum() > 10, name
    assert totals[LAYOUT["capture_size"][0] + 1:LAYOUT["capture_size"][0] + 8].sum() > 10


def test_after_move_matches_playing():
    for game in random_positions(9, 40, seed=21):
        board, color = game.board, game.to_play
        for a in range(81):
            if not board.is_legal(a, color):
                continue
            after = board.copy()
            captured = after.play(a, color)
            assert _lee.after_move_info(board, a, color) == (captured, after.liberties(a), len(after.chain(a)))


def test_batch_entry_points_agree():
    games = random_positions(9, 16, seed=7)
    expected = _lee.lee48(games)
    lm = np.stack([_lee.recent_moves(g) for g in games])
    from goengine.search import LeafBatch
    batch = LeafBatch.from_states(games)
    np.testing.assert_array_equal(_lee.lee_planes_batch(batch, lm), expected)
    np.testing.assert_array_equal(_lee.lee_planes([g.board for g in games], [g.to_play for g in games], lm),
                                  expected)
    out = np.empty_like(expected)
    assert _lee.lee48(games, out=out) is out
    with pytest.raises(ValueError):
        _lee.lee_planes([games[0].board], [BLACK], planes=17)
    with pytest.raises(ValueError):
        _lee.lee48(games, out=np.empty((1, 48, 9, 9), np.float32))
    with pytest.raises(TypeError):
        _lee.lee48([GameState(9, board_cls=RefBoard)])


# ----------------------------------------------------------------------------- zero17
def test_zero17_fast_equals_numpy_reference():
    rng = np.random.default_rng(0)
    for size, h in ((9, 8), (9, 1), (13, 3), (19, 10)):
        stones = rng.integers(0, 3, size=(5, h, size * size)).astype(np.int8)
        to_play = rng.integers(1, 3, size=5).astype(np.int8)
        np.testing.assert_array_equal(_zero.zero17_fast(stones, to_play, size),
                                      zero.zero17(stones, to_play, size))
    with pytest.raises(ValueError):
        _zero.zero17_fast(np.zeros((1, 8, 80), np.int8), [1], 9)


def test_zero17_through_symmetries_equals_numpy_reference():
    """The evaluator's fused C path: planes of some rows seen through their symmetries, the
    outputs moved back, and the masked softmax, each equal to the numpy functions."""
    from goengine.features import apply_planes_each, apply_policy_each, inverse_each
    from goengine.features.symmetry import _point_table
    from goengine.models.evaluators import masked_softmax
    rng = np.random.default_rng(1)
    for size, h in ((9, 8), (9, 3), (19, 8)):
        nn, table = size * size, _point_table(size)
        stones = rng.integers(0, 3, size=(6, h, nn)).astype(np.int8)
        to_play = rng.integers(1, 3, size=6).astype(np.int8)
        rows = np.array([4, 0, 5, 2], dtype=np.int64)
        syms = np.array([7, 3, 1, 0], dtype=np.int64)
        np.testing.assert_array_equal(_zero.zero17_sym(stones, to_play, rows, syms, table),
                                      apply_planes_each(zero.zero17(stones, to_play, size)[rows], syms))
        net = rng.normal(size=(4, nn + 1)).astype(np.float32)
        logits = np.full((6, nn + 1), -5.0, dtype=np.float32)
        _zero.unsymmetrise_into(net, rows, syms, table, logits)
        np.testing.assert_array_equal(logits[rows], apply_policy_each(net, inverse_each(syms)))
        assert (logits[[1, 3]] == -5.0).all()
        legal = (rng.random((6, nn + 1)) < 0.6).astype(np.uint8)
        legal[3] = 0   # no legal move: all zeros, as the numpy version gives
        for temperature in (1.0, 0.67, 1.3):
            np.testing.assert_allclose(_zero.masked_softmax_fast(logits, legal, temperature),
                                       masked_softmax(logits, legal, temperature), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="symmetry must be 0..7"):
        _zero.zero17_sym(stones, to_play, rows, [0, 1, 2, 8], table)
    with pytest.raises(IndexError, match="outside the batch"):
        _zero.zero17_sym(stones, to_play, [6], [0], table)
    with pytest.raises(ValueError, match="do not match"):
        _zero.zero17_sym(stones, to_play, rows, syms, _point_table(9))
    with pytest.raises(ValueError, match="differ in shape"):
        _zero.masked_softmax_fast(logits, legal[:, :-1])
    with pytest.raises(ValueError, match="temperature"):
        _zero.masked_softmax_fast(logits, legal, 0.0)


def test_zero17_from_search_leaves():
    """The planes straight from a LeafBatch with 8 positions of history equal the reference."""
    from goengine.search import MCTSConfig, Tree, search_many
    seen = []

    class Checker:
        history_length = 8

        def evaluate(self, batch):
            fast = _zero.zero17_batch(batch)
            np.testing.assert_array_equal(fast, zero.zero17(batch.stones, batch.to_play, batch.size))
            seen.append(batch.n)
            legal = batch.legal.astype(np.float32)
            return legal / legal.sum(axis=1, keepdims=True), np.zeros(batch.n, np.float32)

    game = random_positions(9, 1, seed=9)[0]
    tree = Tree(9, MCTSConfig(), history_length=8)
    tree.set_position(game.board, game.to_play)
    search_many([tree], Checker(), 40, leaves_per_batch=4)
    assert sum(seen) >= 10
