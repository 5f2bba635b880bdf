"""goengine-train average: stochastic weight averaging of one run's checkpoints, with the
batch-norm statistics measured again on self-play positions."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.coords import BLACK, WHITE  # noqa: E402
from goengine.models import ZeroNet, load, save, zero_config  # noqa: E402
from selfplay.records import GameSamples, write_shard  # noqa: E402
from training import swa  # noqa: E402
from training.__main__ import main  # noqa: E402
from training.datasets import ReplayWindow  # noqa: E402

torch.set_num_threads(1)
SIZE = 5


def _net(seed):
    torch.manual_seed(seed)
    return ZeroNet(zero_config("tiny", board_size=SIZE)).eval()


@pytest.fixture
def shards(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "shards"
    for k in range(2):
        games = []
        for j in range(6):
            g = GameSamples(SIZE)
            for i in range(8):
                stones = (rng.random((8, SIZE * SIZE)) < 0.3).astype(np.int8) * (1 + (i % 2))
                g.add(stones, BLACK if i % 2 == 0 else WHITE, np.full(SIZE * SIZE + 1, 1 / 26, np.float32))
            g.finish(BLACK if j % 2 else WHITE)
            games.append(g)
        write_shard(folder / f"shard_{k:05d}.npz", games, komi=7.5)
    return folder


def test_average_is_the_elementwise_mean_of_the_weights():
    a, b, c = _net(1), _net(2), _net(3)
    mean = swa.average_models([a, b, c])
    for key, value in mean.state_dict().items():
        parts = [m.state_dict()[key] for m in (a, b, c)]
        if value.is_floating_point():
            torch.testing.assert_close(value, (parts[0] + parts[1] + parts[2]) / 3)
        else:
            assert torch.equal(value, parts[0])
    # a new network: the first source is left as it was
    assert mean is not a and not torch.equal(next(a.parameters()), next(mean.parameters()))


def test_average_refuses_networks_of_another_shape():
    small = _net(1)
    other = ZeroNet(zero_config("tiny", board_size=7))
    with pytest.raises(ValueError, match="another architecture"):
        swa.average_models([small, other])
    with pytest.raises(ValueError, match="no networks"):
        swa.average_models([])


def test_recalibrated_batchnorm_holds_the_statistics_of_the_positions(shards):
    model = swa.average_models([_net(1), _net(2)])
    window = ReplayWindow.from_folder(shards)
    swa.recalibrate_batchnorm(model, window, batches=20, batch_size=64, seed=0)
    assert not model.training
    # the first batch norm's running mean is the mean activation of its convolution over the
    # positions seen (cumulative average), measured here directly on a large batch
    conv, norm = None, None
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d) and conv is None:
            conv = m
        if isinstance(m, torch.nn.BatchNorm2d):
            norm = m
            break
    x = window.batch(np.random.default_rng(1), 2000).x
    with torch.no_grad():
        act = conv(torch.from_numpy(x))
    expected = act.mean(dim=(0, 2, 3))
    torch.testing.assert_close(norm.running_mean, expected, atol=0.02, rtol=0.05)
    assert norm.momentum == 0.1  # the layer's own momentum is put back


def test_average_command_reads_a_run_and_writes_a_loadable_checkpoint(shards, tmp_path, capsys):
    run = tmp_path / "run"
    (run / "train").mkdir(parents=True)
    (run / "selfplay").mkdir()
    for k, path in enumerate(sorted(shards.glob("*.npz"))):
        (run / "selfplay" / path.name).write_bytes(path.read_bytes())
    nets = {g: _net(g) for g in (1, 2, 3, 4)}
    for g, net in nets.items():
        save(net, run / "train" / f"candidate_{g:04d}.pt", {"generation": g, "steps": 10})
    out = tmp_path / "swa.pt"
    assert main(["average", "--run", str(run), "--from", "2", "--to", "3", "--bn-batches", "4",
                 "--batch-size", "16", "--out", str(out)]) == 0
    assert "averaged 2 networks" in capsys.readouterr().out
    model = load(out, kind="zero")
    assert [p.split("/")[-1] for p in model.meta["averaged_from"]] == ["candidate_0002.pt", "candidate_0003.pt"]
    assert model.meta["generation"] == 3
    key = next(k for k, v in model.state_dict().items() if k.endswith("weight") and v.dim() == 4)
    torch.testing.assert_close(model.state_dict()[key],
                               (nets[2].state_dict()[key] + nets[3].state_dict()[key]) / 2)
    # the network plays: finite priors and values on the run's positions
    x = ReplayWindow.from_folder(run / "selfplay").batch(np.random.default_rng(0), 8).x
    with torch.no_grad():
        logits, v = model(torch.from_numpy(x))
    assert torch.isfinite(logits).all() and torch.isfinite(v).all()


def test_average_command_names_what_is_missing(tmp_path, capsys):
    assert main(["average", "--run", str(tmp_path), "--from", "1", "--to", "5", "--out", str(tmp_path / "o.pt")]) == 2
    assert "no trained candidates" in capsys.readouterr().err
    assert main(["average", "--out", str(tmp_path / "o.pt")]) == 2
    assert "either --weights" in capsys.readouterr().err
    a = tmp_path / "a.pt"
    save(_net(1), a)
    assert main(["average", "--weights", str(a), "--out", str(tmp_path / "o.pt")]) == 2
    assert "--shards" in capsys.readouterr().err
    assert not (tmp_path / "o.pt").exists()
