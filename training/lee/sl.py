"""The SL policy network (AlphaGo 2016, Methods "Supervised learning of policy networks"):
PolicyNet on the 48 lee48 planes, trained to predict the expert's move, each minibatch sample
seen through one of the 8 dihedral symmetries drawn at random (the paper's augmentation).

    goengine-train sl --data runs/lee/expert9 --run runs/lee/sl9 --net 9x9

Run folder: config.json, progress.pt (resume), train_log.csv, sl.pt (checkpoint, kind
"policy"), metrics.json (held-out accuracy of the most probable legal move; the paper: 57.0%
on 19x19 KGS games).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .common import loss_drop, resolve_config, train_steps, write_json
from .data import boards_of, load_expert, split_by_game


@dataclass(frozen=True)
class SLConfig:
    net: str = "9x9"
    """PolicyNet preset (goengine.models.nets.POLICY_PRESETS: tiny, 9x9, 19x19)."""
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    """Adam learning rate (the paper: plain SGD at 0.003 on 50 GPUs for weeks)."""
    weight_decay: float = 1e-4
    holdout: float = 0.1
    """Fraction of the games held out for the accuracy."""
    symmetries: bool = True
    """Augment each sample with a random one of the 8 symmetries."""
    checkpoint_every: int = 200
    seed: int = 0


def expert_planes(data: dict, index: np.ndarray, chunk: int = 512):
    """(planes uint8 (S, 48, N, N), legal uint8 (S, N*N+1), targets int64 (S,)) of samples."""
    from goengine.features import lee_planes
    size = int(data["size"])
    planes = np.zeros((len(index), 48, size, size), dtype=np.uint8)
    legal = np.zeros((len(index), size * size + 1), dtype=np.uint8)
    for s in range(0, len(index), chunk):
        part = index[s:s + chunk]
        boards = boards_of(data, part)
        colors = data["to_play"][part].astype(np.int32)
        planes[s:s + len(part)] = lee_planes(boards, colors, data["last_moves"][part], 48)
        for k, (b, c) in enumerate(zip(boards, colors)):
            legal[s + k] = b.legal_mask(int(c))
    return planes, legal, data["move"][index].astype(np.int64)


def policy_accuracy(model, planes, legal, targets, chunk: int = 256) -> float:
    """Share of samples whose target is the model's most probable legal move."""
    import torch
    if len(targets) == 0:
        return float("nan")
    hits = 0
    with torch.no_grad():
        for s in range(0, len(targets), chunk):
            logits = model(torch.from_numpy(planes[s:s + chunk].astype(np.float32))).numpy()
            logits[legal[s:s + chunk] == 0] = -np.inf
            hits += int((logits.argmax(1) == targets[s:s + chunk]).sum())
    return hits / len(targets)


def symmetric_batch(planes, targets, rng, size: int, symmetries: bool):
    """The batch with sample k seen through a random symmetry t_k, and its targets moved alike."""
    from goengine.features import action_map, apply_planes
    x = planes.astype(np.float32)
    y = targets.copy()
    if symmetries:
        ts = rng.integers(0, 8, len(targets))
        for t in np.unique(ts):
            if t == 0:
                continue
            sel = ts == t
            x[sel] = apply_planes(x[sel], int(t))
            y[sel] = action_map(size, int(t))[targets[sel]]
    return x, y


def train_sl(run, data_folder, config: SLConfig | None = None, progress: bool = True, log=print) -> dict:
    import torch
    import torch.nn.functional as F
    from goengine.models import PolicyNet, PolicyNetConfig, save
    from goengine.models.nets import POLICY_PRESETS
    run = Path(run)
    config = resolve_config(run, config, SLConfig)
    if config.net not in POLICY_PRESETS:
        raise ValueError(f"unknown PolicyNet preset {config.net!r}; choose from {sorted(POLICY_PRESETS)}")
    data = load_expert(data_folder)
    size = int(data["size"])
    train_idx, held_idx = split_by_game(data, config.holdout, config.seed)
    log(f"SL policy: {len(train_idx)} training and {len(held_idx)} held-out positions; extracting lee48 planes")
    xt, lt, yt = expert_planes(data, train_idx)
    xh, lh, yh = expert_planes(data, held_idx)
    torch.manual_seed(config.seed)
    net = PolicyNet(PolicyNetConfig(**{**POLICY_PRESETS[config.net], "board_size": size}))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)

    def step(_):
        pos = rng.integers(0, len(yt), config.batch_size)
        x, y = symmetric_batch(xt[pos], yt[pos], rng, size, config.symmetries)
        loss = F.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    losses = train_steps(run, net, opt, rng, config.steps, step, checkpoint_every=config.checkpoint_every,
                         progress=progress, desc="SL policy")
    first, last = loss_drop(losses)
    metrics = dict(train_positions=len(yt), heldout_positions=len(yh),
                   train_accuracy=policy_accuracy(net, xt, lt, yt), heldout_accuracy=policy_accuracy(net, xh, lh, yh),
                   loss_first=first, loss_last=last, steps=len(losses), config=asdict(config), data=str(data_folder))
    save(net, run / "sl.pt", meta={"recipe": "lee", "stage": "sl", **{k: v for k, v in metrics.items() if k != "config"}})
    write_json(run / "metrics.json", metrics)
    log(f"SL policy: loss {first:.3f} -> {last:.3f}; accuracy train {metrics['train_accuracy']:.1%}, "
        f"held-out {metrics['heldout_accuracy']:.1%}")
    return metrics
