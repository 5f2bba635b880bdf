"""Lighter networks: distillation into a small student, and pruning of low-magnitude channels
with fine-tuning. Both write ordinary ZeroNet checkpoints (goengine.models.load reads them).

    goengine-train distill --teacher runs/zero9/models/gen_0040.pt --shards runs/zero9/selfplay \\
        --student small --steps 4000 --out runs/distill/small.pt
    goengine-train prune --weights runs/zero9/models/gen_0040.pt --amount 0.25 \\
        --shards runs/zero9/selfplay --steps 1000 --out runs/prune/pruned.pt
    goengine-train export --weights runs/zero9/models/gen_0040.pt --out zero.onnx [--int8]

Distillation (Hinton et al. 2015) on self-play positions: the student learns from a mix of
the teacher's search outputs stored in the shards (the MCTS visit distribution pi and the
outcome z, what the teacher's self-play produced) and the teacher network's own outputs on
the same positions, computed on the fly:

    target_p = (1 - alpha) * w * pi + (alpha + (1 - alpha) * (1 - w)) * softmax(teacher_logits / T)
    target_v = (1 - alpha) * z + alpha * teacher_v
    loss     = -target_p . log softmax(student_logits) + (target_v - student_v)^2

(w = 1 for a full search, 0 for a playout-cap cheap one, whose pi is no target; alpha = 1 is
pure teacher imitation, alpha = 0 ordinary training on the shards.)

Without a teacher the student learns pi and z alone: Leela Zero's way of moving a run to a
bigger network, trained from scratch on the run's games and then continued by self-play
(`goengine-train zero --init OUT --window-from RUN`):

    goengine-train distill --shards runs/zero9/selfplay --student 9x9 --filters 48 --window 1000000 \
        --steps 4000 --batch-size 256 --holdout-every 20 --compare runs/zero9/models/gen_0040.pt \
        --out runs/boot/net.pt

`--holdout-every N` keeps every N-th shard (whole games) out of training and measures the
student's policy and value losses on them every `--eval-every` steps (OUT's name with .csv),
beside `--compare`, another network measured once on the same games.

Pruning (Li et al. 2017, "Pruning Filters for Efficient ConvNets": L1 norms of filters) keeps
`filters` channels of the residual stream and of each block's inner convolution. A channel's
score is the L1 norm of the filters that write it (batch norm folded in, so its scale counts),
times the L1 norm of the weights that read it, each normalised by the layer's mean; the
residual stream sums the writers (stem, every block's second convolution) and the readers
(every block's first convolution, both heads), because one channel runs through the whole
tower. The kept slices make a ZeroNet of the narrower width, which is then fine-tuned by the
distillation loop with the unpruned network as its teacher.

Training resumes: progress is saved every `checkpoint_every` steps next to the output
(`OUT.progress.pt`) and the same command continues from it.
"""
from __future__ import annotations

import copy
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from goengine.models import ZeroNet, load, save, zero_config
from goengine.models.backends import set_threads
from goengine.fileio import keep_csv_rows
from goengine.models.checkpoint import atomic_torch_save
from goengine.progress import progress_bar as _bar
from selfplay.records import list_shards

from .datasets import ReplayWindow, split_holdout

__all__ = ["DistillConfig", "distill", "prune_zeronet", "channel_scores", "add_commands"]


@dataclass(frozen=True)
class DistillConfig:
    steps: int = 2000
    """SGD steps."""
    batch_size: int = 128
    learning_rate: float = 0.02
    """Initial SGD learning rate; divided by 10 at each of lr_drops (fractions of steps)."""
    lr_drops: tuple = (0.5, 0.75)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    alpha: float = 0.5
    """Weight of the teacher network's outputs against the shards' search targets (pi, z)."""
    temperature: float = 1.0
    """T: the teacher's policy is softmax(logits / T)."""
    window: int = 250_000
    """The newest samples of the shards that training draws from."""
    checkpoint_every: int = 200
    """Steps between progress checkpoints (resume points)."""
    holdout_every: int = 0
    """Hold out every N-th shard (whole games) and measure the student on them; 0: none."""
    eval_every: int = 500
    """Steps between measurements on the held-out shards (logged to OUT.csv)."""
    device: str = "auto"
    """"auto" (CUDA when present), "cpu" or "cuda"."""
    seed: int = 0


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def shard_paths(paths) -> list[Path]:
    """Shard files: the given .npz files and every shard under the given folders."""
    out = []
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        path = Path(path)
        if path.is_dir():
            out.extend(list_shards(path))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such shard or folder")
    if not out:
        raise ValueError(f"no self-play shards in {', '.join(map(str, paths))}")
    return out


