"""GameState and Rules: superko, undo, passes, resignation, results, handicap.

Tests taking the ``board_cls`` fixture (tests/conftest.py) run on the pure-Python
reference board and on the Cython board. Diagrams: ``X`` black, ``O`` white, top row
first; vertices are GTP's (``A1`` bottom-left).
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from goengine import diagram
from goengine.coords import BLACK, EMPTY, WHITE, from_gtp, opponent, to_gtp
from goengine.errors import (
    GameOverError,
    IllegalMoveError,
    KoError,
    OccupiedError,
    OffBoardError,
    SuicideError,
    SuperkoError,
    WrongColorError,
)
from goengine.game import (
    GameState,
    Rules,
    fixed_handicap_points,
    format_result,
    max_fixed_handicap,
)
from goengine.zobrist import TO_PLAY_KEY, position_hash

# Three independent kos on 9x9. K1 (top left) and K3 (middle left): black can capture
# the white stone at B8 / B4 by playing C8 / C4. K2 (top right): white can capture the
# black stone at G8 by playing H8. Every other stone has a liberty to spare.
TRIPLE_KO = """
. X O . . . O X .
X O . O . O X . X
. X O . . . O X .
. . . . . . . . .
. X O . . . . . .
X O . O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
"""
# The cycle: each side takes a ko in turn; after six captures the position repeats.
CYCLE = [(BLACK, "C8"), (WHITE, "H8"), (BLACK, "C4"),
         (WHITE, "B8"), (BLACK, "G8"), (WHITE, "B4")]


def new_game(board_cls, size=9, **rules):
    return GameState(size, Rules(**rules), board_cls=board_cls)


def from_diagram(text, board_cls, to_play=BLACK, **rules):
    size, stones = diagram.parse(text)
    game = new_game(board_cls, size, **rules)
    game.setup_stones([a for a, c in stones.items() if c == BLACK],
                      [a for a, c in stones.items() if c == WHITE], to_play=to_play)
    return game


def play(game, *moves):
    for color, vertex in moves:
        game.play_color(color, from_gtp(vertex, game.size))


def state_of(game):
    """Everything undo must restore."""
    b = game.board
    return (b.stones().tolist(), b.hash, b.ko, b.ko_color, b.captures, game.to_play,
            game.move_number, list(game.history), game.consecutive_passes,
            game.positions, game.stone_hashes(), game.recent_stones(3).tolist(),
            game.is_over(), game.resigned, game.legal_mask().tolist())


def brute_force_mask(game):
    """Legality by trying every move on a copy of the board and looking the resulting
    position up in the game's superko history."""
    n = game.size * game.size
    mask = np.zeros(n + 1, dtype=np.uint8)
    if game.is_over():
        return mask
    mask[n] = 1
    color = game.to_play
    seen = set(game.positions)
    for a in range(n):
        board = game.board.copy()
        try:
            board.play(a, color, allow_suicide=game.rules.suicide)
        except IllegalMoveError:
            continue
        key = board.hash
        if game.rules.superko == "situational" and opponent(color) == WHITE:
            key ^= TO_PLAY_KEY
        mask[a] = game.rules.superko == "simple" or key not in seen
    return mask


# ----------------------------------------------------------------------------- Rules
def test_rules_defaults_and_validation():
    rules = Rules()
    assert (rules.komi, rules.superko, rules.suicide) == (7.5, "positional", False)
    assert Rules(komi=6).komi == 6.0 and isinstance(Rules(komi=6).komi, float)
    with pytest.raises(ValueError, match="superko"):
        Rules(superko="japanese")
    with pytest.raises(ValueError):
        Rules(komi="lots")
    with pytest.raises(Exception):
        rules.komi = 0.5  # frozen
    assert Rules(komi=0.5) == Rules(komi=0.5) and hash(Rules()) == hash(Rules())


def test_default_board_is_cython():
    pytest.importorskip("goengine._board")
    from goengine._board import Board

    assert isinstance(GameState(9).board, Board)


