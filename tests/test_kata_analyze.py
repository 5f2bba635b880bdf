"""KataGo's analysis through GTP (issue 32): kata-analyze and kata-genmove_analyze read by a
strict reader written from KataGo's docs/GTP_Extensions.md (fields in order, types, ranges,
N*N ownership values from the top-left), with the network's ownership (a random pooled 9x9
ZeroNet) and the playout judge's (pure MCTS on 19x19); avoid and allow; pondering, measured
to stop within 0.2 s of the next command; the search limits GUIs set (kata-set-param,
lz-setoption); and the commands listed only for agents with a search.
"""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from goengine.coords import BLACK, WHITE, from_gtp, to_gtp
from gtp.avoid import MoveFilter, parse_vertices
from gtp.commands_kata import KATA_COMMANDS, UNLIMITED_VISITS
from gtp.handlers import GoEngine
from gtp.players import PlayerOptions
from test_gtp_engine import board_vertex, read_pv

ROOT = Path(__file__).resolve().parents[1]
_FLOAT = re.compile(r"-?\d+\.\d+")
KATA_FIELDS = ["visits", "winrate", "scoreMean", "scoreLead", "prior", "lcb", "order"]


# ----------------------------------------------------------------------------- the reader
def parse_kata_line(line: str, size: int, ownership: bool = False) -> tuple[list[dict], list | None]:
    """A strict reader of one kata-analyze line (KataGo docs/GTP_Extensions.md): ``info move
    V visits N winrate W scoreMean S scoreLead S prior P lcb L order O pv V ...`` repeated,
    then with ``ownership`` the word ``ownership`` and exactly N*N floats in [-1, 1] ending
    the line. Single spaces; winrate, prior and lcb floats in [0, 1] written with a decimal
    point (Sabaki reads a point-less winrate as Leela Zero's 1/10000); scores floats, the
    scoreMean equal to the scoreLead (KataGo: "same as scoreLead"); orders 0, 1, ...; visits
    not increasing; every pv on the board and starting with its move. AssertionError else."""
    assert line == line.strip() and "  " not in line, repr(line)
    tokens = line.split(" ")

    def vertex(token: str) -> str:
        return board_vertex(token, size)

    def real(token: str, key: str) -> float:
        assert _FLOAT.fullmatch(token), f"{key} {token!r} is not a float with a decimal point"
        return float(token)

    moves, i = [], 0
    while i < len(tokens) and tokens[i] != "ownership":
        assert tokens[i:i + 2] == ["info", "move"], f"expected 'info move' at token {i}"
        entry = {"move": vertex(tokens[i + 2])}
        i += 3
        for key in KATA_FIELDS:
            assert tokens[i] == key, f"expected {key!r} at token {i}, got {tokens[i]!r}"
            value = tokens[i + 1]
            if key in ("visits", "order"):
                assert value.isdigit(), f"{key} {value!r} is not an integer"
                entry[key] = int(value)
            else:
                entry[key] = real(value, key)
            i += 2
        entry["pv"], i = read_pv(tokens, i, size, entry["move"], ("info", "ownership"))
        assert entry["visits"] >= 1
        for key in ("winrate", "prior", "lcb"):
            assert 0.0 <= entry[key] <= 1.0, f"{key} {entry[key]} out of [0, 1]"
        assert entry["lcb"] <= entry["winrate"]
        assert entry["scoreMean"] == entry["scoreLead"]
        assert abs(entry["scoreLead"]) <= size * size + 100
        assert entry["order"] == len(moves)
        if moves:
            assert entry["visits"] <= moves[-1]["visits"]
        moves.append(entry)
    assert moves, "a line without moves"
    assert len({m["move"] for m in moves}) == len(moves), "a move listed twice"
    owned = None
    if ownership:
        assert i < len(tokens) and tokens[i] == "ownership", "no ownership at the end"
        values = tokens[i + 1:]
        assert len(values) == size * size, f"{len(values)} ownership values, not {size * size}"
        owned = [real(v, "ownership") for v in values]
        assert all(-1.0 <= v <= 1.0 for v in owned)
    else:
        assert i == len(tokens), "an ownership field nobody asked for"
    return moves, owned


GOOD = ("info move D4 visits 10 winrate 0.500000 scoreMean 1.50 scoreLead 1.50 prior 0.100000 "
        "lcb 0.400000 order 0 pv D4 C3")


