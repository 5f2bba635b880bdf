"""Reading the queries of KataGo's JSON analysis engine (docs/Analysis_Engine.md) for
goengine-analysis (gtp/analysis_engine.py): one JSON object per line, checked field by field
in KataGo's order (cpp/command/analysis.cpp), each problem a ``QueryError`` naming the field
(``{"id", "field", "error"}`` on the wire) and each thing accepted but not done a warning
(``{"id", "field", "warning"}``, after which the query is analysed all the same).

What goengine cannot do is said, not silently changed: a non-square board is refused
(``boardYSize``); rules goengine cannot score (territory, stone scoring, a button) are
analysed as the nearest area rules with a ``rules`` warning, as KataGo does for rules its
network does not support; known KataGo search parameters goengine has no equivalent of are
named in an ``overrideSettings`` warning, unknown ones in KataGo's own "Unknown config
params" warning.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field

from goengine.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE, from_gtp, to_gtp
from goengine.errors import IllegalMoveError
from goengine.game import GameState, Rules

from .avoid import MoveFilter

__all__ = ["QueryError", "Settings", "Query", "SIDE_TO_MOVE", "parse_query", "apply_settings",
           "parse_override_config", "parse_vertex", "player_text"]

SIDE_TO_MOVE = 0
"""``reportAnalysisWinratesAs SIDETOMOVE``: KataGo's default when the config does not set it
(analysis.cpp loads it with C_EMPTY as the default)."""
UNLIMITED = 1 << 50

TOP_LEVEL = {
    "id", "action", "moves", "initialStones", "initialPlayer", "rules", "komi",
    "whiteHandicapBonus", "boardXSize", "boardYSize", "analyzeTurns", "maxVisits",
    "rootPolicyTemperature", "rootFpuReductionMax", "analysisPVLen", "includeOwnership",
    "includeOwnershipStdev", "includeMovesOwnership", "includeMovesOwnershipStdev",
    "includePolicy", "includePVVisits", "avoidMoves", "allowMoves", "overrideSettings",
    "reportDuringSearchEvery", "priority", "priorities"}
NOT_DONE = {
    "rootPolicyTemperature": "goengine's search has no root policy temperature",
    "rootFpuReductionMax": "goengine's root FPU is fixed by the agent spec (fpu=)",
    "includeOwnershipStdev": "goengine reports no ownership standard deviation",
    "includeMovesOwnershipStdev": "goengine reports no ownership standard deviation",
    "includePVVisits": "goengine reports no visits along the pv",
}
"""Fields KataGo knows that goengine accepts and ignores (a warning when they ask for
something: a true flag or any value)."""

KATAGO_PARAMS = {
    "wideRootNoise", "cpuctExploration", "cpuctExplorationLog", "cpuctExplorationBase",
    "fpuReductionMax", "rootFpuReductionMax", "fpuUseParentAverage", "winLossUtilityFactor",
    "staticScoreUtilityFactor", "dynamicScoreUtilityFactor", "dynamicScoreCenterZeroWeight",
    "dynamicScoreCenterScale", "playoutDoublingAdvantage", "playoutDoublingAdvantagePla",
    "rootPolicyTemperature", "rootPolicyTemperatureEarly", "rootNumSymmetriesToSample",
    "ignorePreRootHistory", "antiMirror", "humanSLProfile", "numSearchThreads",
    "numSearchThreadsPerAnalysisThread", "conservativePass", "rootNoiseEnabled",
    "useLcbForSelection", "lcbStdevs", "minVisitPropForLCB", "valueWeightExponent",
    "rootEndingBonusPoints", "rootPruneUselessMoves", "nnRandomize", "useUncertainty",
    "subtreeValueBiasFactor", "useGraphSearch", "chosenMoveTemperature",
    "chosenMoveTemperatureEarly", "noResultUtilityForWhite", "drawEquivalentWinsForWhite",
    "avoidRepeatedPatternUtility", "humanSLChosenMoveProp", "humanSLCpuctPermanent",
    "humanSLRootExploreProbWeightless", "humanSLRootExploreProbWeightful",
    "humanSLPlaExploreProbWeightless", "humanSLPlaExploreProbWeightful",
    "humanSLOppExploreProbWeightless", "humanSLOppExploreProbWeightful", "warnUnusedFields",
    "forDeterministicTesting", "logSearchInfo", "logAllRequests", "logAllResponses",
    "logToStderr", "logDir", "logFile", "nnCacheSizePowerOfTwo", "nnMaxBatchSize",
    "numAnalysisThreads", "maxPlayoutsPondering", "maxTimePondering", "searchFactorAfterOnePass",
    "searchFactorAfterTwoPass", "rootSymmetryPruning", "preventCleanupPhase",
    "assumeMultipleStartingBlackMovesAreHandicap"}
"""KataGo settings (analysis_example.cfg, docs) with no goengine equivalent: accepted in
overrideSettings and -override-config, named in a warning, otherwise ignored."""


class QueryError(ValueError):
    """A query goengine-analysis refuses: ``field`` is the query field at fault (None for
    a general error)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Settings:
    """Search and report settings: the engine's defaults (the agent's budget, then
    -override-config), changed per query by overrideSettings and the query's fields."""

    max_visits: int | None = None
    """Root visits of one search (None: the agent's budget)."""
    max_time: float | None = None
    """Seconds of one search (None: the agent's budget)."""
    perspective: int = SIDE_TO_MOVE
    """reportAnalysisWinratesAs: BLACK, WHITE or SIDE_TO_MOVE."""
    pv_len: int = 15
    """analysisPVLen: moves of each pv after its first (KataGo's default 15)."""