# ----------------------------------------------------------------------------- superko
def test_triple_ko_positional_forbids_the_repeating_move(board_cls):
    game = from_diagram(TRIPLE_KO, board_cls, superko="positional")
    start_hash = game.board.hash
    play(game, *CYCLE[:5])
    last = from_gtp(CYCLE[5][1], 9)
    assert game.to_play == WHITE
    assert game.board.is_legal(last, WHITE)  # simple ko alone allows it ...
    assert not game.is_legal(last)  # ... positional superko does not
    assert game.legal_mask()[last] == 0
    before = state_of(game)
    with pytest.raises(SuperkoError, match="B4"):
        game.play(last)
    assert state_of(game) == before  # a refused move changes nothing
    assert np.array_equal(game.legal_mask(), brute_force_mask(game))
    # the refused move would have recreated the start
    board = game.board.copy()
    board.play(last, WHITE)
    assert board.hash == start_hash


def test_triple_ko_situational_forbids_the_same_cycle(board_cls):
    game = from_diagram(TRIPLE_KO, board_cls, superko="situational")
    play(game, *CYCLE[:5])
    with pytest.raises(SuperkoError):
        play(game, CYCLE[5])


def test_triple_ko_simple_ko_allows_the_cycle(board_cls):
    game = from_diagram(TRIPLE_KO, board_cls, superko="simple")
    start = game.board.stones().tolist()
    for _ in range(3):  # round and round
        play(game, *CYCLE)
        assert game.board.stones().tolist() == start
    assert game.move_number == 18
    # the board's simple ko still applies: no immediate retake
    with pytest.raises(KoError):
        play(game, (BLACK, "C8"), (WHITE, "B8"))


def test_situational_allows_a_repeat_with_the_other_side_to_move(board_cls):
    # With one pass in the cycle the start stones come back with white to move: a new
    # situation (situational superko allows it), an old position (positional forbids it).
    seq = [(BLACK, "C8"), (WHITE, "H8"), (BLACK, "C4"), (WHITE, "B8"), (BLACK, "pass"),
           (WHITE, "B4")]
    final = (BLACK, "G8")
    for kind, allowed in (("situational", True), ("positional", False), ("simple", True)):
        game = from_diagram(TRIPLE_KO, board_cls, superko=kind)
        start = game.board.stones().tolist()
        play(game, *seq)
        action = from_gtp(final[1], 9)
        assert game.is_legal(action) is allowed, kind
        assert np.array_equal(game.legal_mask(), brute_force_mask(game)), kind
        if allowed:
            play(game, final)
            assert game.board.stones().tolist() == start
            assert game.to_play == WHITE
        else:
            with pytest.raises(SuperkoError):
                play(game, final)


def test_positions_history_keys(board_cls):
    game = new_game(board_cls, 5, superko="situational")
    assert game.positions == (0,)  # the empty board, black to move
    game.play(from_gtp("C3", 5))
    h = position_hash(game.board.stones())
    assert game.positions == (0, h ^ TO_PLAY_KEY)  # white to move
    game.play(25)  # pass: same stones, black to move
    assert game.positions == (0, h ^ TO_PLAY_KEY, h)
    positional = new_game(board_cls, 5)
    positional.play(from_gtp("C3", 5))
    assert positional.positions == (0, h)


def test_stone_hashes_and_recent_stones(board_cls):
    game = new_game(board_cls, 5, superko="situational")
    game.play(from_gtp("C3", 5))
    game.play(25)
    game.play(from_gtp("D3", 5))
    c3 = position_hash([BLACK if a == from_gtp("C3", 5) else EMPTY for a in range(25)])
    assert game.stone_hashes() == [0, c3, c3, game.board.hash]
    recent = game.recent_stones(5)
    assert recent.dtype == np.int8 and recent.shape == (5, 25)
    assert np.array_equal(recent[0], game.board.stones())
    assert recent[1].tolist() == recent[2].tolist()  # the pass repeated the position
    assert recent[1][from_gtp("C3", 5)] == BLACK and recent[1].sum() == BLACK
    assert not recent[3].any()  # the empty board the game started from
    assert not recent[4].any()  # before the start: zeros


