"""goengine-arena review: a Zero agent's own win rate along the games of an arena folder."""
import json

import pytest

pytest.importorskip("torch")

from selfplay.arena import ArenaConfig, run_arena  # noqa: E402
from selfplay.cli import main  # noqa: E402
from selfplay.review import review_folder, summarize_reviews  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "zero-vs-random"
    run_arena(["z=zero:visits=8,batch=8", "random"], out, ArenaConfig(games=4, seed=3, max_moves=60),
              progress=False)
    return out


def test_review_replays_every_game_of_the_agent_at_its_moves(folder):
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    reviews = review_folder(folder, "z", visits=16, lost_only=False)
    assert sorted(r.key for r in reviews) == sorted(r["key"] for r in rows)
    for review in reviews:
        row = next(r for r in rows if r["key"] == review.key)
        assert review.colour == ("B" if row["black"] == "z" else "W")
        assert review.won == (row["winner"] == "z")
        assert review.moves == row["moves"]
        numbers = [m for m, _ in review.winrates]
        first = 1 if review.colour == "B" else 2
        # the agent's moves only (it may have resigned or been the last to move)
        assert numbers == list(range(first, first + 2 * len(numbers), 2))
        assert len(numbers) >= (review.moves - 1) // 2
        assert all(0.0 <= w <= 1.0 for _, w in review.winrates)
    summary = summarize_reviews(reviews)
    assert summary["games"] == len(rows)
    assert summary["lost"] == sum(r["winner"] != "z" for r in rows)
    only_lost = review_folder(folder, "z", visits=16)
    assert [r.key for r in only_lost] == [r.key for r in reviews if not r.won]


def test_review_command_writes_json_lines_and_names_bad_input(folder, tmp_path, capsys):
    out = tmp_path / "review.jsonl"
    assert main(["review", str(folder), "--agent", "z", "--visits", "8", "--all", "--limit", "2",
                 "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2 and all(line["winrates"] for line in lines)
    assert "reviewed" in capsys.readouterr().out
    assert main(["review", str(folder), "--agent", "nobody"]) == 1
    assert "no game of 'nobody'" in capsys.readouterr().err
    assert main(["review", str(folder), "--agent", "random"]) == 1
    assert "not a zero one" in capsys.readouterr().err
    assert main(["review", str(tmp_path), "--agent", "z"]) == 1
    assert "no results.jsonl" in capsys.readouterr().err
