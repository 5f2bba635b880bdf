"""Rules of the board, table-driven from ASCII diagrams, run on both board classes.

Every test takes the ``board_cls`` fixture (tests/conftest.py), so it runs once on the
pure-Python reference board and once on the Cython board. Diagrams use ``X`` black,
``O`` white, ``.`` empty, top row first; moves are GTP vertices (``A1`` bottom-left).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
import pytest

from goengine import diagram, zobrist
from goengine.coords import BLACK, EMPTY, WHITE, from_gtp
from goengine.errors import (
    IllegalMoveError,
    KoError,
    OccupiedError,
    OffBoardError,
    SuicideError,
)

COLOR = {"B": BLACK, "W": WHITE}


def make(text: str, board_cls):
    return diagram.board_from(text, board_cls)


def at(board, vertex: str) -> int:
    return from_gtp(vertex, board.size)


def assert_position(board, text: str) -> None:
    """The board holds exactly the diagram's stones, and its hash is their hash."""
    size, stones = diagram.parse(text)
    assert board.size == size
    expected = np.zeros(size * size, dtype=np.int8)
    for action, color in stones.items():
        expected[action] = color
    actual = board.stones()
    assert actual.dtype == np.int8 and actual.shape == (size * size,)
    assert np.array_equal(actual, expected), "\n" + str(board)
    assert board.hash == zobrist.position_hash(expected)
    assert board.num_empty == int((expected == EMPTY).sum())


def snapshot(board):
    return (board.stones().tolist(), board.hash, board.ko, board.ko_color, board.captures)


# ----------------------------------------------------------------------------- captures
@dataclass(frozen=True)
class Capture:
    name: str
    before: str
    color: str
    vertex: str
    captured: int
    after: str


CAPTURES = [
    Capture("single stone in the centre", """
        . . . . .
        . . X . .
        . X O X .
        . . . . .
        . . . . .
        """, "B", "C2", 1, """
        . . . . .
        . . X . .
        . X . X .
        . . X . .
        . . . . .
        """),
    Capture("two-stone chain in the centre", """
        . . . . .
        . X X . .
        X O O X .
        . X . . .
        . . . . .
        """, "B", "C2", 2, """
        . . . . .
        . X X . .
        X . . X .
        . X X . .
        . . . . .
        """),
    Capture("three stones on the edge", """
        . . . . .
        . . . . .
        . . . . .
        X X X . .
        O O O . X
        """, "B", "D1", 3, """
        . . . . .
        . . . . .
        . . . . .
        X X X . .
        . . . X X
        """),
    Capture("single stone in the corner", """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        O . . . .
        """, "B", "B1", 1, """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        . X . . .
        """),
    Capture("white captures a black corner chain", """
        X X O . .
        X . . . .
        O . . . .
        . . . . .
        . . . . .
        """, "W", "B4", 3, """
        . . O . .
        . O . . .
        O . . . .
        . . . . .
        . . . . .
        """),
    Capture("four groups at once", """
        . X O X .
        X O . O X
        . X O X .
        . . X . .
        . . . . .
        """, "B", "C4", 4, """
        . X . X .
        X . X . X
        . X . X .
        . . X . .
        . . . . .
        """),
    Capture("looks like suicide but captures two stones", """
        . O X . .
        O X . . .
        X . . . .
        . . . . .
        . . . . .
        """, "B", "A5", 2, """
        X . X . .
        . X . . .
        X . . . .
        . . . . .
        . . . . .
        """),
    Capture("looks like suicide, captures one (a ko)", """
        . . . . .
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        """, "B", "C3", 1, """
        . . . . .
        . X O . .
        X . X O .
        . X O . .
        . . . . .
        """),
    Capture("no capture: the chain keeps a liberty", """
        . . . . .
        . . X . .
        . X O . .
        . . . . .
        . . . . .
        """, "B", "C2", 0, """
        . . . . .
        . . X . .
        . X O . .
        . . X . .
        . . . . .
        """),
    Capture("2x2 board: corner capture", """
        X O
        . .
        """, "W", "A1", 1, """
        . O
        O .
        """),
]


