"""goengine/gameloop.py: the one game loop that self-play, gating, the arena, the Lee stages
and int8 calibration play on."""
import inspect

import numpy as np

from goengine.agents import RandomAgent
from goengine.coords import BLACK, WHITE
from goengine.game import GameState, Rules
from goengine.gameloop import AgentPlayer, LoopGame, game_record, move_cap, play_games, winner
from goengine.search import RESIGN


class Counting:
    """Random moves, counting how many games each call is given."""

    def __init__(self, seed=0):
        self.agent = RandomAgent(seed)
        self.calls = []

    def choose(self, entries):
        self.calls.append(len(entries))
        return [self.agent.select_move(e.game) for e in entries]


def test_a_player_gets_all_its_games_in_one_call():
    a, b = Counting(1), Counting(2)
    games = [LoopGame(GameState(5), {BLACK: a, WHITE: b} if i % 2 == 0 else {BLACK: b, WHITE: a}, key=i)
             for i in range(6)]
    done = list(play_games(games, parallel=6))
    assert sorted(e.key for e in done) == list(range(6))
    # the first move of all six: three games each, one call each
    assert a.calls[0] == 3 and b.calls[0] == 3
    assert all(e.finished for e in done)


def test_one_move_cap_rule_and_the_record_says_so():
    assert move_cap(9) == 182 and move_cap(19) == 742
    entry = LoopGame(GameState(9), {BLACK: Counting(), WHITE: Counting()}, cap=10)
    (done,) = play_games([entry])
    assert done.game.move_number == 10
    record = game_record(done)
    assert "move cap of 10 reached" in record.comment and record.result == done.game.result()
    assert LoopGame(GameState(7), {}).cap == move_cap(7)


def test_an_illegal_move_forfeits_and_resign_resigns():
    class Illegal:
        def choose(self, entries):
            return [0 for _ in entries]  # A9, again and again

    (done,) = play_games([LoopGame(GameState(9), {BLACK: Illegal(), WHITE: Illegal()})])
    assert done.result == "B+F" and "white forfeits: illegal move A9" in done.comment
    assert winner(done) == BLACK and game_record(done).result == "B+F"

    class Resigns:
        def choose(self, entries):
            return [RESIGN for _ in entries]

    (done,) = play_games([LoopGame(GameState(9), {BLACK: Resigns(), WHITE: Counting()})])
    assert done.game.resigned == BLACK and winner(done) == WHITE


def test_forced_moves_and_the_move_hook():
    seen = []
    entry = LoopGame(GameState(9, Rules(komi=7.5)), {BLACK: Counting(), WHITE: Counting()}, cap=4)
    forced = lambda e: 40 if e.game.move_number == 0 else None  # noqa: E731
    list(play_games([entry], on_move=lambda e, c, a: seen.append((c, a)), forced_move=forced))
    assert seen[0] == (BLACK, 40) and len(seen) == 4


def test_the_callers_play_on_the_loop():
    # self-play, gating, the arena's game, Lee's batches and int8 calibration: one loop
    import goengine.models.quantize as quantize
    import selfplay.game_runner as game_runner
    import selfplay.netmatch as netmatch
    import selfplay.worker as worker
    import training.lee.play as lee_play
    for module in (quantize, game_runner, netmatch, worker, lee_play):
        source = inspect.getsource(module)
        assert "play_games(" in source, module.__name__
        assert "move_number < cap" not in source and "2 * size * size" not in source, module.__name__


def test_agent_player_asks_select_move():
    agent = RandomAgent(np.random.default_rng(3))
    (done,) = play_games([LoopGame(GameState(5), {BLACK: AgentPlayer(agent), WHITE: AgentPlayer(agent)})])
    assert done.game.is_over()
