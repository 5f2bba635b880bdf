"""The arena's configuration, its schedule of games and the run folder's file names."""
from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from goengine.agents import AgentContext
from goengine.game import SUPERKO_KINDS, Rules
from goengine.gameloop import move_cap

from ..sprt import SPRT


RESULTS_FILE = "results.jsonl"


CONFIG_FILE = "arena.json"


SUMMARY_FILE = "summary.json"


GAMES_DIR = "games"


RESULTS_SCHEMA = 1


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
                 else move_cap(self.size)}
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


def _slug(label: str, limit: int = 48) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.+=-]+", "_", label).strip("_.") or "agent"
    if slug != label or len(slug) > limit:
        digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug[:limit]}-{digest}"
    return slug


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")
