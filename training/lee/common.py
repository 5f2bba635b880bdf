"""Run-folder habits shared by the Lee stages (the same as training/zero.py's): the resolved
config saved as config.json (a resumed run keeps it), JSON and checkpoints written to a
temporary name and renamed, a progress checkpoint (model + optimizer + step + RNG state)
that a stopped run resumes from, and tqdm bars that can be switched off."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from goengine.progress import progress_bar

from goengine.fileio import atomic_write_bytes


def write_json(path, data) -> None:
    atomic_write_bytes(Path(path), (json.dumps(data, indent=2) + "\n").encode(), make_parents=True)


def read_json(path, default=None):
    path = Path(path)
    if not path.is_file():
        return default
    return json.loads(path.read_text())


def resolve_config(folder, config, cls, mutable=("steps", "iterations", "games", "gnugo_games", "eval_games")):
    """The run's config: the one saved in `folder/config.json` when resuming (a different
    `config` given for an existing run is refused, naming the fields, except the `mutable`
    ones -- how far to go -- which are updated), else `config`, saved."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    stored = read_json(path)
    if stored is not None:
        saved = cls(**stored)
        if config is None or config == saved:
            return saved
        diff = sorted(k for k in stored if getattr(config, k) != getattr(saved, k))
        if set(diff) <= set(mutable):
            write_json(path, dataclasses.asdict(config))
            return config
        if diff:
            raise ValueError(f"{folder} already holds a run with another config (fields {diff} differ); "
                             f"use a new run folder, or the same options to resume")
        return saved
    config = config if config is not None else cls()
    write_json(path, dataclasses.asdict(config))
    return config


def rng_state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


def set_rng_state(rng: np.random.Generator, state: dict) -> None:
    rng.bit_generator.state = state


bar = progress_bar  # the Lee stages' name for it


def train_steps(folder, model, optimizer, rng: np.random.Generator, steps: int, step_fn, *,
                checkpoint_every: int = 100, progress: bool = True, desc: str = "train",
                name: str = "progress.pt") -> list[float]:
    """Run `step_fn(step) -> loss` (one optimiser step) up to `steps` steps, resuming from
    folder/name (model, optimiser, step, RNG state, loss history) when it exists, and saving
    it every `checkpoint_every` steps and at the end. Returns the loss of every step taken
    (the resumed ones included), also appended to folder/train_log.csv."""
    import torch
    from goengine.models.checkpoint import atomic_torch_save
    folder = Path(folder)
    path = folder / name
    losses: list[float] = []
    step = 0
    if path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        set_rng_state(rng, saved["rng"])
        step, losses = int(saved["step"]), list(saved["losses"])

    def save():
        atomic_torch_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                           "rng": rng_state(rng), "step": step, "losses": losses}, path)
        rows = "".join(f"{i + 1},{l:.6f}\n" for i, l in enumerate(losses))
        atomic_write_bytes(folder / "train_log.csv", ("step,loss\n" + rows).encode(), make_parents=True)

    pbar = bar(steps, desc, progress, initial=min(step, steps))
    model.train()
    while step < steps:
        loss = float(step_fn(step))
        losses.append(loss)
        step += 1
        pbar.update()
        if step % 10 == 0:
            pbar.set_postfix(loss=f"{np.mean(losses[-10:]):.3f}")
        if step % checkpoint_every == 0 or step == steps:
            save()
    pbar.close()
    model.eval()
    return losses


def loss_drop(losses: list[float], window: int = 20) -> tuple[float, float]:
    """Mean loss of the first and of the last `window` steps."""
    w = max(1, min(window, len(losses) // 2 or 1))
    return float(np.mean(losses[:w])), float(np.mean(losses[-w:]))
