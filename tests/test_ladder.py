"""The ladder (selfplay/ladder.py), its report (selfplay/report.py), the network agent kinds
(zero, lee, policy in goengine/agents/kinds.py) and games played in parallel
(selfplay/arena/parallel.py): Elo against hand-computed cases, resuming without replaying,
--jobs 2 against --jobs 1, a report from a hand-written result set."""
from __future__ import annotations

import json
import math

import pytest

from goengine.game import GameState, Rules
from selfplay import arena
from goengine.agents import (
    AgentContext,
    SpecError,
    check_agent_spec,
    make_agent,
    parse_agent_spec,
)
from selfplay.cli import main as arena_main
from selfplay.elo import fit_elo
from selfplay.game_runner import play_game
from selfplay.ladder import (
    DEFAULT_ANCHOR_RATING,
    LadderError,
    load_ladder,
    parse_ladder,
    run_ladder,
)
from selfplay.report import ReportError, training_totals, write_report

ELO_3_TO_1 = 400 * math.log10(3)  # 190.85: a 75% score


# ============================================================================ Elo by hand
def test_two_players_three_wins_of_four():
    fit = fit_elo([("a", "b", 1), ("a", "b", 1), ("b", "a", 0), ("a", "b", 0)], anchor="b",
                  anchor_rating=1500)
    assert fit.diff("a", "b") == pytest.approx(ELO_3_TO_1, abs=1e-3)
    assert fit.ratings["b"] == 1500 and fit.ratings["a"] == pytest.approx(1500 + ELO_3_TO_1,
                                                                          abs=1e-3)


def test_three_players_by_hand():
    """A scores 3/4 against B, B 3/4 against C, A 9/10 against C. With R_A - R_B = R_B - R_C
    = d = 400 log10(3), every expected score equals the actual one (E(d) = 3/4, E(2d) =
    1/(1 + 1/9) = 9/10): Zermelo's equations hold, so this is the (unique) maximum."""
    games = ([("A", "B", 1)] * 3 + [("A", "B", 0)] + [("B", "C", 1)] * 3 + [("C", "B", 1)]
             + [("A", "C", 1)] * 9 + [("C", "A", 1)])
    fit = fit_elo(games, anchor="C", anchor_rating=0)
    assert fit.ratings["B"] == pytest.approx(ELO_3_TO_1, abs=1e-3)
    assert fit.ratings["A"] == pytest.approx(2 * ELO_3_TO_1, abs=1e-3)
    # a chain without A-C games: the differences add up
    chain = fit_elo(games[:8], anchor="C")
    assert chain.diff("A", "C") == pytest.approx(2 * ELO_3_TO_1, abs=1e-3)
    lo, hi = fit.interval("A", "C")
    assert lo < 2 * ELO_3_TO_1 < hi


# ============================================================================ ladder files
def _ladder(tmp_path, games=2, **extra):
    data = {"size": 5, "komi": 0.5, "games": games, "anchor": "rand", "anchor_rating": 0,
            "entrants": [{"label": "rand", "spec": "random", "recipe": "random"},
                         {"label": "m8", "spec": "mcts:visits=8", "recipe": "mcts"},
                         {"label": "m16", "spec": "mcts:visits=16", "recipe": "mcts"}]}
    data.update(extra)
    path = tmp_path / "ladder.in.json"
    path.write_text(json.dumps(data))
    return path


def test_ladder_file_defaults_and_pairings(tmp_path):
    ladder = parse_ladder({"entrants": [
        {"label": "z", "spec": "zero:visits=200", "recipe": "zero",
         "training": {"games": 10, "cpu_hours": 0.5}},
        {"label": "g", "spec": "gtp:gnugo --mode gtp --level 10", "recipe": "gnugo"},
        "mcts:seconds=1"]})
    assert ladder.anchor == "g" and ladder.anchor_rating == DEFAULT_ANCHOR_RATING
    assert (ladder.size, ladder.komi, ladder.seed) == (9, 7.5, 1)
    assert ladder.entrant("z").budget == {"visits": 200}
    assert ladder.entrant("mcts:seconds=1").budget == {"seconds": 1.0}
    assert [p[:2] for p in ladder.pairings] == [("z", "g"), ("z", "mcts:seconds=1"),
                                                ("g", "mcts:seconds=1")]
    star = parse_ladder({"entrants": ["random", "a=random", "b=random"], "anchor": "a",
                         "pairings": "anchor", "games": 3})
    assert star.pairings == (("random", "a", 3), ("a", "b", 3))
    listed = parse_ladder({"entrants": ["random", "a=random", "b=random"],
                           "pairings": [["b", "random", 4], ["a", "b"]], "games": 2})
    assert listed.pairings == (("random", "b", 4), ("a", "b", 2))  # entrants' order
    plan = listed.schedule()
    assert len(plan) == 6 and [g.key for g in plan[:2]] == ["random|b|0", "a|b|0"]
    assert all((g.black == g.a) == (g.index % 2 == 0) for g in plan)


