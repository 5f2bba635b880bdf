"""Builders of the engine's agents from checkpoints: pure MCTS, AlphaGo Zero, AlphaGo Lee and
a network's raw policy. The kinds in ``kinds.py`` call them with each option's default; these
functions are also the library API (benchmarks, tests, root-parallel helpers)."""
from __future__ import annotations

import json
from pathlib import Path

from ..rng import as_generator
from ..search import MCTSConfig, RolloutEvaluator, UniformEvaluator
from .base import MCTSAgent, PolicyAgent, SearchBudget, network_policy

__all__ = ["pure_mcts_agent", "rollout_mcts_agent", "zero_agent", "zero_agent_with_workers",
           "policy_agent", "shipped_weights", "lee_agent", "lee_weights", "SHIPPED_ZERO_9X9",
           "SHIPPED_LEE_9X9", "LEE_PARTS"]

SHIPPED_ZERO_9X9 = "zero-9x9.pt"
"""File name of the shipped 9x9 AlphaGo Zero network in goengine/weights/."""
SHIPPED_LEE_9X9 = "lee-9x9.json"
"""File name of the shipped 9x9 AlphaGo Lee manifest (policy, value, rollout) in goengine/weights/."""


def pure_mcts_agent(simulations: int = 1000, rng=None, seconds: float | None = None,
                    budget: SearchBudget | None = None, **config_changes) -> MCTSAgent:
    """UCT with uniform priors and C random playouts at every leaf: no network at all."""
    config = MCTSConfig.pure_mcts(num_simulations=simulations, **config_changes)
    return MCTSAgent(UniformEvaluator(), config, rng=rng, name=f"mcts:{simulations}", seconds=seconds,
                     budget=budget)


def rollout_mcts_agent(simulations: int = 1000, rollouts: int = 1, rng=None, **config_changes) -> MCTSAgent:
    """PUCT whose leaf values come from RolloutEvaluator (playouts run by the evaluator, not
    the tree): the same play as pure_mcts_agent through the batched evaluator seam."""
    rng = as_generator(rng)
    config = MCTSConfig(num_simulations=simulations, c_puct=1.0, fpu_reduction=0.0, **config_changes)
    return MCTSAgent(RolloutEvaluator(rollouts, rng=rng), config, rng=rng, name=f"rollout-mcts:{simulations}")


def shipped_weights(name: str = SHIPPED_ZERO_9X9) -> str | None:
    """Path of a checkpoint shipped in goengine/weights/, or None when it is not there."""
    path = Path(__file__).resolve().parent.parent / "weights" / name
    return str(path) if path.is_file() else None


def zero_agent(weights: str | None = None, simulations: int = 800, seconds: float | None = None,
               rng=None, symmetries: str = "random", threads: int = 0, device: str | None = None,
               backend: str = "auto", calibration=None, policy_temperature: float = 1.0,
               budget: SearchBudget | None = None, score_utility: float = 0.0, **config_changes) -> MCTSAgent:
    """An AlphaGo Zero player: MCTS over a ZeroNet checkpoint (the shipped 9x9 one by default).
    `backend`: the network's inference back end (goengine.models.backends; "auto" is the
    fastest here), `calibration`: self-play shards for the int8 back end (default: positions
    of a quick self-play), `policy_temperature`: the softmax temperature of the priors (above
    1 flattens them and widens the search, Leela Chess Zero's policy temperature),
    `score_utility`: the share of the leaf values that is the score utility
    (goengine.models.ScoreUtilityNet; a network with pooled heads only)."""
    from ..models import PolicyValueEvaluator, ScoreUtilityNet, load, network_ownership
    path = weights or shipped_weights()
    if path is None:
        raise FileNotFoundError("no ZeroNet weights given and none shipped in goengine/weights/")
    from ..models.backends import set_threads
    threads = set_threads(threads or None, what="zero agent")
    rng = as_generator(rng)
    model = load(path, kind="zero", device=device or "cpu")
    if score_utility > 0:
        if not model.has_ownership:
            raise ValueError(f"{path}: score utility needs a network with a score head; this one has "
                             f"AlphaGo Zero's heads")
        searched = ScoreUtilityNet(model, score_utility)
    else:
        searched = model
    evaluator = PolicyValueEvaluator(searched, symmetries=symmetries, rng=rng, cache_size=200_000, backend=backend,
                                     backend_options={"threads": threads, "calibration": calibration},
                                     policy_temperature=policy_temperature)
    evaluator.prepare_backend()  # export and quantise now, not during the first move's clock
    config = MCTSConfig(num_simulations=simulations, **config_changes)
    return MCTSAgent(evaluator, config, rng=rng, name=f"zero:{simulations}",
                     seconds=seconds, budget=budget, weights=str(path),
                     board_sizes=(model.config.board_size,),
                     policy=lambda game: network_policy(evaluator, game),
                     ownership=(lambda game: network_ownership(model, game)) if model.has_ownership else None)


