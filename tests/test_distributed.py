"""Beyond one machine: the Zero loop's self-play and gating on Ray actors (a worker killed
mid-game and replaced, every shard intact, the game count exact), and its training under
torchrun with DistributedDataParallel (two gloo processes give one process's weights, and
their progress checkpoint resumes in one process)."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from selfplay.records import list_shards, read_shard  # noqa: E402
from training.zero import ZeroRun  # noqa: E402
from training.zero_config import ZeroConfig, preset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)

TINY = dict(net="tiny", generations=1, games_per_generation=4, games_per_shard=2, train_steps=20, batch_size=16,
            gating_games=2, gating_simulations=4, checkpoint_every=5, threads=1,
            selfplay=dict(search=dict(num_simulations=6, leaves_per_batch=2), parallel_games=4, max_moves=40))


if "inference" in {f.name for f in dataclasses.fields(ZeroConfig)}:
    TINY["inference"] = "torch"  # the plain torch evaluator: these tests are about where games run


def tiny(**changes):
    base = json.loads(json.dumps(TINY))
    selfplay = changes.pop("selfplay", {})
    base["selfplay"]["search"].update(selfplay.pop("search", {}))
    base["selfplay"].update(selfplay)
    base.update(changes)
    return base


def quiet_run(folder, cfg=None, **kw):
    config = None if cfg is None else preset("tiny", **json.loads(json.dumps(cfg)))
    return ZeroRun(folder, config, log=lambda *a: None, progress=False, **kw)


# ---------------------------------------------------------------------------------------- Ray

@pytest.fixture
def ray_local():
    """A Ray instance on this machine with 2 CPUs (and a small object store), for one test."""
    ray = pytest.importorskip("ray")
    from selfplay.ray_backend import local_runtime_env
    ray.init(num_cpus=2, object_store_memory=200 * 1024 ** 2, include_dashboard=False,
             logging_level="ERROR", log_to_driver=False, runtime_env=local_runtime_env())
    yield ray
    ray.shutdown()


def test_shard_plan_fills_gaps_and_never_reuses_a_name():
    pytest.importorskip("ray")
    from training.ray_zero import RayBackend
    plan = RayBackend.shard_plan({"shard_00000.npz", "shard_00002.npz"}, games=7, per_shard=3)
    assert plan == [(1, 3), (3, 3), (4, 1)]
    assert RayBackend.shard_plan(set(), games=0, per_shard=3) == []


def test_ray_loop_survives_a_worker_killed_mid_game(tmp_path, ray_local):
    ray = ray_local
    from training.ray_zero import RayBackend
    # 2 tasks of 4 games, long enough (seconds) for the killer to catch one mid-game
    cfg = tiny(games_per_generation=8, gating_games=4, selfplay=dict(search=dict(num_simulations=12), max_moves=50))
    backend = RayBackend(workers=2, log=lambda *a: None)
    pool = backend.pool
    killed = []

    def kill_one_mid_game():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for slot, status in enumerate(pool.progress(timeout=5)):
                if (status and status["task"] == "selfplay" and status["positions"] > 0
                        and status["finished"] < status["games"]):
                    killed.append(dict(status, slot=slot))
                    ray.kill(pool.actors[slot], no_restart=True)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_mid_game, daemon=True)
    killer.start()
    try:
        run = quiet_run(tmp_path / "run", cfg, backend=backend)
        last = run.run()
    finally:
        killer.join(timeout=5)
        backend.close()
    assert killed, "no worker was caught mid-game"
    assert pool.replaced == 1 and pool.discarded == 1  # one death, one task played again
    assert last["generation"] == 1 and run.state["generation"] == 1
    folder = run.selfplay_dir(0)
    shards = list_shards(folder)
    assert [p.name for p in shards] == [f"shard_{i:05d}.npz" for i in range(4)]
    for path in shards:  # every shard complete: games_per_shard whole games, z filled
        data = read_shard(path)
        assert np.unique(data["game"]).tolist() == [0, 1]
        assert set(np.abs(data["z"]).tolist()) <= {0.0, 1.0}
    assert run.games_on_disk(0) == 8  # exact: the killed task's games were discarded, not added
    assert len(list((folder / "sgf").glob("*.sgf"))) == 8
    assert not list((tmp_path / "run").rglob("*.tmp"))
    stats = [json.loads(line) for line in (tmp_path / "run" / "stats.jsonl").read_text().splitlines()]
    assert stats[0]["games"] == 8 and stats[0]["workers_replaced"] == 1
    rows = [json.loads(line) for line in run.gating_path(1).read_text().splitlines()]
    assert sorted(r["game"] for r in rows) == [0, 1, 2, 3]  # gating spread over both actors
    assert (tmp_path / "run" / "train" / "candidate_0001.pt").exists()


# ---------------------------------------------------------------------------------------- DDP

DRIVER = """
import json, os, sys
sys.path.insert(0, {root!r})
import torch
torch.set_num_threads(1)
from training.ddp import Distributed
from training.zero import ZeroRun
from training.zero_config import preset
import training.ddp

