"""goengine-analysis, KataGo's JSON analysis engine (docs/Analysis_Engine.md), run as KaTrain
runs KataGo: a subprocess fed one JSON query a line, every response parsed by a strict reader
written from the docs (types, ranges, N*N ownership in [-1, 1] from the top-left, N*N+1
policy summing to 1 over the legal moves with -1 on the illegal ones, ids and turn numbers),
the perspective of reportAnalysisWinratesAs (BLACK, WHITE, SIDETOMOVE), errors that name
their field and never a traceback, warnings, the actions and terminate.
"""
from __future__ import annotations

import json
import math
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from goengine.coords import BLACK, WHITE, from_gtp
from goengine.game import GameState, Rules
from gtp import analysis
from gtp.analysis_query import QueryError, Settings, parse_query
from gtp.estimates import estimates_for
from gtp.players import PlayerOptions, make_agent
from gtp.status import StatusConfig
from test_gtp_engine import board_vertex

ROOT = Path(__file__).resolve().parents[1]
GAME9 = [["B", "E5"], ["W", "C3"], ["B", "G3"], ["W", "C6"], ["B", "D7"], ["W", "G6"]]


# ----------------------------------------------------------------------------- the engine
class Engine:
    """goengine-analysis in a subprocess; responses read by a thread into a queue."""

    def __init__(self, *argv: str):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gtp.analysis_engine", *argv], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, obj) -> None:
        self.proc.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        self.proc.stdin.flush()

    def next(self, timeout: float = 20.0) -> dict:
        line = self.lines.get(timeout=timeout)
        assert line.endswith("\n") and "\n" not in line[:-1], repr(line)  # one line each
        return json.loads(line)  # strict JSON: NaN or Infinity would fail here

    def until(self, done, timeout: float = 20.0) -> list[dict]:
        """Responses until ``done(responses)`` holds."""
        got, deadline = [], time.monotonic() + timeout
        while not done(got):
            got.append(self.next(max(0.1, deadline - time.monotonic())))
        return got

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=20)
        return self.proc.stderr.read()


@pytest.fixture(scope="module")
def engine():
    e = Engine("--agent", "mcts:visits=50", "--seed", "1")
    yield e
    stderr = e.close()
    assert e.proc.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr


def finals(query_id: str, turns: int):
    """done(): ``turns`` final responses (isDuringSearch false) of ``query_id`` have come."""
    return lambda got: sum(1 for r in got if r.get("id") == query_id and "turnNumber" in r
                           and r.get("isDuringSearch") is False) >= turns


def query(qid: str, moves, size: int = 9, **fields) -> dict:
    return {"id": qid, "moves": moves, "rules": "tromp-taylor", "komi": 7.5,
            "boardXSize": size, "boardYSize": size, **fields}


def game_at(moves, turn: int, size: int = 9, stones=()) -> GameState:
    game = GameState(size, Rules(komi=7.5, superko="positional", suicide=True))
    black = [from_gtp(v, size) for c, v in stones if c == "B"]
    white = [from_gtp(v, size) for c, v in stones if c == "W"]
    game.setup_stones(black, white, to_play=(BLACK if moves[0][0] == "B" else WHITE)
                      if moves else None)
    for color, vertex in moves[:turn]:
        game.play_color(BLACK if color == "B" else WHITE, from_gtp(vertex, size))
    return game