def distill_losses(student, teacher, x, pi, z, w, alpha: float, temperature: float):
    """(policy loss, value loss) of the student against the mixed targets (module docstring)."""
    logits, v = student(x)
    if teacher is not None and alpha > 0:
        with torch.no_grad():
            t_logits, t_v = teacher(x)
            t_p = F.softmax(t_logits / temperature, dim=1)
        share = (1 - alpha) * w
        target_p = share[:, None] * pi + (1 - share)[:, None] * t_p
        target_v = (1 - alpha) * z + alpha * t_v
        policy_loss = -(target_p * F.log_softmax(logits, dim=1)).sum(1).mean()
    else:
        target_v = z
        policy_loss = -(w * (pi * F.log_softmax(logits, dim=1)).sum(1)).sum() / w.sum().clamp(min=1)
    return policy_loss, F.mse_loss(v, target_v)


@torch.no_grad()
def held_out_loss(model, window: ReplayWindow, batch_size: int = 1024) -> dict:
    """AlphaGo Zero's loss terms on every sample of `window` as played: policy cross-entropy
    against pi (full searches only) and value MSE against z, the model in eval mode."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    policy_sum = weight_sum = value_sum = 0.0
    for batch in window.in_order(batch_size):
        x, pi, z, w = (torch.from_numpy(a).to(device) for a in batch[:4])
        policy_loss, value_loss = distill_losses(model, None, x, pi, z, w, 0.0, 1.0)
        policy_sum += policy_loss.item() * w.sum().clamp(min=1).item()
        weight_sum += w.sum().item()
        value_sum += value_loss.item() * z.shape[0]
    model.train(was_training)
    return {"policy_loss": round(policy_sum / max(weight_sum, 1.0), 5),
            "value_loss": round(value_sum / len(window), 5)}


def _truncate_log(path: Path, step: int) -> None:
    """Drop the rows of the held-out log after `step` (written after the last progress
    checkpoint, before a kill), so that a resumed run writes each step once."""
    keep_csv_rows(path, lambda row: int(row[0]) <= step)


def distill(student, teacher, shards, out, config: DistillConfig = DistillConfig(), meta: dict | None = None,
            log=print, progress: bool = True, compare=None):
    """Train `student` on the shards against `teacher` (None: on the shards alone) and save
    it to `out` (an ordinary checkpoint). Resumes from OUT.progress.pt when present. With
    config.holdout_every, every N-th shard is held out and the student measured on it every
    config.eval_every steps (OUT.csv), beside `compare` (a ZeroNet) measured there once."""
    out = Path(out)
    progress_path = out.with_name(out.name + ".progress.pt")
    log_path = out.with_name(out.stem + ".csv")
    device = _device(config.device)
    paths, held = shard_paths(shards), None
    if config.holdout_every:
        paths, held_paths = split_holdout(paths, config.holdout_every)
        held = ReplayWindow.from_paths(held_paths)
    window = ReplayWindow.from_paths(paths, config.window)
    if student.config.board_size != window.size:
        raise ValueError(f"the shards are {window.size}x{window.size}, the student plays "
                         f"{student.config.board_size}x{student.config.board_size}")
    if teacher is not None:
        from goengine.models.fuse import fuse_batchnorm
        teacher = fuse_batchnorm(teacher.to(device).eval())
    student = student.to(device).train()
    opt = torch.optim.SGD(student.parameters(), lr=config.learning_rate, momentum=config.momentum,
                          weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    step = 0
    if progress_path.exists():
        data = torch.load(progress_path, map_location=device, weights_only=False)
        student.load_state_dict(data["model"])
        opt.load_state_dict(data["optimizer"])
        step = data["step"]
        rng.bit_generator.state = data["rng"]
        log(f"{out}: resuming at step {step}")
        _truncate_log(log_path, step)
    reference = None
    if held is not None:
        log(f"{out}: {len(window)} training samples, {len(held)} held out in {len(held_paths)} shards")
        if compare is not None:
            reference = held_out_loss(compare.to(device), held)
            log(f"{out}: reference on the held-out games: policy {reference['policy_loss']:.4f}, "
                f"value {reference['value_loss']:.4f}")
        if not log_path.exists():
            log_path.write_text("step,lr,policy_loss,value_loss,held_policy_loss,held_value_loss\n")
    bar = _bar(config.steps, f"{out.stem}", progress, step)
    losses = (float("nan"), float("nan"))
    h = None  # the newest held-out measurement: the loop's last one is at config.steps
    while step < config.steps:
        lr = config.learning_rate * 0.1 ** sum(step >= d * config.steps for d in config.lr_drops)
        for group in opt.param_groups:
            group["lr"] = lr
        x, pi, z, w = (torch.from_numpy(a).to(device) for a in window.batch(rng, config.batch_size)[:4])
        policy_loss, value_loss = distill_losses(student, teacher, x, pi, z, w, config.alpha, config.temperature)
        loss = policy_loss + value_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        bar.update(1)
        losses = (policy_loss.item(), value_loss.item())
        if held is not None and (step % config.eval_every == 0 or step == config.steps):
            h = held_out_loss(student, held)
            with open(log_path, "a") as f:
                f.write(f"{step},{lr:.5g},{losses[0]:.5f},{losses[1]:.5f},{h['policy_loss']},{h['value_loss']}\n")
            log(f"{out}: step {step}: held-out policy {h['policy_loss']:.4f}, value {h['value_loss']:.4f}")
        if step % config.checkpoint_every == 0 and step < config.steps:
            atomic_torch_save({"model": student.state_dict(), "optimizer": opt.state_dict(), "step": step,
                               "rng": rng.bit_generator.state}, progress_path)
    bar.close()
    student.eval()
    info = {"steps": step, "samples": len(window), "policy_loss": round(losses[0], 5),
            "value_loss": round(losses[1], 5), "distill": dataclasses.asdict(config)}
    info["distill"]["lr_drops"] = list(config.lr_drops)
    if held is not None:
        info["held_out"] = h if h is not None else held_out_loss(student, held)
        if reference is not None:
            info["held_out_reference"] = reference
    student.meta = {**(meta or {}), **info}  # as load() would give it
    save(student.cpu(), out, student.meta)
    if progress_path.exists():
        progress_path.unlink()
    return student


# ----------------------------------------------------------------------------- pruning
def _folded(conv, bn) -> torch.Tensor:
    """Conv weights (out, in, k, k) with the batch norm's per-channel scale folded in."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return conv.weight * scale[:, None, None, None]


