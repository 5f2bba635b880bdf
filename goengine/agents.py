"""Agents: anything that picks a move for a GameState.

The protocol (alpha-zero-general's Arena plays any two such players):

    agent.name: str
    agent.select_move(game) -> action        # 0..N*N-1, N*N for pass, RESIGN (-1) to resign
    agent.reset() -> None                    # a new game starts
    agent.last_result                        # SearchResult of the last search, or None

Agents never mutate the game they are given.
"""
from __future__ import annotations

import numpy as np

from .search import MCTS, RESIGN, MCTSConfig, RolloutEvaluator, UniformEvaluator

__all__ = ["RESIGN", "RandomAgent", "MCTSAgent", "pure_mcts_agent"]


class RandomAgent:
    """Uniform over legal moves that do not fill its own one-point eyes; passes when none
    is left (the policy of the C playouts)."""

    name = "random"

    def __init__(self, rng=None):
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.last_result = None

    def reset(self) -> None:
        pass

    def select_move(self, game) -> int:
        n = game.size * game.size
        legal = np.flatnonzero(game.legal_mask()[:n])
        candidates = [int(a) for a in legal if not game.board.is_eye(int(a), game.to_play)]
        return int(self.rng.choice(candidates)) if candidates else n


class MCTSAgent:
    """Plays the move chosen by a Monte Carlo tree search with the given evaluator."""

    def __init__(self, evaluator, config: MCTSConfig | None = None, rng=None, name: str = "mcts",
                 seconds: float | None = None, rollout_policy=None):
        self.config = config or MCTSConfig()
        self.mcts = MCTS(evaluator, self.config, rng=rng, rollout_policy=rollout_policy)
        self.seconds = seconds
        self.name = name
        self.last_result = None

    def reset(self) -> None:
        self.mcts.reset()
        self.last_result = None

    def select_move(self, game, seconds: float | None = None) -> int:
        seconds = self.seconds if seconds is None else seconds
        result = self.mcts.search(game, seconds=seconds)
        self.last_result = result
        return self.mcts.choose(result, game)


def pure_mcts_agent(simulations: int = 1000, rng=None, seconds: float | None = None,
                    **config_changes) -> MCTSAgent:
    """UCT with uniform priors and C random playouts at every leaf: no network at all."""
    config = MCTSConfig.pure_mcts(num_simulations=simulations, **config_changes)
    return MCTSAgent(UniformEvaluator(), config, rng=rng, name=f"mcts:{simulations}", seconds=seconds)


def rollout_mcts_agent(simulations: int = 1000, rollouts: int = 1, rng=None, **config_changes) -> MCTSAgent:
    """PUCT whose leaf values come from RolloutEvaluator (playouts run by the evaluator, not
    the tree): the same play as pure_mcts_agent through the batched evaluator seam."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    config = MCTSConfig(num_simulations=simulations, c_puct=1.0, fpu_reduction=0.0, **config_changes)
    return MCTSAgent(RolloutEvaluator(rollouts, rng=rng), config, rng=rng, name=f"rollout-mcts:{simulations}")
