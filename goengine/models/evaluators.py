"""Networks as search Evaluators: a LeafBatch in, (priors over N*N+1, values) out.

    evaluator = PolicyValueEvaluator(load("zero.pt"), symmetries="random", cache_size=100_000)
    mcts = MCTS(evaluator, MCTSConfig())

Inference runs under torch.inference_mode on the model's device (CUDA when the model is
there), or on the back end that `backend` names: "torch" (eager, the default), "torch-fused",
"onnx", "onnx-int8" or "auto" (the fastest here); see backends.py. `symmetries`: "none",
"random" (one random dihedral transform per position, as in AlphaGo Zero's search) or "all"
(the mean over the 8 transforms). The cache maps a position's input planes (history and side
to move included) to its outputs, least recently used first out; it keys them by a 128-bit
BLAKE2 digest of the planes, not by the planes themselves (docs/inference.md has the memory
this saves); zero17's key digests the stone history it is made from, with
the side to move as the digest's personalisation, which gives the same key for the same
planes at a tenth of the bytes hashed.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import torch

from ..features import (NUM_SYMMETRIES, apply_planes, apply_planes_each, apply_policy, apply_policy_each,
                        inverse, inverse_each, zero17)
from ..features.symmetry import _point_table
from ..features.zero import HISTORY
from ..inference import BACKENDS
from ..rng import as_generator
from .softmax import masked_softmax


def flush_denormals() -> bool:
    """Have this thread's CPU arithmetic treat subnormal floats (below about 1.2e-38) as zero
    (x86 FTZ/DAZ, torch.set_flush_denormal). Trained networks produce such tiny activations,
    and on Intel CPUs every operation on one takes a slow microcode path (docs/inference.md:
    thirty times slower for the shipped Lee policy net, the same moves either way). Leela
    Zero and KataGo flush them too. Returns whether the CPU supports it."""
    return torch.set_flush_denormal(True)


def cache_key(planes: np.ndarray) -> bytes:
    """The cache key of one position's input planes: a 16-byte BLAKE2b digest of their bytes."""
    return hashlib.blake2b(np.ascontiguousarray(planes).data, digest_size=16).digest()


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        item = self.data.get(key)
        if item is None:
            self.misses += 1
            return None
        self.hits += 1
        self.data.move_to_end(key)
        return item

    def put(self, key, value):
        self.data[key] = value
        if len(self.data) > self.size:
            self.data.popitem(last=False)


