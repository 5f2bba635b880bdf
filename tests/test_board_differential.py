"""Differential tests: the Cython board against the reference board and sgfmill's board.

Seeded random games are played on ``goengine._board.Board`` (fast), on
``goengine.board_ref.Board`` (ref) and on ``sgfmill.boards.Board`` in lockstep. After every
move the fast and ref boards must agree on: the stones, the legality of every point for
both colours (with and without suicide allowed), the one-point eyes, the captures the move
returned and the running capture counts, the ko point and its colour, the chains and the
exact liberties of every chain, the Tromp-Taylor area and score, and the Zobrist hash,
which must also equal ``zobrist.position_hash(stones)`` recomputed from scratch. sgfmill
must agree on the stones, on the stones captured and on the simple-ko point its ``play``
returns, and its ``area_score`` on black minus white.

The games mix in what a random legal mover would rarely do: passes, arbitrary (often
illegal) actions, which both boards must refuse with the same exception or accept alike,
suicides (one game in four allows them), and continuing the game on a ``copy()`` or a
pickled-and-restored board.

About sgfmill (sgfmill/boards.py): its ``play`` enforces no ko rule and always accepts
suicide, removing the mover's chain, which is exactly what our ``allow_suicide=True``
does; it never sees a move our boards refuse, so every move is comparable. Its
``area_score`` counts an empty region touching both colours for both, which cancels in
black minus white, so only the difference is compared.

Game counts
-----------
The number of games comes from the environment variable ``GOENGINE_DIFF_GAMES``
(default 300: about 3/4 of them 9x9, the rest 5x5, 13x13 and 19x19). The full run,
2,000 games or more, is one command::

    GOENGINE_DIFF_GAMES=2000 pytest tests/test_board_differential.py

(on one core: about 45 s for the default 300 games, about 5 minutes for 2,000).

Each game is its own test, named ``<size>x<size>-game<i>``; a failure message lists the
moves played so far, so that a game can be replayed by hand.

The file also holds a transposition test (different move orders and different histories,
captures included, that reach one position give one hash) and tests of the Cython
``playout``: its final position is consistent and leaves neither colour a legal move
that does not fill its own eye.
"""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from sgfmill import boards as sgf_boards

from goengine import diagram, zobrist
from goengine.board_ref import Board as RefBoard
from goengine.coords import BLACK, EMPTY, WHITE, from_gtp, opponent, to_gtp
from goengine.errors import IllegalMoveError

GAMES = int(os.environ.get("GOENGINE_DIFF_GAMES", "300"))

# Board size of game i, cycling through 40 slots: 30 9x9, 6 5x5, 3 13x13, 1 19x19.
_SIZE_CYCLE = ([9, 9, 5, 9, 9, 9, 9, 13, 9, 9, 5, 9, 9, 9, 9, 9, 9, 5, 9, 19]
               + [9, 9, 5, 9, 9, 9, 9, 13, 9, 9, 5, 9, 9, 9, 9, 9, 13, 5, 9, 9])
# Moves per game (passes included); random play that fills its own eyes goes on for ever.
# The caps are long enough for the board to fill up and captures to become common.
MOVE_CAP = {5: 60, 9: 150, 13: 200, 19: 300}


def game_plan(i: int) -> tuple[int, int]:
    """(size, seed) of game ``i``."""
    return _SIZE_CYCLE[i % len(_SIZE_CYCLE)], 1000 + i


SGF_COLOR = {BLACK: "b", WHITE: "w"}


def sgf_rc(action: int, size: int) -> tuple[int, int]:
    """Our action -> sgfmill's (row, col), whose row 0 is the bottom row."""
    row, col = divmod(action, size)
    return size - 1 - row, col


def sgf_stones(board: sgf_boards.Board, size: int) -> np.ndarray:
    out = np.zeros(size * size, dtype=np.int8)
    for colour, (row, col) in board.list_occupied_points():
        out[(size - 1 - row) * size + col] = BLACK if colour == "b" else WHITE
    return out