def test_the_strict_kata_reader_rejects_malformed_lines():
    assert parse_kata_line(GOOD, 9)[0][0]["pv"] == ["D4", "C3"]
    own = " ownership " + " ".join(["0.5000"] * 81)
    assert parse_kata_line(GOOD + own, 9, ownership=True)[1] == [0.5] * 81
    for bad in [GOOD + " ", GOOD.replace("winrate 0.500000", "winrate 5000"),
                GOOD.replace("winrate 0.500000", "winrate 1"),
                GOOD.replace("scoreLead 1.50", "scoreLead 2.50"),
                GOOD.replace("prior 0.100000", "prior 1.100000"),
                GOOD.replace("lcb 0.400000", "lcb 0.600000"),
                GOOD.replace(" scoreMean 1.50", ""), GOOD.replace("order 0", "order 1"),
                GOOD.replace("pv D4 C3", "pv C3"), GOOD.replace("C3", "K3"),
                GOOD.replace("visits 10 winrate 0.500000", "winrate 0.500000 visits 10")]:
        with pytest.raises(AssertionError):
            parse_kata_line(bad, 9)
    with pytest.raises(AssertionError):
        parse_kata_line(GOOD + own, 9)  # ownership not asked for
    with pytest.raises(AssertionError):
        parse_kata_line(GOOD, 9, ownership=True)
    with pytest.raises(AssertionError):
        parse_kata_line(GOOD + own + " 0.5000", 9, ownership=True)  # 82 values
    with pytest.raises(AssertionError):
        parse_kata_line(GOOD + own.replace("0.5000", "1.5000", 1), 9, ownership=True)


# ----------------------------------------------------------------------------- serving
class Served:
    """An engine served by ``run`` on a thread, as a GUI drives it: commands go down a pipe,
    reply lines come back with the time they were written."""

    def __init__(self, engine):
        self.engine = engine
        read_fd, self._write_fd = os.pipe()
        self._stdin = os.fdopen(read_fd, "rb", buffering=0)
        self.lines: queue.Queue = queue.Queue()
        self._pending = ""
        self.thread = threading.Thread(target=engine.run, args=(self._stdin, self), daemon=True)
        self.thread.start()

    # the engine's stdout
    def write(self, text: str) -> None:
        self._pending += text
        *done, self._pending = self._pending.split("\n")
        now = time.monotonic()
        for line in done:
            self.lines.put((now, line))

    def flush(self) -> None:
        pass

    def send(self, command: str) -> float:
        os.write(self._write_fd, command.encode() + b"\n")
        return time.monotonic()

    def line(self, timeout: float = 60) -> tuple[float, str]:
        return self.lines.get(timeout=timeout)

    def reply(self, timeout: float = 60) -> tuple[float, list[str]]:
        """(time of the closing empty line, the reply's lines)."""
        out = []
        while True:
            at, line = self.line(timeout)
            if line == "":
                return at, out
            out.append(line)

    def ask(self, command: str) -> list[str]:
        self.send(command)
        return self.reply()[1]

    def close(self) -> None:
        self.send("quit")
        self.reply()
        os.close(self._write_fd)
        self.thread.join(timeout=30)
        self._stdin.close()


def _stream(served: Served, command: str, size: int, ownership: bool, count: int = 2):
    """Start ``command``, read ``count`` report lines, stop it with ``name``; returns the
    parsed reports (and checks the stream ended, then ``name`` was answered)."""
    served.send(command)
    assert served.line()[1] == "="
    reports = [parse_kata_line(served.line()[1], size, ownership) for _ in range(count)]
    served.send("name")
    rest = served.reply()[1]
    reports += [parse_kata_line(line, size, ownership) for line in rest]
    assert served.reply()[1] == ["= goengine"]
    return reports


# ----------------------------------------------------------------------------- kata-analyze
def _pass_alive_corners(size: int) -> list[str]:
    """play commands: a pass-alive black group in the top-left corner (eyes A19, C19 on
    19x19) and a white one in the bottom-right (eyes T1, R1); black to move after them."""
    n = size
    col = "ABCDEFGHJKLMNOPQRST"
    black = [f"B{n}", f"D{n}", f"A{n - 1}", f"B{n - 1}", f"C{n - 1}", f"D{n - 1}"]
    r, s, t, q = col[n - 3], col[n - 2], col[n - 1], col[n - 4]
    white = [f"{s}1", f"{q}1", f"{t}2", f"{s}2", f"{r}2", f"{q}2"]
    return [cmd for b, w in zip(black, white) for cmd in (f"play b {b}", f"play w {w}")]


