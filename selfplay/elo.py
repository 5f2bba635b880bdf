"""Elo ratings by maximum likelihood over all games, confidence intervals, and the SPRT.

The model (Bradley-Terry on the logistic Elo scale): player i scores against player j with
probability

    E(i, j) = 1 / (1 + 10 ** (-(R_i - R_j) / 400)) = sigma(beta_i - beta_j),
    beta = R * ln(10) / 400  (ratings in logits),

a draw counting half a win for each side. Given games ``(a, b, score of a)`` the
log-likelihood is

    l(beta) = sum over games of  s * log sigma(beta_a - beta_b) + (1 - s) * log sigma(beta_b - beta_a),

and ``fit_elo`` maximises it over all games of all pairings at once (Newton's method on
this concave function; only rating differences are identified, so one player per connected
group is held at ``anchor_rating``). Its stationarity condition is Zermelo's: every
player's expected total score equals its actual score. For two players the maximum is
``R_a - R_b = 400 * log10(S / (N - S))``.

Intervals (95% by default) for a difference R_i - R_j:

* ``"profile"`` (the default): the profile likelihood interval, the differences d whose
  profile log-likelihood (l maximised over everything else with R_i - R_j = d) is within
  chi2_1(0.95) / 2 = 1.92 of the maximum (the likelihood-ratio test's acceptance region).
  It is asymmetric where the data are, and stays finite on the side the data bound.
* ``"wald"``: estimate +- 1.96 standard errors from the observed Fisher information
  (the inverse of minus the Hessian of l at the maximum).

Perfect scores. When a player (or a group) won every game against another group, the
likelihood keeps growing as their difference goes to infinity: the maximum-likelihood
difference is infinite (it is finite exactly when the two players are in the same strongly
connected component of the graph "i scored at least a draw against j", Zermelo 1929 /
Ford 1957). ``fit_elo`` finds those components, reports such differences as +inf / -inf
(and NaN where the games do not order two players at all), and gives the profile interval
the finite bound the games support: 10 wins out of 10 give [+270, +inf) Elo, 20 out of 20
give [+399, +inf). The numerical fit adds, only in that case, a negligible ridge (a normal
prior of sd 100 logits, about 17,000 Elo) so that every maximisation stays finite; it moves
the finite bounds by well under 1 Elo.

The SPRT on the same model is selfplay/sprt.py.

Over 500 lines because the fit, its perfect-score components and its profile intervals are
one piece of numerics with the derivations they rely on; the SPRT is sprt.py.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

__all__ = [
    "ELO_PER_LOGIT",
    "EloFit",
    "PairTally",
    "elo_from_score",
    "elo_from_winrate",
    "expected_score",
    "fit_elo",
    "tally",
]

ELO_PER_LOGIT = 400.0 / math.log(10.0)
"""Elo points per unit of beta (natural log-odds): about 173.7."""

_RIDGE_SD = 100.0  # logits: the prior used only when some difference is infinite


def expected_score(elo_diff: float) -> float:
    """E = 1 / (1 + 10^(-d/400)): the expected score of a player rated d above another."""
    return 1.0 / (1.0 + 10.0 ** (-elo_diff / 400.0))


def elo_from_score(score: float) -> float:
    """The inverse: d = 400 log10(s / (1 - s)); +inf at 1, -inf at 0."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"a score fraction must be in [0, 1], got {score!r}")
    if score == 1.0:
        return math.inf
    if score == 0.0:
        return -math.inf
    return 400.0 * math.log10(score / (1.0 - score))


def elo_from_winrate(winrate: float, clamp: float = 1e-3) -> float:
    """elo_from_score with the score kept within [clamp, 1 - clamp]: a finite difference
    even for 0/10 or 10/10 (a gating chain's steps)."""
    return elo_from_score(min(max(winrate, clamp), 1.0 - clamp))


