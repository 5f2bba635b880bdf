"""KataGo's pooled heads and auxiliary targets in the Zero loop: one network on every board
size, ownership and score targets from the final position, the opponent's reply, their
symmetries in the replay window, and losses that train."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.coords import BLACK, WHITE  # noqa: E402
from goengine.game import GameState, Rules  # noqa: E402
from goengine.models import ZeroNet, load, save, zero_config  # noqa: E402
from selfplay.records import GameSamples, area_ownership, read_shard, write_shard  # noqa: E402
from training.datasets import ReplayWindow  # noqa: E402
from training.zero import tensor_batch  # noqa: E402
from training.zero_loss import zero_losses  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("size", [7, 9, 13, 19])
def test_one_pooled_network_runs_on_every_board_size(size):
    torch.manual_seed(0)
    net = ZeroNet(zero_config("tiny-pooled")).eval()  # built for 9x9
    x = torch.randn(3, 17, size, size)
    with torch.no_grad():
        out = net.forward_all(x)
        policy, value = net(x)
    assert out["policy"].shape == out["reply"].shape == (3, size * size + 1)
    assert out["value"].shape == out["score"].shape == (3,)
    assert out["ownership"].shape == (3, size, size)
    assert float(out["ownership"].abs().max()) <= 1 and float(out["value"].abs().max()) <= 1
    torch.testing.assert_close(policy, out["policy"])
    torch.testing.assert_close(value, out["value"])


def test_pooled_heads_see_the_board_size():
    """The pooled features carry (N - 14) / 10, so the same stones on a bigger board do not
    give the same pass logit: a size-free net can still tell sizes apart."""
    torch.manual_seed(1)
    net = ZeroNet(zero_config("tiny-pooled")).eval()
    with torch.no_grad():
        a = net(torch.ones(1, 17, 9, 9))[0][0, -1]
        b = net(torch.ones(1, 17, 13, 13))[0][0, -1]
    assert abs(float(a - b)) > 1e-4


def test_a_pooled_checkpoint_round_trips_and_an_fc_one_has_no_ownership(tmp_path):
    net = ZeroNet(zero_config("tiny-pooled"))
    save(net, tmp_path / "p.pt")
    back = load(tmp_path / "p.pt", kind="zero")
    assert back.config.head == "pooled" and back.has_ownership and back.config.gpool_every == 2
    fc = load("goengine/weights/zero-9x9.pt", kind="zero")  # written before the field existed
    assert fc.config.head == "fc" and not fc.has_ownership
    assert set(fc.forward_all(torch.zeros(1, 17, 9, 9))) == {"policy", "value"}


def test_area_ownership_counts_what_the_area_score_counts():
    rng = np.random.default_rng(3)
    for _ in range(20):
        game = GameState(9, Rules(komi=7.5))
        for _ in range(int(rng.integers(10, 120))):
            legal = np.flatnonzero(game.legal_mask())
            game.play(int(rng.choice(legal)))
            if game.is_over:
                break
        own = area_ownership(game.recent_stones(1)[0], 9)
        assert float(own.sum()) - 7.5 == pytest.approx(game.score())


def test_final_targets_are_from_each_movers_view_and_absent_for_resigned_games(tmp_path):
    stones = np.zeros((8, 25), np.int8)
    final = np.zeros(25, np.int8)
    final[:10] = BLACK   # rows 0-1 black
    final[15:] = WHITE   # rows 3-4 white; row 2 empty, bordered by both: neutral
    played = GameSamples(5)
    resigned = GameSamples(5)
    for g in (played, resigned):
        g.add(stones, BLACK, np.full(26, 1 / 26, np.float32))
        g.add(stones, WHITE, np.full(26, 1 / 26, np.float32))
    played.finish(WHITE, final, score=-0.5)
    resigned.finish(BLACK)
    write_shard(tmp_path / "s.npz", [played, resigned], komi=0.5)
    data = read_shard(tmp_path / "s.npz")
    assert data["final"].tolist() == [True, True, False, False]
    np.testing.assert_array_equal(data["ownership"][0], np.r_[np.ones(10), np.zeros(5), -np.ones(10)])
    np.testing.assert_array_equal(data["ownership"][1], -data["ownership"][0])  # White to move
    assert data["score"].tolist() == [-0.5, 0.5, 0.0, 0.0]
    assert not data["ownership"][2:].any()


def test_a_schema_1_shard_reads_with_no_final_targets(tmp_path):
    g = GameSamples(5)
    g.add(np.zeros((8, 25), np.int8), BLACK, np.full(26, 1 / 26, np.float32))
    g.finish(BLACK)
    path = write_shard(tmp_path / "s.npz", [g], komi=7.5)
    with np.load(path) as f:
        old = {k: f[k] for k in f.files if k not in ("ownership", "score", "final")}
    old["schema"] = np.int64(1)
    np.savez_compressed(tmp_path / "old.npz", **old)
    data = read_shard(tmp_path / "old.npz")
    assert data["ownership"].shape == (1, 25) and not data["final"].any()


def _corner_game():
    """Two moves of a 5x5 game: Black's sample has its policy, its final ownership and the
    reply (White's policy) all on the top-left corner; then White's sample."""
    g = GameSamples(5)
    stones = np.zeros((8, 25), np.int8)
    stones[0, 0] = BLACK
    corner = np.zeros(26, np.float32)
    corner[0] = 1.0
    g.add(stones, BLACK, corner)
    g.add(stones, WHITE, corner, full_search=True)
    final = np.zeros(25, np.int8)
    final[0] = BLACK
    final[1:] = WHITE
    g.finish(WHITE, final, score=-30.0)
    return g


def test_the_window_moves_ownership_and_the_reply_with_the_planes(tmp_path):
    window = ReplayWindow.from_paths([write_shard(tmp_path / "s.npz", [_corner_game()], 7.5)])
    b = window.batch(np.random.default_rng(0), 128)
    black = b.x[:, 16, 0, 0] == 1  # Black-to-move rows: the first sample
    assert black.any() and (~black).any()
    corner = (b.x[:, 0] + b.x[:, 1]).reshape(128, 25).argmax(axis=1)  # the one stone, either colour
    np.testing.assert_array_equal(b.pi[:, :25].argmax(axis=1), corner)
    np.testing.assert_array_equal(b.ownership.reshape(128, 25)[black].argmax(axis=1), corner[black])
    assert len(set(corner.tolist())) == 4
    # the reply: Black's sample has White's next search; White's sample (the last) has none
    np.testing.assert_array_equal(b.reply[black, :25].argmax(axis=1), corner[black])
    assert b.reply_weight[black].min() == 1 and b.reply_weight[~black].max() == 0
    assert np.all(b.final_weight == 1)
    assert set(b.score.tolist()) == {-30.0, 30.0}


def test_the_auxiliary_losses_train_and_an_fc_network_has_none(tmp_path):
    from selfplay.worker import SelfPlayConfig, SelfPlayWorker, selfplay_search
    from goengine.models.evaluators import PolicyValueEvaluator
    torch.manual_seed(0)
    net = ZeroNet(zero_config("tiny-pooled"))
    worker = SelfPlayWorker(PolicyValueEvaluator(net.eval()), rng=0, config=SelfPlayConfig(
        parallel_games=8, resign_threshold=None, search=selfplay_search(num_simulations=4, leaves_per_batch=2)))
    write_shard(tmp_path / "s.npz", [g.samples for g in worker.play(8)], 7.5)
    window = ReplayWindow.from_paths([tmp_path / "s.npz"])
    rng = np.random.default_rng(0)
    held = tensor_batch(window.batch(np.random.default_rng(99), 256), "cpu")
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
    with torch.no_grad():
        net.eval()
        before = zero_losses(net, held)
        net.train()
    for _ in range(200):
        losses = zero_losses(net, tensor_batch(window.batch(rng, 64), "cpu"), {"ownership": 1.5})
        opt.zero_grad()
        losses["loss"].backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        after = zero_losses(net, held)
        score = net.forward_all(held.x)["score"].numpy()
    assert set(before) == {"policy", "value", "ownership", "score", "reply", "loss"}
    assert after["ownership"] < 0.8 * before["ownership"]
    # the score head follows the margins of the 8 games it trained on
    assert np.corrcoef(score, held.score.numpy())[0, 1] > 0.5
    fc = ZeroNet(zero_config("tiny"))
    assert set(zero_losses(fc, held)) == {"policy", "value", "loss"}


def test_ownership_agreement_counts_owned_points_by_move(tmp_path):
    from training.ownership import agreement_by_move, move_numbers, ownership_agreement
    g = _corner_game()  # two samples; Black owns the corner, White the other 24 points
    shard = write_shard(tmp_path / "s.npz", [g, _corner_game()], 7.5)
    np.testing.assert_array_equal(move_numbers(read_shard(shard)["game"]), [0, 1, 0, 1])

    class Oracle(torch.nn.Module):
        """Ownership +1 on the corner, -1 elsewhere from Black's view; `flip` everywhere."""
        has_ownership = True
        config = zero_config("tiny-pooled")  # its feature set: zero17

        def __init__(self, flip_first: bool):
            super().__init__()
            self.flip_first = flip_first

        def forward_all(self, x):
            black = x[:, 16, 0, 0] == 1
            own = -torch.ones(x.shape[0], 5, 5)
            own[:, 0, 0] = 1
            own[~black] *= -1  # the mover's view
            if self.flip_first:
                own[:, 0, 0] *= -1  # wrong on the corner only: 24 of 25 right
            return {"ownership": own}

    moves, agree = ownership_agreement(Oracle(False), [shard])
    np.testing.assert_array_equal(moves, [0, 1, 0, 1])
    np.testing.assert_allclose(agree, 1.0)
    _, agree = ownership_agreement(Oracle(True), [shard])
    np.testing.assert_allclose(agree, 24 / 25)
    assert agreement_by_move(moves, agree, block=1) == [
        {"moves": "0-0", "positions": 2, "agreement": 0.96}, {"moves": "1-1", "positions": 2, "agreement": 0.96}]
    with pytest.raises(ValueError, match="no ownership head"):
        ownership_agreement(ZeroNet(zero_config("tiny")), [shard])


def test_a_run_with_go_features_plays_and_trains_on_its_planes(tmp_path):
    from training.zero import ZeroRun
    from training.zero_config import preset
    cfg = preset("tiny", net="tiny-pooled-go", generations=1, games_per_generation=4, games_per_shard=2,
                 train_steps=10, batch_size=16, gating_games=2, gating_simulations=4, checkpoint_every=100,
                 threads=1, selfplay=dict(search=dict(num_simulations=6, leaves_per_batch=2), parallel_games=4,
                                          max_moves=40))
    run = ZeroRun(tmp_path / "run", cfg, log=lambda *a: None, progress=False)
    run.run()
    candidate = load(run.candidate_path(1), kind="zero")
    assert candidate.config.feature_set == "zerogo25" and candidate.config.input_planes == 25
    window = ReplayWindow.from_paths(run.window_shards(1))
    window.feature_set = "zerogo25"
    b = window.batch(np.random.default_rng(0), 8)
    assert b.x.shape == (8, 25, 9, 9)
    with torch.no_grad():
        assert torch.isfinite(zero_losses(candidate, tensor_batch(b, "cpu"))["loss"])


def test_network_ownership_is_moved_back_through_the_symmetries_to_blacks_view():
    from goengine.models import network_ownership

    class StonesOracle(torch.nn.Module):
        """Ownership = the mover's stones minus the opponent's (an equivariant head)."""
        has_ownership = True
        config = zero_config("tiny-pooled")

        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward_all(self, x):
            return {"ownership": x[:, 0] - x[:, 1], "score": x[:, 0].sum((1, 2)) - x[:, 1].sum((1, 2))}

    game = GameState(9, Rules(komi=7.5))
    for action in (0, 1, 2, 11, 30, 79):  # an asymmetric position, White to move after 6
        game.play(action)
    game.play(40)  # Black: White to move
    own, score = network_ownership(StonesOracle(), game)
    stones = game.recent_stones(1)[0]
    np.testing.assert_allclose(own, np.where(stones == BLACK, 1.0, np.where(stones == WHITE, -1.0, 0.0)))
    assert score == pytest.approx(float((stones == BLACK).sum() - (stones == WHITE).sum()))
    with pytest.raises(ValueError, match="no ownership head"):
        network_ownership(ZeroNet(zero_config("tiny")), game)


def test_the_score_utility_mixes_the_score_into_the_searched_value(tmp_path):
    import math

    from goengine.agents import make_agent
    from goengine.models import ScoreUtilityNet
    from goengine.models.fuse import fuse_batchnorm
    torch.manual_seed(2)
    net = ZeroNet(zero_config("tiny-pooled")).eval()
    x = torch.randn(4, 17, 9, 9)
    wrapped = ScoreUtilityNet(net, 0.25).eval()
    with torch.no_grad():
        out = net.forward_all(x)
        policy, utility = wrapped(x)
        fused = fuse_batchnorm(wrapped)(x)
    expected = 0.75 * out["value"] + 0.25 * (2 / math.pi) * torch.atan(out["score"] / 9)
    torch.testing.assert_close(utility, expected)
    torch.testing.assert_close(policy, out["policy"])
    torch.testing.assert_close(fused[1], expected, atol=1e-5, rtol=1e-4)
    pytest.importorskip("onnxruntime")
    from goengine.models.evaluators import PolicyValueEvaluator
    states = [GameState(9) for _ in range(3)]
    for k, state in enumerate(states):
        for a in range(3 * k):
            state.play(a * 7 % 81)
    plain = PolicyValueEvaluator(wrapped, symmetries="none").evaluate_states(states)
    exported = PolicyValueEvaluator(wrapped, symmetries="none", backend="onnx").evaluate_states(states)
    np.testing.assert_allclose(exported[1], plain[1], atol=1e-5)  # the utility, through ONNX
    assert float(utility.abs().max()) <= 1
    with pytest.raises(ValueError, match="score head"):
        ScoreUtilityNet(ZeroNet(zero_config("tiny")), 0.1)
    save(net, tmp_path / "pooled.pt")
    agent = make_agent(f"zero:weights={tmp_path / 'pooled.pt'},score=0.2,visits=16,backend=torch")
    assert isinstance(agent.mcts.evaluator.model, ScoreUtilityNet) and agent.mcts.evaluator.model.factor == 0.2
    assert agent.select_move(GameState(9)) >= 0
    with pytest.raises(ValueError, match="score head"):
        make_agent("zero:score=0.2,visits=16")  # the shipped network has AlphaGo Zero's heads


def test_the_learning_curve_rates_a_runs_networks_against_an_opponent(tmp_path):
    from training.curve import main, run_hours
    from training.zero import ZeroRun
    from training.zero_config import preset
    cfg = preset("tiny", generations=2, games_per_generation=2, games_per_shard=2, train_steps=4, batch_size=8,
                 gating=False, threads=1, inference="torch",
                 selfplay=dict(search=dict(num_simulations=4, leaves_per_batch=2), parallel_games=2, max_moves=20))
    ZeroRun(tmp_path / "run", cfg, log=lambda *a: None, progress=False).run()
    hours = run_hours(tmp_path / "run")
    assert hours[0]["games"] == 0 and hours[1]["games"] == 2 and hours[2]["games"] == 4
    assert 0 < hours[1]["hours"] < hours[2]["hours"]
    out = tmp_path / "curve.png"
    assert main(["--run", str(tmp_path / "run"), "--opponent", "rand=random:seed=3", "--every", "2",
                 "--games", "2", "--visits", "4", "--opening-moves", "0", "--out", str(out)]) == 0
    points = json.loads((tmp_path / "run" / "curve" / "curve.json").read_text())
    assert [p["generation"] for p in points] == [0, 2]
    assert all(p["games_played"] == 2 and p["opponent"] == "rand" for p in points)
    assert out.stat().st_size > 0
    assert main(["--run", str(tmp_path / "nowhere"), "--opponent", "random"]) == 2
    # the ownership head through goengine-gtp's kata-analyze, on the newest network's games
    from training.ownership import main as ownership_main
    import contextlib
    import io
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert ownership_main(["--run", str(tmp_path / "run"), "--gtp", "3", "--from-move", "2"]) == 0
    summary = json.loads(text.getvalue())
    assert summary["through"] == "goengine-gtp kata-analyze" and summary["positions"] == 3
    assert 0.0 <= summary["agreement"] <= 1.0


def test_go_exploit_restarts_a_share_of_games_from_archive_positions():
    from goengine.models.evaluators import PolicyValueEvaluator
    from selfplay.worker import SelfPlayConfig, SelfPlayWorker, selfplay_search
    torch.manual_seed(0)
    net = ZeroNet(zero_config("tiny-pooled")).eval()
    stones = np.zeros((1, 81), np.int8)
    stones[0, [0, 1, 2]] = BLACK
    stones[0, [10, 11]] = WHITE
    cfg = SelfPlayConfig(parallel_games=4, restart_share=0.5, max_moves=12,
                         search=selfplay_search(num_simulations=4, leaves_per_batch=2))
    worker = SelfPlayWorker(PolicyValueEvaluator(net), cfg, rng=0, starts=(stones, np.array([WHITE])))
    games = list(worker.play(16))
    assert 4 <= worker.restarted <= 12  # about half of 16
    first = [np.asarray(g.samples.stones[0][0]) for g in games]
    from_archive = [f for f in first if (f == stones[0]).all()]
    assert len(from_archive) == worker.restarted
    assert all(g.samples.to_play[0] == WHITE for g, f in zip(games, first) if (f == stones[0]).all())


def test_a_run_restarts_games_from_its_window(tmp_path):
    from training.zero import ZeroRun
    from training.zero_config import preset
    cfg = preset("tiny", generations=2, games_per_generation=6, games_per_shard=6, train_steps=2, batch_size=8,
                 gating=False, threads=1, inference="torch",
                 selfplay=dict(search=dict(num_simulations=4, leaves_per_batch=2), parallel_games=6, max_moves=20,
                               restart_share=0.5))
    run = ZeroRun(tmp_path / "run", cfg, log=lambda *a: None, progress=False)
    assert run.restart_positions(0) is None  # nothing to restart from before the first games
    run.run()
    archive = run.restart_positions(1)
    assert archive[0].shape[1] == 81 and archive[0].shape[0] == archive[1].shape[0] > 0
    sgfs = [p.read_text() for p in (run.selfplay_dir(1) / "sgf").glob("*.sgf")]
    assert len(sgfs) == 6 and any("AB[" in t or "AW[" in t for t in sgfs)
    assert not any("AB[" in t or "AW[" in t for t in (p.read_text() for p in (run.selfplay_dir(0) / "sgf").glob("*.sgf")))


def test_decided_games_are_played_out_cheaply_and_keep_their_final_targets():
    from goengine.models.evaluators import PolicyValueEvaluator
    from selfplay.worker import SelfPlayConfig, SelfPlayWorker, resignation_stats, selfplay_search

    class Pessimist(torch.nn.Module):
        """Black lost in every position: each game crosses the threshold at Black's first move."""
        config = zero_config("tiny")

        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.zeros(x.shape[0], 82), torch.where(x[:, 16, 0, 0] == 1, -1.0, 1.0)

    cfg = SelfPlayConfig(parallel_games=4, resign_threshold=-0.5, resign_playthrough=0.0, play_out_resigned=True,
                         decided_simulations=2, max_moves=40, search=selfplay_search(num_simulations=8, leaves_per_batch=2))
    worker = SelfPlayWorker(PolicyValueEvaluator(Pessimist(), symmetries="none"), cfg, rng=0)
    games = list(worker.play(4))
    assert all(g.played_out and g.resigned and not g.record.result.endswith("+R") for g in games)
    assert all(g.samples.final_ownership is not None for g in games)  # so all have final targets
    assert all(not any(g.samples.full_search[1:]) for g in games)  # play-outs are no policy target
    assert resignation_stats(games)["played_out"] == 4
    resigning = SelfPlayWorker(PolicyValueEvaluator(Pessimist(), symmetries="none"),
                               __import__("dataclasses").replace(cfg, play_out_resigned=False), rng=0)
    assert all(g.moves < 5 and g.samples.final_ownership is None for g in resigning.play(4))