# ----------------------------------------------------------------------------- comparison
def assert_same(fast, ref, sgf=None) -> dict:
    """Everything the API exposes, except ``playout``, agrees between fast and ref.
    Returns the legal masks, ``{(colour, allow_suicide): mask}``."""
    n = ref.size * ref.size
    stones = ref.stones()
    assert np.array_equal(fast.stones(), stones), "stones differ"
    assert fast.stones().dtype == np.int8
    h = zobrist.position_hash(stones)
    assert ref.hash == h, "reference hash differs from the recompute"
    assert fast.hash == h, "fast hash differs from the recompute"
    assert isinstance(fast.hash, int)
    assert (fast.ko, fast.ko_color) == (ref.ko, ref.ko_color), "ko differs"
    assert fast.captures == ref.captures, "capture counts differ"
    assert fast.num_empty == ref.num_empty == int((stones == EMPTY).sum())
    assert fast.area() == ref.area(), "area differs"
    assert fast.score(7.5) == ref.score(7.5)
    masks = {}
    for color in (BLACK, WHITE):
        for allow_suicide in (False, True):
            mask = masks[color, allow_suicide] = ref.legal_mask(color, allow_suicide)
            assert np.array_equal(fast.legal_mask(color, allow_suicide), mask), \
                f"legal_mask differs for colour {color}, allow_suicide={allow_suicide}"
    for a in range(n):
        if stones[a] == EMPTY:
            for color in (BLACK, WHITE):
                assert fast.is_eye(a, color) == ref.is_eye(a, color), f"is_eye({a}, {color})"
    seen: set[int] = set()
    for a in range(n):
        if stones[a] != EMPTY and a not in seen:
            chain = ref.chain(a)
            seen.update(chain)
            libs = ref.chain_liberties(a)
            assert libs, f"chain at {a} has no liberty"
            for s in chain:  # every stone answers for its whole chain
                assert fast.chain(s) == chain, f"chain({s}) differs"
                assert fast.liberties(s) == len(libs), f"liberties({s}) differs"
            assert fast.chain_liberties(a) == libs, f"chain_liberties({a}) differs"
    if sgf is not None:
        assert np.array_equal(sgf_stones(sgf, ref.size), stones), "sgfmill stones differ"
        black, white = ref.area()
        assert sgf.area_score() == black - white, "sgfmill area score differs"
    return masks


def _outcome(board, action, color, allow_suicide):
    """What ``play`` does: ('ok', captures) or ('error', exception class)."""
    try:
        return "ok", board.play(action, color, allow_suicide)
    except IllegalMoveError as exc:
        return "error", type(exc)


def describe(size: int, moves: list) -> str:
    return " ".join(f"{'BW'[c - 1]}{'!' if s else ''}:{to_gtp(a, size)}" for c, a, s in moves)


def play_random_game(size: int, seed: int) -> int:
    """One lockstep game; returns the number of moves played. Raises AssertionError with
    the move list on the first disagreement."""
    rng = np.random.default_rng(seed)
    allow_suicide = seed % 4 == 0
    n = size * size
    fast, ref, sgf = _fast_cls()(size), RefBoard(size), sgf_boards.Board(size)
    moves: list[tuple[int, int, bool]] = []  # (colour, action, allow_suicide)
    color, passes = BLACK, 0
    try:
        masks = assert_same(fast, ref, sgf)
        while len(moves) < MOVE_CAP[size] and passes < 2:
            before = ref.captures
            outcome = None
            roll = rng.random()
            if roll < 0.1:  # an arbitrary action, often illegal: both must say the same
                action = int(rng.integers(-2, n + 3))
                outcome = _outcome(ref, action, color, allow_suicide)
                assert _outcome(fast, action, color, allow_suicide) == outcome, \
                    f"play({action}, {color}, {allow_suicide}) differs"
                if outcome[0] == "error":
                    outcome = None  # refused by both: make a random legal move instead
            if outcome is None:
                if roll > 0.97:
                    action = n
                else:
                    legal = np.flatnonzero(masks[color, allow_suicide][:n])
                    action = int(rng.choice(legal)) if len(legal) else n
                captured = ref.play(action, color, allow_suicide)
                assert fast.play(action, color, allow_suicide) == captured, "captures differ"
            else:
                captured = outcome[1]
            moves.append((color, action, allow_suicide))
            if action == n:
                passes += 1
                assert captured == 0 and fast.ko == ref.ko == -1
            else:
                passes = 0
                sgf_ko = sgf.play(*sgf_rc(action, size), SGF_COLOR[color])
                _check_move(ref, sgf, sgf_ko, captured, action, color, before)
            color = opponent(color)
            masks = assert_same(fast, ref, sgf)
            if rng.random() < 0.02:  # go on with copies: the originals must not matter
                fast, ref, sgf = fast.copy(), ref.copy(), sgf.copy()
            elif rng.random() < 0.01:
                fast, ref = pickle.loads(pickle.dumps(fast)), pickle.loads(pickle.dumps(ref))
                assert_same(fast, ref, sgf)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{size}x{size} seed {seed} after {len(moves)} moves "
                             f"(! = suicide allowed): {describe(size, moves)}\n"
                             f"ref:\n{ref}\nfast:\n{fast}") from exc
    return len(moves)


