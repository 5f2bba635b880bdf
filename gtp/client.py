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

``GtpAgent`` wraps a client as an agent (``reset()``, ``select_move(game)``), keeping the
engine in step with any game it is asked about, so GNU Go can play in the arena.

Over 500 lines because one subprocess protocol is one concept: the client, its timeouts
and error recovery, and GtpAgent (the client as an agent) share the process handling.
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

from goengine.coords import BLACK, WHITE, from_gtp, to_gtp

__all__ = ["GtpClient", "GtpClientError", "GtpError", "GtpEngineDied", "GtpTimeout",
           "find_gnugo", "GtpAgent", "RESIGN"]

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


# ============================================================================ GtpAgent
RESIGN = -1
"""The action an agent returns to resign (the same value as goengine.search.RESIGN; kept
here so that this module imports without the Cython extensions)."""

_COLOR_LETTER = {BLACK: "b", WHITE: "w"}


class GtpAgent:
    """An external GTP engine usable wherever an agent is (goengine/agents/base.py's protocol:
    ``name``, ``reset()``, ``select_move(game) -> action``), so GNU Go can play in the
    arena or generate games.

        with GtpAgent("gnugo --mode gtp --level 10 --chinese-rules", name="gnugo-10") as gnugo:
            record = play_game(gnugo, RandomAgent(0))

    ``engine``: a command line (list, or a string split like a shell would) or a running
    ``GtpClient``. The agent closes only an engine it started itself.

    The engine is kept in step with the game it is asked about:

    * ``reset()`` sends ``boardsize``, ``clear_board``, ``komi`` (and ``time_settings``
      when given) for ``size`` and ``komi``; an engine the agent started that has died is
      restarted first.
    * ``select_move(game)`` first sends the moves of ``game`` the engine has not seen
      (``play b D4``, ``play w pass``: the opponent's moves, and its own when another
      program chose them), pipelined in one batch; then ``genmove <colour>`` (or
      ``kgs-genmove_cleanup``, see ``cleanup``) and converts the reply: a vertex or
      ``pass`` to an action, ``resign`` to ``RESIGN``. The engine's own move is counted
      as seen.
    * When the game is not a continuation of what the engine has seen (a new game, a
      different size, komi or setup, an undo), a few undone moves are taken back with
      ``undo``; anything else, or an engine that refuses ``undo``, is handled by
      resetting (``boardsize``/``clear_board``/``komi``) and replaying the whole game:
      black setup stones (handicap) by ``set_free_handicap`` (or ``play b`` for each when
      the engine refuses it or there are white setup stones too), then every move.

    ``cleanup``: our referee scores by area with every stone on the board alive
    (Tromp-Taylor), so an engine that passes while its opponent's dead stones are still on
    the board can lose a won game. ``kgs-genmove_cleanup`` (GNU Go, KataGo, Leela Zero
    ...) plays like ``genmove`` but captures dead stones before passing. ``"auto"`` (the
    default) uses it when the engine knows it, ``True`` always, ``False`` never.

    ``timeout``: seconds for an ordinary reply; ``genmove_timeout``: for ``genmove``
    (None waits for ever). ``time_settings``: ``(main_time, byo_yomi_time,
    byo_yomi_stones)`` passed through to the engine on every reset (GTP
    ``time_settings``); ``time_left(colour, seconds, stones)`` passes a clock reading on.
    ``setup_commands``: GTP commands sent once after the engine starts (``level 5`` ...).

    Errors from the engine (GtpError, GtpEngineDied, GtpTimeout) propagate with the
    engine's message; a refused ``play`` names the move number and move.
    """

    def __init__(self, engine: GtpClient | Sequence[str] | str, name: str | None = None, *,
                 size: int = 9, komi: float = 7.5, timeout: float | None = 30.0,
                 genmove_timeout: float | None = 600.0, cleanup: bool | str = "auto",
                 time_settings: tuple[float, float, int] | None = None,
                 setup_commands: Sequence[str] = (), max_undo: int = 4):
        if cleanup not in ("auto", True, False):
            raise ValueError(f"cleanup must be 'auto', True or False, got {cleanup!r}")
        if time_settings is not None and len(time_settings) != 3:
            raise ValueError("time_settings must be (main_time, byo_yomi_time, byo_yomi_stones)")
        self.size = int(size)
        self.komi = float(komi)
        self.timeout = timeout
        self.genmove_timeout = genmove_timeout
        self.cleanup = cleanup
        self.time_settings = tuple(time_settings) if time_settings is not None else None
        self.setup_commands = [str(c) for c in setup_commands]
        self.max_undo = int(max_undo)
        self.last_result = None
        if isinstance(engine, GtpClient):
            self._argv = None
            self.client = engine
            self._owns = False
        else:
            self._argv = shlex.split(engine) if isinstance(engine, str) else [str(a) for a in engine]
            if not self._argv:
                raise ValueError("GtpAgent needs a command line")
            self.client = None
            self._owns = True
        self.name = name or (self.client.name if self.client is not None
                             else os.path.basename(self._argv[0]))
        self._genmove_command: str | None = None
        self._sent_setup: tuple | None = None   # (size, komi, black setup, white setup)
        self._sent_moves: list[tuple[int, int]] = []
        self.resyncs = 0
        """How many times the whole game was replayed to the engine (a diagnostic)."""
        self._start()

    # ------------------------------------------------------------------ engine process
    def _start(self) -> None:
        if self.client is None or (self._owns and not self.client.alive):
            if self.client is not None:
                self.client.close()
            self.client = GtpClient(self._argv, timeout=self.timeout, name=self.name)
            self._genmove_command = None
            self._sent_setup = None
            self._sent_moves = []
            if self.setup_commands:
                self.client.send_many(self.setup_commands)

    def _genmove(self) -> str:
        if self._genmove_command is None:
            use = self.cleanup
            if use == "auto":
                try:
                    use = self.client.send("known_command kgs-genmove_cleanup").strip() == "true"
                except GtpError:
                    use = False
            self._genmove_command = "kgs-genmove_cleanup" if use else "genmove"
        return self._genmove_command

    # ------------------------------------------------------------------ agent protocol
    def reset(self) -> None:
        """A new game: (re)start the engine if it is gone, then ``boardsize``,
        ``clear_board``, ``komi`` for the agent's ``size`` and ``komi``."""
        self._start()
        self._new_game(self.size, self.komi)

    def select_move(self, game) -> int:
        """Bring the engine up to ``game`` and ask it for the move of ``game.to_play``."""
        self._start()
        self._sync(game)
        color = int(game.to_play)
        command = f"{self._genmove()} {_COLOR_LETTER[color]}"
        reply = self.client.send(command, timeout=self.genmove_timeout).strip()
        if reply.lower() == "resign":
            return RESIGN
        try:
            action = from_gtp(reply, game.size)
        except ValueError:
            raise GtpError(f"answered {reply!r}, which is not a vertex of a {game.size}x"
                           f"{game.size} board, pass or resign", command=command,
                           engine=self.name) from None
        self._sent_moves.append((color, action))
        return action

    def time_left(self, color: int, seconds: float, stones: int = 0) -> None:
        """Pass a clock reading to the engine (GTP ``time_left``)."""
        self._start()
        self.client.send(f"time_left {_COLOR_LETTER[int(color)]} {int(seconds)} {int(stones)}")

    def close(self) -> None:
        """Stop the engine if this agent started it. Safe to call twice."""
        if self._owns and self.client is not None:
            self.client.close()

    def __enter__(self) -> GtpAgent:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<GtpAgent {self.name} {self.client!r}>"

    # ------------------------------------------------------------------ keeping in step
    def _new_game(self, size: int, komi: float) -> None:
        commands = [f"boardsize {size}", "clear_board", f"komi {komi:g}"]
        if self.time_settings is not None:
            main, byo_time, byo_stones = self.time_settings
            commands.append(f"time_settings {int(main)} {int(byo_time)} {int(byo_stones)}")
        self._sent_setup = None
        self._sent_moves = []
        self.client.send_many(commands)
        self._sent_setup = (size, komi, (), ())

    def _sync(self, game) -> None:
        setup = (int(game.size), float(game.rules.komi), tuple(game.handicap),
                 tuple(game.setup_white))
        target = [(int(c), int(a)) for c, a in game.history]
        sent = self._sent_moves
        if setup == self._sent_setup:
            if target[:len(sent)] == sent:
                self._play(target[len(sent):], len(sent), game.size)
                return
            back = len(sent) - len(target)
            if 0 < back <= self.max_undo and sent[:len(target)] == target:
                try:
                    self.client.send_many(["undo"] * back)
                    del sent[len(target):]
                    return
                except GtpError:
                    pass  # the engine cannot undo: replay the whole game
        self.resyncs += 1
        self._new_game(setup[0], setup[1])
        black, white = setup[2], setup[3]
        if black or white:
            self._setup(black, white, game.size)
            self._sent_setup = setup
        self._play(target, 0, game.size)

    def _setup(self, black, white, size: int) -> None:
        if black and not white:
            try:
                self.client.send("set_free_handicap "
                                 + " ".join(to_gtp(a, size) for a in black))
                return
            except GtpError:
                self._new_game(size, self._sent_setup[1])
        self.client.send_many([f"play b {to_gtp(a, size)}" for a in black]
                              + [f"play w {to_gtp(a, size)}" for a in white])

    def _play(self, moves, first_number: int, size: int) -> None:
        if not moves:
            return
        commands = [f"play {_COLOR_LETTER[c]} {to_gtp(a, size)}" for c, a in moves]
        try:
            self.client.send_many(commands)
        except GtpError as exc:
            # find which move was refused: the replies before it succeeded
            index = next((i for i, cmd in enumerate(commands) if cmd == exc.command), 0)
            self._sent_setup = None  # out of step: the next call replays everything
            raise GtpError(f"refused move {first_number + index + 1} ({exc.command}): "
                           f"{exc.message}", command=exc.command, engine=self.name) from None
        self._sent_moves.extend(moves)

