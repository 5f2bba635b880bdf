"""The fast rollout policy (AlphaGo 2016, Methods "Rollout policy"): a linear softmax over
pattern features (goengine/features/_patterns.pyx), p(a|s) ∝ exp(Σ_{i∈φ(s,a)} w_i), trained by
maximum likelihood on expert moves; the weights load unchanged into the C sampler
(`FastRolloutPolicy(RolloutNet.export())`).

    goengine-train rollout --data runs/lee/expert9 --run runs/lee/rollout9

Run folder: config.json, progress.pt (resume), train_log.csv, rollout.pt (the checkpoint,
kind "rollout"), metrics.json (held-out move-prediction accuracy; the paper: 24.2% on 19x19).
Samples whose expert move is not a candidate of the sampler (a pass, an own-eye fill) are
left out of training and counted as misses in the accuracy.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .common import loss_drop, resolve_config, train_steps, write_json
from .data import boards_of, load_expert, split_by_game


@dataclass(frozen=True)
class RolloutConfig:
    steps: int = 2000
    """Optimiser steps (minibatches of positions)."""
    batch_size: int = 64
    """Positions per minibatch."""
    lr: float = 0.05
    """Adam learning rate (the weights are one scalar per pattern)."""
    weight_decay: float = 1e-5
    holdout: float = 0.1
    """Fraction of the games held out for the accuracy."""
    tree: bool = False
    """Train the tree policy's feature set (every legal move a candidate) instead."""
    checkpoint_every: int = 200
    seed: int = 0


class MoveFeatureSet:
    """move_features of many positions, flattened: position p has candidates
    cand[p]:cand[p+1] (actions[c], features indices[off[c]:off[c+1]]) and target[p] (the index
    within its candidates of the move played, -1 when it is not one)."""

    def __init__(self, data: dict, index: np.ndarray, tree: bool = False):
        from goengine.features import move_features
        actions, offs, idx, cand, target = [], [np.zeros(1, np.int64)], [], [0], []
        total = 0
        for board, i in zip(boards_of(data, index), index):
            lm = data["last_moves"][i]
            a, o, ind = move_features(board, int(data["to_play"][i]), prev=int(lm[0]), prev2=int(lm[1]), tree=tree)
            actions.append(a)
            offs.append(o[1:] + total)
            total += int(o[-1])
            idx.append(ind)
            cand.append(cand[-1] + len(a))
            hit = np.flatnonzero(a == int(data["move"][i]))
            target.append(int(hit[0]) if len(hit) else -1)
        self.actions = np.concatenate(actions) if actions else np.zeros(0, np.int32)
        self.off = np.concatenate(offs).astype(np.int64)
        self.indices = np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, np.int64)
        self.cand = np.array(cand, dtype=np.int64)
        self.target = np.array(target, dtype=np.int64)

    def __len__(self):
        return len(self.target)

    def batch(self, positions: np.ndarray):
        """Torch tensors (indices, offsets, groups, targets) for RolloutNet and its loss."""
        import torch
        starts, ends = self.cand[positions], self.cand[positions + 1]
        cands = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
        counts = ends - starts
        groups = np.repeat(np.arange(len(positions)), counts)
        f_starts, f_ends = self.off[cands], self.off[cands + 1]
        indices = np.concatenate([self.indices[s:e] for s, e in zip(f_starts, f_ends)])
        offsets = np.concatenate([[0], np.cumsum(f_ends - f_starts)[:-1]])
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        targets = first + self.target[positions]
        return (torch.from_numpy(indices), torch.from_numpy(offsets.astype(np.int64)),
                torch.from_numpy(groups), torch.from_numpy(targets.astype(np.int64)))

    def accuracy(self, model, chunk: int = 256) -> float:
        """Share of positions whose expert move is the model's most probable candidate."""
        import torch
        hits = 0
        with torch.no_grad():
            for s in range(0, len(self), chunk):
                pos = np.arange(s, min(s + chunk, len(self)))
                pos = pos[self.cand[pos + 1] > self.cand[pos]]
                if len(pos) == 0:
                    continue
                ind, off, groups, _ = self.batch(pos)
                logits = model(ind, off).numpy()
                g = groups.numpy()
                for k, p in enumerate(pos):
                    if self.target[p] >= 0 and int(np.argmax(logits[g == k])) == self.target[p]:
                        hits += 1
        return hits / max(1, len(self))


def train_rollout(run, data_folder, config: RolloutConfig | None = None, progress: bool = True, log=print) -> dict:
    import torch
    from goengine.features import NUM_ROLLOUT_FEATURES, NUM_TREE_FEATURES
    from goengine.models import RolloutNet, RolloutNetConfig, save
    run = Path(run)
    config = resolve_config(run, config, RolloutConfig)
    data = load_expert(data_folder)
    train_idx, held_idx = split_by_game(data, config.holdout, config.seed)
    log(f"rollout policy: {len(train_idx)} training and {len(held_idx)} held-out positions; extracting features")
    train = MoveFeatureSet(data, train_idx, tree=config.tree)
    held = MoveFeatureSet(data, held_idx, tree=config.tree)
    usable = np.flatnonzero(train.target >= 0)
    if len(usable) == 0:
        raise ValueError(f"{data_folder}: no training position whose expert move is a rollout candidate")
    torch.manual_seed(config.seed)
    net = RolloutNet(RolloutNetConfig(board_size=int(data["size"]), tree=config.tree,
                                      num_features=NUM_TREE_FEATURES if config.tree else NUM_ROLLOUT_FEATURES))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)

    def step(_):
        pos = usable[rng.integers(0, len(usable), config.batch_size)]
        ind, off, groups, targets = train.batch(pos)
        loss = RolloutNet.loss(net(ind, off), groups, targets, len(pos))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    losses = train_steps(run, net, opt, rng, config.steps, step, checkpoint_every=config.checkpoint_every,
                         progress=progress, desc="rollout policy")
    first, last = loss_drop(losses)
    metrics = dict(train_positions=len(train), heldout_positions=len(held),
                   train_accuracy=train.accuracy(net), heldout_accuracy=held.accuracy(net),
                   loss_first=first, loss_last=last, steps=len(losses), config=asdict(config),
                   data=str(data_folder))
    save(net, run / "rollout.pt", meta={"recipe": "lee", "stage": "rollout", **{k: v for k, v in metrics.items()
                                                                                 if k != "config"}})
    write_json(run / "metrics.json", metrics)
    log(f"rollout policy: loss {first:.3f} -> {last:.3f}; move-prediction accuracy train "
        f"{metrics['train_accuracy']:.1%}, held-out {metrics['heldout_accuracy']:.1%}")
    return metrics


def load_rollout_policy(path):
    """A FastRolloutPolicy (the search's C sampler) from a rollout checkpoint."""
    from goengine.features import FastRolloutPolicy
    from goengine.models import load
    return FastRolloutPolicy(load(path, kind="rollout").export())
