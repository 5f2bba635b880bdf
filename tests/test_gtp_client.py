"""gtp/client.py against a scripted fake engine (a small Python program): replies, ids,
multi-line answers, failures, a dying engine, a hanging engine, and shutdown. The real
engine (GNU Go) is exercised by tests/test_gnugo.py."""
from __future__ import annotations

import sys
import textwrap
import time

import pytest

from gtp.client import (
    GtpClient,
    GtpClientError,
    GtpEngineDied,
    GtpError,
    GtpTimeout,
    find_gnugo,
)

FAKE_ENGINE = textwrap.dedent(r'''
    import sys, time
    sys.stderr.write("fake engine starting\n")
    sys.stderr.flush()
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        ident = ""
        if parts[0].isdigit():
            ident, parts = parts[0], parts[1:]
        cmd, args = parts[0], parts[1:]
        def reply(text, ok=True):
            sys.stdout.write(("=" if ok else "?") + ident + " " + text + "\n\n")
            sys.stdout.flush()
        if cmd == "name":
            reply("Fake")
        elif cmd == "echo":
            reply(" ".join(args))
        elif cmd == "lines":
            reply("\n".join("line %d" % i for i in range(int(args[0]))))
        elif cmd == "block":  # a reply that starts on the line after the "="
            sys.stdout.write("=" + ident + "\n  indented\nlast\n\n")
            sys.stdout.flush()
        elif cmd == "crlf":
            sys.stdout.write("=" + ident + " windows\r\n\r\n")
            sys.stdout.flush()
        elif cmd == "noid":
            sys.stdout.write("= no id\n\n")
            sys.stdout.flush()
        elif cmd == "wrongid":
            sys.stdout.write("=999 wrong\n\n")
            sys.stdout.flush()
        elif cmd == "fail":
            reply("unknown command", ok=False)
        elif cmd == "spam":  # lots of stderr while answering
            sys.stderr.write("x" * 200000 + "\nend of spam\n")
            sys.stderr.flush()
            reply("done")
        elif cmd == "sleep":
            time.sleep(float(args[0]))
            reply("awake")
        elif cmd == "crash":
            sys.stderr.write("fatal: something broke\n")
            sys.stderr.flush()
            sys.exit(3)
        elif cmd == "quit":
            reply("")
            break
        else:
            reply("unknown command", ok=False)
''')


@pytest.fixture
def fake_argv(tmp_path):
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE_ENGINE)
    return [sys.executable, str(script)]


def test_replies_and_ids(fake_argv):
    with GtpClient(fake_argv, timeout=10) as engine:
        assert engine.name == "python" or engine.name.startswith("python")
        assert engine.send("name") == "Fake"
        assert engine.send("echo  hello   world ") == "hello world"
        assert engine.send("42 echo own id") == "own id"
        assert engine.send("lines 3") == "line 0\nline 1\nline 2"
        assert engine.send("block") == "  indented\nlast"
        assert engine.send("crlf") == "windows"
        assert engine.send("noid") == "no id"
        assert engine.send_many(["echo a", "lines 2", "echo b"]) == ["a", "line 0\nline 1",
                                                                     "b"]
        assert engine.send_many([]) == []
        assert engine.alive


def test_failure_reply(fake_argv):
    with GtpClient(fake_argv, timeout=10, name="fake") as engine:
        with pytest.raises(GtpError) as info:
            engine.send("fail")
        assert info.value.message == "unknown command"
        assert "fake" in str(info.value) and "fail" in str(info.value)
        # a batch reads every reply, then raises the first failure; the stream stays in step
        with pytest.raises(GtpError, match="frobnicate"):
            engine.send_many(["echo 1", "frobnicate", "echo 3", "fail"])
        assert engine.send("echo still in step") == "still in step"


def test_bad_commands_are_refused_locally(fake_argv):
    with GtpClient(fake_argv, timeout=10) as engine:
        with pytest.raises(ValueError):
            engine.send("echo a\necho b")
        with pytest.raises(ValueError):
            engine.send("   ")
        assert engine.send("echo ok") == "ok"


def test_wrong_id_is_an_error(fake_argv):
    with GtpClient(fake_argv, timeout=10) as engine:
        with pytest.raises(GtpError, match="out of step"):
            engine.send("wrongid")


def test_engine_death_reports_stderr(fake_argv):
    engine = GtpClient(fake_argv, timeout=10, name="fake")
    with pytest.raises(GtpEngineDied) as info:
        engine.send("crash")
    assert "fatal: something broke" in str(info.value)
    assert info.value.returncode == 3
    with pytest.raises(GtpEngineDied):
        engine.send("name")
    assert not engine.alive
    engine.close()
    engine.close()  # twice is fine


def test_stderr_buffer_is_bounded(fake_argv):
    with GtpClient(fake_argv, timeout=10, stderr_limit=1000) as engine:
        assert engine.send("spam") == "done"
        deadline = time.monotonic() + 5
        while "end of spam" not in engine.stderr_tail() and time.monotonic() < deadline:
            time.sleep(0.01)
        tail = engine.stderr_tail(10**6)
        assert tail.endswith("end of spam\n") and len(tail) <= 1000


def test_timeout_kills_the_engine(fake_argv):
    engine = GtpClient(fake_argv, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(GtpTimeout):
        engine.send("sleep 30")
    assert time.monotonic() - start < 10
    assert engine.process.poll() is not None  # killed
    with pytest.raises(GtpClientError):
        engine.send("name")
    engine.close()
    with GtpClient(fake_argv, timeout=0.5) as patient:
        assert patient.send("sleep 1", timeout=10) == "awake"  # per-command timeout


def test_close_sends_quit(fake_argv):
    engine = GtpClient(fake_argv, timeout=10)
    assert engine.close() == 0
    assert not engine.alive
    with pytest.raises(GtpClientError, match="closed"):
        engine.send("name")


def test_missing_program():
    with pytest.raises(GtpEngineDied, match="cannot start"):
        GtpClient(["/nonexistent/engine-program"])


def test_find_gnugo_returns_a_program_or_none():
    path = find_gnugo()
    assert path is None or path.endswith("gnugo")
