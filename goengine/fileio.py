"""Atomic file writes: every file the engine writes (checkpoints, shards, SGF, exports,
results) goes to a temporary name in the same folder and is renamed into place, so a reader
never sees half a file and a crash leaves at most a stray hidden `.NAME.*.tmp` file."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _temporary_beside(path: Path, suffix: str, mode: int, make_parents: bool):
    """Yield (fd, name) of a new temporary file in `path`'s folder; when the block ends
    without an exception the file gets `mode` and replaces `path`, otherwise it vanishes."""
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        yield fd, tmp
        os.chmod(tmp, mode)  # mkstemp makes 0600; these files are meant to be shared
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:  # a failed write: say of what
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise


@contextmanager
def atomic_writer(path: str | os.PathLike, mode: int = 0o644, make_parents: bool = False):
    """`with atomic_writer(path) as f: f.write(...)`: a binary file object that becomes
    `path` when the block ends without an exception (fsync'ed first), and vanishes otherwise.
    A missing folder is an error (FileNotFoundError) unless `make_parents` (run folders)."""
    with _temporary_beside(Path(path), ".tmp", mode, make_parents) as (fd, _):
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes, make_parents: bool = False) -> Path:
    """Write `data` to `path` atomically; returns the path."""
    with atomic_writer(path, make_parents=make_parents) as f:
        f.write(data)
    return Path(path)


def atomic_write_via(path: str | os.PathLike, write, make_parents: bool = False, mode: int = 0o644) -> Path:
    """For writers that want a file name (csv helpers, savefig): ``write(tmp)`` fills a
    temporary file beside `path` (same suffix, so format sniffing works), then it is renamed
    to `path`; on an exception it vanishes."""
    path = Path(path)
    with _temporary_beside(path, path.suffix or ".tmp", mode, make_parents) as (fd, tmp):
        os.close(fd)
        write(tmp)
    return path


def keep_csv_rows(path: str | os.PathLike, keep) -> None:
    """Rewrite the CSV log at `path` atomically with its header and only the rows whose
    fields `keep(fields)` accepts (a resumed run drops the rows written after its last
    checkpoint, so each step is logged once). A missing file is left missing, an empty
    one removed; the file is not rewritten when nothing is dropped."""
    path = Path(path)
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    if not lines:
        path.unlink()
        return
    kept = lines[:1] + [line for line in lines[1:]
                        if line.strip() and keep(line.rstrip("\r\n").split(","))]
    if kept != lines:
        atomic_write_bytes(path, "".join(kept).encode())


def read_jsonl(path: str | os.PathLike, stop_at_bad_line: bool = False) -> list:
    """The JSON values of a JSON-lines log, [] when it does not exist. A line that does not
    parse (the torn last line a kill leaves) is skipped, or ends the reading with
    `stop_at_bad_line` (logs whose lines are games to replay from there)."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if stop_at_bad_line:
                break
    return rows