@pytest.mark.parametrize("data,message", [
    ({"entrants": ["random"]}, "at least two entrants"),
    ({"entrants": ["random", "random"]}, "two entrants are labelled 'random'"),
    ({"entrants": ["random", "mcts:vists=3"]}, "entrant 2: .*unknown option 'vists'"),
    ({"entrants": ["random", "mcts"], "sise": 9}, "unknown key 'sise'"),
    ({"entrants": ["random", "mcts"], "anchor": "gnugo"}, "anchor 'gnugo' is not an entrant"),
    ({"entrants": ["random", "mcts"], "pairings": [["random", "gnugo"]]},
     "'gnugo' is not an entrant"),
    ({"entrants": ["random", "mcts"], "pairings": [["random", "mcts"], ["mcts", "random"]]},
     "given twice"),
    ({"entrants": ["random", "mcts"], "size": 25}, "'size' must be an integer from 2 to 19"),
    ({"entrants": [{"spec": "random", "budget": {"visit": 3}}, "mcts"]}, "'budget'"),
    ({"entrants": [{"spec": "random", "training": {"cpu_hours": -1}}, "mcts"]},
     "'cpu_hours' must be a number >= 0"),
    ({"entrants": [{"spec": "random", "label": "a|b"}, "mcts"]}, "label 'a\\|b'"),
])
def test_ladder_file_errors_are_clear(data, message):
    with pytest.raises(LadderError, match=message):
        parse_ladder(data)


def test_ladder_file_json_errors_name_the_place(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"entrants": [\n "random",, ]}')
    with pytest.raises(LadderError, match="bad.json: not valid JSON: .* line 2"):
        load_ladder(path)
    with pytest.raises(LadderError, match="cannot read the ladder file"):
        load_ladder(tmp_path / "missing.json")


# ============================================================================ running
def test_ladder_resumes_without_replaying(tmp_path, monkeypatch):
    calls = []
    from selfplay.arena import match
    real = match.play_game

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(match, "play_game", counting)
    out = tmp_path / "run"
    summary = run_ladder(_ladder(tmp_path, games=2), out, progress=False)
    assert len(calls) == 6 and summary["games"] == 6
    assert {p["player"] for p in summary["ratings"]} == {"rand", "m8", "m16"}
    assert summary["elo"]["anchor"] == "rand" and summary["elo"]["anchor_rating"] == 0
    first = (out / "results.jsonl").read_text()
    copied = json.loads((out / "ladder.json").read_text())
    assert [e["label"] for e in copied["entrants"]] == ["rand", "m8", "m16"]
    for name in ("arena.json", "summary.json"):
        assert (out / name).is_file()
    assert len(list((out / "games").rglob("*.sgf"))) == 6
    run_ladder(_ladder(tmp_path, games=2), out, progress=False)
    assert len(calls) == 6  # nothing replayed
    assert (out / "results.jsonl").read_text() == first
    summary = run_ladder(_ladder(tmp_path, games=3), out, progress=False)
    assert len(calls) == 9 and summary["games"] == 9  # only game 2 of each pairing
    text = (out / "results.jsonl").read_text()
    assert text.startswith(first)
    keys = [json.loads(line)["key"] for line in text.splitlines()]
    assert len(set(keys)) == 9
    # resuming from the folder itself (its ladder.json), through the command line
    assert arena_main(["ladder", str(out), "--no-progress", "--json"]) == 0
    assert len(calls) == 9


def test_ladder_refuses_a_changed_spec_and_keeps_retired_entrants(tmp_path):
    out = tmp_path / "run"
    run_ladder(_ladder(tmp_path, games=1), out, progress=False)
    changed = _ladder(tmp_path, games=1, entrants=[
        {"label": "rand", "spec": "random"}, {"label": "m8", "spec": "mcts:visits=9"}])
    with pytest.raises(LadderError, match="entrant 'm8' played its games .* new label"):
        run_ladder(changed, out, progress=False)
    fewer = _ladder(tmp_path, games=1, entrants=[
        {"label": "rand", "spec": "random"}, {"label": "m8", "spec": "mcts:visits=8"}])
    summary = run_ladder(fewer, out, progress=False)
    assert summary["games"] == 3  # m16's games still count
    copied = json.loads((out / "ladder.json").read_text())
    assert {"label": "m16", "spec": "mcts:visits=16", "recipe": "mcts",
            "budget": {"visits": 16}, "retired": True} in copied["entrants"]


