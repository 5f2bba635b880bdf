"""Self-play: many games at once in one process, the leaves of all of them in one network batch.

    worker = SelfPlayWorker(evaluator, SelfPlayConfig(parallel_games=32), rng=0)
    for finished in worker.play(64):
        finished.samples, finished.record, finished.would_resign

Each move of each game is one MCTS (AlphaGo Zero's self-play: root Dirichlet noise, visit
temperature for the first moves, then the most visited move), and the game loop
(goengine/gameloop.py) gives the trees of all running games to one player that searches
them together, so every evaluator call holds up to parallel_games * leaves_per_batch
positions.

Resignation: a player resigns when the root value and its best move's Q fall below
`resign_threshold`; a share `resign_playthrough` of games never resigns and records who
*would* have resigned, so the false-resignation rate (the would-be resigner went on to win)
is measured (AlphaGo Zero kept it under 5%).

Playout-cap randomisation (KataGo): with `playout_cap`, a move gets the full search with
probability `full_search_prob` and a cheap one otherwise; only full searches are policy
targets (their samples carry full_search=True).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from goengine.coords import BLACK, EMPTY, WHITE
from goengine.features.zero import HISTORY
from goengine.game import GameState, Rules
from goengine.gameloop import LoopGame, SearchPlayer, game_record, play_games, winner
from goengine.rng import as_generator
from goengine.search import MCTS, RESIGN, MCTSConfig
from goengine.search.gumbel import GumbelConfig, gumbel_search_games
from goengine.search.mcts import below_resign_threshold, losing_pass, policy_target, should_pass
from goengine.sgf import GameRecord

from .records import GameSamples


_SEARCH_FIELDS = {"simulations": "num_simulations", "leaves_per_batch": "leaves_per_batch",
                  "c_puct": "c_puct", "dirichlet_epsilon": "dirichlet_epsilon",
                  "dirichlet_alpha": "dirichlet_alpha", "temperature_moves": "temperature_moves"}
"""Flat SelfPlayConfig fields of config.json files written before the config held its
MCTSConfig, and the MCTSConfig field each became."""


def selfplay_search(**changes) -> MCTSConfig:
    """The default search of a full self-play move: MCTSConfig.selfplay (root Dirichlet noise
    0.25, visit temperature for the first N*N/8 moves) at 100 simulations, with `changes`."""
    return MCTSConfig.selfplay(**{"num_simulations": 100, **changes})


@dataclass(frozen=True)
class SelfPlayConfig:
    size: int = 9
    """Board size."""
    komi: float = 7.5
    """Komi of every game."""
    parallel_games: int = 16
    """Games played at once by one worker: their leaves share each network batch."""
    search: MCTSConfig = field(default_factory=selfplay_search)
    """The search of a full self-play move (selfplay_search): its num_simulations is the full
    search's, and its noise, temperature, c_puct and leaves per network call are self-play's.
    Resignation is the fields below' (the worker sets it per game)."""
    resign_threshold: float | None = -0.9
    """Resign below this value (None: never)."""
    resign_playthrough: float = 0.2
    """Share of games that never resign, to measure false resignations."""
    playout_cap: bool = False
    """Playout-cap randomisation: most moves get a cheap search that is not a policy target."""
    cheap_simulations: int = 25
    """Simulations of a cheap search."""
    full_search_prob: float = 0.25
    """Probability that a move gets a full search under playout_cap."""
    max_moves: int | None = None
    """Move cap of a game (None: the game loop's, 2*N*N + 20); a capped game is scored as it stands."""
    play_out_resigned: bool = False
    """Play a game out instead of resigning it (KataGo's self-play), at `decided_simulations`
    a move and with no policy targets: the game reaches a final position, so its ownership
    and score are targets (a resigned game has none), and its z is the real result. The
    resignation threshold then only says when a game is decided."""
    decided_simulations: int = 8
    """Simulations per move of a decided game's play-out (play_out_resigned)."""
    restart_share: float = 0.0
    """Go-Exploit (Trudeau & Bignell 2023): the share of games that start from a position of
    earlier self-play (the archive the run hands the worker, `starts`) instead of the empty
    board. Each restarted game gives value targets in positions the network met, from a new
    game each: more independent targets per CPU hour where games repeat their openings."""
    gumbel: GumbelConfig | None = None
    """Gumbel AlphaZero's root (goengine/search/gumbel.py) instead of PUCT's noise and visit
    temperature: the move is sequential halving's, the policy target the completed-Q policy,
    which improves on the prior with few simulations where PUCT's visits may not. The
    search's Dirichlet noise and temperature are not used. None: PUCT self-play."""

    @property
    def simulations(self) -> int:
        """Simulations of a full search (the search's num_simulations)."""
        return self.search.num_simulations

    def mcts_config(self, resign: bool = False) -> MCTSConfig:
        """The search of a self-play move; ``resign``: MCTS.choose resigns at
        ``resign_threshold`` (play-through games do not). With ``gumbel`` the root has no
        Dirichlet noise (the Gumbel draw explores)."""
        search = self.search.replace(dirichlet_epsilon=0.0, forced_playouts=0.0) if self.gumbel else self.search
        return search.replace(resign_threshold=self.resign_threshold if resign else None, resign_min_moves=0)

    def with_search(self, **changes) -> "SelfPlayConfig":
        """This config with its search changed (``num_simulations=...``)."""
        return dataclasses.replace(self, search=self.search.replace(**changes))

    @classmethod
    def from_json(cls, data: dict) -> "SelfPlayConfig":
        """From its JSON form, also the flat one of run folders made before it held its search."""
        data = dict(data)
        if isinstance(data.get("gumbel"), dict):
            data["gumbel"] = GumbelConfig(**data["gumbel"])
        search = dict(data.pop("search", None) or {})
        for old, new in _SEARCH_FIELDS.items():
            if old in data:
                search[new] = data.pop(old)
        # (the flat form's temperature_moves None meant N*N/8, as the search's None does)
        return cls(**data, search=selfplay_search(**search))


