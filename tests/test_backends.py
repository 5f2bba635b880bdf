"""Inference back ends (issue 11): fused batch norm, ONNX export and ONNX Runtime, int8
quantisation; distillation and pruning as goengine-train subcommands.

Tolerances (stated in goengine/models/backends.py): the float back ends match eager torch to
1e-4 in priors and values; int8 to 0.05 on these networks.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.agents import RandomAgent, zero_agent  # noqa: E402
from goengine.game import GameState  # noqa: E402
from goengine.models import (  # noqa: E402
    LeeEvaluator, PolicyNet, PolicyNetConfig, PolicyValueEvaluator, ValueNet, ValueNetConfig, ZeroNet, load, save,
    zero_config,
)
from goengine.models.backends import BACKENDS, resolve_backend  # noqa: E402
from goengine.models.fuse import fuse_batchnorm  # noqa: E402
from goengine.models.quantize import selfplay_states  # noqa: E402
from goengine.search import LeafBatch  # noqa: E402

torch.set_num_threads(1)
FLOAT_TOL = 1e-4
INT8_TOL = 0.05

def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_ort = pytest.mark.skipif(not (_have("onnxruntime") and _have("onnx")),
                               reason="onnx and onnxruntime not installed (pip install 'goengine[fast]')")


def _net(preset="tiny", size=9, seed=0):
    """A ZeroNet with random weights and random batch-norm statistics (so folding matters)."""
    torch.manual_seed(seed)
    model = ZeroNet(zero_config(preset, board_size=size))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def net():
    return _net()


@pytest.fixture(scope="module")
def positions(net):
    """A LeafBatch of 9x9 positions from a quick self-play by the net's own policy."""
    ref = PolicyValueEvaluator(net, symmetries="none")
    states = selfplay_states(lambda b: ref.evaluate(b)[0], 9, ref.history_length, games=4, rng=1)
    return LeafBatch.from_states(states[::4], ref.history_length)


def test_backend_names_are_checked():
    assert set(BACKENDS) == {"torch", "torch-fused", "onnx", "onnx-int8", "auto"}
    with pytest.raises(ValueError, match="unknown inference backend 'tensorrt'"):
        resolve_backend("tensorrt")
    with pytest.raises(ValueError, match="unknown inference backend"):
        PolicyValueEvaluator(_net(), backend="fast")
    assert resolve_backend("auto", "cuda") == "torch-fused"
    expected = "onnx-int8" if _have("onnxruntime") and _have("onnx") else "torch-fused"
    assert resolve_backend("auto", "cpu") == expected


