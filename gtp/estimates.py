"""What the analysis front ends say about a position beside the search: the ownership, the
score leads and the move probabilities. Shared by GTP's kata-analyze and GoGui commands
(gtp/commands_kata.py, gtp/commands_analysis.py) and KataGo's JSON analysis engine
(gtp/analysis_engine.py), so that both report the same numbers for the same position.

- ``ownership_head(agent)``: the agent's ``ownership(game) -> (ownership, score)`` (Black's
  view) when its network has an ownership head (``--workers``: this process's agent's).
- ``Estimates``: the ownership and score lead of a position from the side to move's view,
  the network's with a head, else the dead-stone judge's (gtp/status.py: random playouts,
  half with each side first, Benson's pass-alive chains set to their owner; the expected
  score is the playout ownership summed, minus komi). ``move_leads`` adds the network's score
  (and ownership) of the position after each move, best move first, for a time budget.
- ``agent_policy(agent, game, root_prior)``: the agent's move probabilities over N*N+1
  actions: its network's raw policy, else a search's root priors, else the random agent's
  own (uniform over legal moves that fill no own eye).
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from goengine.coords import BLACK

from .status import judge

__all__ = ["ownership_head", "Estimates", "estimates_for", "agent_policy"]


def ownership_head(agent):
    """The agent's ``ownership(game) -> (ownership (N*N,), score)``, Black's view, when its
    network has an ownership head (--workers: this process's agent's), else None."""
    return (getattr(agent, "ownership", None)
            or getattr(getattr(agent, "main", None), "ownership", None))


class Estimates:
    """Ownership and score leads of one analysed position, from the side to move's view:
    the network's when ``head`` is given, else the judge's (``status``, a StatusResult)."""

    def __init__(self, game, head, status, komi: float):
        self.game, self.head = game, head
        self.sign = 1.0 if game.to_play == BLACK else -1.0
        own, score = head(game) if head is not None else (status.ownership,
                                                          status.expected_score(komi))
        self.ownership = self.sign * np.asarray(own, dtype=np.float64)
        self.score = self.sign * float(score)
        self.leads: dict[int, float] = {}
        """Score lead of the side to move after each evaluated move (action -> points)."""
        self.move_ownership: dict[int, np.ndarray] = {}
        """Ownership after each evaluated move, the side to move's view (head only)."""

    def move_leads(self, moves, seconds: float) -> dict[int, float]:
        """Score leads after ``moves`` (MoveInfo, best first), evaluating new ones for
        ``seconds`` (math.inf: all of them); empty without a head."""
        if self.head is None:
            return self.leads
        deadline = time.monotonic() + seconds
        for info in moves:
            if info.action in self.leads:
                continue
            if time.monotonic() >= deadline:
                break
            child = self.game.copy()
            try:
                child.play(info.action)
            except ValueError:  # superko the search did not see: no score for it
                continue
            own, score = self.head(child)
            self.leads[info.action] = self.sign * float(score)
            self.move_ownership[info.action] = self.sign * np.asarray(own, dtype=np.float64)
        return self.leads


def estimates_for(game, head, status_config, komi: float, status=None) -> Estimates:
    """The Estimates of ``game``: by ``head`` when given, else by the judge (``status`` when
    the caller has judged the position already, e.g. a cached judgement)."""
    if head is None and status is None:
        status = judge(game.board, status_config, game.to_play)
    return Estimates(game, head, status, komi)


def agent_policy(agent, game, root_prior: Callable[[], np.ndarray] | None = None) -> np.ndarray:
    """Move probabilities (N*N+1,) of ``agent`` in ``game``: its network's raw policy
    (``agent.policy``), else ``root_prior()`` (a search agent's root priors: the caller
    searches), else uniform over the legal moves that fill no own one-point eye (pass when
    none is left: the random agent's own policy)."""
    policy = getattr(agent, "policy", None)
    if policy is not None:
        return np.asarray(policy(game), dtype=np.float64)
    if root_prior is not None:
        return np.asarray(root_prior(), dtype=np.float64)
    n = game.pass_action
    out = np.zeros(n + 1)
    legal = [a for a in np.flatnonzero(game.legal_mask()[:n]).tolist()
             if not game.board.is_eye(a, game.to_play)]
    if legal:
        out[legal] = 1.0 / len(legal)
    else:
        out[n] = 1.0
    return out
