"""Anchor checks of a Zero run: its best network against a fixed opponent every N generations."""
import json

import pytest

pytest.importorskip("torch")

from training.zero import ZeroRun  # noqa: E402
from test_zero import tiny_config  # noqa: E402


def _anchored(**changes):
    return tiny_config(anchor="random", anchor_every=1, anchor_games=2, anchor_visits=8, **changes)


def _results(folder):
    return [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]


def test_best_network_is_checked_every_n_generations_and_once_per_network(tmp_path):
    run = ZeroRun(tmp_path / "run", _anchored(generations=2), log=lambda *a: None, progress=False)
    run.run()
    records = run.state["anchor"]
    assert sorted(records, key=int) == ["0", "1", "2"]
    for g, record in records.items():
        assert record["generation"] == int(g) and record["games"] == 2 and record["opponent"] == "random"
        assert record["wins"] == record["wins_black"] + record["wins_white"]
        folder = tmp_path / "run" / "anchor" / f"gen_{int(g):04d}"
        if "same_as" in record:  # the best did not change since that check: not played again
            assert not folder.exists() and records[str(record["same_as"])]["network"] == record["network"]
        else:
            rows = _results(folder)
            assert len(rows) == 2 and {r["black"] for r in rows} == {f"gen{record['network']}", "anchor"}
            assert sum(r["winner"] == f"gen{record['network']}" for r in rows) == record["wins"]
    assert records["0"]["network"] == 0 and "same_as" not in records["0"]
    assert records["2"]["network"] == run.state["best_generation"]
    stats = [json.loads(line) for line in (tmp_path / "run" / "stats.jsonl").read_text().splitlines()]
    played = [s for s in stats if s["stage"] == "anchor"]
    assert len(played) == sum("same_as" not in r for r in records.values())
    from training.ship import model_card
    card = model_card(tmp_path / "run", "zero-tiny", [])
    assert "**Anchor checks** (the best network at 8 visits per move vs `random`): gen 0 " in card
    assert card.count("(after generation") == len(played)


def test_a_killed_check_resumes_its_match(tmp_path):
    run = ZeroRun(tmp_path / "run", _anchored(generations=0), log=lambda *a: None, progress=False)
    run.run()  # no generation to run: only generation 0's check
    folder = tmp_path / "run" / "anchor" / "gen_0000"
    first = _results(folder)
    assert len(first) == 2
    # as if killed after its first game: one result on disk, nothing in state.json
    (folder / "results.jsonl").write_text(json.dumps(first[0]) + "\n")
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    del state["anchor"]
    (tmp_path / "run" / "state.json").write_text(json.dumps(state))
    again = ZeroRun(tmp_path / "run", None, log=lambda *a: None, progress=False,
                    runtime=dict(anchor="random", anchor_every=1, anchor_games=2, anchor_visits=8))
    again.run()
    rows = _results(folder)
    assert len(rows) == 2 and rows[0] == first[0] and again.state["anchor"]["0"]["games"] == 2


def test_no_anchor_no_checks(tmp_path):
    run = ZeroRun(tmp_path / "run", tiny_config(generations=1), log=lambda *a: None, progress=False)
    run.run()
    assert "anchor" not in run.state and not (tmp_path / "run" / "anchor").exists()


def test_bad_anchor_options_are_refused_before_the_run_starts(tmp_path, capsys):
    from training.__main__ import main
    assert main(["zero", "--run", str(tmp_path / "r"), "--anchor", "alphago:x", "--quiet"]) == 2
    assert "--anchor: agent spec 'alphago:x': unknown agent kind" in capsys.readouterr().err
    assert main(["zero", "--run", str(tmp_path / "r"), "--anchor", "random", "--anchor-every", "0"]) == 2
    assert "--anchor-every must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_the_command_line_reports_the_checks(tmp_path, capsys):
    from training.__main__ import main
    run = tmp_path / "r"
    ZeroRun(run, _anchored(generations=0), log=lambda *a: None, progress=False).run()
    assert main(["zero", "--run", str(run), "--quiet", "--anchor", "random", "--anchor-every", "1",
                 "--anchor-games", "2", "--anchor-visits", "8"]) == 0
    out = capsys.readouterr().out
    assert "anchor checks against random: after gen 0: gen 0 " in out and "/2" in out
