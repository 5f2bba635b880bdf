"""goengine-train distill without a teacher: a new ZeroNet trained from scratch on a run's
shards (Leela Zero's bootstrap of a bigger network), measured on held-out whole games."""
import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.coords import BLACK, WHITE  # noqa: E402
from goengine.models import load  # noqa: E402
from selfplay.records import GameSamples, write_shard  # noqa: E402
from training import compress  # noqa: E402
from training.__main__ import main  # noqa: E402
from training.datasets import split_holdout  # noqa: E402

torch.set_num_threads(1)
SIZE = 5


def _game(rng, winner):
    """A game whose every policy target is the centre point and whose outcome is told by
    the winner's stones along one edge: a net can learn both."""
    g = GameSamples(SIZE)
    for i in range(6):
        stones = (rng.random((8, SIZE * SIZE)) < 0.2).astype(np.int8) * WHITE
        stones[:, :SIZE] = winner
        pi = np.full(SIZE * SIZE + 1, 0.01, np.float32)
        pi[12] = 1.0
        g.add(stones, BLACK if i % 2 == 0 else WHITE, pi / pi.sum())
    g.finish(winner)
    return g


@pytest.fixture
def shards(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "shards"
    for k in range(6):
        write_shard(folder / f"shard_{k:05d}.npz",
                    [_game(rng, BLACK if j % 2 else WHITE) for j in range(8)], komi=7.5)
    return folder


def _args(shards, out, *extra):
    return ["distill", "--shards", str(shards), "--out", str(out), "--student", "tiny", "--steps", "40",
            "--batch-size", "32", "--eval-every", "10", "--holdout-every", "3", "--learning-rate", "0.05",
            "--threads", "1", "--checkpoint-every", "10", "--quiet", *extra]


def _log(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_bootstrap_learns_the_held_out_games_and_writes_a_zero_checkpoint(shards, tmp_path, capsys):
    out = tmp_path / "net.pt"
    reference = tmp_path / "ref.pt"
    assert main(_args(shards, reference, "--steps", "5")) == 0
    assert main(_args(shards, out, "--compare", str(reference))) == 0
    rows = _log(tmp_path / "net.csv")
    assert [int(r["step"]) for r in rows] == [10, 20, 30, 40]
    assert float(rows[-1]["held_policy_loss"]) < float(rows[0]["held_policy_loss"])
    assert float(rows[-1]["held_value_loss"]) < float(rows[0]["held_value_loss"])
    model = load(out, kind="zero")
    assert model.config.board_size == SIZE and model.config.blocks == 2
    assert model.meta["recipe"] == "zero" and model.meta["bootstrapped_from"] == [str(shards)]
    held, ref = model.meta["held_out"], model.meta["held_out_reference"]
    assert held["policy_loss"] == pytest.approx(float(rows[-1]["held_policy_loss"]))
    assert held["policy_loss"] < ref["policy_loss"] and held["value_loss"] < ref["value_loss"]
    assert not (tmp_path / "net.pt.progress.pt").exists()
    text = capsys.readouterr().out
    assert "no teacher" in text and "held-out games: policy loss" in text and "ref.pt on them" in text


def test_held_out_shards_are_whole_shards_never_trained_on(shards):
    train, held = split_holdout(compress.shard_paths(shards), 3)
    assert [p.name for p in held] == ["shard_00002.npz", "shard_00005.npz"]
    assert not set(train) & set(held) and len(train) == 4


def test_bootstrap_killed_mid_training_resumes_to_the_same_network(shards, tmp_path, monkeypatch):
    whole = tmp_path / "whole.pt"
    main(_args(shards, whole))
    calls = {"n": 0}
    losses = compress.distill_losses

    def dies_in_step_25(*a):
        calls["n"] += 1
        if calls["n"] == 25 + 2:  # 24 training steps and two held-out measurements before
            raise KeyboardInterrupt
        return losses(*a)

    resumed = tmp_path / "resumed.pt"
    monkeypatch.setattr(compress, "distill_losses", dies_in_step_25)
    assert main(_args(shards, resumed)) == 130  # goengine-train's answer to Ctrl-C
    assert (tmp_path / "resumed.pt.progress.pt").exists() and not resumed.exists()
    assert [int(r["step"]) for r in _log(tmp_path / "resumed.csv")] == [10, 20]
    monkeypatch.setattr(compress, "distill_losses", losses)
    main(_args(shards, resumed))
    assert [int(r["step"]) for r in _log(tmp_path / "resumed.csv")] == [10, 20, 30, 40]
    a, b = load(whole, kind="zero").state_dict(), load(resumed, kind="zero").state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], msg=name)


def test_bad_holdouts_are_refused(tmp_path, shards, capsys):
    assert main(_args(shards, tmp_path / "n.pt", "--holdout-every", "10")) != 0
    assert "only 6 shards: too few to hold out one in 10" in capsys.readouterr().err
    assert main(_args(shards, tmp_path / "n.pt", "--holdout-every", "1")) != 0
    assert "give at least 2" in capsys.readouterr().err
    assert not (tmp_path / "n.pt").exists()


def test_init_continues_a_network_and_keeps_its_size(shards, tmp_path, capsys):
    first = tmp_path / "first.pt"
    assert main(_args(shards, first, "--filters", "16", "--lr-drops", "0.6", "0.85")) == 0
    assert load(first, kind="zero").meta["distill"]["lr_drops"] == [0.6, 0.85]
    more = tmp_path / "more.pt"
    assert main(_args(shards, more, "--init", str(first), "--learning-rate", "0.01")) == 0
    net = load(more, kind="zero")
    assert net.config.filters == 16 and net.meta["initial_weights"] == str(first)
    first_rows, more_rows = _log(tmp_path / "first.csv"), _log(tmp_path / "more.csv")
    # it starts where the first left off, far below a fresh network's first measurement
    assert float(more_rows[0]["held_policy_loss"]) < float(first_rows[0]["held_policy_loss"])
    assert main(_args(shards, tmp_path / "x.pt", "--lr-drops", "1.5")) != 0
    assert "--lr-drops are fractions" in capsys.readouterr().err
    from goengine.agents import shipped_weights
    assert main(_args(shards, tmp_path / "x.pt", "--init", shipped_weights())) != 0
    assert "plays 9x9, the shards 5x5" in capsys.readouterr().err
