"""The ladder: a resumable round-robin among many entrants, defined by a JSON file.

    ladder = load_ladder("ladders/lee-vs-zero.json")
    summary = run_ladder(ladder, "runs/ladder/lee-vs-zero", jobs=2)

A ladder file names the rules, the entrants (an agent spec each, plus what the report
needs: the recipe, the thinking budget, the training compute behind the checkpoint) and
the pairings:

    {"size": 9, "komi": 7.5, "anchor": "gnugo10", "anchor_rating": 1500, "games": 40,
     "pairings": "all",
     "entrants": [
       {"label": "zero-1s", "spec": "zero:seconds=1", "recipe": "zero",
        "budget": {"seconds": 1},
        "training": {"games": 20000, "steps": 30000, "cpu_hours": 2.5, "gpu_hours": 0}},
       {"label": "gnugo10", "recipe": "gnugo",
        "spec": "gtp:gnugo --mode gtp --level 10 --chinese-rules --positional-superko"}]}

``pairings`` is "all" (every pair of entrants), "anchor" (every entrant against the anchor
only), or a list of ``[a, b]`` / ``[a, b, games]`` items; ``games`` is the default count
per pairing. The run folder has the arena's layout (selfplay/arena/: arena.json,
results.jsonl, games/<a>--<b>/<i>.sgf, summary.json) plus ladder.json, the ladder file
as played (entrants since dropped from the file stay there, marked ``"retired": true``, so
that the report still knows what their games were). Ratings: maximum-likelihood Elo over
all games of the folder (selfplay/elo.py), the anchor at ``anchor_rating``.

Resuming: a game is identified by its pairing and index (``a|b|i``, a and b in the order
of the entrants); games already in results.jsonl are never played again, so a rerun goes
on where a run stopped, and a larger ``games`` (or a new entrant or pairing) plays only the
new games. An entrant whose spec changed under the same label is refused (its old games
were another agent's): give it a new label. So is one whose spec now loads another network
(the sha256 of its weights in arena.json, checked by arena.prepare_folder).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from goengine.fileio import atomic_write_bytes
from goengine.game import SUPERKO_KINDS

from goengine.agents import AgentSpec, check_agent_spec, parse_agent_spec

from .errors import ArenaError, SpecError
from .arena import (
    ArenaConfig,
    GameResult,
    ResultsLog,
    ScheduledGame,
    agent_identity,
    load_results,
    play_schedule,
    prepare_folder,
    spec_key,
    summarize,
    write_summary,
)

__all__ = ["DEFAULT_ANCHOR_RATING", "DEFAULT_GAMES", "LADDER_FILE", "Entrant", "Ladder",
           "LadderError", "ladder_summary", "load_ladder", "parse_ladder", "run_ladder"]

LADDER_FILE = "ladder.json"
DEFAULT_GAMES = 40
"""Games per pairing when the ladder file gives no ``games``."""
DEFAULT_ANCHOR_RATING = 1500.0
"""The anchor's Elo when the file gives none. Only differences are measured; the offset is
arbitrary, chosen so that agents much weaker than a GNU Go anchor (random play is more
than 1,000 Elo below GNU Go level 10 on 9x9) still get positive numbers."""

_BAD_LABEL = re.compile(r"[|\x00-\x1f]")  # '|' separates the parts of a game's key
_TOP_KEYS = {"size", "komi", "superko", "max_moves", "anchor", "anchor_rating", "games",
             "pairings", "entrants", "seed", "threads", "gtp_timeout", "genmove_timeout",
             "confidence", "interval", "title", "description", "opening_moves"}
_ENTRANT_KEYS = {"label", "spec", "recipe", "budget", "training", "note", "meta", "retired"}
_BUDGET_KEYS = ("visits", "seconds")
TRAINING_NUMBERS = ("games", "steps", "positions", "cpu_hours", "gpu_hours", "wall_hours")
"""The numbers a ``training`` object (or each of its ``stages``) may give."""


class LadderError(ArenaError, ValueError):
    """A ladder file that does not describe a ladder: the message names the bad part."""


@dataclass(frozen=True)
class Entrant:
    """One agent of the ladder and what the report knows about it."""

    label: str
    spec: AgentSpec
    recipe: str | None = None
    """"zero", "lee", "gnugo", "mcts", ...: entrants of one recipe form a line in the plots."""
    budget: dict = field(default_factory=dict)
    """Thinking budget per move: {"visits": n} or {"seconds": s} (default: from the spec)."""
    training: dict = field(default_factory=dict)
    """Compute behind the checkpoint: games, steps, positions, cpu_hours, gpu_hours,
    wall_hours, and optionally "stages": {stage: {the same numbers}}."""
    note: str | None = None
    meta: dict = field(default_factory=dict)
    retired: bool = False

    def to_json(self) -> dict:
        out = {"label": self.label, "spec": self.spec.text}
        for key in ("recipe", "note"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        for key in ("budget", "training", "meta"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.retired:
            out["retired"] = True
        return out


@dataclass(frozen=True)
class Ladder:
    """A parsed ladder file (see the module docstring)."""

    entrants: tuple
    pairings: tuple
    """(a, b, games) with a before b in the entrants' order."""
    games: int = DEFAULT_GAMES
    """Default games per pairing."""
    pairings_spec: object = "all"
    """``pairings`` as the file gave it ("all", "anchor" or the list), written back to
    ladder.json so that a ladder resumed from its folder keeps its meaning."""
    size: int = 9
    komi: float = 7.5
    superko: str = "positional"
    max_moves: int | None = None
    anchor: str | None = None
    anchor_rating: float = DEFAULT_ANCHOR_RATING
    seed: int | None = 1
    threads: int = 1
    gtp_timeout: float = 30.0
    genmove_timeout: float | None = 600.0
    opening_moves: int = 0
    """Random opening moves before the agents play (ArenaConfig.opening_moves)."""
    confidence: float = 0.95
    interval: str = "profile"
    title: str | None = None
    description: str | None = None
    source: str | None = None
    """Where the file was read from."""

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.entrants]

    def entrant(self, label: str) -> Entrant:
        for e in self.entrants:
            if e.label == label:
                return e
        raise KeyError(label)

    def config(self, jobs: int = 1) -> ArenaConfig:
        return ArenaConfig(size=self.size, komi=self.komi, superko=self.superko,
                           max_moves=self.max_moves, games=0, seed=self.seed,
                           threads=self.threads, gtp_timeout=self.gtp_timeout,
                           genmove_timeout=self.genmove_timeout, anchor=self.anchor,
                           anchor_rating=self.anchor_rating, confidence=self.confidence,
                           interval=self.interval, jobs=jobs, opening_moves=self.opening_moves)

    def schedule(self) -> list[ScheduledGame]:
        """Every pairing's games, round by round (every pairing's game 0, then game 1, ...);
        in game i of pairing (a, b), a is black when i is even."""
        rounds = max((g for _, _, g in self.pairings), default=0)
        out = []
        for index in range(rounds):
            for a, b, games in self.pairings:
                if index < games:
                    black, white = (a, b) if index % 2 == 0 else (b, a)
                    out.append(ScheduledGame(a, b, index, black, white))
        return out

    def to_json(self) -> dict:
        out = {"title": self.title, "description": self.description, "size": self.size,
               "komi": self.komi, "superko": self.superko, "max_moves": self.max_moves,
               "anchor": self.anchor, "anchor_rating": self.anchor_rating,
               "seed": self.seed, "threads": self.threads, "gtp_timeout": self.gtp_timeout,
               "genmove_timeout": self.genmove_timeout, "opening_moves": self.opening_moves,
               "confidence": self.confidence,
               "interval": self.interval, "games": self.games,
               "pairings": self.pairings_spec,
               "entrants": [e.to_json() for e in self.entrants]}
        return {k: v for k, v in out.items() if v is not None or k in ("max_moves", "seed")}


