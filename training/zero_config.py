"""The AlphaGo Zero loop's configuration: ZeroConfig with a docstring per field, the presets,
gating's search, and which fields a resumed run may change."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from goengine.search import MCTSConfig
from goengine.search.gumbel import GumbelConfig
from selfplay.worker import SelfPlayConfig, selfplay_search

__all__ = ["ZeroConfig", "PRESETS", "preset", "gating_search", "RUNTIME_FIELDS", "resumed_config"]


@dataclass(frozen=True)
class ZeroConfig:
    preset: str = "tiny"
    """Name of the preset these values came from."""
    size: int = 9
    """Board size."""
    komi: float = 7.5
    net: str = "tiny"
    """ZeroNet preset (goengine.models.ZERO_PRESETS)."""
    initial_weights: str = ""
    """Generation 0's network: empty for a random initialisation (AlphaGo Zero), or a ZeroNet
    checkpoint to continue from (its architecture replaces `net`), e.g. the shipped network."""
    window_seed: str = ""
    """A run folder (or a folder of shards) whose newest self-play shards, up to window_samples,
    are copied into this run's window_seed/ when it starts. They fill the replay window until
    this run's own games push them out, so a run continued from `initial_weights` trains on
    its parent's games from its first generation instead of on one generation's few samples.
    They count as neither this run's games nor its self-play time."""
    generations: int = 2
    """Generations to run (a resumed run continues up to this number)."""
    games_per_generation: int = 16
    """Self-play games by the best network per generation."""
    games_per_shard: int = 8
    """Games written together in one shard (the unit lost when a run is killed)."""
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    """Self-play settings (simulations, parallel games, noise, resignation, playout cap)."""
    resign_target: float | None = 0.05
    """Automatic resignation threshold (AlphaGo Zero): before each generation's self-play the
    threshold becomes the highest one whose false-resignation rate in the newest play-through
    games stays at or under this share; None keeps selfplay.resign_threshold fixed."""
    window_samples: int = 20_000
    """Replay window: the newest samples the trainer draws from."""
    train_steps: int = 100
    """SGD steps per generation."""
    batch_size: int = 64
    learning_rate: float = 0.02
    """Initial SGD learning rate; divided by 10 at each of lr_drops."""
    lr_drops: tuple = (0.5, 0.75)
    """Fractions of the whole run's training steps (generations * train_steps) where the
    learning rate drops, as in AlphaGo Zero's schedule over the run (not within a generation)."""
    momentum: float = 0.9
    weight_decay: float = 1e-4
    """L2 regularisation (the c in AlphaGo Zero's loss)."""
    ownership_weight: float = 1.5
    """Weight of the ownership loss (per-point cross-entropy averaged over the board; KataGo's
    1.5 / N^2 on its sum over the points). The final owner of every point is 81 labels per
    position where z is one bit per game: KataGo measured 1.65x less compute to the same
    strength with the ownership and score targets (Wu 2019, Table 2). Pooled heads only."""
    score_weight: float = 1.0
    """Weight of the score loss (Huber of the error in units of 20 points): the margin says
    how far a game is from turning, which z does not. Pooled heads only."""
    reply_weight: float = 0.15
    """Weight of the opponent's-reply policy loss (KataGo's 0.15; 1.3x in its ablation): a
    cheap extra policy target that regularises the trunk. Pooled heads only."""
    score_utility: float = 0.0
    """Share of the self-play and gating searches' leaf values that is the score utility
    (goengine.models.ScoreUtilityNet; pooled heads only): KataGo's self-play searches for the
    bigger win among equal ones, which keeps moves meaningful in decided games; without it
    the side rated lost has no reason to prefer a move to a pass. 0: the win value alone."""
    checkpoint_every: int = 50
    """Steps between progress checkpoints of the trainer."""
    gating: bool = True
    """Gate candidates (AlphaGo Zero) or promote every candidate (AlphaZero's continuous update)."""
    gating_games: int = 10
    gating_threshold: float = 0.55
    """Win rate the candidate needs against the best to be promoted."""
    gating_simulations: int = 32
    """Simulations per move of each gating game's search."""
    gating_leaves_per_batch: int = 4
    """Leaves per game per network call in gating (16 games at once fill a batch anyway)."""
    gating_temperature_moves: int = 4
    """Opening moves of a gating game played in proportion to visits, so that the games of a
    match differ (after them, the most visited move)."""
    anchor: str = ""
    """An arena agent spec the best network plays every `anchor_every` generations
    (training/anchor.py), e.g. "gtp:gnugo --mode gtp --level 1"; empty: no anchor checks."""
    anchor_every: int = 10
    anchor_games: int = 20
    anchor_visits: int = 400
    """Visits per move of the run's network in anchor matches (a fixed count, so that checks
    compare across machines and loads)."""
    device: str = "auto"
    """"auto" (CUDA when present), "cpu" or "cuda"."""
    threads: int = 0
    """torch CPU threads (0: torch's default)."""
    inference: str = "auto"
    """Inference back end of self-play and gating (goengine.models.backends): "auto" (the
    fastest here: int8 ONNX Runtime on a CPU, fused torch on CUDA), "torch", "torch-fused",
    "onnx" or "onnx-int8" (calibrated on the newest self-play shards of the run)."""
    seed: int = 0

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["lr_drops"] = list(self.lr_drops)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ZeroConfig":
        data = dict(data)
        data["selfplay"] = SelfPlayConfig.from_json(data["selfplay"])
        data["lr_drops"] = tuple(data["lr_drops"])
        return cls(**data)


