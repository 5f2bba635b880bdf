"""The one RNG coercion: every random component takes a numpy Generator, a seed or None."""
from __future__ import annotations

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None) -> np.random.Generator:
    """``rng`` itself when it is a Generator, else a new Generator seeded with it (None:
    fresh entropy; an int, a sequence of ints or a SeedSequence: reproducible)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