def test_superko_counts_handicap_setup(board_cls):
    # the handicap position (not the empty board before it) starts the history
    game = new_game(board_cls, 3, superko="positional")
    game.set_free_handicap([from_gtp("B2", 3)])
    assert game.to_play == WHITE
    assert game.positions == (position_hash(game.board.stones()),)


def test_single_stone_suicide_repeats_the_position(board_cls):
    # With suicide allowed a one-stone suicide leaves the stones unchanged: a positional
    # superko violation; situationally it is a new situation (the other side to move).
    text = """
    . X .
    X . .
    . . .
    """
    for kind, allowed in (("positional", False), ("situational", True), ("simple", True)):
        game = from_diagram(text, board_cls, to_play=WHITE, superko=kind, suicide=True)
        a1 = from_gtp("A3", 3)
        assert game.board.is_legal(a1, WHITE, True)
        assert game.is_legal(a1) is allowed, kind
        assert np.array_equal(game.legal_mask(), brute_force_mask(game)), kind
        if allowed:
            game.play(a1)
            assert game.board.color_at(a1) == EMPTY
            assert game.board.captures == (1, 0)
        else:
            with pytest.raises(SuperkoError):
                game.play(a1)


def test_multi_stone_suicide_only_with_the_rule(board_cls):
    text = """
    O O O .
    X X O .
    . X O .
    O O O .
    """
    strict = from_diagram(text, board_cls)
    a = from_gtp("A2", 4)
    assert not strict.is_legal(a)
    with pytest.raises(SuicideError):
        strict.play(a)
    loose = from_diagram(text, board_cls, suicide=True)
    assert loose.is_legal(a) and loose.legal_mask()[a] == 1
    loose.play(a)
    assert loose.board.captures == (0, 4)
    assert np.array_equal(loose.legal_mask(), brute_force_mask(loose))


@pytest.mark.parametrize("kind", ["positional", "situational", "simple"])
@pytest.mark.parametrize("suicide", [False, True])
def test_legal_mask_matches_brute_force_in_random_games(board_cls, kind, suicide):
    # Small boards repeat positions often, so superko matters here.
    rng = np.random.default_rng(["positional", "situational", "simple"].index(kind) * 2 + suicide)
    games = 12 if board_cls.__module__.endswith("board_ref") else 30
    refusals = 0
    for g in range(games):
        size = 2 + g % 3
        game = new_game(board_cls, size, superko=kind, suicide=suicide, komi=0.5)
        while not game.is_over() and game.move_number < 80:
            mask = game.legal_mask()
            assert np.array_equal(mask, brute_force_mask(game)), (kind, game.history)
            for a in range(size * size + 1):
                assert game.is_legal(a) == bool(mask[a])
            refusals += int((game.board.legal_mask(game.to_play, suicide) != mask).sum())
            points = np.flatnonzero(mask[:-1])
            if len(points) and rng.random() < 0.9:
                game.play(int(rng.choice(points)))
            else:
                game.play(size * size)
    if kind != "simple":
        assert refusals > 0  # superko did refuse some board-legal moves


# ----------------------------------------------------------------------------- moves
def test_errors_name_the_reason(board_cls):
    game = new_game(board_cls, 5)
    game.play(from_gtp("C3", 5))
    with pytest.raises(OccupiedError, match="C3"):
        game.play(from_gtp("C3", 5))
    with pytest.raises(OffBoardError):
        game.play(26)
    with pytest.raises(OffBoardError):
        game.play(-1)
    with pytest.raises(WrongColorError):
        game.play_color(3, 0)
    assert not game.is_legal(26) and not game.is_legal(from_gtp("C3", 5))
    assert game.move_number == 1 and game.to_play == WHITE


def test_play_color_out_of_turn(board_cls):
    game = new_game(board_cls, 5)
    game.play_color(BLACK, 0)
    game.play_color(BLACK, 1)  # GTP "play b" twice
    assert game.to_play == WHITE
    assert game.history == [(BLACK, 0), (BLACK, 1)]
    game.play_color(WHITE, 24)
    assert game.to_play == BLACK


