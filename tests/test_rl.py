"""RL fundamentals: exact DP values checked by hand, and seeded learning tests with
thresholds (OpenSpiel's tabular_qlearner_test habit) for every method in training.rl.

Every run is seeded; the thresholds leave a margin below what the seeded runs reach.
The whole file takes about a minute on two CPU cores (torch on one thread).
"""
from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from training.rl import dp  # noqa: E402
from training.rl.actor_critic import A2CConfig, gae, train_a2c  # noqa: E402
from training.rl.cli import METHODS, field_docs, main  # noqa: E402
from training.rl.common import (  # noqa: E402
    LearningCurve,
    augment_symmetries,
    evaluate,
    square_symmetries,
)
from training.rl.dqn import DQNConfig, dqn_targets, train_dqn  # noqa: E402
from training.rl.reinforce import ReinforceConfig, discounted_returns, train_reinforce  # noqa: E402
from training.rl.replay import Batch, ReplayBuffer  # noqa: E402
from training.rl.tabular import (  # noqa: E402
    QLearningConfig,
    SarsaConfig,
    epsilon_greedy_probs,
    train_qlearning,
    train_sarsa,
)

# --------------------------------------------------------------------------- DP, by hand

def one_row_lake(slippery: bool = True):
    """FrozenLake "SG": start left of the goal. Slippery, every action but LEFT reaches the
    goal with probability 1/3 and otherwise stays (the wall); LEFT always stays."""
    return gym.make("FrozenLake-v1", desc=["SG"], is_slippery=slippery)


def test_value_iteration_matches_hand_computed_values():
    gamma = 0.9
    res = dp.value_iteration(dp.TabularMDP.from_env(one_row_lake()), gamma=gamma)
    # V*(S) = 1/3 * 1 + 2/3 * gamma * V*(S)  =>  V*(S) = (1/3) / (1 - 2 gamma / 3) = 5/6
    assert res.V[0] == pytest.approx(5 / 6, abs=1e-9)
    assert res.V[1] == 0.0  # the goal is terminal
    # Q*(S, LEFT) = 0 + gamma * V*(S) = 0.75; the other three actions are worth V*(S)
    np.testing.assert_allclose(res.Q[0], [0.75, 5 / 6, 5 / 6, 5 / 6], atol=1e-9)
    assert res.policy[0] != 0


def test_policy_evaluation_of_the_uniform_policy_by_hand():
    mdp = dp.TabularMDP.from_env(one_row_lake())
    res = dp.policy_evaluation(mdp, dp.uniform_policy(mdp), gamma=0.9)
    # goal with probability 3/4 * 1/3 = 1/4 per step: V = 1/4 + 0.9 * 3/4 * V = 10/13
    assert res.V[0] == pytest.approx(10 / 13, abs=1e-9)
    # Q^pi(S, LEFT) = 0.9 * V^pi(S);  Q^pi(S, RIGHT) = 1/3 + 2/3 * 0.9 * V^pi(S)
    assert res.Q[0, 0] == pytest.approx(0.9 * 10 / 13, abs=1e-9)
    assert res.Q[0, 2] == pytest.approx(1 / 3 + 0.6 * 10 / 13, abs=1e-9)


