"""The controller side of GTP: drive an external GTP engine (GNU Go, Pachi, ...) as a
subprocess.

    with GtpClient(["gnugo", "--mode", "gtp"], timeout=30) as engine:
        engine.send("boardsize 9")
        engine.send("play b E5")
        move = engine.send("genmove w")          # "C3"

Protocol handling (GTP v2, section 2):

* each command is sent on one line, prefixed with a numeric id; the reply must start with
  ``=id`` (success) or ``?id`` (failure) and ends with an empty line. Replies of several
  lines are returned whole (lines joined by ``\\n``); ``\\r`` is dropped. A reply without
  an id is accepted; a reply with another id means the stream is out of step (GtpError).
* ``send`` returns the text after ``=``; a ``?`` reply raises ``GtpError`` carrying the
  engine's message. ``send_many`` pipelines a batch of commands (all written, then all
  replies read) to save round trips.
* the engine's stdout is read by a thread into a queue, so a timeout is exact: when no
  reply comes within ``timeout`` seconds the process is killed and ``GtpTimeout`` raised.
  If the process exits (or closes stdout) ``GtpEngineDied`` is raised with the tail of its
  stderr, which another thread keeps in a bounded buffer (``stderr_tail()``).
* ``close()`` sends ``quit``, then terminates and finally kills the process; the client is
  a context manager.
"""
from __future__ import annotations

import os
import queue
import shlex
import shutil
import subprocess
import threading
import time
from typing import Sequence

__all__ = ["GtpClient", "GtpClientError", "GtpError", "GtpEngineDied", "GtpTimeout",
           "find_gnugo"]

_EOF = object()  # put on the line queue when the engine's stdout closes


class GtpClientError(Exception):
    """Base class of the errors raised by ``GtpClient``."""


class GtpError(GtpClientError):
    """The engine answered ``?``: the command failed. ``message`` is the engine's text."""

    def __init__(self, message: str, *, command: str = "", engine: str = ""):
        super().__init__(f"{engine}: {command!r} failed: {message}" if engine else message)
        self.message = message
        self.command = command
        self.engine = engine


