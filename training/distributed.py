"""The command line's choice of where the Zero loop runs: this process (the default), Ray actors
for self-play and gating (`--cluster ray`), torchrun's processes for training, or both.

    goengine-train zero --run R                                   # one process (laptop)
    goengine-train zero --run R --cluster ray --workers 8         # self-play on 8 Ray actors
    torchrun --nproc-per-node 4 -m training zero --run R          # training on 4 processes (DDP)
    torchrun --nproc-per-node 4 -m training zero --run R --cluster ray --address auto

See docs/distributed.md. Ray is imported only for `--cluster ray`, torch.distributed only
under torchrun, so nothing changes for a one-process run.
"""
from __future__ import annotations

import os
from contextlib import contextmanager


def ray_backend(workers: int = 2, address: str | None = None, cpus_per_worker: float = 1,
                gpus_per_worker: float = 0, log=print):
    try:
        from .ray_zero import RayBackend
    except ImportError as exc:
        raise ValueError(f"--cluster ray needs Ray ({exc}): pip install 'goengine[distributed]'") from None
    return RayBackend(workers, address=address, cpus_per_worker=cpus_per_worker,
                      gpus_per_worker=gpus_per_worker, threads=max(1, int(cpus_per_worker)), log=log)


@contextmanager
def open_zero_run(run_cls, args, config, **kw):
    """The run of the command line `args`, with the backend and processes they ask for.

    Yields (run, loop): loop() runs the loop and returns its last gating entry. Under torchrun,
    a process other than rank 0 has already followed rank 0's loop to its end when it gets
    here, and gets loop = None. Ray and the process group are closed on the way out."""
    dist = backend = None
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torchrun, several processes
            from .ddp import Distributed
            dist = Distributed.from_env(getattr(args, "device", None) or "auto")
        if getattr(args, "cluster", "local") == "ray" and (dist is None or dist.is_main):
            backend = ray_backend(args.workers, address=args.address, cpus_per_worker=args.worker_cpus,
                                  gpus_per_worker=args.worker_gpus, log=kw.get("log", print))
        if dist is None:
            run = run_cls(args.run, config, backend=backend, **kw)
            yield run, run.run
        else:
            run = dist.open_run(run_cls, args.run, config, backend=backend, **kw)
            if dist.is_main:
                yield run, lambda: dist.run(run)
            else:
                dist.run(run)
                yield run, None
    finally:
        if backend is not None:
            backend.close()
        if dist is not None:
            dist.close()
