"""Golden GTP sessions: each tests/gtp_golden/NAME.gtp is piped into ``python -m gtp`` as a
subprocess, as a GUI runs it, and its stdout must equal NAME.out byte for byte (the
engine options, seed included, are on the script's ``# args:`` line).

Regenerate after a deliberate change (then review the diff):
``GOENGINE_REGENERATE_GOLDEN=1 python -m pytest tests/test_gtp_golden.py``.

Also here: the protocol's input rules over a real pipe (CRLF, tabs, control characters,
comments, a last line without a newline), the end of input without ``quit``, and the
program's refusal of bad options, all through the subprocess.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "gtp_golden"
SCRIPTS = sorted(p.stem for p in GOLDEN.glob("*.gtp"))
REGENERATE = os.environ.get("GOENGINE_REGENERATE_GOLDEN") == "1"


def run_engine(args: list[str], stdin: bytes, cwd: Path = GOLDEN,
               timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "gtp", *args], input=stdin,
                          capture_output=True, cwd=cwd, env=env, timeout=timeout)


def script_args(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# args:"), f"{path.name}: the first line must be '# args: ...'"
    return shlex.split(first[len("# args:"):]) + ["--quiet"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_golden_session(name):
    script = GOLDEN / f"{name}.gtp"
    expected_path = GOLDEN / f"{name}.out"
    proc = run_engine(script_args(script), script.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"", f"--quiet engine wrote to stderr:\n{proc.stderr.decode()}"
    if REGENERATE:
        expected_path.write_bytes(proc.stdout)
    assert expected_path.exists(), f"no {expected_path.name}: regenerate the golden files"
    expected = expected_path.read_bytes()
    if proc.stdout != expected:
        got = proc.stdout.decode().splitlines()
        want = expected.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
        pytest.fail(f"{name}: output differs from {expected_path.name} at line {first + 1}:\n"
                    f"  got:      {got[first] if first < len(got) else '<end>'!r}\n"
                    f"  expected: {want[first] if first < len(want) else '<end>'!r}")


def test_every_golden_reply_is_well_formed():
    """Every reply in the golden outputs is '=' or '?' (with the id when the command had
    one) and ends with exactly one empty line."""
    for name in SCRIPTS:
        out = (GOLDEN / f"{name}.out").read_text(encoding="utf-8")
        assert out.endswith("\n\n") and not out.endswith("\n\n\n"), name
        for reply in out[:-2].split("\n\n"):
            assert reply[:1] in ("=", "?"), (name, reply)


def test_protocol_rules_over_a_pipe():
    """CRLF line ends, tabs, control characters, comments, blank lines and a last command
    without a newline, through a real pipe."""
    stdin = (b"1 name\r\n"
             b"\r\n"
             b"   \t  \n"
             b"# a comment line\n"
             b"2\tknown_command\tplay # trailing comment\n"
             b"3 proto\x01col_ver\x7fsion\r\n"
             b"4 boardsize 5\n"
             b"5 play B c3\n"
             b"6 play w\tB2\n"
             b"7 list_stones BLACK\n"
             b"8 play b I3\n"
             b"9 version")
    proc = run_engine(["--agent", "random", "--quiet"], stdin, cwd=ROOT)
    assert proc.returncode == 0
    assert proc.stdout == (b"=1 goengine\n\n"
                           b"=2 true\n\n"
                           b"=3 2\n\n"
                           b"=4 \n\n"
                           b"=5 \n\n"
                           b"=6 \n\n"
                           b"=7 C3\n\n"
                           b"?8 syntax error: invalid vertex 'I3' (usage: play <color> <vertex>)\n\n"
                           b"=9 0.1.0\n\n")


def test_end_of_input_without_quit_exits_cleanly():
    proc = run_engine(["--agent", "random", "--quiet"], b"name\n", cwd=ROOT)
    assert proc.returncode == 0
    assert proc.stdout == b"= goengine\n\n"


def test_logs_go_to_stderr_only():
    proc = run_engine(["--agent", "mcts", "--visits", "20", "--seed", "1"],
                      b"boardsize 5\ngenmove b\nquit\n", cwd=ROOT)
    assert proc.returncode == 0
    replies = proc.stdout.decode().split("\n\n")
    assert replies[0] == "= " and replies[1].startswith("= ") and replies[2] == "= "
    assert b"black" in proc.stderr  # the move log


BAD_OPTIONS = [
    (["--agent", "nonesuch"], "unknown agent kind 'nonesuch'"),
    (["--weights", "/no/such/file.pt"], "weights file '/no/such/file.pt' does not exist"),
    (["--agent", "random", "--weights", "tests"], "is a directory"),
    (["--agent", "random", "--weights", "setup.py"], "--agent random takes no --weights"),
    (["--size", "1"], "board size must be 2..25"),
    (["--visits", "0"], "must be at least 1"),
    (["--visits", "many"], "is not an integer"),
    (["--time-per-move", "0"], "must be more than 0 seconds"),
    (["--komi", "inf"], "not a finite number"),
    (["--resign-threshold", "1.5"], "between 0 and 1"),
    (["--threads", "-2"], "must be at least 1"),
    (["--lag", "-1"], "must not be negative"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize("args, message", BAD_OPTIONS)
def test_bad_options_are_refused(args, message, capsys, monkeypatch):
    from gtp.__main__ import main
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err, err


@pytest.mark.parametrize("args, message", [BAD_OPTIONS[0], BAD_OPTIONS[1]])
def test_bad_options_fail_at_start(args, message):
    """Through the program: a message on stderr, exit status 2, nothing on stdout, and no
    hang with stdin left open (the timeout would fire)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "gtp", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    try:
        proc.wait(timeout=30)  # stdin stays open: the program must not wait for it
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.stdout.read(), proc.stderr.read()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    assert proc.returncode == 2
    assert out == b""
    assert message in err.decode(), err.decode()
