"""Run-folder housekeeping shared by the training loops: one process per folder, and the
temporary files a killed process leaves behind.

    lock = lock_run_folder(folder)   # RunFolderBusy (a ValueError) names the holder
    remove_temporaries(folder)       # only while holding the lock

The lock is fcntl.flock on `<folder>/.lock`: the kernel drops it when the holding process
ends, however it ends (kill -9 included), so a stale lock never needs removing by hand. The
file holds the holder's pid, host and start time, for the refusal message only.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".lock"

# goengine.fileio's temporaries: mkstemp(prefix=".NAME.", suffix) adds 8 characters of
# [a-z0-9_]; the suffix is ".tmp", or NAME's own suffix for atomic_write_via (".NAME.x.png")
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(?P<suffix>\.[A-Za-z0-9]+)$")


class RunFolderBusy(ValueError):
    """Another process holds the run folder; the message names it."""


_held: dict[str, list] = {}
"""Locks this process holds: lock file path -> [open file, number of RunLock handles]. Two
ZeroRun objects of one process on one folder share the lock (flock would refuse the second)."""


class RunLock:
    """A handle on a held run-folder lock; the lock goes when the last handle is released
    (or garbage-collected) or the process ends."""

    def __init__(self, key: str):
        self._key = key

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None or key not in _held:
            return
        entry = _held[key]
        entry[1] -= 1
        if entry[1] == 0:
            del _held[key]
            entry[0].close()  # closing the only descriptor releases the flock

    def __del__(self):
        self.release()


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on {info['host']}, started {info['started']}: {info['command']}"
    except (ValueError, KeyError, TypeError):
        return "its pid could not be read"


def lock_run_folder(folder) -> RunLock:
    """Hold `folder` (which must exist) for this process, or raise RunFolderBusy at once."""
    path = Path(folder) / LOCK_NAME
    key = os.path.realpath(path)
    if key in _held:
        _held[key][1] += 1
        return RunLock(key)
    f = open(path, "a+")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            f.close()
            raise
        f.seek(0)
        holder = _holder(f.read())
        f.close()
        raise RunFolderBusy(f"{folder} is in use by another process ({holder}); wait for it to end "
                            f"or stop it, then run this command again") from None
    f.seek(0)
    f.truncate()
    f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:])}) + "\n")
    f.flush()
    _held[key] = [f, 1]
    return RunLock(key)


def is_temporary(name: str) -> bool:
    """Whether a file name is one of goengine.fileio's temporaries."""
    m = _TEMPORARY.match(name)
    return bool(m) and (m["suffix"] == ".tmp" or m["name"].endswith(m["suffix"]))


def remove_temporaries(folder) -> list[Path]:
    """Delete the temporaries of atomic writes under `folder` (a writer killed before its
    rename leaves one; it is never part of the run). Call only while holding the folder's
    lock: a live writer's temporary would go too. Symlinked folders are not entered."""
    removed = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if is_temporary(name):
                path = Path(root) / name
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed.append(path)
    return removed


@contextmanager
def writing(path):
    """Re-raise an OSError raised inside the block without a file name (a failed write or
    fsync of an open file) with `path` as its file name, so the error says what could not be
    written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def append_line(path, line: str) -> None:
    """Append one line (fsync'ed) to a log. A torn last line left by a kill or a full disk is
    ended first, so the new line stays whole and readers drop only the torn one."""
    path = Path(path)
    with writing(path), open(path, "a+b") as f:
        end = f.seek(0, os.SEEK_END)
        torn = False
        if end:
            f.seek(end - 1)
            torn = f.read(1) != b"\n"
        f.write((("\n" if torn else "") + line.rstrip("\n") + "\n").encode())
        f.flush()
        os.fsync(f.fileno())