def test_ladder_refuses_an_entrant_whose_network_file_was_replaced(tmp_path):
    from goengine.agents import RandomAgent
    from goengine.agents import AGENT_KINDS, register_agent_kind

    @register_agent_kind("netfake", options={"weights": str}, files=lambda o: [o["weights"]])
    def _netfake(options, context, stream):
        return RandomAgent(context.rng(*stream))

    weights = tmp_path / "best.pt"
    weights.write_bytes(b"generation 52")
    entrants = [{"label": "rand", "spec": "random"},
                {"label": "net-1s", "spec": f"netfake:weights={weights}"}]
    out = tmp_path / "run"
    try:
        run_ladder(_ladder(tmp_path, games=1, entrants=entrants), out, progress=False)
        weights.write_bytes(b"generation 80")  # the ladder file is unchanged, the network is not
        with pytest.raises(arena.ArenaError, match="'net-1s' played its games there with the weights"):
            run_ladder(_ladder(tmp_path, games=2, entrants=entrants), out, progress=False)
        assert len(arena.load_results(out)) == 1
        kept = tmp_path / "gen52.pt"  # the file it played with, under another name: the same entrant
        kept.write_bytes(b"generation 52")
        entrants[1]["spec"] = f"netfake:weights={kept}"
        run_ladder(_ladder(tmp_path, games=2, entrants=entrants), out, progress=False)
        assert len(arena.load_results(out)) == 2
    finally:
        AGENT_KINDS.pop("netfake", None)


def test_jobs_2_plays_the_same_games(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    run_ladder(_ladder(tmp_path, games=2), one, progress=False)
    summary = run_ladder(_ladder(tmp_path, games=2), two, jobs=2, progress=False)
    assert summary["games"] == 6 and summary["failed"] == []

    def games(folder):
        return {r.key: r.result for r in arena.load_results(folder)}
    # per-game random streams: the same games, whichever process played them
    assert games(one) == games(two)
    assert len(list((two / "games").rglob("*.sgf"))) == 6
    # a larger count in parallel adds only the new games
    run_ladder(_ladder(tmp_path, games=3), two, jobs=2, progress=False)
    assert set(games(two)) == set(games(one)) | {f"{a}|{b}|2" for a, b in
                                                 (("rand", "m8"), ("rand", "m16"), ("m8", "m16"))}


def test_ladder_command_line(tmp_path, capsys):
    path = _ladder(tmp_path, games=1, anchor="m8", anchor_rating=1000)
    out = tmp_path / "cli"
    assert arena_main(["ladder", str(path), "--out", str(out), "--dry-run"]) == 0
    assert "3 games, 3 to play" in capsys.readouterr().out
    assert arena_main(["ladder", str(path), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "3 games on 5x5" in printed and "m8 fixed at 1000" in printed
    assert arena_main(["table", str(out)]) == 0  # the ladder's anchor by default
    assert "m8 fixed at 1000" in capsys.readouterr().out
    assert arena_main(["report", str(out), "--out", str(tmp_path / "rep.md")]) == 0
    assert (tmp_path / "rep.md").is_file() and (tmp_path / "rep-plots" / "winrate.png").is_file()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"entrants": ["random", "lee:visits=3,weights=no/such/lee.json"]}))
    assert arena_main(["ladder", str(bad), "--out", str(tmp_path / "bad"), "--no-progress"]) == 2
    assert "'no/such/lee.json' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "bad" / "results.jsonl").exists()  # refused before any game


