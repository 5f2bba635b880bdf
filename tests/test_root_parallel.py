"""Root parallelism: several processes search one position and their roots are merged."""
import os

import numpy as np
import pytest

from goengine.agents import pure_mcts_agent
from goengine.game import GameState
from goengine.search.root_parallel import RootParallelAgent, _Helper, merge_results


def _position():
    game = GameState(9)
    for move in (40, 30, 50, 31):
        game.play(move)
    return game


def test_merge_sums_visits_and_weights_q_by_visits():
    game = _position()
    a = pure_mcts_agent(200, rng=1).mcts.search(game)
    b = pure_mcts_agent(300, rng=2).mcts.search(game)
    merged = merge_results([a, b])
    assert merged.simulations == a.simulations + b.simulations
    assert merged.playouts == a.playouts + b.playouts
    np.testing.assert_array_equal(merged.visits, a.visits + b.visits)
    for action in np.flatnonzero(merged.visits):
        expected = (np.nan_to_num(a.q[action]) * a.visits[action]
                    + np.nan_to_num(b.q[action]) * b.visits[action]) / merged.visits[action]
        assert merged.q[action] == pytest.approx(expected)
    assert np.isnan(merged.q[merged.visits == 0]).all()
    expected_root = (a.root_value * a.simulations + b.root_value * b.simulations) / merged.simulations
    assert merged.root_value == pytest.approx(expected_root)
    counts = [m.visits for m in merged.moves]
    assert counts == sorted(counts, reverse=True)
    assert merged.best == merged.moves[0].action == int(np.argmax(merged.visits))


def test_merge_refuses_results_of_different_positions():
    game = _position()
    a = pure_mcts_agent(50, rng=1).mcts.search(game)
    game.play(60)
    b = pure_mcts_agent(50, rng=1).mcts.search(game)
    with pytest.raises(ValueError, match="different positions"):
        merge_results([a, b])
    with pytest.raises(ValueError, match="no search results"):
        merge_results([])


def test_agent_splits_a_visit_budget_over_its_processes_and_keeps_their_trees():
    game = _position()
    with RootParallelAgent("goengine.agents:pure_mcts_agent", dict(simulations=120), workers=2,
                           seeds=[3, 4]) as agent:
        assert len(agent._helpers) == 1
        move = agent.select_move(game)
        first = agent.last_result
        assert game.is_legal(move)
        assert first.simulations == 120 and first.playouts == 120  # 60 in each process
        game.play(move)
        game.play(agent.select_move(game))   # the agent plays both sides: trees are reused
        second = agent.last_result
        assert second.playouts == 120
        assert second.simulations > second.playouts
        agent.reset()
        game2 = _position()
        agent.select_move(game2)
        assert agent.last_result.simulations == agent.last_result.playouts == 120
        proc = agent._helpers[0].proc
    assert proc.wait(timeout=10) == 0


def test_agent_under_a_time_budget_searches_in_every_process():
    game = _position()
    with RootParallelAgent("goengine.agents:pure_mcts_agent", dict(simulations=10_000_000, seconds=0.2),
                           workers=2, seeds=[5, 6]) as agent:
        agent.select_move(game)
        own = agent.mcts.tree.root_visits      # this process's share (a new tree: none reused)
        assert 0 < own < agent.last_result.simulations
        assert agent.last_result.elapsed >= 0.2


def test_a_helper_that_cannot_build_its_agent_is_reported():
    helper = _Helper(1, "goengine.agents:pure_mcts_agent", dict(no_such_option=1))
    try:
        with pytest.raises(RuntimeError, match="helper 1: TypeError: .*no_such_option"):
            helper.receive()
    finally:
        helper.close()
    assert helper.proc.returncode == 0
    with pytest.raises(TypeError, match="no_such_option"):
        RootParallelAgent("goengine.agents:pure_mcts_agent", dict(no_such_option=1), workers=2, seeds=[1, 2])
    with pytest.raises(ValueError, match="module:function"):
        RootParallelAgent("pure_mcts_agent", {}, workers=1, seeds=[1])


def test_zero_spec_with_workers_plays_through_the_arena_factory():
    from goengine.agents import AgentContext, make_agent, parse_agent_spec
    spec = parse_agent_spec("zero:visits=32,workers=2")
    agent = make_agent(spec, AgentContext(size=9), (0,))
    try:
        assert isinstance(agent, RootParallelAgent)
        game = _position()
        assert game.is_legal(agent.select_move(game))
        assert agent.last_result.playouts == 32
    finally:
        agent.close()


def test_gtp_zero_engine_with_workers_plays_analyses_and_stops_its_helpers():
    import time

    from gtp.handlers import GoEngine
    from gtp.players import PlayerOptions, check_options
    engine = GoEngine("zero", PlayerOptions(seed=1, visits=64, workers=2))
    try:
        assert engine.handle_line("genmove b").startswith("= ")
        assert engine.last_result.playouts == 64          # 32 in each process
        engine.analysis_limit = 0.3                         # lz-analyze runs until stopped
        start = time.monotonic()
        out = engine.handle_line("lz-analyze 10")
        assert out.startswith("=") and "info move" in out
        assert time.monotonic() - start < 30               # the helper stopped with it
        reply = engine.handle_line("genmove w")            # no stale answer is left behind
        assert reply.startswith("= ") and engine.last_result.playouts == 64
        helper = engine.agent._helpers[0].proc
    finally:
        engine.close()
    assert helper.wait(timeout=10) == 0
    with pytest.raises(ValueError, match="--agent mcts takes no --workers .it is for --agent zero only"):
        check_options("mcts", PlayerOptions(workers=2))


PARENT = """
import sys
from goengine.game import GameState
from goengine.search.root_parallel import RootParallelAgent
agent = RootParallelAgent("goengine.agents:pure_mcts_agent", dict(simulations=10**8, seconds=60),
                          workers=2, seeds=[1, 2])
print(agent._helpers[0].proc.pid, flush=True)
agent.select_move(GameState(9))
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_helpers_exit_quietly_when_the_parent_is_killed_during_a_search(sig):
    # a GUI stops goengine-gtp --workers 2 with SIGTERM while it searches: the helper sees
    # its pipes close and exits without a traceback on the stderr it shares with the
    # parent (issue 30, item 15)
    import signal
    import subprocess
    import sys
    import time
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        helper = int(parent.stdout.readline())
        time.sleep(0.5)  # both processes search
        parent.send_signal(getattr(signal, sig))
        # stderr ends when every process holding it has exited: the helper too
        _, err = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert err == "", err
    deadline = time.monotonic() + 10  # its files close a moment before it is a zombie
    while not _exited(helper) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _exited(helper)


def _exited(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie nobody has reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
