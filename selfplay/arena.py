"""The arena: matches and round-robins between any agents, with Elo and confidence intervals.

    specs = ["mcts:seconds=1", "gnugo10=gtp:gnugo --mode gtp --level 10 --chinese-rules"]
    summary = run_arena(specs, "runs/arena/mcts-vs-gnugo", ArenaConfig(games=20))
    print(format_summary(summary))

* **Agents from strings** (goengine/agents/, re-exported here): ``KIND[:OPTIONS]``
  with a registry of kinds (``register_agent_kind``): ``random``, ``mcts:visits=2000``,
  ``gtp:<command line>``, ``zero:visits=200``, ``lee:weights=lee.json,seconds=1``,
  ``policy:weights=sl.pt``, each optionally as ``LABEL=SPEC``; a typo fails at once with
  a message that lists what is accepted.
* **Schedule**: every pairing (a, b) of the agents (in the order given) plays ``games``
  games, interleaved round by round; in game i of a pairing ``a`` is black when i is even,
  so colours alternate. Our rules referee (selfplay/game_runner.py: area scoring, komi,
  positional superko, illegal move = forfeit).
* **Run folder** (``out``): ``arena.json`` (the rules and the last run's configuration),
  ``results.jsonl`` (one JSON line per finished game, appended and fsynced as each game
  ends), ``games/<a>--<b>/<i>.sgf`` (each written atomically) and ``summary.json``.
  Rerunning the same command skips every game already in ``results.jsonl``: an
  interrupted run resumes, and a larger ``--games`` extends a finished one. A folder
  played under other rules (size, komi, superko, move cap) is refused, and so is a label
  that played there as another agent: another spec, or the same spec now loading another
  network (arena.json keeps each label's spec and the sha256 of its weights).
* **Results**: wins per pairing and per colour; Elo by maximum likelihood over all games
  of the folder (selfplay/elo.py: Bradley-Terry on the logistic scale, profile-likelihood
  95% intervals, perfect scores as +-inf with their finite bound); an optional SPRT for a
  two-agent match stops as soon as it decides.
* **Pieces** the ladder (selfplay/ladder.py) reuses: ``prepare_folder`` (rules check,
  arena.json), ``play_schedule`` (the games of any schedule not yet in the folder, one at a
  time or ``jobs`` at once in separate processes: selfplay/parallel.py), ``AgentPool``
  (agents by label, built from their specs), ``play_scheduled_game`` (one game, its SGF and
  its result line), ``summarize`` / ``write_summary``.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import os
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from goengine.coords import BLACK, WHITE
from goengine.fileio import atomic_write_bytes
from goengine.game import SUPERKO_KINDS, GameState, Rules
from goengine.sgf import write_sgf
from goengine.agents import (
    AGENT_KINDS,
    AgentContext,
    AgentKind,
    AgentSpec,
    agent_digests,
    check_agent_spec,
    make_agent,
    parse_agent_spec,
    RandomAgent,
    register_agent_kind,
)
import gtp.kind  # noqa: F401  (registers the gtp: kind)
from gtp.client import GtpClientError

from .errors import ArenaError, SpecError
from .elo import SPRT, SprtStatus, fit_elo, tally
from .game_runner import default_move_cap, play_game, winner_of

__all__ = [
    "AGENT_KINDS",
    "AgentContext",
    "AgentKind",
    "AgentPool",
    "AgentSpec",
    "ArenaConfig",
    "ArenaError",
    "GameResult",
    "ResultsLog",
    "ScheduledGame",
    "SpecError",
    "agent_digests",
    "agent_identity",
    "check_agent_spec",
    "default_out_dir",
    "format_summary",
    "load_results",
    "make_agent",
    "parse_agent_spec",
    "play_schedule",
    "play_scheduled_game",
    "prepare_folder",
    "register_agent_kind",
    "run_arena",
    "schedule_games",
    "summarize",
    "write_summary",
]

log = logging.getLogger("goengine.arena")

RESULTS_FILE = "results.jsonl"
CONFIG_FILE = "arena.json"
SUMMARY_FILE = "summary.json"
GAMES_DIR = "games"
RESULTS_SCHEMA = 1


# ============================================================================ the run
@dataclass(frozen=True)
class ArenaConfig:
    """How the arena plays and rates. The first four fields are the rules of the folder."""

    size: int = 9
    """Board size."""
    komi: float = 7.5
    """Komi (area scoring: black area - white area - komi)."""
    superko: str = "positional"
    """Superko rule of the referee: positional, situational or simple."""
    max_moves: int | None = None
    """Move cap of a game (None: 2*N*N + 20); a capped game is scored as it stands."""
    games: int = 2
    """Games per pairing (colours alternate: the first agent of a pairing is black in
    the even-numbered games)."""
    seed: int | None = None
    """Seed of our agents' random streams (None: fresh entropy)."""
    threads: int = 0
    """CPU threads an agent may use (0: goengine.threads chooses: one per game process with
    ``jobs`` > 1, else the cores free when the agent is built)."""
    gtp_timeout: float = 30.0
    """Seconds a GTP engine may take for an ordinary reply."""
    genmove_timeout: float | None = 600.0
    """Seconds a GTP engine may take to choose a move."""
    anchor: str | None = None
    """The label rated at ``anchor_rating`` (None: the first agent)."""
    anchor_rating: float = 0.0
    """The anchor's Elo."""
    confidence: float = 0.95
    """Level of the Elo intervals."""
    interval: str = "profile"
    """"profile" (likelihood ratio) or "wald" (Fisher information) intervals."""
    sprt: SPRT | None = None
    """Stop a two-agent match when this test decides (first agent against the second)."""
    max_failures: int = 3
    """Consecutive games lost to agent errors (a GTP engine dying) before the run stops."""
    jobs: int = 1
    """Games played at once, each in its own process (1: one after the other, in this
    process). Each process builds its own agents and uses ``threads`` threads."""
    opening_moves: int = 0
    """Random moves (legal, no pass, no filling of one's own eye) played before the agents
    take over, so that deterministic players do not replay one game: games 2j and 2j+1 of a
    pairing share their opening, with colours swapped. 0: agents play from the empty board."""

    def __post_init__(self):
        if self.games < 0:
            raise ValueError("games must be >= 0")
        if self.jobs < 1:
            raise ValueError("jobs must be >= 1")
        if self.superko not in SUPERKO_KINDS:
            raise ValueError(f"superko must be one of {', '.join(SUPERKO_KINDS)}")
        if self.interval not in ("profile", "wald"):
            raise ValueError("interval must be 'profile' or 'wald'")
        if self.max_moves is not None and self.max_moves < 1:
            raise ValueError("max_moves must be >= 1")
        if self.opening_moves < 0:
            raise ValueError("opening_moves must be >= 0")

    @property
    def rules(self) -> Rules:
        return Rules(komi=self.komi, superko=self.superko)

    def folder_rules(self) -> dict:
        """What every game of one folder must share (random openings only when used, so
        folders made before they existed keep their rules)."""
        rules = {"size": self.size, "komi": float(self.komi), "superko": self.superko,
                 "max_moves": self.max_moves if self.max_moves is not None
                 else default_move_cap(self.size)}
        if self.opening_moves:
            rules["opening_moves"] = self.opening_moves
        return rules

    def agent_context(self) -> AgentContext:
        """What the agent factories may use: size, komi, seed, threads, timeouts."""
        return AgentContext(size=self.size, komi=self.komi, seed=self.seed,
                            threads=self.threads, gtp_timeout=self.gtp_timeout,
                            genmove_timeout=self.genmove_timeout)

    def to_json(self) -> dict:
        out = asdict(self)
        out["sprt"] = asdict(self.sprt) if self.sprt is not None else None
        return out


