"""The engine side of GTP v2: read commands, dispatch them to handler methods, write replies.

This module knows the protocol and, of Go, only how a colour is spelled;
``gtp/handlers.py`` adds the Go commands on top of ``GtpEngine``.

Protocol (GTP version 2, draft 2, sections 2 and 3), as implemented here:

=====================  ==================================================================
input line             ``[id] command_name [arguments]``; before parsing, control
                       characters other than HT and LF are removed (so CR of a CRLF line
                       end goes), everything from ``#`` on is a comment, HT becomes a
                       space, and lines that are then empty are ignored
id                     an unsigned decimal integer; repeated in the reply
success                ``=id result`` + an empty line (``= result`` without an id)
failure                ``?id message`` + an empty line
multi-line replies     never contain an empty line (blank lines are squeezed out)
streamed replies       ``=id`` on a line of its own, then lines written as they are
                       computed (``lz-analyze``), then the empty line
=====================  ==================================================================

Handlers are methods named ``cmd_<name>`` (or registered under another name with
``@command("kgs-genmove_cleanup")``). Their arguments are converted from the signature,
minigo-style: ``def cmd_komi(self, komi: float)`` receives a float, ``*vertices: Vertex``
any number of vertices, a parameter with a default is optional. A wrong count or a bad
token answers ``? syntax error: ...`` with the command's usage. A handler returns the
reply text (or None for an empty reply), raises ``GtpCommandError`` for a ``?`` reply, or
returns a ``Stream`` for a streamed reply.

Input is read by a thread into a queue (``InputReader``), so that a long computation can
ask ``input_pending()`` and stop when the next command arrives (lz-analyze), and a genmove
can ask ``quit_pending()`` and cut its search short when ``quit`` or the end of input
arrives. Between commands ``run`` calls ``idle()`` (the Go engine ponders there). Only the
protocol goes to the output stream; logs go to stderr through ``logging``.
"""
from __future__ import annotations

import inspect
import logging
import os
import queue
import sys
import threading
import types
import typing
from dataclasses import dataclass
from typing import Callable, Iterator

from goengine.coords import parse_color as _parse_color

__all__ = ["GtpEngine", "GtpCommandError", "Command", "Stream", "Color", "Vertex",
           "command", "preprocess", "parse_command", "InputReader", "GTP_INT_MAX"]

log = logging.getLogger("gtp")

GTP_INT_MAX = 2**31 - 1
"""The largest GTP ``int`` (section 3.2: 0 <= x <= 2^31 - 1)."""


class GtpCommandError(Exception):
    """Raised by a handler: the command fails and the reply is ``? <message>``."""


class Color(int):
    """Annotation for a GTP colour argument (``b``, ``black``, ``w``, ``white``, any case);
    the handler receives goengine's BLACK or WHITE."""


class Vertex(int):
    """Annotation for a GTP vertex argument (``D4``, ``pass``, any case, no ``I``); the
    handler receives an action (pass = N*N). The converter needs the board size, so the
    Go engine supplies it."""


@dataclass(frozen=True)
class Command:
    """One parsed command line."""

    id: int | None
    name: str
    args: tuple[str, ...]


class Stream:
    """A streamed reply. ``produce(emit)`` is called while the reply is written; each
    ``emit(line)`` sends one line at once (flushed). The reply opens with ``=id`` on its
    own line and closes with the empty line when ``produce`` returns. An exception inside
    ``produce`` is logged and ends the reply (it can no longer turn into a ``?``)."""

    def __init__(self, produce: Callable[[Callable[[str], None]], None]):
        self.produce = produce


# ----------------------------------------------------------------------------- parsing
_DROP = {c: None for c in range(32) if c not in (9, 10)}
_DROP[127] = None


def preprocess(line: str) -> str | None:
    """GTP section 2.1 on one input line: drop control characters other than HT and LF
    (CR included), cut a ``#`` comment, turn HT into a space, strip. None when nothing is
    left (the line is ignored)."""
    text = line.translate(_DROP)
    hash_at = text.find("#")
    if hash_at >= 0:
        text = text[:hash_at]
    text = text.replace("\t", " ").replace("\n", " ").strip()
    return text or None