class NetworkEvaluator:
    """Shared machinery: features -> symmetries -> batched forward -> masked priors, cache."""

    history_length = 1

    def __init__(self, model, symmetries: str = "random", cache_size: int = 0, rng=None,
                 policy_temperature: float = 1.0, device=None, backend: str = "torch",
                 backend_options: dict | None = None):
        if symmetries not in ("none", "random", "all"):
            raise ValueError(f"symmetries must be none, random or all, got {symmetries!r}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown inference backend {backend!r}: choose from {', '.join(BACKENDS)}")
        self.backend_request = backend
        self.backend_options = dict(backend_options or {})
        self.runner = None  # built by prepare_backend(), at the latest on the first evaluation
        self.model = model
        self.device = device or next(model.parameters()).device
        self.model.to(self.device).eval()
        if torch.device(self.device).type == "cpu":
            flush_denormals()
        self.symmetries = symmetries
        self.rng = as_generator(rng)
        self.policy_temperature = policy_temperature
        self.cache = _LRU(cache_size) if cache_size > 0 else None
        self.positions = 0

    # subclasses: planes(batch) -> float32 (n, C, N, N); forward(x) -> (logits or None, values or None)
    def planes(self, batch) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: torch.Tensor):
        raise NotImplementedError

    def _draw_symmetries(self, n: int):
        """The symmetry of each of n positions to evaluate: all 0 for "none", drawn from the
        evaluator's stream for "random", None for "all" (every one of the 8)."""
        if self.symmetries == "none":
            return np.zeros(n, dtype=np.int64)
        if self.symmetries == "random":
            return self.rng.integers(0, NUM_SYMMETRIES, size=n)
        return None

    def _from_cache(self, keys, logits: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Fill the rows whose key is cached; the indices of the others (int64)."""
        if keys is None:
            return np.arange(len(values), dtype=np.int64)
        miss = []
        for i, key in enumerate(keys):
            hit = self.cache.get(key)
            if hit is None:
                miss.append(i)
            else:
                logits[i], values[i] = hit
        return np.array(miss, dtype=np.int64)

    def _to_cache(self, keys, rows, logits: np.ndarray, values: np.ndarray) -> None:
        if keys is not None:
            for i in rows:
                self.cache.put(keys[i], (logits[i].copy(), values[i]))

    def _run(self, planes: np.ndarray):
        n = planes.shape[0]
        syms = self._draw_symmetries(n)
        if syms is not None:
            logits, values = self._forward_np(apply_planes_each(planes, syms))
            if logits is not None:
                logits = apply_policy_each(logits, inverse_each(syms))
            return logits, values
        x = np.concatenate([apply_planes(planes, t) for t in range(NUM_SYMMETRIES)])
        logits, values = self._forward_np(x)
        if logits is not None:
            logits = np.mean([apply_policy(logits[t * n:(t + 1) * n], inverse(t))
                              for t in range(NUM_SYMMETRIES)], axis=0)
        if values is not None:
            values = values.reshape(NUM_SYMMETRIES, n).mean(axis=0)
        return logits, values

    @property
    def backend(self) -> str:
        """The back end that runs (or will run) the network: "auto" resolved once built."""
        return self.runner.name if self.runner is not None else self.backend_request

    def prepare_backend(self) -> str:
        """Build the back end's runner now (export, quantise); returns its name."""
        if self.runner is None and self.backend_request != "torch":
            from .backends import make_runner
            self.runner = make_runner(self, self.backend_request, **self.backend_options)
        return self.backend

    def _forward_np(self, x: np.ndarray):
        if self.backend_request != "torch":
            if self.runner is None:
                self.prepare_backend()
            self.positions += x.shape[0]
            return self.runner(x)
        return self.torch_forward_np(x)

    def torch_forward_np(self, x: np.ndarray):
        """Eager torch: planes (numpy) -> (logits, values) numpy, through `forward`."""
        with torch.inference_mode():
            logits, values = self.forward(torch.from_numpy(np.ascontiguousarray(x)).to(self.device))
        self.positions += x.shape[0]
        return (None if logits is None else logits.float().cpu().numpy(),
                None if values is None else values.float().cpu().numpy())

    def cache_keys(self, batch, planes: np.ndarray) -> list[bytes]:
        """One cache key per position of the batch: the digest of its input planes."""
        return [cache_key(planes[i]) for i in range(planes.shape[0])]

    def evaluate(self, batch):
        """LeafBatch -> (priors float32 (n, N*N+1), values float32 (n,))."""
        n, a = batch.legal.shape
        planes = self.planes(batch)
        logits = np.zeros((n, a), dtype=np.float32)
        values = np.zeros(n, dtype=np.float32)
        keys = self.cache_keys(batch, planes) if self.cache is not None else None
        todo = self._from_cache(keys, logits, values)
        if todo.size:
            out_logits, out_values = self._run(planes[todo])
            if out_logits is not None:
                logits[todo] = out_logits
            if out_values is not None:
                values[todo] = out_values
            self._to_cache(keys, todo, logits, values)
        return masked_softmax(logits, batch.legal, self.policy_temperature), values

    def evaluate_states(self, states):
        from ..search import LeafBatch
        return self.evaluate(LeafBatch.from_states(states, self.history_length))


class PolicyValueEvaluator(NetworkEvaluator):
    """AlphaGo Zero's evaluator: one ZeroNet gives both priors and values from its planes
    (zero17, or zerogo25 with Go features)."""

    history_length = HISTORY

    @property
    def feature_set(self) -> str:
        return getattr(self.model.config, "feature_set", "zero17")

    def planes(self, batch) -> np.ndarray:
        if self.feature_set != "zero17":
            from ..features import batch_planes
            return batch_planes(self.feature_set, batch)
        return zero17(batch.stones, batch.to_play, batch.size)

    def cache_keys(self, batch, planes: np.ndarray) -> list[bytes]:
        """zero17 (and zerogo25) planes are a function of the stone history and the side to
        move alone, so the key digests those (8 x N*N bytes and one) instead of the float
        planes."""
        stones = np.ascontiguousarray(batch.stones, dtype=np.int8)
        to_play = np.asarray(batch.to_play, dtype=np.int8)
        return [hashlib.blake2b(stones[i].data, digest_size=16, person=to_play[i:i + 1].tobytes()).digest()
                for i in range(stones.shape[0])]

    def forward(self, x):
        return self.model(x)

    def evaluate(self, batch):
        """The same result as NetworkEvaluator.evaluate (the same random symmetries drawn
        from the same stream), with the planes of the cache misses made straight through
        their symmetries, the outputs moved back and the masked softmax all in C
        (features/_zero.pyx): numpy's per-call overhead was a third of a one-game search's
        time. ``symmetries="all"`` and plane sets other than zero17 keep the numpy path."""
        if self.symmetries == "all" or self.feature_set != "zero17":
            return super().evaluate(batch)
        from ..features._zero import masked_softmax_fast, unsymmetrise_into, zero17_sym
        n, a = batch.legal.shape
        logits = np.zeros((n, a), dtype=np.float32)
        values = np.zeros(n, dtype=np.float32)
        keys = self.cache_keys(batch, None) if self.cache is not None else None
        todo = self._from_cache(keys, logits, values)
        if todo.size:
            syms = self._draw_symmetries(todo.size)
            table = _point_table(batch.size)
            out_logits, out_values = self._forward_np(zero17_sym(batch.stones, batch.to_play, todo, syms, table))
            unsymmetrise_into(out_logits, todo, syms, table, logits)
            values[todo] = out_values
            self._to_cache(keys, todo, logits, values)
        return masked_softmax_fast(logits, batch.legal, self.policy_temperature), values


class LeeEvaluator(NetworkEvaluator):
    """AlphaGo (2016)'s evaluator: SL (or RL) policy-network priors, softened by the paper's
    softmax temperature, from lee48 planes, and value-network values from lee49 planes. The
    rollouts that mix with the value (V = (1-lambda) v + lambda z) run in the tree, with a
    FastRolloutPolicy given to MCTS as its rollout_policy."""

    history_length = 1

    def __init__(self, policy_model, value_model=None, policy_temperature: float = 0.67, **kw):
        super().__init__(policy_model, policy_temperature=policy_temperature, **kw)
        self.value_model = value_model
        if value_model is not None:
            self.value_model.to(self.device).eval()

    def planes(self, batch) -> np.ndarray:
        from ..features import batch_planes
        return batch_planes("lee49", batch, batch.last_moves)

    def forward(self, x):
        logits = self.model(x[:, :48])
        values = self.value_model(x) if self.value_model is not None else None
        return logits, values


def network_ownership(model, game) -> tuple[np.ndarray, float]:
    """A ZeroNet's ownership and score heads on ``game``, averaged over the 8 symmetries and
    turned to Black's view: (ownership float64 (N*N,), +1 where Black ends up owning the
    point, -1 White; the final area margin Black - White, komi included, in points). Raises
    ValueError for a network without those heads (AlphaGo Zero's)."""
    from ..coords import BLACK
    from ..features import history_planes
    if not getattr(model, "has_ownership", False):
        raise ValueError("this network has no ownership head")
    n = game.size
    planes = history_planes(model.config.feature_set, game.recent_stones(8)[None],
                            np.array([game.to_play]), n)
    x = np.concatenate([apply_planes(planes, t) for t in range(NUM_SYMMETRIES)])
    device = next(model.parameters()).device
    with torch.inference_mode():
        out = model.forward_all(torch.from_numpy(x).to(device))
    own = np.zeros((NUM_SYMMETRIES, n * n + 1))  # padded with a pass column: moved back as policies are
    own[:, :-1] = out["ownership"].reshape(NUM_SYMMETRIES, n * n).double().cpu().numpy()
    back = np.mean([apply_policy(own[t:t + 1], inverse(t))[0, :-1] for t in range(NUM_SYMMETRIES)], axis=0)
    score = float(out["score"].double().mean())
    sign = 1.0 if game.to_play == BLACK else -1.0
    return sign * back, sign * score