def test_dp_on_a_hand_written_chain():
    # s0 --a0--> s1 (r 0) --a0--> end (r 1);  s0 --a1--> end (r 0.5);  s1 --a1--> s0 (r 0)
    P = {0: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 2, 0.5, True)]},
         1: {0: [(1.0, 2, 1.0, True)], 1: [(1.0, 0, 0.0, False)]},
         2: {0: [(1.0, 2, 0.0, True)], 1: [(1.0, 2, 0.0, True)]}}
    mdp = dp.TabularMDP.from_transitions(P)
    vi = dp.value_iteration(mdp, gamma=0.9)
    np.testing.assert_allclose(vi.V, [0.9, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(vi.Q[0], [0.9, 0.5], atol=1e-9)
    assert list(vi.policy[:2]) == [0, 0]
    pi = dp.policy_iteration(mdp, gamma=0.9)
    np.testing.assert_allclose(pi.V, vi.V, atol=1e-8)
    # a deterministic policy given as actions: always a1 => V(s0) = 0.5, V(s1) = 0.45
    ev = dp.policy_evaluation(mdp, np.array([1, 1, 0]), gamma=0.9)
    np.testing.assert_allclose(ev.V, [0.5, 0.45, 0.0], atol=1e-9)
    bad = {0: {0: [(0.5, 0, 0.0, False)]}}
    with pytest.raises(ValueError, match="sum to 0.5"):
        dp.TabularMDP.from_transitions(bad)


def test_value_iteration_solves_frozenlake_and_taxi():
    env = gym.make("FrozenLake-v1")
    vi = dp.value_iteration(dp.TabularMDP.from_env(env), gamma=0.99)
    pi = dp.policy_iteration(dp.TabularMDP.from_env(env), gamma=0.99)
    np.testing.assert_allclose(vi.V, pi.V, atol=1e-6)
    assert evaluate(env, vi.act, episodes=1000, seed=0, max_steps=100).mean >= 0.70
    taxi = gym.make("Taxi-v4")
    vi = dp.value_iteration(dp.TabularMDP.from_env(taxi), gamma=0.99)
    assert evaluate(taxi, vi.act, episodes=300, seed=0).mean >= 7.5
    with pytest.raises(ValueError, match="dynamics"):
        dp.TabularMDP.from_env(gym.make("CartPole-v1"))


# --------------------------------------------------------------------------- tabular control

def test_qlearning_finds_the_optimal_cliff_path():
    res = train_qlearning("CliffWalking-v1", QLearningConfig(episodes=500), seed=1,
                          progress=False)
    assert res.curve.episodes <= 500
    ev = evaluate(gym.make("CliffWalking-v1"), res.policy, episodes=1, max_steps=200)
    assert ev.mean == -13.0  # optimal: along the cliff edge


def test_sarsa_online_return_on_the_cliff():
    sarsa = train_sarsa("CliffWalking-v1", SarsaConfig(episodes=500), seed=1, progress=False)
    assert sarsa.curve.mean_return(100) >= -35  # Sutton & Barto's figure 6.4: about -25
    # on-policy SARSA walks the safe path, so its online return beats Q-learning's
    ql = train_qlearning("CliffWalking-v1", QLearningConfig(episodes=500), seed=1,
                         progress=False)
    assert sarsa.curve.mean_return(100) > ql.curve.mean_return(100)
    greedy = evaluate(gym.make("CliffWalking-v1"), sarsa.policy, episodes=1, max_steps=200)
    assert -25 <= greedy.mean < -13  # a longer, safer route than the optimal one


def test_expected_sarsa_online_return_on_the_cliff():
    res = train_sarsa("CliffWalking-v1", SarsaConfig(episodes=500, expected=True), seed=1,
                      progress=False)
    assert res.algo == "expected_sarsa"
    assert res.curve.mean_return(100) >= -35


def test_qlearning_on_slippery_frozenlake():
    cfg = QLearningConfig(episodes=5000, alpha=0.1, alpha_end=0.01, gamma=0.99, epsilon=1.0,
                          epsilon_end=0.05, epsilon_decay_fraction=0.5)
    res = train_qlearning("FrozenLake-v1", cfg, seed=0, progress=False)
    ev = evaluate(gym.make("FrozenLake-v1"), res.policy, episodes=1000, seed=0, max_steps=100)
    assert ev.success_rate >= 0.70  # the optimum within the 100-step limit is 0.744


def test_qlearning_on_taxi():
    res = train_qlearning("Taxi-v4", QLearningConfig(episodes=2000, gamma=0.99), seed=0,
                          progress=False)
    ev = evaluate(gym.make("Taxi-v4"), res.policy, episodes=1000, seed=0)
    assert ev.mean >= 7.5  # optimum 7.93
    assert ev.capped == 0


def test_tabular_runs_are_reproducible_and_refuse_continuous_states():
    a = train_qlearning("CliffWalking-v1", QLearningConfig(episodes=50), seed=3, progress=False)
    b = train_qlearning("CliffWalking-v1", QLearningConfig(episodes=50), seed=3, progress=False)
    np.testing.assert_array_equal(a.q, b.q)
    assert a.curve.returns == b.curve.returns
    with pytest.raises(ValueError, match="Discrete observation"):
        train_qlearning("CartPole-v1", QLearningConfig(episodes=1), progress=False)


def test_epsilon_greedy_probabilities_respect_the_mask():
    probs = epsilon_greedy_probs(np.array([1.0, 5.0, 5.0, 9.0]), 0.2,
                                 mask=np.array([True, True, True, False]))
    np.testing.assert_allclose(probs, [0.2 / 3, 0.2 / 3 + 0.4, 0.2 / 3 + 0.4, 0.0])


# --------------------------------------------------------------------------- deep methods

def test_dqn_learns_deterministic_frozenlake():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    cfg = DQNConfig(total_steps=4000, learning_starts=500, exploration_fraction=0.5,
                    buffer_size=10_000, batch_size=64, hidden_sizes=(64,), gamma=0.95,
                    target_update_interval=200, eval_interval=0)
    res = train_dqn(env, cfg, seed=0, progress=False)
    assert res.curve.total_steps == 4000
    ev = evaluate(gym.make("FrozenLake-v1", is_slippery=False), res.policy, episodes=1,
                  max_steps=100)
    assert ev.mean == 1.0 and ev.lengths[0] == 6  # the shortest path


def test_dqn_and_double_dqn_targets():
    class Table(torch.nn.Module):
        def __init__(self, q):
            super().__init__()
            self.q = torch.tensor(q)

        def forward(self, x):
            return self.q.expand(len(x), -1)

    online = Table([[1.0, 3.0, 2.0]])   # argmax over legal {0, 2}: action 2
    target = Table([[10.0, 0.0, 4.0]])
    batch = Batch(obs=torch.zeros(2, 1), actions=torch.zeros(2, dtype=torch.long),
                  rewards=torch.tensor([1.0, 1.0]), next_obs=torch.zeros(2, 1),
                  terminated=torch.tensor([0.0, 1.0]),
                  next_mask=torch.tensor([[True, False, True]] * 2))
    y = dqn_targets(online, target, batch, gamma=0.5, double=False)
    np.testing.assert_allclose(y.numpy(), [1.0 + 0.5 * 10.0, 1.0])
    y = dqn_targets(online, target, batch, gamma=0.5, double=True)
    np.testing.assert_allclose(y.numpy(), [1.0 + 0.5 * 4.0, 1.0])
    batch.next_mask[0, 0] = False  # only action 2 legal
    y = dqn_targets(online, target, batch, gamma=0.5, double=False)
    assert y[0] == pytest.approx(3.0)


def test_dqn_is_reproducible():
    cfg = DQNConfig(total_steps=600, learning_starts=100, eval_interval=0, hidden_sizes=(16,))
    a = train_dqn("CartPole-v1", cfg, seed=5, progress=False)
    b = train_dqn("CartPole-v1", cfg, seed=5, progress=False)
    assert a.curve.returns == b.curve.returns
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        torch.testing.assert_close(pa, pb)


def test_replay_buffer_wraps_around():
    buf = ReplayBuffer(3, obs_dim=2, n_actions=2)
    for i in range(5):
        buf.add(np.full(2, i), i % 2, float(i), np.full(2, i + 1), i == 4,
                np.array([True, i % 2 == 0]))
    assert len(buf) == 3
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0]
    batch = buf.sample(8, np.random.default_rng(0))
    assert batch.obs.shape == (8, 2) and batch.next_mask.shape == (8, 2)
    assert set(batch.rewards.tolist()) <= {2.0, 3.0, 4.0}


def test_reinforce_with_baseline_learns_cartpole():
    res = train_reinforce("CartPole-v1", ReinforceConfig(total_steps=25_000, eval_interval=0),
                          seed=1, progress=False)
    ev = evaluate(gym.make("CartPole-v1"), res.policy, episodes=20, seed=0)
    assert ev.mean >= 195  # a random policy lasts about 22 steps


def test_symmetry_augmentation_matches_the_board_symmetries():
    pytest.importorskip("goengine.game")
    from goengine.features import symmetry

    perms = square_symmetries(3)
    assert perms[0].tolist() == list(range(9))
    assert sorted(map(tuple, perms)) == sorted(set(map(tuple, perms)))  # 8 distinct maps
    rng = np.random.default_rng(0)
    n, batch = 5, 3
    obs = rng.integers(0, 2, (batch, 6, n, n)).astype(np.float32)
    actions = np.array([0, 7, n * n])  # the last one passes
    masks = rng.integers(0, 2, (batch, n * n + 1)).astype(bool)
    o8, a8, m8 = augment_symmetries(obs.reshape(batch, -1), actions, masks, (6, n, n))
    assert o8.shape == (8 * batch, 6 * n * n) and a8.shape == (8 * batch,)
    for t in range(8):
        rows = slice(t * batch, (t + 1) * batch)
        np.testing.assert_array_equal(o8[rows].reshape(batch, 6, n, n),
                                      symmetry.apply_planes(obs, t))
        np.testing.assert_array_equal(a8[rows], symmetry.action_map(n, t)[actions])
        np.testing.assert_array_equal(m8[rows], symmetry.apply_policy(masks, t))
    with pytest.raises(ValueError, match="symmetry augmentation"):
        augment_symmetries(np.zeros((1, 6)), np.zeros(1, np.int64), np.ones((1, 7), bool),
                           (1, 2, 3))


def test_reinforce_in_lock_step_copies_is_reproducible():
    cfg = ReinforceConfig(total_steps=1_500, episodes_per_update=6, num_envs=4,
                          entropy_coef=0.01, entropy_coef_end=0.0, anneal_lr=True,
                          hidden_sizes=(16,), eval_interval=0)
    a = train_reinforce("CartPole-v1", cfg, seed=3, progress=False)
    b = train_reinforce("CartPole-v1", cfg, seed=3, progress=False)
    assert a.curve.returns == b.curve.returns and a.curve.episodes % 6 == 0
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        torch.testing.assert_close(pa, pb)
    with pytest.raises(ValueError, match="augment_symmetries"):
        train_reinforce("CartPole-v1", ReinforceConfig(augment_symmetries=True), progress=False)


def test_a2c_learns_cartpole():
    res = train_a2c("CartPole-v1", A2CConfig(total_steps=40_000, eval_interval=0), seed=0,
                    progress=False)
    assert res.curve.total_steps >= 40_000
    ev = evaluate(gym.make("CartPole-v1"), res.policy, episodes=20, seed=0)
    assert ev.mean >= 150


def test_returns_and_gae():
    np.testing.assert_allclose(discounted_returns(np.array([1.0, 0.0, 2.0]), 0.5),
                               [1.5, 1.0, 2.0])
    np.testing.assert_allclose(discounted_returns(np.array([0.0]), 0.5, bootstrap=4.0), [2.0])
    # lambda = 1: advantages are n-step returns minus V; a done flag cuts the bootstrap
    r = torch.tensor([[1.0], [1.0], [1.0]])
    v = torch.tensor([[0.5], [0.5], [0.5]])
    d = torch.tensor([[0.0], [1.0], [0.0]])
    adv = gae(r, v, d, torch.tensor([10.0]), gamma=0.9, lam=1.0)
    np.testing.assert_allclose(adv[:, 0].numpy(), [1 + 0.9 - 0.5, 1 - 0.5, 1 + 9 - 0.5],
                               rtol=1e-6)
    adv0 = gae(r, v, d, torch.tensor([10.0]), gamma=0.9, lam=0.0)  # one-step TD errors
    np.testing.assert_allclose(adv0[:, 0].numpy(), [1 + 0.45 - 0.5, 0.5, 1 + 9 - 0.5],
                               rtol=1e-6)


# --------------------------------------------------------------------------- Go

def test_reinforce_and_dqn_on_go_respect_the_mask_and_beat_random_play():
    pytest.importorskip("goengine.game")
    import goengine.envs  # noqa: F401

    env = gym.make("goengine/Go5x5-v0")
    # the benchmark's recipe, briefly: 8 copies in lock-step, symmetries, decaying entropy
    cfg = ReinforceConfig(total_steps=8_000, hidden_sizes=(128, 128), gamma=1.0,
                          episodes_per_update=16, num_envs=8, augment_symmetries=True,
                          entropy_coef=0.01, entropy_coef_end=0.0, anneal_lr=True,
                          eval_interval=0)
    res = train_reinforce(env, cfg, seed=0, progress=False)
    # any illegal action would have ended an episode with reward -1 and "illegal_move"
    wins, illegal = 0, 0
    eval_env = gym.make("goengine/Go5x5-v0")
    for i in range(100):
        obs, info = eval_env.reset(seed=1000 + i)
        done = False
        while not done:
            obs, reward, terminated, truncated, info = eval_env.step(res.policy(obs, info))
            done = terminated or truncated
        wins += reward > 0
        illegal += "illegal_move" in info
    assert illegal == 0
    assert wins >= 55  # uniformly random moves win about 13% as black

    dqn = train_dqn(env, DQNConfig(total_steps=1_500, learning_starts=200, eval_interval=0,
                                   hidden_sizes=(32,)), seed=0, progress=False)
    ev = evaluate(eval_env, dqn.policy, episodes=5)
    assert ev.capped == 0 and set(np.unique(ev.returns)) <= {-1.0, 0.0, 1.0}


# --------------------------------------------------------------------------- curves and CLI

def test_learning_curve_csv_and_png(tmp_path):
    curve = LearningCurve(algo="qlearning", env_id="X")
    for i in range(30):
        curve.add_episode(-i, i + 1, 10 * (i + 1))
    curve.add_eval(150, -3.0)
    path = curve.save_csv(tmp_path / "c.csv")
    back = LearningCurve.load_csv(path)
    assert back.returns == curve.returns and back.steps == curve.steps
    assert (tmp_path / "c_eval.csv").read_text().splitlines()[1] == "150,-3.0"
    png = curve.plot(tmp_path / "c.png", window=10)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_allclose(curve.smoothed(2)[:3], [0.0, -0.5, -1.5])


def test_every_config_field_has_a_docstring():
    import importlib

    for module, cls_name, _ in METHODS.values():
        cls = getattr(importlib.import_module(f"training.rl.{module}"), cls_name)
        docs = field_docs(cls)
        missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
        assert not missing, f"{cls_name} fields without a docstring: {missing}"


def test_cli_qlearning_writes_curve_plot_and_run_folder(tmp_path):
    out = io.StringIO()
    code = main(["qlearning", "--env", "CliffWalking-v1", "--episodes", "500", "--seed", "1",
                 "--plot", str(tmp_path / "out.png"), "--csv", str(tmp_path / "out.csv"),
                 "--out", str(tmp_path / "run"), "--no-progress",
                 "--final-eval-episodes", "3"], out=out)
    assert code == 0
    text = out.getvalue()
    assert text.strip().splitlines()[-1] == "greedy evaluation return: -13.000"
    assert (tmp_path / "out.png").exists() and (tmp_path / "out.csv").exists()
    for name in ("config.json", "curve.csv", "curve.png", "q.npy", "eval.json"):
        assert (tmp_path / "run" / name).exists(), name


def test_cli_value_iteration_preset_and_flags():
    out = io.StringIO()
    assert main(["value-iteration", "--env", "FrozenLake-v1", "--gamma", "0.99",
                 "--final-eval-episodes", "200"], out=out) == 0
    assert "V(start state 0) = 0.542" in out.getvalue()
    out = io.StringIO()
    main(["sarsa", "--env", "FrozenLake-v1", "--episodes", "10", "--no-progress",
          "--expected", "--final-eval-episodes", "2"], out=out)
    text = out.getvalue()
    assert "preset for sarsa on FrozenLake-v1" in text
    assert "episodes=10," in text and "expected=True" in text and "alpha_end=0.01" in text
    out = io.StringIO()
    main(["dqn", "--env", "CartPole-v1", "--total-steps", "300", "--learning-starts", "100",
          "--hidden-sizes", "8", "8", "--no-double-dqn", "--eval-interval", "0",
          "--no-progress", "--final-eval-episodes", "1"], out=out)
    text = out.getvalue()
    assert "hidden_sizes=(8, 8)" in text and "double_dqn=False" in text
    with pytest.raises(SystemExit):
        main(["qlearning", "--env", "NoSuchEnv-v9"], out=io.StringIO())