def gating_search(config: ZeroConfig) -> MCTSConfig:
    """The search of a gating game (also the Elo matches of training/zero_elo.py and
    training/lineage_elo.py): the config's gating settings, no noise, resignation off."""
    return MCTSConfig(num_simulations=config.gating_simulations, leaves_per_batch=config.gating_leaves_per_batch,
                      temperature_moves=config.gating_temperature_moves)


def _efficient_9x9(**changes) -> ZeroConfig:
    """The efficient 9x9 recipe (the "9x9" preset): the settings of the fourth run behind the
    shipped zero-9x9.pt (96 simulations, playout-cap randomisation, 128 games and 300 steps a
    generation) with KataGo's pooled heads and auxiliary targets, Go features in the input
    (zerogo25), forced playouts with policy target pruning, decided games played out
    cheaply instead of resigned (their final positions are ownership and score targets), and
    no gating (AlphaZero's
    continuous update: gating measured progress that did not carry over to GNU Go, at a
    fifth of the run's time), and a score utility of 0.3 in the searches (without it, a
    first run's White, rated lost in every position, passed at every move from move 4 on by
    generation 14: every move was equally lost, and the pass had the highest prior)."""
    base = dict(
        preset="9x9", net="small-pooled-go", generations=100, games_per_generation=128, games_per_shard=32,
        selfplay=SelfPlayConfig(size=9, parallel_games=32, playout_cap=True, cheap_simulations=24, full_search_prob=0.25,
                                play_out_resigned=True, decided_simulations=8,
                                search=selfplay_search(num_simulations=96, leaves_per_batch=8, forced_playouts=2.0)),
        window_samples=80_000, train_steps=300, batch_size=128, learning_rate=0.02, lr_drops=(0.7, 0.9),
        gating=False, gating_games=20, gating_simulations=64, checkpoint_every=100, score_utility=0.3)
    return ZeroConfig(**{**base, **changes})