def _normalised(x: torch.Tensor) -> torch.Tensor:
    return x / x.mean().clamp(min=1e-12)


def channel_scores(model: ZeroNet) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(residual-stream scores (filters,), one score vector per block's inner channels)."""
    with torch.no_grad():
        writers = [_folded(model.stem[0], model.stem[1])]
        writers += [_folded(b.conv2, b.bn2) for b in model.tower]
        readers = [b.conv1.weight.transpose(0, 1) for b in model.tower]
        readers += [model.policy_conv[0].weight.transpose(0, 1), model.value_conv[0].weight.transpose(0, 1)]
        write = sum(_normalised(w.abs().flatten(1).sum(1)) for w in writers)
        read = sum(_normalised(r.abs().flatten(1).sum(1)) for r in readers)
        stream = write * read
        inner = [_normalised(_folded(b.conv1, b.bn1).abs().flatten(1).sum(1))
                 * _normalised(b.conv2.weight.abs().transpose(0, 1).flatten(1).sum(1)) for b in model.tower]
    return stream, inner


def _copy_bn(dst, src, idx) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(dst, name).data.copy_(getattr(src, name).data[idx])
    dst.num_batches_tracked.data.copy_(src.num_batches_tracked.data)


def prune_zeronet(model: ZeroNet, filters: int) -> ZeroNet:
    """A ZeroNet of width `filters` made of the highest-scoring channels of `model`
    (channel_scores): the residual stream and each block's inner channels keep `filters`."""
    old = model.config.filters
    if not 0 < filters <= old:
        raise ValueError(f"pruned width must be 1..{old}, got {filters}")
    stream, inner = channel_scores(model)
    keep = torch.sort(torch.topk(stream, filters).indices).values
    pruned = ZeroNet(dataclasses.replace(model.config, filters=filters))
    with torch.no_grad():
        pruned.stem[0].weight.copy_(model.stem[0].weight[keep])
        _copy_bn(pruned.stem[1], model.stem[1], keep)
        for new, blk, score in zip(pruned.tower, model.tower, inner):
            mid = torch.sort(torch.topk(score, filters).indices).values
            new.conv1.weight.copy_(blk.conv1.weight[mid][:, keep])
            _copy_bn(new.bn1, blk.bn1, mid)
            new.conv2.weight.copy_(blk.conv2.weight[keep][:, mid])
            _copy_bn(new.bn2, blk.bn2, keep)
        for head in ("policy_conv", "value_conv"):
            new_head, old_head = getattr(pruned, head), getattr(model, head)
            new_head[0].weight.copy_(old_head[0].weight[:, keep])
            new_head[1].load_state_dict(old_head[1].state_dict())
        pruned.policy_fc.load_state_dict(model.policy_fc.state_dict())
        pruned.value_fc.load_state_dict(model.value_fc.state_dict())
    return pruned.eval()


# ----------------------------------------------------------------------------- command line
def _config_from(args) -> DistillConfig:
    changes = {k: getattr(args, k) for k in ("steps", "batch_size", "learning_rate", "alpha", "temperature",
                                            "window", "device", "seed", "holdout_every", "eval_every",
                                            "checkpoint_every")
               if getattr(args, k, None) is not None}
    if getattr(args, "lr_drops", None) is not None:
        if not all(0 < d < 1 for d in args.lr_drops):
            raise ValueError(f"--lr-drops are fractions of the steps, between 0 and 1: got {args.lr_drops}")
        changes["lr_drops"] = tuple(args.lr_drops)
    return dataclasses.replace(DistillConfig(), **changes)


def _add_training_flags(p, steps: int, lr: float, shards_required: bool = True) -> None:
    p.add_argument("--shards", nargs="+", required=shards_required,
                   help="self-play shards or folders of them (recursive)")
    p.add_argument("--out", required=True, help="checkpoint to write (progress kept in OUT.progress.pt)")
    p.add_argument("--steps", type=int, default=steps, help=f"SGD steps (default {steps})")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float, default=lr, help=f"initial SGD learning rate (default {lr})")
    p.add_argument("--lr-drops", type=float, nargs="+", metavar="FRACTION",
                   help="fractions of the steps where the learning rate drops tenfold (default 0.5 0.75)")
    p.add_argument("--alpha", type=float, help="weight of the teacher's outputs vs the shards' pi and z (default 0.5)")
    p.add_argument("--temperature", type=float, help="softmax temperature of the teacher's policy (default 1)")
    p.add_argument("--window", type=int, help="newest samples drawn from (default 250000)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--seed", type=int)
    p.add_argument("--holdout-every", type=int, metavar="N",
                   help="hold out every N-th shard (whole games) and measure the network on them")
    p.add_argument("--eval-every", type=int, metavar="STEPS",
                   help="steps between held-out measurements, logged to OUT's name .csv (default 500)")
    p.add_argument("--checkpoint-every", type=int, metavar="STEPS",
                   help="steps between progress checkpoints, the resume points (default 200)")
    p.add_argument("--compare", metavar="WEIGHTS", help="a ZeroNet measured once on the same held-out games")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _log(args):
    return (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))