def _check_move(ref, sgf, sgf_ko, captured, action, color, before):
    """After a stone: the position and ko against sgfmill, and the capture counts."""
    size = ref.size
    stones_sgf = sgf_stones(sgf, size)
    stones = ref.stones()
    assert np.array_equal(stones_sgf, stones), "sgfmill stones differ"
    expected_ko = -1 if sgf_ko is None else (size - 1 - sgf_ko[0]) * size + sgf_ko[1]
    assert ref.ko == expected_ko, "ko differs from sgfmill's simple-ko point"
    gained = tuple(x - y for x, y in zip(ref.captures, before))
    if ref.color_at(action) == EMPTY:  # a suicide: own chain removed, counted for the opponent
        assert captured == 0 and gained[color - 1] == 0 and gained[2 - color] > 0
    else:
        assert gained == ((captured, 0) if color == BLACK else (0, captured))


def _fast_cls():
    from goengine._board import Board
    return Board


def _game_id(i: int) -> str:
    size = game_plan(i)[0]
    return f"{size}x{size}-game{i}"


@pytest.mark.parametrize("i", range(GAMES), ids=_game_id)
def test_random_game(i):
    size, seed = game_plan(i)
    assert play_random_game(size, seed) > 0


# ----------------------------------------------------------------------------- transpositions
def board_from_stones(stones, size: int, board_cls, order=None):
    """Set a position up by placing its stones in ``order`` (default: by action).

    Placing the stones of a legal position in any order never captures: a chain that is
    still incomplete borders an empty point where the rest of it will go, and a complete
    one keeps every liberty it has in the end."""
    board = board_cls(size)
    points = [a for a in range(size * size) if stones[a] != EMPTY]
    for a in (points if order is None else order):
        assert board.play(int(a), int(stones[a])) == 0, "setting a position up captured"
    return board


def _random_position(size: int, seed: int, moves: int, board_cls):
    """The position after ``moves`` random legal moves (captures included)."""
    rng = np.random.default_rng(seed)
    board, color = board_cls(size), BLACK
    for _ in range(moves):
        legal = np.flatnonzero(board.legal_mask(color)[:-1])
        if len(legal):
            board.play(int(rng.choice(legal)), color)
        color = opponent(color)
    return board


def test_move_orders_transpose(board_cls):
    """B D4, W F6, B C3, W G7 and B C3, W G7, B D4, W F6 reach one position: one hash."""
    first, second = board_cls(9), board_cls(9)
    for vertex, color in [("D4", BLACK), ("F6", WHITE), ("C3", BLACK), ("G7", WHITE)]:
        first.play(from_gtp(vertex, 9), color)
    for vertex, color in [("C3", BLACK), ("G7", WHITE), ("D4", BLACK), ("F6", WHITE)]:
        second.play(from_gtp(vertex, 9), color)
    assert first.hash == second.hash == zobrist.position_hash(first.stones()) != 0
    # the colour matters: the same points with colours swapped are another position
    third = board_cls(9)
    for vertex, color in [("D4", WHITE), ("F6", BLACK), ("C3", WHITE), ("G7", BLACK)]:
        third.play(from_gtp(vertex, 9), color)
    assert third.hash != first.hash


def test_capture_returns_to_the_earlier_hash(board_cls):
    """A stone played and captured leaves the hash of the position without it; a pass
    changes nothing."""
    board = diagram.board_from("""
        . X . . .
        X O X . .
        . . . . .
        . . . . .
        . . . . .
        """, board_cls)
    without = diagram.board_from("""
        . X . . .
        X . X . .
        . X . . .
        . . . . .
        . . . . .
        """, board_cls)
    board.play(board.size ** 2, WHITE)
    assert board.play(from_gtp("B3", 5), BLACK) == 1
    assert board.hash == without.hash == zobrist.position_hash(without.stones())


@pytest.mark.parametrize("size, seed, moves", [(5, 1, 40), (9, 2, 120), (9, 3, 200),
                                               (13, 4, 250), (19, 5, 500)])
