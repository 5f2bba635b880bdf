"""The results log of a run folder: one JSON line per finished game, appended and fsynced."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from goengine.fileio import atomic_write_bytes

from ..errors import ArenaError
from .config import RESULTS_FILE, RESULTS_SCHEMA

log = logging.getLogger("goengine.arena")


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
            atomic_write_bytes(self.path, good.encode("utf-8"))
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
