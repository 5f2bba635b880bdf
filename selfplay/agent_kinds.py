"""Agents from strings: the registry of agent kinds that ``goengine-arena`` and the ladder use.

    spec = parse_agent_spec("zero:visits=200")        # AgentSpec; SpecError names a typo
    agent = make_agent(spec, AgentContext(size=9, seed=1, threads=1))

A spec is ``[LABEL=]KIND[:OPTIONS]``, options ``key=value`` separated by commas. Each kind
declares its options and their types (``register_agent_kind``), so that a mistake fails at
once with a message that lists what is accepted:

  ==========================================  ============================================
  ``random``                                  uniform over legal moves that fill no own eye
  ``mcts:visits=2000``, ``mcts:seconds=1``    pure MCTS (uniform priors, C random playouts)
  ``gtp:<command line>``                      any GTP engine as a subprocess (``GtpAgent``)
  ``zero:visits=200``                         AlphaGo Zero: MCTS over a ZeroNet (default:
                                              the shipped 9x9 network; ``weights=net.pt``)
  ``lee:weights=runs/lee/lee.json,seconds=1`` AlphaGo Lee: policy-and-value MCTS with
                                              rollouts; ``weights`` a JSON manifest or folder
  ``policy:weights=sl.pt``                    a network's raw policy, no search
  ``LABEL=SPEC``                              the same agent under a short name
  ==========================================  ============================================

Kinds may also declare a ``check(options)`` run before any game is played
(``check_agent_spec``): a missing weights file or GTP program then stops a run at once
instead of when that agent's first game comes up, hours later. Network kinds are
``reusable`` (the network is loaded once per process and the agent ``reset()`` between
games); each process of a parallel run gets its own random stream for them.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "AGENT_KINDS",
    "AgentContext",
    "AgentKind",
    "AgentSpec",
    "ArenaError",
    "SpecError",
    "agent_digests",
    "check_agent_spec",
    "make_agent",
    "parse_agent_spec",
    "register_agent_kind",
]


class ArenaError(Exception):
    """A run that cannot start or go on: the message names the problem."""


class SpecError(ArenaError, ValueError):
    """An agent spec that does not parse."""


# ============================================================================ agent specs
@dataclass(frozen=True)
class AgentContext:
    """What every agent factory may use besides its own options."""

    size: int = 9
    komi: float = 7.5
    seed: int | None = None
    """Seed of the run; each agent gets its own stream (``rng(stream)``)."""
    threads: int = 1
    """CPU threads an agent may use (network agents: torch threads)."""
    gtp_timeout: float = 30.0
    """Seconds a GTP engine may take for an ordinary reply."""
    genmove_timeout: float | None = 600.0
    """Seconds a GTP engine may take for genmove (None: no limit)."""

    def rng(self, *stream: int) -> np.random.Generator:
        """A generator for one random stream of the run, reproducible under ``seed``."""
        if self.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(self.seed), *(int(k) for k in stream)])


@dataclass(frozen=True)
class AgentKind:
    """A registered kind of agent: ``factory(options, context, stream) -> agent``."""

    name: str
    factory: Callable[[dict, AgentContext, tuple], Any]
    options: dict
    """option name -> converter (str -> value, raising ValueError with a reason)."""
    raw: bool = False
    """The text after ``KIND:`` is one string (the gtp command line), not options."""
    reusable: bool = False
    """Built once per run and ``reset()`` between games (an external process, a loaded
    network). Other agents are built afresh for every game, their random stream derived
    from the run's seed and the game, so a resumed run plays the games an uninterrupted
    one would have played."""
    help: str = ""
    example: str = ""
    check: Callable[[dict], None] | None = None
    """``check(options)`` before a run plays anything: raises ValueError naming what is
    missing (a weights file, a program), without building the agent."""
    files: Callable[[dict], list] | None = None
    """``files(options)``: the files the agent is built from (its weights), so that a run
    folder can tell when the same label and spec would now load another network."""


AGENT_KINDS: dict[str, AgentKind] = {}


def register_agent_kind(name: str, *, options: dict | None = None, raw: bool = False,
                        reusable: bool = False, help: str = "", example: str = "",
                        check: Callable[[dict], None] | None = None,
                        files: Callable[[dict], list] | None = None):
    """Decorator: register ``factory(options: dict, context: AgentContext, stream: tuple)``
    under ``name``. ``options`` maps each accepted option to a converter from its text;
    ``stream`` is passed to ``context.rng(*stream)`` for the agent's random generator;
    ``check(options)`` (optional) validates what the options point to (files, programs)
    before a run starts (raw kinds get their text as ``options["argument"]``); ``files(options)``
    (optional) lists the weights files the agent loads (``agent_digests``)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise ValueError(f"agent kind names are lower-case identifiers, got {name!r}")

    def add(factory):
        AGENT_KINDS[name] = AgentKind(name, factory, dict(options or {}), raw, reusable,
                                      help, example or name, check, files)
        return factory
    return add


