"""int8 static post-training quantisation of an exported network, calibrated on self-play
positions, for ONNX Runtime on the CPU.

    planes = calibration_planes(evaluator, shards=["runs/zero9/selfplay/gen_0003/shard_00000.npz"])
    int8 = quantize_onnx(export_onnx(model), planes)       # bytes of the quantised model
    OnnxRunner(int8, name="onnx-int8")

Static quantisation (Jacob et al. 2018): every convolution and fully connected layer gets int8
weights (symmetric, one scale per output channel) and uint8 activations whose scale and zero
point come from the ranges the float network shows on the calibration positions (min/max by
default). ONNX Runtime runs the result as integer convolutions (QLinearConv, VNNI on recent
x86), about 3x the float throughput on this CPU. Format QDQ: the graph keeps float
interfaces, so the runner is the same as for the float export.

Calibration positions: shards of self-play samples (selfplay/records.py; zero17 networks),
or, when none are given, positions from a quick self-play by the float network's own policy
(moves sampled from the softmax of its logits, up to N*N moves a game), which reaches the opening, middle
game and endgame shapes the search will feed it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..rng import as_generator
from .softmax import masked_softmax

__all__ = ["quantize_onnx", "calibration_planes", "selfplay_states", "shard_planes"]


def quantize_onnx(data: bytes, planes: np.ndarray, *, per_channel: bool = True, method: str = "minmax",
                  batch: int = 32, exclude_heads: bool = True) -> bytes:
    """The int8 (QDQ) quantisation of an ONNX model (bytes), calibrated on `planes`
    float32 (n, C, N, N). `method`: "minmax", "entropy" or "percentile" (ONNX Runtime's
    calibrators). `exclude_heads` keeps the fully connected layers of the heads in float:
    the value's pre-tanh output is clipped to the range calibration saw, and a position
    beyond it loses most (measured on a trained small net: value error up to 0.16 with the
    heads quantised, 0.035 without, for 5% of the speed)."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    from .onnx_backend import metadata, set_metadata

    methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}
    if method not in methods:
        raise ValueError(f"calibration method must be one of {sorted(methods)}, got {method!r}")
    planes = np.ascontiguousarray(planes, dtype=np.float32)
    if planes.ndim != 4 or planes.shape[0] == 0:
        raise ValueError(f"calibration planes must be (n, C, N, N) with n > 0, got shape {planes.shape}")
    info = metadata(data)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.chunks = iter([{"x": planes[i:i + batch]} for i in range(0, planes.shape[0], batch)])

        def get_next(self):
            return next(self.chunks, None)

    model = onnx.load_from_string(data)
    _unshare_initializers(model)
    exclude = [n.name for n in model.graph.node if n.op_type in ("Gemm", "MatMul")] if exclude_heads else None
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the quantiser warns about optional pre-processing on the root logger
    # and some calibrators print progress to stdout, which is the GTP protocol's channel
    try:
        with contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory(prefix="goengine-quant-") as tmp:
            src, dst = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
            src.write_bytes(model.SerializeToString())
            quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=methods[method], nodes_to_exclude=exclude,
                            extra_options={"CalibTensorRangeSymmetric": False})
            quantised = onnx.load(str(dst))
    finally:
        quiet.setLevel(level)
    # quantize_static keeps the float model's metadata_props (kind, config, outputs)
    set_metadata(quantised, {"goengine.quantized": "int8",
                             "goengine.calibration": f"{planes.shape[0]} positions, {method}"})
    out = quantised.SerializeToString()
    if metadata(out)["kind"] != info["kind"]:
        raise RuntimeError("the quantiser dropped goengine's metadata")
    return out