def _distill(args) -> int:
    set_threads(args.threads, what="goengine-train compress")  # None: from the free cores
    teacher = load(args.teacher, kind="zero") if args.teacher else None
    compare = load(args.compare, kind="zero") if args.compare else None
    if teacher is not None:
        size = teacher.config.board_size
    else:
        from selfplay.records import read_shard
        size = int(read_shard(shard_paths(args.shards)[0])["size"])
    changes = {"board_size": size}
    if args.blocks is not None:
        changes["blocks"] = args.blocks
    if args.filters is not None:
        changes["filters"] = args.filters
    torch.manual_seed(args.seed or 0)
    if args.init:
        student = load(args.init, kind="zero")
        config = student.config
        if config.board_size != size:
            raise ValueError(f"{args.init} plays {config.board_size}x{config.board_size}, the shards "
                             f"{size}x{size}")
    else:
        config = zero_config(args.student, **changes)
        student = ZeroNet(config)
    meta = ({"recipe": "distill", "teacher": str(args.teacher), "preset": args.student} if teacher else
            {"recipe": "zero", "bootstrapped_from": [str(s) for s in args.shards], "preset": args.student})
    if args.init:
        meta["initial_weights"] = str(args.init)
    student = distill(student, teacher, args.shards, args.out, _config_from(args), meta=meta,
                      log=_log(args), progress=not args.quiet, compare=compare)
    source = (f"teacher {teacher.config.blocks}x{teacher.config.filters}: {_params(teacher)}" if teacher
              else "no teacher")
    print(f"student {config.blocks}x{config.filters} ({_params(student)} parameters, {source}) "
          f"written to {args.out}")
    held, ref = student.meta.get("held_out"), student.meta.get("held_out_reference")
    if held:
        print(f"held-out games: policy loss {held['policy_loss']:.4f}, value loss {held['value_loss']:.4f}")
        if ref:
            print(f"{args.compare} on them: policy loss {ref['policy_loss']:.4f}, value loss "
                  f"{ref['value_loss']:.4f}")
    return 0