@dataclass(frozen=True)
class ScheduledGame:
    """Game ``index`` of the pairing (a, b); ``key`` identifies it in results.jsonl."""

    a: str
    b: str
    index: int
    black: str
    white: str

    @property
    def key(self) -> str:
        return f"{self.a}|{self.b}|{self.index}"


def schedule_games(labels: Sequence[str], games: int) -> list[ScheduledGame]:
    """Every pairing (a before b in ``labels``) plays ``games`` games, round by round
    (every pairing's game 0, then every pairing's game 1, ...); a is black in even games."""
    pairings = [(labels[i], labels[j]) for i in range(len(labels))
                for j in range(i + 1, len(labels))]
    out = []
    for index in range(games):
        for a, b in pairings:
            black, white = (a, b) if index % 2 == 0 else (b, a)
            out.append(ScheduledGame(a, b, index, black, white))
    return out


@dataclass
class GameResult:
    """One finished game, as a line of results.jsonl."""

    key: str
    a: str
    b: str
    index: int
    black: str
    white: str
    result: str
    """SGF RE: "B+3.5", "W+R", "B+F" (forfeit), "0" (draw)."""
    winner: str | None
    """The winner's label, None for a draw."""
    reason: str
    """"score", "resign", "forfeit" or "move cap"."""
    moves: int
    seconds: float
    sgf: str
    """Path of the SGF, relative to the run folder."""
    finished: str = ""
    """ISO time the game ended."""
    per_move: dict | None = None
    """Thinking per side: ``{"black": {"moves": n, "seconds": total, "visits": total,
    "playouts": total}, ...}`` (visits: the root visits of the agent's searches, when it
    reports them, counting those reused from the previous move's tree; playouts: the
    simulations the searches ran themselves)."""
    schema: int = RESULTS_SCHEMA

    def score_for(self, label: str) -> float:
        if self.winner is None:
            return 0.5
        return 1.0 if self.winner == label else 0.0

    @classmethod
    def from_json(cls, data: dict) -> GameResult:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