def test_kata_analyze_19x19_without_a_network_shows_the_judges_ownership_from_the_top_left():
    """--agent mcts has no network: the ownership is the dead-stone judge's, whose Benson step
    sets pass-alive groups and their eyes to exactly their owner; so the first value (A19)
    is +1 and the last (T1) -1 for Black to move, and the signs turn for White to move."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "gtp", "--agent", "mcts", "--size", "19",
                             "--seed", "1", "--quiet"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l.decode().rstrip("\n")) for l in proc.stdout],
                     daemon=True).start()

    def send(text):
        proc.stdin.write(text.encode() + b"\n")
        proc.stdin.flush()

    def reply():
        out = []
        while (line := lines.get(timeout=60)) != "":
            out.append(line)
        return out

    try:
        for cmd in _pass_alive_corners(19):
            send(cmd)
            assert reply() == ["= "]
        eye_black, eye_white = from_gtp("A19", 19), from_gtp("T1", 19)
        assert (eye_black, eye_white) == (0, 360)  # goengine's order is KataGo's
        for color, sign in (("b", 1.0), ("w", -1.0)):
            send(f"kata-analyze {color} 10 ownership true")
            assert lines.get(timeout=60) == "="
            first = lines.get(timeout=60)
            moves, own = parse_kata_line(first, 19, ownership=True)
            send("name")
            rest = reply()
            assert reply() == ["= goengine"]
            for line in rest:
                later, own = parse_kata_line(line, 19, ownership=True)
                assert len({m["scoreLead"] for m in later}) == 1  # the judge: one score a line
            assert own[eye_black] == sign and own[eye_white] == -sign
            assert own[from_gtp("B18", 19)] == sign and own[from_gtp("S2", 19)] == -sign
            assert "A19" not in [m["move"] for m in moves]  # an eye: not a searched move
        send("quit")
        assert reply() == ["= "]
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
        proc.stdout.close()


@pytest.fixture(scope="module")
def pooled_weights(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from goengine.models import save, zero_config
    from goengine.models.nets import ZeroNet
    torch.manual_seed(7)
    path = tmp_path_factory.mktemp("pooled") / "pooled.pt"
    save(ZeroNet(zero_config("tiny-pooled")), path)
    return str(path)


@pytest.fixture(scope="module")
def zero_engine(pooled_weights):
    engine = GoEngine("zero", PlayerOptions(seed=1, visits=64, weights=pooled_weights,
                                            backend="torch"))
    assert engine.agent.ownership is not None
    return engine


def test_kata_analyze_9x9_with_a_pooled_network_shows_its_ownership_and_scores(zero_engine):
    from goengine.models import network_ownership
    from goengine.models import load
    engine = zero_engine
    model = load(engine.agent.weights, kind="zero")
    served = Served(engine)
    try:
        served.ask("clear_board")
        served.ask("play b E5")
        reports = _stream(served, "kata-analyze 5 ownership true", 9, True)
        game = engine.game.copy()  # white to move: everything from White's view
        own, score = network_ownership(model, game)
        moves, owned = reports[-1]
        np.testing.assert_allclose(owned, -own, atol=6e-5)  # 4 decimals
        best = moves[0]
        child = game.copy()
        child.play(from_gtp(best["move"], 9))
        assert best["scoreLead"] == pytest.approx(-network_ownership(model, child)[1], abs=0.006)
        # genmove with analysis: KataGo lines while it thinks, then the move played
        served.send("kata-genmove_analyze w 1 ownership true")
        assert served.line()[1] == "="
        _, lines = served.reply()
        assert lines[-1].startswith("play ")
        for line in lines[:-1]:
            parse_kata_line(line, 9, ownership=True)
        assert engine.game.board.color_at(from_gtp(lines[-1][5:], 9)) == WHITE
        # GoGui shows the network's ownership map and score where the network has them
        listed = "\n".join(served.ask("gogui-analyze_commands"))
        assert "gfx/Ownership (network)/goengine-network_ownership" in listed
        assert "string/Score estimate (network)/goengine-network_score" in listed
        gfx = served.ask("goengine-network_ownership")
        assert gfx[0].startswith("= INFLUENCE ") and gfx[-1].startswith("TEXT network score ")
        text = served.ask("goengine-network_score")[0]
        assert re.fullmatch(r"= (Black|White) leads by \d+\.\d points .*", text)
    finally:
        served.close()


def test_without_an_ownership_head_gogui_lists_only_the_playout_ownership():
    engine = GoEngine("mcts", PlayerOptions(seed=1, visits=20))
    listed = engine.handle_line("gogui-analyze_commands")
    assert "goengine-ownership" in listed and "network" not in listed
    assert engine.handle_line("goengine-network_score").startswith("? --agent mcts has no network")


# ----------------------------------------------------------------------------- avoid, allow
def _moves(engine) -> set[str]:
    return {to_gtp(m.action, 9) for m in engine.last_result.moves}


def test_parse_vertices_and_the_filter():
    assert parse_vertices("A1:B2,pass,e5", 9) == {from_gtp(v, 9) for v in
                                                  ("A1", "A2", "B1", "B2", "pass", "E5")}
    f = MoveFilter(9)
    f.add("allow", BLACK, parse_vertices("C3", 9), 2)
    assert f.allows(BLACK, 1, from_gtp("C3", 9)) and f.allows(BLACK, 1, 81)  # pass stays
    assert not f.allows(BLACK, 1, from_gtp("D3", 9)) and f.allows(BLACK, 2, from_gtp("D3", 9))
    assert f.allows(WHITE, 0, from_gtp("D3", 9))
    with pytest.raises(ValueError):
        f.add("allow", BLACK, parse_vertices("D4", 9), 1)
    with pytest.raises(ValueError):
        f.add("avoid", BLACK, parse_vertices("D4", 9), 1)
    f.add("avoid", BLACK, parse_vertices("pass", 9), 1)  # pass may be avoided beside allow


def test_avoid_and_allow_are_honoured_at_the_root_and_below():
    engine = GoEngine("mcts", PlayerOptions(seed=1, visits=100))
    engine.analysis_limit = 0.4
    avoided = {to_gtp(a, 9) for a in parse_vertices("E5,D4:F6", 9)}
    out = engine.handle_line("lz-analyze 10 avoid b E5,D4:F6 1")
    assert out.startswith("=\ninfo move ")
    assert _moves(engine) and not _moves(engine) & avoided  # not even searched
    root_moves = engine.mcts.tree.root_children()[0].tolist()
    assert not {to_gtp(a, 9) for a in root_moves} & avoided
    # the restricted tree is forgotten: the next search has every move again
    engine.handle_line("reg_genmove b")
    assert {to_gtp(a, 9) for a in engine.mcts.tree.root_children()[0].tolist()} >= avoided
    # allow: only these moves (and pass) at the root; kata-analyze takes the same tags
    engine.handle_line("kata-analyze b 10 allow b C3,C4 1")
    assert _moves(engine) <= {"C3", "C4", "pass"} and _moves(engine)
    # depth 2: White's replies in every line are C3 or pass
    engine.handle_line("lz-analyze 10 allow w C3 2")
    replies = [m.pv[1] for m in engine.last_result.moves if len(m.pv) > 1]
    assert replies and {to_gtp(a, 9) for a in replies} <= {"C3", "pass"}
    assert {to_gtp(m.action, 9) for m in engine.last_result.moves} - {"C3"}  # Black is free
    # genmove forms play an allowed move
    _, *lines = engine.handle_line("lz-genmove_analyze b 1 allow b C3,D3 1").rstrip("\n").split("\n")
    assert lines[-1] in ("play C3", "play D3", "play pass")
    _, *lines = engine.handle_line("kata-genmove_analyze w 1 avoid w D4:F6 1").rstrip("\n").split("\n")
    assert lines[-1].startswith("play ") and lines[-1][5:] not in avoided
    for line in lines[:-1]:
        assert not {m["move"] for m in parse_kata_line(line, 9)[0]} & avoided
    for bad in ("lz-analyze avoid b D4", "lz-analyze avoid b Z9 1", "lz-analyze avoid x D4 1",
                "lz-analyze avoid b D4 0", "lz-analyze allow b D4 1 allow b E5 1",
                "kata-analyze allow b D4 1 avoid b E5 1", "kata-analyze ownership maybe",
                "kata-analyze pvVisits true", "lz-analyze ownership true"):
        reply = engine.handle_line(bad)
        assert reply.startswith("? syntax error"), (bad, reply)


# ----------------------------------------------------------------------------- pondering
def test_pondering_stops_within_0_2_s_and_the_next_genmove_reuses_its_tree():
    engine = GoEngine("mcts", PlayerOptions(seed=1, visits=200))
    served = Served(engine)
    latencies = []
    try:
        assert served.ask("kata-set-param ponderingEnabled true") == ["= "]
        assert served.ask("kata-get-param ponderingEnabled") == ["= true"]
        for reply_move in ("A1", "B1", "C1"):
            board_vertex(served.ask("genmove b")[0][2:], 9)  # a move on the board
            time.sleep(0.4)  # the opponent thinks; we ponder
            sent = served.send("name")
            answered, lines = served.reply()
            assert lines == ["= goengine"]
            latencies.append(answered - sent)
            pondered = engine.last_result
            assert pondered.to_play == WHITE and pondered.simulations > 200  # it pondered
            if served.ask(f"play w {reply_move}") != ["= "]:
                served.ask("play w pass")
        served.ask("genmove b")
        result = engine.last_result
        assert result.to_play == BLACK
        # the same budget of new simulations on top of the tree the pondering grew
        assert result.playouts == 200 and result.simulations > 200
        assert served.ask("lz-setoption name Pondering value false") == ["= "]
        served.ask("play w pass")
        served.ask("genmove b")
        before = engine.last_result
        time.sleep(0.3)
        assert served.ask("name") == ["= goengine"] and engine.last_result is before
    finally:
        served.close()
    print(f"pondering stopped {', '.join(f'{s * 1000:.0f} ms' for s in latencies)} after "
          f"the next command")
    assert max(latencies) < 0.2, latencies


# ----------------------------------------------------------------------------- parameters
def test_search_limits_set_by_a_gui():
    engine = GoEngine("mcts", PlayerOptions(seed=1, visits=100))

    def ok(line):
        reply = engine.handle_line(line)
        assert reply.startswith("= ") or reply.startswith("=\n"), (line, reply)
        return reply[2:].strip()

    assert ok("kata-list-params") == "maxVisits maxPlayouts maxTime ponderingEnabled"
    assert ok("kata-get-param maxPlayouts") == "100"
    assert ok("kata-get-param maxVisits") == str(UNLIMITED_VISITS)
    ok("kata-set-param maxPlayouts 30")
    ok("genmove b")
    assert engine.last_result.playouts == 30
    ok("kata-set-param maxVisits 50")
    ok(f"kata-set-param maxPlayouts {UNLIMITED_VISITS}")  # every limit applies: only maxVisits now
    assert ok("kata-get-param maxPlayouts") == str(UNLIMITED_VISITS)
    for move in ("play w C3", "genmove b", "play w G7", "genmove b"):
        ok(move)
    assert engine.last_result.simulations == 50  # reused visits count towards maxVisits
    assert 0 < engine.last_result.playouts < 50
    ok("kata-set-param maxTime 0.5")
    assert ok("kata-get-param maxtime") == "0.5"
    ok("lz-setoption name visits value 0")  # Leela Zero's 0: no limit
    assert ok("kata-get-param maxVisits") == str(UNLIMITED_VISITS)
    ok("lz-setoption name Playouts value 40")
    assert ok("kata-get-param maxPlayouts") == "40"
    assert "Playouts type spin default 40" in ok("lz-setoption")
    ok("kata-set-param maxTime 1e20")
    assert engine.handle_line("lz-setoption name playouts value 0").startswith(
        "? lz-setoption playouts: one of maxVisits, maxPlayouts and maxTime must stay limited")
    assert "unknown parameter 'numSearchThreads'" in engine.handle_line(
        "kata-set-param numSearchThreads 4")
    assert "unknown parameter 'foo'" in engine.handle_line("kata-get-param foo")
    assert "unknown option 'Lagbuffer'" in engine.handle_line("lz-setoption name Lagbuffer value 3")
    assert engine.handle_line("lz-setoption name visits 3").startswith("? syntax error")
    assert "must be at least 1" in engine.handle_line("kata-set-param maxVisits 0")
    assert "is not true or false" in engine.handle_line("kata-set-param ponderingEnabled maybe")


def test_kata_commands_are_listed_only_for_agents_with_a_search():
    rand = GoEngine("random", PlayerOptions(seed=1))
    mcts = GoEngine("mcts", PlayerOptions(seed=1, visits=20))
    for name in KATA_COMMANDS:
        assert rand.handle_line(f"known_command {name}") == "= false\n\n"
        assert mcts.handle_line(f"known_command {name}") == "= true\n\n"
    assert not set(KATA_COMMANDS) & set(rand.handle_line("list_commands").split())
    assert set(KATA_COMMANDS) <= set(mcts.handle_line("list_commands").split())
    assert rand.handle_line("kata-analyze 10").startswith("? kata-analyze needs a search agent")
