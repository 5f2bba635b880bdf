"""The Zero run folder under misuse: two processes at once, kills at known points, a full disk."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from training.runfolder import RunFolderBusy  # noqa: E402
from training.zero import ZeroRun  # noqa: E402

from test_zero import tiny_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUIET = dict(log=lambda *a: None, progress=False)
torch.set_num_threads(1)

HOLDER = """
import sys
sys.path.insert(0, {root!r})
import torch
torch.set_num_threads(1)
from training.zero import ZeroRun
run = ZeroRun({folder!r}, None, log=lambda *a: None, progress=False)
print("open", flush=True)
sys.stdin.read()
"""


def test_a_second_process_on_a_run_folder_is_refused_naming_the_first(tmp_path, capsys):
    from training.__main__ import main
    folder = tmp_path / "run"
    ZeroRun(folder, tiny_config(generations=0), **QUIET)
    both = ZeroRun(folder, None, **QUIET), ZeroRun(folder, None, **QUIET)  # one process: shared
    del both
    proc = subprocess.Popen([sys.executable, "-c", HOLDER.format(root=str(ROOT), folder=str(folder))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"open\n"
        with pytest.raises(RunFolderBusy, match=rf"in use by another process \(pid {proc.pid} on "):
            ZeroRun(folder, None, **QUIET)
        capsys.readouterr()
        assert main(["zero", "--run", str(folder), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"pid {proc.pid}" in err and err.count("\n") == 1
    finally:
        proc.kill()
        proc.wait()
    ZeroRun(folder, None, **QUIET)  # the lock went with the process that held it
    assert json.loads((folder / ".lock").read_text())["pid"] != proc.pid


KILLED_WRITER = """
import os, sys
sys.path.insert(0, {root!r})
from goengine.fileio import atomic_write_via, atomic_writer
run = {folder!r}
with atomic_writer(run + "/selfplay/gen_0000/shard_00001.npz", make_parents=True) as a, \\
        atomic_writer(run + "/train/progress_0001.pt", make_parents=True) as b:
    a.write(b"half a shard")
    b.write(b"half a checkpoint")
    atomic_write_via(run + "/elo/elo.png", lambda tmp: os._exit(9), make_parents=True)  # killed mid-write
