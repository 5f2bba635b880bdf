"""The agent protocol and the agents every kind is built from.

    agent.name: str
    agent.select_move(game) -> action        # 0..N*N-1, N*N for pass, RESIGN (-1) to resign
    agent.reset() -> None                    # a new game starts
    agent.last_result                        # SearchResult of the last search, or None

Optional parts, declared on the class (``None`` or absent when the agent has none):

    agent.mcts          a search the GTP engine can analyse with (lz-analyze, heat maps)
    agent.budget        the SearchBudget of a search agent (visits, seconds)
    agent.policy(game)  the raw move probabilities (N*N+1) of a network agent
    agent.ownership(game)  (ownership (N*N,) in [-1, 1], score) from Black's view, of a
                        network with an ownership head (goengine.models.network_ownership)
    agent.board_sizes   the sizes a network agent plays (a 9x9 network: (9,))
    agent.close()       stops helper processes (root parallelism, external engines)

Agents never mutate the game they are given. A search agent decides resignation in one
place, ``MCTS.choose`` (its MCTSConfig's ``resign_threshold`` and ``resign_min_moves``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..rng import as_generator
from ..search import MCTS, MCTSConfig

__all__ = ["Agent", "SearchBudget", "RandomAgent", "MCTSAgent", "PolicyAgent", "network_policy"]

@runtime_checkable
class Agent(Protocol):
    """What every caller (GTP, the arena, gating, the ladder) needs of an agent."""

    name: str
    last_result: object

    def select_move(self, game) -> int: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class SearchBudget:
    """How long a search agent thinks about one move.

    ``visits`` caps the simulations and ``seconds`` the time; with neither, a move gets
    ``default_visits``. A clock (GTP's ``time_settings``) may shorten ``seconds`` further."""

    visits: int | None = None
    seconds: float | None = None
    default_visits: int = 800

    def for_move(self, clock: float | None = None) -> tuple[int | None, float | None]:
        """(simulations, seconds) of one move, MCTS.search's arguments (simulations None:
        no cap on the time budget); ``clock``: the seconds a clock allows."""
        seconds = self.seconds if clock is None else clock if self.seconds is None else min(clock, self.seconds)
        if seconds is None:
            return (self.visits or self.default_visits), None
        return self.visits, seconds


class RandomAgent:
    """Uniform over legal moves that do not fill its own one-point eyes; passes when none
    is left (the policy of the C playouts)."""

    name = "random"
    mcts = None
    policy = None

    def __init__(self, rng=None):
        self.rng = as_generator(rng)
        self.last_result = None

    def reset(self) -> None:
        pass

    def select_move(self, game) -> int:
        n = game.size * game.size
        legal = np.flatnonzero(game.legal_mask()[:n])
        candidates = [int(a) for a in legal if not game.board.is_eye(int(a), game.to_play)]
        return int(self.rng.choice(candidates)) if candidates else n


class MCTSAgent:
    """Plays the move chosen by a Monte Carlo tree search with the given evaluator.
    ``budget``: visits and seconds per move; without it, ``seconds`` per move when given,
    else the config's num_simulations."""

    policy = None
    ownership = None
    board_sizes = None

    def __init__(self, evaluator, config: MCTSConfig | None = None, rng=None, name: str = "mcts",
                 seconds: float | None = None, rollout_policy=None, budget: SearchBudget | None = None,
                 weights: str | None = None, board_sizes: tuple | None = None, policy=None, ownership=None):
        self.config = config or MCTSConfig()
        self.mcts = MCTS(evaluator, self.config, rng=rng, rollout_policy=rollout_policy)
        self.budget = budget or SearchBudget(None if seconds is not None else self.config.num_simulations,
                                             seconds, self.config.num_simulations)
        self.name = name
        self.last_result = None
        self.weights = weights
        """The checkpoint (or Lee manifest) the agent's networks come from, if any."""
        self.board_sizes = board_sizes
        """The sizes its network plays (None: any)."""
        if policy is not None:
            self.policy = policy  # game -> N*N+1 move probabilities, the network's own
        if ownership is not None:
            self.ownership = ownership  # game -> (ownership, score), Black's view

    @property
    def seconds(self) -> float | None:
        return self.budget.seconds

    def reset(self) -> None:
        self.mcts.reset()
        self.last_result = None

    def settings(self) -> dict:
        """What decides this agent's play: its budget, every MCTSConfig field (lambda, ramp,
        c_puct, resignation, ...), the inference back end and the weights."""
        return search_settings(self)

    def search(self, game, clock: float | None = None, callback=None, callback_interval: float = 0.1):
        """Search ``game`` for this move's budget (``clock``: seconds a clock allows)."""
        simulations, seconds = self.budget.for_move(clock)
        result = self.mcts.search(game, num_simulations=simulations, seconds=seconds,
                                  callback=callback, callback_interval=callback_interval)
        self.last_result = result
        return result

    def select_move(self, game, seconds: float | None = None, callback=None,
                    callback_interval: float = 0.1) -> int:
        """The search's move (RESIGN included: MCTS.choose decides it). ``seconds``: the
        time a clock allows for this move, capping the agent's own budget."""
        result = self.search(game, seconds, callback, callback_interval)
        return self.mcts.choose(result, game)


class PolicyAgent:
    """Plays a network's move without search: the most probable legal move, or a sample
    from the policy (AlphaGo's raw SL/RL policy players). `evaluator` is any Evaluator."""

    mcts = None
    board_sizes = None

    def __init__(self, evaluator, sample: bool = False, rng=None, name: str = "policy",
                 weights: str | None = None, board_sizes: tuple | None = None):
        self.evaluator = evaluator
        self.sample = sample
        self.rng = as_generator(rng)
        self.name = name
        self.last_result = None
        self.weights = weights
        self.board_sizes = board_sizes

    def reset(self) -> None:
        pass

    def policy(self, game) -> np.ndarray:
        """The evaluator's move probabilities (N*N+1) for the side to move in `game`."""
        return network_policy(self.evaluator, game)

    def select_move(self, game) -> int:
        p = self.policy(game)
        if self.sample:
            return int(self.rng.choice(len(p), p=p))
        return int(np.argmax(p))


def search_settings(agent) -> dict:
    """MCTSAgent.settings() of any agent with ``budget``, ``mcts`` and ``weights``."""
    import dataclasses
    return {"budget": dataclasses.asdict(agent.budget), **dataclasses.asdict(agent.mcts.config),
            "backend": getattr(agent.mcts.evaluator, "backend", None),
            "policy_temperature": getattr(agent.mcts.evaluator, "policy_temperature", None),
            "symmetries": getattr(agent.mcts.evaluator, "symmetries", None),
            "weights": getattr(agent, "weights", None)}


def network_policy(evaluator, game) -> np.ndarray:
    """An evaluator's move probabilities (N*N+1) over the legal moves of ``game``."""
    from ..search import LeafBatch
    if game.is_over():
        raise ValueError("the game is over: there is no move to choose")
    batch = LeafBatch.from_states([game], int(getattr(evaluator, "history_length", 1)))
    priors, _ = evaluator.evaluate(batch)
    legal = game.legal_mask()
    p = np.asarray(priors[0], dtype=np.float64) * legal
    total = p.sum()
    return p / total if total > 0 else legal / legal.sum()
