"""Weight averaging: one network from the mean of several checkpoints of one training run.

    goengine-train average --run runs/zero9-run6 --from 20 --to 60 --out runs/swa/net.pt
    goengine-train average --weights a.pt b.pt c.pt --shards runs/zero9/selfplay --out net.pt

Stochastic weight averaging (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima
and Better Generalization"): SGD with a constant or cyclic learning rate wanders around a
wide basin, and the mean of the weights it passes through lies nearer the basin's centre
than any one of them, which generalises better. KataGo ships such an average of its
training weights rather than the last snapshot. A Zero run's trainer keeps learning from
one generation to the next (training/zero.py saves every candidate), so its consecutive
candidates are points on one SGD path and can be averaged.

Every floating-point tensor of the state dicts is averaged (convolution and head weights,
batch-norm scales and shifts); the batch-norm running statistics of the mean network are
not the mean of the statistics, so they are measured again (`recalibrate_batchnorm`): the
running mean and variance are reset and re-estimated as a cumulative average over batches
of self-play positions (with random symmetries, as in training), the network otherwise
unchanged. The result is an ordinary ZeroNet checkpoint whose meta names its sources.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from torch import nn

from goengine.models import load, save
from goengine.models.checkpoint import config_dict


def average_models(models: list[nn.Module]) -> nn.Module:
    """A copy of models[0] whose floating-point parameters and buffers are the mean of all
    the models' (integer buffers, batch norm's step counters, are taken from the first)."""
    if not models:
        raise ValueError("no networks to average")
    first = config_dict(models[0])
    for i, m in enumerate(models[1:], 1):
        if type(m) is not type(models[0]) or config_dict(m) != first:
            raise ValueError(f"network {i} has another architecture than network 0 "
                             f"({config_dict(m)} against {first}): only one run's networks can be averaged")
    states = [m.state_dict() for m in models]
    mean = {}
    for key, value in states[0].items():
        if value.is_floating_point():
            mean[key] = torch.stack([s[key].float() for s in states]).mean(0).to(value.dtype)
        else:
            mean[key] = value.clone()
    out = copy.deepcopy(models[0])
    out.load_state_dict(mean)
    return out


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, window, batches: int = 100, batch_size: int = 256,
                          seed: int = 0) -> nn.Module:
    """Re-estimate every BatchNorm layer's running mean and variance over `batches` batches
    of `window` (a training.datasets.ReplayWindow), as cumulative averages; the weights are
    untouched. Returns the model in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or batches <= 0:
        return model.eval()
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: every batch counts the same
    device = next(model.parameters()).device
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(batches):
        x = window.batch(rng, batch_size).x
        model(torch.from_numpy(x).to(device))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    return model.eval()


def run_candidates(run: Path, first: int, last: int) -> list[Path]:
    """The trained candidates first..last of a Zero run folder (missing ones skipped)."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    found = sorted(p for p in (run / "train").glob("candidate_*.pt")
                   if first <= int(p.stem.split("_")[1]) <= last)
    if not found:
        raise FileNotFoundError(f"{run}: no trained candidates between generations {first} and {last}")
    return found


def average(paths: list[Path], shards: list[Path], out: Path, batches: int = 100,
            batch_size: int = 256, window_samples: int = 200_000, seed: int = 0) -> nn.Module:
    """Average the ZeroNets at `paths`, re-measure batch norm on the newest `window_samples`
    positions of `shards`, and save the result to `out`."""
    from .datasets import ReplayWindow
    models = [load(p, kind="zero") for p in paths]
    model = average_models(models)
    if batches > 0:
        if not shards:
            raise FileNotFoundError("no self-play shards to re-measure batch norm on (give --shards)")
        recalibrate_batchnorm(model, ReplayWindow.from_paths(shards, window_samples), batches, batch_size, seed)
    metas = [getattr(m, "meta", {}) for m in models]
    meta = {**metas[-1], "recipe": "zero", "averaged_from": [str(p) for p in paths],
            "bn_batches": batches}
    save(model, out, meta)
    return model


def _average_command(args) -> int:
    from selfplay.records import list_shards
    if bool(args.weights) == bool(args.run):
        raise ValueError("give either --weights A.pt B.pt ... or --run RUN --from G --to H")
    if args.run:
        run = Path(args.run)
        paths = run_candidates(run, args.first, args.last)
        shard_dirs = args.shards or [str(run / "selfplay")]
    else:
        paths = [Path(p) for p in args.weights]
        shard_dirs = args.shards or []
    shards = [s for d in shard_dirs for s in (list_shards(d) if Path(d).is_dir() else [Path(d)])]
    average(paths, shards, Path(args.out), args.bn_batches, args.batch_size, args.window, args.seed)
    print(f"averaged {len(paths)} networks ({paths[0].name} .. {paths[-1].name}), batch norm re-measured "
          f"over {args.bn_batches} batches of {args.batch_size}: {args.out}")
    return 0


def add_commands(sub) -> None:
    a = sub.add_parser("average", help="average the weights of several checkpoints of one run (SWA)")
    a.add_argument("--weights", nargs="+", metavar="CHECKPOINT", help="the ZeroNet checkpoints to average")
    a.add_argument("--run", help="a Zero run folder: average its trained candidates --from..--to")
    a.add_argument("--from", dest="first", type=int, default=1, help="first candidate generation (--run)")
    a.add_argument("--to", dest="last", type=int, default=10**9, help="last candidate generation (--run)")
    a.add_argument("--shards", nargs="+", metavar="PATH",
                   help="self-play shards or folders for re-measuring batch norm (default: the run's)")
    a.add_argument("--window", type=int, default=200_000, help="newest positions drawn from (default 200000)")
    a.add_argument("--bn-batches", type=int, default=100, help="batches for batch norm's statistics (0: keep the mean)")
    a.add_argument("--batch-size", type=int, default=256)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--out", required=True, help="the averaged checkpoint to write")
    a.set_defaults(func=_average_command)

