"""The Zero run folder under misuse: two processes at once, kills at known points, a full disk."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from training.runfolder import RunFolderBusy  # noqa: E402
from training.zero import ZeroRun  # noqa: E402

from test_zero import tiny_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUIET = dict(log=lambda *a: None, progress=False)
torch.set_num_threads(1)

HOLDER = """
import sys
sys.path.insert(0, {root!r})
import torch
torch.set_num_threads(1)
from training.zero import ZeroRun
run = ZeroRun({folder!r}, None, log=lambda *a: None, progress=False)
print("open", flush=True)
sys.stdin.read()
"""


def test_a_second_process_on_a_run_folder_is_refused_naming_the_first(tmp_path, capsys):
    from training.__main__ import main
    folder = tmp_path / "run"
    ZeroRun(folder, tiny_config(generations=0), **QUIET)
    both = ZeroRun(folder, None, **QUIET), ZeroRun(folder, None, **QUIET)  # one process: shared
    del both
    proc = subprocess.Popen([sys.executable, "-c", HOLDER.format(root=str(ROOT), folder=str(folder))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"open\n"
        with pytest.raises(RunFolderBusy, match=rf"in use by another process \(pid {proc.pid} on "):
            ZeroRun(folder, None, **QUIET)
        capsys.readouterr()
        assert main(["zero", "--run", str(folder), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"pid {proc.pid}" in err and err.count("\n") == 1
    finally:
        proc.kill()
        proc.wait()
    ZeroRun(folder, None, **QUIET)  # the lock went with the process that held it
    assert json.loads((folder / ".lock").read_text())["pid"] != proc.pid
