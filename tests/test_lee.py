"""AlphaGo Lee's training stages end to end on tiny data (training/lee/): expert data from
SGF files (malformed ones counted and skipped) and from GNU Go, the rollout policy, the SL
policy net, the RL policy net against its pool, the value net, and the Lee agent.

The GNU Go test skips without GNU Go unless GOENGINE_REQUIRE_GNUGO=1 (as tests/test_gnugo.py).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.agents import RandomAgent
from goengine.game import Rules
from goengine.sgf import write_sgf
from selfplay.game_runner import play_game
from training.lee.data import board_of, load_expert, split_by_game
from training.lee.expert import ExpertConfig, make_expert_data, rank_value

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def expert(tmp_path_factory):
    """A data folder made from 6 short random games and a handful of bad records."""
    root = tmp_path_factory.mktemp("lee")
    sgf = root / "sgf_in"
    sgf.mkdir()
    for i in range(6):
        rec = play_game(RandomAgent(i), RandomAgent(100 + i), size=9, rules=Rules(komi=7.5), max_moves=40)
        rec.result = "B+3.5" if i % 2 else "W+0.5"
        write_sgf(rec, sgf / f"game{i}.sgf")
    (sgf / "garbage.sgf").write_bytes(b"this is not (;an sgf")
    (sgf / "illegal.sgf").write_text("(;GM[1]SZ[9]KM[7.5];B[ee];W[ee])")
    (sgf / "big.sgf").write_text("(;GM[1]SZ[19]KM[7.5];B[dd];W[pp])")
    (sgf / "handicap.sgf").write_text("(;GM[1]SZ[9]HA[2]AB[cc][gg]KM[0.5];W[ee])")
    (sgf / "weak.sgf").write_text("(;GM[1]SZ[9]KM[7.5]BR[20k]WR[2d];B[ee];W[cc])")
    (sgf / "othergame.sgf").write_text("(;GM[2]SZ[9];B[ee])")
    state = make_expert_data(root / "data", ExpertConfig(games_per_shard=4, min_rank="5k"), [sgf], progress=False)
    return root, state


def test_expert_import_counts_and_skips(expert):
    root, state = expert
    assert state["games"] == 6 and state["shards"] == 2
    assert state["skipped"] == {"malformed sgf": 2, "illegal move": 1, "board size": 1, "handicap": 1, "rank": 1}
    data = load_expert(root / "data")
    assert data["size"] == 9 and len(data["move"]) == state["samples"] == 6 * 40
    assert set(np.unique(data["winner"])) == {1, 2}
    assert (data["last_moves"][data["game"] != np.roll(data["game"], 1), 0] == -1).all()  # first move of a game
    # a second run has nothing left to do
    again = make_expert_data(root / "data", None, [root / "sgf_in"], progress=False)
    assert again["samples"] == state["samples"] and again["shards"] == 2


def test_rank_values():
    assert rank_value("5k") < rank_value("1k") < rank_value("1d") < rank_value("9d") < rank_value("1p")
    assert rank_value("?") is None


def test_board_of_rebuilds_positions_and_ko():
    """Stones, ko and legal moves of every position of random games (ko fights included)."""
    from goengine.features import recent_moves
    from goengine.game import GameState
    kos = 0
    for seed in range(4):
        game, rng = GameState(7), RandomAgent(seed)
        while not game.is_over() and game.move_number < 150:
            b = game.board
            ko = b.ko if b.ko_color == game.to_play else -1
            kos += ko >= 0
            rebuilt = board_of(b.stones(), game.to_play, ko, int(recent_moves(game)[0]), 7)
            assert (rebuilt.stones() == b.stones()).all()
            assert (rebuilt.legal_mask(game.to_play) == b.legal_mask(game.to_play)).all()
            game.play(rng.select_move(game))
    assert kos > 0


def test_split_by_game(expert):
    data = load_expert(expert[0] / "data")
    train, held = split_by_game(data, 0.34, seed=1)
    assert len(train) + len(held) == len(data["move"])
    assert not set(data["game"][train]) & set(data["game"][held]) and len(set(data["game"][held])) == 2


def test_gnugo_expert_games(tmp_path):
    from gtp.client import find_gnugo
    if find_gnugo() is None:
        if os.environ.get("GOENGINE_REQUIRE_GNUGO") == "1":
            pytest.fail("GNU Go not found and GOENGINE_REQUIRE_GNUGO=1")
        pytest.skip("GNU Go is not installed")
    config = ExpertConfig(gnugo_games=2, gnugo_level=1, max_moves=16, opening_moves=3, games_per_shard=1)
    state = make_expert_data(tmp_path, config, progress=False)
    assert state["games"] == 2 and state["skipped"] == {}
    data = load_expert(tmp_path)
    assert 2 * (16 - 3) <= len(data["move"]) <= 2 * 16  # random opening moves are not samples
    from goengine.sgf import read_sgf
    assert read_sgf(tmp_path / "sgf" / "gnugo_00000.sgf").black_name == "gnugo-1"


# ----------------------------------------------------------------------------- rollout policy
def test_rollout_policy_trains_resumes_and_loads(expert, tmp_path):
    from goengine.features import FastRolloutPolicy
    from goengine.game import GameState
    from training.lee.rollout import RolloutConfig, load_rollout_policy, train_rollout
    data = expert[0] / "data"
    cfg = RolloutConfig(steps=24, batch_size=16, checkpoint_every=6, lr=0.05)
    whole = train_rollout(tmp_path / "a", data, cfg, progress=False, log=lambda m: None)
    assert whole["loss_last"] < whole["loss_first"]
    # stopped after 12 steps, then resumed to 24: the same weights as one straight run
    train_rollout(tmp_path / "b", data, RolloutConfig(**{**cfg.__dict__, "steps": 12}), progress=False, log=lambda m: None)
    train_rollout(tmp_path / "b", data, cfg, progress=False, log=lambda m: None)
    wa = load_rollout_policy(tmp_path / "a" / "rollout.pt").weights
    wb = load_rollout_policy(tmp_path / "b" / "rollout.pt").weights
    assert np.allclose(wa, wb) and np.abs(wa).sum() > 0
    policy = load_rollout_policy(tmp_path / "a" / "rollout.pt")
    assert isinstance(policy, FastRolloutPolicy)
    assert 0 <= whole["heldout_accuracy"] <= 1
    p = policy.probabilities(GameState(9))
    assert np.isclose(np.sum(p), 1.0)


# ----------------------------------------------------------------------------- SL policy
def expert_data_folder(sl):
    return sl[0].parent / "data"


@pytest.fixture(scope="module")
def sl(expert, tmp_path_factory):
    from training.lee.sl import SLConfig, train_sl
    run = expert[0] / "sl"
    metrics = train_sl(run, expert[0] / "data", SLConfig(net="tiny", steps=30, batch_size=16, checkpoint_every=10,
                                                          lr=3e-3), progress=False, log=lambda m: None)
    return run, metrics


def test_sl_policy_trains_and_resumes(sl, expert):
    from goengine.agents import policy_agent
    from goengine.game import GameState
    from training.lee.sl import SLConfig, train_sl
    run, metrics = sl
    assert metrics["loss_last"] < metrics["loss_first"]
    assert 0 <= metrics["heldout_accuracy"] <= 1
    more = train_sl(run, expert[0] / "data", SLConfig(net="tiny", steps=35, batch_size=16, checkpoint_every=10,
                                                      lr=3e-3), progress=False, log=lambda m: None)
    assert more["steps"] == 35
    agent = policy_agent(str(run / "sl.pt"))
    assert GameState(9).is_legal(agent.select_move(GameState(9)))


def test_sl_symmetric_batch_moves_targets_with_planes():
    from training.lee.sl import symmetric_batch
    x = np.zeros((8, 48, 9, 9), dtype=np.uint8)
    targets = np.array([3, 10, 20, 81, 40, 0, 80, 17])
    for k, t in enumerate(targets):
        if t < 81:
            x[k, 0, t // 9, t % 9] = 1
    xs, ys = symmetric_batch(x, targets, np.random.default_rng(0), 9, True)
    for k in range(8):
        if ys[k] == 81:
            assert targets[k] == 81
        else:
            assert xs[k, 0, ys[k] // 9, ys[k] % 9] == 1 and xs[k, 0].sum() == 1


# ----------------------------------------------------------------------------- RL policy
def test_opponent_pool_samples_earlier_selves(sl, tmp_path):
    from training.lee.rl import OpponentPool
    from goengine.models import load
    pool = OpponentPool(tmp_path)
    net = load(sl[0] / "sl.pt")
    for it in (0, 3, 6):
        pool.add(net, it)
    pool.add(net, 3)  # a resumed run saving the same iteration replaces it
    assert [p.name for p in pool.paths] == ["pool_000000.pt", "pool_000003.pt", "pool_000006.pt"]
    rng = np.random.default_rng(0)
    drawn = {pool.sample(rng)[0].name for _ in range(40)}
    assert drawn == {p.name for p in pool.paths}


def test_rl_trains_against_pool_and_resumes(sl, tmp_path):
    from goengine.agents import policy_agent
    from training.lee.rl import RLConfig, train_rl
    cfg = RLConfig(sl=str(sl[0] / "sl.pt"), iterations=2, games=2, pool_every=1, eval_games=2, max_moves=16, lr=1e-3)
    m = train_rl(tmp_path, cfg, progress=False, log=lambda m: None)
    assert m["iterations"] == 2 and m["pool"] == ["pool_000000.pt", "pool_000001.pt", "pool_000002.pt"]
    assert 0 <= m["winrate_vs_sl"] <= 1
    assert m["history"][0]["opponent"] == "pool_000000.pt"  # the first opponent is the SL net
    m3 = train_rl(tmp_path, RLConfig(**{**cfg.__dict__, "iterations": 3}), progress=False, log=lambda m: None)
    assert m3["iterations"] == 3 and m3["history"][:2] == m["history"] and len(m3["pool"]) == 4
    assert policy_agent(str(tmp_path / "rl.pt")).select_move(__import__("goengine.game").game.GameState(9)) >= 0


def test_reinforce_raises_probability_of_winning_moves(sl):
    """One gradient step on z = +1 makes the chosen moves more likely, on z = -1 less."""
    import torch.nn.functional as F
    from goengine.models import load
    from training.lee.play import Trajectory, policy_probs
    from goengine.game import GameState
    from training.lee.rl import reinforce_loss
    for z in (1.0, -1.0):
        net = load(sl[0] / "sl.pt")
        planes, _ = policy_probs(net, [GameState(9)])
        t = Trajectory([planes[0]], [40])
        x = torch.from_numpy(planes.astype(np.float32))
        before = F.log_softmax(net(x), 1)[0, 40].item()
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        loss = reinforce_loss(net, [t], [z])
        opt.zero_grad()
        loss.backward()
        opt.step()
        after = F.log_softmax(net(x), 1)[0, 40].item()
        assert (after - before) * z > 0


# ----------------------------------------------------------------------------- value net
@pytest.fixture(scope="module")
def value(sl, tmp_path_factory):
    from training.lee.value import ValueConfig, train_value
    run = tmp_path_factory.mktemp("value")
    cfg = ValueConfig(sl=str(sl[0] / "sl.pt"), games=6, games_per_shard=3, max_u=10, max_moves=24, net="tiny",
                      steps=60, batch_size=8, checkpoint_every=20, lr=1e-3, holdout=0.2)
    return run, cfg, train_value(run, cfg, progress=False, log=lambda m: None)


def test_value_net_data_and_training(value):
    run, cfg, m = value
    data = load_expert(run / "data")
    assert len(data["move"]) == m["train_positions"] + m["heldout_positions"] <= 6
    assert len(np.unique(data["game"])) == len(data["game"])  # one position per game
    assert ((data["stones"] > 0).sum(1) >= 1).all()
    assert m["loss_last"] < m["loss_first"] and m["train_mse"] >= 0


def test_value_resumes(value):
    from training.lee.value import ValueConfig, train_value
    run, cfg, m = value
    shards = sorted(p.stat().st_mtime_ns for p in (run / "data").glob("shard_*.npz"))
    more = train_value(run, ValueConfig(**{**cfg.__dict__, "steps": 64}), progress=False, log=lambda m: None)
    assert more["steps"] == 64
    assert sorted(p.stat().st_mtime_ns for p in (run / "data").glob("shard_*.npz")) == shards  # not replayed


# ----------------------------------------------------------------------------- the Lee agent
def test_lee_agent_plays_from_manifest(sl, value, tmp_path):
    import json
    from goengine.agents import lee_agent, lee_weights
    from goengine.game import GameState
    from training.lee.rollout import RolloutConfig, train_rollout
    from gtp.players import PlayerOptions, make_agent
    train_rollout(tmp_path / "ro", expert_data_folder(sl), RolloutConfig(steps=5, batch_size=8), progress=False,
                  log=lambda m: None)
    manifest = tmp_path / "lee.json"
    manifest.write_text(json.dumps({"policy": str(sl[0] / "sl.pt"), "value": str(value[0] / "value.pt"),
                                    "rollout": "ro/rollout.pt"}))
    assert lee_weights(str(manifest))["rollout"] == str(tmp_path / "ro" / "rollout.pt")
    agent = make_agent("lee", PlayerOptions(weights=str(manifest), visits=24, seed=1))
    game = GameState(9)
    for _ in range(3):
        move = agent.select_move(game)
        assert game.is_legal(move)
        game.play(move)
    assert agent.mcts.config.mix_lambda == 0.5 and agent.mcts.config.expansion_threshold > 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"policy": "x.pt"}')
    with pytest.raises(ValueError, match="rollout"):
        lee_agent(str(bad))


def test_ship_writes_four_checkpoints_a_manifest_and_a_card(sl, value, tmp_path):
    import json
    from goengine.agents import lee_weights
    from training.lee import ship
    from training.lee.rl import RLConfig, train_rl
    from training.lee.rollout import RolloutConfig, train_rollout
    train_rollout(tmp_path / "ro", expert_data_folder(sl), RolloutConfig(steps=4, batch_size=8), progress=False,
                  log=lambda m: None)
    train_rl(tmp_path / "rl", RLConfig(sl=str(sl[0] / "sl.pt"), iterations=1, games=2, pool_every=1, eval_games=2,
                                       max_moves=12), progress=False, log=lambda m: None)
    out = tmp_path / "weights"
    argv = ["--rollout", str(tmp_path / "ro"), "--sl", str(sl[0]), "--rl", str(tmp_path / "rl"),
            "--value", str(value[0]), "--data", str(expert_data_folder(sl)), "--name", "lee-test",
            "--out", str(out), "--strength", "measured: 1 game"]
    assert ship.main(argv) == 0
    parts = lee_weights(str(out / "lee-test.json"))
    assert parts == {"policy": str(out / "lee-test-sl.pt"), "value": str(out / "lee-test-value.pt"),
                     "rollout": str(out / "lee-test-rollout.pt")}
    assert (out / "lee-test-rl.pt").is_file()
    card = (out / "lee-test.md").read_text()
    sl_acc = json.loads((sl[0] / "metrics.json").read_text())["heldout_accuracy"]
    assert f"{sl_acc:.1%}" in card and "- measured: 1 game" in card and "?" not in card.split("## Use")[0]
    assert ship.main(argv[:2] + ["--sl", str(tmp_path / "nowhere")] + argv[4:]) == 2  # not a run folder