def parse_command(line: str) -> Command | None:
    """A preprocessed (or raw) line -> Command, or None for a line to ignore. A line that
    holds only an id gives a Command whose name is empty (answered as a syntax error)."""
    text = preprocess(line)
    if text is None:
        return None
    tokens = text.split()
    ident = None
    if tokens[0].isdigit() and tokens[0].isascii():
        ident = int(tokens[0])
        tokens = tokens[1:]
    if not tokens:
        return Command(ident, "", ())
    return Command(ident, tokens[0], tuple(tokens[1:]))


def parse_int(token: str) -> int:
    """GTP int: an unsigned decimal integer 0..2^31-1."""
    if not (token.isdigit() and token.isascii()):
        raise ValueError(f"{token!r} is not an integer")
    value = int(token)
    if value > GTP_INT_MAX:
        raise ValueError(f"{token!r} is too large for a GTP integer")
    return value


def parse_float(token: str) -> float:
    """GTP float: a decimal number (a sign and an exponent are accepted); not nan/inf."""
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f"{token!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{token!r} is not a finite number")
    return value


def parse_bool(token: str) -> bool:
    """GTP boolean: ``true`` or ``false`` (also 1 / 0)."""
    t = token.lower()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
        return False
    raise ValueError(f"{token!r} is not true or false")


def parse_color(token: str) -> int:
    """GTP colour: ``b``, ``black``, ``w``, ``white`` in any case -> BLACK / WHITE."""
    try:
        return _parse_color(token)
    except ValueError:
        raise ValueError(f"invalid color {token!r}: expected b, black, w or white") from None


# ----------------------------------------------------------------------------- handlers
def command(name: str | None = None, *, hidden: bool = False, ignore_extra: bool = False):
    """Register a handler method under a GTP command name (default: the method name
    without ``cmd_``). ``hidden`` commands work but are not listed by list_commands.
    ``ignore_extra``: arguments beyond the signature's are dropped instead of answered
    with a syntax error, as GNU Go does (qgo sends ``undo 0``)."""

    def mark(method):
        method._gtp_name = name or method.__name__[4:]
        method._gtp_hidden = hidden
        method._gtp_ignore_extra = ignore_extra
        return method

    return mark


@dataclass(frozen=True)
class _Param:
    name: str
    kind: type
    optional: bool
    variadic: bool


class _Handler:
    """A bound handler method with its signature turned into argument converters."""

    def __init__(self, name: str, method, hidden: bool, ignore_extra: bool = False):
        self.name = name
        self.method = method
        self.hidden = hidden
        self.ignore_extra = ignore_extra
        hints = typing.get_type_hints(method)
        params = []
        for p in inspect.signature(method).parameters.values():
            kind = hints.get(p.name, str)
            if typing.get_origin(kind) in (typing.Union, types.UnionType):  # "int | None"
                kind = next(a for a in typing.get_args(kind) if a is not type(None))
            params.append(_Param(p.name, kind, p.default is not inspect.Parameter.empty,
                                 p.kind is inspect.Parameter.VAR_POSITIONAL))
        self.params = params

    @property
    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            token = f"<{p.name}>"
            parts.append(f"[{token}...]" if p.variadic else f"[{token}]" if p.optional else token)
        return " ".join(parts)


