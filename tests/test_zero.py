"""The AlphaGo Zero loop: shards, self-play bookkeeping, training, gating, kill -9 resumes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.coords import BLACK, EMPTY, WHITE  # noqa: E402
from goengine.models import ZeroNet, zero_config, PolicyValueEvaluator  # noqa: E402
from selfplay.records import GameSamples, ShardError, list_shards, read_shard, write_shard  # noqa: E402
from selfplay.worker import (FinishedGame, SelfPlayConfig, SelfPlayWorker, calibrate_resign_threshold, selfplay_search,  # noqa: E402
                             resignation_stats)
from training.datasets import ReplayWindow  # noqa: E402
from training.zero import ZeroRun  # noqa: E402
from training.zero_config import preset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)


def tiny_config(**changes):
    base = dict(generations=1, games_per_generation=4, games_per_shard=2, train_steps=20,
                batch_size=16, gating_games=2, gating_simulations=4, checkpoint_every=5,
                selfplay=dict(search=dict(num_simulations=6, leaves_per_batch=2), parallel_games=4, max_moves=40),
                threads=1)
    sp = base.pop("selfplay")
    sp.update(changes.pop("selfplay", {}))
    base.update(changes)
    return preset("tiny", selfplay=sp, **base)


def _samples(size=5, moves=3, winner=BLACK):
    g = GameSamples(size)
    rng = np.random.default_rng(moves)
    for i in range(moves):
        stones = rng.integers(0, 3, size=(8, size * size)).astype(np.int8)
        pi = rng.random(size * size + 1).astype(np.float32)
        g.add(stones, BLACK if i % 2 == 0 else WHITE, pi / pi.sum(), full_search=i != 1)
    g.finish(winner)
    return g


def test_shard_round_trip(tmp_path):
    games = [_samples(moves=3, winner=BLACK), _samples(moves=4, winner=WHITE), _samples(moves=2, winner=0)]
    path = write_shard(tmp_path / "s.npz", games, komi=6.5, generation=3)
    data = read_shard(path)
    assert data["stones"].shape == (9, 8, 25)
    np.testing.assert_array_equal(data["stones"][:3], np.stack(games[0].stones))
    np.testing.assert_array_equal(data["z"][:3], [1, -1, 1])      # black won; black, white, black to move
    np.testing.assert_array_equal(data["z"][3:7], [-1, 1, -1, 1])  # white won
    np.testing.assert_array_equal(data["z"][7:], [0, 0])
    np.testing.assert_array_equal(data["full_search"][:3], [True, False, True])
    np.testing.assert_array_equal(data["game"], [0, 0, 0, 1, 1, 1, 1, 2, 2])
    assert float(data["komi"]) == 6.5 and int(data["generation"]) == 3
    np.testing.assert_allclose(data["pi"].sum(axis=1), 1.0, rtol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def test_bad_shards_are_refused_with_the_file_name(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ShardError, match="junk.npz"):
        read_shard(tmp_path / "junk.npz")
    np.savez(tmp_path / "partial.npz", schema=1, size=5)
    with pytest.raises(ShardError, match="missing arrays"):
        read_shard(tmp_path / "partial.npz")
    unfinished = GameSamples(5)
    unfinished.add(np.zeros((8, 25), np.int8), BLACK, np.ones(26) / 26)
    with pytest.raises(ValueError, match="finished"):
        write_shard(tmp_path / "u.npz", [unfinished], komi=7.5)
    # temporaries left by a killed writer are not shards
    (tmp_path / ".x.npz.123.tmp").write_bytes(b"")
    (tmp_path / ".y.npz").write_bytes(b"")
    assert [p.name for p in list_shards(tmp_path)] == ["junk.npz", "partial.npz"]


def test_replay_window_applies_symmetries_to_planes_and_policy_together():
    g = GameSamples(5)
    stones = np.zeros((8, 25), np.int8)
    stones[0, 0] = BLACK  # a black stone in the top-left corner
    pi = np.zeros(26, np.float32)
    pi[0] = 1.0           # and the policy target on that same corner
    g.add(stones, BLACK, pi)
    g.finish(BLACK)
    window = ReplayWindow([_as_shard([g])])
    x, p, z, w = window.batch(np.random.default_rng(0), 64)[:4]
    corner_planes = x[:, 0].reshape(64, 25).argmax(axis=1)
    np.testing.assert_array_equal(corner_planes, p[:, :25].argmax(axis=1))
    assert len(set(corner_planes.tolist())) == 4  # the four corners all appear
    assert np.all(z == 1)


def _as_shard(games, tmp=None):
    import tempfile
    path = Path(tempfile.mkdtemp()) / "s.npz"
    write_shard(path, games, komi=7.5)
    return read_shard(path)


def test_resignation_bookkeeping():
    def fg(playthrough, would, winner, resigned=False):
        return FinishedGame(GameSamples(5), None, winner, 10, resigned, playthrough, would)

    games = [fg(True, BLACK, WHITE), fg(True, BLACK, BLACK), fg(True, EMPTY, BLACK),
             fg(False, EMPTY, WHITE, resigned=True), fg(True, WHITE, BLACK)]
    stats = resignation_stats(games)
    assert stats["would_resign"] == 3
    assert stats["false_resignations"] == 1          # black would have resigned and won
    assert stats["false_resignation_rate"] == pytest.approx(1 / 3)
    assert stats["resigned"] == 1 and stats["playthrough"] == 4


def test_worker_resigns_and_plays_through():
    model = ZeroNet(zero_config("tiny", board_size=5))
    ev = PolicyValueEvaluator(model, rng=0)
    # a threshold above any value: every move looks lost, so players resign at once,
    # except in play-through games, which record the would-be resigner and go on
    cfg = SelfPlayConfig(size=5, parallel_games=8, search=selfplay_search(num_simulations=4, leaves_per_batch=2),
                         resign_threshold=1.1, resign_playthrough=0.5, max_moves=30)
    games = list(SelfPlayWorker(ev, cfg, rng=3).play(16))
    assert len(games) == 16
    resigned = [g for g in games if g.resigned]
    through = [g for g in games if g.playthrough]
    assert resigned and through
    assert all(g.moves == 0 and g.record.result == "W+R" for g in resigned)
    assert all(g.would_resign == BLACK for g in through)
    assert all(len(g.samples) == g.moves or g.resigned for g in games)


def test_worker_records_each_colours_lowest_value():
    model = ZeroNet(zero_config("tiny", board_size=5))
    cfg = SelfPlayConfig(size=5, parallel_games=4, search=selfplay_search(num_simulations=4, leaves_per_batch=2),
                         resign_threshold=-0.9, resign_playthrough=1.0, max_moves=20)
    games = list(SelfPlayWorker(PolicyValueEvaluator(model, rng=0), cfg, rng=2).play(4))
    for g in games:
        assert all(-1.0 <= v < 1.0 for v in g.min_values)  # both colours searched at least once
    stats = resignation_stats(games)
    decided = [g for g in games if g.winner in (BLACK, WHITE)]
    assert len(stats["playthrough_minima"]) == len(decided)
    for (w, l), g in zip(stats["playthrough_minima"], decided):
        assert w == pytest.approx(g.min_values[g.winner - 1], abs=1e-4)
        assert l == pytest.approx(g.min_values[2 - g.winner], abs=1e-4)


def test_resign_threshold_calibration_keeps_false_resignations_under_target():
    rng = np.random.default_rng(0)
    # 400 games: losers sink to -0.95..-1; winners mostly stay above -0.6, but 10% dipped to -0.8
    losers = rng.uniform(-1.0, -0.95, 400)
    winners = np.where(rng.random(400) < 0.1, -0.8, rng.uniform(-0.6, 0.9, 400))
    minima = np.stack([winners, losers], axis=1)
    t = calibrate_resign_threshold(minima, target=0.05, current=-0.9)
    candidates = (minima.min(axis=1) < t).sum()
    assert (winners < t).sum() <= 0.05 * candidates
    assert -0.8 >= t > -0.95      # above the losers' values, at or below the winners' dips
    # a target that tolerates the dips moves the threshold above them
    assert calibrate_resign_threshold(minima, target=0.2, current=-0.9) > -0.8
    # too few games that would resign: the threshold is kept
    assert calibrate_resign_threshold(minima[:5], current=-0.9) == -0.9
    assert calibrate_resign_threshold([], current=-0.7) == -0.7


def test_run_starts_from_given_weights_and_calibrates_resignation(tmp_path):
    start = ZeroNet(zero_config("tiny", board_size=9))
    torch.nn.init.constant_(start.policy_fc.bias, 0.125)  # not what a fresh init gives
    from goengine.models import load, save
    save(start, tmp_path / "start.pt", {"generation": 7})
    run = ZeroRun(tmp_path / "run", tiny_config(initial_weights=str(tmp_path / "start.pt")), log=lambda m: None,
                  progress=False)
    gen0 = load(run.model_path(0), kind="zero")
    for a, b in zip(start.state_dict().values(), gen0.state_dict().values()):
        assert torch.equal(a, b)
    assert gen0.meta["initial_meta"]["generation"] == 7
    # the threshold of generation g comes from the play-through minima of the generations before it
    run._append_stats(0, "selfplay", {"playthrough_minima": [[0.5, -0.99]] * 30})
    assert run.resign_threshold(0) == -0.9          # nothing before generation 0
    assert run.resign_threshold(1) > -0.9           # no winner ever dipped: resign earlier
    assert run.selfplay_config(1).resign_threshold == run.resign_threshold(1)


def test_window_seed_trains_on_the_parent_runs_newest_games_until_its_own_replace_them(tmp_path):
    quiet = dict(log=lambda *a: None, progress=False)
    parent = ZeroRun(tmp_path / "parent", tiny_config(), **quiet)
    parent.selfplay(0)
    parent_shards = list_shards(parent.selfplay_dir(0))
    newest = read_shard(parent_shards[-1])["z"].shape[0]
    cfg = tiny_config(window_seed=str(tmp_path / "parent"), window_samples=newest)
    child = ZeroRun(tmp_path / "child", cfg, **quiet)
    seeds = list_shards(child.seed_dir())
    assert [p.read_bytes() for p in seeds] == [parent_shards[-1].read_bytes()]  # the newest only: it fills the window
    window, *_ = child.trainer_state(1, "cpu")  # no games of its own yet, and still a full window
    assert len(window) == newest
    np.testing.assert_array_equal(window.z, read_shard(parent_shards[-1])["z"])
    child.selfplay(0)
    assert child.games_on_disk(0) == cfg.games_per_generation  # the seed is not this run's games
    own = np.concatenate([read_shard(p)["z"] for p in list_shards(child.selfplay_dir(0))])
    window, *_ = child.trainer_state(1, "cpu")
    assert len(window) == newest and len(own) >= newest  # its own newest games pushed the seed out
    np.testing.assert_array_equal(window.z, own[-newest:])
    # a child of the child reads its seed too: a run folder's shards are the seed, then its generations
    from training.datasets import newest_shards
    assert newest_shards(tmp_path / "child", 10**6) == seeds + list_shards(child.selfplay_dir(0))
    from training.ship import seed_note
    games = int(np.unique(read_shard(seeds[0])["game"]).size)
    assert seed_note(tmp_path / "child") == f"{games} games ({newest} samples)"


def test_window_seed_refuses_a_missing_folder_or_another_board_size(tmp_path):
    quiet = dict(log=lambda *a: None, progress=False)
    with pytest.raises(ValueError, match="no such folder"):
        ZeroRun(tmp_path / "a", tiny_config(window_seed=str(tmp_path / "nowhere")), **quiet)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no self-play shards"):
        ZeroRun(tmp_path / "b", tiny_config(window_seed=str(tmp_path / "empty")), **quiet)
    write_shard(tmp_path / "small" / "s.npz", [_samples(size=5)], komi=7.5)
    with pytest.raises(ValueError, match="a 5x5 shard, not 9x9"):
        ZeroRun(tmp_path / "c", tiny_config(window_seed=str(tmp_path / "small")), **quiet)
    assert not [p for p in tmp_path.iterdir() if p.name in "abc"]  # no half-made run folder left behind
    from training.__main__ import main
    assert main(["zero", "--run", str(tmp_path / "d"), "--window-from", str(tmp_path / "small"), "--quiet"]) == 2
    assert main(["zero", "--run", str(tmp_path / "d"), "--init", str(tmp_path / "none.pt"), "--quiet"]) == 2
    assert not (tmp_path / "d").exists()  # so the corrected command starts the run instead of refusing a resume


def test_playout_cap_marks_cheap_searches():
    model = ZeroNet(zero_config("tiny", board_size=5))
    cfg = SelfPlayConfig(size=5, parallel_games=4, search=selfplay_search(num_simulations=8), cheap_simulations=2, playout_cap=True,
                         full_search_prob=0.3, resign_threshold=None, max_moves=20)
    games = list(SelfPlayWorker(PolicyValueEvaluator(model, rng=0), cfg, rng=1).play(4))
    full = np.concatenate([np.array(g.samples.full_search) for g in games])
    assert 0 < full.mean() < 0.8


def test_tiny_loop_end_to_end(tmp_path):
    run = ZeroRun(tmp_path / "run", tiny_config(generations=2), log=lambda *a: None, progress=False)
    last = run.run()
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["generation"] == 2
    assert len(state["history"]) == 2 and last["generation"] == 2
    for g in range(2):
        assert run.games_on_disk(g) == 4
        assert len(list((run.selfplay_dir(g) / "sgf").glob("*.sgf"))) == 4
        assert len(run._gating_results(g + 1)) == 2
    assert (tmp_path / "run" / "train_log.csv").read_text().count("\n") == 1 + 2 * 2  # a row per 10 steps
    assert (tmp_path / "run" / state["best"]).exists()
    assert not list((tmp_path / "run").rglob("*.tmp"))
    timed = {(r["generation"], r["stage"]): r for r in run._stats("train") + run._stats("gating")}
    assert sorted(timed) == [(1, "gating"), (1, "train"), (2, "gating"), (2, "train")]
    assert all(r["seconds"] > 0 for r in timed.values())
    assert timed[1, "train"]["steps"] == run.config.train_steps and timed[2, "gating"]["games"] == 2
    from training.ship import model_card
    card = model_card(tmp_path / "run", "zero-tiny", ["a measured line"])
    assert "h of training and" in card and "logged for" not in card  # every generation timed
    assert "input `zero17`, KataGo's pooled heads" in card and "preset `tiny`" in card
    assert f"**Generation**: {state['best_generation']} (" in card
    card0 = model_card(tmp_path / "run", "zero-tiny", [], generation=0)  # not the best unless nothing was promoted
    assert "**Generation**: 0 (the run's starting network" in card0 and "0 self-play games before it" in card0
    assert ("the run's best is generation" in card0) == (state["best_generation"] != 0)
    from training.ship import main as ship
    assert ship(["--run", str(tmp_path / "run"), "--generation", "7", "--name", "never"]) == 2  # not promoted


def test_continuous_update_promotes_every_candidate(tmp_path):
    run = ZeroRun(tmp_path / "run", tiny_config(gating=False), log=lambda *a: None, progress=False)
    run.run()
    assert run.state["best_generation"] == 1
    assert not run.gating_path(1).exists()
    from training.ship import model_card
    card = model_card(tmp_path / "run", "zero-tiny", [])
    assert "no gating: each candidate played the next generation" in card and "Elo chain" not in card


def test_zero_elo_rates_promoted_generations_and_resumes(tmp_path, capsys):
    from training import zero_elo
    run = ZeroRun(tmp_path / "run", tiny_config(generations=2, gating=False), log=lambda m: None, progress=False)
    run.run()
    assert zero_elo.promoted_generations(run.state) == [0, 1, 2]
    assert zero_elo.chosen([0, 3, 5, 8, 9], 2) == [0, 5, 9]
    argv = ["--run", str(tmp_path / "run"), "--games", "2", "--quiet"]
    assert zero_elo.main(argv) == 0
    games = (tmp_path / "run" / "elo" / "games.jsonl").read_text().splitlines()
    assert len(games) == 6                          # (1, 0), (2, 0), (2, 1): two games each
    assert sorted(json.loads(g)["a_color"] for g in games) == ["B", "B", "B", "W", "W", "W"]
    png = (tmp_path / "run" / "elo" / "elo.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((tmp_path / "run" / "elo" / "elo.json").read_text())
    assert summary["games_before"] == {"0": 0, "1": 4, "2": 8}
    assert set(summary["ratings"]) == {"0", "1", "2"} and summary["ratings"]["0"]["elo"] == 0
    assert zero_elo.main(argv) == 0                 # resumed: nothing replayed
    assert (tmp_path / "run" / "elo" / "games.jsonl").read_text().splitlines() == games
    assert "plot:" in capsys.readouterr().out


def test_lineage_elo_rates_a_chain_of_networks_and_resumes(tmp_path, capsys):
    from goengine.models import save
    from training import lineage_elo
    paths = []
    for i, games in enumerate((10, 20, 30)):
        torch.manual_seed(i)
        paths.append(tmp_path / f"net{i}.pt")
        save(ZeroNet(zero_config("tiny", board_size=5)), paths[-1], {"recipe": "zero", "games": games})
    argv = [str(p) for p in paths] + ["--games", "2", "--simulations", "4", "--work", str(tmp_path / "w"), "--quiet"]
    assert lineage_elo.main(argv) == 0
    games = (tmp_path / "w" / "games.jsonl").read_text().splitlines()
    pairs = sorted({(json.loads(g)["a"], json.loads(g)["b"]) for g in games})
    assert pairs == [(1, 0), (2, 0), (2, 1)] and len(games) == 6  # each vs the first and vs the one before
    summary = json.loads((tmp_path / "w" / "elo.json").read_text())
    assert summary["games_before"] == {"net0": 10, "net1": 30, "net2": 60}  # the chain's games add up
    assert summary["ratings"]["net0"]["elo"] == 0 and summary["ratings"]["net2"]["games"] == 4
    assert (tmp_path / "w" / "elo.png").read_bytes()[:4] == b"\x89PNG"
    assert lineage_elo.main(argv) == 0  # resumed: nothing replayed
    assert (tmp_path / "w" / "games.jsonl").read_text().splitlines() == games
    capsys.readouterr()
    assert lineage_elo.main([str(paths[0]), str(paths[2])] + argv[3:]) == 2  # other networks, same folder
    assert "played by other networks" in capsys.readouterr().err
    torch.manual_seed(7)
    save(ZeroNet(zero_config("tiny", board_size=5)), tmp_path / "net3.pt", {"games": 5})
    assert lineage_elo.main([str(p) for p in paths] + [str(tmp_path / "net3.pt")] + argv[3:]) == 0  # one appended
    grown = (tmp_path / "w" / "games.jsonl").read_text().splitlines()
    assert grown[:6] == games and len(grown) == 10  # only the new network's two pairs were played
    assert lineage_elo.main([str(p) for p in paths] + argv[3:]) == 2  # the stored list is longer now
    assert "played by other networks" in capsys.readouterr().err
    save(ZeroNet(zero_config("tiny", board_size=9)), tmp_path / "big.pt")
    assert lineage_elo.main([str(paths[0]), str(tmp_path / "big.pt"), "--work", str(tmp_path / "v")]) == 2
    assert "several board sizes [5, 9]" in capsys.readouterr().err


def test_elo_rating_of_generations_against_hand_computed_scores():
    from training.zero_elo import rate
    rows = ([{"a": 1, "b": 0, "a_won": True}] * 3 + [{"a": 1, "b": 0, "a_won": False}])
    r = rate(rows, [0, 1])
    assert r[1]["elo"] == pytest.approx(400 * np.log10(3), abs=0.5)   # 3 of 4: 190.8 Elo
    assert r[1]["low"] < r[1]["elo"] < r[1]["high"] and r[1]["games"] == 4


def test_training_loss_falls(tmp_path):
    from goengine.models import load
    from training.zero import tensor_batch, zero_losses
    cfg = tiny_config(games_per_generation=8, train_steps=150, batch_size=32, checkpoint_every=1000,
                      selfplay=dict(search=dict(num_simulations=16)))
    run = ZeroRun(tmp_path / "run", cfg, log=lambda *a: None, progress=False)
    run.selfplay(0)
    window = ReplayWindow.from_folder(run.selfplay_dir(0))
    batch = tensor_batch(window.batch(np.random.default_rng(5), 256), "cpu")
    before = load(run.model_path(0))
    run.train(1)
    after = load(run.candidate_path(1))
    with torch.no_grad():
        p0, v0 = (zero_losses(before, batch)[k] for k in ("policy", "value"))
        p1, v1 = (zero_losses(after, batch)[k] for k in ("policy", "value"))
    assert v1 < 0.5 * v0
    assert p1 < p0
    assert p1 + v1 < 0.85 * (p0 + v0)


DRIVER = """
import sys, json
sys.path.insert(0, {root!r})
from training.zero import ZeroRun
from training.zero_config import preset
cfg = preset("tiny", **json.loads({cfg!r}))
ZeroRun({folder!r}, cfg, log=lambda *a: None, progress=False).run()
"""


def _kill_when(folder: Path, condition, cfg_json: str, timeout=120):
    code = DRIVER.format(root=str(ROOT), cfg=cfg_json, folder=str(folder))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if condition():
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            if proc.poll() is not None:
                raise AssertionError(f"the run ended before the kill point: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise AssertionError("kill point never reached")


STAGES = {
    "selfplay": lambda f: len(list_shards(f / "selfplay" / "gen_0000")) >= 1,
    "training": lambda f: (f / "train" / "progress_0001.pt").exists(),
    "gating": lambda f: (f / "gating" / "gen_0001.jsonl").exists()
    and (f / "gating" / "gen_0001.jsonl").read_text().count("\n") >= 1,
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_kill_9_then_resume(tmp_path, stage):
    cfg = dict(generations=1, games_per_generation=6, games_per_shard=2, train_steps=40, batch_size=16,
               checkpoint_every=5, gating_games=4, gating_simulations=4, threads=1,
               selfplay=dict(search=dict(num_simulations=6, leaves_per_batch=2), parallel_games=2, max_moves=40))
    folder = tmp_path / "run"
    _kill_when(folder, lambda: STAGES[stage](folder), json.dumps(cfg))
    # resume in this process and finish
    sp = cfg.pop("selfplay")
    run = ZeroRun(folder, preset("tiny", selfplay=sp, **cfg), log=lambda *a: None, progress=False)
    run.run()
    assert run.state["generation"] == 1
    shards = list_shards(folder / "selfplay" / "gen_0000")
    games = [int(np.unique(read_shard(p)["game"]).size) for p in shards]  # every shard readable
    assert sum(games) == 6 and len(shards) == 3
    lines = (folder / "gating" / "gen_0001.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["game"] for line in lines) == [0, 1, 2, 3]
    assert (folder / "train" / "candidate_0001.pt").exists()
    assert not (folder / "train" / "progress_0001.pt").exists()
    steps = [int(r.split(",")[1]) for r in (folder / "train_log.csv").read_text().splitlines()[1:]]
    assert steps == [10, 20, 30, 40]  # rows past the resumed checkpoint were dropped, not repeated


def test_resuming_with_a_config_changes_only_generations_and_runtime_settings(tmp_path):
    quiet = dict(log=lambda *a: None, progress=False)
    folder = tmp_path / "run"
    ZeroRun(folder, tiny_config(games_per_generation=4), **quiet)
    stored = (folder / "config.json").read_text()
    # runtime settings apply to the resumed process; config.json keeps the run's own
    again = ZeroRun(folder, tiny_config(games_per_generation=4, anchor="random", anchor_every=3), **quiet)
    assert (again.config.anchor, again.config.anchor_every) == ("random", 3)
    assert (folder / "config.json").read_text() == stored
    # an explicit runtime dict wins over the config's runtime fields
    both = ZeroRun(folder, tiny_config(games_per_generation=4, anchor="random"), runtime=dict(anchor=""), **quiet)
    assert both.config.anchor == ""
    # generations is stored
    longer = ZeroRun(folder, tiny_config(games_per_generation=4, generations=5), **quiet)
    assert longer.config.generations == 5 and json.loads((folder / "config.json").read_text())["generations"] == 5
    # anything else would mix two recipes in one run: refused, naming the field, nothing written
    before = (folder / "config.json").read_text()
    with pytest.raises(ValueError, match=r"differs in games_per_generation \(4 in config.json, 16 given\)"):
        ZeroRun(folder, tiny_config(games_per_generation=16), **quiet)
    assert (folder / "config.json").read_text() == before


def test_the_command_line_extends_a_run_made_with_other_settings(tmp_path):
    from training.__main__ import main
    folder = tmp_path / "run"
    ZeroRun(folder, tiny_config(games_per_generation=4, generations=0), log=lambda *a: None, progress=False)
    assert main(["zero", "--run", str(folder), "--generations", "0", "--quiet"]) == 0
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["games_per_generation"] == 4 and cfg["generations"] == 0


def test_the_selfplay_config_holds_its_search_and_reads_older_flat_configs():
    from training.zero_config import PRESETS, ZeroConfig
    old = {"size": 9, "komi": 7.5, "parallel_games": 16, "simulations": 32, "leaves_per_batch": 4,
           "c_puct": 1.5, "dirichlet_epsilon": 0.25, "dirichlet_alpha": None, "temperature_moves": None,
           "resign_threshold": -0.9, "resign_playthrough": 0.2, "playout_cap": False,
           "cheap_simulations": 25, "full_search_prob": 0.25, "max_moves": None}
    # a run folder of before: the tiny preset of then (without forced playouts)
    assert SelfPlayConfig.from_json(old) == PRESETS["tiny"].selfplay.with_search(forced_playouts=0.0)
    for name in PRESETS:
        assert ZeroConfig.from_json(PRESETS[name].to_json()) == PRESETS[name]
    cfg = PRESETS["9x9"].selfplay
    assert cfg.simulations == cfg.search.num_simulations == 96
    assert cfg.mcts_config(resign=True).resign_threshold == cfg.resign_threshold
    assert cfg.mcts_config().resign_threshold is None and cfg.search.temperature_moves is None