# ----------------------------------------------------------------------------- the reader
def check_response(r: dict, size: int, game: GameState, *, ownership=False, policy=False,
                   max_visits: int | None = None) -> None:
    """A strict reader of one analysis response (docs/Analysis_Engine.md, "Responses")."""
    assert isinstance(r["id"], str)
    assert isinstance(r["isDuringSearch"], bool)
    assert isinstance(r["turnNumber"], int) and not isinstance(r["turnNumber"], bool)
    infos, root = r["moveInfos"], r["rootInfo"]
    assert isinstance(infos, list) and infos, "a searched position reports its moves"
    legal = game.legal_mask()
    last_visits = math.inf
    for order, m in enumerate(infos):
        assert set(m) >= {"move", "visits", "winrate", "scoreMean", "scoreLead", "scoreSelfplay",
                          "prior", "utility", "lcb", "order", "pv"}, sorted(m)
        move = board_vertex(m["move"], size)
        assert legal[from_gtp(move, size)], f"{move} is not legal here"
        assert isinstance(m["visits"], int) and 1 <= m["visits"] <= last_visits
        last_visits = m["visits"]
        for key in ("winrate", "prior"):
            assert isinstance(m[key], float) and 0.0 <= m[key] <= 1.0, (key, m[key])
        for key in ("scoreMean", "scoreLead", "scoreSelfplay", "lcb", "utility"):
            assert isinstance(m[key], float) and math.isfinite(m[key]), (key, m[key])
        assert -1.0 <= m["utility"] <= 1.0
        assert m["scoreMean"] == m["scoreLead"], "docs: scoreMean is the same as scoreLead"
        assert abs(m["scoreLead"]) <= size * size + 150
        assert m["order"] == order
        assert isinstance(m["pv"], list) and m["pv"][0] == move and len(m["pv"]) <= 16
        for v in m["pv"]:
            board_vertex(v, size)
    assert set(root) >= {"winrate", "scoreLead", "scoreSelfplay", "utility", "visits",
                         "currentPlayer"}, sorted(root)
    assert root["currentPlayer"] == ("B" if game.to_play == BLACK else "W")
    assert isinstance(root["visits"], int) and root["visits"] >= sum(m["visits"] for m in infos)
    if max_visits is not None:
        assert root["visits"] <= max_visits
    assert 0.0 <= root["winrate"] <= 1.0 and -1.0 <= root["utility"] <= 1.0
    assert isinstance(root["scoreLead"], float)
    n = size * size
    if ownership:
        own = r["ownership"]
        assert len(own) == n and all(isinstance(x, float) and -1.0 <= x <= 1.0 for x in own)
    else:
        assert "ownership" not in r
    if policy:
        pol = r["policy"]
        assert len(pol) == n + 1
        for a, p in enumerate(pol):
            if legal[a]:
                assert isinstance(p, float) and 0.0 <= p <= 1.0, (a, p)
            else:
                assert p == -1, f"illegal {a} has policy {p}, not -1"
        assert abs(sum(p for p in pol if p >= 0) - 1.0) < 1e-6
        assert pol[n] >= 0.0  # pass, last, is always legal
    else:
        assert "policy" not in r


# ----------------------------------------------------------------------------- queries
def test_a_9x9_game_two_turns_with_ownership_and_policy(engine):
    engine.send(query("g9", GAME9, analyzeTurns=[2, 5], includeOwnership=True,
                      includePolicy=True, maxVisits=40))
    got = engine.until(finals("g9", 2))
    results = [r for r in got if r.get("id") == "g9" and "moveInfos" in r]
    assert sorted(r["turnNumber"] for r in results) == [2, 5]
    for r in results:
        assert r["isDuringSearch"] is False
        game = game_at(GAME9, r["turnNumber"])
        check_response(r, 9, game, ownership=True, policy=True, max_visits=40)
        assert r["rootInfo"]["visits"] == 40  # a fresh tree each position: maxVisits root visits
        for v in {mv for _, mv in GAME9[: r["turnNumber"]]}:  # stones: -1 in the policy
            assert r["policy"][from_gtp(v, 9)] == -1


def test_a_19x19_query_defaults_to_the_last_turn(engine):
    moves = [["B", "Q16"], ["W", "D4"], ["B", "Q4"]]
    engine.send(query("g19", moves, size=19, includePolicy=True, includeOwnership=True))
    (r,) = [x for x in engine.until(finals("g19", 1)) if "moveInfos" in x]
    assert r["turnNumber"] == 3
    check_response(r, 19, game_at(moves, 3, 19), ownership=True, policy=True, max_visits=50)
    assert r["rootInfo"]["currentPlayer"] == "W"


