"""The engine's agent kinds: random, mcts, zero, lee, policy. Each option's default lives
here, once; ``goengine-gtp --agent SPEC`` and ``goengine-arena SPEC`` both build from them.

The search kinds share the budget and resignation options: ``visits`` (simulations per
move; with ``seconds`` a cap) and ``seconds`` (time per move; a GTP clock may shorten it),
``resign`` (a value, -0.9 is a 5% win rate, from move N*N/4 on; ``off`` never resigns).
"""
from __future__ import annotations

import os

from ..checkpoint_info import board_size
from ..inference import BACKENDS
from .base import RandomAgent, SearchBudget
from .spec import (
    AgentContext, Option, boolean, choice, finite_float, fraction, off_or, positive_float,
    positive_int, ramp, register_agent_kind, resign_value,
)

__all__ = ["MCTS_VISITS", "NETWORK_VISITS", "ZERO_PLAY_SEARCH", "BACKENDS", "SYMMETRIES",
           "search_budget", "check_file"]

MCTS_VISITS = 3_000
"""Simulations per move of pure MCTS without visits= or seconds= (8 playouts per
simulation: about 5,000 simulations a second on one core on 9x9)."""
NETWORK_VISITS = 800
"""Simulations per move of the network searches (zero, lee) without visits= or seconds=."""
SYMMETRIES = ("none", "random", "all")


def _int(text: str) -> int:
    return int(text)


def _search_options(visits: int) -> dict:
    """The options every search kind takes."""
    return {
        "visits": Option(positive_int, None, f"simulations per move ({visits} without seconds=; "
                                             f"a cap with it)"),
        "seconds": Option(positive_float, None, "seconds per move (a GTP clock may shorten it)"),
        "c_puct": Option(positive_float, None, "PUCT exploration constant (default: the kind's "
                                               "MCTSConfig preset)"),
        "fpu": Option(finite_float, None, "first-play-urgency reduction (default: the preset's)"),
        "resign": Option(off_or(resign_value), -0.9, "resign when the root value and its best "
                                                     "move's Q are below this, from move N*N/4 on; "
                                                     "off never resigns"),
        "seed": Option(_int, None, "seed of this agent alone (default: the run's --seed stream)"),
    }


_BATCH = Option(positive_int, None, "leaves per network call (default: the preset's, 8)")


def search_budget(options: dict, default_visits: int) -> SearchBudget:
    return SearchBudget(options["visits"], options["seconds"], default_visits)


def _search_changes(options: dict, **kind_options: str) -> dict:
    """MCTSConfig changes named by the search options (spec option -> MCTSConfig field)."""
    names = {"c_puct": "c_puct", "fpu": "fpu_reduction", "batch": "leaves_per_batch",
             "lambda": "mix_lambda", "ramp": "mix_ramp", "rollouts": "rollouts_per_leaf",
             **kind_options}
    changes = {field: options[key] for key, field in names.items()
               if options.get(key) is not None}
    changes["resign_threshold"] = options["resign"]
    changes["resign_min_moves"] = None  # N*N/4 of the board being played
    return changes


def _rng(options: dict, context: AgentContext, stream: tuple):
    import numpy as np
    seed = options.get("seed")
    return np.random.default_rng(seed) if seed is not None else context.rng(*stream)


# ----------------------------------------------------------------------------- no network
@register_agent_kind("random", options={"seed": Option(_int, None, "seed of this agent alone")},
                     help="uniform over legal moves that fill no own one-point eye; passes "
                          "when none is left",
                     example="random:seed=1")
def _random_agent(options, context, stream):
    return RandomAgent(_rng(options, context, stream))


@register_agent_kind(
    "mcts", options={**_search_options(MCTS_VISITS),
                     "rollouts": Option(positive_int, None, "random playouts per leaf (default 8)")},
    searches=True,
    help=f"pure MCTS: uniform priors, C random playouts at each leaf (visits, default "
         f"{MCTS_VISITS}, or seconds; c_puct, rollouts per leaf, fpu reduction, resign)",
    example="mcts:visits=2000")
def _mcts_agent(options, context, stream):
    from .builders import pure_mcts_agent
    if context.threads > 1:
        import logging
        logging.getLogger("goengine").warning("the pure-MCTS search runs on one thread: %d "
                                              "threads asked, one used", context.threads)
    budget = search_budget(options, MCTS_VISITS)
    return pure_mcts_agent(options["visits"] or MCTS_VISITS, rng=_rng(options, context, stream), budget=budget,
                           **_search_changes(options))


