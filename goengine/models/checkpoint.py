"""Checkpoint files: a network with everything needed to rebuild it.

A checkpoint is a torch.save'd dict:
    schema       int, CHECKPOINT_SCHEMA (files from a newer schema are refused)
    kind         "zero" | "policy" | "value" | ... (goengine.models.nets.MODEL_CLASSES)
    config       the model's config dataclass as a dict (board size and feature set inside)
    state_dict   the weights
    meta         free-form: recipe, games, steps, training config, ...
Files are written to a temporary name in the same folder and renamed, so a crash never leaves
a half-written checkpoint under the final name.
"""
from __future__ import annotations

import dataclasses
import io
import os
import zipfile
from pathlib import Path

import torch

from ..fileio import atomic_writer

from .nets import MODEL_CLASSES, config_dict

CHECKPOINT_SCHEMA = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used here; the message names the file and the reason."""


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """torch.save to `path` atomically (goengine.fileio). The bytes are made in memory first:
    a write that fails (a full disk) is then one OSError naming the file, not torch's zip
    writer failing again on its way out ("unexpected pos") with two chained tracebacks."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_writer(path, make_parents=True) as f:
        f.write(buffer.getbuffer())


def save(model, path, meta: dict | None = None) -> None:
    """Write `model` (a module with `.kind` and `.config`) and `meta` to `path`, atomically."""
    atomic_torch_save({
        "schema": CHECKPOINT_SCHEMA,
        "kind": model.kind,
        "config": config_dict(model),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }, path)


def read(path) -> dict:
    """The raw checkpoint dict, validated; CheckpointError with the reason otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many kinds, with advice meant for torch's own users
        if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
            raise CheckpointError(f"{path}: not a readable checkpoint: the file is not one that "
                                  f"torch.save wrote (another format, or cut short)") from None
        raise CheckpointError(f"{path}: not a goengine checkpoint (a torch file holding Python objects "
                              f"other than tensors and plain data, or a damaged one)") from None
    if not isinstance(data, dict) or "schema" not in data or "kind" not in data:
        raise CheckpointError(f"{path}: not a goengine checkpoint (no schema/kind)")
    if data["schema"] > CHECKPOINT_SCHEMA:
        raise CheckpointError(f"{path}: checkpoint schema {data['schema']} is newer than this "
                              f"goengine's ({CHECKPOINT_SCHEMA}); upgrade goengine")
    if data["kind"] not in MODEL_CLASSES:
        raise CheckpointError(f"{path}: unknown model kind {data['kind']!r}")
    return data


def _config(path, config_cls, fields):
    """The model config stored in a checkpoint; CheckpointError names a field this version
    does not know (a file from a newer goengine) or a config that does not fit."""
    if not isinstance(fields, dict):
        raise CheckpointError(f"{path}: not a goengine checkpoint (no model config)")
    unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(config_cls)})
    if unknown:
        raise CheckpointError(f"{path}: its config has a field this goengine does not know: "
                              f"{', '.join(unknown)} (written by a newer goengine? upgrade goengine)")
    try:
        return config_cls(**fields)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: its config does not fit this goengine's {config_cls.__name__}: {exc}") from None


def load(path, *, kind: str | None = None, board_size: int | None = None,
         feature_set: str | None = None, device: str | torch.device = "cpu"):
    """Rebuild the model in `path` (eval mode). The optional expectations are checked and a
    mismatch is refused with a message saying what the file holds and what was wanted."""
    data = read(path)
    cls, config_cls = MODEL_CLASSES[data["kind"]]
    config = _config(path, config_cls, data.get("config"))
    if kind is not None and data["kind"] != kind:
        raise CheckpointError(f"{path}: holds a {data['kind']!r} network, expected {kind!r}")
    if board_size is not None and config.board_size != board_size:
        raise CheckpointError(f"{path}: network is for {config.board_size}x{config.board_size}, "
                              f"but the board is {board_size}x{board_size}")
    if feature_set is not None and config.feature_set != feature_set:
        raise CheckpointError(f"{path}: network reads feature set {config.feature_set!r}, "
                              f"expected {feature_set!r}")
    model = cls(config)
    try:
        model.load_state_dict(data["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the stored config: {exc}") from None
    model.to(device)
    model.eval()
    model.meta = data.get("meta", {})
    return model