def test_two_passes_end_the_game(board_cls):
    game = new_game(board_cls, 5)
    game.play(from_gtp("C3", 5))
    game.play(25)
    assert not game.is_over() and game.consecutive_passes == 1
    game.play(from_gtp("D3", 5))  # a move resets the count
    assert game.consecutive_passes == 0
    game.play(25)
    game.play(25)
    assert game.is_over() and game.consecutive_passes == 2
    with pytest.raises(GameOverError):
        game.play(0)
    with pytest.raises(GameOverError):
        game.play(25)
    with pytest.raises(GameOverError):
        game.resign()
    assert not game.is_legal(25) and not game.legal_mask().any()
    assert game.move_number == 5


def test_resign(board_cls):
    game = new_game(board_cls, 5)
    game.play(12)
    game.resign()  # white resigns
    assert game.is_over() and game.resigned == WHITE
    assert game.winner() == BLACK and game.result() == "B+R"
    with pytest.raises(GameOverError):
        game.play(0)
    game.undo()  # takes back the resignation only
    assert not game.is_over() and game.move_number == 1 and game.to_play == WHITE
    game.resign(BLACK)
    assert game.result() == "W+R" and game.winner() == WHITE


def test_results_and_score(board_cls):
    game = new_game(board_cls, 5, komi=0.5)
    game.play(12)  # black alone on the board owns it all
    assert game.score() == 25 - 0.5 and game.result() == "B+24.5" and game.winner() == BLACK
    game = new_game(board_cls, 5, komi=7.5)
    game.play(12)
    assert game.result() == "B+17.5"
    game = new_game(board_cls, 5, komi=25)
    game.play(12)
    assert game.score() == 0.0 and game.result() == "0" and game.winner() == EMPTY
    game = new_game(board_cls, 5, komi=2)
    game.play(25)
    game.play(12)  # white alone
    assert game.result() == "W+27" and game.winner() == WHITE
    assert format_result(BLACK, 3.5) == "B+3.5" and format_result(WHITE) == "W+R"
    assert format_result(EMPTY, 0.0) == "0"


# ----------------------------------------------------------------------------- undo
def test_undo_back_to_the_start_restores_everything(board_cls):
    rng = np.random.default_rng(7)
    size = 7 if board_cls.__module__.endswith("board_ref") else 9
    for kind in ("positional", "situational"):
        game = new_game(board_cls, size, superko=kind, komi=5.5)
        game.place_fixed_handicap(2)
        states = [state_of(game)]
        while not game.is_over():
            points = np.flatnonzero(game.legal_mask()[:-1])
            points = [a for a in points if not game.board.is_eye(int(a), game.to_play)]
            if points and game.move_number < 150:
                game.play(int(rng.choice(points)))
            else:
                game.play(size * size)
            states.append(state_of(game))
        assert game.board.captures != (0, 0)  # the game saw captures (and kos)
        while game.move_number:
            game.undo()
            states.pop()
            assert state_of(game) == states[-1]
        assert len(states) == 1
        assert game.handicap == fixed_handicap_points(size, 2) and game.to_play == WHITE
        with pytest.raises(ValueError, match="nothing to undo"):
            game.undo()


def test_undo_after_ko_restores_the_ko(board_cls):
    game = from_diagram(TRIPLE_KO, board_cls, superko="positional")
    play(game, (BLACK, "C8"))
    ko = game.board.ko
    assert ko == from_gtp("B8", 9)
    play(game, (WHITE, "H8"))
    game.undo()
    assert game.board.ko == ko and game.board.ko_color == WHITE
    with pytest.raises(KoError):
        play(game, (WHITE, "B8"))


def test_undo_reopens_a_finished_game(board_cls):
    game = new_game(board_cls, 5)
    game.play(25)
    game.play(25)
    assert game.is_over()
    game.undo()
    assert not game.is_over() and game.consecutive_passes == 1 and game.to_play == WHITE
    game.play(3)
    assert game.consecutive_passes == 0