@pytest.mark.parametrize("case", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture(board_cls, case):
    board = make(case.before, board_cls)
    color = COLOR[case.color]
    assert board.is_legal(at(board, case.vertex), color)
    assert board.play(at(board, case.vertex), color) == case.captured
    assert_position(board, case.after)
    expected = (case.captured, 0) if color == BLACK else (0, case.captured)
    assert board.captures == expected


# ----------------------------------------------------------------------------- suicide
@dataclass(frozen=True)
class Suicide:
    name: str
    before: str
    color: str
    vertex: str
    after: str  # after the suicide is played with allow_suicide=True
    removed: int


SUICIDES = [
    Suicide("single stone in the corner", """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
        """, "B", "A1", """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
        """, 1),
    Suicide("single stone in the centre", """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
        """, "B", "C3", """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
        """, 1),
    Suicide("filling the last liberty of a four-stone chain", """
        . . . . .
        . . . . .
        O O O . .
        X X O . .
        . X O . .
        """, "B", "A1", """
        . . . . .
        . . . . .
        O O O . .
        . . O . .
        . . O . .
        """, 3 + 1),
    Suicide("white joins two chains into one without liberties", """
        . . X . .
        . X O X .
        . X . X .
        . X O X .
        . . X . .
        """, "W", "C3", """
        . . X . .
        . X . X .
        . X . X .
        . X . X .
        . . X . .
        """, 3),
]


@pytest.mark.parametrize("case", SUICIDES, ids=[c.name for c in SUICIDES])
def test_suicide_refused(board_cls, case):
    board = make(case.before, board_cls)
    color, action = COLOR[case.color], at(board, case.vertex)
    before = snapshot(board)
    assert not board.is_legal(action, color)
    assert board.legal_mask(color)[action] == 0
    with pytest.raises(SuicideError):
        board.play(action, color)
    assert snapshot(board) == before


@pytest.mark.parametrize("case", SUICIDES, ids=[c.name for c in SUICIDES])
def test_suicide_allowed_removes_own_chain(board_cls, case):
    board = make(case.before, board_cls)
    color, action = COLOR[case.color], at(board, case.vertex)
    assert board.is_legal(action, color, allow_suicide=True)
    assert board.legal_mask(color, allow_suicide=True)[action] == 1
    assert board.play(action, color, allow_suicide=True) == 0
    assert_position(board, case.after)
    # the mover's stones count as captured by the opponent
    expected = (0, case.removed) if color == BLACK else (case.removed, 0)
    assert board.captures == expected
    assert board.ko == -1 and board.ko_color == EMPTY


def test_capture_is_not_suicide_even_with_allow_suicide(board_cls):
    board = make("""
        . O X . .
        O X . . .
        X . . . .
        . . . . .
        . . . . .
        """, board_cls)
    assert board.play(at(board, "A5"), BLACK, allow_suicide=True) == 2
    assert board.captures == (2, 0)
    assert board.color_at(at(board, "A5")) == BLACK


# ----------------------------------------------------------------------------- snapback
def test_snapback(board_cls):
    board = make("""
        . . . . .
        . . . . .
        X X X X .
        O O O X .
        O . . X .
        """, board_cls)
    assert board.play(at(board, "B1"), BLACK) == 0  # throw-in: black B1 is in atari
    assert board.liberties(at(board, "B1")) == 1
    assert board.liberties(at(board, "A1")) == 1
    assert board.play(at(board, "C1"), WHITE) == 1  # white takes it...
    assert board.ko == -1  # the capturing stone joined a chain: no ko
    assert board.play(at(board, "B1"), BLACK) == 5  # ...and black takes back five
    assert_position(board, """
        . . . . .
        . . . . .
        X X X X .
        . . . X .
        . X . X .
        """)
    assert board.captures == (5, 1)


# ----------------------------------------------------------------------------- ko
KO_SHAPE = """
    . . . . .
    . X O . .
    X . X O .
    . X O . .
    . . . . .
    """


def _take_ko(board_cls):
    board = make(KO_SHAPE, board_cls)
    assert board.ko == -1 and board.ko_color == EMPTY
    assert board.play(at(board, "B3"), WHITE) == 1
    assert board.ko == at(board, "C3") and board.ko_color == BLACK
    return board


def test_ko_retake_refused(board_cls):
    board = _take_ko(board_cls)
    c3 = at(board, "C3")
    before = snapshot(board)
    assert not board.is_legal(c3, BLACK)
    assert board.legal_mask(BLACK)[c3] == 0
    assert not board.is_legal(c3, BLACK, allow_suicide=True)
    with pytest.raises(KoError):
        board.play(c3, BLACK)
    with pytest.raises(KoError):
        board.play(c3, BLACK, allow_suicide=True)
    assert snapshot(board) == before
    # the ban is on black only: white may fill the ko
    assert board.is_legal(c3, WHITE)
    assert board.legal_mask(WHITE)[c3] == 1


def test_ko_retake_after_threat_exchange(board_cls):
    board = _take_ko(board_cls)
    assert board.play(at(board, "E5"), BLACK) == 0  # threat
    assert board.ko == -1 and board.ko_color == EMPTY
    assert board.play(at(board, "E1"), WHITE) == 0  # answer
    assert board.is_legal(at(board, "C3"), BLACK)
    assert board.play(at(board, "C3"), BLACK) == 1  # retake: now white is banned from B3
    assert board.ko == at(board, "B3") and board.ko_color == WHITE
    assert not board.is_legal(at(board, "B3"), WHITE)
    assert board.captures == (1, 1)


def test_ko_cleared_by_pass(board_cls):
    board = _take_ko(board_cls)
    board.play(board.size * board.size, BLACK)  # black passes instead of a threat
    assert board.ko == -1
    board.play(board.size * board.size, WHITE)
    assert board.play(at(board, "C3"), BLACK) == 1


def test_ko_cleared_by_a_pass_of_either_colour(board_cls):
    board = _take_ko(board_cls)
    board.play(board.size * board.size, WHITE)
    assert board.ko == -1 and board.is_legal(at(board, "C3"), BLACK)


def test_ko_cleared_by_capturer_moving_again(board_cls):
    board = _take_ko(board_cls)
    board.play(at(board, "E1"), WHITE)  # out of turn: any non-pass move lifts the ban
    assert board.ko == -1 and board.is_legal(at(board, "C3"), BLACK)


@pytest.mark.parametrize("name, before, vertex", [
    ("capturing stone has two liberties", """
        . . . . .
        . X O . .
        X O . O .
        . X . . .
        . . . . .
        """, "C3"),
    ("capturing stone joins a chain", """
        . . . . .
        . X O . .
        X O . O .
        . X X O .
        . . . . .
        """, "C3"),
    ("two single stones captured", """
        . . . . .
        . X O X .
        X O . O X
        . X O X .
        . . . . .
        """, "C3"),
])
def test_no_ko(board_cls, name, before, vertex):
    board = make(before, board_cls)
    assert board.play(at(board, vertex), BLACK) >= 1
    assert board.ko == -1 and board.ko_color == EMPTY


# ----------------------------------------------------------------------------- eyes
EYES = [
    # (name, diagram, vertex, color, is_eye)
    ("true eye in the centre", """
        . . . . .
        . X X X .
        . X . X .
        . X X X .
        . . . . .
        """, "C3", "B", True),
    ("centre eye with one enemy diagonal", """
        . . . . .
        . O X X .
        . X . X .
        . X X X .
        . . . . .
        """, "C3", "B", True),
    ("false eye in the centre: two enemy diagonals", """
        . . . . .
        . O X X .
        . X . X .
        . X X O .
        . . . . .
        """, "C3", "B", False),
    ("not an eye for the other colour", """
        . . . . .
        . X X X .
        . X . X .
        . X X X .
        . . . . .
        """, "C3", "W", False),
    ("one orthogonal neighbour empty", """
        . . . . .
        . X . X .
        . X . X .
        . X X X .
        . . . . .
        """, "C3", "B", False),
    ("one orthogonal neighbour an enemy", """
        . . . . .
        . X O X .
        . X . X .
        . X X X .
        . . . . .
        """, "C3", "B", False),
    ("occupied point", """
        . . . . .
        . X X X .
        . X X X .
        . X X X .
        . . . . .
        """, "C3", "B", False),
    ("edge eye, no enemy diagonal", """
        . . . . .
        . . . . .
        . . . . .
        . X X X .
        . X . X .
        """, "C1", "B", True),
    ("edge eye with one enemy diagonal is false", """
        . . . . .
        . . . . .
        . . . . .
        . O X X .
        . X . X .
        """, "C1", "B", False),
    ("corner eye, empty diagonal", """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
        """, "A1", "W", True),
    ("corner eye with the diagonal taken is false", """
        . . . . .
        . . . . .
        . . . . .
        O X . . .
        . O . . .
        """, "A1", "W", False),
    ("corner eye, own diagonal", """
        . . . . .
        . . . . .
        . . . . .
        O O . . .
        . O . . .
        """, "A1", "W", True),
]


@pytest.mark.parametrize("name, text, vertex, color, expected", EYES,
                         ids=[e[0] for e in EYES])
def test_is_eye(board_cls, name, text, vertex, color, expected):
    board = make(text, board_cls)
    assert board.is_eye(at(board, vertex), COLOR[color]) is expected


# ----------------------------------------------------------------------------- area, score
SEKI = """
    . X . X . .
    O X O X . .
    O O O X . .
    X X X X . .
    . . . . . .
    . . . . . .
    """


def test_seki_both_groups_live_and_shared_liberties_count_for_nobody(board_cls):
    board = make(SEKI, board_cls)
    a, b = at(board, "A6"), at(board, "C6")
    inner_black, white = at(board, "B6"), at(board, "A5")
    assert board.chain_liberties(inner_black) == [a, b]
    assert board.chain_liberties(white) == [a, b]
    # filling a shared liberty is legal for both, but it is self-atari
    for color in (BLACK, WHITE):
        trial = board.copy()
        trial.play(a, color)
        assert trial.liberties(a) == 1
    # area: black 9 stones + 20 empty points of its own; white 5 stones; a and b: nobody
    assert board.area() == (29, 5)
    assert board.score() == 24.0
    assert board.score(7.5) == 16.5


AREAS = [
    # (name, diagram, (black area, white area))
    ("empty board", """
        . . . . .
        . . . . .
        . . . . .
        . . . . .
        . . . . .
        """, (0, 0)),
    ("one black stone owns the board", """
        . . . . .
        . . . . .
        . . X . .
        . . . . .
        . . . . .
        """, (25, 0)),
    ("one stone each: all empty points are dame", """
        . . . . .
        . . . . .
        . X . O .
        . . . . .
        . . . . .
        """, (1, 1)),
    ("board split by two walls with a dame column", """
        . X . O .
        . X . O .
        . X . O .
        . X . O .
        . X . O .
        """, (10, 10)),
    ("walls touching: no dame", """
        . X O . .
        . X O . .
        . X O . .
        . X O . .
        . X O . .
        """, (10, 15)),
    ("white eye inside black's area counts for white", """
        . . . . .
        . . . . .
        . . . . X
        . . . X O
        . . X O .
        """, (22, 3)),
    ("2x2 board", """
        X .
        . X
        """, (4, 0)),
]


@pytest.mark.parametrize("name, text, expected", AREAS, ids=[a[0] for a in AREAS])
def test_tromp_taylor_area(board_cls, name, text, expected):
    board = make(text, board_cls)
    assert board.area() == expected
    assert board.score() == float(expected[0] - expected[1])
    assert board.score(komi=0.5) == expected[0] - expected[1] - 0.5


# ----------------------------------------------------------------------------- chains
CHAINS_TEXT = """
    X X . O .
    X . O O .
    . X O . X
    . X . O X
    O . . . X
    """


@pytest.mark.parametrize("vertex, chain, libs", [
    ("A5", ["A5", "B5", "A4"], ["C5", "B4", "A3"]),
    ("C4", ["D5", "C4", "D4", "C3"], ["C5", "E5", "B4", "E4", "D3", "C2"]),
    ("B3", ["B3", "B2"], ["B4", "A3", "A2", "C2", "B1"]),
    ("E3", ["E3", "E2", "E1"], ["E4", "D3", "D1"]),
    ("D2", ["D2"], ["D3", "C2", "D1"]),
    ("A1", ["A1"], ["A2", "B1"]),
    ("C2", [], []),
])
def test_chain_and_liberties(board_cls, vertex, chain, libs):
    board = make(CHAINS_TEXT, board_cls)

    def actions(vertices):
        return sorted(at(board, v) for v in vertices)

    assert board.chain(at(board, vertex)) == actions(chain)
    assert board.chain_liberties(at(board, vertex)) == actions(libs)
    assert board.liberties(at(board, vertex)) == len(libs)
    for stone in chain:  # every stone of a chain answers for the whole chain
        assert board.chain(at(board, stone)) == actions(chain)


def test_liberties_change_with_captures(board_cls):
    board = make(CHAINS_TEXT, board_cls)
    assert board.play(at(board, "A2"), BLACK) == 0  # white A1 in atari
    assert board.liberties(at(board, "A1")) == 1
    assert board.play(at(board, "B1"), BLACK) == 1
    assert board.color_at(at(board, "A1")) == EMPTY
    chain = ["B3", "B2", "A2", "B1"]
    assert board.chain(at(board, "B1")) == sorted(at(board, v) for v in chain)
    libs = ["B4", "A3", "C2", "A1", "C1"]
    assert board.chain_liberties(at(board, "A2")) == sorted(at(board, v) for v in libs)
    assert board.liberties(at(board, "B3")) == 5


def test_color_at(board_cls):
    board = make(CHAINS_TEXT, board_cls)
    assert board.color_at(at(board, "A5")) == BLACK
    assert board.color_at(at(board, "D5")) == WHITE
    assert board.color_at(at(board, "C5")) == EMPTY


# ----------------------------------------------------------------------------- legal_mask
def _positions(board_cls):
    yield make(CHAINS_TEXT, board_cls)
    yield make(SEKI, board_cls)
    yield _take_ko(board_cls)
    for case in SUICIDES:
        yield make(case.before, board_cls)


def test_legal_mask_agrees_with_is_legal(board_cls):
    for board in _positions(board_cls):
        n = board.size * board.size
        for color in (BLACK, WHITE):
            for allow_suicide in (False, True):
                mask = board.legal_mask(color, allow_suicide)
                assert mask.dtype == np.uint8 and mask.shape == (n + 1,)
                expected = [int(board.is_legal(a, color, allow_suicide)) for a in range(n + 1)]
                assert mask.tolist() == expected
                assert mask[n] == 1
                occupied = board.stones() != EMPTY
                assert not mask[:n][occupied].any()


# ----------------------------------------------------------------------------- errors
def test_off_board_and_occupied_errors(board_cls):
    board = board_cls(5)
    board.play(at(board, "C3"), BLACK)
    before = snapshot(board)
    for action in (-1, 26, 1000):
        assert not board.is_legal(action, BLACK)
        with pytest.raises(OffBoardError):
            board.play(action, BLACK)
    with pytest.raises(OccupiedError):
        board.play(at(board, "C3"), WHITE)
    with pytest.raises(OccupiedError):
        board.play(at(board, "C3"), BLACK, allow_suicide=True)
    assert not board.is_legal(at(board, "C3"), WHITE)
    assert snapshot(board) == before
    # the exception hierarchy of errors.py: every illegal move is an IllegalMoveError,
    # which is a ValueError
    for exc in (OffBoardError, OccupiedError, SuicideError, KoError):
        assert issubclass(exc, IllegalMoveError) and issubclass(exc, ValueError)


def test_point_queries_off_the_board(board_cls):
    board = make(CHAINS_TEXT, board_cls)
    for action in (-1, 26):
        for query in (board.color_at, board.liberties, board.chain, board.chain_liberties):
            with pytest.raises(OffBoardError):
                query(action)
        with pytest.raises(OffBoardError):
            board.is_eye(action, BLACK)
    assert board.is_eye(25, BLACK) is False  # pass is no eye
    with pytest.raises(OffBoardError):
        board.color_at(25)  # nor has it a colour


@pytest.mark.parametrize("color", [EMPTY, 3, -1])
def test_bad_colour_is_value_error(board_cls, color):
    board = board_cls(5)
    with pytest.raises(ValueError):
        board.play(0, color)
    for query in (board.is_legal, board.is_eye):
        with pytest.raises(ValueError):
            query(0, color)
    with pytest.raises(ValueError):
        board.legal_mask(color)
    assert board.num_empty == 25


def test_pass_is_always_legal(board_cls):
    board = _take_ko(board_cls)
    n = board.size * board.size
    for color in (BLACK, WHITE):
        assert board.is_legal(n, color)
    assert board.play(n, BLACK) == 0
    assert board.num_empty == n - 7


@pytest.mark.parametrize("size", [1, 26, 0, -3])
def test_bad_sizes(board_cls, size):
    with pytest.raises(ValueError):
        board_cls(size)


@pytest.mark.parametrize("size", [2, 3, 9, 13, 19, 25])
def test_good_sizes(board_cls, size):
    board = board_cls(size)
    n = size * size
    assert board.size == size
    assert board.num_empty == n and board.hash == 0
    assert board.stones().shape == (n,) and not board.stones().any()
    assert board.legal_mask(BLACK).tolist() == [1] * (n + 1)
    board.play(n - 1, WHITE)  # bottom-right corner
    board.play(0, BLACK)  # top-left corner
    assert board.area() == (1, 1)
    assert board.liberties(0) == 2 and board.liberties(n - 1) == 2


def test_size_is_read_only(board_cls):
    board = board_cls(9)
    with pytest.raises(AttributeError):
        board.size = 5


def test_2x2_board_game(board_cls):
    board = board_cls(2)
    assert board.play(0, BLACK) == 0
    assert board.play(3, WHITE) == 0
    assert board.play(1, BLACK) == 0  # white 3 in atari
    assert board.play(2, BLACK) == 1
    assert board.stones().tolist() == [1, 1, 1, 0]
    assert board.is_eye(3, BLACK)
    assert board.area() == (4, 0)
    assert board.play(3, WHITE) == 3  # fills black's last liberty: the whole board
    assert board.stones().tolist() == [0, 0, 0, 2]
    assert board.captures == (1, 3) and board.ko == -1


# ----------------------------------------------------------------------------- copy, pickle, str
def test_copy_is_independent(board_cls):
    board = _take_ko(board_cls)
    before = snapshot(board)
    clone = board.copy()
    assert type(clone) is type(board)
    assert snapshot(clone) == before
    clone.play(at(clone, "E5"), BLACK)
    clone.play(at(clone, "D4"), BLACK)  # fills a liberty of a white chain
    assert snapshot(board) == before
    assert board.ko == at(board, "C3")  # the original keeps its ko
    assert clone.ko == -1
    board.play(at(board, "A1"), WHITE)
    assert clone.color_at(at(clone, "A1")) == EMPTY


def test_pickle_round_trip(board_cls):
    board = _take_ko(board_cls)
    restored = pickle.loads(pickle.dumps(board))
    assert type(restored) is type(board)
    assert snapshot(restored) == snapshot(board)
    assert restored.size == board.size
    with pytest.raises(KoError):  # the ko ban survives pickling
        restored.play(at(restored, "C3"), BLACK)
    # and both go on identically
    for b in (board, restored):
        b.play(at(b, "E5"), BLACK)
        b.play(at(b, "E4"), WHITE)
        b.play(at(b, "C3"), BLACK)
    assert snapshot(restored) == snapshot(board)
    assert restored.chain_liberties(at(board, "C3")) == board.chain_liberties(at(board, "C3"))


def test_str(board_cls):
    board = make("""
        . . . . .
        . X O . .
        . X O . .
        . . . . .
        . . . . .
        """, board_cls)
    assert str(board) == "\n".join([
        "  A B C D E",
        "5 . . . . . 5",
        "4 . X O . . 4",
        "3 . X O . . 3",
        "2 . . . . . 2",
        "1 . . . . . 1",
        "  A B C D E",
    ])
    assert str(board) == diagram.render(board.stones(), board.size)


def test_str_marks_the_ko(board_cls):
    board = _take_ko(board_cls)
    assert str(board).splitlines()[3] == "3 X O * O . 3"
    assert str(board) == diagram.render(board.stones(), board.size, ko=board.ko)
    assert diagram.parse(str(board)) == (5, {a: int(c) for a, c in
                                             enumerate(board.stones()) if c})


def test_str_wide_board(board_cls):
    board = board_cls(19)
    board.play(from_gtp("D4", 19), BLACK)
    lines = str(board).splitlines()
    assert len(lines) == 21
    assert lines[0] == "   A B C D E F G H J K L M N O P Q R S T"
    assert lines[1].startswith("19 . ") and lines[1].endswith(" . 19")
    assert lines[16] == " 4 . . . X" + " ." * 15 + " 4"