def _unshare_initializers(model) -> None:
    """Give every Identity-of-a-constant its own copy of the constant. The exporter stores
    equal tensors once and reads the copies through Identity nodes (a freshly initialised
    net's folded conv biases are all zero, so they all collapse into one); the quantiser
    leaves a convolution whose bias is not a constant in float, which measured the int8
    9x9 net no faster than float until the copies were restored."""
    from onnx import numpy_helper

    constants = {t.name: t for t in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in constants:
            copy = numpy_helper.from_array(numpy_helper.to_array(constants[node.input[0]]), node.output[0])
            model.graph.initializer.append(copy)
        else:
            keep.append(node)
    if len(keep) != len(model.graph.node):
        del model.graph.node[:]
        model.graph.node.extend(keep)


# ----------------------------------------------------------------------------- positions
def shard_planes(paths, positions: int = 512, rng=None, feature_set: str = "zero17") -> np.ndarray:
    """Planes (a stone-history set: zero17, zerogo25) of up to `positions` samples drawn from
    self-play shards (paths of .npz shards, or folders searched recursively for shard_*.npz,
    newest last)."""
    from ..features import history_planes

    rng = as_generator(rng)
    files = []
    for path in ([paths] if isinstance(paths, (str, os.PathLike)) else list(paths)):
        path = Path(path)
        files.extend(sorted(path.rglob("shard_*.npz")) if path.is_dir() else [path])
    if not files:
        raise ValueError(f"no self-play shards (shard_*.npz) in {paths}")
    stones, to_play, sizes, total = [], [], set(), 0
    for path in reversed(files):  # the newest shards first, enough for a varied draw
        try:
            with np.load(path) as shard:
                stones.append(shard["stones"])
                to_play.append(shard["to_play"])
                sizes.add(int(shard["size"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path}: not a self-play shard ({exc})") from None
        total += to_play[-1].shape[0]
        if total >= positions * 4:
            break
    if len(sizes) != 1:
        raise ValueError(f"shards of several board sizes: {sorted(sizes)}")
    stones, to_play = np.concatenate(stones), np.concatenate(to_play)
    take = np.sort(rng.choice(stones.shape[0], size=min(positions, stones.shape[0]), replace=False))
    return history_planes(feature_set, stones[take], to_play[take], sizes.pop())


def selfplay_states(policy_fn, size: int, history_length: int, games: int = 8, max_moves: int | None = None,
                    rng=None, komi: float = 7.5):
    """GameStates met in `games` quick self-play games played together on the game loop
    (goengine/gameloop.py), each move sampled from `policy_fn(batch) -> priors (n, N*N+1)`
    over legal moves, one call per move of all games. Returns the list of (copied) states,
    every ply of every game."""
    from ..coords import BLACK, WHITE
    from ..game import GameState, Rules
    from ..gameloop import LoopGame, play_games
    from ..search import LeafBatch

    rng = as_generator(rng)
    seen = []

    class Sampler:
        def choose(self, entries):
            running = [entry.game for entry in entries]
            seen.extend(g.copy() for g in running)
            priors = np.asarray(policy_fn(LeafBatch.from_states(running, history_length)), dtype=np.float64)
            actions = []
            for game, p in zip(running, priors):
                legal = game.legal_mask().astype(np.float64)
                p = p * legal
                p = p / p.sum() if p.sum() > 0 else legal / legal.sum()
                actions.append(int(rng.choice(p.size, p=p)))
            return actions

    sampler = Sampler()
    entries = [LoopGame(GameState(size, Rules(komi=komi)), {BLACK: sampler, WHITE: sampler}, cap=max_moves)
               for _ in range(games)]
    for _ in play_games(entries, parallel=games):
        pass
    return seen


def calibration_planes(evaluator, shards=None, positions: int = 256, games: int = 8, rng=0,
                       runner=None) -> np.ndarray:
    """Input planes of `positions` self-play positions for `evaluator` (a NetworkEvaluator):
    from `shards` when given (zero17 evaluators), else from a quick self-play by `runner`
    (the float network: x -> (logits, values)), or by the evaluator itself."""
    rng = as_generator(rng)
    if shards:
        from ..features import HISTORY_SETS
        feature_set = getattr(evaluator.model.config, "feature_set", None)
        if feature_set not in HISTORY_SETS:
            raise ValueError("shards hold stone histories: they calibrate ZeroNet evaluators only")
        return shard_planes(shards, positions, rng, feature_set)
    forward = runner if runner is not None else evaluator.torch_forward_np

    def policy_fn(batch):
        logits, _ = forward(evaluator.planes(batch))
        if logits is None:  # a value-only network: uniform moves
            return batch.legal.astype(np.float32)
        return masked_softmax(logits, batch.legal)

    size = _board_size(evaluator)
    states = selfplay_states(policy_fn, size, int(evaluator.history_length), games=games, rng=rng)
    if len(states) > positions:
        keep = rng.choice(len(states), size=positions, replace=False)
        states = [states[i] for i in sorted(keep)]
    from ..search import LeafBatch
    return evaluator.planes(LeafBatch.from_states(states, int(evaluator.history_length)))


def _board_size(evaluator) -> int:
    return int(evaluator.model.config.board_size)