def test_ownership_goes_from_the_top_left_in_the_perspective_asked(engine):
    # Black walls off the top-left corner, White the bottom-right; White to move
    stones = [["B", v] for v in ("A7", "B7", "C7", "C8", "C9")] + \
             [["W", v] for v in ("G1", "G2", "G3", "H3", "J3")]
    base = dict(initialStones=stones, initialPlayer="W", includeOwnership=True, maxVisits=20)
    game = game_at([], 0, 9, stones)
    game.to_play = WHITE
    views = {}
    for view in ("BLACK", "WHITE", "SIDETOMOVE"):
        engine.send(query("own-" + view, [], overrideSettings={"reportAnalysisWinratesAs": view},
                          **base))
        (r,) = [x for x in engine.until(finals("own-" + view, 1)) if "moveInfos" in x]
        check_response(r, 9, game, ownership=True)
        views[view] = r
    black, white, side = (views[v] for v in ("BLACK", "WHITE", "SIDETOMOVE"))
    a9, j1 = from_gtp("A9", 9), from_gtp("J1", 9)  # index 0 and 80: top-left, bottom-right
    assert (a9, j1) == (0, 80)
    assert black["ownership"][a9] > 0.5 and black["ownership"][j1] < -0.5
    # the judge is seeded by the position: the same estimate, only the sign changes
    assert white["ownership"] == [-x + 0.0 for x in black["ownership"]]
    assert side["ownership"] == white["ownership"]  # White to move: SIDETOMOVE is White's
    assert white["rootInfo"]["scoreLead"] == -black["rootInfo"]["scoreLead"]
    assert side["rootInfo"]["scoreLead"] == white["rootInfo"]["scoreLead"]


def test_the_perspective_flips_winrates_scores_and_utility_as_katago_does():
    agent = make_agent("mcts:visits=30", PlayerOptions(size=9, seed=3))
    game = game_at(GAME9, 5)  # White to move
    result = agent.mcts.search(game, num_simulations=30)
    est = estimates_for(game, None, StatusConfig(seed=0), 7.5)
    out = {v: analysis.kata_json_response(result, game, est, perspective=v, ownership=True)
           for v in (0, BLACK, WHITE)}
    side, black, white = out[0], out[BLACK], out[WHITE]
    assert side == white
    assert black["rootInfo"]["winrate"] == pytest.approx(1 - white["rootInfo"]["winrate"])
    assert black["rootInfo"]["utility"] == -white["rootInfo"]["utility"]
    for b, w in zip(black["moveInfos"], white["moveInfos"]):
        assert b["winrate"] == pytest.approx(1 - w["winrate"])
        assert b["lcb"] == pytest.approx(1 - w["lcb"])  # KataGo flips the lcb the same way
        assert b["scoreLead"] == -w["scoreLead"] and b["utility"] == -w["utility"]
    assert white["moveInfos"][0]["winrate"] == pytest.approx(result.moves[0].winrate)
    assert white["rootInfo"]["scoreLead"] == pytest.approx(est.score)


def test_bad_queries_are_errors_naming_the_field_and_the_engine_goes_on(engine):
    bad = [
        (query("e1", [], maxVisits="many"), "maxVisits"),
        (query("e2", [], includeOwnership="yes"), "includeOwnership"),
        (query("e3", [["B", "Z99"]]), "moves"),
        (query("e4", [["B", "E5"], ["W", "E5"]]), "moves"),  # occupied
        ({**query("e5", []), "boardYSize": 13}, "boardYSize"),
        ({k: v for k, v in query("e6", []).items() if k != "rules"}, "rules"),
        (query("e7", [["B", "E5"]], analyzeTurns=[0, 2]), "analyzeTurns"),
        (query("e8", [], rules="no-such-rules"), "rules"),
        (query("e9", [], komi=7.3), "komi"),
        (query("e10", [], overrideSettings={"reportAnalysisWinratesAs": "RED"}), "overrideSettings"),
        ({"id": "e11", "action": "dance"}, "action"),
        ({"id": "e12", "action": "terminate"}, "terminateId"),
    ]
    for obj, _ in bad:
        engine.send(obj)
    got = [engine.next() for _ in bad]
    by_id = {r["id"]: r for r in got}
    for obj, field in bad:
        r = by_id[obj["id"]]
        assert set(r) == {"id", "field", "error"} and r["field"] == field, r
        assert isinstance(r["error"], str) and r["error"]
    assert by_id["e4"]["error"] == "Illegal move 1: E5"  # KaTrain looks for "Illegal move"
    for line in ("not json", "[1, 2]", '{"moves": []}'):  # general errors: no id
        engine.send(line)
        r = engine.next()
        assert set(r) == {"error"}, r
    engine.send(query("after", [["B", "E5"]], maxVisits=10))  # still serving
    (r,) = [x for x in engine.until(finals("after", 1)) if "moveInfos" in x]
    check_response(r, 9, game_at([["B", "E5"]], 1), max_visits=10)


