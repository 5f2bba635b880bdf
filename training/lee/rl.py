"""The RL policy network (AlphaGo 2016, Methods "Reinforcement learning of policy networks"):
REINFORCE from the SL weights. Each iteration plays a batch of games between the current
network ρ and an opponent drawn uniformly from a pool of its earlier checkpoints (the SL net
first, the current net added every `pool_every` iterations), colours alternating, every move
sampled from the policy; the reward is z = ±1 at the end (area score, komi) from ρ's view, and
one step of gradient ascent on Σ_t z log p_ρ(a_t | s_t), averaged over the moves.

    goengine-train rl --sl runs/lee/sl9/sl.pt --run runs/lee/rl9 --iterations 200

Run folder: config.json, pool/pool_000000.pt ... (kind "policy", named by iteration; 0 is the SL net),
progress.pt (net, optimiser, iteration, RNG state and the per-iteration history: opponent,
win rate, loss, game length; written after every iteration), rl.pt (the final network),
metrics.json (the history, the pool, and the win rate against the SL net; the paper: 80%).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .common import bar, rng_state, resolve_config, set_rng_state, write_json


@dataclass(frozen=True)
class RLConfig:
    sl: str = ""
    """The SL policy checkpoint the RL net starts from (and plays against in the evaluation)."""
    iterations: int = 100
    """Policy-gradient iterations to reach (one minibatch of games each)."""
    games: int = 16
    """Games per iteration (the paper: n = 128)."""
    pool_every: int = 10
    """Add the current net to the opponent pool every this many iterations (the paper: 500)."""
    lr: float = 1e-4
    """SGD learning rate (the paper: 0.001)."""
    komi: float = 7.5
    max_moves: int = 0
    """Move cap of a game, scored as it stands (0: 2*N*N + 20)."""
    eval_games: int = 100
    """Games against the SL net at the end, colours alternating."""
    seed: int = 0


class OpponentPool:
    """Checkpoints of earlier selves in folder/pool_NNNN.pt; `sample` draws one uniformly."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache = {}

    @property
    def paths(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("pool_*.pt"))

    def add(self, model, iteration: int, meta=None) -> Path:
        """Save `model` as the member of `iteration` (0: the SL net); saving the same
        iteration again (a resumed run) replaces it."""
        from goengine.models import save
        path = self.folder / f"pool_{iteration:06d}.pt"
        save(model, path, meta=meta)
        return path

    def sample(self, rng: np.random.Generator):
        """(path, model) of a uniformly drawn member."""
        from goengine.models import load
        paths = self.paths
        path = paths[int(rng.integers(0, len(paths)))]
        if path not in self._cache:
            self._cache[path] = load(path, kind="policy")
        return path, self._cache[path]


def reinforce_loss(model, trajectories, rewards):
    """-(1/T) Σ_games z Σ_t log p(a_t|s_t): the REINFORCE estimator (Williams 1992; AlphaGo's
    Δρ ∝ Σ_i Σ_t z_t^i ∂log p_ρ(a_t^i|s_t^i)/∂ρ), T the number of moves."""
    import torch
    import torch.nn.functional as F
    planes = np.concatenate([np.stack(t.planes) for t in trajectories if t.actions])
    actions = np.concatenate([np.array(t.actions) for t in trajectories if t.actions])
    z = np.concatenate([np.full(len(t.actions), r, dtype=np.float32) for t, r in zip(trajectories, rewards)
                        if t.actions])
    logp = F.log_softmax(model(torch.from_numpy(planes.astype(np.float32))), dim=1)
    chosen = logp.gather(1, torch.from_numpy(actions.astype(np.int64))[:, None]).squeeze(1)
    return -(torch.from_numpy(z) * chosen).mean()


def train_rl(run, config: RLConfig | None = None, progress: bool = True, log=print) -> dict:
    import torch
    from goengine.game import GameState, Rules
    from goengine.models import load, save
    from goengine.models.checkpoint import atomic_torch_save
    from goengine.coords import BLACK, WHITE
    from .play import match, play_batch
    run = Path(run)
    config = resolve_config(run, config, RLConfig)
    if not config.sl:
        raise ValueError("the RL stage needs the SL policy checkpoint (--sl FILE)")
    sl_net = load(config.sl, kind="policy")
    size = sl_net.config.board_size
    max_moves = config.max_moves or 2 * size * size + 20
    net = load(config.sl, kind="policy")
    opt = torch.optim.SGD(net.parameters(), lr=config.lr)
    rng = np.random.default_rng(config.seed)
    pool = OpponentPool(run / "pool")
    if not pool.paths:
        pool.add(sl_net, 0, meta={"iteration": 0, "source": str(config.sl)})
    progress_path = run / "progress.pt"
    iteration, history = 0, []
    if progress_path.is_file():
        saved = torch.load(progress_path, map_location="cpu", weights_only=False)
        net.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        set_rng_state(rng, saved["rng"])
        iteration, history = saved["iteration"], saved["history"]
    pbar = bar(config.iterations, "RL policy", progress, initial=min(iteration, config.iterations))
    while iteration < config.iterations:
        opp_path, opponent = pool.sample(rng)
        net.eval()
        states = [GameState(size, Rules(komi=config.komi)) for _ in range(config.games)]
        colors = [BLACK if i % 2 == 0 else WHITE for i in range(config.games)]
        players = [{c: net, (WHITE if c == BLACK else BLACK): opponent} for c in colors]
        trajectories = play_batch(players, states, rng, max_moves, record_color=colors)
        winners = [g.winner() for g in states]
        rewards = [1.0 if w == c else -1.0 if w != 0 else 0.0 for w, c in zip(winners, colors)]
        net.train()
        loss = reinforce_loss(net, trajectories, rewards)
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.eval()
        iteration += 1
        history.append({"iteration": iteration, "opponent": opp_path.name, "win_rate": float(np.mean(np.array(rewards) > 0)),
                        "loss": float(loss.item()), "moves": float(np.mean([g.move_number for g in states]))})
        if iteration % config.pool_every == 0:
            pool.add(net, iteration, meta={"iteration": iteration})
        atomic_torch_save({"model": net.state_dict(), "optimizer": opt.state_dict(), "rng": rng_state(rng),
                           "iteration": iteration, "history": history}, progress_path)
        pbar.update()
        pbar.set_postfix(win=f"{np.mean([h['win_rate'] for h in history[-10:]]):.2f}", opp=opp_path.name)
    pbar.close()
    eval_rng = np.random.default_rng([config.seed, 1])
    win_rate = match(net, sl_net, config.eval_games, size, config.komi, eval_rng, max_moves) if config.eval_games else None
    metrics = dict(iterations=iteration, pool=[p.name for p in pool.paths], winrate_vs_sl=win_rate,
                   eval_games=config.eval_games, train_winrate_last10=float(np.mean([h["win_rate"] for h in history[-10:]]))
                   if history else None, config=asdict(config), history=history)
    save(net, run / "rl.pt", meta={"recipe": "lee", "stage": "rl", "iterations": iteration, "winrate_vs_sl": win_rate})
    write_json(run / "metrics.json", metrics)
    if win_rate is not None:
        log(f"RL policy: {iteration} iterations, pool of {len(pool.paths)}; win rate against the SL net "
            f"{win_rate:.0%} over {config.eval_games} games")
    return metrics
