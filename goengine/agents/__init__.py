"""Agents: anything that picks a move for a GameState, and the one registry that builds them
from specs (``kind:key=value,...``) for GTP, the arena, gating and the ladder.

    base.py      the Agent protocol, SearchBudget, RandomAgent, MCTSAgent, PolicyAgent
    builders.py  pure MCTS, AlphaGo Zero, AlphaGo Lee and raw-policy agents from checkpoints
    spec.py      spec parsing, AgentKind/Option, the registry, make_agent
    kinds.py     the kinds random, mcts, zero, lee, policy with their defaults
"""
from ..search import RESIGN
from .base import Agent, MCTSAgent, PolicyAgent, RandomAgent, SearchBudget, network_policy
from .builders import (
    LEE_PARTS, SHIPPED_LEE_9X9, SHIPPED_ZERO_9X9, lee_agent, lee_weights, policy_agent, pure_mcts_agent,
    rollout_mcts_agent, shipped_weights, zero_agent, zero_agent_with_workers,
)
from .kinds import BACKENDS, MCTS_VISITS, NETWORK_VISITS, SYMMETRIES, ZERO_PLAY_SEARCH
from .spec import (
    AGENT_KINDS, AgentContext, AgentKind, AgentSpec, Option, SpecError, agent_digests, check_agent_spec,
    make_agent, parse_agent_spec, register_agent_kind, resolved_options, spec_board_sizes,
)

__all__ = [
    "RESIGN", "Agent", "MCTSAgent", "PolicyAgent", "RandomAgent", "SearchBudget",
    "network_policy", "LEE_PARTS", "SHIPPED_LEE_9X9", "SHIPPED_ZERO_9X9", "lee_agent", "lee_weights",
    "policy_agent", "pure_mcts_agent", "rollout_mcts_agent", "shipped_weights", "zero_agent",
    "zero_agent_with_workers", "BACKENDS", "MCTS_VISITS", "NETWORK_VISITS", "SYMMETRIES",
    "ZERO_PLAY_SEARCH", "AGENT_KINDS", "AgentContext", "AgentKind", "AgentSpec", "Option", "SpecError",
    "agent_digests", "check_agent_spec", "make_agent", "parse_agent_spec", "register_agent_kind",
    "resolved_options", "spec_board_sizes",
]
