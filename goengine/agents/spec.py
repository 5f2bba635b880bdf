"""Agents from strings: one spec syntax and one registry for GTP, the arena, the ladder.

    spec = parse_agent_spec("zero:visits=200")        # AgentSpec; SpecError names a typo
    agent = make_agent(spec, AgentContext(size=9, seed=1, threads=1))

A spec is ``[LABEL=]KIND[:OPTIONS]``, options ``key=value`` separated by commas. Each kind
declares its options (``Option``: converter, default, what it means) once, so that a
mistake fails at once with a message listing what is accepted and an unset option means the
same in ``goengine-gtp --agent`` as in ``goengine-arena``. ``goengine-arena agents`` lists
the kinds; kinds.py registers the engine's own, gtp/kind.py the ``gtp:`` kind of external
engines.

Kinds may also declare a ``check(options)`` run before any game is played
(``check_agent_spec``): a missing weights file or GTP program then stops a run at once
instead of when that agent's first game comes up, hours later. Network kinds are
``reusable`` (the network is loaded once per process and the agent ``reset()`` between
games); each process of a parallel run gets its own random stream for them.
"""
from __future__ import annotations

import hashlib
import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SpecError

__all__ = ["AGENT_KINDS", "AgentContext", "AgentKind", "AgentSpec", "Option", "SpecError",
           "agent_digests", "check_agent_spec", "make_agent", "parse_agent_spec",
           "register_agent_kind", "resolved_options", "spec_board_sizes"]


@dataclass(frozen=True)
class AgentContext:
    """What every agent factory may use besides its own options."""

    size: int = 9
    komi: float = 7.5
    seed: int | None = None
    """Seed of the run; each agent gets its own stream (``rng(stream)``)."""
    threads: int = 0
    """CPU threads an agent may use (network agents: torch threads); 0: chosen from the
    cores free now (goengine.threads)."""
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
class Option:
    """One option of a kind: ``convert(text) -> value`` (ValueError with a reason), the value
    when the spec does not set it (None: unset, the kind decides), and what it means."""

    convert: Callable[[str], Any]
    default: Any = None
    doc: str = ""


@dataclass(frozen=True)
class AgentKind:
    """A registered kind of agent: ``factory(options, context, stream) -> agent``."""

    name: str
    factory: Callable[[dict, AgentContext, tuple], Any]
    options: dict
    """option name -> Option."""
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
    searches: bool = False
    """Its agents search (``agent.mcts``): the GTP engine's analysis commands work."""
    board_sizes: Callable[[dict], tuple] | None = None
    """``board_sizes(options)``: the sizes the agent plays, read from its files without
    building it (None: every size)."""

    def describe_options(self) -> str:
        """One line per option: name, default, meaning."""
        lines = []
        for name, option in self.options.items():
            default = "" if option.default is None else f" (default {option.default})"
            lines.append(f"  {name}{default}: {option.doc}" if option.doc else f"  {name}{default}")
        return "\n".join(lines)


AGENT_KINDS: dict[str, AgentKind] = {}