@dataclass
class FinishedGame:
    samples: GameSamples
    record: GameRecord
    winner: int
    moves: int
    resigned: bool
    """The loser's value crossed the resignation threshold: it resigned, or (play_out_resigned)
    the game was played out from there."""
    playthrough: bool
    would_resign: int = EMPTY
    """In a play-through game, the colour that would have resigned first (EMPTY if none)."""
    min_values: tuple = (1.0, 1.0)
    """Lowest resignation value, max(root value, best move's Q), each colour (black, white)
    reached over the game: at a threshold t a colour would resign iff its value fell below t."""

    played_out: bool = False
    """The game was decided by the threshold and played out to its end (play_out_resigned)."""

    @property
    def false_resignation(self) -> bool:
        return self.playthrough and self.would_resign != EMPTY and self.would_resign == self.winner


@dataclass
class _Slot:
    mcts: MCTS
    samples: GameSamples
    playthrough: bool
    would_resign: int = EMPTY
    resigned: bool = False
    decided: bool = False
    """Crossed the resignation threshold and played out (play_out_resigned)."""
    min_values: list = field(default_factory=lambda: [1.0, 1.0])


class _SelfPlaySearch(SearchPlayer):
    """Both sides of every self-play game: one tree per game (the slot's), all of them in
    each network batch, playout-cap randomisation, and the training sample of each move."""

    def __init__(self, worker: "SelfPlayWorker"):
        super().__init__(worker.evaluator, worker.config.mcts_config(), worker.rng)
        self.worker = worker

    def searcher(self, entry: LoopGame) -> MCTS:
        return entry.data.mcts

    def choose(self, entries: list[LoopGame]) -> list[int]:
        cfg, rng = self.worker.config, self.worker.rng
        if cfg.playout_cap:
            full = rng.random(len(entries)) < cfg.full_search_prob
        else:
            full = np.ones(len(entries), dtype=bool)
        decided = np.array([e.data.decided for e in entries], dtype=bool)
        full &= ~decided  # a decided game's play-out is no policy target
        sims = np.where(decided, cfg.decided_simulations, np.where(full, cfg.simulations, cfg.cheap_simulations))
        if cfg.gumbel is not None:
            found = gumbel_search_games([self.searcher(e) for e in entries], [e.game for e in entries], sims,
                                        self.worker.rng, cfg.gumbel)
            results = [f.result for f in found]
        else:
            found = None
            results = self.search(entries, sims)
        self.worker.positions_searched += int(sum(r.simulations for r in results))
        actions = []
        for k, (entry, result, is_full) in enumerate(zip(entries, results, full)):
            slot, game = entry.data, entry.game
            me = game.to_play
            target = found[k].target if found else policy_target(result, self.config)
            if self.config.no_losing_pass and target[-1] > 0 and target[-1] < 1 and losing_pass(game):
                target = target.copy()  # the pass MCTS.choose refuses is no target either
                target[-1] = 0.0
                target /= target.sum()
            slot.samples.add(game.recent_stones(HISTORY), me, target, bool(is_full))
            if result.moves:
                value = max(result.root_value, result.moves[0].q)
                slot.min_values[me - 1] = min(slot.min_values[me - 1], float(value))
            if (slot.playthrough and slot.would_resign == EMPTY
                    and below_resign_threshold(result, cfg.resign_threshold)):
                slot.would_resign = me
            action = slot.mcts.choose(result, game)  # resigns unless a play-through game
            if action == RESIGN and cfg.play_out_resigned:
                slot.decided = True  # decided: played out cheaply instead
                action = game.size * game.size if should_pass(game, slot.mcts.config) else result.best
            elif found and action != RESIGN and not should_pass(game, slot.mcts.config):
                action = found[k].action  # sequential halving's choice (it samples)
            slot.resigned = action == RESIGN
            actions.append(action)
        return actions