class ResultsLog:
    """results.jsonl of a run folder: read at open, appended one fsynced line per game.
    A torn last line (a crash while writing) is dropped when the log is opened."""

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / RESULTS_FILE
        self.results: list[GameResult] = []
        self._keys: set[str] = set()
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        lines = text.split("\n")
        torn = lines[-1] != ""
        if torn:
            log.warning("%s: dropping a torn last line (the game will be played again)",
                        self.path)
            good = text[: len(text) - len(lines[-1])]
            _atomic_write(self.path, good.encode("utf-8"))
            lines = lines[:-1]
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                result = GameResult.from_json(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise ArenaError(f"{self.path}, line {number}: not a game result ({exc}); "
                                 f"fix or remove that line") from None
            if result.key not in self._keys:
                self._keys.add(result.key)
                self.results.append(result)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self.results)

    def append(self, result: GameResult) -> None:
        line = json.dumps(asdict(result), sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self._keys.add(result.key)
        self.results.append(result)


def load_results(folder: str | os.PathLike) -> list[GameResult]:
    """Every game result of a run folder."""
    return ResultsLog(folder).results


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data)


def _slug(label: str, limit: int = 48) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.+=-]+", "_", label).strip("_.") or "agent"
    if slug != label or len(slug) > limit:
        digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug[:limit]}-{digest}"
    return slug


def default_out_dir(labels: Sequence[str], config: ArenaConfig, root: str = "runs/arena") -> Path:
    """A folder named after the agents and rules, so that the same command resumes."""
    key = json.dumps([list(labels), config.folder_rules()], sort_keys=True)
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    name = "_vs_".join(_slug(label, 20) for label in labels)[:80]
    return Path(root) / f"{name}-{digest}"


def _unique_labels(specs: list[AgentSpec]) -> list[AgentSpec]:
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        count = seen.get(spec.label, 0) + 1
        seen[spec.label] = count
        if count > 1:
            spec = AgentSpec(spec.text, f"{spec.label}#{count}", spec.kind, spec.options,
                             spec.argument)
        out.append(spec)
    return out


