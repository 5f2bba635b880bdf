"""selfplay/arena/ and gtp.client.GtpAgent: agent specs, schedules, matches with SGFs,
resuming, the SPRT stop, the command line, and GtpAgent against a scripted fake engine
and against GNU Go (skipped without it unless GOENGINE_REQUIRE_GNUGO=1)."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import textwrap

import numpy as np
import pytest

from goengine.agents import RandomAgent
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.game import GameState, Rules
from goengine.search import RESIGN as SEARCH_RESIGN
from goengine.sgf import read_sgf
from gtp.client import RESIGN, GtpAgent, GtpClient, GtpError, find_gnugo
from selfplay import arena
from selfplay.arena import (
    AGENT_KINDS,
    ArenaConfig,
    ArenaError,
    SpecError,
    load_results,
    make_agent,
    parse_agent_spec,
    register_agent_kind,
    run_arena,
    schedule_games,
)
from selfplay.cli import main as arena_main
from selfplay.sprt import SPRT
from selfplay.game_runner import play_game

REQUIRE_ENV = "GOENGINE_REQUIRE_GNUGO"


# ============================================================================ specs
def test_spec_parsing():
    spec = parse_agent_spec("random")
    assert (spec.kind, spec.label, spec.options) == ("random", "random", ())
    spec = parse_agent_spec(" mcts:visits=2000 ")
    assert spec.kind == "mcts" and dict(spec.options) == {"visits": 2000}
    assert spec.label == "mcts:visits=2000"
    spec = parse_agent_spec("MCTS:seconds=1, c_puct=2.5")
    assert dict(spec.options) == {"seconds": 1.0, "c_puct": 2.5}
    assert spec.label == "mcts:seconds=1,c_puct=2.5"
    spec = parse_agent_spec("gtp:gnugo --mode gtp --level 10")
    assert spec.kind == "gtp" and spec.argument == "gnugo --mode gtp --level 10"
    assert spec.label == "gtp:gnugo --mode gtp --level 10"
    spec = parse_agent_spec("gnugo10=gtp:gnugo --mode gtp --level=10")
    assert spec.label == "gnugo10" and spec.argument == "gnugo --mode gtp --level=10"
    spec = parse_agent_spec("fast=mcts:visits=10")
    assert spec.label == "fast" and dict(spec.options) == {"visits": 10}


@pytest.mark.parametrize("text,message", [
    ("", "empty agent spec"),
    ("alphago", "unknown agent kind 'alphago'; known kinds: .*gtp.*mcts.*random"),
    ("mcts:vists=10", "unknown option 'vists' for mcts \\(accepted: visits, seconds"),
    ("mcts:visits=ten", "bad value 'ten' for visits"),
    ("mcts:visits=0", "bad value '0' for visits: must be a positive integer"),
    ("mcts:seconds=-1", "must be a positive number"),
    ("mcts:visits", "'visits' is not key=value"),
    ("mcts:visits=1,visits=2", "given twice"),
    ("mcts:", "nothing after 'mcts:'"),
    ("gtp:", "needs a command line"),
    ("gtp", "needs a command line"),
    ("gtp:gnugo 'unclosed", "bad command line"),
    ("random:colour=red", "unknown option 'colour' for random \\(accepted: seed\\)"),
    ("label=", "nothing after the label"),
])
def test_spec_errors_are_clear(text, message):
    with pytest.raises(SpecError, match=message):
        parse_agent_spec(text)


def test_make_agent_errors_name_the_spec():
    with pytest.raises(SpecError, match="mcts:visits=0.*bad value '0' for visits"):
        make_agent("mcts:visits=0")
    # visits and seconds together: a time budget with a visit cap (as goengine-gtp's flags)
    assert make_agent("mcts:visits=5,seconds=1").budget.for_move() == (5, 1.0)
    with pytest.raises(SpecError, match="program 'no-such-engine-xyz' not found"):
        make_agent("gtp:no-such-engine-xyz --mode gtp")


def test_make_agent_builds_working_agents():
    game = GameState(9, Rules(komi=7.5))
    for text in ("random", "mcts:visits=20", "mcts:visits=20,c_puct=3,rollouts=2,fpu=0.1"):
        agent = make_agent(text, arena.AgentContext(seed=1))
        assert agent.name == text
        agent.reset()
        assert game.is_legal(agent.select_move(game))


def test_batch_option_sets_the_leaves_per_network_call():
    agent = make_agent("zero:visits=8,batch=32", arena.AgentContext(seed=1))
    assert agent.config.leaves_per_batch == 32 and agent.config.num_simulations == 8
    assert make_agent("zero:visits=8", arena.AgentContext(seed=1)).config.leaves_per_batch == 8
    with pytest.raises(SpecError, match="bad value '0' for batch"):
        parse_agent_spec("zero:batch=0")


def test_zero_temperature_option_flattens_the_priors():
    game = GameState(9)
    game.play(from_gtp("E5", 9))
    priors = {}
    for t in (1.0, 2.0):
        agent = make_agent(f"zero:visits=8,symmetries=none,temperature={t:g}", arena.AgentContext(seed=1))
        assert agent.mcts.evaluator.policy_temperature == t
        p = agent.policy(game)
        priors[t] = p[p > 0]
    entropy = {t: float(-(p * np.log(p)).sum()) for t, p in priors.items()}
    assert entropy[2.0] > entropy[1.0] + 0.1
    # the same order of moves, only flatter
    assert np.argmax(priors[1.0]) == np.argmax(priors[2.0])
    with pytest.raises(SpecError, match="bad value '0' for temperature"):
        parse_agent_spec("zero:temperature=0")


def test_zero_lambda_option_mixes_rollouts_into_the_leaf_values():
    # with komi -100 every random playout is a black win, so lambda=1 (rollouts only) must
    # value the position as won for black; lambda=0 is the network's own, komi-blind view
    game = GameState(9, rules=Rules(komi=-100.0))
    values = {}
    for lam in (0.0, 1.0):
        agent = make_agent(f"zero:visits=32,symmetries=none,lambda={lam:g},ramp=off,rollouts=2",
                           arena.AgentContext(seed=1))
        assert agent.mcts.config.mix_lambda == lam and agent.mcts.config.rollouts_per_leaf == 2
        agent.select_move(game)
        values[lam] = agent.last_result.root_value
    assert values[1.0] > 0.99
    assert values[0.0] < 0.9
    with pytest.raises(SpecError, match="bad value '2' for lambda"):
        parse_agent_spec("zero:lambda=2")
    agent = make_agent("zero:visits=8,lambda=1,ramp=0.5", arena.AgentContext(seed=1))
    assert agent.mcts.config.mix_ramp == 0.5 and agent.mcts.config.mix_lambda == 1.0
    with pytest.raises(SpecError, match="bad value '0' for ramp"):
        parse_agent_spec("zero:ramp=0")


def test_registry_takes_new_kinds():
    @register_agent_kind("fake", options={"weights": str}, help="a test kind",
                         example="fake:weights=w.pt")
    def _fake(options, context, stream):
        agent = RandomAgent(context.rng(*stream))
        agent.weights = options["weights"]
        return agent

    try:
        agent = make_agent("zeroish=fake:weights=/tmp/w.pt")
        assert agent.weights == "/tmp/w.pt" and agent.name == "zeroish"
        with pytest.raises(SpecError, match="accepted: weights"):
            parse_agent_spec("fake:weight=1")
    finally:
        AGENT_KINDS.pop("fake", None)


def test_schedule_alternates_colours_round_by_round():
    plan = schedule_games(["a", "b", "c"], 4)
    assert len(plan) == 12
    assert [(g.a, g.b) for g in plan[:3]] == [("a", "b"), ("a", "c"), ("b", "c")]
    for g in plan:
        assert (g.black, g.white) == ((g.a, g.b) if g.index % 2 == 0 else (g.b, g.a))
    assert len({g.key for g in plan}) == 12


# ============================================================================ matches
def test_match_random_against_small_mcts(tmp_path):
    out = tmp_path / "run"
    config = ArenaConfig(games=4, seed=7)
    summary = run_arena(["random", "mcts:visits=64"], out, config, progress=False)
    results = load_results(out)
    assert len(results) == 4 and summary["games"] == 4
    assert [r.black for r in results] == ["random", "mcts:visits=64"] * 2
    for r in results:
        record = read_sgf(out / r.sgf)
        assert record.result == r.result
        assert (record.black_name, record.white_name) == (r.black, r.white)
        assert len(record.moves) == r.moves
        record.to_game()  # every move legal under our rules
        assert r.per_move["black"]["moves"] + r.per_move["white"]["moves"] == r.moves
    (pair,) = summary["pairings"]
    assert pair["games"] == 4
    assert (pair["a_wins_black"] + pair["a_wins_white"] + pair["b_wins_black"]
            + pair["b_wins_white"] + pair["draws"]) == 4
    assert summary["colours"]["black_wins"] + summary["colours"]["white_wins"] == 4
    saved = json.loads((out / "summary.json").read_text())
    assert saved["pairings"] == json.loads(json.dumps(summary["pairings"]))
    mcts_row = next(r for r in summary["ratings"] if r["player"] == "mcts:visits=64")
    assert mcts_row["visits_per_move"] >= 64
    # pure MCTS reuses its subtree: visits count the reused ones, playouts do not
    assert mcts_row["playouts_per_move"] == pytest.approx(64, abs=0.5)
    assert mcts_row["visits_per_move"] > mcts_row["playouts_per_move"]
    assert all(r.per_move[side]["playouts"] <= r.per_move[side]["visits"]
               for r in results for side in ("black", "white"))
    text = arena.format_summary(summary)
    assert "mcts:visits=64" in text and "Elo a-b" in text


class CountingAgent(RandomAgent):
    """A random agent that counts the games it starts."""

    games_started = 0

    def reset(self):
        CountingAgent.games_started += 1


@pytest.fixture
def counting_kind():
    @register_agent_kind("counting", help="random, counting games")
    def _counting(options, context, stream):
        return CountingAgent(context.rng(*stream))
    CountingAgent.games_started = 0
    yield
    AGENT_KINDS.pop("counting", None)


def test_rerun_skips_games_already_played(tmp_path, counting_kind):
    out = tmp_path / "run"
    specs = ["counting", "random"]
    run_arena(specs, out, ArenaConfig(games=3, seed=1), progress=False)
    assert CountingAgent.games_started == 3
    first = [r.result for r in load_results(out)]
    run_arena(specs, out, ArenaConfig(games=3, seed=1), progress=False)
    assert CountingAgent.games_started == 3  # nothing replayed
    run_arena(specs, out, ArenaConfig(games=5, seed=1), progress=False)
    assert CountingAgent.games_started == 5  # only the two new games
    results = load_results(out)
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.result for r in results[:3]] == first
    # a resumed run plays exactly the games an uninterrupted one plays
    fresh = tmp_path / "fresh"
    run_arena(specs, fresh, ArenaConfig(games=5, seed=1), progress=False)
    assert [r.result for r in load_results(fresh)] == [r.result for r in results]


@pytest.fixture
def weights_kind():
    @register_agent_kind("netfake", options={"weights": str}, help="random, from a weights file",
                         files=lambda options: [options["weights"]])
    def _netfake(options, context, stream):
        return RandomAgent(context.rng(*stream))
    yield
    AGENT_KINDS.pop("netfake", None)


def test_a_label_whose_weights_changed_is_refused(tmp_path, weights_kind):
    out = tmp_path / "run"
    weights = tmp_path / "net.pt"
    weights.write_bytes(b"generation 52")
    specs = [f"net=netfake:weights={weights}", "random"]
    run_arena(specs, out, ArenaConfig(games=1, seed=1), progress=False)
    saved = json.loads((out / "arena.json").read_text())["identities"]["net"]
    assert saved["weights"] == {str(weights): hashlib.sha256(b"generation 52").hexdigest()}
    weights.write_bytes(b"generation 80")  # same label, same spec text, another network
    with pytest.raises(ArenaError, match="'net' played its games there with the weights"):
        run_arena(specs, out, ArenaConfig(games=2, seed=1), progress=False)
    assert len(load_results(out)) == 1
    moved = tmp_path / "copy.pt"  # the same network under another path is the same agent
    moved.write_bytes(b"generation 52")
    run_arena([f"net=netfake:weights={moved}", "random"], out, ArenaConfig(games=2, seed=1),
              progress=False)
    assert len(load_results(out)) == 2
    with pytest.raises(ArenaError, match="'random' played its games there as another spec"):
        run_arena([f"net=netfake:weights={moved}", "random=mcts:visits=8"], out,
                  ArenaConfig(games=3, seed=1), progress=False)


def test_network_kinds_digest_the_weights_they_load(tmp_path):
    from goengine.agents import shipped_weights
    shipped = shipped_weights()
    digest = hashlib.sha256(open(shipped, "rb").read()).hexdigest()
    assert arena.agent_digests("zero:seconds=1") == {shipped: digest}
    assert arena.agent_digests(f"policy:weights={shipped}") == {shipped: digest}
    assert arena.agent_digests("random") == {}
    assert arena.agent_digests("gtp:gnugo --mode gtp") == {}
    with pytest.raises(SpecError, match="does not exist"):
        arena.agent_digests(f"zero:weights={tmp_path / 'missing.pt'}")


def test_torn_last_line_is_dropped_and_replayed(tmp_path, counting_kind):
    out = tmp_path / "run"
    run_arena(["counting", "random"], out, ArenaConfig(games=2, seed=3), progress=False)
    path = out / "results.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[1][: len(lines[1]) // 2])  # a crash mid-write
    CountingAgent.games_started = 0
    run_arena(["counting", "random"], out, ArenaConfig(games=2, seed=3), progress=False)
    assert CountingAgent.games_started == 1
    assert [r.index for r in load_results(out)] == [0, 1]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_folder_of_other_rules_is_refused(tmp_path):
    out = tmp_path / "run"
    run_arena(["random", "random"], out, ArenaConfig(games=1, seed=1), progress=False)
    with pytest.raises(ArenaError, match="komi 7.5 \\(now 6.5\\).*another --out"):
        run_arena(["random", "random"], out, ArenaConfig(games=1, komi=6.5), progress=False)


class Passer:
    """Always passes: loses every game against anything that plays."""

    name = "passer"

    def reset(self):
        pass

    def select_move(self, game):
        return game.size * game.size


def test_sprt_stops_a_decided_match(tmp_path):
    out = tmp_path / "run"
    config = ArenaConfig(games=100, seed=2, sprt=SPRT(0, 200))
    passer = Passer()
    summary = run_arena(["random", "passer=random"], out, config, progress=False,
                        agents={"passer": passer})
    assert summary["sprt"]["decision"] == "H1"
    played = summary["games"]
    assert 2 <= played < 100
    # rerunning a decided match plays nothing more
    again = run_arena(["random", "passer=random"], out, config, progress=False,
                      agents={"passer": passer})
    assert again["games"] == played


def test_round_robin_of_three(tmp_path):
    summary = run_arena(["random", "mcts:visits=16", "r2=random"], tmp_path / "rr",
                        ArenaConfig(games=2, seed=5), progress=False)
    assert summary["games"] == 6
    assert {(p["a"], p["b"]) for p in summary["pairings"]} == {
        ("random", "mcts:visits=16"), ("random", "r2"), ("mcts:visits=16", "r2")}
    assert len(summary["ratings"]) == 3


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli"
    code = arena_main(["random", "mcts:visits=16", "--games", "2", "--out", str(out),
                       "--seed", "4", "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 games on 9x9" in printed and "mcts:visits=16" in printed
    code = arena_main(["table", str(out), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["games"] == 2
    assert arena_main(["agents"]) == 0
    assert "gtp:<command line>" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        arena_main(["random", "mcts:vists=3", "--out", str(out)])
    assert info.value.code == 2
    assert "unknown option 'vists' for mcts" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        arena_main(["random", "random", "r3=random", "--sprt", "0", "10"])
    assert "two agents" in capsys.readouterr().err
    code = arena_main(["random", "mcts:visits=16", "--games", "2", "--out", str(out),
                       "--komi", "5.5", "--no-progress"])
    assert code == 1
    assert "another --out" in capsys.readouterr().err


def test_command_line_exits_non_zero_when_games_failed(tmp_path, capsys):
    # Issue 30, item 11: an engine that crashes at start failed 2 of 2 games, status 0.
    dies = tmp_path / "dies.py"
    dies.write_text("import sys\nsys.exit(1)\n")
    out = tmp_path / "failing"
    code = arena_main(["random", f"dies=gtp:{sys.executable} {dies}", "--games", "2",
                       "--out", str(out), "--no-progress", "--json"])
    assert code == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["games"] == 0
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("goengine-arena: 2 of the 2 scheduled games failed"), last
    assert "rerun" in last
    ladder = tmp_path / "ladder.json"   # the ladder says so the same way
    ladder.write_text(json.dumps({"size": 5, "games": 1, "entrants": [
        "random", {"label": "dies", "spec": f"gtp:{sys.executable} {dies}"}]}))
    code = arena_main(["ladder", str(ladder), "--out", str(tmp_path / "lad"), "--no-progress"])
    assert code == 3
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("goengine-arena: 1 of the 1 scheduled games failed"), last


# ============================================================================ GtpAgent
FAKE_ENGINE = textwrap.dedent(r'''
    import sys
    log = open(sys.argv[1], "a")
    moves = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else []
    flags = set(sys.argv[3:])
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        ident = ""
        if parts[0].isdigit():
            ident, parts = parts[0], parts[1:]
        cmd = " ".join(parts)
        log.write(cmd + "\n")
        log.flush()
        def reply(text="", ok=True):
            sys.stdout.write(("=" if ok else "?") + ident + " " + text + "\n\n")
            sys.stdout.flush()
        name = parts[0]
        if name in ("genmove", "kgs-genmove_cleanup"):
            reply(moves.pop(0) if moves else "pass")
        elif name == "known_command":
            reply("true" if "cleanup" in flags and parts[1] == "kgs-genmove_cleanup" else "false")
        elif name == "undo" and "no-undo" in flags:
            reply("cannot undo", ok=False)
        elif name == "set_free_handicap" and "no-handicap" in flags:
            reply("unknown command", ok=False)
        elif name == "play" and "refuse" in flags and parts[2] == "C3":
            reply("illegal move", ok=False)
        elif name == "quit":
            reply()
            break
        else:
            reply()
''')


@pytest.fixture
def fake_engine(tmp_path):
    script = tmp_path / "fake_gtp.py"
    script.write_text(FAKE_ENGINE)
    log = tmp_path / "commands.log"

    def start(moves="", *flags, **kwargs):
        log.write_text("")
        agent = GtpAgent([sys.executable, str(script), str(log), moves, *flags],
                         name="fake", timeout=10, **kwargs)
        return agent, (lambda: log.read_text().splitlines())
    return start


def test_gtp_agent_replays_moves_and_converts_replies(fake_engine):
    assert RESIGN == SEARCH_RESIGN
    agent, commands = fake_engine("E5,pass,resign")
    with agent:
        agent.reset()
        game = GameState(9, Rules(komi=6.5))
        game.play(from_gtp("C3", 9))          # black, chosen elsewhere
        assert agent.select_move(game) == from_gtp("E5", 9)
        game.play(from_gtp("E5", 9))
        game.play(from_gtp("D4", 9))
        assert agent.select_move(game) == 81  # pass
        game.play(81)
        game.play(from_gtp("F6", 9))
        assert agent.select_move(game) == RESIGN
        sent = commands()
    assert sent[:3] == ["boardsize 9", "clear_board", "komi 7.5"]  # reset: the agent's own
    # the first move sees komi 6.5: the engine is reset to the game, then moves replayed
    body = [c for c in sent if not c.startswith("known_command")]
    assert body[3:] == ["boardsize 9", "clear_board", "komi 6.5", "play b C3", "genmove w",
                        "play b D4", "genmove w", "play b F6", "genmove w"]


def test_gtp_agent_uses_cleanup_genmove_when_known(fake_engine):
    agent, commands = fake_engine("D4", "cleanup")
    with agent:
        agent.reset()
        game = GameState(9)
        assert agent.select_move(game) == from_gtp("D4", 9)
    assert "kgs-genmove_cleanup b" in commands()
    agent, commands = fake_engine("D4", "cleanup", cleanup=False)
    with agent:
        agent.select_move(GameState(9))
    assert "genmove b" in commands()


def test_gtp_agent_undo_and_resync(fake_engine):
    agent, commands = fake_engine("", "no-undo")
    with agent:
        agent.reset()
        game = GameState(9)
        for v in ("C3", "D4", "E5"):
            game.play(from_gtp(v, 9))
        agent.select_move(game)               # white passes (script empty)
        game.undo()
        game.undo()                           # back to one move: engine cannot undo
        n = len(commands())
        agent.select_move(game)
        assert commands()[n:] == ["undo"] * 3 + ["boardsize 9", "clear_board", "komi 7.5",
                                                 "play b C3", "genmove w"]
        assert agent.resyncs == 1
    agent, commands = fake_engine("")
    with agent:
        agent.reset()
        game = GameState(9)
        game.play(from_gtp("C3", 9))
        agent.select_move(game)
        game.play(81)
        game.play(from_gtp("D4", 9))
        agent.select_move(game)
        game.undo()
        game.undo()                           # back to C3: white to play
        n = len(commands())
        agent.select_move(game)               # the engine takes back its pass, D4, its pass
        assert commands()[n:] == ["undo", "undo", "undo", "genmove w"]
        assert agent.resyncs == 0


def test_gtp_agent_handicap_and_board_size(fake_engine):
    agent, commands = fake_engine("")
    with agent:
        agent.reset()
        game = GameState(13, Rules(komi=0.5))
        game.place_fixed_handicap(2)
        agent.select_move(game)
        sent = commands()
        assert "boardsize 13" in sent and "komi 0.5" in sent
        assert "set_free_handicap K10 D4" in sent
        assert sent[-1] == "genmove w"
    agent, commands = fake_engine("", "no-handicap")
    with agent:
        game = GameState(9)
        game.set_free_handicap([from_gtp("C3", 9), from_gtp("G7", 9)])
        agent.select_move(game)
        sent = [c for c in commands() if not c.startswith("known_command")]
        # refused: the agent starts the game again and plays the stones as black moves
        assert sent[-7:] == ["set_free_handicap G7 C3", "boardsize 9", "clear_board",
                             "komi 7.5", "play b G7", "play b C3", "genmove w"]


def test_gtp_agent_errors_name_the_move(fake_engine):
    agent, _ = fake_engine("Z99")
    with agent, pytest.raises(GtpError, match="'Z99', which is not a vertex"):
        agent.select_move(GameState(9))
    agent, _ = fake_engine("", "refuse")
    with agent:
        game = GameState(9)
        game.play(from_gtp("D4", 9))
        game.play(from_gtp("C3", 9))
        with pytest.raises(GtpError, match="refused move 2 \\(play w C3\\): illegal move"):
            agent.select_move(game)


def test_gtp_agent_time_settings_and_shared_client(fake_engine, tmp_path):
    agent, commands = fake_engine("", time_settings=(300, 30, 5))
    with agent:
        agent.reset()
        agent.time_left(BLACK, 120, 0)
    assert "time_settings 300 30 5" in commands() and "time_left b 120 0" in commands()
    script = tmp_path / "fake_gtp.py"
    client = GtpClient([sys.executable, str(script), str(tmp_path / "x.log"), ""], timeout=10)
    agent = GtpAgent(client, name="shared")
    agent.close()
    assert client.alive  # the agent did not start it, so it does not stop it
    client.close()


# ============================================================================ GNU Go
def gnugo_path() -> str:
    path = find_gnugo()
    if path is None:
        reason = "GNU Go not found (looked for gnugo on PATH and /usr/games/gnugo)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.mark.gnugo
def test_gnugo_plays_a_real_game_against_random():
    path = gnugo_path()
    with GtpAgent([path, "--mode", "gtp", "--level", "1", "--chinese-rules"],
                  name="gnugo") as gnugo:
        for black, white in ((gnugo, RandomAgent(1)), (RandomAgent(2), gnugo)):
            record = play_game(black, white, size=9, rules=Rules(komi=7.5))
            game = record.to_game()          # every move legal under our rules
            assert game.is_over() and "F" not in record.result
            gnugo_colour = BLACK if black is gnugo else WHITE
            assert game.winner() == gnugo_colour  # GNU Go beats random
        assert gnugo.resyncs == 0 and gnugo.client.alive
        # GNU Go answers for another game at once (the agent resets and replays it)
        game = GameState(9, Rules(komi=7.5))
        game.play(from_gtp("E5", 9))
        assert game.is_legal(gnugo.select_move(game))
        assert gnugo.resyncs == 1


@pytest.mark.gnugo
def test_arena_with_gnugo_spec(tmp_path):
    gnugo_path()
    summary = run_arena(["gnugo1=gtp:gnugo --mode gtp --level 1 --chinese-rules", "random"],
                        tmp_path / "run", ArenaConfig(games=2, seed=1), progress=False)
    assert summary["games"] == 2
    (pair,) = summary["pairings"]
    assert pair["a_wins_black"] + pair["a_wins_white"] == 2
    assert pair["elo"] == "inf" and isinstance(pair["low"], float)


class _FirstLegal:
    """A deterministic player: the first legal point that is not its own eye, else pass."""

    name = "first"

    def select_move(self, game):
        n = game.size * game.size
        for a in np.flatnonzero(game.legal_mask()[:n]):
            if not game.board.is_eye(int(a), game.to_play):
                return int(a)
        return n


def test_random_openings_keep_deterministic_players_from_replaying_one_game(tmp_path):
    from goengine.sgf import read_sgf
    from selfplay.arena import OPENING_COMMENT

    def games(out, **config):
        run_arena(["a=random", "b=random"], out, ArenaConfig(size=5, games=4, seed=3, **config),
                  progress=False, agents={"a": _FirstLegal(), "b": _FirstLegal()})
        return [read_sgf(out / "games" / "a--b" / f"{i:04d}.sgf") for i in range(4)]
    plain = games(tmp_path / "plain")
    assert plain[0].moves == plain[2].moves and plain[1].moves == plain[3].moves  # replayed
    opened = games(tmp_path / "opened", opening_moves=3)
    assert opened[0].moves[:3] == opened[1].moves[:3]        # a pair shares its opening ...
    assert opened[0].moves[:3] != opened[2].moves[:3]        # ... the next pair has its own
    assert opened[0].moves != opened[2].moves
    assert all(r.move_comments.get(i) == OPENING_COMMENT for r in opened for i in (1, 2, 3))
    assert 4 not in opened[0].move_comments
    # the same run again draws the same openings; a folder refuses other opening rules
    assert games(tmp_path / "again", opening_moves=3)[2].moves == opened[2].moves
    with pytest.raises(ArenaError, match="opening_moves 3 \\(now None\\)"):
        games(tmp_path / "opened")


def test_cli_output_into_a_closed_pipe_exits_quietly():
    import subprocess
    proc = subprocess.Popen([sys.executable, "-m", "selfplay.cli", "agents"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader (`| head`) is gone before anything is written
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_cli_stopped_by_sigterm_takes_its_game_processes_with_it(tmp_path):
    import signal
    import subprocess
    import time

    def children(pid):
        out = []
        for entry in os.listdir("/proc"):
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except (OSError, ValueError):
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if entry.isdigit() and int(fields[1]) == pid:
                out.append(int(entry))
        return out

    def alive(pid):
        try:
            return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc to find the game processes")
    proc = subprocess.Popen([sys.executable, "-m", "selfplay.cli", "a=random", "b=random", "--games", "100000",
                             "--jobs", "2", "--no-progress", "--out", str(tmp_path / "m")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = tmp_path / "m" / "results.jsonl"
    deadline = time.monotonic() + 120
    while not (results.exists() and results.read_text().count("\n") >= 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [pid for pid in children(proc.pid) if "goengine-arena-worker" in open(f"/proc/{pid}/cmdline").read()
               or "multiprocessing" in open(f"/proc/{pid}/cmdline").read()]
    assert len(workers) >= 2, "the game processes were not found while games were being played"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]
    assert "Traceback" not in proc.stderr.read().decode()