def _chi2_1(confidence: float) -> float:
    """The chi-square (1 degree of freedom) quantile at ``confidence``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    return z * z


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


# ----------------------------------------------------------------------------- tallies
@dataclass
class PairTally:
    """Results of ``a`` against ``b``: wins, draws and losses from ``a``'s side."""

    a: Hashable
    b: Hashable
    wins: int = 0
    draws: int = 0
    losses: int = 0

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """a's points: wins + draws / 2."""
        return self.wins + 0.5 * self.draws

    @property
    def fraction(self) -> float:
        """a's score fraction (NaN with no games)."""
        return self.score / self.games if self.games else math.nan

    def add(self, score: float) -> None:
        if score == 1.0:
            self.wins += 1
        elif score == 0.0:
            self.losses += 1
        elif score == 0.5:
            self.draws += 1
        else:
            raise ValueError(f"a game's score must be 1, 0.5 or 0, got {score!r}")


def _check_games(games) -> list[tuple[Hashable, Hashable, float]]:
    out = []
    for number, game in enumerate(games, start=1):
        try:
            a, b, s = game
        except (TypeError, ValueError):
            raise ValueError(f"game {number}: expected (player_a, player_b, score_of_a), "
                             f"got {game!r}") from None
        s = float(s)
        if s not in (0.0, 0.5, 1.0):
            raise ValueError(f"game {number}: score must be 1, 0.5 or 0, got {s!r}")
        if a == b:
            raise ValueError(f"game {number}: {a!r} cannot play itself")
        out.append((a, b, s))
    return out


def tally(games: Iterable[tuple[Hashable, Hashable, float]]) -> dict[tuple, PairTally]:
    """Per unordered pairing, in order of first appearance: ``{(a, b): PairTally}`` where
    ``a`` is the player named first in the pairing's first game."""
    out: dict[tuple, PairTally] = {}
    for a, b, s in _check_games(games):
        if (a, b) in out:
            out[(a, b)].add(s)
        elif (b, a) in out:
            out[(b, a)].add(1.0 - s)
        else:
            out[(a, b)] = PairTally(a, b)
            out[(a, b)].add(s)
    return out


