"""The sequential probability ratio test of a two-player match (goengine-arena --sprt).

SPRT: ``SPRT(elo0, elo1, alpha, beta)`` tests H0: R = elo0 against H1: R = elo1 for one
pairing, as a generalised SPRT on the logistic model: the log-likelihood ratio of the
(win, draw, loss) counts under the maximum-likelihood trinomial with expected score
E(elo1) against the one with E(elo0). With no draws this is exactly Wald's SPRT for a
Bernoulli win probability, ``W log(p1/p0) + L log((1-p1)/(1-p0))``. Stop when the LLR
leaves (log(beta / (1 - alpha)), log((1 - beta) / alpha)).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .elo import expected_score

__all__ = ["SPRT", "SprtStatus"]


@dataclass(frozen=True)
class SprtStatus:
    llr: float
    lower: float
    upper: float
    decision: str | None
    """"H1" (accept elo1: the first player is stronger), "H0" (accept elo0), or None
    (go on playing)."""


@dataclass(frozen=True)
class SPRT:
    """Sequential probability ratio test of H0: R_a - R_b = elo0 against H1: = elo1 (a GSPRT
    on the logistic model; see the module docstring)."""

    elo0: float = 0.0
    """Elo difference of the null hypothesis."""
    elo1: float = 50.0
    """Elo difference of the alternative (must differ from elo0)."""
    alpha: float = 0.05
    """Probability of accepting H1 when H0 holds (false positive)."""
    beta: float = 0.05
    """Probability of accepting H0 when H1 holds (false negative)."""

    def __post_init__(self):
        if self.elo0 == self.elo1:
            raise ValueError("SPRT: elo0 and elo1 must differ")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not 0.0 < value < 0.5:
                raise ValueError(f"SPRT: {name} must be in (0, 0.5), got {value!r}")

    @property
    def bounds(self) -> tuple[float, float]:
        """(lower, upper) LLR bounds: log(beta / (1 - alpha)), log((1 - beta) / alpha)."""
        return (math.log(self.beta / (1.0 - self.alpha)), math.log((1.0 - self.beta) / self.alpha))

    def llr(self, wins: int, draws: int, losses: int) -> float:
        """The log-likelihood ratio of H1 against H0 after these results."""
        s0, s1 = expected_score(self.elo0), expected_score(self.elo1)
        if draws == 0:
            return (wins * math.log(s1 / s0) + losses * math.log((1.0 - s1) / (1.0 - s0)))
        counts = [losses, draws, wins]
        return _trinomial_loglik(counts, s1) - _trinomial_loglik(counts, s0)

    def status(self, wins: int, draws: int, losses: int) -> SprtStatus:
        llr = self.llr(wins, draws, losses)
        lower, upper = self.bounds
        decision = "H1" if llr >= upper else "H0" if llr <= lower else None
        return SprtStatus(llr, lower, upper, decision)


def _trinomial_loglik(counts: Sequence[int], s: float) -> float:
    """max sum n_k log p_k over trinomials p on the scores (0, 1/2, 1) with mean s; empty
    cells get a pseudo-count of 1e-3 (as fishtest does) so the maximum always exists."""
    a = np.array([0.0, 0.5, 1.0])
    n = np.array(counts, dtype=np.float64) + 1e-3
    total = n.sum()
    w = n / total
    dev = a - s
    lo, hi = -1.0 / dev.max(), -1.0 / dev.min()  # 1 + theta * dev > 0 for every cell

    def g(theta):
        return float(np.sum(w * dev / (1.0 + theta * dev)))

    # g decreases in theta; bisection inside the open interval
    left, right = lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo)
    for _ in range(200):
        mid = 0.5 * (left + right)
        if g(mid) > 0:
            left = mid
        else:
            right = mid
    theta = 0.5 * (left + right)
    p = w / (1.0 + theta * dev)
    p /= p.sum()
    return float(np.sum((n - 1e-3) * np.log(p)))