class GtpEngineDied(GtpClientError):
    """The engine process exited or closed its output; the message ends with its stderr."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class GtpTimeout(GtpClientError):
    """No reply within the timeout; the engine process has been killed."""


def find_gnugo() -> str | None:
    """Path of the GNU Go program: ``gnugo`` on PATH, else ``/usr/games/gnugo`` (where
    Debian and Ubuntu install it), else None."""
    found = shutil.which("gnugo")
    if found:
        return found
    fallback = "/usr/games/gnugo"
    if os.path.isfile(fallback) and os.access(fallback, os.X_OK):
        return fallback
    return None


class _StderrBuffer:
    """The last ``limit`` bytes an engine wrote to stderr."""

    def __init__(self, limit: int):
        self.limit = limit
        self._data = bytearray()
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self._data += chunk
            if len(self._data) > self.limit:
                del self._data[: len(self._data) - self.limit]

    def text(self) -> str:
        with self._lock:
            return self._data.decode("utf-8", errors="replace")


class GtpClient:
    """One external GTP engine process.

    ``argv``: the command line (a list, or a string split like a shell would).
    ``timeout``: seconds to wait for each reply (None waits for ever).
    ``name``: used in messages; defaults to the program's file name.
    ``stderr_limit``: bytes of the engine's stderr kept for error messages.

    One client serves one thread at a time (GTP is a strict request-reply protocol).
    """

    def __init__(self, argv: Sequence[str] | str, timeout: float | None = 30.0,
                 name: str | None = None, *, cwd: str | None = None,
                 env: dict[str, str] | None = None, stderr_limit: int = 64 * 1024):
        self.argv = shlex.split(argv) if isinstance(argv, str) else [str(a) for a in argv]
        if not self.argv:
            raise ValueError("GtpClient needs a command line")
        self.timeout = timeout
        self.name = name or os.path.basename(self.argv[0])
        self._next_id = 1
        self._closed = False
        self._dead_reason: str | None = None
        self._stderr = _StderrBuffer(stderr_limit)
        self._lines: queue.Queue = queue.Queue()
        try:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=cwd, env=env)
        except OSError as exc:
            raise GtpEngineDied(f"{self.name}: cannot start {self.argv!r}: {exc}") from exc
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name=f"gtp-stdout-{self.name}")
        self._err_reader = threading.Thread(target=self._read_stderr, daemon=True,
                                            name=f"gtp-stderr-{self.name}")
        self._reader.start()
        self._err_reader.start()

    # ------------------------------------------------------------------ threads
    def _read_stdout(self) -> None:
        stream = self.process.stdout
        try:
            for raw in iter(stream.readline, b""):
                self._lines.put(raw.decode("utf-8", errors="replace")
                                .replace("\r", "").rstrip("\n"))
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(_EOF)

    def _read_stderr(self) -> None:
        stream = self.process.stderr
        try:
            for chunk in iter(lambda: stream.read1(4096), b""):
                self._stderr.feed(chunk)
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ state
    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the process is running and the client usable."""
        return not self._closed and self._dead_reason is None and self.process.poll() is None

    def stderr_tail(self, max_chars: int = 4000) -> str:
        """The last ``max_chars`` characters the engine wrote to stderr."""
        return self._stderr.text()[-max_chars:]

    def _died(self, doing: str) -> GtpEngineDied:
        """Build the error for a process that has gone away (waits briefly for its exit
        code and the last of its stderr)."""
        try:
            returncode = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            returncode = None
        self._err_reader.join(timeout=1.0)
        tail = self.stderr_tail()
        status = "still running" if returncode is None else f"exit code {returncode}"
        self._dead_reason = f"exited ({status})"
        message = f"{self.name} died ({status}) {doing}"
        message += f"; stderr tail:\n{tail}" if tail.strip() else "; stderr was empty"
        return GtpEngineDied(message, returncode=returncode, stderr=tail)

    def _check_usable(self) -> None:
        if self._closed:
            raise GtpClientError(f"{self.name}: the client is closed")
        if self._dead_reason is not None:
            raise GtpEngineDied(f"{self.name}: the engine is gone ({self._dead_reason})",
                                returncode=self.process.returncode,
                                stderr=self.stderr_tail())

    # ------------------------------------------------------------------ protocol
    def _prepare(self, command: str) -> tuple[int, str]:
        """(id, line to send) for ``command``; a command that already starts with a
        numeric id keeps it."""
        if not isinstance(command, str):
            raise TypeError(f"GTP command must be a str, got {command!r}")
        text = command.strip()
        if not text:
            raise ValueError("empty GTP command")
        if "\n" in text or "\r" in text:
            raise ValueError(f"GTP command must be a single line: {command!r}")
        head, _, rest = text.partition(" ")
        if head.isdigit():
            return int(head), text
        ident = self._next_id
        self._next_id += 1
        return ident, f"{ident} {text}"

    def _write(self, data: str, doing: str) -> None:
        try:
            self.process.stdin.write(data.encode("utf-8"))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._died(doing) from None

    def _next_line(self, deadline: float | None, command: str, timeout: float | None) -> str:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            line = self._lines.get(timeout=remaining)
        except queue.Empty:
            self._kill()
            self._dead_reason = "killed after a timeout"
            raise GtpTimeout(f"{self.name}: no reply to {command!r} within {timeout} s; "
                             f"the engine was killed") from None
        if line is _EOF:
            self._lines.put(_EOF)  # later reads see the end too
            raise self._died(f"while answering {command!r}")
        return line

    def _read_reply(self, ident: int, command: str, timeout: float | None) -> tuple[bool, str]:
        """Read one reply: (success, text)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        line = self._next_line(deadline, command, timeout)
        while not line.strip() or line[0] not in "=?":
            # blank lines before a reply are allowed; other noise is skipped
            line = self._next_line(deadline, command, timeout)
        ok = line[0] == "="
        body = line[1:]
        digits = len(body) - len(body.lstrip("0123456789"))
        if digits:
            got = int(body[:digits])
            if got != ident:
                self._dead_reason = "its replies are out of step"
                raise GtpError(f"reply id {got} does not match command id {ident}: the "
                               f"stream is out of step", command=command, engine=self.name)
            body = body[digits:]
        first = body.strip()
        lines = [first] if first else []  # "= " alone on the first line starts a block
        while True:
            line = self._next_line(deadline, command, timeout)
            if not line.strip():
                break
            lines.append(line.rstrip())
        return ok, "\n".join(lines)

    def send(self, command: str, timeout: float | None = ...) -> str:
        """Send one command and return the text of its ``=`` reply (without the ``=`` and
        the id). ``timeout``: seconds for this reply (default: the client's; None waits
        for ever). Raises GtpError for a ``?`` reply, GtpEngineDied, or GtpTimeout."""
        return self.send_many([command], timeout=timeout)[0]

    def send_many(self, commands: Sequence[str], timeout: float | None = ...) -> list[str]:
        """Pipeline ``commands``: write them all, then read all the replies (each within
        ``timeout`` seconds of the previous one). Returns the replies' texts in order; if
        any failed, raises the GtpError of the first failure once every reply is read,
        so the stream stays in step."""
        self._check_usable()
        timeout = self.timeout if timeout is ... else timeout
        prepared = [self._prepare(c) for c in commands]
        if not prepared:
            return []
        self._write("".join(line + "\n" for _, line in prepared),
                    f"while receiving {prepared[0][1]!r}")
        replies: list[str] = []
        first_error: GtpError | None = None
        for (ident, line), command in zip(prepared, commands):
            ok, text = self._read_reply(ident, command.strip(), timeout)
            if not ok and first_error is None:
                first_error = GtpError(text, command=command.strip(), engine=self.name)
            replies.append(text)
        if first_error is not None:
            raise first_error
        return replies

    # ------------------------------------------------------------------ shutdown
    def _kill(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.kill()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass

    def close(self, timeout: float = 5.0) -> int | None:
        """Send ``quit`` (if the engine is alive), then terminate, then kill. Returns the
        exit code. Safe to call twice."""
        if self._closed:
            return self.process.returncode
        try:
            if self._dead_reason is None and self.process.poll() is None:
                try:
                    self.send("quit", timeout=timeout)
                except GtpClientError:
                    pass
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.process.terminate()
                    try:
                        self.process.wait(timeout=timeout)
                    except subprocess.TimeoutExpired:
                        self._kill()
            else:
                self._kill()
        finally:
            self._closed = True
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
            self._reader.join(timeout=1.0)
            self._err_reader.join(timeout=1.0)
        return self.process.returncode

    def __enter__(self) -> "GtpClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        # last resort: never leave an engine process behind
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            try:
                process.kill()
            except OSError:
                pass

    def __repr__(self) -> str:
        state = "alive" if self.alive else "closed" if self._closed else "dead"
        return f"<GtpClient {self.name} pid={self.process.pid} {state}>"
