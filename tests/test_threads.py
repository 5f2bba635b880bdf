"""goengine/threads.py (issue 30, item 17): torch's thread count from the cores free, one
thread per process when several share the machine, the user's --threads first; and the
entry points that set torch threads go through it. No wall-clock asserts."""
from __future__ import annotations

import argparse
import queue
import signal

import pytest
import torch

from goengine import threads
from goengine.threads import SHARING_ENV, busy_cores, choose_threads, decide_threads


@pytest.fixture(autouse=True)
def one_thread_after():
    # Leave torch as the test suite wants it, and forget the last line printed.
    threads._last_logged = None
    yield
    torch.set_num_threads(1)
    threads._last_logged = None


@pytest.mark.parametrize("cores, busy, sharing, requested, expected", [
    (2, 0.0, 1, None, 2),    # alone on an idle machine: every core
    (2, 1.0, 1, None, 1),    # the other core is busy (two matches beside it): one thread
    (2, 2.0, 1, None, 1),    # all busy: still one
    (8, 2.4, 1, None, 6),    # a core more than half busy counts as busy ...
    (8, 2.6, 1, None, 5),
    (8, 0.4, 1, None, 8),    # ... one less than half busy does not
    (16, 0.0, 4, None, 1),   # one of 4 processes started together (--jobs 4): one each
    (2, 2.0, 1, 2, 2),       # the user's --threads always wins
    (2, 0.0, 4, 3, 3),
    (2, 0.0, 1, 0, 2),       # 0 means "choose"
    (0, 0.0, 1, None, 1),    # never below one
])
def test_decide_threads(cores, busy, sharing, requested, expected):
    count, why = decide_threads(cores, busy, sharing, requested)
    assert count == expected and why


def test_usable_cores_follows_the_affinity_and_the_cgroup_quota(monkeypatch, tmp_path):
    read_quota = threads._cgroup_quota
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: None)
    assert threads.usable_cores() == 4
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 1.5)  # docker --cpus 1.5
    assert threads.usable_cores() == 1
    quota = tmp_path / "cpu.max"
    quota.write_text("200000 100000\n")
    assert read_quota(str(quota)) == 2.0
    quota.write_text("max 100000\n")
    assert read_quota(str(quota)) is None
    assert read_quota(str(tmp_path / "none")) is None


def _stat(*cpus):
    """/proc/stat text with (busy, idle) jiffies per CPU (busy as user time)."""
    total_busy, total_idle = sum(b for b, _ in cpus), sum(i for _, i in cpus)
    lines = [f"cpu  {total_busy} 0 0 {total_idle} 0 0 0 0 0 0"]
    lines += [f"cpu{n} {b} 0 0 {i} 0 0 0 0 0 0" for n, (b, i) in enumerate(cpus)]
    return "\n".join(lines + ["intr 1 2 3", "procs_running 3"]) + "\n"


def test_busy_cores_measures_the_cpus_of_the_affinity_set(monkeypatch, tmp_path):
    stat = tmp_path / "stat"
    stat.write_text(_stat((100, 100), (100, 100), (100, 100)))
    # 0.1 s later: cpu0 fully busy, cpu1 idle, cpu2 three-quarters busy
    later = _stat((200, 100), (100, 200), (175, 125))
    monkeypatch.setattr(threads.time, "sleep", lambda s: stat.write_text(later))
    assert busy_cores(cpus={0, 1, 2}, path=str(stat)) == pytest.approx(1.75)
    stat.write_text(_stat((100, 100), (100, 100), (100, 100)))
    assert busy_cores(cpus={1, 2}, path=str(stat)) == pytest.approx(0.75)  # cpu0 is not ours
    # without /proc/stat: the load average less this process
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.5, 0.0, 0.0))
    assert busy_cores(path=str(tmp_path / "missing")) == pytest.approx(1.5)