def test_warnings_come_first_and_the_query_is_analysed(engine):
    engine.send(query("w", [["B", "E5"]], rules="japanese", maxVisits=10, includeMovesOwnership=True,
                      priority=3, somethingElse=1,
                      overrideSettings={"wideRootNoise": 0.04, "noSuchParam": 1, "maxTime": 30}))
    got = engine.until(finals("w", 1))
    warnings = {r["field"]: r["warning"] for r in got if "warning" in r}
    assert all(r["id"] == "w" for r in got)
    assert set(warnings) == {"rules", "overrideSettings", "somethingElse", "includeMovesOwnership"}
    assert "territory" in warnings["rules"]
    texts = [r["warning"] for r in got if r.get("field") == "overrideSettings"]
    assert "Unknown config params: noSuchParam" in texts  # KataGo's wording
    assert any("wideRootNoise" in t for t in texts)
    assert "moveInfos" in got[-1] and all("warning" in r for r in got[:-1])
    assert all("ownership" not in m for m in got[-1]["moveInfos"])  # no head: said, not faked


def test_avoid_moves_keeps_them_out_of_the_search_not_out_of_the_policy(engine):
    # KaTrain's "find alternatives": the moves already shown, avoided at the root
    moves = GAME9[:2]  # Black to move
    avoided = ["E3", "G3", "C7", "G7", "D4", "F4", "pass"]
    engine.send(query("avoid", moves, maxVisits=60, includePolicy=True, avoidMoves=[
        {"player": "B", "moves": avoided, "untilDepth": 1},
        {"player": "W", "moves": ["E7"], "untilDepth": 1}]))  # not to move: no effect at the root
    (r,) = [x for x in engine.until(finals("avoid", 1)) if "moveInfos" in x]
    check_response(r, 9, game_at(moves, 2), policy=True, max_visits=60)
    assert not {m["move"] for m in r["moveInfos"]} & set(avoided)
    for v in avoided[:-1]:  # legal moves all the same: their raw probability stays
        assert r["policy"][from_gtp(v, 9)] > 0


def test_actions(engine):
    engine.send({"id": "v", "action": "query_version"})
    r = engine.next()
    assert r["id"] == "v" and r["action"] == "query_version"
    assert isinstance(r["version"], str) and isinstance(r["git_hash"], str)
    engine.send({"id": "c", "action": "clear_cache", "extra": [1]})
    assert engine.next() == {"id": "c", "action": "clear_cache", "extra": [1]}  # echoed
    engine.send({"id": "m", "action": "query_models"})
    r = engine.next()
    assert r["id"] == "m" and len(r["models"]) == 1 and isinstance(r["models"][0]["name"], str)


def test_terminate_stops_the_search_and_drops_the_queued_turn(engine):
    engine.send(query("long", GAME9[:2], analyzeTurns=[1, 2], maxVisits=10**9,
                      reportDuringSearchEvery=0.1))
    first = engine.next()
    assert first["id"] == "long" and first["isDuringSearch"] is True and first["turnNumber"] == 1
    check_response(first, 9, game_at(GAME9, 1))
    engine.send({"id": "stop", "action": "terminate", "terminateId": "long"})
    got = engine.until(lambda g: any(r.get("id") == "stop" for r in g) and finals("long", 2)(g),
                       timeout=10)
    assert {"id": "stop", "action": "terminate", "terminateId": "long"} in got  # the echo
    done = {r["turnNumber"]: r for r in got if r.get("id") == "long" and not r["isDuringSearch"]}
    assert done[2] == {"id": "long", "isDuringSearch": False, "noResults": True, "turnNumber": 2}
    check_response(done[1], 9, game_at(GAME9, 1))
    assert done[1]["rootInfo"]["visits"] < 10**9
    engine.send({"id": "all", "action": "terminate_all", "turnNumbers": [0]})
    assert engine.next() == {"id": "all", "action": "terminate_all", "turnNumbers": [0]}


