"""The AlphaGo Zero loop: self-play -> train on a replay window -> gate -> promote, resumable
(its configuration and presets: training/zero_config.py).

    goengine-train zero --run runs/zero9 --preset tiny

Run folder (every file written to a temporary name and renamed; the loop's position is read
back from the files themselves, so a run stopped at any point, even by kill -9, resumes with
no shard lost, duplicated or half-written):

    config.json                     the resolved ZeroConfig
    state.json                      generation, best network, gating history (Elo chain)
    models/gen_0000.pt              generation g's promoted network (gen_0000: random init)
    selfplay/gen_0000/shard_*.npz   samples of the games played by the best net of generation g
    selfplay/gen_0000/sgf/*.sgf     one SGF per game
    train/progress_0001.pt          model + optimizer + step of the candidate being trained
    train/candidate_0001.pt         the finished candidate of generation g
    gating/gen_0001.jsonl           one line per gating game (a torn last line is ignored)
    train_log.csv                   step, generation, losses, learning rate
    .lock                           held (flock) by the process running the loop
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch

from goengine.fileio import atomic_write_bytes, keep_csv_rows, read_jsonl
from goengine.models import ZeroNet, load, save, zero_config
from goengine.models.backends import set_threads
from goengine.models.checkpoint import atomic_torch_save
from goengine.models.checkpoint import read as read_checkpoint
from goengine.models.evaluators import PolicyValueEvaluator
from goengine.progress import progress_bar
from goengine.search import MCTSConfig
from selfplay.elo import elo_from_winrate
from selfplay.netmatch import play_net_match
from selfplay.records import list_shards, read_shard
from selfplay.worker import SelfPlayConfig, SelfPlayWorker, brief_stats, calibrate_resign_threshold

from .datasets import Batch, ReplayWindow
from .zero_config import ZeroConfig, gating_search, resumed_config
from .runfolder import append_line, lock_run_folder, remove_temporaries, writing
from .zero_loss import LOG_COLUMNS, log_row, loss_weights, zero_losses
from .zero_stats import selfplay_stats, write_selfplay_shard


def tensor_batch(batch: Batch, device) -> Batch:
    """A Batch of numpy arrays as torch tensors on `device`."""
    return Batch(*(torch.from_numpy(a).to(device) for a in batch))


def log_columns(path: Path, model=None) -> list[str]:
    """The columns of a train_log.csv: its header's when it has one (a run started before the
    auxiliary heads keeps its six); for a new log, LOG_COLUMNS for a `model` with pooled
    heads, the first six (no auxiliary losses) otherwise."""
    if path.exists():
        with open(path, newline="") as f:
            header = next(csv.reader(f), None)
        if header:
            return header
    return list(LOG_COLUMNS) if getattr(model, "has_ownership", False) else LOG_COLUMNS[:6]


def learning_rate(cfg: ZeroConfig, g: int, step: int) -> float:
    """The SGD learning rate at step `step` of generation g's training: divided by 10 at each
    of cfg.lr_drops, fractions of the whole run (generations * train_steps)."""
    total_steps = cfg.generations * cfg.train_steps
    global_step = (g - 1) * cfg.train_steps + step
    return cfg.learning_rate * 0.1 ** sum(global_step >= d * total_steps for d in cfg.lr_drops)


def _write_json(path: Path, data) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode(), make_parents=True)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but torch sees no CUDA device")
    return torch.device(name)


def _check_sources(cfg: ZeroConfig) -> None:
    """Refuse a new run whose starting network or window seed cannot be used (ValueError)."""
    if cfg.initial_weights:
        load(cfg.initial_weights, kind="zero", board_size=cfg.size)
    if cfg.window_seed:
        from .datasets import newest_shards
        newest_shards(cfg.window_seed, cfg.window_samples, size=cfg.size)


class ZeroRun:
    """One run folder and the loop over it. Every stage reads its progress from disk."""

    def __init__(self, folder, config: ZeroConfig | None = None, log=print, progress: bool = True,
                 runtime: dict | None = None, backend=None, dist=None, lock: bool = True):
        """lock: hold the folder (training/runfolder.py) so that a second process is refused
        (RunFolderBusy) instead of running every stage twice; False only for readers (the
        Elo tool, DDP ranks other than 0), which write nothing outside their own files."""
        self.folder = Path(folder)
        self.log = log
        self.progress = progress
        self.backend = backend
        """None: self-play and gating in this process; a training.ray_zero.RayBackend: on Ray actors."""
        self.dist = dist
        """None: one training process; a training.ddp.Distributed: DDP under torchrun."""
        cfg_path = self.folder / "config.json"
        if not cfg_path.exists():
            if config is None:
                raise FileNotFoundError(f"{self.folder}: no config.json; give a preset to start a run")
            _check_sources(config)  # before the folder exists: a bad path leaves no half-made run
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = lock_run_folder(self.folder) if lock else None
        if lock:  # what a killed writer left before its rename; never part of the run
            stale = remove_temporaries(self.folder)
            if stale:
                self.log(f"removed {len(stale)} temporary files left by an earlier process")
        if cfg_path.exists():  # looked at again under the lock: a process beside may have made it
            stored = ZeroConfig.from_json(json.loads(cfg_path.read_text()))
            if config is not None:
                resumed, given_runtime = resumed_config(self.folder, stored, config)
                runtime = {**given_runtime, **(runtime or {})}  # an explicit runtime dict wins
                if resumed.generations != stored.generations:
                    _write_json(cfg_path, resumed.to_json())
                stored = resumed
            self.config = stored
        else:
            self.config = config
            _write_json(cfg_path, config.to_json())
        if runtime:
            self.config = dataclasses.replace(self.config, **runtime)
        set_threads(self.config.threads, what="goengine-train zero")  # 0: from the free cores
        self.device = _device(self.config.device)
        self.state_path = self.folder / "state.json"
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())
        else:
            self.state = {"generation": 0, "best": None, "history": [], "elo": {"0": 0.0}}
        self._ensure_initial_model()

    # ------------------------------------------------------------------ paths
    def model_path(self, g: int) -> Path:
        return self.folder / "models" / f"gen_{g:04d}.pt"

    def selfplay_dir(self, g: int) -> Path:
        return self.folder / "selfplay" / f"gen_{g:04d}"

    def seed_dir(self) -> Path:
        return self.folder / "window_seed"

    def window_shards(self, g: int) -> list[Path]:
        """The shards training generation g may draw from, oldest first: the seed, then the
        self-play of generations 0 to g-1."""
        return list_shards(self.seed_dir()) + [p for h in range(g) for p in list_shards(self.selfplay_dir(h))]

    def candidate_path(self, g: int) -> Path:
        return self.folder / "train" / f"candidate_{g:04d}.pt"

    def progress_path(self, g: int) -> Path:
        return self.folder / "train" / f"progress_{g:04d}.pt"

    def gating_path(self, g: int) -> Path:
        return self.folder / "gating" / f"gen_{g:04d}.jsonl"

    def _save_state(self) -> None:
        _write_json(self.state_path, self.state)

    def _ensure_initial_model(self) -> None:
        if self.state["best"] is None:
            if self.config.window_seed:
                self._seed_window()
            torch.manual_seed(self.config.seed)
            meta = {"recipe": "zero", "generation": 0, "games": 0, "steps": 0}
            if self.config.initial_weights:
                net = load(self.config.initial_weights, kind="zero", board_size=self.config.size)
                meta.update(initial_weights=self.config.initial_weights,
                            initial_meta={k: v for k, v in net.meta.items() if k != "initial_meta"})
            else:
                net = ZeroNet(zero_config(self.config.net, board_size=self.config.size))
            save(net, self.model_path(0), meta)
            self.state["best"] = str(self.model_path(0).relative_to(self.folder))
            self.state["best_generation"] = 0
            self._save_state()

    def _seed_window(self) -> None:
        """Copy the newest shards of config.window_seed into seed_dir(), each to a temporary
        name then renamed; a start killed midway copies the same files again."""
        from .datasets import newest_shards
        chosen = newest_shards(self.config.window_seed, self.config.window_samples, size=self.config.size)
        self.seed_dir().mkdir(parents=True, exist_ok=True)
        for k, path in enumerate(chosen):
            atomic_write_bytes(self.seed_dir() / f"seed_{k:05d}.npz", path.read_bytes(), make_parents=True)
        for stale in list_shards(self.seed_dir())[len(chosen):]:  # from a start killed midway
            stale.unlink()
        samples = sum(read_shard(p)["z"].shape[0] for p in list_shards(self.seed_dir()))
        self.log(f"replay window seeded with {samples} samples in {len(chosen)} shards of {self.config.window_seed}")

    def best_model(self):
        return load(self.folder / self.state["best"], kind="zero", board_size=self.config.size).to(self.device)

    def evaluator(self, model, seed: int):
        if self.config.score_utility > 0:
            from goengine.models import ScoreUtilityNet
            model = ScoreUtilityNet(model, self.config.score_utility)
        options = {"seed": seed}
        if self.config.inference in ("onnx-int8", "auto"):  # int8 calibrates on the run's newest shards
            shards = self.window_shards(self.state["generation"] + 1)
            options["calibration"] = shards[-8:] or None  # none yet: a quick self-play calibrates
        return PolicyValueEvaluator(model, symmetries="random", rng=np.random.default_rng(seed), device=self.device,
                                    backend=self.config.inference, backend_options=options)

    # ------------------------------------------------------------------ stage 1: self-play
    def games_on_disk(self, g: int) -> int:
        return sum(int(np.unique(read_shard(p)["game"]).size) for p in list_shards(self.selfplay_dir(g)))

    def selfplay(self, g: int) -> None:
        if self.backend is not None:
            self.backend.selfplay(self, g)
        else:
            self._selfplay_here(g)
        # the stage's row, counted from the shards: whole after a resumed stage, and written
        # when a kill came after the last shard but before the row (skipped when there)
        self._append_stats(g, "selfplay", self.selfplay_stats(g))

    def _selfplay_here(self, g: int) -> None:
        cfg = self.config
        folder = self.selfplay_dir(g)
        done = self.games_on_disk(g)
        if done >= cfg.games_per_generation:
            return
        model = self.best_model()
        shard_index = len(list_shards(folder))
        seed = cfg.seed * 1_000_003 + g * 1009 + shard_index
        sp = self.selfplay_config(g)
        worker = SelfPlayWorker(self.evaluator(model, seed), sp, rng=seed, name=f"zero-gen{g}",
                                starts=self.restart_positions(g) if sp.restart_share > 0 else None)
        remaining = cfg.games_per_generation - done
        self.log(f"[gen {g}] self-play: {remaining} games to play ({done} on disk)")
        bar = progress_bar(remaining, f"gen {g} self-play", self.progress)
        chunk, played, evals = [], 0, 0
        since = time.monotonic()
        for game in worker.play(remaining):
            chunk.append(game)
            played += 1
            bar.update(1)
            if len(chunk) == cfg.games_per_shard or played == remaining:
                now = time.monotonic()
                write_selfplay_shard(folder, shard_index, chunk, cfg.komi, g, now - since,
                                     worker.positions_searched - evals)
                since, evals = now, worker.positions_searched
                shard_index += 1
                chunk = []
        bar.close()
        self.log(f"[gen {g}] self-play done: {brief_stats(self.selfplay_stats(g))}")

    def restart_positions(self, g: int, shards: int = 8) -> tuple[np.ndarray, np.ndarray] | None:
        """Go-Exploit's archive for generation g's self-play: every position (stones, side to
        move) of the newest `shards` shards of the replay window; None before any."""
        paths = self.window_shards(g)[-shards:]
        if not paths:
            return None
        data = [read_shard(p) for p in paths]
        return (np.concatenate([d["stones"][:, 0] for d in data]), np.concatenate([d["to_play"] for d in data]))

    def selfplay_stats(self, g: int) -> dict:
        """Generation g's self-play row, recounted from its shards (training/zero_stats.py)."""
        return selfplay_stats(list_shards(self.selfplay_dir(g)), self.selfplay_config(g).resign_threshold)

    def selfplay_config(self, g: int) -> SelfPlayConfig:
        """Generation g's self-play settings: the config's, with the calibrated threshold."""
        sp = self.config.selfplay
        if self.config.resign_target is not None and sp.resign_threshold is not None:
            sp = dataclasses.replace(sp, resign_threshold=self.resign_threshold(g))
        return sp

    def resign_threshold(self, g: int, generations: int = 3) -> float:
        """Generation g's resignation threshold, calibrated on the play-through games of the
        `generations` before it (read from stats.jsonl, so a resumed run gets the same one)."""
        start = self.config.selfplay.resign_threshold
        minima = [pair for s in self._stats("selfplay") if g - generations <= s["generation"] < g
                  for pair in s.get("playthrough_minima", [])]
        return calibrate_resign_threshold(minima, self.config.resign_target, current=start)

    def _stats(self, stage: str) -> list[dict]:
        # a torn last line after a kill is skipped
        return [row for row in read_jsonl(self.folder / "stats.jsonl") if row.get("stage") == stage]

    def _append_stats(self, g: int, stage: str, stats: dict) -> None:
        """Append generation g's row of `stage`, once: a stage ended again after a kill (its
        row written, the state not yet saved) adds nothing."""
        if any(row["generation"] == g for row in self._stats(stage)):
            return
        append_line(self.folder / "stats.jsonl", json.dumps({"generation": g, "stage": stage, **stats}))

    # ------------------------------------------------------------------ stage 2: training
    def _starting_weights(self, g: int):
        """The candidate of generation g starts from the newest trained weights (candidate g-1
        if it exists, else the best): the trainer keeps learning whether or not it was promoted."""
        for h in range(g - 1, 0, -1):
            if self.candidate_path(h).exists():
                return load(self.candidate_path(h), kind="zero")
        return load(self.folder / self.state["best"], kind="zero")

    def trainer_state(self, g: int, device):
        """What generation g's trainer starts from: the replay window, the model (newest
        trained weights, in train mode on `device`), its SGD optimizer, the sampling rng and
        the step, all restored from the progress checkpoint when one exists. Shared by the
        single-process trainer and the DistributedDataParallel one (training/ddp.py)."""
        cfg = self.config
        rng = np.random.default_rng(cfg.seed * 7919 + g)
        window = ReplayWindow.from_paths(self.window_shards(g), cfg.window_samples)
        model = self._starting_weights(g).to(device)
        window.feature_set = model.config.feature_set
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate, momentum=cfg.momentum,
                              weight_decay=cfg.weight_decay)
        step = 0
        if self.progress_path(g).exists():
            data = torch.load(self.progress_path(g), map_location=device, weights_only=False)
            model.load_state_dict(data["model"])
            opt.load_state_dict(data["optimizer"])
            step = data["step"]
            rng.bit_generator.state = data["rng"]
        return window, model, opt, rng, step

    def train(self, g: int) -> None:
        if self.dist is not None:
            self.dist.train(self, g)
        elif not self.candidate_path(g).exists():
            self._train_here(g)
        if not any(row["generation"] == g for row in self._stats("train")):
            # the row comes from the candidate, so a kill between the two still gets it
            meta = read_checkpoint(self.candidate_path(g))["meta"]
            row = {"steps": meta["steps"], "samples": meta["window"]}
            if "seconds" in meta:
                row["seconds"] = meta["seconds"]
            self._append_stats(g, "train", row)

    def progress_seconds(self, g: int) -> float:
        """Seconds generation g's training took up to its progress checkpoint (0 without one)."""
        if not self.progress_path(g).exists():
            return 0.0
        return float(torch.load(self.progress_path(g), map_location="cpu", weights_only=False).get("seconds", 0.0))

    def _train_here(self, g: int) -> None:
        cfg = self.config
        start = time.monotonic() - self.progress_seconds(g)  # the whole stage's time, resumed or not
        window, model, opt, rng, step = self.trainer_state(g, self.device)
        if step:
            self.log(f"[gen {g}] training resumes at step {step}")
        self._truncate_log(g, step)  # also at step 0: a kill before the first checkpoint
        self.log(f"[gen {g}] training on {len(window)} samples for {cfg.train_steps - step} steps")
        bar = progress_bar(cfg.train_steps, f"gen {g} train", self.progress, initial=step)
        log_path = self.folder / "train_log.csv"
        columns = log_columns(log_path, model)
        new_log = not log_path.exists()
        weights = loss_weights(cfg)
        with open(log_path, "a", newline="") as log_file:
            writer = csv.writer(log_file)
            if new_log:
                writer.writerow(columns)
            while step < cfg.train_steps:
                lr = learning_rate(cfg, g, step)
                for group in opt.param_groups:
                    group["lr"] = lr
                losses = zero_losses(model, tensor_batch(window.batch(rng, cfg.batch_size), self.device), weights)
                opt.zero_grad()
                losses["loss"].backward()
                opt.step()
                step += 1
                bar.update(1)
                if step % 10 == 0 or step == cfg.train_steps:
                    with writing(log_path):  # a full disk names the log
                        writer.writerow(log_row(g, step, {k: v.item() for k, v in losses.items()}, lr, columns))
                        log_file.flush()
                if step % cfg.checkpoint_every == 0 and step < cfg.train_steps:
                    atomic_torch_save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                                       "step": step, "rng": rng.bit_generator.state,
                                       "seconds": time.monotonic() - start}, self.progress_path(g))
        bar.close()
        model.eval()
        games = sum(self.games_on_disk(h) for h in range(g))
        save(model, self.candidate_path(g), {"recipe": "zero", "generation": g, "steps": step,
                                             "games": games, "window": len(window), "preset": cfg.preset,
                                             "seconds": round(time.monotonic() - start, 1)})
        if self.progress_path(g).exists():
            self.progress_path(g).unlink()

    def _truncate_log(self, g: int, step: int) -> None:
        """Drop log rows of generation g written after the checkpoint being resumed, or all of
        them when training starts at step 0 (and any row torn by a kill: a complete one has
        as many fields as the header)."""
        path = self.folder / "train_log.csv"
        width = len(log_columns(path))
        keep_csv_rows(path, lambda row: len(row) == width and not (
            row[0] == str(g) and int(row[1]) > step))

    # ------------------------------------------------------------------ stage 3: gating
    def _gating_results(self, g: int) -> list[dict]:
        return read_jsonl(self.gating_path(g), stop_at_bad_line=True)  # a torn game is replayed

    def _gating_row(self, g: int) -> None:
        """Generation g's gating row, counted from its results file (every game of the match,
        each with its seconds), once the match is complete."""
        results = list({r["game"]: r for r in self._gating_results(g)}.values())[: self.config.gating_games]
        if len(results) < self.config.gating_games:
            return
        row = {"games": len(results)}
        if all("seconds" in r for r in results):  # not in rows of older runs or Ray's games
            row["seconds"] = round(sum(r["seconds"] for r in results), 1)
        self._append_stats(g, "gating", row)

    def gating_config(self) -> MCTSConfig:
        return gating_search(self.config)

    def gate(self, g: int) -> tuple[bool, float]:
        cfg = self.config
        if not cfg.gating:
            return True, float("nan")
        if self.backend is not None:
            verdict = self.backend.gate(self, g)
            self._gating_row(g)
            return verdict
        results = self._gating_results(g)
        unique = {r["game"]: r for r in results}
        results = [unique[i] for i in sorted(unique)]
        if len(results) < cfg.gating_games:
            path = self.gating_path(g)
            path.parent.mkdir(parents=True, exist_ok=True)
            # rewrite the complete lines only, dropping a torn one
            atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in results).encode(), make_parents=True)
            since = time.monotonic()
            candidate = load(self.candidate_path(g), kind="zero").to(self.device)
            best = self.best_model()
            seed = cfg.seed * 31 + g
            mcfg = self.gating_config()
            self.log(f"[gen {g}] gating: {cfg.gating_games - len(results)} games, candidate vs best")
            bar = progress_bar(cfg.gating_games, f"gen {g} gating", self.progress, initial=len(results))
            with open(path, "a") as f:
                for mg in play_net_match(self.evaluator(candidate, seed), self.evaluator(best, seed + 1),
                                         cfg.gating_games, mcfg, size=cfg.size, komi=cfg.komi, rng=seed,
                                         skip={r["game"] for r in results}):
                    now = time.monotonic()  # each game's share of the stage's time
                    row = {"game": mg.index, "candidate_color": "B" if mg.a_color == 1 else "W",
                           "candidate_won": mg.a_won, "result": mg.result, "moves": mg.moves,
                           "seconds": round(now - since, 2)}
                    since = now
                    with writing(path):  # a full disk names the file
                        f.write(json.dumps(row) + "\n")
                        f.flush()
                        os.fsync(f.fileno())
                    results.append(row)
                    bar.update(1)
            bar.close()
        self._gating_row(g)
        wins = sum(r["candidate_won"] for r in results[: cfg.gating_games])
        rate = wins / cfg.gating_games
        return rate >= cfg.gating_threshold, rate

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict:
        from . import anchor
        cfg = self.config
        last = None
        while self.state["generation"] < cfg.generations:
            g = self.state["generation"]
            if anchor.due(self, g):  # the best network after generation g (a killed check resumes)
                anchor.check(self, g)
            self.selfplay(g)
            self.train(g + 1)
            promoted, rate = self.gate(g + 1)
            best_gen = self.state["best_generation"]
            entry = {"generation": g + 1, "promoted": promoted, "winrate_vs_best": rate,
                     "previous_best": best_gen}
            if promoted:
                target = self.model_path(g + 1)
                candidate = load(self.candidate_path(g + 1), kind="zero")
                save(candidate, target, {**candidate.meta, "promoted_over": best_gen, "gating_winrate": rate})
                elo_prev = self.state["elo"].get(str(best_gen), 0.0)
                diff = elo_from_winrate(rate) if not math.isnan(rate) else 0.0
                self.state["elo"][str(g + 1)] = round(elo_prev + diff, 1)
                self.state["best"] = str(target.relative_to(self.folder))
                self.state["best_generation"] = g + 1
            self.state["history"].append(entry)
            self.state["generation"] = g + 1
            self._save_state()
            verdict = "promoted" if promoted else "kept the previous best"
            self.log(f"[gen {g + 1}] candidate vs generation {best_gen}: win rate {rate:.0%} -> {verdict}")
            last = entry
        if anchor.due(self, self.state["generation"]):
            anchor.check(self, self.state["generation"])
        return last or (self.state["history"][-1] if self.state["history"] else {})


