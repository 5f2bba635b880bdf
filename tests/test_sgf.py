"""GameRecord <-> SGF: round trips, handicap, passes, results, names, and bad files."""
from __future__ import annotations

import os

import numpy as np
import pytest

from goengine.coords import BLACK, WHITE, from_gtp, from_sgf
from goengine.errors import SGFError
from goengine.game import GameState, Rules
from goengine.sgf import (
    GameRecord,
    parse_sgf,
    read_sgf,
    rules_from_text,
    rules_to_text,
    to_sgf_bytes,
    write_sgf,
)


def random_game(board_cls, size=9, seed=0, handicap=0, rules=None):
    rng = np.random.default_rng(seed)
    game = GameState(size, rules or Rules(komi=6.5), board_cls=board_cls)
    if handicap:
        game.place_fixed_handicap(handicap)
    while not game.is_over():
        points = [int(a) for a in np.flatnonzero(game.legal_mask()[:-1])
                  if not game.board.is_eye(int(a), game.to_play)]
        if points and game.move_number < 200:
            game.play(int(rng.choice(points)))
        else:
            game.play(size * size)
    return game


def test_round_trip_file(tmp_path):
    record = GameRecord(
        size=9, komi=7.5, setup_black=[20, 60], moves=[(WHITE, 40), (BLACK, 81), (WHITE, 81)],
        result="W+12.5", black_name="Black Player", white_name="Wéiqí [bot]",
        rules="Chinese", date="2024-05-01", comment="a game\nwith ] and \\ in it",
        move_comments={1: "tengen", 3: "the end"})
    path = write_sgf(record, tmp_path / "game.sgf")
    assert path == tmp_path / "game.sgf"
    assert os.listdir(tmp_path) == ["game.sgf"]  # no temporary file left behind
    assert read_sgf(path) == record
    assert read_sgf(str(path)) == record
    assert read_sgf(path.read_bytes()) == record
    text = path.read_bytes()
    assert b"HA[2]" in text and b"AB[cc][gg]" in text and b"RE[W+12.5]" in text


def test_write_replaces_atomically(tmp_path):
    path = tmp_path / "g.sgf"
    write_sgf(GameRecord(size=9, result="B+R"), path)
    write_sgf(GameRecord(size=13, result="W+R"), path)
    assert read_sgf(path).size == 13 and read_sgf(path).result == "W+R"
    assert sorted(os.listdir(tmp_path)) == ["g.sgf"]


@pytest.mark.parametrize("seed,handicap", [(1, 0), (2, 3), (3, 9)])
def test_round_trip_through_a_game(board_cls, seed, handicap, tmp_path):
    game = random_game(board_cls, 9, seed, handicap)
    record = GameRecord.from_game(game, black_name="b", white_name="w")
    assert record.result == game.result()
    assert record.handicap == handicap
    path = write_sgf(record, tmp_path / "r.sgf")
    back = read_sgf(path)
    assert back == record
    replay = back.to_game(board_cls=board_cls)
    assert replay.history == game.history and replay.handicap == game.handicap
    assert np.array_equal(replay.board.stones(), game.board.stones())
    assert replay.result() == game.result() and replay.is_over()
    assert replay.rules == game.rules


def test_passes_and_resignation_replay(board_cls):
    game = GameState(9, Rules(komi=0.5), board_cls=board_cls)
    game.play(40)
    game.play(81)
    game.resign()  # black, to move, resigns
    record = GameRecord.from_game(game)
    assert record.moves == [(BLACK, 40), (WHITE, 81)] and record.result == "W+R"
    back = parse_sgf(to_sgf_bytes(record))
    replay = back.to_game(board_cls=board_cls)
    assert replay.is_over() and replay.result() == "W+R" and replay.consecutive_passes == 1


