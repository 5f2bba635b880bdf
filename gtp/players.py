"""The agents the GTP engine can play with: a registry of factories, chosen by ``--agent``.

    @register_agent("mcts", help="UCT with C random playouts")
    def _mcts(options: PlayerOptions):
        return pure_mcts_agent(options.visits or DEFAULT_VISITS, rng=options.rng())

A factory takes the resolved ``PlayerOptions`` and returns an agent (goengine/agents.py's
protocol: ``name``, ``select_move(game)``, ``reset()``). The GTP engine uses more when the
agent has it:

* ``agent.mcts`` (a goengine.search.MCTS): genmove runs the search itself, with the time
  budget and a progress callback; lz-analyze, the visit heat map, the win rate and the
  principal variation use it.
* ``agent.policy(game) -> np.ndarray`` of N*N+1 move probabilities: the policy heat map
  (without it, a search agent's root priors are shown).
* ``agent.board_sizes``: the sizes it can play (a network trained on 9x9); boardsize
  refuses the others.

``policy``, ``zero`` and ``lee`` are registered below (their weights optional: the shipped ones).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["PlayerOptions", "AgentSpec", "AGENTS", "register_agent", "make_agent",
           "DEFAULT_VISITS", "WEIGHTS_USES"]

log = logging.getLogger("gtp")

DEFAULT_VISITS = 3_000
"""Simulations per move when neither --visits nor --time-per-move is given (pure MCTS on
9x9 with 8 playouts per simulation runs about 5,000 per second on one core)."""

WEIGHTS_USES = ("none", "optional", "required")


@dataclass(frozen=True)
class PlayerOptions:
    """What the command line says about the agent; a factory reads what it needs."""

    size: int = 9
    """Board size at start (boardsize may change it)."""
    komi: float = 7.5
    visits: int | None = None
    """Simulations per move (an upper bound when a time budget applies too)."""
    time_per_move: float | None = None
    """Seconds per move when the controller sets no clock (an upper bound otherwise)."""
    threads: int = 1
    """Threads the agent may use (network agents: torch threads)."""
    workers: int = 1
    """Processes searching each move at once, their roots merged (root parallelism; the
    zero agent only)."""
    seed: int | None = None
    """Seed of every random choice; None: fresh entropy."""
    weights: str | None = None
    """Path of a checkpoint, for the agents that take one."""
    backend: str = "auto"
    """Inference back end of network agents (goengine.models.backends): auto, torch,
    torch-fused, onnx, onnx-int8."""
    rollout_lambda: float | None = None
    """Zero agent: weight of random rollouts in the leaf values (None: goengine.agents.
    ZERO_PLAY_SEARCH's; 0 is the pure AlphaGo Zero search)."""
    rollout_ramp: float | None = None
    """Zero agent: rollouts only late, weight lambda * max(0, 1 - empty share / ramp) (None:
    ZERO_PLAY_SEARCH's; 0: off, the same weight at every leaf)."""

    def zero_search(self) -> dict:
        """The MCTSConfig changes of the zero agent's rollout mixing."""
        from goengine.agents import ZERO_PLAY_SEARCH
        lam = ZERO_PLAY_SEARCH["mix_lambda"] if self.rollout_lambda is None else self.rollout_lambda
        ramp = ZERO_PLAY_SEARCH["mix_ramp"] if self.rollout_ramp is None else self.rollout_ramp
        return {"mix_lambda": lam, "mix_ramp": ramp or None}

    def rng(self, stream: int = 0) -> np.random.Generator:
        """A generator for one random stream of the engine, reproducible under ``seed``."""
        if self.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([self.seed, stream])


@dataclass(frozen=True)
class AgentSpec:
    name: str
    factory: Callable[[PlayerOptions], object]
    weights: str = "none"
    """Whether --weights is "none" (refused), "optional" or "required"."""
    help: str = ""


AGENTS: dict[str, AgentSpec] = {}


def register_agent(name: str, *, weights: str = "none", help: str = ""):
    """Decorator: register ``factory(options) -> agent`` under ``name``."""
    if weights not in WEIGHTS_USES:
        raise ValueError(f"weights must be one of {WEIGHTS_USES}, got {weights!r}")

    def add(factory):
        AGENTS[name] = AgentSpec(name, factory, weights, help)
        return factory

    return add


def check_options(name: str, options: PlayerOptions) -> AgentSpec:
    """The spec of agent ``name``; ValueError naming the problem for an unknown agent or
    a --weights that is missing, not a file, or not taken by this agent."""
    spec = AGENTS.get(name)
    if spec is None:
        raise ValueError(f"unknown agent {name!r}: choose one of {', '.join(sorted(AGENTS))}")
    if options.weights is not None:
        if not os.path.isfile(options.weights):
            what = "is a directory" if os.path.isdir(options.weights) else "does not exist"
            raise ValueError(f"weights file {options.weights!r} {what}")
        if spec.weights == "none":
            raise ValueError(f"--agent {name} takes no --weights")
    elif spec.weights == "required":
        raise ValueError(f"--agent {name} needs --weights FILE")
    if options.workers > 1 and name != "zero":
        raise ValueError(f"--workers is for --agent zero only, not --agent {name}")
    if name != "zero":
        for flag, value in (("--lambda", options.rollout_lambda), ("--ramp", options.rollout_ramp)):
            if value is not None:
                raise ValueError(f"{flag} is for --agent zero only, not --agent {name}")
    return spec


def make_agent(name: str, options: PlayerOptions):
    """Check the options and build the agent."""
    spec = check_options(name, options)
    return spec.factory(options)


# ----------------------------------------------------------------------------- built-ins
@register_agent("random", help="uniformly random legal moves that do not fill own eyes")
def _random_agent(options: PlayerOptions):
    from goengine.agents import RandomAgent
    return RandomAgent(options.rng())


@register_agent("mcts", help="UCT with uniform priors and C random playouts (no network)")
def _mcts_agent(options: PlayerOptions):
    from goengine.agents import pure_mcts_agent
    if options.threads > 1:
        log.warning("the pure-MCTS search runs on one thread: --threads %d is ignored",
                    options.threads)
    return pure_mcts_agent(options.visits or DEFAULT_VISITS, rng=options.rng())


@register_agent("zero", weights="optional",
                help="AlphaGo Zero: MCTS over a ZeroNet (default: the shipped 9x9 network)")
def _zero_agent(options: PlayerOptions):
    from goengine.agents import shipped_weights, zero_agent_with_workers
    weights = options.weights or shipped_weights()
    if weights is None:
        raise ValueError("--agent zero needs --weights FILE (no network is shipped in goengine/weights/)")
    return zero_agent_with_workers(options.workers, rng=options.rng(), weights=weights,
                                   simulations=options.visits or 800, threads=options.threads,
                                   backend=options.backend, **options.zero_search())


@register_agent("policy", weights="optional",
                help="a network's raw policy, no search (a ZeroNet or an AlphaGo PolicyNet)")
def _policy_agent(options: PlayerOptions):
    from goengine.agents import policy_agent, shipped_weights
    weights = options.weights or shipped_weights()
    if weights is None:
        raise ValueError("--agent policy needs --weights FILE (no network is shipped in goengine/weights/)")
    return policy_agent(weights, rng=options.rng())


@register_agent("lee", weights="optional",
                help="AlphaGo Lee: policy-and-value MCTS with rollouts (default: the shipped 9x9 networks); "
                     '--weights a JSON manifest {"policy": "sl.pt", "value": "value.pt", "rollout": "rollout.pt"}')
def _lee_agent(options: PlayerOptions):
    import torch
    from goengine.agents import SHIPPED_LEE_9X9, lee_agent, shipped_weights
    weights = options.weights or shipped_weights(SHIPPED_LEE_9X9)
    if weights is None:
        raise ValueError("--agent lee needs --weights MANIFEST (no Lee networks are shipped in goengine/weights/)")
    torch.set_num_threads(max(1, options.threads))
    return lee_agent(weights, simulations=options.visits or 800, rng=options.rng())