# ============================================================================ parsing
def load_ladder(path: str | os.PathLike) -> Ladder:
    """Read a ladder file, or the ladder.json of a ladder folder (to resume it)."""
    path = Path(path)
    if path.is_dir():
        if not (path / LADDER_FILE).is_file():
            raise LadderError(f"{path} is a folder without {LADDER_FILE}: give a ladder file")
        path = path / LADDER_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LadderError(f"cannot read the ladder file {str(path)!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LadderError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column "
                          f"{exc.colno}") from None
    return parse_ladder(data, source=str(path))


def parse_ladder(data: dict, source: str | None = None) -> Ladder:
    """A Ladder from the JSON object of a ladder file; LadderError names what is wrong."""
    where = source or "ladder"
    if not isinstance(data, dict):
        raise LadderError(f"{where}: a ladder file is a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise LadderError(f"{where}: unknown key {unknown[0]!r} (accepted: "
                          f"{', '.join(sorted(_TOP_KEYS))})")
    entrants_data = data.get("entrants")
    if not isinstance(entrants_data, list) or len(entrants_data) < 2:
        raise LadderError(f"{where}: 'entrants' must be a list of at least two entrants")
    entrants = []
    for number, item in enumerate(entrants_data, start=1):
        entrants.append(_parse_entrant(item, f"{where}: entrant {number}"))
    labels = [e.label for e in entrants]
    for label in labels:
        if labels.count(label) > 1:
            raise LadderError(f"{where}: two entrants are labelled {label!r}")
    size = _get(data, "size", 9, int, where, lambda v: 2 <= v <= 19, "an integer from 2 to 19")
    komi = _get(data, "komi", 7.5, float, where, math.isfinite, "a finite number")
    superko = _get(data, "superko", "positional", str, where, lambda v: v in SUPERKO_KINDS,
                   f"one of {', '.join(SUPERKO_KINDS)}")
    max_moves = _get(data, "max_moves", None, int, where, lambda v: v >= 1, "a positive integer")
    games = _get(data, "games", DEFAULT_GAMES, int, where, lambda v: v >= 0, "an integer >= 0")
    anchor = data.get("anchor")
    if anchor is None:
        anchor = next((e.label for e in entrants if e.recipe == "gnugo"), labels[0])
    elif anchor not in labels:
        raise LadderError(f"{where}: the anchor {anchor!r} is not an entrant (entrants: "
                          f"{', '.join(labels)})")
    pairings_spec = data.get("pairings", "all")
    active = [e.label for e in entrants if not e.retired]
    pairings = _parse_pairings(pairings_spec, labels, active, anchor, games, where)
    return Ladder(
        entrants=tuple(entrants), pairings=tuple(pairings), games=games,
        pairings_spec=pairings_spec, size=size, komi=komi,
        superko=superko, max_moves=max_moves, anchor=anchor,
        anchor_rating=_get(data, "anchor_rating", DEFAULT_ANCHOR_RATING, float, where,
                           math.isfinite, "a finite number"),
        seed=(None if "seed" in data and data["seed"] is None
              else _get(data, "seed", 1, int, where, lambda v: True, "an integer")),
        threads=_get(data, "threads", 1, int, where, lambda v: v >= 1, "a positive integer"),
        gtp_timeout=_get(data, "gtp_timeout", 30.0, float, where, lambda v: v > 0,
                         "a positive number"),
        genmove_timeout=_get(data, "genmove_timeout", 600.0, float, where, lambda v: v > 0,
                             "a positive number"),
        opening_moves=_get(data, "opening_moves", 0, int, where, lambda v: v >= 0,
                           "a whole number >= 0"),
        confidence=_get(data, "confidence", 0.95, float, where, lambda v: 0 < v < 1,
                        "a number between 0 and 1"),
        interval=_get(data, "interval", "profile", str, where,
                      lambda v: v in ("profile", "wald"), "'profile' or 'wald'"),
        title=_get(data, "title", None, str, where, lambda v: True, "a string"),
        description=_get(data, "description", None, str, where, lambda v: True, "a string"),
        source=source)


def _get(data: dict, key: str, default, kind, where: str, ok, expected: str):
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) or not ok(value):
        raise LadderError(f"{where}: {key!r} must be {expected}, got {data[key]!r}")
    return value


