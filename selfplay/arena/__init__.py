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
* **Modules**: config.py (ArenaConfig, the schedule, file names), results.py (the results
  log), folder.py (the folder's rules and agents), match.py (one game), run.py (a schedule,
  run_arena), parallel.py (games in separate processes), summary.py (Elo, tables).
* **Pieces** the ladder (selfplay/ladder.py) reuses: ``prepare_folder`` (rules check,
  arena.json), ``play_schedule`` (the games of any schedule not yet in the folder, one at a
  time or ``jobs`` at once in separate processes: parallel.py), ``AgentPool``
  (agents by label, built from their specs), ``play_scheduled_game`` (one game, its SGF and
  its result line), ``summarize`` / ``write_summary``.
"""
from goengine.agents import (
    AGENT_KINDS, AgentContext, AgentKind, AgentSpec, agent_digests, check_agent_spec, make_agent,
    parse_agent_spec, register_agent_kind,
)
import gtp.kind  # noqa: F401  (registers the gtp: kind)

from ..errors import ArenaError, SpecError
from .config import (
    CONFIG_FILE, GAMES_DIR, RESULTS_FILE, RESULTS_SCHEMA, SUMMARY_FILE, ArenaConfig, ScheduledGame,
    schedule_games,
)
from .folder import agent_identity, default_out_dir, prepare_folder, spec_key
from .match import OPENING_COMMENT, AgentPool, play_scheduled_game, random_opening
from .results import GameResult, ResultsLog, load_results
from .run import play_schedule, run_arena
from .summary import format_summary, summarize, write_summary

__all__ = [
    "AGENT_KINDS", "AgentContext", "AgentKind", "AgentPool", "AgentSpec", "ArenaConfig", "ArenaError",
    "GameResult", "ResultsLog", "ScheduledGame", "SpecError", "agent_digests", "agent_identity",
    "check_agent_spec", "default_out_dir", "format_summary", "load_results", "make_agent",
    "parse_agent_spec", "play_schedule", "play_scheduled_game", "prepare_folder",
    "random_opening", "register_agent_kind", "run_arena", "schedule_games", "spec_key", "summarize",
    "write_summary", "CONFIG_FILE", "GAMES_DIR", "RESULTS_FILE", "RESULTS_SCHEMA", "SUMMARY_FILE",
    "OPENING_COMMENT",
]
