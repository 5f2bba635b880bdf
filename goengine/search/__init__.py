"""Monte Carlo tree search: the C tree (_tree.pyx), its configuration and the MCTS driver.

The search sees only an Evaluator: `evaluate(batch) -> (priors, values)` over a LeafBatch
(see _tree.LeafBatch). It never imports torch.
"""
from ._tree import CEvaluator, LeafBatch, RolloutEvaluator, RolloutPolicy, Tree, UniformEvaluator, search_many
from .config import MCTSConfig
from .mcts import MCTS, RESIGN, MoveInfo, SearchResult, search_games, should_pass, territory_owner

__all__ = [
    "MCTS", "MCTSConfig", "SearchResult", "MoveInfo", "RESIGN", "Tree", "LeafBatch", "CEvaluator",
    "UniformEvaluator", "RolloutEvaluator", "RolloutPolicy", "search_many", "should_pass",
    "territory_owner", "search_games",
]
