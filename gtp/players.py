"""The GTP engine's agent: an agent spec (goengine.agents) plus the command line's flags.

    goengine-gtp --agent 'zero:visits=800,lambda=0'     # any spec goengine-arena takes
    goengine-gtp --agent zero --visits 800 --lambda 0   # the same agent, by flags

Each flag is the spec option of the same meaning (``--visits`` is ``visits=``,
``--time-per-move`` is ``seconds=``, ``--weights`` ``weights=``, ``--backend``
``backend=``, ``--workers`` ``workers=``, ``--lambda`` ``lambda=``, ``--ramp`` ``ramp=``,
``--resign-threshold W`` is ``resign=2W-1``); ``--size``, ``--komi``, ``--threads`` and
``--seed`` are the agent's context, as the arena's options are. A flag for an option the
kind does not take, or one the spec already sets, is an error naming both. So the agent a
spec names is the same in ``goengine-gtp`` and ``goengine-arena``: the kinds hold the
defaults (goengine/agents/kinds.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from goengine.agents import AGENT_KINDS, AgentContext, AgentSpec, SpecError, check_agent_spec, parse_agent_spec
from goengine.agents.kinds import check_file

__all__ = ["PlayerOptions", "FLAG_OPTIONS", "agent_spec", "check_options", "make_agent"]


@dataclass(frozen=True)
class PlayerOptions:
    """What the command line says about the agent besides its spec."""

    size: int = 9
    """Board size at start (boardsize may change it)."""
    komi: float = 7.5
    visits: int | None = None
    """--visits: simulations per move (a cap when a time budget applies too)."""
    time_per_move: float | None = None
    """--time-per-move: seconds per move (a cap when the controller sets a clock)."""
    threads: int = 0
    """--threads: threads the agent may use (network agents: torch threads); 0: chosen from
    the cores free at start (goengine.threads)."""
    workers: int | None = None
    """--workers: processes searching each move at once (root parallelism, zero only)."""
    seed: int | None = None
    """Seed of every random choice; None: fresh entropy."""
    weights: str | None = None
    """--weights: the agent's checkpoint (or Lee manifest)."""
    backend: str | None = None
    """--backend: inference back end of network agents (None: the kind's default)."""
    rollout_lambda: float | None = None
    """--lambda: weight of random rollouts in the leaf values (zero, lee)."""
    rollout_ramp: float | None = None
    """--ramp: rollouts only late (zero); 0 means off."""

    def without_flags(self) -> "PlayerOptions":
        """These options less the flags that are spec options (once they are in a spec)."""
        return PlayerOptions(size=self.size, komi=self.komi, threads=self.threads, seed=self.seed)

    def context(self) -> AgentContext:
        return AgentContext(size=self.size, komi=self.komi, seed=self.seed, threads=self.threads)


FLAG_OPTIONS = {"--weights": "weights", "--visits": "visits", "--time-per-move": "seconds",
                "--workers": "workers", "--backend": "backend", "--lambda": "lambda",
                "--ramp": "ramp", "--resign-threshold": "resign"}
"""Each GTP flag that is a spec option, and that option."""


def _flag_texts(options: PlayerOptions, resign_threshold) -> dict:
    """{flag: option text} of the flags given."""
    texts = {"--weights": options.weights, "--visits": options.visits,
             "--time-per-move": options.time_per_move, "--workers": options.workers,
             "--backend": options.backend, "--lambda": options.rollout_lambda,
             "--ramp": None if options.rollout_ramp is None else options.rollout_ramp or "off"}
    if resign_threshold is not ...:
        texts["--resign-threshold"] = ("off" if resign_threshold is None
                                       else f"{2.0 * resign_threshold - 1.0:.6g}")
    return {flag: f"{value:g}" if isinstance(value, float) else str(value)
            for flag, value in texts.items() if value is not None}


def agent_spec(agent: str | AgentSpec, options: PlayerOptions, resign_threshold=...) -> AgentSpec:
    """The spec ``--agent`` names with the flags' options added (``resign_threshold``: the
    win rate below which to resign, None never, ``...`` the kind's default). SpecError
    naming the flag for one the kind does not take or the spec already sets."""
    spec = parse_agent_spec(agent) if isinstance(agent, str) else agent
    kind = AGENT_KINDS[spec.kind]
    if options.weights is not None:  # a missing file first: it is the user's first problem
        try:
            check_file(options.weights, "weights file")
        except ValueError as exc:
            raise SpecError(str(exc)) from None
    extra = {}
    for flag, text in _flag_texts(options, resign_threshold).items():
        key = FLAG_OPTIONS[flag]
        if key not in kind.options:
            takers = sorted(name for name, k in AGENT_KINDS.items() if key in k.options)
            raise SpecError(f"--agent {spec.kind} takes no {flag} (it is for --agent "
                            f"{' and '.join(takers) or 'no agent'} only)")
        if any(key == name for name, _ in spec.options):
            raise SpecError(f"{flag} and the spec's {key}= both set {key}: give one")
        extra[key] = text
    return spec.with_options(extra) if extra else spec


def check_options(agent: str | AgentSpec, options: PlayerOptions, resign_threshold=...) -> AgentSpec:
    """The resolved spec, with what it points to (weights, programs) checked: SpecError (a
    ValueError) naming the problem. Builds nothing."""
    return check_agent_spec(agent_spec(agent, options, resign_threshold))


def make_agent(agent: str | AgentSpec, options: PlayerOptions, resign_threshold=...):
    """The agent of ``--agent`` and the flags (goengine.agents.make_agent)."""
    from goengine.agents import make_agent as build
    return build(agent_spec(agent, options, resign_threshold), options.context())


def log_to_stderr(verbose: bool, quiet: bool) -> None:
    """The command lines' logging: "goengine: message" lines on stderr, at DEBUG with
    --verbose, WARNING with --quiet, INFO otherwise."""
    import logging
    import sys
    logging.basicConfig(stream=sys.stderr, format="%(name)s: %(message)s",
                        level=logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