def register_agent_kind(name: str, *, options: dict | None = None, raw: bool = False,
                        reusable: bool = False, help: str = "", example: str = "",
                        check: Callable[[dict], None] | None = None,
                        files: Callable[[dict], list] | None = None,
                        searches: bool = False,
                        board_sizes: Callable[[dict], tuple] | None = None):
    """Decorator: register ``factory(options: dict, context: AgentContext, stream: tuple)``
    under ``name``. ``options`` maps each accepted option to an ``Option`` (or a bare
    converter from its text); the factory gets every option, unset ones at their default.
    ``stream`` is passed to ``context.rng(*stream)`` for the agent's random generator;
    ``check(options)`` (optional) validates what the options point to (files, programs)
    before a run starts (raw kinds get their text as ``options["argument"]``); ``files(options)``
    (optional) lists the weights files the agent loads (``agent_digests``)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise ValueError(f"agent kind names are lower-case identifiers, got {name!r}")
    declared = {key: value if isinstance(value, Option) else Option(value)
                for key, value in (options or {}).items()}

    def add(factory):
        AGENT_KINDS[name] = AgentKind(name, factory, declared, raw, reusable, help,
                                      example or name, check, files, searches,
                                      board_sizes)
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
    texts: tuple = field(default=(), compare=False)
    """(name, text) pairs as given, for ``with_options``."""

    def with_options(self, extra: dict) -> "AgentSpec":
        """This spec with more options (``{name: text}``), parsed as if written in it; an
        option already set is a SpecError naming it."""
        body = ",".join([f"{k}={v}" for k, v in self.texts] + [f"{k}={v}" for k, v in extra.items()])
        text = self.kind + (":" + body if body else "")
        spec = parse_agent_spec(text)
        own = self.kind + (":" + ",".join(f"{k}={v}" for k, v in self.texts) if self.texts else "")
        label = spec.label if self.label == own else self.label  # keep a LABEL= prefix
        return AgentSpec(spec.text, label, spec.kind, spec.options, spec.argument, spec.texts)


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
        if any(key == k for k, _ in texts):
            raise SpecError(f"agent spec {original!r}: option {key!r} given twice")
        try:
            converted = kind.options[key].convert(value)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"agent spec {original!r}: bad value {value!r} for {key}: "
                            f"{exc}") from None
        options.append((key, converted))
        texts.append((key, value))
    canonical = kind_name + (":" + ",".join(f"{k}={v}" for k, v in texts) if texts else "")
    return AgentSpec(original, label or canonical, kind_name, tuple(options), None, tuple(texts))


def resolved_options(spec: AgentSpec | str) -> dict:
    """Every option of the spec's kind: the spec's value, else the kind's default (raw
    kinds: ``{"argument": command line}``)."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    kind = AGENT_KINDS[spec.kind]
    if kind.raw:
        return {"argument": spec.argument}
    options = {name: option.default for name, option in kind.options.items()}
    options.update(spec.options)
    return options


def make_agent(spec: AgentSpec | str, context: AgentContext | None = None,
               stream: tuple = (0,)):
    """Build the agent of ``spec`` (its ``name`` set to the spec's label); ``stream``
    picks its random stream under the context's seed."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    context = context or AgentContext()
    kind = AGENT_KINDS[spec.kind]
    options = resolved_options(spec)
    try:  # the factory finds what is missing itself; check_agent_spec checks without building
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
            kind.check(resolved_options(spec))
        except (TypeError, ValueError, OSError) as exc:
            raise SpecError(f"agent spec {spec.text!r}: {exc}") from None
    return spec


def spec_board_sizes(spec: AgentSpec | str) -> tuple | None:
    """The board sizes the spec's agent plays (its network's), None for any; read from its
    files without building it or importing torch. SpecError when they cannot be read."""
    spec = parse_agent_spec(spec) if isinstance(spec, str) else spec
    kind = AGENT_KINDS[spec.kind]
    if kind.board_sizes is None:
        return None
    try:
        return tuple(kind.board_sizes(resolved_options(spec)))
    except (TypeError, ValueError, OSError) as exc:
        raise SpecError(f"agent spec {spec.text!r}: {exc}") from None


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
        paths = kind.files(resolved_options(spec))
    except (TypeError, ValueError, OSError) as exc:
        raise SpecError(f"agent spec {spec.text!r}: {exc}") from None
    return {str(path): _sha256(path) for path in paths}


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -------------------------------------------------------------------- option converters
def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or math.isinf(value):
        raise ValueError("must be a positive number")
    return value


def finite_float(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("must be a finite number")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1")
    return value


def off_or(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """``convert``, or None for off/none/never."""
    def convert_or_off(text: str):
        return None if text.lower() in ("off", "none", "never") else convert(text)
    return convert_or_off


def ramp(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise ValueError("must be above 0 and at most 1, or off")
    return value


def resign_value(text: str) -> float:
    value = finite_float(text)
    if not -1.0 < value < 1.0:
        raise ValueError("must be a value between -1 and 1 (-0.9: a 5% win rate), or off")
    return value


def choice(*allowed: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        value = text.lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return convert


def boolean(text: str) -> bool:
    value = text.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")