def zero_agent_with_workers(workers: int = 1, rng=None, **kwargs):
    """zero_agent(rng=rng, **kwargs) for one worker; for more, a RootParallelAgent whose
    processes each build that agent, seeded from `rng` (goengine/search/root_parallel.py)."""
    if workers <= 1:
        return zero_agent(rng=rng, **kwargs)
    from ..search.root_parallel import RootParallelAgent
    seeds = as_generator(rng).integers(0, 2**63, size=workers)
    return RootParallelAgent("goengine.agents:zero_agent", kwargs, workers=workers, seeds=seeds)


def policy_agent(weights: str | None = None, sample: bool = False, rng=None) -> PolicyAgent:
    """The raw policy of a checkpoint (a ZeroNet, or an AlphaGo PolicyNet) without search."""
    from ..models import LeeEvaluator, PolicyValueEvaluator, load
    from ..models.checkpoint import read
    path = weights or shipped_weights()
    if path is None:
        raise FileNotFoundError("no weights given and none shipped in goengine/weights/")
    kind = read(path)["kind"]
    model = load(path)
    if kind == "zero":
        evaluator = PolicyValueEvaluator(model, symmetries="none")
    elif kind == "policy":
        evaluator = LeeEvaluator(model, None, policy_temperature=1.0, symmetries="none")
    else:
        raise ValueError(f"{path}: a {kind!r} network has no policy to play")
    return PolicyAgent(evaluator, sample=sample, rng=rng, name=f"policy:{kind}", weights=str(path),
                       board_sizes=(model.config.board_size,))


LEE_PARTS = ("policy", "value", "rollout")
"""The checkpoints of an AlphaGo Lee player: the SL (or RL) policy net for the priors, the
value net, and the rollout policy (training/lee/ makes them)."""


def lee_weights(weights: str) -> dict:
    """{"policy": path, "value": path or None, "rollout": path} from a JSON manifest
    (``{"policy": "sl.pt", "value": "value.pt", "rollout": "rollout.pt"}``, paths relative
    to the manifest's folder) or from a folder holding sl.pt (or policy.pt), value.pt and
    rollout.pt."""
    path = Path(weights)
    if path.is_dir():
        found = {"policy": next((path / n for n in ("sl.pt", "policy.pt") if (path / n).is_file()), None),
                 "value": path / "value.pt" if (path / "value.pt").is_file() else None,
                 "rollout": path / "rollout.pt" if (path / "rollout.pt").is_file() else None}
    else:
        try:
            manifest = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Lee weights manifest (JSON naming policy, value and rollout "
                             f"checkpoints): {exc}") from None
        if not isinstance(manifest, dict) or set(manifest) - set(LEE_PARTS):
            raise ValueError(f"{path}: a Lee manifest is a JSON object with the keys {', '.join(LEE_PARTS)}")
        found = {k: (path.parent / manifest[k]) if manifest.get(k) else None for k in LEE_PARTS}
    for part in ("policy", "rollout"):
        if found[part] is None:
            raise ValueError(f"{weights}: no {part} checkpoint named (a Lee player needs policy and rollout; "
                             f"value is optional)")
    return {k: (str(v) if v is not None else None) for k, v in found.items()}


def lee_agent(weights: str, simulations: int = 800, seconds: float | None = None, rng=None,
              policy_temperature: float = 0.67, budget: SearchBudget | None = None,
              **config_changes) -> MCTSAgent:
    """An AlphaGo Lee player: policy-and-value MCTS (MCTSConfig.lee: expansion threshold, virtual
    loss, batched leaves) with policy-net priors, leaf values V = (1-λ)·v + λ·z mixing the
    value net and a rollout by the trained FastRolloutPolicy; without a value net λ = 1.
    (torch's thread count is the caller's: torch is imported only under goengine/models.)"""
    from ..features import FastRolloutPolicy
    from ..models import LeeEvaluator, load
    parts = lee_weights(weights)
    rng = as_generator(rng)
    policy = load(parts["policy"], kind="policy")
    value = load(parts["value"], kind="value", board_size=policy.config.board_size) if parts["value"] else None
    rollout = FastRolloutPolicy(load(parts["rollout"], kind="rollout").export())
    evaluator = LeeEvaluator(policy, value, policy_temperature=policy_temperature, symmetries="random", rng=rng)
    if value is None:
        config_changes.setdefault("mix_lambda", 1.0)
    config = MCTSConfig.lee(num_simulations=simulations, **config_changes)
    return MCTSAgent(evaluator, config, rng=rng, name=f"lee:{simulations}",
                     seconds=seconds, budget=budget, rollout_policy=rollout,
                     weights=str(weights), board_sizes=(policy.config.board_size,),
                     policy=lambda game: network_policy(evaluator, game))
