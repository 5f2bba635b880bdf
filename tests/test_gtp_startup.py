"""goengine-gtp at start: a network for another board size is refused before the first
command (exit 2, one line), the first commands are answered while the agent still loads,
and only the commands the agent can do are listed."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from goengine.agents import AGENT_KINDS, RandomAgent, register_agent_kind
from gtp.handlers import GoEngine
from gtp.players import PlayerOptions

ROOT = Path(__file__).resolve().parent.parent


def _gtp(*argv, stdin=b""):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "gtp", *argv], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=120)


def _error_lines(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode().splitlines() if not line.startswith("goengine: ")]


def test_a_size_the_network_does_not_play_stops_the_program_at_start():
    done = _gtp("--agent", "zero", "--size", "19", stdin=b"genmove b\n")
    assert done.returncode == 2 and done.stdout == b""
    (line,) = _error_lines(done.stderr)
    assert "plays 9x9" in line and "--size 19" in line
    assert "Traceback" not in done.stderr.decode()


def test_a_weights_file_for_another_size_is_refused_at_the_default_size(tmp_path):
    torch = pytest.importorskip("torch")  # noqa: F841
    from goengine.models import ZeroNet, save, zero_config
    weights = tmp_path / "net19.pt"
    save(ZeroNet(zero_config("tiny", board_size=19)), weights)
    done = _gtp("--agent", "zero", "--weights", str(weights), stdin=b"genmove b\n")
    assert done.returncode == 2 and done.stdout == b""
    (line,) = _error_lines(done.stderr)
    assert "plays 19x19" in line and "--size 9" in line
    # the same file at its own size starts and plays
    done = _gtp("--agent", "zero", "--weights", str(weights), "--size", "19", "--visits", "4",
                stdin=b"genmove b\nquit\n")
    assert done.returncode == 0 and done.stdout.startswith(b"= "), done.stderr.decode()[-2000:]


def test_reading_a_networks_size_imports_no_torch():
    code = ("import sys; from goengine.agents import spec_board_sizes; "
            "assert spec_board_sizes('zero') == (9,) and spec_board_sizes('lee') == (9,); "
            "assert spec_board_sizes('mcts') is None; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_first_commands_are_answered_while_the_agent_loads():
    release = threading.Event()

    @register_agent_kind("slow-loading-test", searches=True)
    def _slow(options, context, stream):
        release.wait(30)  # a network that takes its time to load
        return AGENT_KINDS["mcts"].factory({**dict.fromkeys(AGENT_KINDS["mcts"].options), "visits": 5,
                                            "resign": None}, context, stream)

    try:
        engine = GoEngine("slow-loading-test", PlayerOptions(seed=1), background=True)
        assert engine.handle_line("protocol_version") == "= 2\n\n"
        assert engine.handle_line("name") == "= goengine\n\n"
        assert "lz-analyze" in engine.handle_line("list_commands")  # from the kind, not yet built
        assert engine._agent is None  # still loading: nothing above waited for it
        release.set()
        assert engine.handle_line("genmove b").startswith("= ")
        engine.close()
    finally:
        release.set()
        del AGENT_KINDS["slow-loading-test"]


def test_an_agent_that_fails_to_load_in_the_background_fails_its_commands_clearly():
    @register_agent_kind("broken-loading-test")
    def _broken(options, context, stream):
        raise ValueError("the network file is damaged")

    try:
        engine = GoEngine("broken-loading-test", PlayerOptions(), background=True)
        assert engine.handle_line("protocol_version") == "= 2\n\n"
        reply = engine.handle_line("genmove b")
        assert reply.startswith("? ") and "the network file is damaged" in reply
    finally:
        del AGENT_KINDS["broken-loading-test"]


def test_only_the_commands_the_agent_can_do_are_listed():
    policy = GoEngine("random", PlayerOptions(seed=1))
    listed = policy.handle_line("list_commands")
    for name in ("lz-analyze", "lz-genmove_analyze", "goengine-winrate", "goengine-pv",
                 "goengine-visit_heatmap"):
        assert f"\n{name}\n" not in listed and not listed.endswith(f"\n{name}\n\n")
        assert policy.handle_line(f"known_command {name}") == "= false\n\n"
    assert "goengine-policy_heatmap" in listed and "genmove" in listed
    reply = policy.handle_line("lz-analyze 10")
    assert reply.startswith("? lz-analyze needs a search agent (--agent lee, mcts, zero)")
    search = GoEngine("mcts", PlayerOptions(seed=1, visits=10))
    assert "lz-analyze" in search.handle_line("list_commands")
    assert search.handle_line("known_command lz-analyze") == "= true\n\n"
    assert RandomAgent.mcts is None  # the protocol's optional part, declared