class GtpEngine:
    """The protocol machine. Subclasses add ``cmd_*`` handlers; this class provides the
    administrative commands of GTP v2 (protocol_version, name, version, known_command,
    list_commands, quit).

    ``handle_line(line)`` answers one line and returns the reply text (streamed replies
    are collected); ``run(stdin, stdout)`` serves a GUI until ``quit`` or end of input.
    """

    engine_name = "gtp-engine"
    engine_version = "0"

    def __init__(self):
        self._handlers: dict[str, _Handler] = {}
        for cls in reversed(type(self).__mro__):
            for attr, value in vars(cls).items():
                name = getattr(value, "_gtp_name", None)
                if name is None and attr.startswith("cmd_") and callable(value):
                    name = attr[4:]
                if name is not None:
                    self._handlers[name] = _Handler(name, getattr(self, attr),
                                                    getattr(value, "_gtp_hidden", False),
                                                    getattr(value, "_gtp_ignore_extra", False))
        self.converters: dict[type, Callable[[str], object]] = {
            int: parse_int, float: parse_float, str: str, bool: parse_bool, Color: parse_color,
        }
        self.quit_requested = False
        self._reader: InputReader | None = None
        self.interrupt_check: Callable[[], bool] | None = None
        """When set, ``input_pending`` asks it instead of the input reader (tests)."""

    # ------------------------------------------------------------------ dispatch
    @property
    def commands(self) -> list[str]:
        """Names of the listed commands, in alphabetical order."""
        return sorted(n for n, h in self._handlers.items() if not h.hidden)

    def input_pending(self) -> bool:
        """Whether another command (or the end of input) is waiting: long computations
        that the next command interrupts poll this."""
        if self.interrupt_check is not None:
            return bool(self.interrupt_check())
        return self._reader is not None and self._reader.pending()

    def quit_pending(self) -> bool:
        """Whether ``quit`` or the end of input has arrived while a command runs: a genmove
        polls this and stops its search, since the GUI will not wait for the move."""
        return self._reader is not None and self._reader.closing.is_set()

    def _find(self, name: str) -> _Handler | None:
        return self._handlers.get(name) or self._handlers.get(name.lower())

    def _convert(self, handler: _Handler, args: tuple[str, ...]) -> list:
        params = handler.params
        fixed = [p for p in params if not p.variadic]
        required = sum(1 for p in fixed if not p.optional)
        variadic = params[-1] if params and params[-1].variadic else None
        if handler.ignore_extra and variadic is None:
            args = args[:len(fixed)]
        if len(args) < required or (variadic is None and len(args) > len(fixed)):
            raise GtpCommandError(f"syntax error: usage: {handler.usage}")
        values = []
        for i, token in enumerate(args):
            p = fixed[i] if i < len(fixed) else variadic
            convert = self.converters.get(p.kind)
            if convert is None:
                raise TypeError(f"no converter for {p.kind!r} ({handler.name} {p.name})")
            try:
                values.append(convert(token))
            except ValueError as exc:
                raise GtpCommandError(f"syntax error: {exc} (usage: {handler.usage})") from None
        return values

    def dispatch(self, cmd: Command):
        """Run the handler of ``cmd``: (True, text or Stream) or (False, message)."""
        if not cmd.name:
            return False, "syntax error: no command name"
        handler = self._find(cmd.name)
        if handler is None:
            return False, "unknown command"
        try:
            values = self._convert(handler, cmd.args)
            result = handler.method(*values)
        except GtpCommandError as exc:
            return False, str(exc)
        except Exception as exc:  # a bug must not kill the GUI's engine: report it
            log.exception("command %r failed", cmd.name)
            return False, f"internal error: {type(exc).__name__}: {exc}"
        return True, result

    # ------------------------------------------------------------------ replies
    @staticmethod
    def _clean(text: str) -> str:
        """Reply text without empty lines (they would end the reply early) and without
        control characters."""
        lines = [line.rstrip().translate(_DROP) for line in str(text).splitlines()]
        kept = [line for i, line in enumerate(lines) if line.strip() or i == 0]
        return "\n".join(kept)

    @staticmethod
    def _prefix(ok: bool, ident: int | None) -> str:
        return ("=" if ok else "?") + ("" if ident is None else str(ident))

    def _write_reply(self, out, cmd: Command, ok: bool, result) -> None:
        if ok and isinstance(result, Stream):
            out.write(self._prefix(True, cmd.id) + "\n")
            out.flush()

            def emit(line: str) -> None:
                text = " ".join(self._clean(line).split("\n")).strip()
                if text:
                    out.write(text + "\n")
                    out.flush()

            try:
                result.produce(emit)
            except BrokenPipeError:
                raise
            except Exception:
                log.exception("streamed reply to %r failed", cmd.name)
            out.write("\n")
            out.flush()
            return
        text = "" if result is None else self._clean(result)
        out.write(f"{self._prefix(ok, cmd.id)} {text}\n\n")
        out.flush()

    def handle_line(self, line: str) -> str:
        """Answer one input line; '' for a line that is ignored (empty or a comment).
        A streamed reply is returned whole."""
        cmd = parse_command(line)
        if cmd is None:
            return ""
        ok, result = self.dispatch(cmd)
        buffer = _StringOut()
        self._write_reply(buffer, cmd, ok, result)
        return buffer.getvalue()

    # ------------------------------------------------------------------ serving
    def run(self, stdin=None, stdout=None) -> int:
        """Serve commands from ``stdin`` (binary or text stream; default sys.stdin) until
        ``quit`` or end of input, writing replies to ``stdout`` (default sys.stdout).
        Returns the exit status (0)."""
        stdin = sys.stdin if stdin is None else stdin
        stdout = sys.stdout if stdout is None else stdout
        self._reader = InputReader(stdin)
        try:
            while not self.quit_requested:
                line = self._reader.get()
                if line is None:
                    break
                cmd = parse_command(line)
                if cmd is None:
                    continue
                log.debug("<< %s", line)
                ok, result = self.dispatch(cmd)
                try:
                    self._write_reply(stdout, cmd, ok, result)
                except BrokenPipeError:
                    break
                if not self.quit_requested and not self._reader.pending():
                    self.idle()
        finally:
            self._reader = None
            self.close()
        return 0

    def close(self) -> None:
        """Called once when ``run`` ends; subclasses free resources here."""

    def idle(self) -> None:
        """Called by ``run`` after a reply when no command is waiting: work for the time
        until the next one (pondering), which must return soon after ``input_pending()``."""

    # ------------------------------------------------------------------ v2 admin commands
    def cmd_protocol_version(self) -> str:
        return "2"

    def cmd_name(self) -> str:
        return self.engine_name

    def cmd_version(self) -> str:
        return self.engine_version

    def cmd_known_command(self, command_name: str) -> str:
        return "true" if self._find(command_name) is not None else "false"

    def cmd_list_commands(self) -> str:
        return "\n".join(self.commands)

    def cmd_quit(self) -> None:
        self.quit_requested = True