PRESETS = {
    # minutes on a laptop CPU: a smoke run of every stage of the loop (gating included)
    "tiny": ZeroConfig(
        preset="tiny", net="tiny-pooled", generations=2, games_per_generation=16, games_per_shard=8,
        selfplay=SelfPlayConfig(size=9, parallel_games=16,
                                search=selfplay_search(num_simulations=32, leaves_per_batch=4, forced_playouts=2.0)),
        train_steps=100, batch_size=64, gating_games=10, gating_simulations=32),
    # a few CPU hours: the efficient recipe (pooled heads, ownership/score/reply targets, Go
    # features, playout-cap randomisation, forced playouts with policy target pruning, no gating)
    "9x9": _efficient_9x9(),
    # the efficient recipe with Gumbel AlphaZero's root and a quarter of the simulations
    # (goengine/search/gumbel.py): to measure against "9x9" per CPU hour
    "9x9-gumbel": _efficient_9x9(
        preset="9x9-gumbel",
        selfplay=SelfPlayConfig(size=9, parallel_games=32, playout_cap=True, cheap_simulations=8, full_search_prob=0.25,
                                play_out_resigned=True, decided_simulations=4, gumbel=GumbelConfig(considered=16),
                                search=selfplay_search(num_simulations=32, leaves_per_batch=4))),
    "19x19": ZeroConfig(
        preset="19x19", size=19, net="19x19-pooled", generations=200, games_per_generation=2000,
        games_per_shard=100,
        selfplay=SelfPlayConfig(size=19, parallel_games=256,
                                search=selfplay_search(num_simulations=800, leaves_per_batch=8, forced_playouts=2.0),
                                playout_cap=True, cheap_simulations=100, full_search_prob=0.25,
                                play_out_resigned=True, decided_simulations=16),
        window_samples=1_000_000, train_steps=4000, batch_size=512, gating=False, score_utility=0.3, gating_games=100,
        gating_simulations=400, checkpoint_every=500),
    # AlphaGo Zero as published: heads tied to the board, value and policy targets only, a
    # full search every move, gating at 55% (the recipe of docs/comparison.md's Lee vs Zero)
    "agz-9x9": ZeroConfig(
        preset="agz-9x9", net="small", generations=100, games_per_generation=128, games_per_shard=32,
        selfplay=SelfPlayConfig(size=9, parallel_games=32, search=selfplay_search(num_simulations=96, leaves_per_batch=8)),
        window_samples=80_000, train_steps=300, batch_size=128, learning_rate=0.02, lr_drops=(0.7, 0.9),
        gating_games=20, gating_simulations=64, checkpoint_every=100),
    "agz-19x19": ZeroConfig(
        preset="agz-19x19", size=19, net="19x19", generations=200, games_per_generation=2000,
        games_per_shard=100,
        selfplay=SelfPlayConfig(size=19, parallel_games=256, search=selfplay_search(num_simulations=800, leaves_per_batch=8)),
        window_samples=1_000_000, train_steps=4000, batch_size=512, gating_games=100,
        gating_simulations=400, checkpoint_every=500),
}
"""The recipes. "tiny" is the README's main job; "9x9" and "19x19" the efficient recipe
("9x9-gumbel" with Gumbel's root); "agz-*" AlphaGo Zero's."""


def preset(name: str, **changes) -> ZeroConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose from {sorted(PRESETS)}")
    base = PRESETS[name]
    sp = dict(changes.pop("selfplay", {}))
    search = sp.pop("search", {})  # MCTSConfig fields of the full search (num_simulations=...)
    if sp or search:
        changes["selfplay"] = dataclasses.replace(base.selfplay, **sp).with_search(**search)
    cfg = dataclasses.replace(base, **changes)
    if cfg.selfplay.size != cfg.size:
        cfg = dataclasses.replace(cfg, selfplay=dataclasses.replace(cfg.selfplay, size=cfg.size, komi=cfg.komi))
    return cfg


RUNTIME_FIELDS = ("device", "threads", "inference", "anchor", "anchor_every", "anchor_games",
                  "anchor_visits")
"""ZeroConfig fields a resumed run may change: where and how it computes, and its checks
against a fixed opponent, not what it trains. They apply to the resumed process only;
config.json keeps the values the run started with."""


def resumed_config(folder, stored: ZeroConfig, given: ZeroConfig) -> tuple[ZeroConfig, dict]:
    """(config, runtime changes) of a run resumed with a config: `generations` may grow or
    shrink (stored in config.json), the RUNTIME_FIELDS that differ come back as runtime
    changes, and any other difference is a ValueError naming the fields, since a run's
    games and training must come from one recipe."""
    changed = [f.name for f in dataclasses.fields(ZeroConfig)
               if getattr(given, f.name) != getattr(stored, f.name)]
    fixed = [name for name in changed if name != "generations" and name not in RUNTIME_FIELDS]
    if fixed:
        shown = ", ".join(f"{name} ({getattr(stored, name)!r} in config.json, {getattr(given, name)!r} given)"
                          for name in fixed)
        raise ValueError(f"{folder} already holds a run and its config.json differs in {shown}; "
                         f"resuming can change only generations and {', '.join(RUNTIME_FIELDS)}")
    runtime = {name: getattr(given, name) for name in changed if name in RUNTIME_FIELDS}
    return dataclasses.replace(stored, generations=given.generations), runtime