def test_reads_hand_written_sgf_with_variations():
    text = ("(;GM[1]FF[4]SZ[9]KM[5.5]HA[2]AB[gc][cg]PB[Alice]PW[Bob]RE[W+3.5]"
            "RU[Japanese]DT[2020-01-01]GC[club game]"
            ";W[ee]C[center];B[]"
            "(;W[dd];B[tt])"
            "(;W[aa]))")
    record = parse_sgf(text)
    assert record.size == 9 and record.komi == 5.5
    assert record.setup_black == sorted([from_sgf("gc", 9), from_sgf("cg", 9)])
    assert record.moves == [(WHITE, 40), (BLACK, 81), (WHITE, from_sgf("dd", 9)), (BLACK, 81)]
    assert (record.black_name, record.white_name, record.result) == ("Alice", "Bob", "W+3.5")
    assert record.rules == "Japanese" and record.date == "2020-01-01"
    assert record.comment == "club game" and record.move_comments == {1: "center"}
    assert record.to_game().rules == Rules(komi=5.5, superko="simple")


def test_malformed_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.sgf"
    bad.write_bytes(b"(;GM[1]SZ[9];B[ee];W[")
    with pytest.raises(SGFError, match="broken.sgf"):
        read_sgf(bad)
    with pytest.raises(SGFError, match="no SGF data"):
        parse_sgf(b"hello")
    with pytest.raises(SGFError, match="size"):
        parse_sgf(b"(;SZ[30])")
    with pytest.raises(SGFError, match="size"):
        parse_sgf(b"(;SZ[1])")
    with pytest.raises(SGFError, match="Go"):
        parse_sgf(b"(;GM[3]SZ[8])")
    with pytest.raises(SGFError, match="move 2"):
        parse_sgf(b"(;SZ[9];B[ee];W[zz])")
    with pytest.raises(SGFError, match="KM"):
        parse_sgf(b"(;SZ[9]KM[lots])")
    with pytest.raises(SGFError, match="missing.sgf"):
        read_sgf(tmp_path / "missing.sgf")
    assert issubclass(SGFError, ValueError)


def test_illegal_move_names_the_move_number(tmp_path, board_cls):
    path = tmp_path / "illegal.sgf"
    path.write_bytes(b"(;GM[1]FF[4]SZ[9];B[ee];W[dd];B[ee])")
    record = read_sgf(path)
    with pytest.raises(SGFError, match=r"illegal\.sgf.*move 3 \(black E5\).*occupied"):
        record.to_game(board_cls=board_cls)  # the record remembers its file
    after_end = parse_sgf(b"(;SZ[9];B[];W[];B[ee])")
    with pytest.raises(SGFError, match="move 3"):
        after_end.to_game(board_cls=board_cls)
    ko = parse_sgf(b"(;SZ[5]AB[ba][ab][bc]AW[ca][bb][db][cc];B[cb];W[bb])")
    with pytest.raises(SGFError, match="move 2 .*ko"):
        ko.to_game(board_cls=board_cls)


def test_text_without_ca_keeps_its_characters(tmp_path):
    # Issue 30, item 3: str input and UTF-8 bytes without CA were read as Latin-1 ("MÃ¼ller").
    text = "(;GM[1]SZ[9]PB[Müller]PW[李昌镐]C[très bien];B[ee])"
    for data in (text, text.encode("utf-8")):
        record = parse_sgf(data)
        assert (record.black_name, record.white_name, record.comment) == \
            ("Müller", "李昌镐", "très bien")
    # Bytes that are not UTF-8, without CA: Latin-1, SGF's default.
    assert parse_sgf("(;SZ[9]PB[Müller])".encode("latin-1")).black_name == "Müller"
    # A CA property is obeyed for bytes; a str is text already whatever its CA says.
    latin = "(;CA[ISO-8859-1]SZ[9]PB[Müller])"
    assert parse_sgf(latin.encode("latin-1")).black_name == "Müller"
    assert parse_sgf(latin).black_name == "Müller"
    # Written back as UTF-8 under CA[UTF-8], the name is the same.
    path = tmp_path / "m.sgf"
    path.write_bytes(text.encode("utf-8"))
    out = to_sgf_bytes(read_sgf(path))
    assert b"CA[UTF-8]" in out and "PB[Müller]".encode("utf-8") in out
    assert read_sgf(out).black_name == "Müller"