# ============================================================================ the report
def _fake_folder(folder, training=True):
    """A ladder folder written by hand: six entrants, strengths known, 4 games a pairing."""
    strength = {"gnugo10": 0, "zero-100": -150, "zero-400": 40, "zero-gen5": -300,
                "lee-100": -200, "lee-400": -30}
    lee_training = {"stages": {"expert": {"games": 2000, "cpu_hours": 0.5},
                               "sl": {"steps": 20000, "cpu_hours": 1.0},
                               "rl": {"games": 3000, "steps": 300, "cpu_hours": 0.7},
                               "value": {"games": 1000, "steps": 5000, "cpu_hours": 0.4}}}
    entrants = [
        {"label": "gnugo10", "spec": "gtp:gnugo --mode gtp --level 10", "recipe": "gnugo"},
        {"label": "zero-100", "spec": "zero:visits=100", "recipe": "zero",
         "training": {"games": 20000, "steps": 30000, "cpu_hours": 2.5, "gpu_hours": 0}},
        {"label": "zero-400", "spec": "zero:visits=400", "recipe": "zero",
         "training": {"games": 20000, "steps": 30000, "cpu_hours": 2.5, "gpu_hours": 0}},
        {"label": "zero-gen5", "spec": "zero:visits=400,weights=gen5.pt", "recipe": "zero",
         "training": {"games": 5000, "steps": 8000, "cpu_hours": 0.6}},
        {"label": "lee-100", "spec": "lee:weights=lee.json,visits=100", "recipe": "lee",
         "training": lee_training},
        {"label": "lee-400", "spec": "lee:weights=lee.json,visits=400", "recipe": "lee",
         "training": lee_training}]
    if not training:
        for e in entrants:
            e.pop("training", None)
    folder.mkdir()
    (folder / "ladder.json").write_text(json.dumps(
        {"title": "Lee vs Zero", "size": 9, "komi": 7.5, "anchor": "gnugo10",
         "anchor_rating": 1500, "games": 4, "entrants": entrants}))
    labels = [e["label"] for e in entrants]
    lines = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            wins_a = round(4 / (1 + 10 ** (-(strength[a] - strength[b]) / 400)))
            for k in range(4):
                black, white = (a, b) if k % 2 == 0 else (b, a)
                winner = a if k < wins_a else b
                lines.append(json.dumps({
                    "key": f"{a}|{b}|{k}", "a": a, "b": b, "index": k, "black": black,
                    "white": white, "result": ("B" if winner == black else "W") + "+2.5",
                    "winner": winner, "reason": "score", "moves": 70, "seconds": 40.0,
                    "sgf": f"games/{a}--{b}/{k:04d}.sgf"}))
    (folder / "results.jsonl").write_text("\n".join(lines) + "\n")


def test_report_renders_markdown_and_plots(tmp_path):
    folder = tmp_path / "ladder"
    _fake_folder(folder)
    md = write_report(folder, tmp_path / "out")
    assert md == tmp_path / "out" / "README.md"
    text = md.read_text()
    for heading in ("# Lee vs Zero", "## Ratings", "## Win rates",
                    "## Strength against thinking time", "## Strength against training compute",
                    "## Training cost of the recipes", "## Entrants"):
        assert heading in text
    assert "gnugo10 fixed at 1500" in text and "| `gnugo10` | gnugo |  | 1500 |" in text
    for png in ("winrate.png", "elo_vs_visits.png", "elo_vs_cpu_hours.png", "elo_vs_games.png"):
        assert (tmp_path / "out" / png).read_bytes()[:4] == b"\x89PNG"
        assert f"]({png})" in text
    assert "| CPU hours | 2.6 | 2.5 |" in text            # lee's stages summed, zero's total
    assert "| lee | sl |" in text
    assert "Too little data" not in text
    assert "repeat move for move" not in text  # no SGF files: nothing known to repeat


def test_report_names_pairings_whose_games_repeat(tmp_path):
    from goengine.sgf import GameRecord, write_sgf
    folder = tmp_path / "ladder"
    _fake_folder(folder)
    games = folder / "games" / "gnugo10--zero-100"
    games.mkdir(parents=True)
    same = GameRecord(size=9, komi=7.5, moves=[(1, 40), (2, 41)], result="B+2.5")
    for k in (0, 2):  # the same game twice with the same colours
        write_sgf(same, games / f"{k:04d}.sgf")
    write_sgf(same, games / "0001.sgf")  # the same moves, colours swapped: another game
    (games / "0003.sgf").write_text("not an sgf")  # unreadable: counted as distinct
    text = write_report(folder, tmp_path / "out").read_text()
    assert "`gnugo10`-`zero-100` 3 distinct of 4." in text
    assert text.count("distinct of") == 1