def _parse_entrant(item, where: str) -> Entrant:
    if isinstance(item, str):
        item = {"spec": item}
    if not isinstance(item, dict):
        raise LadderError(f"{where}: an entrant is an object with a 'spec' (or a spec "
                          f"string), got {item!r}")
    unknown = sorted(set(item) - _ENTRANT_KEYS)
    if unknown:
        raise LadderError(f"{where}: unknown key {unknown[0]!r} (accepted: "
                          f"{', '.join(sorted(_ENTRANT_KEYS))})")
    text = item.get("spec")
    if not isinstance(text, str) or not text.strip():
        raise LadderError(f"{where}: 'spec' must be an agent spec such as 'zero:visits=200'")
    try:
        spec = parse_agent_spec(text)
    except SpecError as exc:
        raise LadderError(f"{where}: {exc}") from None
    label = item.get("label", spec.label)
    if not isinstance(label, str) or not label.strip() or _BAD_LABEL.search(label):
        raise LadderError(f"{where}: label {label!r} must be a non-empty string without '|' "
                          f"or control characters (it names results, SGF players and files)")
    where = f"{where.rsplit(':', 1)[0]}: entrant {label!r}"
    spec = dataclasses.replace(spec, label=label)
    recipe = item.get("recipe")
    if recipe is not None and not isinstance(recipe, str):
        raise LadderError(f"{where}: 'recipe' must be a string, got {recipe!r}")
    budget = item.get("budget") or {}
    if not isinstance(budget, dict) or set(budget) - set(_BUDGET_KEYS):
        raise LadderError(f"{where}: 'budget' is an object with 'visits' or 'seconds', "
                          f"got {budget!r}")
    for key, value in budget.items():
        if not _positive_number(value):
            raise LadderError(f"{where}: budget {key!r} must be a positive number, got {value!r}")
    if not budget:
        options = dict(spec.options)
        budget = {k: options[k] for k in _BUDGET_KEYS if k in options}
    training = item.get("training") or {}
    _check_training(training, where)
    meta = item.get("meta") or {}
    if not isinstance(meta, dict):
        raise LadderError(f"{where}: 'meta' must be an object, got {meta!r}")
    note = item.get("note")
    if note is not None and not isinstance(note, str):
        raise LadderError(f"{where}: 'note' must be a string, got {note!r}")
    return Entrant(label, spec, recipe, dict(budget), dict(training), note, dict(meta),
                   bool(item.get("retired", False)))


