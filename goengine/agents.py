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

__all__ = ["RESIGN", "RandomAgent", "MCTSAgent", "PolicyAgent", "pure_mcts_agent", "rollout_mcts_agent",
           "zero_agent", "zero_agent_with_workers", "policy_agent", "shipped_weights", "lee_agent", "lee_weights"]


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


class PolicyAgent:
    """Plays a network's move without search: the most probable legal move, or a sample
    from the policy (AlphaGo's raw SL/RL policy players). `evaluator` is any Evaluator."""

    def __init__(self, evaluator, sample: bool = False, rng=None, name: str = "policy"):
        self.evaluator = evaluator
        self.sample = sample
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.name = name
        self.last_result = None

    def reset(self) -> None:
        pass

    def policy(self, game) -> np.ndarray:
        """The evaluator's move probabilities (N*N+1) for the side to move in `game`."""
        from .search import LeafBatch
        if game.is_over():
            raise ValueError("the game is over: there is no move to choose")
        batch = LeafBatch.from_states([game], int(getattr(self.evaluator, "history_length", 1)))
        priors, _ = self.evaluator.evaluate(batch)
        legal = game.legal_mask()
        p = np.asarray(priors[0], dtype=np.float64) * legal
        total = p.sum()
        return p / total if total > 0 else legal / legal.sum()

    def select_move(self, game) -> int:
        p = self.policy(game)
        if self.sample:
            return int(self.rng.choice(len(p), p=p))
        return int(np.argmax(p))


SHIPPED_ZERO_9X9 = "zero-9x9.pt"
"""File name of the shipped 9x9 AlphaGo Zero network in goengine/weights/."""
ZERO_PLAY_SEARCH = {"mix_lambda": 1.0, "mix_ramp": 0.7}
"""The search `goengine-gtp --agent zero` plays with unless told otherwise, and that the shipped
9x9 network's model card measured: AlphaGo Zero's PUCT search with uniform random rollouts
mixed into the leaf values once 30% of the board is filled, weight max(0, 1 - empty share /
0.7) (the network misjudges nearly settled boards that a random playout scores right; docs/zero.md,
"Rollouts late in the game"). {"mix_lambda": 0.0} is the pure AlphaGo Zero search."""
SHIPPED_LEE_9X9 = "lee-9x9.json"
"""File name of the shipped 9x9 AlphaGo Lee manifest (policy, value, rollout) in goengine/weights/."""


def shipped_weights(name: str = SHIPPED_ZERO_9X9) -> str | None:
    """Path of a checkpoint shipped in goengine/weights/, or None when it is not there."""
    from pathlib import Path
    path = Path(__file__).resolve().parent / "weights" / name
    return str(path) if path.is_file() else None


def zero_agent(weights: str | None = None, simulations: int = 800, seconds: float | None = None,
               rng=None, symmetries: str = "random", threads: int = 0, device: str | None = None,
               backend: str = "auto", calibration=None, policy_temperature: float = 1.0,
               **config_changes) -> MCTSAgent:
    """An AlphaGo Zero player: MCTS over a ZeroNet checkpoint (the shipped 9x9 one by default).
    `backend`: the network's inference back end (goengine.models.backends; "auto" is the
    fastest here), `calibration`: self-play shards for the int8 back end (default: positions
    of a quick self-play), `policy_temperature`: the softmax temperature of the priors (above
    1 flattens them and widens the search, Leela Chess Zero's policy temperature)."""
    from .models import PolicyValueEvaluator, load
    path = weights or shipped_weights()
    if path is None:
        raise FileNotFoundError("no ZeroNet weights given and none shipped in goengine/weights/")
    if threads:
        from .models.backends import set_threads
        set_threads(threads)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    model = load(path, kind="zero", device=device or "cpu")
    evaluator = PolicyValueEvaluator(model, symmetries=symmetries, rng=rng, cache_size=200_000, backend=backend,
                                     backend_options={"threads": threads, "calibration": calibration},
                                     policy_temperature=policy_temperature)
    evaluator.prepare_backend()  # export and quantise now, not during the first move's clock
    config = MCTSConfig(num_simulations=simulations, **config_changes)
    agent = MCTSAgent(evaluator, config, rng=rng, name=f"zero:{simulations}", seconds=seconds)
    agent.board_sizes = (model.config.board_size,)
    agent.policy = lambda game: PolicyAgent(evaluator).policy(game)
    return agent


def zero_agent_with_workers(workers: int = 1, rng=None, **kwargs):
    """zero_agent(rng=rng, **kwargs) for one worker; for more, a RootParallelAgent whose
    processes each build that agent, seeded from `rng` (goengine/search/root_parallel.py)."""
    if workers <= 1:
        return zero_agent(rng=rng, **kwargs)
    from .search.root_parallel import RootParallelAgent
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    seeds = rng.integers(0, 2**63, size=workers)
    return RootParallelAgent("goengine.agents:zero_agent", kwargs, workers=workers, seeds=seeds)


def policy_agent(weights: str | None = None, sample: bool = False, rng=None) -> PolicyAgent:
    """The raw policy of a checkpoint (a ZeroNet, or an AlphaGo PolicyNet) without search."""
    from .models import LeeEvaluator, PolicyValueEvaluator, load
    from .models.checkpoint import read
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
    agent = PolicyAgent(evaluator, sample=sample, rng=rng, name=f"policy:{kind}")
    agent.board_sizes = (model.config.board_size,)
    return agent


LEE_PARTS = ("policy", "value", "rollout")
"""The checkpoints of an AlphaGo Lee player: the SL (or RL) policy net for the priors, the
value net, and the rollout policy (training/lee/ makes them)."""


def lee_weights(weights: str) -> dict:
    """{"policy": path, "value": path or None, "rollout": path} from a JSON manifest
    (``{"policy": "sl.pt", "value": "value.pt", "rollout": "rollout.pt"}``, paths relative
    to the manifest's folder) or from a folder holding sl.pt (or policy.pt), value.pt and
    rollout.pt."""
    import json
    from pathlib import Path
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
              policy_temperature: float = 0.67, **config_changes) -> MCTSAgent:
    """An AlphaGo Lee player: policy-and-value MCTS (MCTSConfig.lee: expansion threshold, virtual
    loss, batched leaves) with policy-net priors, leaf values V = (1-λ)·v + λ·z mixing the
    value net and a rollout by the trained FastRolloutPolicy; without a value net λ = 1.
    (torch's thread count is the caller's: torch is imported only under goengine/models.)"""
    from .features import FastRolloutPolicy
    from .models import LeeEvaluator, load
    parts = lee_weights(weights)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    policy = load(parts["policy"], kind="policy")
    value = load(parts["value"], kind="value", board_size=policy.config.board_size) if parts["value"] else None
    rollout = FastRolloutPolicy(load(parts["rollout"], kind="rollout").export())
    evaluator = LeeEvaluator(policy, value, policy_temperature=policy_temperature, symmetries="random", rng=rng)
    if value is None:
        config_changes.setdefault("mix_lambda", 1.0)
    config = MCTSConfig.lee(num_simulations=simulations, **config_changes)
    agent = MCTSAgent(evaluator, config, rng=rng, name=f"lee:{simulations}", seconds=seconds,
                      rollout_policy=rollout)
    agent.board_sizes = (policy.config.board_size,)
    agent.policy = lambda game: PolicyAgent(evaluator).policy(game)
    return agent