# ----------------------------------------------------------------------------- the fit
@dataclass
class EloFit:
    """The maximum-likelihood ratings of ``fit_elo``. Ratings are Elo, with ``anchor`` at
    ``anchor_rating``; ``ratings[p]`` is +-inf or NaN where the games do not bound it
    (see the module docstring)."""

    players: list
    ratings: dict
    anchor: Hashable
    anchor_rating: float
    loglik: float
    confidence: float
    games: int
    _beta: np.ndarray = field(repr=False)
    _pairs: tuple = field(repr=False)      # (i, j, score of i, games) arrays, i < j
    _component: np.ndarray = field(repr=False)
    _reach: np.ndarray = field(repr=False)  # _reach[i, j]: i scored against j, transitively
    _ridge: float = field(repr=False)
    _cov: np.ndarray | None = field(repr=False)
    _free: np.ndarray = field(repr=False)   # index of each player's free parameter or -1

    # -------------------------------------------------------------- queries
    def index(self, player) -> int:
        try:
            return self.players.index(player)
        except ValueError:
            raise KeyError(f"no games of {player!r}") from None

    def kind(self, a, b) -> str:
        """"finite", "+inf", "-inf" or "unordered" (the games do not compare them)."""
        i, j = self.index(a), self.index(b)
        if i == j or (self._reach[i, j] and self._reach[j, i]):
            return "finite"
        if self._component[i] != self._component[j]:
            return "unordered"
        if self._reach[i, j]:
            return "+inf"
        if self._reach[j, i]:
            return "-inf"
        return "unordered"

    def diff(self, a, b) -> float:
        """The maximum-likelihood R_a - R_b in Elo (+-inf, or NaN when unordered)."""
        kind = self.kind(a, b)
        if kind == "finite":
            i, j = self.index(a), self.index(b)
            return float(self._beta[i] - self._beta[j]) * ELO_PER_LOGIT
        return {"+inf": math.inf, "-inf": -math.inf}.get(kind, math.nan)

    def stderr(self, a, b) -> float:
        """Standard error of R_a - R_b from the observed Fisher information (Elo); inf when
        the difference is not finite."""
        if self.kind(a, b) != "finite":
            return math.inf
        i, j = self.index(a), self.index(b)
        if i == j:
            return 0.0
        e = np.zeros(self._cov.shape[0])
        for p, sign in ((i, 1.0), (j, -1.0)):
            if self._free[p] >= 0:
                e[self._free[p]] += sign
        return float(math.sqrt(max(e @ self._cov @ e, 0.0))) * ELO_PER_LOGIT

    def interval(self, a, b, method: str = "profile") -> tuple[float, float]:
        """The confidence interval of R_a - R_b in Elo, by ``"profile"`` likelihood or
        ``"wald"`` (estimate +- z * stderr)."""
        kind = self.kind(a, b)
        if kind == "unordered":
            return (-math.inf, math.inf)
        i, j = self.index(a), self.index(b)
        if i == j:
            return (0.0, 0.0)
        if method == "wald":
            if kind != "finite":
                return (-math.inf, math.inf)
            z = NormalDist().inv_cdf(0.5 + self.confidence / 2.0)
            d, se = self.diff(a, b), self.stderr(a, b)
            return (d - z * se, d + z * se)
        if method != "profile":
            raise ValueError(f"unknown interval method {method!r}: 'profile' or 'wald'")
        return _profile_interval(self, i, j, kind)

    def rating_interval(self, player, method: str = "profile") -> tuple[float, float]:
        """The interval of ``player``'s rating (its difference to the anchor, shifted)."""
        lo, hi = self.interval(player, self.anchor, method)
        return (lo + self.anchor_rating, hi + self.anchor_rating)

    def expected(self, a, b) -> float:
        """The model's expected score of ``a`` against ``b``."""
        d = self.diff(a, b)
        return math.nan if math.isnan(d) else expected_score(d)

    def table(self, method: str = "profile") -> list[dict]:
        """One row per player, best first: name, rating, interval, games, score."""
        rows = []
        for p in self.players:
            lo, hi = self.rating_interval(p, method)
            rows.append({"player": p, "rating": self.ratings[p], "low": lo, "high": hi})
        rows.sort(key=lambda r: (-r["rating"] if not math.isnan(r["rating"]) else math.inf))
        return rows

    def to_dict(self, method: str = "profile") -> dict:
        """JSON-ready summary (infinities as the strings "inf" / "-inf", NaN as None)."""
        pairs = []
        for i, a in enumerate(self.players):
            for b in self.players[i + 1:]:
                if self.kind(a, b) == "unordered" and self._component[i] != self._component[self.index(b)]:
                    continue
                lo, hi = self.interval(a, b, method)
                pairs.append({"a": a, "b": b, "elo": _json_num(self.diff(a, b)),
                              "low": _json_num(lo), "high": _json_num(hi),
                              "stderr": _json_num(self.stderr(a, b))})
        return {
            "model": "bradley-terry (logistic elo), maximum likelihood over all games",
            "interval": method, "confidence": self.confidence, "games": self.games,
            "anchor": self.anchor, "anchor_rating": self.anchor_rating,
            "ratings": [{**row, "rating": _json_num(row["rating"]), "low": _json_num(row["low"]),
                         "high": _json_num(row["high"])} for row in self.table(method)],
            "differences": pairs,
        }


def _json_num(x: float):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return round(float(x), 2)