if os.environ.get("DIE_AFTER_PROGRESS"):  # a kill right after the first progress checkpoint
    save = training.ddp.atomic_torch_save
    def save_then_die(obj, path):
        save(obj, path)
        os._exit(3)
    training.ddp.atomic_torch_save = save_then_die

dist = Distributed.from_env("cpu")
run = dist.open_run(ZeroRun, {folder!r}, preset("tiny", **json.loads({cfg!r})), log=lambda *a: None,
                    progress=False)
dist.run(run)
dist.close()
"""


def torchrun(folder: Path, cfg: dict, nproc: int = 2, **env):
    script = folder.parent / f"driver_{folder.name}.py"
    script.write_text(DRIVER.format(root=str(ROOT), folder=str(folder), cfg=json.dumps(cfg)))
    environ = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
                           "--nproc-per-node", str(nproc), str(script)],
                          env=environ, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """A run folder after generation 0's self-play, and the candidate one process trains from it."""
    base = tmp_path_factory.mktemp("ddp")
    run = quiet_run(base / "played", TINY)
    run.selfplay(0)
    shutil.copytree(base / "played", base / "reference")
    reference = quiet_run(base / "reference")
    reference.train(1)
    return base


def _assert_same_weights(a_path, b_path, atol=1e-5):
    from goengine.models import load
    a, b = load(a_path, kind="zero").state_dict(), load(b_path, kind="zero").state_dict()
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=atol, rtol=1e-4, msg=key)


def _log_rows(folder):
    return [list(map(float, row.split(","))) for row in (folder / "train_log.csv").read_text().splitlines()[1:]]


def test_two_process_ddp_training_equals_one_process(played):
    folder = played / "ddp"
    shutil.copytree(played / "played", folder)
    out = torchrun(folder, TINY)
    assert out.returncode == 0, out.stderr[-3000:]
    reference = played / "reference"
    _assert_same_weights(reference / "train" / "candidate_0001.pt", folder / "train" / "candidate_0001.pt")
    np.testing.assert_allclose(_log_rows(folder), _log_rows(reference), atol=2e-5)  # global losses logged
    state = json.loads((folder / "state.json").read_text())
    assert state["generation"] == 1  # rank 0 gated and wrote the state; the loop ran to its end
    assert len(run_lines := (folder / "gating" / "gen_0001.jsonl").read_text().splitlines()) == 2, run_lines
    assert not (folder / "train" / "progress_0001.pt").exists()


def test_two_process_ddp_trains_the_auxiliary_heads_as_one_process(tmp_path):
    """Pooled heads: each auxiliary term's rank share is scaled by its weight total over the
    ranks. Two steps only: with max pooling, float rounding grows over more steps (the tests
    above use AlphaGo Zero's heads, whose training stays within rounding for 20)."""
    cfg = tiny(net="tiny-pooled", train_steps=2, batch_size=32, checkpoint_every=100)
    run = quiet_run(tmp_path / "played", cfg)
    run.selfplay(0)
    for name in ("reference", "ddp"):
        shutil.copytree(tmp_path / "played", tmp_path / name)
    quiet_run(tmp_path / "reference").train(1)
    out = torchrun(tmp_path / "ddp", cfg)
    assert out.returncode == 0, out.stderr[-3000:]
    _assert_same_weights(tmp_path / "reference" / "train" / "candidate_0001.pt",
                         tmp_path / "ddp" / "train" / "candidate_0001.pt")
    header = (tmp_path / "ddp" / "train_log.csv").read_text().splitlines()[0].split(",")
    assert header[-3:] == ["ownership_loss", "score_loss", "reply_loss"]
    np.testing.assert_allclose(_log_rows(tmp_path / "ddp"), _log_rows(tmp_path / "reference"), atol=2e-5)


def test_ddp_progress_checkpoint_resumes_in_one_process(played):
    folder = played / "killed"
    shutil.copytree(played / "played", folder)
    out = torchrun(folder, TINY, DIE_AFTER_PROGRESS="1")
    assert out.returncode != 0  # rank 0 died after the step-5 checkpoint; torchrun stopped rank 1
    progress = torch.load(folder / "train" / "progress_0001.pt", weights_only=False)
    assert progress["step"] == 5
    assert not (folder / "train" / "candidate_0001.pt").exists()
    quiet_run(folder).train(1)  # resumed by one process, same file, same rng stream
    _assert_same_weights(played / "reference" / "train" / "candidate_0001.pt",
                         folder / "train" / "candidate_0001.pt")
    assert [r[1] for r in _log_rows(folder)] == [10, 20]


def test_ddp_training_has_its_whole_stats_row(played):
    folder = played / "ddp_stats"
    shutil.copytree(played / "played", folder)
    out = torchrun(folder, TINY)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in (folder / "stats.jsonl").read_text().splitlines()]
    (train,) = [r for r in rows if r["stage"] == "train"]
    assert train["generation"] == 1 and train["steps"] == TINY["train_steps"] and train["seconds"] > 0