# ---------------------------------------------------------------------------- networks
def check_file(path: str, what: str) -> None:
    """ValueError naming ``what`` when ``path`` does not exist or is not a file."""
    if not os.path.exists(path):
        raise ValueError(f"{what} {path!r} does not exist")
    if not os.path.isfile(path):
        raise ValueError(f"{what} {path!r} is {'a directory' if os.path.isdir(path) else 'not a file'}")


def require_weights(options: dict, kind: str) -> str:
    """The ``weights`` file of a kind that ships none: ValueError when it is not given, does
    not exist or is not a file."""
    path = options.get("weights")
    if path is None:
        raise ValueError(f"{kind} needs --weights FILE (weights=FILE in a spec)")
    check_file(path, "weights file")
    return path


def network_weights(options: dict, kind: str) -> str:
    """The weights file of a zero or policy spec: ``weights=`` or the shipped network."""
    from .builders import shipped_weights
    path = options.get("weights")
    if path is None:
        path = shipped_weights()
        if path is None:
            raise ValueError(f"{kind} needs weights=FILE (no network is shipped in "
                             f"goengine/weights/)")
        return path
    check_file(path, "weights file")
    return path


def _check_size(agent, context: AgentContext, weights: str):
    sizes = tuple(getattr(agent, "board_sizes", None) or ())
    if sizes and context.size not in sizes:
        played = ", ".join(f"{n}x{n}" for n in sizes)
        raise ValueError(f"{weights} is a {played} network; this run plays "
                         f"{context.size}x{context.size}")
    return agent


def _set_torch_threads(threads: int) -> int:
    """Torch's threads for a network agent: ``threads`` when positive, else chosen from
    the cores free now (goengine.threads)."""
    from ..models.backends import set_threads
    return set_threads(threads or None, what="agent")


ZERO_OPTIONS = {
    "weights": Option(str, None, "ZeroNet checkpoint (default: the shipped 9x9 network)"),
    **_search_options(NETWORK_VISITS),
    "batch": _BATCH,
    "symmetries": Option(choice(*SYMMETRIES), "random", "board symmetries per evaluation: "
                                                        "none, one at random, or all 8 averaged"),
    "backend": Option(choice(*BACKENDS), "auto", "inference back end (auto: the fastest here)"),
    "temperature": Option(positive_float, 1.0, "softmax temperature of the priors"),
    "lambda": Option(fraction, 1.0, "weight of uniform random rollouts in each leaf's value, "
                                    "(1-lambda)*v + lambda*z; 0 is the pure AlphaGo Zero search"),
    "ramp": Option(off_or(ramp), 0.7, "rollouts only late: weight lambda*max(0, 1 - empty share/R), "
                                      "none while more than R of the board is empty; off: lambda "
                                      "at every leaf"),
    "rollouts": Option(positive_int, None, "random playouts per leaf (default 1)"),
    "workers": Option(positive_int, 1, "processes searching each move at once, their roots "
                                       "merged (root parallelism)"),
    "score": Option(fraction, 0.0, "share of each leaf value that is the score utility "
                                   "(2/pi)atan(score/N), for networks with a score head; 0: the win value alone"),
}
"""The zero kind's options. The defaults of lambda and ramp are the search the shipped 9x9
network was measured with (docs/zero.md, "Rollouts late in the game"): its value head
misjudges nearly settled boards that a random playout scores right."""

ZERO_PLAY_SEARCH = {"mix_lambda": ZERO_OPTIONS["lambda"].default, "mix_ramp": ZERO_OPTIONS["ramp"].default}
"""The MCTSConfig fields of the zero kind's default search (benchmarks/play.py uses them)."""


@register_agent_kind(
    "zero", options=ZERO_OPTIONS, reusable=True, searches=True,
    check=lambda options: network_weights(options, "zero"),
    board_sizes=lambda options: (board_size(network_weights(options, "zero")),),
    files=lambda options: [network_weights(options, "zero")],
    help="AlphaGo Zero: PUCT search over a ZeroNet (default: the shipped 9x9 network), with "
         "random rollouts mixed into the leaf values late in the game (lambda=1, ramp=0.7; "
         "zero:lambda=0 is the pure AlphaGo Zero search)",
    example="zero:visits=200")
