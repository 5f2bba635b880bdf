"""benchmarks/play.py runs end to end on the shipped network and prints its two lines."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")


def _run_play_bench(capsys, *args) -> list[dict]:
    """benchmarks/play.py's JSON lines for these arguments (it rewrites sys.path[0] on import
    and pins itself to one core: both are put back)."""
    saved_path, saved_affinity = list(sys.path), os.sched_getaffinity(0)
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "play.py"
    spec = importlib.util.spec_from_file_location("bench_play", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        module.main(list(args))
    finally:
        sys.path[:] = saved_path
        os.sched_setaffinity(0, saved_affinity)
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_bench_play_two_lines(capsys):
    lines = _run_play_bench(capsys, "--seconds", "0.05", "--positions", "2")
    assert [(d["impl"], d["metric"]) for d in lines] == [("goengine", "playouts_per_s"), ("forward", "evals_per_s")]
    search, raw = lines
    assert search["value"] > 0 and raw["value"] > 0 and search["positions"] == 2
    assert search["share_of_raw"] == pytest.approx(search["value"] / raw["value"], abs=0.01)
    assert raw["batch"] == search["leaves_per_batch"] == 8
    # the default is the GTP engine's search; --search pure is AlphaGo Zero's
    assert (search["mix_lambda"], search["mix_ramp"]) == (1.0, 0.7)
    pure = _run_play_bench(capsys, "--seconds", "0.05", "--positions", "1", "--search", "pure")[0]
    assert (pure["mix_lambda"], pure["mix_ramp"]) == (0.0, None)


def test_bench_play_root_parallel_line(capsys):
    lines = _run_play_bench(capsys, "--seconds", "0.05", "--positions", "2", "--workers", "2")
    assert [(d["impl"], d["metric"]) for d in lines][2] == ("goengine-root-parallel", "playouts_per_s")
    one, _, parallel = lines
    assert parallel["workers"] == 2 and parallel["value"] > 0
    assert parallel["speedup_vs_one_core"] == pytest.approx(parallel["value"] / one["value"], rel=0.02)