def prepare_folder(out: str | os.PathLike, config: ArenaConfig, specs: Sequence[AgentSpec]) -> Path:
    """Refuse a folder played under other rules (size, komi, superko, move cap), or one
    where a label of ``specs`` played as another agent: another spec, or the same spec
    loading other weights (``zero:seconds=1`` once the shipped network is replaced).
    Record this run's configuration and each agent's identity (its spec and the sha256 of
    its weights files) in arena.json; the agents seen accumulate. Returns the folder."""
    out = Path(out)
    path = out / CONFIG_FILE
    rules = config.folder_rules()
    identities = {spec.label: agent_identity(spec) for spec in specs}
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ArenaError(f"{path} is not valid JSON ({exc})") from None
        old = saved.get("rules", {})
        differ = [f"{k} {old.get(k)!r} (now {rules.get(k)!r})"
                  for k in dict.fromkeys([*rules, *old]) if old.get(k) != rules.get(k)]
        if differ:
            raise ArenaError(f"{out} holds games played with " + ", ".join(differ)
                             + "; use another --out folder")
        known = saved.get("identities", {})  # folders written before identities: none known
        for label, now in identities.items():
            if label in known:
                _same_agent(out, label, known[label], now)
        identities = {**known, **identities}
        agents = list(dict.fromkeys(saved.get("agents", []) + list(identities)))
    else:
        agents = list(identities)
    payload = {"rules": rules, "agents": agents, "identities": identities,
               "config": config.to_json(), "command": sys.argv, "updated": _now()}
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, (json.dumps(payload, indent=2, default=str) + "\n").encode("utf-8"))
    return out


def agent_identity(spec: AgentSpec, weights: bool = True) -> dict:
    """What makes two runs' agents under one label the same: the kind, its options (in
    any order) or command line, and the content of the weights it loads. A network
    kind's ``weights=`` path is left out of the options: the file's sha256 stands for it,
    so a moved copy is the same agent and a replaced file is not."""
    hashed = getattr(AGENT_KINDS.get(spec.kind), "files", None) is not None
    options = sorted([k, v] for k, v in spec.options if not (hashed and k == "weights"))
    identity = {"spec": spec.text, "kind": spec.kind, "options": options, "argument": spec.argument}
    if weights:
        identity["weights"] = agent_digests(spec)
    return identity


def spec_key(identity: dict) -> str:
    """The part of an ``agent_identity`` that the spec decides (kind, options, command
    line), as text comparable between an identity read back from JSON and a fresh one."""
    return json.dumps([identity.get(k) for k in ("kind", "options", "argument")], default=str)


def _same_agent(out: Path, label: str, before: dict, now: dict) -> None:
    if spec_key(before) != spec_key(now):
        raise ArenaError(f"{out}: agent {label!r} played its games there as another spec "
                         f"({before.get('spec')!r}, now {now.get('spec')!r}): give it another "
                         f"label or use another --out folder")
    old_weights, new_weights = before.get("weights") or {}, now.get("weights") or {}
    if sorted(old_weights.values()) != sorted(new_weights.values()):
        def show(weights: dict) -> str:
            return ", ".join(f"{p} (sha256 {d[:12]})" for p, d in weights.items()) or "none"
        raise ArenaError(f"{out}: agent {label!r} played its games there with the weights "
                         f"{show(old_weights)}; it would now load {show(new_weights)}, another "
                         f"network: give it another label (or name weights=) or use another "
                         f"--out folder")


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


def _reason(result: str, comment: str | None) -> str:
    r = (result or "").upper()
    if r.endswith("+R"):
        return "resign"
    if r.endswith("+F"):
        return "forfeit"
    if comment and "move cap" in comment:
        return "move cap"
    return "score"


def _sprt_counts(results: Iterable[GameResult], a: str, b: str) -> tuple[int, int, int]:
    wins = draws = losses = 0
    for r in results:
        if {r.a, r.b} != {a, b}:
            continue
        s = r.score_for(a)
        wins += s == 1.0
        draws += s == 0.5
        losses += s == 0.0
    return wins, draws, losses


