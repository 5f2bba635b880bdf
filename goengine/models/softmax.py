"""The softmax of policy logits over the legal moves (numpy; the C path is
goengine.features._zero.masked_softmax_fast). Its own module so that the evaluators and the
int8 calibration use it without importing each other."""
from __future__ import annotations

import numpy as np

__all__ = ["masked_softmax"]


def masked_softmax(logits: np.ndarray, legal: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of logits / temperature over the legal entries only (uniform if all fail)."""
    z = np.where(legal > 0, logits / temperature, -np.inf)
    with np.errstate(invalid="ignore"):  # rows without a legal entry are all -inf
        p = np.exp(z - z.max(axis=1, keepdims=True))
    p[~np.isfinite(p)] = 0.0
    total = p.sum(axis=1, keepdims=True)
    uniform = legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)
    return np.where(total > 0, p / np.where(total > 0, total, 1), uniform).astype(np.float32)
