"""What a checkpoint holds (kind, config, meta) read without torch: a few milliseconds, so
that goengine-gtp can check a network's board size at start and answer its first commands
before torch is imported (goengine/models/checkpoint.py loads the weights).

torch.save writes a zip archive whose ``*/data.pkl`` pickles the dict; its tensors are
references to storages in the archive. Here they unpickle as placeholders, and nothing but
plain data, those placeholders and torch's tensor rebuilders is accepted."""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

__all__ = ["peek", "board_size"]


class _Placeholder:
    """A tensor or storage that is not read."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Placeholder()

    def __setstate__(self, state):
        pass


class _Reader(pickle.Unpickler):
    _ALLOWED = {"collections": {"OrderedDict"}, "builtins": {"set", "frozenset", "tuple", "list", "dict"}}

    def find_class(self, module, name):
        if module.split(".")[0] == "torch":
            return _Placeholder  # _rebuild_tensor_v2, storages, dtypes: never called for real
        if name in self._ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")

    def persistent_load(self, pid):
        return _Placeholder()


def peek(path) -> dict:
    """{"schema", "kind", "config", "meta"} of a goengine checkpoint; ValueError naming the
    file when it is not one."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
            with archive.open(name) as f:
                data = _Reader(f).load()
    except (OSError, zipfile.BadZipFile, StopIteration, pickle.UnpicklingError, EOFError,
            AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable goengine checkpoint ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "kind" not in data or not isinstance(data.get("config"), dict):
        raise ValueError(f"{path}: not a goengine checkpoint (no kind/config)")
    return {key: data.get(key) for key in ("schema", "kind", "config", "meta")}


def board_size(path) -> int:
    """The board size a checkpoint's network plays."""
    size = peek(path)["config"].get("board_size")
    if not isinstance(size, int):
        raise ValueError(f"{path}: the checkpoint's config names no board size")
    return size