class AgentPool:
    """The agents of one process, by label. Reusable kinds (GTP engines, networks) are
    built at their first game and ``reset()`` between games; the others are built afresh
    for every game on a random stream derived from the run's seed, the game's key and the
    label, so a resumed run plays the games an uninterrupted one would have played.
    ``given``: ready-made agents by label. ``worker``: the process number of a parallel run
    (0 in a sequential one), which gives each process's reusable agents their own stream."""

    def __init__(self, specs: Sequence[AgentSpec], context: AgentContext, *,
                 given: dict | None = None, worker: int = 0):
        self.specs = {s.label: s for s in specs}
        self.order = [s.label for s in specs]
        self.context = context
        self.given = dict(given or {})
        self.worker = worker
        self.built: dict = {}

    def get(self, label: str, game: ScheduledGame):
        if label in self.given:
            return self.given[label]
        spec = self.specs[label]
        if AGENT_KINDS[spec.kind].reusable:
            if label not in self.built:
                stream = (self.order.index(label),)
                if self.worker:
                    stream += (1_000_003 + self.worker,)
                self.built[label] = make_agent(spec, self.context, stream)
            return self.built[label]
        digest = hashlib.sha1(f"{game.key}|{label}".encode()).digest()
        return make_agent(spec, self.context, (int.from_bytes(digest[:8], "little"),))

    def close(self) -> None:
        """Close the agents built here (GTP engines are processes)."""
        for agent in self.built.values():
            close = getattr(agent, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:  # noqa: BLE001 - never hide the run's own error
                    log.warning("closing %s: %s", getattr(agent, "name", agent), exc)
        self.built.clear()


OPENING_COMMENT = "random opening move"
"""The SGF comment of the moves an arena game opened with before the agents played (the
text training/lee's expert-data import skips as samples)."""


def random_opening(config: ArenaConfig, game: "ScheduledGame") -> GameState:
    """The position after ``config.opening_moves`` random moves, the same for games 2j and
    2j+1 of a pairing (drawn from the run's seed, the pairing and j), so each opening is
    played once from each side. Stops early if no move is left."""
    pairing = zlib.crc32(f"{game.a}|{game.b}".encode("utf-8"))
    rng = np.random.default_rng([config.seed or 0, pairing, game.index // 2])
    state = GameState(config.size, config.rules)
    picker = RandomAgent(rng)  # legal moves that fill no own eye; a pass when none is left
    for _ in range(config.opening_moves):
        move = picker.select_move(state)
        if move == config.size * config.size:
            break
        state.play(move)
    return state


def play_scheduled_game(game: ScheduledGame, pool: AgentPool, out: str | os.PathLike,
                        config: ArenaConfig) -> GameResult:
    """Play one scheduled game with the pool's agents under the config's rules, write its
    SGF to ``out/games/<a>--<b>/<index>.sgf`` and return its result line (not yet
    appended). A GTP engine that dies, times out or refuses a move raises GtpClientError."""
    out = Path(out)
    started = time.monotonic()
    black, white = pool.get(game.black, game), pool.get(game.white, game)
    watch = _MoveWatch({BLACK: black, WHITE: white})
    start = random_opening(config, game) if config.opening_moves else None
    opening = len(start.history) if start is not None else 0
    record = play_game(black, white, size=config.size, rules=config.rules,
                       max_moves=config.max_moves, on_move=watch, game=start)
    for number in range(1, opening + 1):
        record.move_comments[number] = OPENING_COMMENT
    record.black_name, record.white_name = game.black, game.white
    sgf_rel = Path(GAMES_DIR) / f"{_slug(game.a)}--{_slug(game.b)}" / f"{game.index:04d}.sgf"
    (out / sgf_rel).parent.mkdir(parents=True, exist_ok=True)
    write_sgf(record, out / sgf_rel)
    colour = winner_of(record.result)
    winner = game.black if colour == BLACK else game.white if colour == WHITE else None
    return GameResult(key=game.key, a=game.a, b=game.b, index=game.index, black=game.black,
                      white=game.white, result=record.result, winner=winner,
                      reason=_reason(record.result, record.comment), moves=len(record.moves),
                      seconds=round(time.monotonic() - started, 2), sgf=sgf_rel.as_posix(),
                      finished=_now(), per_move=watch.summary())


def play_schedule(specs: Sequence[AgentSpec], plan: Sequence[ScheduledGame],
                  out: str | os.PathLike, config: ArenaConfig, results: ResultsLog, *,
                  progress: bool = True, agents: dict | None = None,
                  stop: Callable[[], bool] | None = None, desc: str = "arena") -> list[dict]:
    """Play every game of ``plan`` whose key is not yet in ``results``, appending each
    result as it ends; one at a time, or ``config.jobs`` at once in separate processes
    (selfplay/parallel.py: each builds its own agents from the specs). ``stop()`` is asked
    after each game (the SPRT): True ends the run (games still being played in other
    processes are abandoned, not recorded). Returns the games that failed through an agent
    error ({"key", "error"}); ``config.max_failures`` of them in a row raise ArenaError.
    Ctrl-C stops after closing the agents: every finished game is kept."""
    pending = [g for g in plan if g.key not in results]
    bar = _progress(len(plan), len(plan) - len(pending), progress, desc)
    failed: list[dict] = []
    in_a_row = 0

    def on_result(result: GameResult) -> bool:
        nonlocal in_a_row
        in_a_row = 0
        results.append(result)
        bar.update(1)
        bar.set_postfix_str(f"{result.black} vs {result.white}: {result.result}"[:60])
        return bool(stop is not None and stop())

    def on_failure(key: str, error: str) -> None:
        nonlocal in_a_row
        in_a_row += 1
        failed.append({"key": key, "error": error})
        log.warning("game %s failed: %s", key, error)
        bar.update(1)
        if in_a_row >= config.max_failures:
            raise ArenaError(f"{in_a_row} games in a row failed; the last: {error}")

    try:
        if config.jobs > 1 and len(pending) > 1:
            if agents:
                raise ArenaError("ready-made agents cannot be sent to other processes: "
                                 "play with jobs=1")
            from .parallel import play_parallel
            play_parallel(specs, pending, out, config, on_result=on_result,
                          on_failure=on_failure)
        else:
            pool = AgentPool(specs, config.agent_context(), given=agents)
            try:
                for game in pending:
                    try:
                        result = play_scheduled_game(game, pool, out, config)
                    except GtpClientError as exc:  # an engine died, timed out, refused a move
                        on_failure(game.key, f"{type(exc).__name__}: {exc}")
                        continue
                    if on_result(result):
                        break
            finally:
                pool.close()
    finally:
        bar.close()
    return failed


def write_summary(out: str | os.PathLike, summary: dict) -> None:
    """summary.json of a run folder, written atomically."""
    _atomic_write(Path(out) / SUMMARY_FILE,
                  (json.dumps(summary, indent=2) + "\n").encode("utf-8"))


def run_arena(specs: Sequence[str | AgentSpec], out: str | os.PathLike,
              config: ArenaConfig | None = None, *, progress: bool = True,
              agents: dict | None = None) -> dict:
    """Play every scheduled game not yet in ``out``'s results, then rate all the games of
    the folder. Returns the summary (also written to ``out/summary.json``).

    ``agents``: optional ready-made agents by label (tests, or agents built in code);
    the others are built from their specs (checked first: a missing weights file or
    program stops the run before any game), and closed at the end. Ctrl-C stops after
    closing the agents: every finished game is kept."""
    config = config or ArenaConfig()
    parsed = _unique_labels([parse_agent_spec(s) if isinstance(s, str) else s for s in specs])
    labels = [s.label for s in parsed]
    if len(labels) < 2:
        raise ArenaError("an arena needs at least two agents")
    if config.sprt is not None and len(labels) != 2:
        raise ArenaError("the SPRT stop is for a match between two agents")
    for spec in parsed:
        if spec.label not in (agents or {}):
            check_agent_spec(spec)
    out = prepare_folder(out, config, parsed)
    results = ResultsLog(out)
    plan = schedule_games(labels, config.games)
    sprt_status = None

    def decided() -> bool:
        nonlocal sprt_status
        sprt_status = config.sprt.status(*_sprt_counts(results.results, labels[0], labels[1]))
        return sprt_status.decision is not None

    stop = decided if config.sprt is not None else None
    to_play = [] if stop is not None and decided() else plan
    failed = play_schedule(parsed, to_play, out, config, results, progress=progress,
                           agents=agents, stop=stop)
    summary = summarize(results.results, config, labels=labels, sprt_status=sprt_status)
    summary["scheduled"] = len(plan)
    summary["failed"] = failed
    summary["folder"] = str(out)
    write_summary(out, summary)
    return summary


class _MoveWatch:
    """play_game's on_move callback: time per move of each side (the time between two
    moves is the mover's), and the root visits of agents that report a search result."""

    def __init__(self, agents: dict):
        self.agents = agents
        self.last = time.monotonic()
        self.stats = {BLACK: [0, 0.0, 0, 0], WHITE: [0, 0.0, 0, 0]}

    def __call__(self, game, colour, action) -> None:
        now = time.monotonic()
        entry = self.stats[colour]
        entry[0] += 1
        entry[1] += now - self.last
        self.last = now
        result = getattr(self.agents[colour], "last_result", None)
        visits = getattr(result, "simulations", None)
        if isinstance(visits, (int, np.integer)):
            entry[2] += int(visits)
            entry[3] += int(getattr(result, "playouts", visits))

    def summary(self) -> dict:
        return {name: {"moves": m, "seconds": round(t, 3), "visits": v, "playouts": n}
                for name, (m, t, v, n) in (("black", self.stats[BLACK]),
                                           ("white", self.stats[WHITE]))}


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


def _progress(total: int, done: int, enabled: bool, desc: str = "arena"):
    if not enabled or total == done:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, initial=done, desc=desc, unit="game", dynamic_ncols=True,
                leave=False)


# ============================================================================ results
def summarize(results: Sequence[GameResult], config: ArenaConfig | None = None, *,
              labels: Sequence[str] | None = None, sprt_status: SprtStatus | None = None) -> dict:
    """Tables of a set of games, JSON-ready: per pairing (wins by colour, score, Elo with
    its interval from the fit over all games), per player (rating and interval), colours
    overall, and the SPRT state."""
    config = config or ArenaConfig()
    order = list(labels or [])
    for r in results:
        for p in (r.a, r.b):
            if p not in order:
                order.append(p)
    players = [p for p in order if any(p in (r.a, r.b) for r in results)]
    summary: dict = {"rules": config.folder_rules(), "games": len(results),
                     "agents": order, "pairings": [], "ratings": [], "elo": None,
                     "colours": {"black_wins": 0, "white_wins": 0, "draws": 0}}
    for r in results:
        key = ("black_wins" if r.winner == r.black else "white_wins" if r.winner == r.white
               else "draws")
        summary["colours"][key] += 1
    if not results:
        summary["sprt"] = _sprt_json(config, sprt_status)
        return summary
    anchor = config.anchor if config.anchor in players else players[0]
    games = [(r.a, r.b, r.score_for(r.a)) for r in results]
    fit = fit_elo(games, anchor=anchor, anchor_rating=config.anchor_rating,
                  confidence=config.confidence, players=players)
    tallies = tally(games)
    for a, b in tallies:
        if order.index(a) > order.index(b):
            a, b = b, a
        rows = [r for r in results if {r.a, r.b} == {a, b}]
        lo, hi = fit.interval(a, b, config.interval)
        summary["pairings"].append({
            "a": a, "b": b, "games": len(rows),
            "a_wins_black": sum(r.winner == a and r.black == a for r in rows),
            "a_wins_white": sum(r.winner == a and r.white == a for r in rows),
            "b_wins_black": sum(r.winner == b and r.black == b for r in rows),
            "b_wins_white": sum(r.winner == b and r.white == b for r in rows),
            "draws": sum(r.winner is None for r in rows),
            "a_score": sum(r.score_for(a) for r in rows) / len(rows),
            "elo": _num(fit.diff(a, b)), "low": _num(lo), "high": _num(hi),
            "stderr": _num(fit.stderr(a, b)),
            "reasons": _count(r.reason for r in rows),
            "mean_moves": round(sum(r.moves for r in rows) / len(rows), 1),
            "mean_seconds": round(sum(r.seconds for r in rows) / len(rows), 1),
        })
    for p in players:
        lo, hi = fit.rating_interval(p, config.interval)
        mine = [r for r in results if p in (r.a, r.b)]
        moves = seconds = visits = playouts = 0
        for r in mine:
            side = (r.per_move or {}).get("black" if r.black == p else "white")
            if side:
                moves += side["moves"]
                seconds += side["seconds"]
                visits += side["visits"]
                playouts += side.get("playouts", side["visits"])  # older results: no reuse known
        summary["ratings"].append({
            "player": p, "rating": _num(fit.ratings[p]), "low": _num(lo), "high": _num(hi),
            "games": len(mine), "score": sum(r.score_for(p) for r in mine) / len(mine),
            "seconds_per_move": round(seconds / moves, 3) if moves else None,
            "visits_per_move": round(visits / moves, 1) if moves and visits else None,
            "playouts_per_move": round(playouts / moves, 1) if moves and visits else None})
    summary["ratings"].sort(key=lambda row: -_sortable(row["rating"]))
    summary["elo"] = {"model": "Bradley-Terry, logistic Elo, maximum likelihood over all "
                               "games", "anchor": anchor, "anchor_rating": config.anchor_rating,
                      "confidence": config.confidence, "interval": config.interval}
    summary["sprt"] = _sprt_json(config, sprt_status)
    return summary


def _sprt_json(config: ArenaConfig, status: SprtStatus | None):
    if config.sprt is None:
        return None
    out = asdict(config.sprt)
    if status is not None:
        out.update(llr=round(status.llr, 4), lower=round(status.lower, 4),
                   upper=round(status.upper, 4), decision=status.decision)
    return out


def _count(items) -> dict:
    out: dict = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _num(x: float):
    """JSON number: rounded; infinities as "inf"/"-inf"; NaN as None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return round(float(x), 1)


def _sortable(x) -> float:
    if x is None:
        return -math.inf
    if isinstance(x, str):
        return math.inf if x == "inf" else -math.inf
    return float(x)


def _fmt_elo(x) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return "+inf" if x == "inf" else "-inf"
    return f"{x:+.0f}"


def format_summary(summary: dict) -> str:
    """The tables of ``summarize`` as text."""
    rules = summary["rules"]
    lines = [(f"{summary['games']} games on {rules['size']}x{rules['size']}, komi "
              f"{rules['komi']:g}, area scoring, {rules['superko']} superko")]
    colours = summary["colours"]
    lines.append(f"black won {colours['black_wins']}, white won {colours['white_wins']}, "
                 f"draws {colours['draws']}")
    if summary["pairings"]:
        elo = summary["elo"]
        level = round(elo["confidence"] * 100)
        lines.append("")
        header = ["a", "b", "games", "a wins (B/W)", "b wins (B/W)", "draws", "a score",
                  f"Elo a-b [{level}% {elo['interval']}]"]
        rows = []
        for p in summary["pairings"]:
            rows.append([p["a"], p["b"], str(p["games"]),
                         _wins(p["a_wins_black"], p["a_wins_white"]),
                         _wins(p["b_wins_black"], p["b_wins_white"]),
                         str(p["draws"]), f"{100 * p['a_score']:.1f}%",
                         f"{_fmt_elo(p['elo'])} [{_fmt_elo(p['low'])}, {_fmt_elo(p['high'])}]"])
        lines += _table(header, rows)
        lines.append("")
        header = ["rank", "agent", "Elo", f"{level}% interval", "games", "score",
                  "s/move", "visits/move", "playouts/move"]
        rows = [[str(k), r["player"], _fmt_elo(r["rating"]),
                 f"[{_fmt_elo(r['low'])}, {_fmt_elo(r['high'])}]", str(r["games"]),
                 f"{100 * r['score']:.1f}%",
                 "" if r.get("seconds_per_move") is None else f"{r['seconds_per_move']:.2f}",
                 "" if r.get("visits_per_move") is None else f"{r['visits_per_move']:.0f}",
                 "" if r.get("playouts_per_move") is None else f"{r['playouts_per_move']:.0f}"]
                for k, r in enumerate(summary["ratings"], 1)]
        lines += _table(header, rows)
        lines.append(f"(Elo by maximum likelihood over all games; {elo['anchor']} fixed at "
                     f"{elo['anchor_rating']:g})")
    sprt = summary.get("sprt")
    if sprt:
        verdict = {"H1": f"accepted H1 (Elo = {sprt['elo1']:g})",
                   "H0": f"accepted H0 (Elo = {sprt['elo0']:g})"}.get(sprt.get("decision"),
                                                                      "undecided")
        lines.append(f"SPRT elo0={sprt['elo0']:g} elo1={sprt['elo1']:g} "
                     f"alpha={sprt['alpha']:g} beta={sprt['beta']:g}: LLR "
                     f"{sprt.get('llr', 0):.2f} in ({sprt.get('lower', 0):.2f}, "
                     f"{sprt.get('upper', 0):.2f}): {verdict}")
    if summary.get("failed"):
        lines.append(f"{len(summary['failed'])} games failed (agent errors; rerun to retry):")
        lines += [f"  {f['key']}: {f['error'][:200]}" for f in summary["failed"]]
    return "\n".join(lines)


def _wins(black: int, white: int) -> str:
    return f"{black + white} ({black}/{white})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
