"""The value network (AlphaGo 2016, Methods "Reinforcement learning of value networks"):
regression of the game outcome z on lee49 positions, one position per self-play game so that
successive positions of a game do not make it overfit. Each game: U drawn uniformly from
1..max_u; the SL policy plays moves 1..U-1 (both sides), move U is uniformly random (a
sensible legal move), and the RL policy plays on to the end; the sample is the position after
move U, its target the outcome from the view of the side to move there.

    goengine-train value --sl runs/lee/sl9/sl.pt --rl runs/lee/rl9/rl.pt --run runs/lee/value9 --games 2000

Run folder: config.json, data/shard_00000.npz ... (training/lee/data.py's format, `move` the
RL move played from the sample; a stopped run plays only the missing shards), progress.pt,
train_log.csv, value.pt (kind "value"), metrics.json (train and held-out MSE; the paper:
0.226 / 0.234).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .common import bar, loss_drop, resolve_config, train_steps, write_json
from .data import SampleBuffer, boards_of, list_expert_shards, load_expert, split_by_game


@dataclass(frozen=True)
class ValueConfig:
    sl: str = ""
    """SL policy checkpoint (moves 1..U-1)."""
    rl: str = ""
    """RL policy checkpoint (moves U+1 to the end); the SL net when empty."""
    games: int = 1000
    """Self-play games, one sample each."""
    games_per_shard: int = 50
    max_u: int = 0
    """U is drawn from 1..max_u (0: 2*N*N/3, about two thirds of a 9x9 game)."""
    komi: float = 7.5
    max_moves: int = 0
    """Move cap of a game, scored as it stands (0: 2*N*N + 20)."""
    net: str = "9x9"
    """ValueNet preset (goengine.models.nets.VALUE_PRESETS)."""
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    holdout: float = 0.1
    checkpoint_every: int = 200
    seed: int = 0


def value_games(sl_net, rl_net, n: int, size: int, config: ValueConfig, rng) -> SampleBuffer:
    """Play `n` games as the module docstring says; one sample per game that reaches move U."""
    from goengine.agents import RandomAgent
    from goengine.coords import BLACK, WHITE
    from goengine.features import recent_moves
    from goengine.game import GameState, Rules
    from .play import play_batch
    max_moves = config.max_moves or 2 * size * size + 20
    max_u = config.max_u or (2 * size * size) // 3
    us = rng.integers(1, max_u + 1, n)
    states = [GameState(size, Rules(komi=config.komi)) for _ in range(n)]
    play_batch([{BLACK: sl_net, WHITE: sl_net}] * n, states, rng, [int(u) - 1 for u in us])
    random_agent = RandomAgent(rng)
    samples = []
    for i, g in enumerate(states):
        if g.is_over() or g.move_number != us[i] - 1:
            samples.append(None)
            continue
        g.play(random_agent.select_move(g))
        if g.is_over():
            samples.append(None)
            continue
        b = g.board
        samples.append((b.stones(), g.to_play, b.ko if b.ko_color == g.to_play else -1, recent_moves(g)))
    play_batch([{BLACK: rl_net, WHITE: rl_net}] * n, states, rng, max_moves)
    buffer = SampleBuffer(size)
    for i, (g, s) in enumerate(zip(states, samples)):
        if s is None:
            continue
        stones, to_play, ko, last = s
        history = g.history
        row = buffer.rows
        row["stones"].append(stones)
        row["to_play"].append(to_play)
        row["ko"].append(ko)
        row["last_moves"].append(last)
        nxt = int(us[i])  # index in history of the move played from the sample position
        row["move"].append(history[nxt][1] if nxt < len(history) else size * size)
        row["winner"].append(g.winner())
        row["komi"].append(config.komi)
        row["game"].append(i)
    return buffer


def make_value_data(run: Path, config: ValueConfig, progress: bool = True) -> list[Path]:
    from goengine.models import load
    sl_net = load(config.sl, kind="policy")
    rl_net = load(config.rl, kind="policy") if config.rl else sl_net
    size = sl_net.config.board_size
    folder = run / "data"
    shards = (config.games + config.games_per_shard - 1) // config.games_per_shard
    have = len(list_expert_shards(folder))
    pbar = bar(shards, "value games (shards)", progress, initial=min(have, shards))
    for k in range(have, shards):
        n = min(config.games_per_shard, config.games - k * config.games_per_shard)
        rng = np.random.default_rng([config.seed, k])
        buffer = value_games(sl_net, rl_net, n, size, config, rng)
        buffer.rows["game"] = [k * config.games_per_shard + g for g in buffer.rows["game"]]
        buffer.write(folder / f"shard_{k:05d}.npz")
        pbar.update()
    pbar.close()
    return list_expert_shards(folder)


def value_planes(data: dict, index: np.ndarray):
    """(lee49 planes uint8 (S, 49, N, N), z float32 (S,) from the side to move's view)."""
    from goengine.features import lee_planes
    size = int(data["size"])
    x = np.zeros((len(index), 49, size, size), dtype=np.uint8)
    for s in range(0, len(index), 512):
        part = index[s:s + 512]
        x[s:s + len(part)] = lee_planes(boards_of(data, part), data["to_play"][part].astype(np.int32),
                                        data["last_moves"][part], 49)
    w, tp = data["winner"][index], data["to_play"][index]
    z = np.where(w == 0, 0.0, np.where(w == tp, 1.0, -1.0)).astype(np.float32)
    return x, z


def value_mse(model, x, z, chunk: int = 256) -> float:
    import torch
    if len(z) == 0:
        return float("nan")
    with torch.no_grad():
        v = np.concatenate([model(torch.from_numpy(x[s:s + chunk].astype(np.float32))).numpy()
                            for s in range(0, len(z), chunk)])
    return float(np.mean((v - z) ** 2))


def train_value(run, config: ValueConfig | None = None, progress: bool = True, log=print) -> dict:
    import torch
    import torch.nn.functional as F
    from goengine.features import apply_planes
    from goengine.models import ValueNet, ValueNetConfig, save
    from goengine.models.nets import VALUE_PRESETS
    run = Path(run)
    config = resolve_config(run, config, ValueConfig)
    if not config.sl:
        raise ValueError("the value stage needs the SL policy checkpoint (--sl FILE)")
    if config.net not in VALUE_PRESETS:
        raise ValueError(f"unknown ValueNet preset {config.net!r}; choose from {sorted(VALUE_PRESETS)}")
    make_value_data(run, config, progress=progress)
    data = load_expert(run / "data")
    size = int(data["size"])
    train_idx, held_idx = split_by_game(data, config.holdout, config.seed)
    log(f"value net: {len(train_idx)} training and {len(held_idx)} held-out positions (one per game)")
    if len(train_idx) == 0:
        raise ValueError("no value samples: every game ended before its move U")
    xt, zt = value_planes(data, train_idx)
    xh, zh = value_planes(data, held_idx)
    torch.manual_seed(config.seed)
    net = ValueNet(ValueNetConfig(**{**VALUE_PRESETS[config.net], "board_size": size}))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)

    def step(_):
        pos = rng.integers(0, len(zt), config.batch_size)
        x = apply_planes(xt[pos].astype(np.float32), int(rng.integers(0, 8)))  # the value is symmetric
        loss = F.mse_loss(net(torch.from_numpy(x)), torch.from_numpy(zt[pos]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    losses = train_steps(run, net, opt, rng, config.steps, step, checkpoint_every=config.checkpoint_every,
                         progress=progress, desc="value net")
    first, last = loss_drop(losses)
    metrics = dict(train_positions=len(zt), heldout_positions=len(zh), train_mse=value_mse(net, xt, zt),
                   heldout_mse=value_mse(net, xh, zh), loss_first=first, loss_last=last, steps=len(losses),
                   black_wins=float(np.mean(data["winner"] == 1)), config=asdict(config))
    save(net, run / "value.pt", meta={"recipe": "lee", "stage": "value",
                                      **{k: v for k, v in metrics.items() if k != "config"}})
    write_json(run / "metrics.json", metrics)
    log(f"value net: loss {first:.3f} -> {last:.3f}; MSE train {metrics['train_mse']:.3f}, "
        f"held-out {metrics['heldout_mse']:.3f}")
    return metrics
