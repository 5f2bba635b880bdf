"""The AlphaGo Zero loop's configuration: ZeroConfig with a docstring per field, the presets,
gating's search, and which fields a resumed run may change."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from goengine.search import MCTSConfig
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


PRESETS = {
    # minutes on a laptop CPU: a smoke run of the whole loop
    "tiny": ZeroConfig(
        preset="tiny", net="tiny", generations=2, games_per_generation=16, games_per_shard=8,
        selfplay=SelfPlayConfig(size=9, parallel_games=16,
                                search=selfplay_search(num_simulations=32, leaves_per_batch=4)),
        train_steps=100, batch_size=64, gating_games=10, gating_simulations=32),
    # hours on a CPU, faster on a GPU
    "9x9": ZeroConfig(
        preset="9x9", net="9x9", generations=50, games_per_generation=400, games_per_shard=50,
        selfplay=SelfPlayConfig(size=9, parallel_games=64,
                                search=selfplay_search(num_simulations=200, leaves_per_batch=8), playout_cap=True, cheap_simulations=50, full_search_prob=0.25),
        window_samples=250_000, train_steps=2000, batch_size=256, gating_games=40,
        gating_simulations=200, checkpoint_every=200),
    "19x19": ZeroConfig(
        preset="19x19", size=19, net="19x19", generations=200, games_per_generation=2000,
        games_per_shard=100,
        selfplay=SelfPlayConfig(size=19, parallel_games=256,
                                search=selfplay_search(num_simulations=800, leaves_per_batch=8), playout_cap=True, cheap_simulations=100, full_search_prob=0.25),
        window_samples=1_000_000, train_steps=4000, batch_size=512, gating_games=100,
        gating_simulations=400, checkpoint_every=500),
}


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
