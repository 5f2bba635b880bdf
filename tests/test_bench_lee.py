"""benchmarks/lee.py runs end to end on tiny random-init networks and prints its four lines."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")


def _bench():
    import sys
    saved = list(sys.path)  # the script rewrites sys.path[0] on import
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "lee.py"
    spec = importlib.util.spec_from_file_location("bench_lee", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def test_bench_lee_four_lines(capsys):
    import torch
    threads = torch.get_num_threads()
    try:
        _bench().main(["--seconds", "0.05", "--visits", "24", "--positions", "1", "--preset", "tiny",
                       "--threads", "2"])  # 2: no pinning of the test process to one core
    finally:
        torch.set_num_threads(threads)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["variant"] for line in lines] == ["value+rollouts", "value-only", "rollouts-only", "pure-mcts"]
    for line in lines:
        assert line["bench"] == "lee" and line["metric"] == "sims_per_s" and line["size"] == 9
        assert line["value"] > 0 and len(line["per_position"]) == 2
    assert [line["mix_lambda"] for line in lines] == [0.5, 0.0, 1.0, 1.0]
    assert lines[0]["weights"] == "random-init:tiny" and lines[3]["impl"] == "goengine-pure-mcts"
    assert lines[1]["rollouts_per_leaf"] == 0 and "vs_pure_mcts" in lines[0]
