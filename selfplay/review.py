"""Where a Zero agent's games were lost: its own win rate along every game of an arena folder.

    goengine-arena review runs/gen91-vs-gnugo10 --agent gen91 --visits 800
    goengine-arena review runs/x --agent new --weights other.pt --all --out review.jsonl

Every game the agent played (by default only those it lost) is replayed from its SGF. At each
of the agent's moves the position is searched again with a ZeroNet (the weights the arena
recorded for that label, or ``--weights``), at a fixed number of visits, keeping the tree
along the game as in play. The win rate is the search's, from the agent's side.

A game lost from a position the agent rated highly points at a blind spot of the value
net: the opponent found a refutation the search did not. One JSON line per game goes to
``--out`` (key, colour, result, and the (move number, win rate) pairs), and the summary to
stdout: how many losses passed through a win rate of 80% and 90%, and how late the
agent still rated itself at 70% or more.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from goengine.coords import BLACK, WHITE

__all__ = ["GameReview", "review_folder", "summarize_reviews", "format_reviews"]


@dataclass
class GameReview:
    key: str
    colour: str
    """The agent's colour, "B" or "W"."""
    result: str
    won: bool
    moves: int
    winrates: list = field(default_factory=list)
    """(move number, 1-based, of the agent's move; its win rate before playing it)."""

    @property
    def peak(self) -> float:
        return max((w for _, w in self.winrates), default=float("nan"))

    def last_move_at_least(self, winrate: float) -> int | None:
        """The last of the agent's moves at which it rated itself at `winrate` or more."""
        return max((m for m, w in self.winrates if w >= winrate), default=None)


def _weights_of(folder: Path, label: str) -> str:
    saved = folder / "arena.json"
    if not saved.exists():
        raise ValueError(f"{folder} has no arena.json: give --weights")
    identity = json.loads(saved.read_text(encoding="utf-8")).get("identities", {}).get(label)
    if identity is None:
        raise ValueError(f"{folder}/arena.json has no agent {label!r}")
    if identity.get("kind") != "zero" or not identity.get("weights"):
        raise ValueError(f"{label!r} is a {identity.get('kind')!r} agent, not a zero one: give --weights")
    return next(iter(identity["weights"]))


def review_folder(folder, label: str, visits: int = 800, weights: str | None = None,
                  lost_only: bool = True, limit: int | None = None, seed: int = 0) -> list[GameReview]:
    """The GameReview of each game of `label` in an arena folder (see the module docstring)."""
    import dataclasses

    from goengine.agents import zero_agent
    from goengine.sgf import read_sgf
    folder = Path(folder)
    results = folder / "results.jsonl"
    if not results.exists():
        raise ValueError(f"{folder} holds no results.jsonl")
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    mine = [r for r in rows if label in (r.get("black"), r.get("white"))]
    if not mine:
        played = sorted({r.get(c) for r in rows for c in ("black", "white")} - {None})
        raise ValueError(f"no game of {label!r} in {folder} (its agents: {', '.join(played)})")
    weights = weights or _weights_of(folder, label)
    if not os.path.isfile(weights):
        raise ValueError(f"weights file {weights!r} does not exist")
    agent = zero_agent(weights, simulations=visits, rng=seed)
    reviews = []
    for row in sorted(mine, key=lambda r: r.get("index", 0)):
        won = row.get("winner") == label
        if lost_only and won:
            continue
        record = read_sgf(folder / row["sgf"])
        colour = BLACK if row["black"] == label else WHITE
        game = dataclasses.replace(record, moves=[], result=None).to_game()  # its rules and setup
        agent.reset()
        review = GameReview(row["key"], "B" if colour == BLACK else "W", row.get("result", "?"), won,
                            len(record.moves))
        for number, (c, action) in enumerate(record.moves, start=1):
            if c == colour and not game.is_over():
                result = agent.mcts.search(game, num_simulations=visits)
                review.winrates.append((number, round(result.winrate, 3)))
            game.play_color(c, action)
        reviews.append(review)
        if limit is not None and len(reviews) >= limit:
            break
    return reviews


def summarize_reviews(reviews: list[GameReview]) -> dict:
    lost = [r for r in reviews if not r.won]
    late = sorted(r.last_move_at_least(0.7) for r in lost if r.peak >= 0.8)  # peak >= 0.8: never None
    return {
        "games": len(reviews),
        "lost": len(lost),
        "lost_after_80": sum(r.peak >= 0.8 for r in lost),
        "lost_after_90": sum(r.peak >= 0.9 for r in lost),
        "last_move_at_70_of_those": late,
    }


def format_reviews(reviews: list[GameReview]) -> str:
    lines = []
    for r in reviews:
        trail = " ".join(f"{m}:{w:.2f}" for m, w in r.winrates)
        lines.append(f"{r.key}  {r.colour}  {r.result}  peak {r.peak:.2f}  {trail}")
    s = summarize_reviews(reviews)
    lines.append(f"{s['lost']} lost of {s['games']} reviewed; lost after a win rate of 80% or more: "
                 f"{s['lost_after_80']}, of 90% or more: {s['lost_after_90']}; the last move still at "
                 f"70% in those: {s['last_move_at_70_of_those']}")
    return "\n".join(lines)


def write_reviews(reviews: list[GameReview], path) -> None:
    """One JSON line per game, written to a temporary name and renamed."""
    from goengine.fileio import atomic_write_bytes
    lines = "".join(json.dumps({**asdict(r), "peak": r.peak}) + "\n" for r in reviews)
    atomic_write_bytes(path, lines.encode("utf-8"))
