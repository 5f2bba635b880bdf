"""The Zero loop's trainer under torchrun: DistributedDataParallel over N processes.

    torchrun --nproc-per-node 4 -m training zero --run runs/zero9 --preset 9x9
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 \\
        -m training zero --run /shared/runs/zero19 --preset 19x19

torchrun starts the processes and sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR;
`Distributed.from_env()` joins them (gloo on CPU, nccl on CUDA, one GPU per process).

Roles. Rank 0 is the run's driver: it runs the loop as one process would (self-play with the
local or the Ray backend, gating, promotion) and is the only writer of the run folder. At each
training stage it tells the other ranks "train generation g" over a gloo control group, and all
ranks train together; between training stages the others wait for the next command. So the
run folder, its checkpoints and its resume are exactly those of a one-process run.

Same weights as one process. Every rank draws the same global batch of batch_size samples
from the same rng stream (seeded per generation, saved in the progress checkpoint) and trains
on its slice; batch norm statistics are synchronised over the ranks (torch.nn.SyncBatchNorm on
CUDA, `GlooSyncBatchNorm` here on CPU); each rank's loss is scaled so that DDP's gradient
average is the gradient of the whole batch's loss. The weights after N steps are one
process's weights up to float rounding, and a run can resume with another number of processes.
"""
from __future__ import annotations

import csv
import datetime
import gc
import json
import os
import time

import torch
import torch.distributed as dist
from torch import nn

from goengine.models import save
from goengine.models.checkpoint import atomic_torch_save
from goengine.progress import progress_bar


CONTROL_TIMEOUT = datetime.timedelta(days=7)
"""How long the other ranks wait for rank 0's next command (self-play + gating of a generation)."""


class _AllReduceSum(torch.autograd.Function):
    """y = sum over ranks of x, on every rank; the gradient of x is the sum over ranks of the
    gradients of y (each rank's loss depends on every rank's x)."""

    @staticmethod
    def forward(ctx, x):
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    return _AllReduceSum.apply(x)


class GlooSyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training-mode statistics are those of the batch over all ranks:
    mean and (biased) variance from all-reduced sums, with autograd through the all-reduce,
    so forward, gradients and running statistics equal BatchNorm2d's over the whole batch.
    (torch.nn.SyncBatchNorm runs on GPUs only.) Same parameters and buffers as BatchNorm2d."""

    def forward(self, x):
        if not (self.training and dist.is_available() and dist.is_initialized()):
            return super().forward(x)
        dims = (0, 2, 3)
        local_n = torch.tensor([x.numel() // x.shape[1]], dtype=x.dtype, device=x.device)
        sums = all_reduce_sum(torch.cat([x.sum(dims), local_n]))
        n = sums[-1]
        mean = sums[:-1] / n
        centred = x - mean[None, :, None, None]
        var = all_reduce_sum((centred * centred).sum(dims)) / n
        y = centred * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / max(float(n) - 1, 1.0))
        return y


def sync_batchnorm(module: nn.Module, cuda: bool) -> nn.Module:
    """Replace every BatchNorm2d in `module` (in place, sharing parameters and buffers) by a
    synchronised one; the state_dict keys do not change."""
    if cuda:
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            new = GlooSyncBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                    child.track_running_stats)
            if child.affine:
                new.weight, new.bias = child.weight, child.bias
            if child.track_running_stats:
                new.running_mean, new.running_var = child.running_mean, child.running_var
                new.num_batches_tracked = child.num_batches_tracked
            setattr(module, name, new)
        else:
            sync_batchnorm(child, cuda)
    return module


class Distributed:
    """This process's place among torchrun's processes, and the distributed training stage."""

    def __init__(self, rank: int, world: int, local_rank: int, device: torch.device):
        self.rank, self.world, self.local_rank, self.device = rank, world, local_rank, device
        self._training = False
        self.control = dist.new_group(backend="gloo", timeout=CONTROL_TIMEOUT)

    @classmethod
    def from_env(cls, device: str = "auto") -> "Distributed | None":
        """Join torchrun's process group; None when this process was not started by torchrun
        with more than one process (then nothing distributed happens)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return None
        if not dist.is_available():
            raise ValueError("this torch build has no torch.distributed")
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
        if cuda:
            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' asked for, but torch sees no CUDA device")
            torch.cuda.set_device(local_rank)
            dev = torch.device("cuda", local_rank)
        else:
            dev = torch.device("cpu")
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if cuda else "gloo")
        return cls(dist.get_rank(), dist.get_world_size(), local_rank, dev)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        dist.barrier(group=self.control)

    def close(self) -> None:
        """Leave the process group and drop this object's hold on the control group, so that
        the gloo groups and their threads are torn down now. A group object left to
        interpreter finalisation could abort the process after a finished run, now and then
        ("terminate called without an active exception", exit -6 under torchrun)."""
        if dist.is_initialized():
            dist.destroy_process_group()
        self.control = None
        gc.collect()

    # ------------------------------------------------------------------ roles
    def open_run(self, run_cls, folder, config=None, **kw):
        """The run, opened by rank 0 first (it writes config.json and generation 0), then by the
        others, which only read the folder."""
        run = run_cls(folder, config, **kw) if self.is_main else None
        self.barrier()
        if not self.is_main:
            # rank 0 holds the folder's lock; the others only read it
            run = run_cls(folder, config, **{**kw, "log": lambda *a: None, "progress": False, "lock": False})
        run.dist = self
        return run

    def _command(self, cmd):
        box = [cmd]
        dist.broadcast_object_list(box, src=0, group=self.control)
        return box[0]

    def _stop(self) -> None:
        """Rank 0: tell the others to stop, then wait until every rank has read it. Without
        the barrier rank 0 could tear its gloo group down while a peer was still receiving
        the broadcast, and abort ("terminate called without an active exception")."""
        self._command(("stop", None))
        self.barrier()

    def run(self, run) -> dict:
        """The whole loop: rank 0 runs it, the other ranks train when told to."""
        if self.is_main:
            try:
                result = run.run()
            except BaseException:
                # the others wait for a command, unless this failed in the middle of training
                # (they wait in a collective then, and torchrun stops them when this one exits)
                if not self._training:
                    self._stop()
                raise
            self._stop()
            return result
        while True:
            cmd, g = self._command(None)
            run.state = json.loads(run.state_path.read_text())  # the best network may have changed
            if cmd == "stop":
                self.barrier()  # rank 0's _stop
                return run.state["history"][-1] if run.state["history"] else {}
            self._train(run, g)

    # ------------------------------------------------------------------ the training stage
    def train(self, run, g: int) -> None:
        """ZeroRun.train(g) on all ranks (called on rank 0; the others are told to join)."""
        if run.candidate_path(g).exists():
            return
        self._command(("train", g))
        self._training = True
        self._train(run, g)
        self._training = False

    def _train(self, run, g: int) -> None:
        from .runfolder import writing
        from .zero import learning_rate, log_columns, tensor_batch
        from .zero_loss import combine, log_row, loss_terms, loss_weights
        cfg = run.config
        if cfg.batch_size < self.world:
            raise ValueError(f"batch_size {cfg.batch_size} is smaller than the {self.world} processes")
        main = self.is_main
        log = run.log if main else (lambda *a: None)
        start = time.monotonic() - run.progress_seconds(g)  # the whole stage's time (stats.jsonl)
        window, model, opt, rng, step = run.trainer_state(g, self.device)
        if step:
            log(f"[gen {g}] training resumes at step {step} ({self.world} processes)")
        if main:  # also at step 0: rows of a run killed before its first checkpoint
            run._truncate_log(g, step)
        self.barrier()  # every rank has read the progress file before rank 0 may replace it
        cuda = self.device.type == "cuda"
        net = nn.parallel.DistributedDataParallel(
            sync_batchnorm(model, cuda), device_ids=[self.local_rank] if cuda else None)
        log(f"[gen {g}] training on {len(window)} samples for {cfg.train_steps - step} steps, "
            f"{self.world} processes (DistributedDataParallel)")
        bar = progress_bar(cfg.train_steps, f"gen {g} train x{self.world}", run.progress and main, initial=step)
        log_path = run.folder / "train_log.csv"
        log_file = writer = None
        weights = loss_weights(cfg)
        if main:
            columns = log_columns(log_path, model)
            new_log = not log_path.exists()
            log_file = open(log_path, "a", newline="")
            writer = csv.writer(log_file)
            if new_log:
                writer.writerow(columns)
        try:
            while step < cfg.train_steps:
                lr = learning_rate(cfg, g, step)
                for group in opt.param_groups:
                    group["lr"] = lr
                batch = tensor_batch(window.batch(rng, cfg.batch_size, part=(self.rank, self.world)), self.device)
                terms = loss_terms(net, batch)
                # scale each of this rank's sums so that the mean over ranks (DDP's gradient
                # average) is the whole batch's mean: each term's weight total over all ranks
                totals = torch.stack([weight.detach() for _, weight in terms.values()]).to(torch.float64)
                dist.all_reduce(totals)
                parts = {name: total * (self.world / max(float(t), 1.0))
                         for (name, (total, _)), t in zip(terms.items(), totals)}
                loss = combine(parts, weights)
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
                bar.update(1)
                if step % 10 == 0 or step == cfg.train_steps:
                    means = torch.stack([p.detach() for p in parts.values()]).to(torch.float64)
                    dist.all_reduce(means)
                    losses = {name: float(t) / self.world for name, t in zip(parts, means)}
                    losses["loss"] = float(combine(losses, weights))
                    if main:
                        with writing(log_path):  # a full disk names the log
                            writer.writerow(log_row(g, step, losses, lr, columns))
                            log_file.flush()
                if main and step % cfg.checkpoint_every == 0 and step < cfg.train_steps:
                    atomic_torch_save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                                       "step": step, "rng": rng.bit_generator.state,
                                       "seconds": time.monotonic() - start}, run.progress_path(g))
        finally:
            bar.close()
            if log_file is not None:
                log_file.close()
        if main:
            model.eval()
            games = sum(run.games_on_disk(h) for h in range(g))
            save(model, run.candidate_path(g), {"recipe": "zero", "generation": g, "steps": step,
                                                "games": games, "window": len(window),
                                                "preset": cfg.preset, "processes": self.world,
                                                "seconds": round(time.monotonic() - start, 1)})
            if run.progress_path(g).exists():
                run.progress_path(g).unlink()
        self.barrier()
