"""The Go gymnasium environment: API conformance (check_env), observations, masks,
rewards, illegal actions, opponents, truncation, rendering and seeding."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from goengine.coords import BLACK, WHITE, from_gtp  # noqa: E402
from goengine.envs import ENV_IDS, GoEnv, PassAgent, PolicyAgent, observation  # noqa: E402
from goengine.errors import OccupiedError  # noqa: E402
from goengine.game import GameState  # noqa: E402


class ScriptedAgent:
    """Plays a fixed list of actions, then passes."""

    name = "scripted"

    def __init__(self, actions):
        self.actions = list(actions)

    def reset(self):
        self.i = 0

    def select_move(self, game):
        if self.i < len(self.actions):
            self.i += 1
            return self.actions[self.i - 1]
        return game.size * game.size


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_check_env_passes_on_every_registered_env(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped)  # renders every declared render mode too
    env.close()


@pytest.mark.parametrize("kwargs", [dict(agent_color="white"),
                                    dict(size=3, agent_color="random", superko="situational"),
                                    dict(opponent="pass", komi=0.5, illegal_action="raise")])
def test_check_env_passes_with_options(kwargs):
    check_env(gym.make("goengine/Go5x5-v0", **kwargs).unwrapped)


def test_spaces_and_first_observation():
    env = gym.make("goengine/Go5x5-v0")
    assert env.action_space == gym.spaces.Discrete(26)
    assert env.observation_space.shape == (6, 5, 5)
    assert env.observation_space.dtype == np.uint8
    obs, info = env.reset(seed=0)
    assert obs.shape == (6, 5, 5) and obs.dtype == np.uint8
    assert obs[0].sum() == 0 and obs[1].sum() == 0  # empty board, agent is black
    assert obs[2].all() and obs[5].all()             # every point legal; black plane
    assert not obs[3].any() and not obs[4].any()      # nothing in atari
    assert info["action_mask"].dtype == np.int8 and info["action_mask"].shape == (26,)
    assert info["action_mask"].all()
    assert info["agent_color"] == BLACK and info["to_play"] == BLACK


def test_size_argument_and_make_with_module_prefix():
    env = gym.make("goengine.envs:goengine/Go-v0", size=7)
    assert env.unwrapped.size == 7
    assert env.action_space.n == 50
    assert gym.make("goengine/Go-v0").unwrapped.size == 9


def test_step_plays_agent_move_then_opponent_reply():
    opp = ScriptedAgent([from_gtp("C3", 5)])
    env = GoEnv(size=5, opponent=opp)
    obs, info = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(from_gtp("B2", 5))
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["opponent_action"] == from_gtp("C3", 5)
    r, c = divmod(from_gtp("B2", 5), 5)
    assert obs[0, r, c] == 1 and obs[0].sum() == 1
    r, c = divmod(from_gtp("C3", 5), 5)
    assert obs[1, r, c] == 1 and obs[1].sum() == 1
    assert info["move_number"] == 2
    # the mask and the legal plane agree with the game
    game = env.game
    np.testing.assert_array_equal(info["action_mask"], game.legal_mask().astype(np.int8))
    np.testing.assert_array_equal(obs[2].reshape(-1), game.legal_mask()[:25])
    np.testing.assert_array_equal(obs, observation(game, BLACK))


def test_atari_planes():
    game = GameState(5)
    game.play(from_gtp("B5", 5))  # black
    game.play(from_gtp("A5", 5))  # white corner stone: one liberty left (A4)
    game.play(from_gtp("E1", 5))
    game.play(from_gtp("D1", 5))  # white: black E1 now has one liberty (E2)
    obs = observation(game, BLACK)
    assert obs[3].sum() == 1 and obs[3][4, 4] == 1  # own stone in atari: E1
    assert obs[4].sum() == 1 and obs[4][0, 0] == 1  # opponent stone in atari: A5
    flipped = observation(game, WHITE)
    np.testing.assert_array_equal(flipped[3], obs[4])
    np.testing.assert_array_equal(flipped[0], obs[1])


def test_win_against_a_passing_opponent_as_black_and_as_white():
    env = GoEnv(size=5, opponent="pass")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(12)  # tengen; opponent passes
    assert reward == 0.0 and not terminated
    _, reward, terminated, truncated, info = env.step(25)  # pass, pass: game over
    assert terminated and not truncated and reward == 1.0
    assert info["winner"] == BLACK and info["result"] == "B+17.5"
    assert not info["action_mask"].any()

    obs, info = env.reset(options={"agent_color": "white"})
    assert info["agent_color"] == WHITE and obs[5].sum() == 0
    _, reward, terminated, _, info = env.step(25)  # black passed, white passes: over
    assert terminated and reward == 1.0 and info["result"] == "W+7.5"


def test_loss_and_draw_rewards():
    # black (agent) passes at once; the opponent's scripted stone then wins the area
    env = GoEnv(size=3, komi=0.0, opponent=ScriptedAgent([]), agent_color="white")
    env.reset()
    _, reward, terminated, _, info = env.step(9)  # black passed first: two passes
    assert terminated and reward == 0.0 and info["result"] == "0"  # empty board, komi 0

    env = GoEnv(size=3, komi=0.5, opponent=ScriptedAgent([4]))
    env.reset()
    _, reward, terminated, _, _ = env.step(9)   # agent passes, opponent plays tengen
    assert not terminated and reward == 0.0
    _, reward, terminated, _, info = env.step(9)  # agent passes, opponent passes
    assert terminated and reward == -1.0 and info["winner"] == WHITE


def test_illegal_action_loses_with_a_reason():
    env = GoEnv(size=5, opponent=ScriptedAgent([13]))
    env.reset(seed=0)
    env.step(12)
    obs, reward, terminated, truncated, info = env.step(13)  # occupied by the opponent
    assert terminated and not truncated and reward == -1.0
    assert "occupied" in info["illegal_move"] and "D3" in info["illegal_move"]
    assert info["winner"] == WHITE
    assert not info["action_mask"].any() and not obs[2].any()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_illegal_action_can_raise_instead():
    env = GoEnv(size=5, opponent=ScriptedAgent([13]), illegal_action="raise")
    env.reset(seed=0)
    env.step(12)
    with pytest.raises(OccupiedError):
        env.step(13)
    # the state is unchanged and play goes on
    _, reward, terminated, _, _ = env.step(0)
    assert not terminated


def test_opponent_resignation_and_illegal_opponent():
    class Resigner:
        def select_move(self, game):
            return -1

    env = GoEnv(size=5, opponent=Resigner())
    env.reset()
    _, reward, terminated, _, info = env.step(0)
    assert terminated and reward == 1.0 and info["result"] == "B+R"

    env = GoEnv(size=5, opponent=ScriptedAgent([0]))
    env.reset()
    with pytest.raises(RuntimeError, match="opponent .* illegal"):
        env.step(0)


def test_truncation_keeps_the_legal_mask():
    env = GoEnv(size=5, max_moves=4)
    obs, info = env.reset(seed=3)
    for i in range(2):
        obs, reward, terminated, truncated, info = env.step(
            env.action_space.sample(mask=info["action_mask"]))
    assert truncated and not terminated and reward == 0.0
    assert info["action_mask"].any() and "score" in info


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="agent_color"):
        GoEnv(agent_color="green")
    with pytest.raises(ValueError, match="size"):
        GoEnv(size=1)
    with pytest.raises(TypeError, match="select_move"):
        GoEnv(opponent=object())
    with pytest.raises(ValueError, match="opponent"):
        GoEnv(opponent="gnugo")
    with pytest.raises(ValueError, match="illegal_action"):
        GoEnv(illegal_action="ignore")
    with pytest.raises(ValueError, match="render_mode"):
        GoEnv(render_mode="human")


def test_random_games_are_consistent_and_seeded():
    def play(seed):
        env = gym.make("goengine/Go5x5-v0", agent_color="random")
        env.action_space.seed(seed)
        trace = []
        for episode in range(6):
            obs, info = env.reset(seed=seed + episode)
            done = False
            while not done:
                mask = info["action_mask"]
                assert mask[-1] == 1  # pass is always legal while the game goes on
                np.testing.assert_array_equal(obs[2].reshape(-1), mask[:-1])
                own = env.unwrapped.agent_color
                assert obs[5].all() == (own == BLACK)
                action = env.action_space.sample(mask=mask)
                obs, reward, terminated, truncated, info = env.step(action)
                assert "illegal_move" not in info
                trace.append((int(action), float(reward)))
                done = terminated or truncated
            assert reward in (-1.0, 0.0, 1.0)
            assert terminated or truncated
        return trace

    assert play(7) == play(7)
    assert play(7) != play(8)


def test_render_modes():
    env = gym.make("goengine/Go5x5-v0", render_mode="ansi", opponent=ScriptedAgent([6]))
    env.reset(seed=0)
    env.step(from_gtp("C3", 5))
    text = env.render()
    assert "A B C D E" in text and "(O)" in text and "X" in text
    assert "move 2, black to play; agent plays black" in text

    env = gym.make("goengine/Go5x5-v0", render_mode="rgb_array", opponent="pass")
    env.reset(seed=0)
    env.step(12)
    img = env.render()
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    cell = img.shape[0] // 6
    centre = img[3 * cell + cell // 3, 3 * cell]  # inside the black stone on tengen
    assert centre.max() < 60
    corner = img[cell // 2, cell // 2]  # bare wood
    assert corner[0] > 150


def test_policy_agent_plays_from_the_side_to_move():
    seen = []

    def first_legal(obs, info):
        seen.append(obs)
        return int(np.flatnonzero(info["action_mask"])[0])

    agent = PolicyAgent(first_legal)
    game = GameState(5)
    game.play(12)  # black tengen; white (the agent) to move
    action = agent.select_move(game)
    assert action == 0
    assert seen[0][1, 2, 2] == 1 and seen[0][5].sum() == 0  # opponent stone; white plane
    env = GoEnv(size=5, opponent=PolicyAgent(first_legal))
    env.reset()
    _, _, _, _, info = env.step(12)
    assert info["opponent_action"] == 0


def test_pass_agent():
    assert PassAgent().select_move(GameState(7)) == 49


def test_import_goengine_does_not_import_gymnasium():
    code = "import sys, goengine, goengine.game; assert 'gymnasium' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