@pytest.mark.parametrize("model", [
    _net(),
    PolicyNet(PolicyNetConfig(layers=3, filters=16)).eval(),
    ValueNet(ValueNetConfig(layers=3, filters=16, hidden=32)).eval(),
], ids=["zero", "policy", "value"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_batchnorm_computes_the_same_function(model, channels_last):
    fused = fuse_batchnorm(model, channels_last=channels_last)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    x = (torch.rand(6, model.config.input_planes, 9, 9) > 0.6).float()
    with torch.inference_mode():
        a, b = model(x), fused(x)
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    for p, q in zip(a, b):
        assert torch.allclose(p, q, atol=1e-5)
    if isinstance(model, ZeroNet):  # the original is left as it was
        assert isinstance(model.stem[1], torch.nn.BatchNorm2d)


@pytest.mark.parametrize("backend", [
    "torch-fused", pytest.param("onnx", marks=needs_ort), pytest.param("onnx-int8", marks=needs_ort),
])
def test_backends_agree_on_priors_and_values(net, positions, backend):
    reference = PolicyValueEvaluator(net, symmetries="none")
    priors, values = reference.evaluate(positions)
    evaluator = PolicyValueEvaluator(net, symmetries="none", backend=backend)
    assert evaluator.prepare_backend() == backend
    p, v = evaluator.evaluate(positions)
    tol = INT8_TOL if backend == "onnx-int8" else FLOAT_TOL
    assert p.shape == priors.shape and v.shape == values.shape
    assert np.abs(p - priors).max() < tol
    assert np.abs(v - values).max() < tol
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (p[positions.legal == 0] == 0).all()  # illegal moves keep no prior
    if backend != "onnx-int8":  # the most likely move is the same one
        assert (p.argmax(1) == priors.argmax(1)).all()


@needs_ort
def test_auto_picks_the_fastest_cpu_backend_and_symmetries_still_apply(net, positions):
    evaluator = PolicyValueEvaluator(net, symmetries="all", backend="auto")
    assert evaluator.prepare_backend() == "onnx-int8"
    reference = PolicyValueEvaluator(net, symmetries="all")
    p, v = evaluator.evaluate(positions)
    p0, v0 = reference.evaluate(positions)
    assert np.abs(p - p0).max() < INT8_TOL and np.abs(v - v0).max() < INT8_TOL


@needs_ort
@pytest.mark.parametrize("value", [True, False], ids=["policy+value", "policy-only"])
def test_lee_evaluator_pair_runs_on_onnx(value):
    torch.manual_seed(1)
    policy = PolicyNet(PolicyNetConfig(layers=3, filters=16)).eval()
    value_net = ValueNet(ValueNetConfig(layers=3, filters=16, hidden=32)).eval() if value else None
    states = [GameState(9)]
    for a in (40, 41, 30, 50):
        states.append(states[-1].copy())
        states[-1].play(a)
    batch = LeafBatch.from_states(states, 1)
    p0, v0 = LeeEvaluator(policy, value_net, symmetries="none").evaluate(batch)
    p, v = LeeEvaluator(policy, value_net, symmetries="none", backend="onnx").evaluate(batch)
    assert np.abs(p - p0).max() < FLOAT_TOL and np.abs(v - v0).max() < FLOAT_TOL


@needs_ort
@pytest.mark.parametrize("kind", ["zero", "policy", "value"])
def test_export_round_trips_through_a_file(tmp_path, kind):
    from goengine.models.onnx_backend import OnnxRunner, export_onnx, read_onnx

    model = {"zero": _net(), "policy": PolicyNet(PolicyNetConfig(layers=3, filters=16)).eval(),
             "value": ValueNet(ValueNetConfig(layers=3, filters=16, hidden=32)).eval()}[kind]
    path = tmp_path / f"{kind}.onnx"
    export_onnx(model, path)
    data, info = read_onnx(path)
    assert info["kind"] == kind
    assert info["config"]["board_size"] == 9 and info["config"]["input_planes"] == model.config.input_planes
    assert info["outputs"] == {"zero": ("policy", "value"), "policy": ("policy",), "value": ("value",)}[kind]
    runner = OnnxRunner(data, threads=1)
    for batch in (1, 7, 33):  # dynamic batch
        x = (torch.rand(batch, model.config.input_planes, 9, 9) > 0.6).float()
        with torch.inference_mode():
            out = model(x)
        out = out if isinstance(out, tuple) else (out,)
        logits, values = runner(x.numpy())
        got = [o for o in (logits, values) if o is not None]
        assert len(got) == len(out)
        for a, b in zip(got, out):
            assert a.shape == tuple(b.shape)
            assert np.abs(a - b.numpy()).max() < FLOAT_TOL


@needs_ort
def test_foreign_or_missing_onnx_files_are_refused(tmp_path):
    from goengine.models.onnx_backend import OnnxExportError, read_onnx

    with pytest.raises(OnnxExportError, match="no such ONNX file"):
        read_onnx(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(OnnxExportError, match="junk.onnx"):
        read_onnx(tmp_path / "junk.onnx")


def _legal_game(agent, size=9, max_moves=24):
    """Play agent (black) against a random agent; every move must be legal."""
    game = GameState(size)
    other = RandomAgent(np.random.default_rng(0))
    while not game.is_over() and game.move_number < max_moves:
        player = agent if game.to_play == 1 else other
        action = player.select_move(game)
        assert game.is_legal(action), f"illegal move {action}"
        game.play(action)
    return game


@needs_ort
def test_quantised_checkpoint_loads_and_plays_legal_games(tmp_path):
    save(_net(), tmp_path / "z.pt")
    agent = zero_agent(str(tmp_path / "z.pt"), simulations=16, rng=0, backend="onnx-int8", threads=1)
    assert agent.mcts.evaluator.backend == "onnx-int8"
    game = _legal_game(agent)
    assert game.move_number > 0


@needs_ort
def test_export_subcommand_writes_float_and_int8_models(tmp_path):
    from goengine.models.onnx_backend import OnnxRunner, read_onnx
    from training.__main__ import main

    save(_net(), tmp_path / "z.pt")
    assert main(["export", "--weights", str(tmp_path / "z.pt"), "--out", str(tmp_path / "z.onnx")]) == 0
    assert main(["export", "--weights", str(tmp_path / "z.pt"), "--out", str(tmp_path / "z8.onnx"), "--int8",
                 "--positions", "64"]) == 0
    _, info = read_onnx(tmp_path / "z.onnx")
    data, info8 = read_onnx(tmp_path / "z8.onnx")
    assert info["kind"] == info8["kind"] == "zero" and info8.get("quantized") == "int8"
    logits, values = OnnxRunner(data, threads=1)(np.zeros((2, 17, 9, 9), np.float32))
    assert logits.shape == (2, 82) and values.shape == (2,)


# ----------------------------------------------------------------------------- distill, prune
@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Two small 5x5 self-play shards played by a tiny teacher; (teacher path, shard folder)."""
    from selfplay.records import write_shard
    from selfplay.worker import SelfPlayConfig, SelfPlayWorker, selfplay_search

    folder = tmp_path_factory.mktemp("compress")
    teacher = _net("small", size=5, seed=3)
    save(teacher, folder / "teacher.pt", {"recipe": "zero"})
    cfg = SelfPlayConfig(size=5, parallel_games=4, search=selfplay_search(num_simulations=6, leaves_per_batch=2), max_moves=30,
                         resign_threshold=None)
    games = list(SelfPlayWorker(PolicyValueEvaluator(teacher, rng=0), cfg, rng=0).play(8))
    for i in range(2):
        write_shard(folder / "selfplay" / f"shard_{i:05d}.npz", [g.samples for g in games[4 * i:4 * i + 4]], 7.5)
    return folder / "teacher.pt", folder / "selfplay"


def test_distill_subcommand_writes_an_ordinary_checkpoint_that_plays(shards, tmp_path):
    from training.__main__ import main

    teacher, folder = shards
    out = tmp_path / "student.pt"
    assert main(["distill", "--teacher", str(teacher), "--shards", str(folder), "--student", "tiny",
                 "--filters", "16", "--steps", "12", "--batch-size", "16", "--quiet", "--seed", "1"]
                + ["--out", str(out)]) == 0
    student = load(out, kind="zero", board_size=5)
    assert (student.config.blocks, student.config.filters) == (2, 16)
    assert student.meta["recipe"] == "distill" and student.meta["steps"] == 12
    assert not out.with_name(out.name + ".progress.pt").exists()
    backend = "onnx-int8" if _have("onnxruntime") and _have("onnx") else "torch-fused"
    agent = zero_agent(str(out), simulations=8, rng=0, backend=backend, threads=1)
    assert _legal_game(agent, size=5, max_moves=20).move_number > 0


def test_distillation_resumes_from_its_progress_file(shards, tmp_path, monkeypatch):
    from training import compress

    teacher, folder = shards
    config = compress.DistillConfig(steps=6, batch_size=8, checkpoint_every=3, seed=2)
    quiet = dict(progress=False, log=lambda *a: None)
    torch.manual_seed(0)
    straight = compress.distill(ZeroNet(zero_config("tiny", board_size=5)), load(teacher), folder,
                                tmp_path / "a.pt", config, **quiet)
    real_save = compress.atomic_torch_save

    def save_then_stop(obj, path):  # interrupted right after the first progress checkpoint
        real_save(obj, path)
        raise KeyboardInterrupt

    monkeypatch.setattr(compress, "atomic_torch_save", save_then_stop)
    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        compress.distill(ZeroNet(zero_config("tiny", board_size=5)), load(teacher), folder, tmp_path / "b.pt",
                         config, **quiet)
    monkeypatch.setattr(compress, "atomic_torch_save", real_save)
    assert (tmp_path / "b.pt.progress.pt").exists() and not (tmp_path / "b.pt").exists()
    resumed = compress.distill(ZeroNet(zero_config("tiny", board_size=5)), load(teacher), folder,
                               tmp_path / "b.pt", config, **quiet)
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), name


def test_pruning_keeps_the_strongest_channels(shards):
    from training.compress import channel_scores, prune_zeronet

    model = load(shards[0])
    same = prune_zeronet(model, model.config.filters)
    x = (torch.rand(4, 17, 5, 5) > 0.6).float()
    with torch.inference_mode():
        for a, b in zip(model(x), same(x)):
            assert torch.equal(a, b)  # keeping every channel is the identity
    with torch.no_grad():  # kill channel 0 of the residual stream and channel 1 inside each block
        for bn, c in [(model.stem[1], 0)] + [(b.bn2, 0) for b in model.tower] + [(b.bn1, 1) for b in model.tower]:
            bn.weight[c] = 0.0
            bn.bias[c] = 0.0
    stream, inner = channel_scores(model)
    assert stream.argmin() == 0 and len(inner) == model.config.blocks
    assert all(score.argmin() == 1 for score in inner)
    smaller = prune_zeronet(model, model.config.filters - 1)
    assert smaller.config.filters == model.config.filters - 1
    with torch.inference_mode():
        for a, b in zip(model(x), smaller(x)):
            assert torch.allclose(a, b, atol=1e-5)  # the dropped channel carried nothing


def test_prune_subcommand_fine_tunes_and_writes_an_ordinary_checkpoint(shards, tmp_path):
    from training.__main__ import main

    teacher, folder = shards
    out = tmp_path / "pruned.pt"
    assert main(["prune", "--weights", str(teacher), "--amount", "0.25", "--shards", str(folder), "--steps", "8",
                 "--batch-size", "16", "--quiet", "--out", str(out)]) == 0
    pruned = load(out, kind="zero", board_size=5)
    assert pruned.config.filters == 24 and pruned.meta["recipe"] == "prune"
    agent = zero_agent(str(out), simulations=8, rng=0, backend="torch-fused", threads=1)
    assert _legal_game(agent, size=5, max_moves=20).move_number > 0
    assert main(["prune", "--weights", str(teacher), "--filters", "8", "--steps", "0", "--quiet",
                 "--out", str(tmp_path / "p0.pt")]) == 0
    assert load(tmp_path / "p0.pt").config.filters == 8


def test_gtp_and_train_take_a_backend_option():
    from gtp.__main__ import build_parser
    from training.zero_config import ZeroConfig

    assert build_parser().parse_args(["--agent", "zero", "--backend", "onnx"]).backend == "onnx"
    assert build_parser().parse_args([]).backend is None  # unset: the zero kind's default
    from goengine.agents import AGENT_KINDS
    assert AGENT_KINDS["zero"].options["backend"].default == "auto"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--backend", "tensorrt"])
    assert ZeroConfig().inference == "auto"
    assert ZeroConfig.from_json({**ZeroConfig().to_json(), "inference": "torch"}).inference == "torch"