@dataclass
class Query:
    """One analysis query, read and checked; ``positions`` holds (turnNumber, game,
    priority) for each turn to analyse, in KataGo's order (increasing turn number)."""

    id: str
    size: int
    settings: Settings
    positions: list = field(default_factory=list)
    include_ownership: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    report_every: float | None = None
    moves: MoveFilter | None = None
    warnings: list = field(default_factory=list)
    """(field, message) pairs written before the results."""
    warned_moves_ownership: bool = False


# ----------------------------------------------------------------------------- values
def _integer(value, name: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueryError(name, message)
    return value


def _number(value, name: str, low: float, high: float, message: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not low <= value <= high:
        raise QueryError(name, message)
    return float(value)


def _boolean(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise QueryError(name, "Must be a boolean")
    return value


def _player(value, name: str) -> int:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in ("b", "black"):
        return BLACK
    if text in ("w", "white"):
        return WHITE
    raise QueryError(name, 'Must be "b" or "w"')


def player_text(color: int) -> str:
    return "B" if color == BLACK else "W"


_XY = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def parse_vertex(text: str, size: int) -> int:
    """A KataGo location: a GTP vertex (``C4``, ``pass``) or ``(x,y)`` with x from the left
    and y from the top, as KataGo's Location::ofString reads it. ValueError if off the board."""
    match = _XY.fullmatch(text.strip())
    if match:
        x, y = int(match.group(1)), int(match.group(2))
        if not (0 <= x < size and 0 <= y < size):
            raise ValueError(f"{text!r} is off the board")
        return y * size + x
    return from_gtp(text, size)


def _stones(value, name: str, size: int, allow_pass: bool) -> list[tuple[int, int]]:
    """[[player, location], ...] -> [(colour, action), ...]."""
    shape = 'Must be an array of pairs of the form: ["b" or "w", GTP board vertex]'
    if not isinstance(value, list):
        raise QueryError(name, shape)
    out = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise QueryError(name, shape)
        try:
            color = _player(item[0], name)
        except QueryError:
            raise QueryError(name, f"Could not parse player: {item[0]}") from None
        try:
            action = parse_vertex(item[1], size)
        except ValueError:
            action = None
        if action is None or (action == size * size and not allow_pass):
            raise QueryError(name, f"Could not parse board location: {item[1]}")
        out.append((color, action))
    return out


# ----------------------------------------------------------------------------- rules
# KataGo's named rules (cpp/game/rules.cpp, parseRulesHelper), names compared without case,
# '-', '_' or spaces: (superko, suicide, scoring, tax, button, white handicap bonus, komi)
_NAMED_RULES = {
    ("japanese", "korean"): ("simple", False, "TERRITORY", "SEKI", False, "0", 6.5),
    ("chinese",): ("simple", False, "AREA", "NONE", False, "N", 7.5),
    ("chineseogs", "chinesekgs"): ("positional", False, "AREA", "NONE", False, "N", 7.5),
    ("ancientarea", "stonescoring"): ("simple", False, "AREA", "ALL", False, "0", 7.5),
    ("ancientterritory",): ("simple", False, "TERRITORY", "ALL", False, "0", 6.5),
    ("agabutton",): ("situational", False, "AREA", "NONE", True, "N-1", 7.0),
    ("aga", "bga", "french"): ("situational", False, "AREA", "NONE", False, "N-1", 7.5),
    ("nz", "newzealand"): ("situational", True, "AREA", "NONE", False, "0", 7.5),
    ("tromptaylor",): ("positional", True, "AREA", "NONE", False, "0", 7.5),
    ("goe", "ing"): ("positional", True, "AREA", "NONE", False, "0", 7.5),
}
_KO = {"SIMPLE": "simple", "POSITIONAL": "positional", "SITUATIONAL": "situational"}


@dataclass(frozen=True)
class _Rules:
    superko: str
    suicide: bool
    scoring: str
    tax: str
    button: bool
    bonus: str
    komi: float
    text: str


def _parse_rules(value) -> _Rules:
    name = "rules"
    if isinstance(value, str):
        key = re.sub(r"[-_ ]", "", value.strip().lower())
        for names, spec in _NAMED_RULES.items():
            if key in names:
                return _Rules(*spec, text=value)
        raise QueryError(name, f"Could not parse rules: {value}")
    if not isinstance(value, dict):
        raise QueryError(name, 'Must specify rules string, such as "chinese" or "tromp-taylor", '
                               "or a JSON object with detailed rules parameters.")
    text = json.dumps(value, separators=(",", ":"))
    rules = {"superko": "positional", "suicide": True, "scoring": "AREA", "tax": None,
             "button": False, "bonus": "0", "komi": None}
    try:
        for key, item in value.items():
            if key == "ko":
                rules["superko"] = _KO.get(str(item).upper(), "simple")
                if str(item).upper() not in _KO and str(item).upper() != "SPIGHT":
                    raise ValueError
            elif key in ("score", "scoring"):
                if str(item).upper() not in ("AREA", "TERRITORY"):
                    raise ValueError
                rules["scoring"] = str(item).upper()
            elif key == "tax":
                if str(item).upper() not in ("NONE", "SEKI", "ALL"):
                    raise ValueError
                rules["tax"] = str(item).upper()
            elif key in ("suicide", "hasButton", "friendlyPassOk"):
                if not isinstance(item, bool):
                    raise ValueError
                if key != "friendlyPassOk":  # the pass rules of area scoring: nothing to do
                    rules["suicide" if key == "suicide" else "button"] = item
            elif key == "whiteHandicapBonus":
                rules["bonus"] = _bonus(item, name)
            elif key == "komi":
                rules["komi"] = _komi(item, name)
            else:
                raise ValueError
    except (ValueError, TypeError):
        raise QueryError(name, f"Could not parse rules: {text}") from None
    if rules["tax"] is None:
        rules["tax"] = "SEKI" if rules["scoring"] == "TERRITORY" else "NONE"
    if rules["komi"] is None:
        rules["komi"] = 6.5 if rules["scoring"] == "TERRITORY" else 7.0 if rules["button"] else 7.5
    return _Rules(**rules, text=text)


def _komi(value, name: str) -> float:
    message = "Must be a integer or half-integer from -150.0 to 150.0"
    komi = _number(value, name, -150.0, 150.0, message)
    if komi * 2 != int(komi * 2):
        raise QueryError(name, message)
    return komi


def _bonus(value, name: str) -> str:
    text = value.strip().upper() if isinstance(value, str) else None
    if text not in ("0", "N", "N-1"):
        raise QueryError(name, 'Must be "0", "N" or "N-1"')
    return text


def _rules_warning(rules: _Rules) -> str | None:
    """KataGo's warning for rules it converts (here: what goengine cannot score)."""
    missing = []
    if rules.scoring == "TERRITORY":
        missing.append("territory scoring")
    if rules.tax != "NONE" and rules.scoring == "AREA":
        missing.append(f"tax {rules.tax}")
    if rules.button:
        missing.append("the button")
    if not missing:
        return None
    ko = {"simple": "SIMPLE", "positional": "POSITIONAL", "situational": "SITUATIONAL"}[rules.superko]
    return (f"Rules {rules.text} not supported by goengine ({', '.join(missing)}), using "
            f'{{"ko":"{ko}","scoring":"AREA","tax":"NONE","suicide":'
            f'{"true" if rules.suicide else "false"}}} instead (goengine scores by area)')


# ----------------------------------------------------------------------------- settings
def _count(value, name: str) -> int:
    """A visit count from an override value (a JSON number or its text)."""
    try:
        count = int(value) if not isinstance(value, str) else int(float(value.strip()))
    except (TypeError, ValueError, OverflowError):
        raise QueryError("overrideSettings", f"Could not set settings: {name} must be an "
                                             f"integer, got {value!r}") from None
    if isinstance(value, bool) or count < 1:
        raise QueryError("overrideSettings", f"Could not set settings: {name} must be at "
                                             f"least 1, got {value!r}")
    return min(count, UNLIMITED)


def apply_settings(settings: Settings, values: dict) -> tuple[Settings, list[str], list[str]]:
    """``settings`` with KataGo's keys in ``values`` applied (maxVisits, maxPlayouts, maxTime,
    reportAnalysisWinratesAs, analysisPVLen): (settings, KataGo keys goengine ignores,
    unknown keys). QueryError (field overrideSettings) for a bad value."""
    changes, ignored, unknown = {}, [], []
    for key, value in values.items():
        if key in ("maxVisits", "maxPlayouts"):  # a fresh tree each search: the same
            changes["max_visits"] = _count(value, key)
        elif key == "maxTime":
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                seconds = float("nan")
            if isinstance(value, bool) or not seconds > 0:
                raise QueryError("overrideSettings", f"Could not set settings: maxTime must "
                                                     f"be a positive number, got {value!r}")
            changes["max_time"] = None if seconds >= 1e20 else seconds
        elif key == "reportAnalysisWinratesAs":
            text = str(value).strip().upper()
            views = {"BLACK": BLACK, "B": BLACK, "WHITE": WHITE, "W": WHITE,
                     "SIDETOMOVE": SIDE_TO_MOVE}
            if text not in views:
                raise QueryError("overrideSettings", "Could not set settings: "
                                 "reportAnalysisWinratesAs must be BLACK, WHITE or SIDETOMOVE")
            changes["perspective"] = views[text]
        elif key == "analysisPVLen":
            length = _count(value, key)
            changes["pv_len"] = min(length, 1000)
        elif key in KATAGO_PARAMS:
            ignored.append(key)
        else:
            unknown.append(key)
    return dataclasses.replace(settings, **changes), ignored, unknown


def parse_override_config(texts: list[str]) -> dict:
    """KataGo's ``-override-config "key=value, key=value"`` (given any number of times)."""
    out = {}
    for text in texts:
        for item in text.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"-override-config: {item.strip()!r} is not key=value")
            out[key.strip()] = value.strip()
    return out


# ----------------------------------------------------------------------------- the query
def parse_query(obj: dict, defaults: Settings) -> Query:
    """Read an analysis query (a dict with a string ``id``). QueryError for the first bad
    field, in KataGo's order; the games of every turn to analyse are built here, so an
    illegal move is refused before anything is searched."""
    qid = obj["id"]
    size = _board_size(obj)
    placements = _stones(obj["initialStones"], "initialStones", size, False) \
        if "initialStones" in obj else []
    if "moves" not in obj:
        raise QueryError("moves", "Must specify an array of [player,location] pairs")
    moves = _stones(obj["moves"], "moves", size, True)
    initial = _player(obj["initialPlayer"], "initialPlayer") if "initialPlayer" in obj else None

    turns = [len(moves)]
    if "analyzeTurns" in obj:
        value = obj["analyzeTurns"]
        if not isinstance(value, list) or not all(isinstance(t, int) and not isinstance(t, bool)
                                                  for t in value):
            raise QueryError("analyzeTurns", "Must specify an array of integers indicating "
                                             "turns to analyze")
        for t in value:
            if not 0 <= t <= len(moves):
                raise QueryError("analyzeTurns", f"Invalid turn number: {t}")
        turns = value

    if "rules" not in obj:
        raise QueryError("rules", 'Must specify rules string, such as "chinese" or '
                                  '"tromp-taylor", or a JSON object with detailed rules parameters.')
    rules = _parse_rules(obj["rules"])
    komi = _komi(obj["komi"], "komi") if "komi" in obj else rules.komi
    bonus = _bonus(obj["whiteHandicapBonus"], "whiteHandicapBonus") \
        if "whiteHandicapBonus" in obj else rules.bonus

    query = Query(qid, size, defaults)
    warning = _rules_warning(rules)
    if warning:
        query.warnings.append(("rules", warning))
    if "overrideSettings" in obj:
        values = obj["overrideSettings"]
        if not isinstance(values, dict):
            raise QueryError("overrideSettings", "Must be an object")
        query.settings, ignored, unknown = apply_settings(query.settings, values)
        if unknown:
            query.warnings.append(("overrideSettings", "Unknown config params: " + ",".join(unknown)))
        if ignored:
            query.warnings.append(("overrideSettings", "KataGo settings goengine has no "
                                   "equivalent of, ignored: " + ",".join(ignored)))
    if "maxVisits" in obj:
        visits = _integer(obj["maxVisits"], "maxVisits", 1, UNLIMITED,
                          "Must be an integer from 1 to 2^50")
        query.settings = dataclasses.replace(query.settings, max_visits=visits)
    if "analysisPVLen" in obj:
        length = _integer(obj["analysisPVLen"], "analysisPVLen", 1, 1000,
                          "Must be an integer from 1 to 1000")
        query.settings = dataclasses.replace(query.settings, pv_len=length)
    for name in ("rootPolicyTemperature", "rootFpuReductionMax"):
        if name in obj:
            _number(obj[name], name, 0.0, 100.0, "Must be a number")
            query.warnings.append((name, f"ignored: {NOT_DONE[name]}"))
    query.include_ownership = _boolean(obj.get("includeOwnership", False), "includeOwnership")
    query.include_moves_ownership = _boolean(obj.get("includeMovesOwnership", False),
                                             "includeMovesOwnership")
    query.include_policy = _boolean(obj.get("includePolicy", False), "includePolicy")
    for name in ("includeOwnershipStdev", "includeMovesOwnershipStdev", "includePVVisits"):
        if _boolean(obj.get(name, False), name):
            query.warnings.append((name, f"ignored: {NOT_DONE[name]}"))
    if "reportDuringSearchEvery" in obj:
        query.report_every = _number(obj["reportDuringSearchEvery"], "reportDuringSearchEvery",
                                     0.001, 1000000.0, "Must number of seconds from 0.001 to "
                                                       "1000000.0")
    priorities = _priorities(obj, turns)
    query.moves = _move_filter(obj, size)
    for name in obj:
        if name not in TOP_LEVEL:
            query.warnings.append((name, "Unexpected or unused field"))

    query.positions = _positions(size, placements, moves, initial, sorted(set(turns)),
                                 rules, komi, bonus, dict(zip(turns, priorities)))
    return query


def _board_size(obj: dict) -> int:
    message = f"Must provide an integer from {MIN_SIZE} to {MAX_SIZE}"
    for name in ("boardXSize", "boardYSize"):
        if name not in obj:
            raise QueryError(name, message)
        _integer(obj[name], name, MIN_SIZE, MAX_SIZE, message)
    if obj["boardXSize"] != obj["boardYSize"]:
        raise QueryError("boardYSize", f"goengine plays square boards only: boardYSize "
                                       f"{obj['boardYSize']} differs from boardXSize "
                                       f"{obj['boardXSize']}")
    return obj["boardXSize"]


def _priorities(obj: dict, turns: list[int]) -> list[int]:
    message = "Must be a number from -2,147,483,647 to 2,147,483,647"
    if "priorities" in obj:
        value = obj["priorities"]
        if not isinstance(value, list) or len(value) != len(turns):
            raise QueryError("priorities", "Must be an array of integers of the same length "
                                           "as analyzeTurns")
        return [_integer(p, "priorities", -0x7FFFFFFF, 0x7FFFFFFF, message) for p in value]
    priority = _integer(obj["priority"], "priority", -0x7FFFFFFF, 0x7FFFFFFF, message) \
        if "priority" in obj else 0
    return [priority] * len(turns)


def _move_filter(obj: dict, size: int) -> MoveFilter | None:
    """avoidMoves / allowMoves as gtp/avoid.py's MoveFilter (untilDepth: plies from the
    root, 1 the root only, as GTP's UNTIL_DEPTH)."""
    has_allow, has_avoid = "allowMoves" in obj, "avoidMoves" in obj
    if not (has_allow or has_avoid):
        return None
    if has_allow and has_avoid:
        raise QueryError("allowMoves", "Cannot specify both allowMoves and avoidMoves")
    name = "allowMoves" if has_allow else "avoidMoves"
    shape = "Must be a list of dicts with subfields 'player', 'moves', 'untilDepth'"
    entries = obj[name]
    if not isinstance(entries, list):
        raise QueryError(name, shape)
    if has_allow and len(entries) > 1:
        raise QueryError(name, "Currently allowMoves only allows one entry")
    moves = MoveFilter(size)
    for entry in entries:
        if not isinstance(entry, dict) or not {"player", "moves", "untilDepth"} <= set(entry):
            raise QueryError(name, shape)
        color = _player(entry["player"], name)
        if not isinstance(entry["moves"], list) or not all(isinstance(m, str) for m in entry["moves"]):
            raise QueryError(name, "Must be an array of GTP board vertices")
        actions = set()
        for text in entry["moves"]:
            try:
                actions.add(parse_vertex(text, size))
            except ValueError:
                raise QueryError(name, f"Could not parse board location: {text}") from None
        depth = _integer(entry["untilDepth"], name, 1, 1000000000, "Must be a positive integer")
        try:
            moves.add("allow" if has_allow else "avoid", color, frozenset(actions), depth)
        except ValueError as exc:
            raise QueryError(name, str(exc)) from None
    return moves or None


def _positions(size, placements, moves, initial, turns, rules: _Rules, komi: float, bonus: str,
               priorities: dict) -> list:
    """(turn, game, priority) for each turn: the setup stones, then the moves played one by
    one (a colour may move twice in a row, as KataGo allows; a game over after two passes
    goes on)."""
    black = [a for c, a in placements if c == BLACK]
    white = [a for c, a in placements if c == WHITE]
    handicap = len(black) if black and not white and len(black) >= 2 else 0
    extra = {"0": 0, "N": handicap, "N-1": max(0, handicap - 1)}[bonus]
    game = GameState(size, Rules(komi=komi + extra, superko=rules.superko, suicide=rules.suicide))
    if initial is None and moves:
        initial = moves[0][0]
    try:
        game.setup_stones(black, white, to_play=initial)
    except ValueError as exc:
        raise QueryError("initialStones", str(exc)) from None
    out = []
    for turn in range(len(moves) + 1):
        if turn in priorities:
            position = game.copy()
            if position.is_over():
                position.resume()  # analysed after two passes, as a disputed end
            out.append((turn, position, priorities[turn]))
        if turn == len(moves):
            break
        color, action = moves[turn]
        if game.is_over():
            game.resume()
        try:
            game.play_color(color, action)
        except IllegalMoveError:
            raise QueryError("moves", f"Illegal move {turn}: {to_gtp(action, size)}") from None
    return out