def test_copy_is_independent(board_cls):
    game = new_game(board_cls, 5)
    game.play(6)
    twin = game.copy()
    twin.play(7)
    twin.undo()
    twin.undo()
    assert game.move_number == 1 and game.board.color_at(6) == BLACK
    assert twin.move_number == 0 and twin.board.color_at(6) == EMPTY
    game.play(8)
    assert twin.positions == (0,)
    restored = pickle.loads(pickle.dumps(game))
    assert state_of(restored) == state_of(game)


# ----------------------------------------------------------------------------- handicap
def test_fixed_handicap_tables():
    def gtp(size, n):
        return " ".join(to_gtp(a, size) for a in fixed_handicap_points(size, n))

    # as GNU Go 3.8 answers `fixed_handicap` (tests/test_gnugo.py asks the real program)
    assert gtp(9, 2) == "G7 C3"
    assert gtp(9, 5) == "C7 G7 E5 C3 G3"
    assert gtp(9, 9) == "C7 E7 G7 C5 E5 G5 C3 E3 G3"
    assert gtp(13, 7) == "D10 K10 D7 G7 K7 D4 K4"
    assert gtp(19, 3) == "D16 Q16 D4"
    assert gtp(19, 8) == "D16 K16 Q16 D10 Q10 D4 K4 Q4"
    assert gtp(7, 4) == "C5 E5 C3 E3"
    assert [max_fixed_handicap(s) for s in (5, 6, 7, 8, 9, 10, 19)] == [0, 0, 4, 4, 9, 4, 9]
    for size, n in ((9, 1), (9, 10), (9, 0), (8, 5), (6, 2), (19, 10)):
        with pytest.raises(ValueError, match="handicap"):
            fixed_handicap_points(size, n)


def test_place_fixed_handicap(board_cls):
    game = new_game(board_cls, 9)
    points = game.place_fixed_handicap(4)
    assert points == game.handicap == fixed_handicap_points(9, 4)
    assert game.to_play == WHITE and game.move_number == 0
    assert [game.board.color_at(a) for a in points] == [BLACK] * 4
    with pytest.raises(ValueError, match="not empty"):
        game.place_fixed_handicap(2)
    with pytest.raises(ValueError, match="handicap"):
        new_game(board_cls, 9).place_fixed_handicap(10)
    started = new_game(board_cls, 9)
    started.play(40)
    with pytest.raises(ValueError, match="started"):
        started.place_fixed_handicap(2)


def test_free_handicap_validation(board_cls):
    game = new_game(board_cls, 9)
    with pytest.raises(ValueError, match="twice"):
        game.set_free_handicap([10, 20, 10])
    with pytest.raises(ValueError, match="not a point"):
        game.set_free_handicap([10, 81])  # pass is not a point
    with pytest.raises(ValueError, match="not a point"):
        game.set_free_handicap([10, -1])
    with pytest.raises(ValueError):
        game.set_free_handicap([])
    with pytest.raises(ValueError):
        game.set_free_handicap(["D4"])
    with pytest.raises(ValueError, match="do not fit"):
        new_game(board_cls, 3).set_free_handicap(range(9))
    assert game.handicap == [] and game.board.num_empty == 81  # nothing was placed
    game.set_free_handicap([20, 10, 60])
    assert game.handicap == [10, 20, 60] and game.to_play == WHITE
    with pytest.raises(ValueError, match="not empty"):
        game.set_free_handicap([30])
    started = new_game(board_cls, 9)
    started.play(81)
    with pytest.raises(ValueError, match="started"):
        started.set_free_handicap([30, 31])


def test_setup_stones_refuses_a_chain_without_liberties(board_cls):
    game = new_game(board_cls, 3)
    with pytest.raises(ValueError, match="liberties"):
        game.setup_stones([0], [1, 3])
    assert game.board.num_empty == 9
    game.setup_stones([0], [1], to_play=BLACK)
    assert game.to_play == BLACK and game.setup_white == [1]