def _positive_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _check_training(training, where: str) -> None:
    if not isinstance(training, dict):
        raise LadderError(f"{where}: 'training' must be an object, got {training!r}")

    def numbers(obj: dict, context: str) -> None:
        for key in TRAINING_NUMBERS:
            value = obj.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(
                    value, bool) or not math.isfinite(value) or value < 0):
                raise LadderError(f"{context}: {key!r} must be a number >= 0, got {value!r}")

    numbers(training, f"{where}: training")
    stages = training.get("stages")
    if stages is not None:
        if not isinstance(stages, dict) or not all(isinstance(v, dict) for v in stages.values()):
            raise LadderError(f"{where}: training 'stages' must map stage names to objects "
                              f"of numbers, e.g. {{\"sl\": {{\"steps\": 20000, "
                              f"\"cpu_hours\": 1.5}}}}")
        for name, stage in stages.items():
            numbers(stage, f"{where}: training stage {name!r}")


def _parse_pairings(value, labels: list[str], active: list[str], anchor: str, games: int,
                    where: str) -> list:
    """(a, b, games) triples, a before b in the entrants' order; "all" and "anchor" leave
    out retired entrants (kept in ladder.json only for the report)."""
    order = {label: k for k, label in enumerate(labels)}
    if value == "all":
        return [(active[i], active[j], games) for i in range(len(active))
                for j in range(i + 1, len(active))]
    if value == "anchor":
        return [tuple(sorted((label, anchor), key=order.get)) + (games,)
                for label in active if label != anchor]
    if not isinstance(value, list) or not value:
        raise LadderError(f"{where}: 'pairings' must be \"all\", \"anchor\" or a list of "
                          f"[a, b] or [a, b, games] items, got {value!r}")
    out = []
    seen = set()
    for item in value:
        if (not isinstance(item, list) or len(item) not in (2, 3)
                or not all(isinstance(x, str) for x in item[:2])):
            raise LadderError(f"{where}: pairing {item!r} is not [a, b] or [a, b, games]")
        a, b = item[0], item[1]
        for label in (a, b):
            if label not in order:
                raise LadderError(f"{where}: pairing {item!r}: {label!r} is not an entrant "
                                  f"(entrants: {', '.join(labels)})")
        if a == b:
            raise LadderError(f"{where}: pairing {item!r}: an entrant cannot play itself")
        count = item[2] if len(item) == 3 else games
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise LadderError(f"{where}: pairing {item!r}: games must be an integer >= 0")
        if order[a] > order[b]:
            a, b = b, a
        if (a, b) in seen:
            raise LadderError(f"{where}: the pairing {a} - {b} is given twice")
        seen.add((a, b))
        out.append((a, b, count))
    return out