def test_report_with_too_little_data_says_so(tmp_path):
    folder = tmp_path / "ladder"
    _fake_folder(folder, training=False)
    notes = tmp_path / "discussion.md"
    notes.write_text("## What it shows\n\nZero overtakes Lee.\n")
    text = write_report(folder, tmp_path / "docs" / "comparison.md", discussion=notes).read_text()
    assert text.index("## What it shows\n\nZero overtakes Lee.") < text.index("## Ratings")
    with pytest.raises(ReportError, match="discussion file .*nowhere.md"):
        write_report(folder, tmp_path / "docs" / "comparison.md", discussion=tmp_path / "nowhere.md")
    assert "## Strength against training compute\n\nToo little data" in text
    assert "No entrant gives `training` metadata" in text
    assert (tmp_path / "docs" / "comparison-plots" / "winrate.png").is_file()
    assert (tmp_path / "docs" / "comparison-plots" / "elo_vs_visits.png").is_file()
    assert training_totals({"stages": {"a": {"games": 2}, "b": {"games": 3, "steps": 1}}}) == {
        "games": 5, "steps": 1}


# ============================================================================ network kinds
def test_network_specs_parse_and_check():
    spec = parse_agent_spec("zero:visits=200")
    assert spec.kind == "zero" and dict(spec.options) == {"visits": 200}
    spec = parse_agent_spec("z=zero:seconds=1,weights=path.pt,symmetries=all,backend=torch")
    assert spec.label == "z" and dict(spec.options)["backend"] == "torch"
    spec = parse_agent_spec("lee:weights=runs/lee/lee.json,visits=200,lambda=0.5")
    assert dict(spec.options) == {"weights": "runs/lee/lee.json", "visits": 200, "lambda": 0.5}
    assert dict(parse_agent_spec("policy:weights=sl.pt,sample=true").options)["sample"] is True
    for text, message in (("zero:vists=3", "unknown option 'vists' for zero"),
                          ("zero:backend=cuda", "must be one of auto, torch"),
                          ("lee:lambda=2", "must be between 0 and 1"),
                          ("policy:sample=maybe", "must be true or false")):
        with pytest.raises(SpecError, match=message):
            parse_agent_spec(text)
    check_agent_spec("zero:visits=2")  # the shipped network
    with pytest.raises(SpecError, match="weights file 'no/such.pt' does not exist"):
        check_agent_spec("zero:weights=no/such.pt")
    import goengine.agents.builders
    with pytest.MonkeyPatch.context() as mp:  # as on a checkout with no Lee networks shipped
        mp.setattr(goengine.agents.builders, "shipped_weights", lambda name=None: None)
        with pytest.raises(SpecError, match="lee:visits=5.*lee needs weights=MANIFEST"):
            check_agent_spec("lee:visits=5")
    with pytest.raises(SpecError, match="Lee weights manifest 'runs/none/lee.json' does not exist"):
        make_agent("lee:weights=runs/none/lee.json")
    with pytest.raises(SpecError, match="zero:visits=5,seconds=0.*bad value '0' for seconds"):
        make_agent("zero:visits=5,seconds=0")


def test_shipped_zero_plays_a_short_game():
    zero = make_agent("zero:visits=4,backend=torch", AgentContext(size=9, seed=1, threads=1))
    policy = make_agent("policy", AgentContext(size=9, seed=2))
    assert zero.name == "zero:visits=4,backend=torch"
    record = play_game(zero, policy, size=9, rules=Rules(komi=7.5), max_moves=16)
    assert len(record.moves) >= 1 and record.to_game() is not None
    with pytest.raises(SpecError, match="9x9 network; this run plays 5x5"):
        make_agent("policy", AgentContext(size=5))


def test_lee_kind_plays_from_a_manifest(tmp_path):
    from goengine.features import NUM_ROLLOUT_FEATURES
    from goengine.models import PolicyNet, PolicyNetConfig, RolloutNet, RolloutNetConfig, save
    save(PolicyNet(PolicyNetConfig(layers=2, filters=8)), tmp_path / "sl.pt")
    save(RolloutNet(RolloutNetConfig(num_features=NUM_ROLLOUT_FEATURES)), tmp_path / "rollout.pt")
    manifest = tmp_path / "lee.json"
    manifest.write_text(json.dumps({"policy": "sl.pt", "rollout": "rollout.pt"}))
    agent = make_agent(f"lee:weights={manifest},visits=8,lambda=1", AgentContext(seed=1))
    game = GameState(9, Rules(komi=7.5))
    for _ in range(2):
        move = agent.select_move(game)
        assert game.is_legal(move)
        game.play(move)
    assert agent.mcts.config.mix_lambda == 1.0
    digests = arena.agent_digests(f"lee:weights={manifest}")
    assert sorted(digests) == sorted(str(p) for p in (manifest, tmp_path / "sl.pt", tmp_path / "rollout.pt"))
    (tmp_path / "rollout.pt").unlink()
    with pytest.raises(SpecError, match="rollout checkpoint named by .*does not exist"):
        check_agent_spec(f"lee:weights={manifest}")