def test_choose_threads_measures_only_when_it_decides_and_says_what_it_chose(monkeypatch, capsys):
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads, "busy_cores", lambda: 1.0)
    monkeypatch.delenv(SHARING_ENV, raising=False)
    assert choose_threads(None, what="unit") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["goengine: unit: 1 thread (2 usable cores, 1.0 busy; --threads N to choose)"]
    assert choose_threads(0, what="unit") == 1
    assert capsys.readouterr().err == ""  # the same choice again: no second line

    def no_measuring():
        raise AssertionError("the load is measured only when it decides")
    monkeypatch.setattr(threads, "busy_cores", no_measuring)
    assert choose_threads(3, what="unit") == 3
    assert "3 threads (as asked)" in capsys.readouterr().err
    monkeypatch.setenv(SHARING_ENV, "4")  # set by the process that started us and 3 siblings
    assert choose_threads(None, what="unit") == 1
    assert "4 processes share" in capsys.readouterr().err
    monkeypatch.setattr(threads, "busy_cores", lambda: 0.0)
    assert choose_threads(None, sharing=1, what="unit") == 2  # an explicit sharing wins
    assert "2 usable cores, 0.0 busy" in capsys.readouterr().err
    threads.share_machine(2)
    assert threads.os.environ[SHARING_ENV] == "2"


def test_set_threads_applies_the_choice(monkeypatch):
    from goengine.models import backends
    calls = []
    monkeypatch.setattr(threads, "choose_threads",
                        lambda requested, sharing=None, what="torch": calls.append(
                            (requested, sharing, what)) or 1)
    assert backends.set_threads(0, what="gtp") == 1 and torch.get_num_threads() == 1
    assert calls == [(0, None, "gtp")]
    monkeypatch.undo()
    monkeypatch.delenv(SHARING_ENV, raising=False)
    assert backends.set_threads(2) == 2 and torch.get_num_threads() == 2


# ----------------------------------------------------------------------------- entry points
@pytest.fixture
def recorded(monkeypatch):
    """Every call of goengine.models.backends.set_threads, torch left alone."""
    from goengine.models import backends
    calls = []

    def fake(threads=None, *, sharing=None, what="torch"):
        calls.append((threads, sharing, what))
        return 1
    monkeypatch.setattr(backends, "set_threads", fake)
    return calls, fake


def test_zero_run_goes_through_set_threads(tmp_path, recorded, monkeypatch):
    import training.zero as zero
    from test_zero import tiny_config
    calls, fake = recorded
    monkeypatch.setattr(zero, "set_threads", fake)
    zero.ZeroRun(tmp_path / "run", tiny_config(threads=0), log=lambda m: None, progress=False)
    assert calls == [(0, None, "goengine-train zero")]  # threads 0: chosen, not torch's default


def test_lee_commands_go_through_set_threads(recorded):
    from training.lee import cli
    calls, _ = recorded
    cli._threads(argparse.Namespace(command="sl", threads=None))
    cli._threads(argparse.Namespace(command="rl", threads=3))
    assert calls == [(None, None, "goengine-train sl"), (3, None, "goengine-train rl")]


def test_arena_game_processes_declare_that_they_share_the_machine(tmp_path, monkeypatch):
    # A --jobs 3 game process sets $GOENGINE_PROCESSES before building agents, so that a
    # torch agent it builds (and a goengine GTP engine it runs) takes one thread.
    from selfplay.arena import parallel
    from selfplay.arena import ArenaConfig, parse_agent_spec
    monkeypatch.delenv(SHARING_ENV, raising=False)
    seen = []

    class Pool:
        def __init__(self, specs, context, worker=None):
            seen.append((threads.os.environ.get(SHARING_ENV), context.threads))

        def close(self):
            pass
    monkeypatch.setattr("selfplay.arena.parallel.AgentPool", Pool)
    tasks = queue.Queue()
    tasks.put(None)
    setup = {"specs": [parse_agent_spec("random")], "out": str(tmp_path),
             "config": ArenaConfig(jobs=3), "modules": []}
    previous = signal.getsignal(signal.SIGINT)
    try:
        parallel._worker_main(setup, 1, tasks, queue.Queue())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [("3", 0)]  # threads 0 unless --threads: the agent kinds let it choose
