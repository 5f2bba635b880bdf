"""selfplay/elo.py and sprt.py: maximum-likelihood Elo against hand-computed cases, intervals, perfect
scores, and the SPRT on synthetic sequences."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from selfplay.elo import (
    ELO_PER_LOGIT,
    elo_from_score,
    elo_from_winrate,
    expected_score,
    fit_elo,
    tally,
)
from selfplay.sprt import SPRT

Z95 = 1.959963984540054
CHI2_95 = Z95 * Z95


def games(a, b, wins, losses, draws=0):
    return [(a, b, 1.0)] * wins + [(a, b, 0.0)] * losses + [(a, b, 0.5)] * draws


# ----------------------------------------------------------------------------- the fit
@pytest.mark.parametrize("wins,losses,draws", [(7, 3, 0), (3, 7, 0), (5, 3, 2), (1, 1, 0),
                                               (30, 11, 4)])
def test_two_players_mle_is_400_log10_of_the_score_ratio(wins, losses, draws):
    fit = fit_elo(games("a", "b", wins, losses, draws))
    score = wins + draws / 2
    n = wins + losses + draws
    assert fit.diff("a", "b") == pytest.approx(400 * math.log10(score / (n - score)), abs=1e-6)
    assert fit.diff("b", "a") == pytest.approx(-fit.diff("a", "b"))
    # observed Fisher information of one logit parameter: n p (1 - p)
    p = score / n
    assert fit.stderr("a", "b") == pytest.approx(ELO_PER_LOGIT / math.sqrt(n * p * (1 - p)),
                                                 rel=1e-6)


def test_three_players_consistent_with_the_model_are_recovered_exactly():
    # scores exactly as Bradley-Terry with R_A - R_B = R_B - R_C = 400 log10(3) predicts:
    # A-B 3:1, B-C 3:1, A-C 9:1 (sigma(2 log 3) = 9/10); the MLE reproduces them
    data = (games("A", "B", 3, 1) + games("B", "C", 3, 1) + games("A", "C", 9, 1))
    fit = fit_elo(data)
    step = 400 * math.log10(3)
    assert fit.ratings["A"] == 0.0
    assert fit.ratings["B"] == pytest.approx(-step, abs=1e-6)
    assert fit.ratings["C"] == pytest.approx(-2 * step, abs=1e-6)
    assert fit.diff("A", "C") == pytest.approx(400 * math.log10(9), abs=1e-6)
    assert fit.expected("A", "C") == pytest.approx(0.9)


def test_zermelo_fixed_point_on_a_random_round_robin():
    # at the maximum every player's expected score equals its actual score
    rng = np.random.default_rng(3)
    strength = {"p0": 0.0, "p1": 150.0, "p2": -100.0, "p3": 300.0}
    names = list(strength)
    data = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for _ in range(30):
                s = float(rng.random() < expected_score(strength[a] - strength[b]))
                data.append((a, b, s))
    fit = fit_elo(data)
    for p in names:
        actual = sum(s if a == p else 1 - s for a, b, s in data if p in (a, b))
        expected = sum(fit.expected(p, b if a == p else a) for a, b, s in data if p in (a, b))
        assert expected == pytest.approx(actual, abs=1e-6)


def test_anchor_and_rating_shift():
    data = games("x", "y", 6, 4) + games("y", "z", 5, 5)
    fit = fit_elo(data, anchor="y", anchor_rating=1500)
    assert fit.ratings["y"] == 1500
    assert fit.ratings["x"] == pytest.approx(1500 + 400 * math.log10(6 / 4), abs=1e-6)
    assert fit.ratings["z"] == pytest.approx(1500, abs=1e-6)
    lo, hi = fit.rating_interval("x")
    lo2, hi2 = fit.interval("x", "y")
    assert (lo, hi) == pytest.approx((lo2 + 1500, hi2 + 1500))
    assert fit.rating_interval("y") == (1500, 1500)


def test_intervals_contain_the_estimate_and_shrink_with_games():
    widths = []
    for n in (10, 40, 160, 640):
        fit = fit_elo(games("a", "b", int(0.6 * n), n - int(0.6 * n)))
        d = fit.diff("a", "b")
        lo, hi = fit.interval("a", "b")
        wlo, whi = fit.interval("a", "b", "wald")
        assert lo < d < hi and wlo < d < whi
        assert whi - d == pytest.approx(d - wlo)  # Wald is symmetric
        widths.append(hi - lo)
        if n == 640:  # large samples: profile and Wald agree
            assert (lo, hi) == pytest.approx((wlo, whi), abs=3.0)
    assert all(a > b for a, b in itertools.pairwise(widths))
    # width ~ 1/sqrt(n): quadrupling the games about halves it
    assert widths[-2] / widths[-1] == pytest.approx(2.0, rel=0.1)


def test_profile_interval_solves_the_likelihood_ratio_equation():
    wins, losses = 8, 4
    fit = fit_elo(games("a", "b", wins, losses))
    lo, hi = fit.interval("a", "b")

    def loglik(d_elo):
        p = expected_score(d_elo)
        return wins * math.log(p) + losses * math.log(1 - p)

    top = loglik(fit.diff("a", "b"))
    for bound in (lo, hi):
        assert loglik(bound) == pytest.approx(top - CHI2_95 / 2, abs=1e-5)


def test_perfect_score_is_infinite_with_a_finite_profile_bound():
    for n in (1, 10, 20):
        fit = fit_elo(games("a", "b", n, 0))
        assert fit.diff("a", "b") == math.inf
        assert fit.diff("b", "a") == -math.inf
        assert fit.kind("a", "b") == "+inf"
        assert fit.stderr("a", "b") == math.inf
        lo, hi = fit.interval("a", "b")
        assert hi == math.inf
        # closed form: n log sigma(d) = -chi2/2
        p = math.exp(-CHI2_95 / 2 / n)
        assert lo == pytest.approx(400 * math.log10(p / (1 - p)), abs=1.0)
        assert fit.interval("b", "a") == pytest.approx((-hi, -lo))
        assert fit.ratings == {"a": 0.0, "b": -math.inf}
    # one loss out of 21 makes it finite again
    fit = fit_elo(games("a", "b", 20, 1))
    assert math.isfinite(fit.diff("a", "b"))


def test_perfect_scores_inside_a_round_robin():
    # A won every game; B and C split theirs: A-B and A-C are +inf, B-C is finite
    data = games("A", "B", 5, 0) + games("B", "C", 3, 2) + games("A", "C", 4, 0)
    fit = fit_elo(data)
    assert fit.diff("A", "B") == math.inf and fit.diff("A", "C") == math.inf
    assert fit.diff("B", "C") == pytest.approx(400 * math.log10(3 / 2), abs=0.5)
    lo, hi = fit.interval("B", "C")
    assert lo < fit.diff("B", "C") < hi and math.isfinite(lo) and math.isfinite(hi)
    lo, hi = fit.interval("A", "B")
    assert math.isfinite(lo) and lo > 0 and hi == math.inf
    table = fit.to_dict()
    assert table["ratings"][0]["player"] == "A"
    assert {r["rating"] for r in table["ratings"][1:]} == {"-inf"}


def test_unordered_players_get_no_difference():
    # A beat both B and C, who never met and never scored: nothing orders B and C
    fit = fit_elo(games("A", "B", 3, 0) + games("A", "C", 3, 0))
    assert fit.kind("B", "C") == "unordered"
    assert math.isnan(fit.diff("B", "C"))
    assert fit.interval("B", "C") == (-math.inf, math.inf)


def test_disconnected_groups():
    fit = fit_elo(games("a", "b", 3, 1) + games("c", "d", 1, 3))
    assert fit.diff("a", "b") == pytest.approx(400 * math.log10(3))
    assert fit.diff("c", "d") == pytest.approx(-400 * math.log10(3))
    assert math.isnan(fit.diff("a", "c"))
    assert fit.ratings["c"] == 0.0  # the first player of its group, at the anchor rating


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="score must be"):
        fit_elo([("a", "b", 0.7)])
    with pytest.raises(ValueError, match="cannot play itself"):
        fit_elo([("a", "a", 1)])
    with pytest.raises(ValueError, match="no games"):
        fit_elo([])
    with pytest.raises(ValueError, match="anchor"):
        fit_elo(games("a", "b", 1, 1), anchor="zz")
    with pytest.raises(ValueError, match="expected"):
        fit_elo([("a", "b")])


def test_score_conversions_and_tally():
    for d in (-300.0, 0.0, 57.5, 800.0):
        assert elo_from_score(expected_score(d)) == pytest.approx(d)
    assert elo_from_score(1.0) == math.inf and elo_from_score(0.0) == -math.inf
    with pytest.raises(ValueError):
        elo_from_score(1.5)
    t = tally(games("a", "b", 2, 1, 1) + [("b", "a", 1.0)])
    assert list(t) == [("a", "b")]
    pair = t[("a", "b")]
    assert (pair.wins, pair.draws, pair.losses, pair.games) == (2, 1, 2, 5)
    assert pair.fraction == pytest.approx(2.5 / 5)


# ----------------------------------------------------------------------------- SPRT
def test_sprt_bounds_and_bernoulli_llr():
    sprt = SPRT(elo0=0, elo1=50, alpha=0.05, beta=0.1)
    lower, upper = sprt.bounds
    assert lower == pytest.approx(math.log(0.1 / 0.95))
    assert upper == pytest.approx(math.log(0.9 / 0.05))
    p0, p1 = 0.5, expected_score(50)
    assert sprt.llr(12, 0, 5) == pytest.approx(12 * math.log(p1 / p0)
                                              + 5 * math.log((1 - p1) / (1 - p0)))
    assert sprt.llr(0, 0, 0) == 0.0
    # the trinomial GSPRT with a vanishing draw count tends to the Bernoulli one
    from selfplay.sprt import _trinomial_loglik
    counts = [5, 0, 12]
    approx = _trinomial_loglik(counts, p1) - _trinomial_loglik(counts, p0)
    assert approx == pytest.approx(sprt.llr(12, 0, 5), abs=0.02)


def test_sprt_with_draws_prefers_the_hypothesis_near_the_score():
    sprt = SPRT(0, 100)
    assert sprt.llr(0, 40, 0) < 0           # all draws: score 0.5 = H0 exactly
    assert sprt.llr(20, 20, 5) > 0          # score 0.67 is nearer E(100) = 0.64
    assert sprt.status(0, 200, 0).decision == "H0"


@pytest.mark.parametrize("true_elo,expected", [(200.0, "H1"), (-100.0, "H0")])
def test_sprt_decides_on_synthetic_sequences(true_elo, expected):
    sprt = SPRT(elo0=0, elo1=100, alpha=0.05, beta=0.05)
    p = expected_score(true_elo)
    decisions = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        w = d = l = 0
        for _ in range(2000):
            if rng.random() < p:
                w += 1
            else:
                l += 1
            status = sprt.status(w, d, l)
            if status.decision:
                decisions.append(status.decision)
                break
    assert len(decisions) == 20  # every sequence stops
    assert decisions.count(expected) >= 18


def test_sprt_refuses_bad_parameters():
    with pytest.raises(ValueError, match="differ"):
        SPRT(10, 10)
    with pytest.raises(ValueError, match="alpha"):
        SPRT(0, 10, alpha=0.7)


def test_elo_from_winrate_is_elo_from_score_kept_finite():
    assert elo_from_winrate(0.75) == pytest.approx(elo_from_score(0.75))
    assert elo_from_winrate(1.0) == pytest.approx(elo_from_score(0.999))
    assert elo_from_winrate(0.0) == pytest.approx(-elo_from_score(0.999))