"""


def test_temporaries_left_by_a_killed_writer_are_removed_at_start(tmp_path):
    folder = tmp_path / "run"
    ZeroRun(folder, tiny_config(generations=0), **QUIET)
    code = KILLED_WRITER.format(root=str(ROOT), folder=str(folder))
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    left = sorted(p.name for p in folder.rglob(".*.*"))
    assert len(left) == 3
    assert [n for n in left if n.startswith(".shard_00001.npz.") and n.endswith(".tmp")]
    assert [n for n in left if n.startswith(".elo.png.") and n.endswith(".png")]
    kept = [folder / ".notes.tmp", folder / "selfplay" / ".DS_Store", folder / "train" / "mine.tmp"]
    for path in kept:
        path.write_text("not goengine's")
    logged = []
    ZeroRun(folder, None, log=logged.append, progress=False)
    assert sorted(p.name for p in folder.rglob(".*.*")) == [".notes.tmp"]
    assert all(p.exists() for p in kept) and (folder / "models" / "gen_0000.pt").exists()
    assert logged == ["removed 3 temporary files left by an earlier process"]


class Killed(BaseException):
    """Stands for kill -9 at a known point: nothing after it runs in this 'process'."""


def _kill_at_call(monkeypatch, module, name, n):
    """Make module.name raise Killed on its n-th call."""
    original, calls = getattr(module, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise Killed(name)
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, dying)


def _log_steps(folder):
    return [tuple(r.split(",")[:2]) for r in (folder / "train_log.csv").read_text().splitlines()[1:]]


def test_train_log_has_each_row_once_after_a_kill_before_the_first_checkpoint(tmp_path, monkeypatch):
    import training.zero as zero
    folder = tmp_path / "run"
    run = ZeroRun(folder, tiny_config(train_steps=20, checkpoint_every=50), **QUIET)
    run.selfplay(0)
    _kill_at_call(monkeypatch, zero, "zero_losses", 15)  # step 10's row is written, no checkpoint yet
    with pytest.raises(Killed):
        run.train(1)
    assert _log_steps(folder) == [("1", "10")] and not run.progress_path(1).exists()
    monkeypatch.undo()
    del run
    with open(folder / "train_log.csv", "a") as f:
        f.write("1,10,0.5,0.25,0.25,0.0")  # a row torn at its last field (0.02) by the kill
    ZeroRun(folder, None, **QUIET).train(1)
    assert _log_steps(folder) == [("1", "10"), ("1", "20")]


def _stage_rows(folder):
    rows = [json.loads(line) for line in (folder / "stats.jsonl").read_text().splitlines()]
    return {(r["generation"], r["stage"]): r for r in rows}, len(rows)


def test_each_stage_row_describes_the_whole_stage_after_kills(tmp_path, monkeypatch):
    import training.zero as zero
    import training.zero_stats as zero_stats
    folder = tmp_path / "run"
    cfg = tiny_config(games_per_generation=4, games_per_shard=2, train_steps=20, checkpoint_every=5,
                      gating_games=2)

    def killed_run(module, name, n, stage, *args):
        _kill_at_call(monkeypatch, module, name, n)
        with pytest.raises(Killed):
            getattr(ZeroRun(folder, cfg, **QUIET), stage)(*args)
        monkeypatch.undo()

    killed_run(zero_stats, "write_shard", 2, "selfplay", 0)              # one shard of two on disk
    killed_run(ZeroRun, "_append_stats", 1, "selfplay", 0)         # both shards, no row yet
    run = ZeroRun(folder, cfg, **QUIET)
    run.selfplay(0)                                                # nothing left to play: the row
    rows, _ = _stage_rows(folder)
    assert rows[0, "selfplay"]["games"] == 4 == run.games_on_disk(0)
    assert rows[0, "selfplay"]["seconds"] > 0 and rows[0, "selfplay"]["evals"] > 0
    assert len(rows[0, "selfplay"]["playthrough_minima"]) <= rows[0, "selfplay"]["playthrough"]

    killed_run(zero, "zero_losses", 12, "train", 1)                # after the step-10 checkpoint
    killed_run(ZeroRun, "_append_stats", 1, "train", 1)            # candidate saved, no row yet
    ZeroRun(folder, cfg, **QUIET).train(1)
    rows, _ = _stage_rows(folder)
    assert rows[1, "train"]["steps"] == 20 and rows[1, "train"]["seconds"] > 0

    original = zero.play_net_match

    def one_game_then_killed(*args, **kwargs):
        for i, game in enumerate(original(*args, **kwargs)):
            if i == 1:
                raise Killed("gating")
            yield game
    monkeypatch.setattr(zero, "play_net_match", one_game_then_killed)
    with pytest.raises(Killed):
        ZeroRun(folder, cfg, **QUIET).gate(1)
    monkeypatch.undo()
    run = ZeroRun(folder, cfg, **QUIET)
    run.gate(1)
    run.gate(1)                                                    # a stage ended again: no new row
    rows, count = _stage_rows(folder)
    assert rows[1, "gating"]["games"] == 2 and rows[1, "gating"]["seconds"] > 0
    assert count == 3  # one row per stage


class _FullDisk:
    """A file object whose writes fail as on a full disk (ENOSPC)."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def _disk_full_for_checkpoints(monkeypatch):
    """Atomic writes of .pt files (goengine.fileio) fail with ENOSPC; the others go through."""
    import goengine.fileio as fileio
    fdopen = os.fdopen

    def full_fdopen(fd, *args, **kwargs):
        f = fdopen(fd, *args, **kwargs)
        return _FullDisk(f) if ".pt." in os.readlink(f"/proc/self/fd/{fd}") else f
    monkeypatch.setattr(fileio.os, "fdopen", full_fdopen)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_full_disk_gives_one_message_and_the_run_resumes(tmp_path, monkeypatch, capsys):
    from training.__main__ import main
    folder = tmp_path / "run"
    argv = ["zero", "--run", str(folder), "--generations", "0", "--threads", "1", "--quiet"]
    _disk_full_for_checkpoints(monkeypatch)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and [line.startswith("goengine-train:") for line in err.splitlines()] in (
        [True], [False, True])  # one message (after the thread-count line, if any)
    assert f"could not write {folder / 'models' / 'gen_0000.pt'}: no space left on device" in err
    assert "Nothing written before was lost" in err and "run the same command again" in err
    assert json.loads((folder / "config.json").read_text())["generations"] == 0  # intact
    assert not [p for p in folder.rglob("*") if p.name.endswith((".tmp", ".pt"))]
    monkeypatch.undo()
    assert main(argv) == 0 and (folder / "models" / "gen_0000.pt").exists()


def test_a_full_disk_while_appending_to_a_log_names_the_log(tmp_path, monkeypatch):
    from training import runfolder
    log = tmp_path / "stats.jsonl"

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(runfolder.os, "fsync", full)
    with pytest.raises(OSError) as info:
        runfolder.append_line(log, "{}")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(log)