# ============================================================================ the run
def run_ladder(ladder: Ladder | str | os.PathLike, out: str | os.PathLike, *, jobs: int = 1,
               progress: bool = True) -> dict:
    """Play every game of the ladder not yet in ``out`` (``jobs`` at once, each in its own
    process), then rate all the games of the folder. Returns the summary (also written to
    ``out/summary.json``). Every entrant's spec is checked before any game (a missing
    weights file or program fails at once)."""
    if not isinstance(ladder, Ladder):
        ladder = load_ladder(ladder)
    config = ladder.config(jobs)
    specs = [e.spec for e in ladder.entrants]
    playing = {label for a, b, games in ladder.pairings if games for label in (a, b)}
    for spec in specs:
        if spec.label in playing:
            check_agent_spec(spec)
    out = Path(out)
    merged = _merge_with_folder(ladder, out)
    prepare_folder(out, config, [spec for spec in specs if spec.label in playing])
    atomic_write_bytes(out / LADDER_FILE,
                  (json.dumps(merged.to_json(), indent=2) + "\n").encode("utf-8"))
    results = ResultsLog(out)
    plan = ladder.schedule()
    failed = play_schedule(specs, plan, out, config, results, progress=progress, desc="ladder")
    summary = ladder_summary(results.results, merged)
    summary["scheduled"] = len(plan)
    summary["failed"] = failed
    summary["folder"] = str(out)
    write_summary(out, summary)
    return summary


def _merge_with_folder(ladder: Ladder, out: Path) -> Ladder:
    """The ladder with the entrants of the folder's earlier ladder.json that the file no
    longer names (marked retired); an entrant whose spec changed is refused."""
    path = out / LADDER_FILE
    if not path.is_file():
        return ladder
    try:
        old = load_ladder(path)
    except LadderError as exc:
        raise LadderError(f"{out} holds a {LADDER_FILE} that does not load ({exc}); "
                          f"use another folder") from None
    current = {e.label: e for e in ladder.entrants}
    retired = []
    for e in old.entrants:
        now = current.get(e.label)
        if now is None:
            retired.append(dataclasses.replace(e, retired=True))
        elif _identity(now.spec) != _identity(e.spec):
            raise LadderError(f"entrant {e.label!r} played its games in {out} as "
                              f"{e.spec.text!r}, and is now {now.spec.text!r}: give the new "
                              f"agent a new label (or use another folder)")
    return dataclasses.replace(ladder, entrants=ladder.entrants + tuple(retired))


def _identity(spec: AgentSpec) -> str:
    """What makes two specs the same agent: the kind and its options or command line (a
    network's weights path aside: arena.json's sha256 of the file decides that part)."""
    return spec_key(agent_identity(spec, weights=False))


def ladder_summary(results: list[GameResult], ladder: Ladder) -> dict:
    """The arena's tables (summarize) of the games, the entrants in the ladder's order,
    Elo anchored on the ladder's anchor; plus the ladder itself under "ladder"."""
    summary = summarize(results, ladder.config(), labels=ladder.labels)
    summary["ladder"] = ladder.to_json()
    return summary


def folder_summary(folder: str | os.PathLike, ladder: Ladder | None = None) -> dict:
    """The summary of a ladder folder's games as they stand (its ladder.json unless given)."""
    folder = Path(folder)
    ladder = ladder or load_ladder(folder / LADDER_FILE)
    return ladder_summary(load_results(folder), ladder)