def test_random_histories_transpose(board_cls, size, seed, moves):
    """A position reached by a long random game, captures included, hashes like the same
    stones placed directly in any order, on either board class."""
    game = _random_position(size, seed, moves, board_cls)
    stones = game.stones()
    assert game.captures[0] + game.captures[1] > 0 or size == 5
    rng = np.random.default_rng(seed)
    points = np.flatnonzero(stones)
    for cls in (RefBoard, _fast_cls()):
        for _ in range(3):
            placed = board_from_stones(stones, size, cls, order=rng.permutation(points))
            assert np.array_equal(placed.stones(), stones)
            assert placed.hash == game.hash == zobrist.position_hash(stones)


# ----------------------------------------------------------------------------- playouts
def _candidates(board, color) -> list[int]:
    """Moves a playout may choose: legal, not a pass, not filling the mover's own eye."""
    return [a for a in range(board.size ** 2)
            if board.is_legal(a, color) and not board.is_eye(a, color)]


def check_playout_end(board, start, color: int, played: int, max_moves: int) -> None:
    """Invariants of a finished playout of ``played`` moves from position ``start``
    (a copy taken before it) with ``color`` to move first."""
    size, n = board.size, board.size ** 2
    stones = board.stones()
    assert 0 < played <= max_moves
    # the position is consistent: rebuilding it from its stones captures nothing (so every
    # chain has a liberty), and the reference board agrees on everything
    ref = board_from_stones(stones, size, RefBoard)
    assert board.hash == ref.hash == zobrist.position_hash(stones)
    assert board.num_empty == ref.num_empty
    assert board.area() == ref.area()
    for a in np.flatnonzero(stones):
        assert board.liberties(int(a)) == ref.liberties(int(a)) >= 1
    black, white = board.area()
    assert black >= np.count_nonzero(stones == BLACK)
    assert white >= np.count_nonzero(stones == WHITE)
    assert black + white <= n
    sgf = sgf_boards.Board(size)
    assert sgf.apply_setup([sgf_rc(a, size) for a in np.flatnonzero(stones == BLACK)],
                           [sgf_rc(a, size) for a in np.flatnonzero(stones == WHITE)], [])
    assert sgf.area_score() == black - white
    assert board.score(0.5) == black - white - 0.5
    # every stone placed is on the board or was captured (no suicide in playouts)
    placed = (int(np.count_nonzero(stones)) - int(np.count_nonzero(start.stones()))
              + sum(board.captures) - sum(start.captures))
    passes = played - placed
    assert passes >= 0
    if played < max_moves:  # it stopped on two passes in a row
        assert passes >= 2 and board.ko == -1
        last = color if played % 2 == 1 else opponent(color)
        assert _candidates(board, last) == [], "the last to pass had a move"
        # the first to pass had none either, except perhaps the retake of a ko that was
        # forbidden to it then and is not now (the second pass lifted the ban)
        other = _candidates(board, opponent(last))
        assert len(other) <= 1, "the first to pass had moves"
        for a in other:
            trial = board.copy()
            assert trial.play(a, opponent(last)) == 1 and trial.ko != -1
    else:
        assert played == max_moves


@pytest.mark.parametrize("size", [2, 3, 5, 9, 13, 19, 25])
@pytest.mark.parametrize("seed", range(8))
def test_cython_playout_from_empty(size, seed):
    board = _fast_cls()(size)
    start = board.copy()
    color = BLACK if seed % 2 == 0 else WHITE
    played = board.playout(color, rng=seed)
    check_playout_end(board, start, color, played, 3 * size * size)
    assert start.num_empty == size * size  # playout works in place, copies stay apart


@pytest.mark.parametrize("size, moves", [(5, 10), (9, 40), (9, 100), (13, 150), (19, 300)])
@pytest.mark.parametrize("seed", range(6))
def test_cython_playout_from_random_positions(size, moves, seed):
    board = _random_position(size, seed, moves, _fast_cls())
    start = board.copy()
    played = board.playout(WHITE, rng=np.random.default_rng(seed), max_moves=2 * size * size)
    check_playout_end(board, start, WHITE, played, 2 * size * size)


@pytest.mark.parametrize("seed", range(4))
def test_reference_playout(seed):
    board = _random_position(5, seed, 8, RefBoard)
    start = board.copy()
    played = board.playout(BLACK, rng=seed)
    check_playout_end(board, start, BLACK, played, 75)