@pytest.mark.parametrize("data, reason", [
    ("(;GM[1]SZ[9];B[zz])", r"node 1 \(move 1\): B\[zz\] is off the 9x9 board"),
    ("(;GM[1]SZ[9]AB[zz])", r"root node .*: AB\[zz\] is off the 9x9 board"),
    ("(;SZ[9];B[ee];W[jj])", r"move 2\): W\[jj\] is off the 9x9 board"),
    ("(;SZ[9]AW[aa:jj])", r"AW\[aa:jj\] is off the 9x9 board"),
    ("(;SZ[9]AB[ca:aa])", r"AB\[ca:aa\] is not a rectangle"),
    ("(;SZ[9];B[EE])", r"B\[EE\] is not a point"),
    ("(;SZ[19]AB[tt])", r"AB\[tt\] is off the 19x19 board"),
])
def test_a_bad_point_error_states_the_reason(data, reason):
    # Issue 30, item 4: the message ended with the colon, sgfmill's ValueError being empty.
    with pytest.raises(SGFError, match=reason):
        parse_sgf(data)


def test_a_lone_surrogate_is_an_sgf_error():
    # Issue 30, item 4: a str that cannot be encoded raised UnicodeEncodeError.
    with pytest.raises(SGFError, match=r"<string>: not valid Unicode.*character 20"):
        parse_sgf("(;GM[1]SZ[9];B[ee]C[\ud800])")


def test_setup_after_moves_is_refused():
    with pytest.raises(SGFError, match="setup"):
        parse_sgf(b"(;SZ[9];B[ee];AB[aa])")


def test_rules_text():
    for rules in (Rules(), Rules(superko="situational"), Rules(superko="situational",
                  suicide=True), Rules(suicide=True), Rules(superko="simple"),
                  Rules(superko="simple", suicide=True)):
        assert rules_from_text(rules_to_text(rules), rules.komi) == rules
    assert rules_from_text(None, 6.5) == Rules(komi=6.5)
    assert rules_from_text("NZ").suicide and rules_from_text("tromp-taylor").suicide
    assert rules_from_text("Korean").superko == "simple"


def test_big_board_pass(board_cls):
    game = GameState(21, Rules(), board_cls=board_cls)
    game.play(from_gtp("K10", 21))
    game.play(21 * 21)
    data = to_sgf_bytes(GameRecord.from_game(game))
    assert b"W[]" in data
    assert parse_sgf(data).moves == [(BLACK, from_gtp("K10", 21)), (WHITE, 441)]


def test_atomic_write_via_a_file_name_keeps_the_old_file_on_failure(tmp_path):
    from goengine.fileio import atomic_write_via
    path = tmp_path / "curve.csv"
    atomic_write_via(path, lambda tmp: open(tmp, "w").write("a,b\n"))
    assert path.read_text() == "a,b\n" and (path.stat().st_mode & 0o777) == 0o644

    def broken(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write_via(path, broken)
    assert path.read_text() == "a,b\n" and sorted(os.listdir(tmp_path)) == ["curve.csv"]
    with pytest.raises(FileNotFoundError):  # a missing folder stays an error ...
        atomic_write_via(tmp_path / "no" / "x.csv", lambda tmp: None)
    atomic_write_via(tmp_path / "made" / "x.csv", lambda tmp: None, make_parents=True)  # ... unless asked
    assert (tmp_path / "made" / "x.csv").exists()


def test_keep_csv_rows_drops_rows_after_a_resume_point_and_torn_lines(tmp_path):
    from goengine.fileio import keep_csv_rows
    path = tmp_path / "log.csv"
    path.write_text("step,loss\n100,1.5\n200,1.2\n300,1.1\n30")  # the last row torn by a kill
    keep_csv_rows(path, lambda row: len(row) == 2 and int(row[0]) <= 200)
    assert path.read_text() == "step,loss\n100,1.5\n200,1.2\n"
    assert sorted(os.listdir(tmp_path)) == ["log.csv"]  # no temporary left behind
    keep_csv_rows(tmp_path / "missing.csv", lambda row: True)
    assert not (tmp_path / "missing.csv").exists()
    (tmp_path / "empty.csv").write_text("")
    keep_csv_rows(tmp_path / "empty.csv", lambda row: True)
    assert not (tmp_path / "empty.csv").exists()
