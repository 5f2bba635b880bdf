"""Networks, checkpoints and evaluator adapters (issue 5's model half)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from goengine.coords import from_gtp  # noqa: E402
from goengine.features import apply_planes, apply_policy  # noqa: E402
from goengine.game import GameState  # noqa: E402
from goengine.models import (  # noqa: E402
    CheckpointError, PolicyNet, PolicyNetConfig, PolicyValueEvaluator, ValueNet, ValueNetConfig,
    ZeroNet, load, masked_softmax, save, zero_config,
)
from goengine.search import MCTS, LeafBatch, MCTSConfig  # noqa: E402

torch.set_num_threads(1)


def _overfit(model, x, loss_fn, steps=150):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x))
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    return first, loss.item()


@pytest.mark.parametrize("size", [5, 9])
def test_zeronet_overfits_a_tiny_batch(size):
    torch.manual_seed(0)
    model = ZeroNet(zero_config("tiny", board_size=size))
    x = (torch.rand(8, 17, size, size) > 0.7).float()
    target_p = torch.randint(0, size * size + 1, (8,))
    target_v = torch.tensor([1.0, -1.0] * 4)

    def loss(out):
        p, v = out
        return torch.nn.functional.cross_entropy(p, target_p) + ((v - target_v) ** 2).mean()

    model.train()
    first, last = _overfit(model, x, loss)
    assert last < 0.1 * first


def test_policy_and_value_nets_overfit():
    torch.manual_seed(0)
    policy = PolicyNet(PolicyNetConfig(layers=3, filters=16))
    value = ValueNet(ValueNetConfig(layers=3, filters=16, hidden=32))
    x48 = (torch.rand(8, 48, 9, 9) > 0.7).float()
    x49 = (torch.rand(8, 49, 9, 9) > 0.7).float()
    moves = torch.randint(0, 82, (8,))
    outcome = torch.tensor([1.0, -1.0] * 4)
    f, l = _overfit(policy, x48, lambda p: torch.nn.functional.cross_entropy(p, moves), 200)
    assert l < 0.1 * f
    f, l = _overfit(value, x49, lambda v: ((v - outcome) ** 2).mean(), 200)
    assert l < 0.1 * f
    assert policy(x48).shape == (8, 82)
    assert value(x49).shape == (8,)


def test_checkpoint_round_trip_and_refusals(tmp_path):
    model = ZeroNet(zero_config("tiny"))
    model.eval()
    path = tmp_path / "net.pt"
    save(model, path, {"games": 3})
    again = load(path, kind="zero", board_size=9, feature_set="zero17")
    x = torch.rand(2, 17, 9, 9)
    with torch.no_grad():
        for a, b in zip(model(x), again(x)):
            torch.testing.assert_close(a, b)
    assert again.meta == {"games": 3}
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    with pytest.raises(CheckpointError, match="9x9, but the board is 19x19"):
        load(path, board_size=19)
    with pytest.raises(CheckpointError, match="expected 'policy'"):
        load(path, kind="policy")
    with pytest.raises(CheckpointError, match="feature set"):
        load(path, feature_set="lee48")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load(tmp_path / "junk.pt")


def test_masked_softmax_gives_zero_to_illegal_moves():
    logits = np.array([[5.0, 1.0, 0.0, -1.0]], np.float32)
    legal = np.array([[0, 1, 1, 0]], np.uint8)
    p = masked_softmax(logits, legal)
    assert p[0, 0] == 0 and p[0, 3] == 0
    assert p.sum() == pytest.approx(1.0)
    assert masked_softmax(logits, np.zeros_like(legal)).sum() == 0


def _game(moves, size=9):
    g = GameState(size)
    for v in moves:
        g.play(from_gtp(v, size))
    return g


def test_all_symmetries_evaluator_is_equivariant():
    """With the mean over the 8 transforms, evaluating a transformed position gives the
    transformed priors and the same value."""
    torch.manual_seed(1)
    model = ZeroNet(zero_config("tiny"))
    ev = PolicyValueEvaluator(model, symmetries="all")
    game = _game(["C3", "E5", "G7"])
    batch = LeafBatch.from_states([game], history_length=1)
    priors, values = ev.evaluate(batch)
    for t in (1, 4, 6):
        class Moved:
            pass
        moved = Moved()
        moved.size = 9
        moved.stones = apply_planes(batch.stones.reshape(1, 1, 9, 9), t).reshape(1, 1, 81)
        moved.to_play = batch.to_play
        moved.legal = apply_policy(batch.legal, t)
        p2, v2 = ev.evaluate(moved)
        np.testing.assert_allclose(p2, apply_policy(priors, t), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(v2, values, rtol=1e-4, atol=1e-6)


def test_cache_returns_the_same_outputs():
    model = ZeroNet(zero_config("tiny"))
    ev = PolicyValueEvaluator(model, symmetries="none", cache_size=100)
    game = _game(["D4"])
    a = ev.evaluate_states([game])
    b = ev.evaluate_states([game])
    assert ev.cache.hits == 1
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # another position (same stones, other side to move) is a miss with its own outputs
    other = ev.evaluate_states([_game(["D4", "pass"])])
    assert ev.cache.hits == 1 and len(ev.cache.data) == 2
    assert not np.array_equal(other[0], a[0])
    assert all(isinstance(k, bytes) and len(k) == 16 for k in ev.cache.data)  # digests, not planes


def test_zero17_cache_keys_tell_apart_what_the_planes_tell_apart():
    from types import SimpleNamespace
    ev = PolicyValueEvaluator(ZeroNet(zero_config("tiny", board_size=5)), cache_size=10)
    rng = np.random.default_rng(3)
    stones = rng.integers(0, 3, size=(6, 8, 25)).astype(np.int8)
    stones[1] = stones[0]          # 0 and 1: same stones, other side to move
    stones[3] = stones[2]          # 2 and 3: the same position twice
    stones[5] = stones[4]
    stones[5, 7, 0] = 3 - stones[4, 7, 0] if stones[4, 7, 0] else 1  # 4 and 5: oldest history differs
    batch = SimpleNamespace(stones=stones, to_play=np.array([1, 2, 1, 1, 2, 2], np.int8), size=5)
    planes = ev.planes(batch)
    keys = ev.cache_keys(batch, planes)
    for i in range(6):
        for j in range(6):
            assert (keys[i] == keys[j]) == np.array_equal(planes[i], planes[j]), (i, j)


def test_network_drives_the_search_and_only_legal_moves_get_visits():
    model = ZeroNet(zero_config("tiny"))
    ev = PolicyValueEvaluator(model, symmetries="random", rng=0)
    game = _game(["E5", "D5", "D4", "C4", "E4"])
    result = MCTS(ev, MCTSConfig(num_simulations=64, leaves_per_batch=8), rng=0).search(game)
    legal = game.legal_mask()
    assert np.all(legal[result.visits > 0] == 1)
    assert result.simulations >= 64


def test_cpu_evaluators_flush_subnormal_floats():
    import torch

    from goengine.models import PolicyValueEvaluator
    from goengine.models.nets import ZeroNet, zero_config
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush subnormal floats")
    tiny = torch.tensor([1e-40], dtype=torch.float32)  # a subnormal float32 (made while kept)
    assert (tiny * 2).item() != 0.0
    PolicyValueEvaluator(ZeroNet(zero_config("tiny", board_size=5)))
    assert (tiny * 2).item() == 0.0  # flushed: what the search's network calls now get


@pytest.mark.parametrize("symmetries", ["random", "none"])
@pytest.mark.parametrize("cache_size", [0, 1000])
def test_zero_evaluator_fast_path_equals_the_generic_one(symmetries, cache_size):
    """PolicyValueEvaluator.evaluate (planes, symmetries and softmax in C) gives what the
    generic numpy NetworkEvaluator.evaluate gives, drawing the same symmetries."""
    from goengine.models.evaluators import NetworkEvaluator
    net = ZeroNet(zero_config("tiny"))
    rng = np.random.default_rng(3)
    game, states = GameState(9), []
    for _ in range(30):
        game.play(int(rng.choice(np.flatnonzero(game.legal_mask()[:-1]))))
        states.append(game.copy())
    batch = LeafBatch.from_states(states, 8)
    fast = PolicyValueEvaluator(net, symmetries=symmetries, rng=5, cache_size=cache_size)
    generic = PolicyValueEvaluator(net, symmetries=symmetries, rng=5, cache_size=cache_size)
    for _ in range(2):   # the second time from the cache when there is one
        p_fast, v_fast = fast.evaluate(batch)
        p_generic, v_generic = NetworkEvaluator.evaluate(generic, batch)
        np.testing.assert_allclose(p_fast, p_generic, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(v_fast, v_generic)