class SelfPlayWorker:
    def __init__(self, evaluator, config: SelfPlayConfig | None = None, rng=None, name: str = "selfplay",
                 starts: tuple[np.ndarray, np.ndarray] | None = None):
        """starts: the archive of restart positions (config.restart_share), as (stones int8
        (K, N*N), to_play (K,)); None or empty: every game from the empty board."""
        self.evaluator = evaluator
        self.config = config or SelfPlayConfig()
        self.rng = as_generator(rng)
        self.name = name
        self.positions_searched = 0
        self.starts = starts if starts is not None and len(starts[0]) else None
        self.restarted = 0
        """Games started from an archive position so far."""

    def _start_position(self) -> GameState:
        """A new game: from the empty board, or (with probability restart_share) from a
        random archive position, the side to move as it was."""
        cfg = self.config
        game = GameState(cfg.size, Rules(komi=cfg.komi))
        if self.starts is None or cfg.restart_share <= 0 or self.rng.random() >= cfg.restart_share:
            return game
        stones, to_play = self.starts
        k = int(self.rng.integers(len(to_play)))
        game.setup_stones(np.flatnonzero(stones[k] == BLACK), np.flatnonzero(stones[k] == WHITE), int(to_play[k]))
        self.restarted += 1
        return game

    def _new_game(self, player: _SelfPlaySearch) -> LoopGame:
        cfg = self.config
        playthrough = cfg.resign_threshold is None or self.rng.random() < cfg.resign_playthrough
        config = cfg.mcts_config(resign=not playthrough)
        slot = _Slot(MCTS(self.evaluator, config, rng=self.rng), GameSamples(cfg.size), playthrough)
        return LoopGame(self._start_position(), {BLACK: player, WHITE: player},
                        cap=cfg.max_moves, data=slot, names=(self.name, self.name))

    def play(self, num_games: int):
        """Yield FinishedGame objects until `num_games` games have finished."""
        player = _SelfPlaySearch(self)
        games = (self._new_game(player) for _ in range(num_games))
        for entry in play_games(games, self.config.parallel_games):
            yield self._finish(entry)

    def _finish(self, entry: LoopGame) -> FinishedGame:
        slot, game = entry.data, entry.game
        won = winner(entry)
        if slot.resigned:  # no final position: z is a target, ownership and score are not
            slot.samples.finish(won)
        else:
            slot.samples.finish(won, game.recent_stones(1)[0], game.score())
        return FinishedGame(slot.samples, game_record(entry), won, game.move_number, slot.resigned or slot.decided,
                            slot.playthrough, slot.would_resign, tuple(slot.min_values), played_out=slot.decided)


def resignation_stats(games: list[FinishedGame]) -> dict:
    """Counts for the false-resignation rate: play-through games in which someone would have
    resigned, and how many of those the would-be resigner won."""
    candidates = [g for g in games if g.playthrough and g.would_resign != EMPTY]
    false = sum(g.false_resignation for g in candidates)
    return {
        "games": len(games),
        "resigned": sum(g.resigned for g in games),
        "played_out": sum(g.played_out for g in games),
        "playthrough": sum(g.playthrough for g in games),
        "would_resign": len(candidates),
        "false_resignations": false,
        "false_resignation_rate": false / len(candidates) if candidates else 0.0,
        "black_wins": sum(g.winner == BLACK for g in games),
        # (winner's, loser's) lowest value in each decided play-through game: the data that
        # calibrate_resign_threshold chooses the next threshold from
        "playthrough_minima": [[round(g.min_values[g.winner - 1], 4), round(g.min_values[2 - g.winner], 4)]
                               for g in games if g.playthrough and g.winner in (BLACK, WHITE)],
    }


def brief_stats(stats: dict) -> dict:
    """The stats of a self-play stage for the log line: without the per-game value minima
    (kept in stats.jsonl, one pair per play-through game)."""
    return {k: v for k, v in stats.items() if k != "playthrough_minima"}


def calibrate_resign_threshold(minima, target: float = 0.05, current: float = -0.9,
                               lowest: float = -0.99, highest: float = -0.5, min_candidates: int = 20) -> float:
    """AlphaGo Zero's automatic resignation threshold: the highest t in [lowest, highest]
    whose false-resignation rate in the play-through games stays at or under `target`.

    `minima`: (winner's, loser's) lowest value per play-through game. At threshold t a game
    would see a resignation when either player's value fell below t, and a false one when
    the winner's did (an upper bound: the loser may have dipped first). With fewer than
    `min_candidates` games that would resign at `current`, `current` is kept."""
    pairs = np.asarray(list(minima), dtype=np.float64).reshape(-1, 2)
    if pairs.size == 0 or int((pairs.min(axis=1) < current).sum()) < min_candidates:
        return current
    best = lowest
    for t in np.round(np.arange(lowest, highest + 1e-9, 0.01), 2):
        candidates = int((pairs.min(axis=1) < t).sum())
        false = int((pairs[:, 0] < t).sum())
        if candidates >= min_candidates and false <= target * candidates:
            best = float(t)
    return best
