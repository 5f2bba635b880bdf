"""Every console script answers --help (and -h) with exit 0 and its options, without a
traceback, run as a user runs it: a new process through the entry point setup.py declares."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _entry_points() -> dict:
    """{script: "module:function"} from setup.py's console_scripts."""
    text = (ROOT / "setup.py").read_text()
    return dict(re.findall(r'"(goengine-[a-z]+)=([\w.]+:\w+)"', text))


SCRIPTS = _entry_points()


def _run(script: str, *argv: str) -> subprocess.CompletedProcess:
    module, function = SCRIPTS[script].split(":")
    code = (f"import sys; sys.argv = [{script!r}] + sys.argv[1:]; from {module} import {function}; "
            f"sys.exit({function}())")
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_scripts_are_the_six_of_the_readme():
    assert set(SCRIPTS) == {"goengine-train", "goengine-gtp", "goengine-analysis", "goengine-arena",
                            "goengine-rl", "goengine-demo"}


@pytest.mark.parametrize("script, argv, shows", [
    ("goengine-gtp", ["--help"], ["--agent SPEC", "--visits", "--time-per-move", "--resign-threshold",
                                  "--ramp", "--backend"]),
    ("goengine-gtp", ["-h"], ["--agent SPEC", "--lambda"]),
    ("goengine-analysis", ["--help"], ["--agent SPEC", "-model", "-override-config",
                                       "-quit-without-waiting"]),
    ("goengine-arena", ["--help"], ["run", "agents"]),
    ("goengine-arena", ["run", "--help"], ["--games", "--jobs", "--seed"]),
    ("goengine-train", ["--help"], ["zero", "distill", "expert-data", "rollout", "value"]),
    ("goengine-train", ["zero", "--help"], ["--run", "--preset", "--backend", "--cluster"]),
    ("goengine-rl", ["--help"], ["usage:"]),
    ("goengine-demo", ["--help"], ["usage:"]),
])
def test_help_exits_zero_and_shows_the_options(script, argv, shows):
    done = _run(script, *argv)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for text in shows:
        assert text in done.stdout, (text, done.stdout)