@dataclass(frozen=True)
class AgentSpec:
    """A parsed agent spec. ``label`` names the agent in results, tables and SGF files:
    the spec text itself unless a ``LABEL=`` prefix was given."""

    text: str
    label: str
    kind: str
    options: tuple = ()
    """(name, value) pairs, converted, in the order given."""
    argument: str | None = None
    """The raw text of a raw kind (gtp's command line)."""


_LABEL = re.compile(r"([A-Za-z0-9_.+-]+)=(.*)", re.DOTALL)


def _kind_list() -> str:
    return ", ".join(sorted(AGENT_KINDS))


def parse_agent_spec(text: str) -> AgentSpec:
    """``[LABEL=]KIND[:OPTIONS]`` -> AgentSpec; SpecError names what is wrong (an unknown
    kind, an unknown option, a value of the wrong type, a missing command line)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"empty agent spec: expected one of {_kind_list()} (see "
                        f"`goengine-arena agents`)")
    original = text.strip()
    label = None
    body = original
    match = _LABEL.fullmatch(original)
    if match and ":" not in match.group(1):
        label, body = match.group(1), match.group(2).strip()
        if not body:
            raise SpecError(f"agent spec {original!r}: nothing after the label {label!r}=")
    kind_name, sep, rest = body.partition(":")
    kind_name = kind_name.strip().lower()
    kind = AGENT_KINDS.get(kind_name)
    if kind is None:
        raise SpecError(f"agent spec {original!r}: unknown agent kind {kind_name!r}; known "
                        f"kinds: {_kind_list()} (see `goengine-arena agents`)")
    if kind.raw:
        argument = rest.strip()
        if not argument:
            raise SpecError(f"agent spec {original!r}: {kind_name} needs a command line "
                            f"after '{kind_name}:', e.g. {kind.example!r}")
        try:
            shlex.split(argument)
        except ValueError as exc:
            raise SpecError(f"agent spec {original!r}: bad command line: {exc}") from None
        canonical = f"{kind_name}:{argument}"
        return AgentSpec(original, label or canonical, kind_name, (), argument)
    options = []
    texts = []
    seen = set()
    if sep and not rest.strip():
        raise SpecError(f"agent spec {original!r}: nothing after '{kind_name}:'; options "
                        f"are key=value pairs separated by commas, e.g. {kind.example!r}")
    for item in (rest.split(",") if rest.strip() else []):
        key, eq, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or not key or not value:
            raise SpecError(f"agent spec {original!r}: option {item.strip()!r} is not "
                            f"key=value (e.g. {kind.example!r})")
        if key not in kind.options:
            accepted = ", ".join(kind.options) or "none"
            raise SpecError(f"agent spec {original!r}: unknown option {key!r} for "
                            f"{kind_name} (accepted: {accepted})")
        if key in seen:
            raise SpecError(f"agent spec {original!r}: option {key!r} given twice")
        seen.add(key)
        try:
            converted = kind.options[key](value)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"agent spec {original!r}: bad value {value!r} for {key}: "
                            f"{exc}") from None
        options.append((key, converted))
        texts.append(f"{key}={value}")
    canonical = kind_name + (":" + ",".join(texts) if texts else "")
    return AgentSpec(original, label or canonical, kind_name, tuple(options), None)


def make_agent(spec: AgentSpec | str, context: AgentContext | None = None,
               stream: tuple = (0,)):
    """Build the agent of ``spec`` (its ``name`` set to the spec's label); ``stream``
    picks its random stream under the context's seed."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    context = context or AgentContext()
    kind = AGENT_KINDS[spec.kind]
    options = _options(spec)
    try:
        if kind.check is not None:
            kind.check(options)
        agent = kind.factory(options, context, stream)
    except SpecError:
        raise
    except (TypeError, ValueError, FileNotFoundError) as exc:
        raise SpecError(f"agent spec {spec.text!r}: {exc}") from None
    try:
        agent.name = spec.label
    except AttributeError:
        pass
    return agent


def check_agent_spec(spec: AgentSpec | str) -> AgentSpec:
    """Parse ``spec`` and run its kind's ``check``: SpecError naming the spec when what it
    points to is missing (a weights file, a manifest, a program). Builds nothing."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    kind = AGENT_KINDS.get(spec.kind)
    if kind is None:
        raise SpecError(f"agent spec {spec.text!r}: unknown agent kind {spec.kind!r}; known "
                        f"kinds: {_kind_list()}")
    if kind.check is not None:
        try:
            kind.check(_options(spec))
        except (TypeError, ValueError, OSError) as exc:
            raise SpecError(f"agent spec {spec.text!r}: {exc}") from None
    return spec


def agent_digests(spec: AgentSpec | str) -> dict:
    """{path: sha256 of its content} of the files a spec's agent is built from (a network
    kind's weights, the default shipped network included); {} for other kinds. Two runs of
    one spec text load the same agent only if these agree: ``zero:seconds=1`` means
    whichever network is shipped at the time."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    kind = AGENT_KINDS.get(spec.kind)
    if kind is None or kind.files is None:
        return {}
    try:
        paths = kind.files(_options(spec))
    except (TypeError, ValueError, OSError) as exc:
        raise SpecError(f"agent spec {spec.text!r}: {exc}") from None
    return {str(path): _sha256(path) for path in paths}


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _options(spec: AgentSpec) -> dict:
    options = dict(spec.options)
    if AGENT_KINDS[spec.kind].raw:
        options["argument"] = spec.argument
    return options


# -------------------------------------------------------------------- option converters
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or math.isinf(value):
        raise ValueError("must be a positive number")
    return value


def _float(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("must be a finite number")
    return value


def _int(text: str) -> int:
    return int(text)


# ------------------------------------------------------------------------- the kinds
@register_agent_kind("random", options={"seed": _int},
                     help="uniform over legal moves that fill no own one-point eye; passes "
                          "when none is left",
                     example="random:seed=1")
def _random_agent(options, context, stream):
    from goengine.agents import RandomAgent
    seed = options.get("seed")
    return RandomAgent(np.random.default_rng(seed) if seed is not None else context.rng(*stream))


@register_agent_kind("mcts", options={"visits": _positive_int, "seconds": _positive_float,
                                      "c_puct": _positive_float, "rollouts": _positive_int,
                                      "fpu": _float, "resign": _float, "seed": _int},
                     help="pure MCTS: uniform priors, C random playouts at each leaf "
                          "(visits=simulations per move, or seconds=time per move; c_puct, "
                          "rollouts per leaf, fpu reduction, resign threshold)",
                     example="mcts:visits=2000")
def _mcts_agent(options, context, stream):
    from goengine.agents import pure_mcts_agent
    simulations, seconds = _budget(options, 2000)
    # unset options keep MCTSConfig.pure_mcts()'s values, as the GTP engine's mcts agent
    changes = _search_changes(options)
    return pure_mcts_agent(simulations, rng=_rng(options, context, stream), seconds=seconds, **changes)



def _resolve_program(argument: str) -> list[str]:
    """The argv of a gtp spec with its program found (``gnugo`` also in /usr/games)."""
    from gtp.client import find_gnugo
    argv = shlex.split(argument)
    program = argv[0]
    if os.sep not in program and shutil.which(program) is None:
        found = find_gnugo() if program == "gnugo" else None
        if found is None:
            raise ValueError(f"program {program!r} not found on PATH")
        argv[0] = found
    elif os.sep in program and not os.access(program, os.X_OK):
        raise ValueError(f"program {program!r} does not exist or is not executable")
    return argv


@register_agent_kind("gtp", raw=True, reusable=True,
                     help="an external GTP engine run as a subprocess (GtpAgent); 'gnugo' is "
                          "found in /usr/games when it is not on PATH",
                     example="gtp:gnugo --mode gtp --level 10",
                     check=lambda options: _resolve_program(options["argument"]))
def _gtp_agent(options, context, stream):
    from gtp.client import GtpAgent
    return GtpAgent(_resolve_program(options["argument"]), size=context.size,
                    komi=context.komi, timeout=context.gtp_timeout,
                    genmove_timeout=context.genmove_timeout)


# ----------------------------------------------------------------- network kinds
SYMMETRIES = ("none", "random", "all")
BACKENDS = ("auto", "torch", "torch-fused", "onnx", "onnx-int8")
"""goengine.models.backends.BACKENDS, repeated here so that parsing a spec imports no torch."""


def _choice(*allowed: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        value = text.lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return convert


def _bool(text: str) -> bool:
    value = text.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1")
    return value


def _ramp(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise ValueError("must be above 0 and at most 1")
    return value


_SEARCH_OPTIONS = {"visits": _positive_int, "seconds": _positive_float,
                   "c_puct": _positive_float, "fpu": _float, "resign": _float, "seed": _int,
                   "batch": _positive_int}
"""Options of every network search kind (zero, lee), with the mcts kind's meaning."""

_SEARCH_CAP = 10_000_000
"""Simulations per move under a time budget: only a safety cap."""


def _budget(options: dict, default_visits: int) -> tuple[int, float | None]:
    """(simulations, seconds) of a search kind: visits or seconds, not both."""
    visits, seconds = options.get("visits"), options.get("seconds")
    if visits is not None and seconds is not None:
        raise ValueError("give visits or seconds, not both")
    if seconds is not None:
        return _SEARCH_CAP, seconds
    return (visits if visits is not None else default_visits), None


def _search_changes(options: dict, **kind_options: str) -> dict:
    """MCTSConfig changes named by the search options (spec option -> MCTSConfig field;
    each kind accepts only some of them) and by a kind's own (``kind_options``)."""
    names = {"c_puct": "c_puct", "fpu": "fpu_reduction", "resign": "resign_threshold",
             "batch": "leaves_per_batch", "lambda": "mix_lambda", "ramp": "mix_ramp",
             "rollouts": "rollouts_per_leaf",
             **kind_options}
    return {field: options[key] for key, field in names.items() if key in options}


def _rng(options: dict, context: AgentContext, stream: tuple) -> np.random.Generator:
    seed = options.get("seed")
    return np.random.default_rng(seed) if seed is not None else context.rng(*stream)


def _network_weights(options: dict, kind: str) -> str:
    """The weights file of a zero or policy spec: ``weights=`` or the shipped network."""
    from goengine.agents import shipped_weights
    path = options.get("weights")
    if path is None:
        path = shipped_weights()
        if path is None:
            raise ValueError(f"{kind} needs weights=FILE (no network is shipped in "
                             f"goengine/weights/)")
        return path
    _check_file(path, "weights file")
    return path


def _check_file(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise ValueError(f"{what} {path!r} does not exist")
    if not os.path.isfile(path):
        raise ValueError(f"{what} {path!r} is not a file")


def _check_size(agent, context: AgentContext, weights: str):
    sizes = tuple(getattr(agent, "board_sizes", ()) or ())
    if sizes and context.size not in sizes:
        played = ", ".join(f"{n}x{n}" for n in sizes)
        raise ValueError(f"{weights} is a {played} network; this run plays "
                         f"{context.size}x{context.size}")
    return agent


def _set_torch_threads(threads: int) -> None:
    import torch
    torch.set_num_threads(max(1, int(threads)))


@register_agent_kind(
    "zero", options={"weights": str, **_SEARCH_OPTIONS,
                     "symmetries": _choice(*SYMMETRIES), "backend": _choice(*BACKENDS),
                     "temperature": _positive_float, "lambda": _fraction, "ramp": _ramp,
                     "rollouts": _positive_int, "workers": _positive_int},
    reusable=True, check=lambda options: _network_weights(options, "zero"),
    files=lambda options: [_network_weights(options, "zero")],
    help="AlphaGo Zero: PUCT search over a ZeroNet checkpoint (weights=FILE, default the "
         "shipped 9x9 network; visits=simulations per move (default 800) or seconds=time "
         "per move; c_puct, fpu reduction, resign threshold, batch=leaves per network call, "
         "symmetries none/random/all, inference backend auto/torch/torch-fused/onnx/onnx-int8, "
         "temperature=softmax temperature of the priors, default 1; lambda=mix uniform random "
         "rollouts into each leaf's value, (1-lambda)*v + lambda*z, default 0 as in AlphaGo "
         "Zero, ramp=R: rollouts only late, weighted lambda*max(0, 1 - empty share/R), "
         "rollouts=playouts per leaf; workers=processes searching each move at once, "
         "their roots merged: root parallelism, default 1)",
    example="zero:visits=200")
def _zero_agent(options, context, stream):
    from goengine.agents import zero_agent_with_workers
    weights = _network_weights(options, "zero")
    simulations, seconds = _budget(options, 800)
    _set_torch_threads(context.threads)
    kwargs = dict(weights=weights, simulations=simulations, seconds=seconds,
                  symmetries=options.get("symmetries", "random"),
                  threads=context.threads, backend=options.get("backend", "auto"),
                  policy_temperature=options.get("temperature", 1.0),
                  **_search_changes(options))
    agent = zero_agent_with_workers(options.get("workers", 1), rng=_rng(options, context, stream), **kwargs)
    return _check_size(agent, context, weights)


def _lee_manifest(options: dict) -> str:
    """The weights of a lee spec: ``weights=`` or the shipped 9x9 manifest."""
    from goengine.agents import SHIPPED_LEE_9X9, shipped_weights
    weights = options.get("weights") or shipped_weights(SHIPPED_LEE_9X9)
    if weights is None:
        raise ValueError("lee needs weights=MANIFEST (none is shipped in goengine/weights/): a JSON "
                         "file naming the policy, value and rollout checkpoints, or a folder holding "
                         "sl.pt, value.pt and rollout.pt")
    return weights


def _lee_parts(weights: str) -> dict:
    """The checkpoints the Lee manifest (or folder) `weights` names, each checked to exist."""
    from goengine.agents import lee_weights
    if not os.path.exists(weights):
        raise ValueError(f"Lee weights manifest {weights!r} does not exist")
    parts = lee_weights(weights)
    for part, path in parts.items():
        if path is not None:
            _check_file(path, f"the {part} checkpoint named by {weights!r},")
    return parts


def _check_lee(options: dict) -> dict:
    return _lee_parts(_lee_manifest(options))


def _lee_files(options: dict) -> list[str]:
    """The manifest (when it is a file) and the checkpoints it names."""
    manifest = _lee_manifest(options)
    parts = [path for path in _lee_parts(manifest).values() if path is not None]
    return ([manifest] if os.path.isfile(manifest) else []) + parts


@register_agent_kind(
    "lee", options={"weights": str, **_SEARCH_OPTIONS, "lambda": _fraction,
                    "temperature": _positive_float, "expansion": _positive_int},
    reusable=True, check=_check_lee, files=_lee_files,
    help="AlphaGo Lee: policy-and-value MCTS with rollouts (weights=MANIFEST, default the shipped 9x9 one: a "
         'JSON file {"policy": "sl.pt", "value": "value.pt", "rollout": "rollout.pt"} or a '
         "folder of them; visits (default 800) or seconds; lambda: leaf value mixing "
         "(1-lambda)*v + lambda*z, temperature of the policy priors, expansion threshold, "
         "c_puct, fpu, resign, batch=leaves per network call)",
    example="lee:weights=runs/lee/lee.json,visits=200")
def _lee_agent(options, context, stream):
    from goengine.agents import lee_agent
    _check_lee(options)
    simulations, seconds = _budget(options, 800)
    changes = _search_changes(options, expansion="expansion_threshold",
                              temperature="policy_temperature")
    _set_torch_threads(context.threads)
    weights = _lee_manifest(options)
    agent = lee_agent(weights, simulations=simulations, seconds=seconds,
                      rng=_rng(options, context, stream), **changes)
    return _check_size(agent, context, weights)


@register_agent_kind(
    "policy", options={"weights": str, "sample": _bool, "seed": _int},
    reusable=True, check=lambda options: _network_weights(options, "policy"),
    files=lambda options: [_network_weights(options, "policy")],
    help="a network's raw policy without search: the most probable legal move, or a sample "
         "with sample=true (weights=FILE: a ZeroNet or an AlphaGo policy net; default the "
         "shipped 9x9 ZeroNet)",
    example="policy:weights=runs/lee/sl.pt")
def _policy_agent(options, context, stream):
    from goengine.agents import policy_agent
    weights = _network_weights(options, "policy")
    _set_torch_threads(context.threads)
    agent = policy_agent(weights, sample=options.get("sample", False),
                         rng=_rng(options, context, stream))
    return _check_size(agent, context, weights)