def _components(n: int, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Connected components of the undirected game graph (labels 0..)."""
    label = np.full(n, -1, dtype=np.int64)
    adjacency = [[] for _ in range(n)]
    for i, j in zip(pi.tolist(), pj.tolist()):
        adjacency[i].append(j)
        adjacency[j].append(i)
    current = 0
    for start in range(n):
        if label[start] >= 0:
            continue
        stack = [start]
        label[start] = current
        while stack:
            p = stack.pop()
            for q in adjacency[p]:
                if label[q] < 0:
                    label[q] = current
                    stack.append(q)
        current += 1
    return label


def _reachability(n: int, scored: np.ndarray) -> np.ndarray:
    """Transitive closure (Warshall) of the relation "i scored against j", reflexive."""
    reach = scored.copy()
    np.fill_diagonal(reach, True)
    for k in range(n):
        reach |= reach[:, k:k + 1] & reach[k:k + 1, :]
    return reach


class _Objective:
    """l(beta) - ridge/2 * sum over groups of sum_p (beta_p - group mean)^2, over
    beta = base + M theta, with its gradient and Hessian. The ridge is invariant to moving a
    whole group, like l itself, so it does not depend on which player is held fixed."""

    def __init__(self, n, pairs, ridge, component):
        self.n = n
        self.i, self.j, self.s, self.g = pairs
        self.ridge = ridge
        # L: the centring matrix of each group (I - 11'/n_c blockwise)
        self.L = np.zeros((n, n))
        if ridge:
            for c in np.unique(component):
                members = np.flatnonzero(component == c)
                block = np.eye(len(members)) - 1.0 / len(members)
                self.L[np.ix_(members, members)] = block

    def loglik(self, beta: np.ndarray) -> float:
        x = beta[self.i] - beta[self.j]
        value = float(np.sum(self.s * _log_sigmoid(x) + (self.g - self.s) * _log_sigmoid(-x)))
        if self.ridge:
            value -= 0.5 * self.ridge * float(beta @ self.L @ beta)
        return value

    def derivatives(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = beta[self.i] - beta[self.j]
        p = 1.0 / (1.0 + np.exp(-x))
        r = self.s - self.g * p                # d l / d x per pairing
        w = self.g * p * (1.0 - p)             # - d2 l / d x2
        grad = np.zeros(self.n)
        np.add.at(grad, self.i, r)
        np.add.at(grad, self.j, -r)
        hess = np.zeros((self.n, self.n))
        np.add.at(hess, (self.i, self.i), -w)
        np.add.at(hess, (self.j, self.j), -w)
        np.add.at(hess, (self.i, self.j), w)
        np.add.at(hess, (self.j, self.i), w)
        if self.ridge:
            grad -= self.ridge * (self.L @ beta)
            hess -= self.ridge * self.L
        return grad, hess

    def maximize(self, base: np.ndarray, M: np.ndarray, theta: np.ndarray,
                 tol: float = 1e-10, max_iter: int = 200) -> tuple[np.ndarray, float]:
        """Damped Newton ascent; returns (theta, objective)."""
        if M.shape[1] == 0:
            return theta, self.loglik(base)
        beta = base + M @ theta
        value = self.loglik(beta)
        for _ in range(max_iter):
            grad, hess = self.derivatives(beta)
            g = M.T @ grad
            h = M.T @ hess @ M
            try:
                step = np.linalg.solve(h, -g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(h, -g, rcond=None)[0]
            if not np.all(np.isfinite(step)) or float(g @ step) <= 0:
                step = g / max(1.0, float(np.abs(g).max()))  # fall back to gradient ascent
            t = 1.0
            while True:
                candidate = theta + t * step
                new_beta = base + M @ candidate
                new_value = self.loglik(new_beta)
                if new_value >= value - 1e-12 or t < 1e-10:
                    break
                t *= 0.5
            improvement = new_value - value
            theta, beta, value = candidate, new_beta, new_value
            if abs(improvement) < tol and float(np.abs(t * step).max()) < 1e-7:
                break
        return theta, value


def fit_elo(games: Iterable[tuple[Hashable, Hashable, float]], anchor: Hashable | None = None,
            anchor_rating: float = 0.0, confidence: float = 0.95,
            players: Sequence[Hashable] | None = None) -> EloFit:
    """Maximum-likelihood Elo ratings from ``games``, an iterable of ``(a, b, score of a)``
    with the score 1, 0.5 or 0. ``anchor`` (default: the first player) is fixed at
    ``anchor_rating``; players with no path of games to the anchor are rated relative to
    the first player of their own group, at ``anchor_rating`` too (and differences across
    groups are NaN). ``players`` fixes the order of the players (all must have games)."""
    checked = _check_games(games)
    order: list = list(players) if players is not None else []
    for a, b, _ in checked:
        for p in (a, b):
            if p not in order:
                if players is not None:
                    raise ValueError(f"{p!r} has games but is not among players")
                order.append(p)
    if not order:
        raise ValueError("no games to rate")
    if anchor is None:
        anchor = order[0]
    if anchor not in order:
        raise ValueError(f"anchor {anchor!r} has no games")
    n = len(order)
    index = {p: k for k, p in enumerate(order)}
    score = np.zeros((n, n))
    count = np.zeros((n, n))
    for a, b, s in checked:
        i, j = index[a], index[b]
        score[i, j] += s
        score[j, i] += 1.0 - s
        count[i, j] += 1
        count[j, i] += 1
    pi, pj = np.nonzero(np.triu(count, 1))
    pairs = (pi, pj, score[pi, pj], count[pi, pj])
    component = _components(n, pi, pj)
    reach = _reachability(n, score > 0)
    all_finite = all(reach[i, j] and reach[j, i] for i, j in zip(pi.tolist(), pj.tolist()))
    ridge = 0.0 if all_finite else 1.0 / _RIDGE_SD ** 2
    # one reference per component (the anchor in its own), the rest free
    reference = {}
    for p in [index[anchor]] + list(range(n)):
        reference.setdefault(int(component[p]), p)
    free = np.full(n, -1, dtype=np.int64)
    k = 0
    for p in range(n):
        if reference[int(component[p])] != p:
            free[p] = k
            k += 1
    M = np.zeros((n, k))
    for p in range(n):
        if free[p] >= 0:
            M[p, free[p]] = 1.0
    objective = _Objective(n, pairs, ridge, component)
    theta, value = objective.maximize(np.zeros(n), M, np.zeros(k))
    beta = M @ theta
    cov = None
    if k:
        _, hess = objective.derivatives(beta)
        info = -(M.T @ hess @ M)
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(info)
    else:
        cov = np.zeros((0, 0))
    fit = EloFit(players=order, ratings={}, anchor=anchor, anchor_rating=float(anchor_rating),
                 loglik=value, confidence=confidence, games=len(checked), _beta=beta,
                 _pairs=pairs, _component=component, _reach=reach, _ridge=ridge, _cov=cov,
                 _free=free)
    for p in order:
        ref = order[reference[int(component[index[p]])]]
        fit.ratings[p] = fit.diff(p, ref) + fit.anchor_rating
    return fit


def _profile(fit: EloFit, i: int, j: int, d: float, objective: _Objective) -> float:
    """max l(beta) subject to beta_i - beta_j = d (logits): beta_j held at 0, beta_i at d,
    the other players of their group free, the other groups at their fitted ratings (they
    do not interact with this one)."""
    group = fit._component == fit._component[i]
    cols = [p for p in np.flatnonzero(group).tolist() if p not in (i, j)]
    base = fit._beta.copy()
    base[group] = 0.0
    base[i] = d
    M = np.zeros((len(fit.players), len(cols)))
    for c, p in enumerate(cols):
        M[p, c] = 1.0
    theta0 = np.array([fit._beta[p] - fit._beta[j] for p in cols])
    _, value = objective.maximize(base, M, theta0)
    return value


def _profile_interval(fit: EloFit, i: int, j: int, kind: str) -> tuple[float, float]:
    objective = _Objective(len(fit.players), fit._pairs, fit._ridge, fit._component)
    target = fit.loglik - _chi2_1(fit.confidence) / 2.0
    d_hat = float(fit._beta[i] - fit._beta[j])  # finite even for "+inf" (the ridge keeps it)

    def f(d: float) -> float:
        return _profile(fit, i, j, d, objective) - target

    def bound(direction: float) -> float:
        step = 0.5
        inner = d_hat
        outer = d_hat + direction * step
        f_outer = f(outer)
        while f_outer > 0:
            inner = outer
            step *= 2.0
            outer = d_hat + direction * step
            if step > 4 * _RIDGE_SD:
                return direction * math.inf
            f_outer = f(outer)
        f_inner = f(inner)
        # Illinois (modified regula falsi) between inner (f > 0) and outer (f <= 0)
        a, fa, b, fb = inner, f_inner, outer, f_outer
        side = 0
        for _ in range(60):
            c = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
            fc = f(c)
            if abs(fc) < 1e-7 or abs(b - a) < 1e-6:
                return c
            if (fc > 0) == (fb > 0):
                b, fb = c, fc
                if side == -1:
                    fa *= 0.5
                side = -1
            else:
                a, fa = c, fc
                if side == 1:
                    fb *= 0.5
                side = 1
        return 0.5 * (a + b)

    lo = -math.inf if kind == "-inf" else bound(-1.0)
    hi = math.inf if kind == "+inf" else bound(+1.0)
    return (lo * ELO_PER_LOGIT, hi * ELO_PER_LOGIT)
