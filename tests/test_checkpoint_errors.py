"""Checkpoints this version cannot use: one CheckpointError line naming the file and the reason,
from the library, goengine-train and goengine-gtp alike (no torch traceback or torch advice)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from goengine.models import ZeroNet, load, save, zero_config  # noqa: E402
from goengine.models.checkpoint import CheckpointError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)


class _NotData:
    """Pickled by torch.save as a Python object: refused by a weights-only load."""


@pytest.fixture
def bad_files(tmp_path):
    save(ZeroNet(zero_config("tiny", board_size=9)), tmp_path / "good.pt")
    data = torch.load(tmp_path / "good.pt", weights_only=True)
    data["config"]["future_field"] = 3
    torch.save(data, tmp_path / "newer.pt")
    (tmp_path / "random.pt").write_bytes(os.urandom(4096))
    (tmp_path / "config.json").write_text(json.dumps({"board_size": 9, "blocks": 2}))
    torch.save({"x": _NotData()}, tmp_path / "object.pt")
    good = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(good[: len(good) // 2])
    return {name: tmp_path / f"{name}.pt" for name in ("newer", "random", "object", "truncated")} | {
        "json": tmp_path / "config.json"}


EXPECTED = {
    "newer": r"newer\.pt: its config has a field this goengine does not know: future_field",
    "random": r"random\.pt: not a readable checkpoint: the file is not one that torch.save wrote",
    "json": r"config\.json: not a readable checkpoint: the file is not one that torch.save wrote",
    "truncated": r"truncated\.pt: not a readable checkpoint: the file is not one that torch.save wrote",
    "object": r"object\.pt: not a goengine checkpoint",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unusable_checkpoints_raise_one_line_naming_the_file(bad_files, name):
    with pytest.raises(CheckpointError, match=EXPECTED[name]) as info:
        load(bad_files[name], kind="zero")
    message = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in message
    assert "file an issue" not in message and "weights_only" not in message


@pytest.mark.parametrize("name", ["newer", "random", "json"])
def test_goengine_gtp_and_goengine_train_print_one_line_and_exit_2(bad_files, name, tmp_path, capsys):
    proc = subprocess.run([sys.executable, "-m", "gtp", "--agent", "zero", "--weights", str(bad_files[name])],
                          cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and str(bad_files[name]) in errors[0], proc.stderr
    from training.__main__ import main
    assert main(["zero", "--run", str(tmp_path / "run"), "--init", str(bad_files[name]), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(bad_files[name]) in err.splitlines()[-1]
    assert not (tmp_path / "run").exists()  # refused before the run folder is made