class _StringOut:
    def __init__(self):
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self._parts)


_EOF = object()


class InputReader:
    """Reads lines from a stream on a daemon thread into a queue, keeping only lines that
    carry a command after preprocessing, so that ``pending()`` means "the next command
    (or the end of input) has arrived". Bytes are decoded as UTF-8 (bad bytes replaced); a
    last line without a newline counts.

    A stream with a file descriptor (stdin) is read with ``os.read`` on that descriptor,
    not through Python's buffered file object: a thread blocked inside a buffered read
    holds the object's lock, and the interpreter aborts at exit when it cannot take it."""

    def __init__(self, stream):
        self._queue: queue.Queue = queue.Queue()
        self._stream = stream
        self.closing = threading.Event()
        """Set as soon as a ``quit`` command or the end of input is read (GtpEngine's
        ``quit_pending``), while earlier commands may still be waiting in the queue."""
        try:
            self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        self._thread = threading.Thread(target=self._read, daemon=True, name="gtp-stdin")
        self._thread.start()

    def _chunks(self) -> Iterator[bytes | str]:
        if self._fd is not None:
            while chunk := os.read(self._fd, 65536):
                yield chunk
        else:
            while line := self._stream.readline():
                yield line

    def _read(self) -> None:
        pending = b""
        try:
            for chunk in self._chunks():
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    self._put(raw)
            if pending:
                self._put(pending)
        except (OSError, ValueError) as exc:
            log.warning("stopped reading input: %s", exc)
        finally:
            self._queue.put(_EOF)
            self.closing.set()

    def _put(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace")
        if preprocess(line) is not None:
            self._queue.put(line)
            cmd = parse_command(line)
            if cmd is not None and cmd.name.lower() == "quit":
                self.closing.set()

    def pending(self) -> bool:
        return not self._queue.empty()

    def get(self, timeout: float | None = None) -> str | None:
        """The next command line, or None at the end of input (which stays the end)."""
        item = self._queue.get(timeout=timeout)
        if item is _EOF:
            self._queue.put(_EOF)
            return None
        return item
