"""How many intra-op threads torch gets: the one decision, for every process that runs torch.

    from goengine.models.backends import set_threads   # applies choose_threads' answer
    set_threads(args.threads)               # None / 0: chosen from the cores free now
    set_threads(None, sharing=4)            # one of 4 processes started together: 1 thread
    choose_threads(args.threads)            # the count alone (this module imports no torch)

torch's default is one thread per core of the machine. When another process keeps a core
busy, its threads wait on each other at every operation's barrier and throughput collapses
(benchmarks/nets.py, 9x9, batch 1, two matches running beside it: 251 evaluations/s with one
thread, 49 with two). So:

* an explicit thread count from the user (``--threads N``) always wins;
* a process that is one of several started to share the machine (the arena's ``--jobs N``,
  self-play workers) gets one thread: its siblings will keep the other cores busy even
  though, at its start, they may not be busy yet. The spawning process says so through the
  ``sharing`` argument or the ``GOENGINE_PROCESSES`` environment variable, which child
  processes inherit;
* a process alone gets the cores it may run on (``os.sched_getaffinity``, capped by a cgroup
  CPU quota) less those busy now, at least one.

ONNX Runtime sessions built afterwards follow torch's setting (goengine/models/backends.py).
The choice is printed on stderr, one line per process (again only when it changes). torch
itself is set by ``goengine.models.backends.set_threads``: torch lives under goengine/models.
"""
from __future__ import annotations

import math
import os
import sys
import time

__all__ = ["SHARING_ENV", "decide_threads", "usable_cores", "busy_cores", "choose_threads",
           "share_machine"]

SHARING_ENV = "GOENGINE_PROCESSES"
"""Environment variable: how many goengine processes a launcher started to share the machine."""

_last_logged: tuple | None = None


def decide_threads(cores: int, busy: float, sharing: int = 1,
                   requested: int | None = None) -> tuple[int, str]:
    """(threads, why) for a process that may run on ``cores`` cores of which ``busy`` are in
    use by other processes, one of ``sharing`` processes started together; ``requested``
    (a positive count the user gave) wins. A core counts as busy when more than half of it is."""
    if requested is not None and requested > 0:
        return int(requested), "as asked"
    cores = max(1, int(cores))
    if sharing > 1:
        return 1, f"one per process: {sharing} processes share {cores} cores"
    free = min(cores, math.floor(cores - busy + 0.5))
    return max(1, free), f"{cores} usable cores, {busy:.1f} busy"


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset``, a scheduler's
    cpuset), capped by a cgroup v2 CPU quota (a container's ``--cpus``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def _cgroup_quota(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    try:
        with open(path) as f:
            limit, period = f.read().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        return None


def _cpu_times(path: str = "/proc/stat") -> dict[int, tuple[int, int]]:
    """{cpu number: (busy jiffies, all jiffies)} from /proc/stat (empty when unreadable);
    busy is everything but idle and iowait (guest time is already inside user time)."""
    times = {}
    try:
        with open(path) as f:
            for line in f:
                name, *fields = line.split()
                if not (name.startswith("cpu") and name[3:].isdigit()):
                    continue
                values = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
                idle = values[3] + (values[4] if len(values) > 4 else 0)
                times[int(name[3:])] = (sum(values) - idle, sum(values))
    except (OSError, ValueError, IndexError):
        return {}
    return times


def busy_cores(window: float = 0.1, cpus=None, path: str = "/proc/stat") -> float:
    """How many of the CPUs this process may run on are busy now, from two reads of
    /proc/stat ``window`` seconds apart: the busy share of each CPU in the affinity set,
    summed (this process sleeps meanwhile, so it does not count itself).

    Why not the alternatives: the load average is a one-minute mean (processes started a
    moment ago do not show, ones just stopped still do), counts the whole machine whatever the
    affinity, and counts tasks blocked on I/O; /proc/stat's ``procs_running`` is an instant
    count of runnable threads of the whole machine, which flickers from one read to the next
    and ignores the affinity. The per-CPU deltas measure the CPUs we would run on. Without
    /proc (macOS) the one-minute load average, less this process, is the fallback."""
    if cpus is None:
        try:
            cpus = os.sched_getaffinity(0)
        except (AttributeError, OSError):
            cpus = None
    before = _cpu_times(path)
    if before:
        time.sleep(window)
        after = _cpu_times(path)
        busy = 0.0
        for cpu, (b1, t1) in after.items():
            if (cpus is not None and cpu not in cpus) or cpu not in before:
                continue
            b0, t0 = before[cpu]
            if t1 > t0:
                busy += (b1 - b0) / (t1 - t0)
        return busy
    try:
        return max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):
        return 0.0


def share_machine(processes: int) -> None:
    """Declare this process one of ``processes`` started together to share the machine (a
    game process of the arena's ``--jobs N``): choose_threads then gives it one thread, and
    so do its children (a GTP engine it runs), which inherit ``$GOENGINE_PROCESSES``."""
    os.environ[SHARING_ENV] = str(max(1, int(processes)))


def choose_threads(requested: int | None = None, *, sharing: int | None = None,
                   what: str = "torch") -> int:
    """The intra-op thread count for this process (``decide_threads`` on the cores usable
    and busy now), printed on stderr; goengine.models.backends.set_threads applies it.

    requested: the user's ``--threads`` (None or 0: choose). sharing: how many processes were
    started together to share this machine (None: ``$GOENGINE_PROCESSES``, else 1). what:
    the process, named in the line printed. Load is measured (0.1 s) only when it decides."""
    global _last_logged
    if sharing is None:
        try:
            sharing = max(1, int(os.environ.get(SHARING_ENV) or 1))
        except ValueError:
            sharing = 1
    cores = usable_cores()
    asked = requested is not None and requested > 0
    measure = not asked and sharing <= 1
    busy = busy_cores() if measure else 0.0
    threads, why = decide_threads(cores, busy, sharing, requested)
    choice = (what, threads, asked, sharing)  # not the busy figure: it wobbles between calls
    if choice != _last_logged:
        _last_logged = choice
        hint = "" if asked else "; --threads N to choose"
        print(f"goengine: {what}: {threads} thread{'s' * (threads != 1)} ({why}{hint})",
              file=sys.stderr, flush=True)
    return threads