def _zero_agent(options, context, stream):
    from .builders import zero_agent_with_workers
    weights = network_weights(options, "zero")
    budget = search_budget(options, NETWORK_VISITS)
    # root-parallel processes share the machine: one thread each unless told otherwise;
    # zero_agent sets (or chooses) torch's threads in each process
    threads = context.threads or (1 if options["workers"] > 1 else 0)
    agent = zero_agent_with_workers(
        options["workers"], rng=_rng(options, context, stream), weights=weights,
        simulations=options["visits"] or NETWORK_VISITS, budget=budget, symmetries=options["symmetries"],
        threads=threads, backend=options["backend"],
        policy_temperature=options["temperature"], score_utility=options["score"], **_search_changes(options))
    return _check_size(agent, context, weights)


def _lee_manifest(options: dict) -> str:
    """The weights of a lee spec: ``weights=`` or the shipped 9x9 manifest."""
    from .builders import SHIPPED_LEE_9X9, shipped_weights
    weights = options.get("weights") or shipped_weights(SHIPPED_LEE_9X9)
    if weights is None:
        raise ValueError("lee needs weights=MANIFEST (none is shipped in goengine/weights/): a JSON "
                         "file naming the policy, value and rollout checkpoints, or a folder holding "
                         "sl.pt, value.pt and rollout.pt")
    return weights


def _lee_parts(weights: str) -> dict:
    """The checkpoints the Lee manifest (or folder) `weights` names, each checked to exist."""
    from .builders import lee_weights
    if not os.path.exists(weights):
        raise ValueError(f"Lee weights manifest {weights!r} does not exist")
    parts = lee_weights(weights)
    for part, path in parts.items():
        if path is not None:
            check_file(path, f"the {part} checkpoint named by {weights!r},")
    return parts


def _lee_files(options: dict) -> list[str]:
    """The manifest (when it is a file) and the checkpoints it names."""
    manifest = _lee_manifest(options)
    parts = [path for path in _lee_parts(manifest).values() if path is not None]
    return ([manifest] if os.path.isfile(manifest) else []) + parts


@register_agent_kind(
    "lee", options={
        "weights": Option(str, None, 'a JSON manifest {"policy": "sl.pt", "value": "value.pt", '
                                     '"rollout": "rollout.pt"} or a folder of them (default: the '
                                     'shipped 9x9 networks)'),
        **_search_options(NETWORK_VISITS),
        "batch": _BATCH,
        "lambda": Option(fraction, None, "leaf value (1-lambda)*v + lambda*z (default 0.5, 1 "
                                         "without a value net)"),
        "temperature": Option(positive_float, 0.67, "softmax temperature of the policy priors"),
        "expansion": Option(positive_int, None, "visits before a leaf is expanded (default 8)")},
    reusable=True, searches=True,
    check=lambda options: _lee_parts(_lee_manifest(options)), files=_lee_files,
    board_sizes=lambda options: (board_size(_lee_parts(_lee_manifest(options))["policy"]),),
    help="AlphaGo Lee: policy-and-value MCTS with rollouts (default: the shipped 9x9 networks)",
    example="lee:weights=runs/lee/lee.json,visits=200")
def _lee_agent(options, context, stream):
    from .builders import lee_agent
    weights = _lee_manifest(options)
    _lee_parts(weights)
    budget = search_budget(options, NETWORK_VISITS)
    _set_torch_threads(context.threads)
    agent = lee_agent(weights, simulations=options["visits"] or NETWORK_VISITS, budget=budget,
                      rng=_rng(options, context, stream), policy_temperature=options["temperature"],
                      **_search_changes(options, expansion="expansion_threshold"))
    return _check_size(agent, context, weights)


@register_agent_kind(
    "policy", options={
        "weights": Option(str, None, "a ZeroNet or an AlphaGo policy net (default: the shipped "
                                     "9x9 ZeroNet)"),
        "sample": Option(boolean, False, "sample a move from the policy instead of its most "
                                         "probable legal move"),
        "seed": Option(_int, None, "seed of this agent alone")},
    reusable=True,
    check=lambda options: network_weights(options, "policy"),
    board_sizes=lambda options: (board_size(network_weights(options, "policy")),),
    files=lambda options: [network_weights(options, "policy")],
    help="a network's raw policy without search",
    example="policy:weights=runs/lee/sl.pt")
def _policy_agent(options, context, stream):
    from .builders import policy_agent
    weights = network_weights(options, "policy")
    _set_torch_threads(context.threads)
    agent = policy_agent(weights, sample=options["sample"], rng=_rng(options, context, stream))
    return _check_size(agent, context, weights)