def _prune(args) -> int:
    set_threads(args.threads, what="goengine-train compress")  # None: from the free cores
    model = load(args.weights, kind="zero")
    old = model.config.filters
    if args.filters is not None:
        filters = args.filters
    else:
        filters = max(1, int(round(old * (1.0 - args.amount))))
    pruned = prune_zeronet(model, filters)
    meta = {"recipe": "prune", "pruned_from": str(args.weights), "filters_before": old}
    if args.steps > 0:
        if not args.shards:
            raise ValueError("fine-tuning needs --shards (or --steps 0 to prune only)")
        pruned = distill(pruned, copy.deepcopy(model), args.shards, args.out, _config_from(args), meta=meta,
                         log=_log(args), progress=not args.quiet)
    else:
        save(pruned, args.out, {**meta, "steps": 0})
    print(f"pruned {old} -> {filters} filters ({_params(model)} -> {_params(pruned)} parameters), "
          f"fine-tuned {args.steps} steps, written to {args.out}")
    return 0


def _export(args) -> int:
    from goengine.models.checkpoint import read
    from goengine.models.onnx_backend import export_onnx, write_bytes_atomic

    set_threads(args.threads, what="goengine-train compress")  # None: from the free cores
    kind = read(args.weights)["kind"]
    if kind == "rollout":
        raise ValueError(f"{args.weights}: a rollout policy runs in C (FastRolloutPolicy), not ONNX")
    model = load(args.weights)
    data = export_onnx(model, meta={"source": str(args.weights)})
    if args.int8:
        from goengine.models import PolicyValueEvaluator
        from goengine.models.quantize import calibration_planes, quantize_onnx
        if kind != "zero":
            raise ValueError("--int8 export is for ZeroNet checkpoints (calibration reads zero17 positions)")
        evaluator = PolicyValueEvaluator(model, symmetries="none")
        planes = calibration_planes(evaluator, shards=args.shards, positions=args.positions, rng=args.seed or 0)
        data = quantize_onnx(data, planes)
    write_bytes_atomic(args.out, data)
    print(f"{kind} network exported to {args.out} ({len(data) / 1e6:.2f} MB{', int8' if args.int8 else ''})")
    return 0


def _params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def add_commands(sub) -> None:
    """Register `distill`, `prune` and `export` on goengine-train's subparsers."""
    d = sub.add_parser("distill", help="train a ZeroNet student on a teacher's self-play and outputs, or "
                                       "without a teacher on a run's games alone (a new, bigger network)")
    d.add_argument("--teacher", help="the teacher's ZeroNet checkpoint (none: learn pi and z only)")
    d.add_argument("--student", default="small", help="student ZeroNet preset (default small: 4x32)")
    d.add_argument("--blocks", type=int, help="student residual blocks (overrides the preset)")
    d.add_argument("--filters", type=int, help="student filters (overrides the preset)")
    d.add_argument("--init", metavar="WEIGHTS", help="start the student from this ZeroNet (its size "
                                                   "overrides --student, --blocks, --filters)")
    _add_training_flags(d, steps=2000, lr=0.02)
    d.set_defaults(func=_distill)

    p = sub.add_parser("prune", help="drop a ZeroNet's low-magnitude channels, then fine-tune")
    p.add_argument("--weights", required=True, help="the ZeroNet checkpoint to prune")
    width = p.add_mutually_exclusive_group()
    width.add_argument("--amount", type=float, default=0.25, help="share of channels removed (default 0.25)")
    width.add_argument("--filters", type=int, help="width after pruning (instead of --amount)")
    _add_training_flags(p, steps=500, lr=0.005, shards_required=False)
    p.set_defaults(func=_prune)

    e = sub.add_parser("export", help="write a checkpoint as an ONNX model (dynamic batch), optionally int8")
    e.add_argument("--weights", required=True, help="a zero, policy or value checkpoint")
    e.add_argument("--out", required=True, help="the .onnx file to write")
    e.add_argument("--int8", action="store_true", help="quantise to int8, calibrated on self-play positions")
    e.add_argument("--shards", nargs="+", help="calibration shards (default: a quick self-play)")
    e.add_argument("--positions", type=int, default=256, help="calibration positions (default 256)")
    e.add_argument("--threads", type=int)
    e.add_argument("--seed", type=int)
    e.set_defaults(func=_export)