def test_cython_playout_max_moves_and_seeds():
    fast_cls = _fast_cls()
    board = fast_cls(9)
    assert board.playout(BLACK, rng=1, max_moves=5) == 5
    assert int(np.count_nonzero(board.stones())) == 5  # five stones, no captures yet
    assert fast_cls(9).playout(BLACK, rng=1, max_moves=0) == 0
    # the same seed gives the same game; a Generator or None is accepted
    a, b = fast_cls(9), fast_cls(9)
    assert a.playout(BLACK, rng=7) == b.playout(BLACK, rng=7)
    assert np.array_equal(a.stones(), b.stones()) and a.hash == b.hash
    a.copy().playout(WHITE, rng=np.random.default_rng(3))
    a.copy().playout(WHITE)


def _first_move(board, color: int, seed: int) -> int:
    """The move a one-move playout of a copy of ``board`` plays (``N*N`` for a pass)."""
    trial = board.copy()
    assert trial.playout(color, rng=seed, max_moves=1) == 1
    new = np.flatnonzero((board.stones() == EMPTY) & (trial.stones() == color))
    assert len(new) <= 1
    return int(new[0]) if len(new) else board.size ** 2


def _ko_eye_and_suicide_position(board_cls):
    """Black may not retake the ko at C3, would commit suicide at E5 and fill its own
    eye at A1: three empty points that a black playout must never choose."""
    board = diagram.board_from("""
        . . . O .
        . X O . O
        X . X O .
        X X O . .
        . X . . .
        """, board_cls)
    assert board.play(from_gtp("B3", 5), WHITE) == 1
    return board


@pytest.mark.parametrize("position", ["empty", "midgame", "ko, eye and suicide"])
def test_cython_playout_chooses_uniformly_among_candidates(position):
    """Over 3,000 seeds the first move of a playout is spread evenly over the legal moves
    that fill no own eye, and is never anything else (chi-square, p < 0.001 to fail)."""
    fast_cls = _fast_cls()
    if position == "empty":
        board = fast_cls(5)
    elif position == "midgame":
        board = _random_position(5, 11, 8, fast_cls)
    else:
        board = _ko_eye_and_suicide_position(fast_cls)
        assert not {from_gtp(v, 5) for v in ("C3", "E5", "A1")} & set(_candidates(board, BLACK))
    candidates = _candidates(board, BLACK)
    assert candidates
    counts = np.zeros(26, dtype=int)
    trials = 3000
    for seed in range(trials):
        counts[_first_move(board, BLACK, seed)] += 1
    assert set(np.flatnonzero(counts)) <= set(candidates)
    expected = trials / len(candidates)
    chi2 = float(((counts[candidates] - expected) ** 2 / expected).sum())
    # 0.999 quantile of chi-square with k - 1 degrees of freedom, Wilson-Hilferty approximation
    k = len(candidates) - 1
    limit = k * (1 - 2 / (9 * k) + 3.09 * (2 / (9 * k)) ** 0.5) ** 3
    assert chi2 < limit, (chi2, limit, counts)


def test_cython_playout_passes_without_candidates():
    board = diagram.board_from("""
        . X . X .
        X X X X X
        . X . X .
        X X X X X
        . X . X .
        """, _fast_cls())
    assert _candidates(board, BLACK) == []  # only eyes left for black
    assert _first_move(board, BLACK, 0) == 25
    trial = board.copy()
    assert trial.playout(WHITE, rng=0) == 2  # white's only points are suicides: two passes
    assert np.array_equal(trial.stones(), board.stones()) and trial.captures == (0, 0)


def test_cython_and_reference_playouts_agree_in_distribution():
    """Same rules, different random streams: 400 playouts each on 5x5 from the empty board
    must agree on the mean length and the mean score within 4 standard errors."""
    fast_cls = _fast_cls()
    stats = {}
    for cls in (fast_cls, RefBoard):
        lengths, scores = [], []
        for seed in range(400):
            board = cls(5)
            lengths.append(board.playout(BLACK, rng=seed))
            scores.append(board.score())
        stats[cls] = (np.array(lengths, float), np.array(scores, float))
    for i in (0, 1):
        a, b = stats[fast_cls][i], stats[RefBoard][i]
        se = (a.var() / len(a) + b.var() / len(b)) ** 0.5
        assert abs(a.mean() - b.mean()) < 4 * se, (i, a.mean(), b.mean(), se)