def test_katago_arguments_are_accepted_and_override_config_sets_the_perspective(tmp_path):
    e = Engine("analysis", "-model", str(tmp_path / "none.bin.gz"), "-config",
               str(tmp_path / "none.cfg"), "-analysis-threads", "4", "-override-config",
               "reportAnalysisWinratesAs=BLACK, maxVisits=15", "--agent", "mcts", "--quiet")
    try:
        moves = [["B", "E5"]]  # White to move: BLACK's view is the flipped one
        e.send(query("k", moves, includeOwnership=True))
        e.send(query("k2", moves, includeOwnership=True,
                     overrideSettings={"reportAnalysisWinratesAs": "WHITE"}))
        got = e.until(lambda g: finals("k", 1)(g) and finals("k2", 1)(g))
        k, k2 = ([r for r in got if r["id"] == q and "moveInfos" in r][0] for q in ("k", "k2"))
        check_response(k, 9, game_at(moves, 1), ownership=True, max_visits=15)
        assert k["rootInfo"]["visits"] == 15
        assert k["ownership"] == [-x + 0.0 for x in k2["ownership"]]
    finally:
        stderr = e.close()
    assert e.proc.returncode == 0 and "Traceback" not in stderr, stderr


def test_a_non_search_agent_is_refused_at_start():
    done = subprocess.run([sys.executable, "-m", "gtp.analysis_engine", "--agent", "random"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, input="")
    assert done.returncode == 2 and "needs a search agent" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_parse_query_builds_each_turn_and_honours_the_handicap_bonus():
    q = parse_query({"id": "h", "moves": [["W", "D4"]], "rules": "chinese", "komi": 0.5,
                     "initialStones": [["B", "C3"], ["B", "G7"]], "boardXSize": 9,
                     "boardYSize": 9, "analyzeTurns": [1, 0, 1]}, Settings())
    assert [t for t, _, _ in q.positions] == [0, 1]
    turn0, turn1 = q.positions[0][1], q.positions[1][1]
    assert turn0.to_play == WHITE and turn1.to_play == BLACK
    assert turn0.rules.komi == 2.5  # Chinese rules: white gets a point per handicap stone
    with pytest.raises(QueryError) as info:
        parse_query({"id": "x", "moves": [], "rules": "chinese", "boardXSize": 9,
                     "boardYSize": 9, "avoidMoves": [{"player": "B", "moves": ["Q99"],
                                                      "untilDepth": 1}]}, Settings())
    assert info.value.field == "avoidMoves"


def test_a_network_with_an_ownership_head_gives_its_ownership_scores_and_policy(tmp_path):
    """In-process, with a random pooled 9x9 ZeroNet: the root's and each move's ownership
    and score are the network's (gtp/estimates.py, as kata-analyze's), the policy its own."""
    import io

    import numpy as np
    torch = pytest.importorskip("torch")
    from goengine.models import load, network_ownership, save, zero_config
    from goengine.models.nets import ZeroNet
    from gtp.analysis_engine import AnalysisEngine
    torch.manual_seed(7)
    path = tmp_path / "pooled.pt"
    save(ZeroNet(zero_config("tiny-pooled")), path)
    out = io.StringIO()
    engine = AnalysisEngine("zero", PlayerOptions(seed=1, visits=32, weights=str(path),
                                                  backend="torch"), out=out)
    moves = [["B", "E5"]]  # White to move, Black's view asked: everything flips
    engine.handle_line(json.dumps(query(
        "net", moves, maxVisits=24, includeOwnership=True, includeMovesOwnership=True,
        includePolicy=True, overrideSettings={"reportAnalysisWinratesAs": "BLACK"})))
    engine.close()
    (r,) = [json.loads(line) for line in out.getvalue().splitlines()]
    game = game_at(moves, 1)
    check_response(r, 9, game, ownership=True, policy=True, max_visits=24)
    model = load(str(path), kind="zero")
    own, score = network_ownership(model, game)  # Black's view
    np.testing.assert_allclose(r["ownership"], own, atol=1e-5)
    assert r["rootInfo"]["scoreLead"] == pytest.approx(score, abs=1e-4)
    for m in r["moveInfos"]:  # every move scored: includeMovesOwnership asks for all
        child = game.copy()
        child.play(from_gtp(m["move"], 9))
        child_own, child_score = network_ownership(model, child)
        assert m["scoreLead"] == pytest.approx(child_score, abs=1e-4)
        np.testing.assert_allclose(m["ownership"], child_own, atol=1e-5)
    expected = np.asarray(engine.agent.policy(game), dtype=np.float64)
    legal = game.legal_mask().astype(bool)
    np.testing.assert_allclose(np.asarray(r["policy"])[legal], expected[legal] / expected[legal].sum(),
                               atol=1e-6)
