"""Gumbel AlphaZero's root search (Danihelka et al., "Policy improvement by planning with
Gumbel", ICLR 2022; DeepMind's mctx `gumbel_muzero_policy`), for self-play with few
simulations.

At the root, m moves are drawn without replacement by the Gumbel-top-k trick (the m largest
g(a) + logit(a), g Gumbel noise), and sequential halving shares the simulations among them:
each phase gives every remaining move the same number of visits, then keeps the better half
by g(a) + logit(a) + sigma(q(a)). The move played is the last one standing, and the policy
target is softmax(logit + sigma(completed q)): every legal move's logit moved by its value,
the unvisited ones by the mixed value v_mix. Below the root the tree is PUCT as ever (the
paper's full algorithm also changes the inner selection; mctx's examples keep it at the root
too for few simulations).

    sigma(q) = (c_visit + max_b N(b)) * c_scale * q,   q rescaled to [0, 1] over the moves

Where plain PUCT with few simulations may not improve its policy at all (the target is its
visits, and a move it never visits keeps a zero), this target improves on the prior whenever
the values are right, with as few as 2 to 16 simulations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._tree import search_many
from .mcts import SearchResult

__all__ = ["GumbelConfig", "GumbelResult", "gumbel_search_games", "completed_q_policy", "halving_plan"]


@dataclass(frozen=True)
class GumbelConfig:
    considered: int = 16
    """m: root moves sampled for sequential halving (mctx's default 16)."""
    c_visit: float = 50.0
    """sigma's visit offset (the paper's 50; Go is "not very sensitive" to it)."""
    c_scale: float = 1.0
    """sigma's scale (the paper's 1)."""

    def __post_init__(self):
        if self.considered < 1:
            raise ValueError("GumbelConfig: considered must be >= 1")
        if self.c_visit < 0 or self.c_scale <= 0:
            raise ValueError("GumbelConfig: c_visit must be >= 0 and c_scale > 0")


@dataclass
class GumbelResult:
    result: SearchResult
    """The search's statistics (visits, q, priors) as a PUCT search reports them."""
    action: int
    """The move sequential halving chose."""
    target: np.ndarray
    """The completed-Q policy target over N*N+1 actions (0 on illegal moves)."""


def _sigma(q: np.ndarray, max_visits: float, config: GumbelConfig) -> np.ndarray:
    return (config.c_visit + max_visits) * config.c_scale * q


def _rescaled(q: np.ndarray) -> np.ndarray:
    """q over [0, 1] by the min and max of the given values (mctx's rescale_values)."""
    lo, hi = float(np.min(q)), float(np.max(q))
    return (q - lo) / max(hi - lo, 1e-8)


def completed_q_policy(logits: np.ndarray, visits: np.ndarray, q: np.ndarray, value: float,
                       config: GumbelConfig) -> tuple[np.ndarray, np.ndarray]:
    """(policy target, completed q) over the legal moves given (1-D arrays): q of the visited
    moves (mover's view, [-1, 1]), v_mix for the others, rescaled, through sigma, added to
    the logits, softmax."""
    visited = visits > 0
    prior = np.exp(logits - logits.max())
    prior /= prior.sum()
    total = float(visits.sum())
    if visited.any():
        weighted = float((prior[visited] * q[visited]).sum() / prior[visited].sum())
        v_mix = (value + total * weighted) / (1.0 + total)
    else:
        v_mix = value
    completed = np.where(visited, q, v_mix)
    scores = logits + _sigma(_rescaled(completed), float(visits.max(initial=0)), config)
    policy = np.exp(scores - scores.max())
    return policy / policy.sum(), completed


def halving_plan(count: int, budget: int) -> list[int]:
    """Visits per remaining move in each phase of sequential halving over `count` moves with
    `budget` simulations: ceil(log2 count) phases, each giving floor(budget / (phases * k))
    (at least 1) to each of its k moves, halving k after each."""
    if count <= 1:
        return [budget]
    phases = math.ceil(math.log2(count))
    plan, k = [], count
    for _ in range(phases):
        plan.append(max(1, budget // (phases * k)))
        k = max(1, math.ceil(k / 2))
    return plan


def gumbel_search_games(searchers, games, simulations, rng, config: GumbelConfig = GumbelConfig(),
                        leaves_per_batch: int | None = None) -> list[GumbelResult]:
    """Gumbel root search of many games at once (one MCTS each, one evaluator; every phase's
    simulations of all games share evaluator batches). `simulations`: an int or one per game.
    The searchers' configs should have no Dirichlet noise (the Gumbel draw explores)."""
    if not searchers:
        return []
    sims = np.broadcast_to(np.asarray(simulations, dtype=np.int64), (len(searchers),))
    trees = [m.begin(g) for m, g in zip(searchers, games)]  # roots expanded (one simulation)
    k = leaves_per_batch or searchers[0].config.leaves_per_batch
    evaluator = searchers[0].evaluator
    states = []
    for mcts, tree, budget in zip(searchers, trees, sims):
        budget = int(budget) - int(tree.root_visits - mcts._visits_at_prepare)  # less the expansion's
        moves, visits, q, prior = tree.root_children()
        logits = np.log(np.maximum(prior, 1e-12))
        g = rng.gumbel(size=moves.size)
        m = int(min(config.considered, moves.size, max(1, budget)))
        considered = np.argsort(-(g + logits))[:m] if moves.size else np.zeros(0, np.int64)
        states.append({"moves": moves, "logits": logits, "g": g, "alive": considered,
                       "plan": halving_plan(m, int(budget)), "used": 0, "budget": int(budget)})
    phases = max(len(s["plan"]) for s in states)
    for phase in range(phases):
        counts = np.zeros(len(trees), dtype=np.int64)
        for i, (tree, s) in enumerate(zip(trees, states)):
            if phase >= len(s["plan"]) or s["alive"].size == 0:
                continue
            last = phase == len(s["plan"]) - 1
            per = s["plan"][phase]
            n = s["alive"].size * per
            if last:  # what is left of the budget goes to the last phase's moves
                n = max(n, s["budget"] - s["used"])
            n = min(n, max(0, s["budget"] - s["used"]))
            tree.set_root_plan(s["moves"][s["alive"]].tolist())
            counts[i] = n
            s["used"] += n
        if counts.any():
            search_many(trees, evaluator, counts, k)
        for tree, s in zip(trees, states):
            if s["alive"].size <= 1 or phase >= len(s["plan"]) - 1:
                continue
            _, visits, q, _ = tree.root_children()
            score = _halving_score(s, visits, q, tree.root_value(), config)
            keep = max(1, math.ceil(s["alive"].size / 2))
            s["alive"] = s["alive"][np.argsort(-score[s["alive"]], kind="stable")[:keep]]
    out = []
    for mcts, game, tree, s in zip(searchers, games, trees, states):
        tree.set_root_plan([])
        result = mcts.result(game, with_pv=False)
        moves, visits, q, _ = tree.root_children()
        n = game.size * game.size + 1
        target = np.zeros(n)
        if moves.size == 0:
            out.append(GumbelResult(result, n - 1, target))
            continue
        q = np.nan_to_num(q, nan=0.0)
        policy, _ = completed_q_policy(s["logits"], visits, q, result.root_value, config)
        target[moves] = policy
        score = _halving_score(s, visits, q, result.root_value, config)
        best = s["alive"][int(np.argmax(score[s["alive"]]))]
        out.append(GumbelResult(result, int(moves[best]), target))
    return out


def _halving_score(state: dict, visits: np.ndarray, q: np.ndarray, value: float,
                   config: GumbelConfig) -> np.ndarray:
    """g + logit + sigma(q) of every root move (the completed q of unvisited ones)."""
    q = np.nan_to_num(q, nan=0.0)
    _, completed = completed_q_policy(state["logits"], visits, q, value, config)
    return state["g"] + state["logits"] + _sigma(_rescaled(completed), float(visits.max(initial=0)), config)
