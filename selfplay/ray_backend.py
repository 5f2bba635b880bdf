"""Self-play and gating games on Ray actors, for when one machine is not enough.

    pool = ActorPool(workers=8, address="auto")          # or address=None: a local Ray instance
    weights = pool.broadcast("gen_0003", model)         # ray.put once; every actor fetches it
    for key, games in pool.run([(k, "selfplay", (weights, config, n, seed, name)) for ...]):
        ...                                             # write games[...] to shards (the caller)

The pattern of muzero-general: long-lived actors (`GameActor`, one process each, each with
its own network copy and its own batched search: `SelfPlayWorker` for self-play,
`play_net_match` for gating), weights shipped once through Ray's object store, results
returned to the driver through it. The driver does all the file writing, so the actors need
no shared file system, and a task's games reach the disk only when the whole task has
returned: a worker that dies (killed, out of memory, its machine lost) loses its unfinished
games and nothing else; `ActorPool.run` starts a replacement and plays the task again (with
the same seed, so the same games).

Ray is imported by this module: install it with `pip install "goengine[distributed]"`.
"""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ray
from ray.exceptions import RayActorError

try:  # an actor that cannot be reached for now (newer Ray); treated as dead: replaced, task replayed
    from ray.exceptions import ActorUnavailableError
except ImportError:  # pragma: no cover - older Ray
    ActorUnavailableError = RayActorError


@dataclass(frozen=True)
class Weights:
    """A network in the object store: `ref` points at its checkpoint dict (kind, config,
    state_dict), `version` names it so an actor builds each network once."""

    version: str
    ref: list
    """[ObjectRef], wrapped in a list so Ray passes the reference, not the value: an actor
    fetches the weights only the first time it meets `version`."""


def checkpoint_dict(model) -> dict:
    """What goengine.models.save writes, in memory: enough to rebuild `model` anywhere."""
    from goengine.models.nets import config_dict
    return {"kind": model.kind, "config": config_dict(model),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}


def model_from_dict(data: dict, device="cpu"):
    from goengine.models.nets import MODEL_CLASSES
    cls, config_cls = MODEL_CLASSES[data["kind"]]
    model = cls(config_cls(**data["config"]))
    model.load_state_dict(data["state_dict"])
    return model.to(device).eval()


def local_runtime_env() -> dict:
    """For a Ray instance on this machine: workers import goengine from where this process
    does (a source checkout works without `pip install`). On a cluster, every node must have
    goengine installed (the same version), as it must have Ray."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"PYTHONPATH": path}}


@ray.remote(concurrency_groups={"status": 1})
class GameActor:
    """One self-play / gating worker process. Tasks run one at a time (the default group);
    `progress` answers from its own thread while a task runs."""

    def __init__(self, threads: int = 1, device: str = "cpu", keep: int = 4):
        from goengine.models.backends import set_threads
        set_threads(threads, what="self-play actor")  # 0: from the cores free on its machine
        self.device = device
        self.keep = keep
        self.models: dict[str, object] = {}
        self.status = {"task": None, "positions": 0, "finished": 0, "games": 0}

    def _model(self, weights: Weights):
        model = self.models.get(weights.version)
        if model is None:
            model = model_from_dict(ray.get(weights.ref[0]), self.device)
            self.models[weights.version] = model
            while len(self.models) > self.keep:  # oldest versions out first
                self.models.pop(next(iter(self.models)))
        return model

    def _evaluator(self, weights: Weights, seed: int, options: dict | None = None):
        from goengine.models.evaluators import PolicyValueEvaluator
        return PolicyValueEvaluator(self._model(weights), symmetries="random",
                                    rng=np.random.default_rng(seed), device=self.device, **(options or {}))

    def selfplay(self, weights: Weights, config, num_games: int, seed: int, name: str = "selfplay",
                 options: dict | None = None):
        """Play `num_games` self-play games (SelfPlayConfig `config`) with one batched search;
        return {"games": [FinishedGame, ...] in finishing order, "positions": simulations,
        "cpu_s": this process's CPU seconds for the task}.
        `options`: more keyword arguments of the PolicyValueEvaluator (an inference back end)."""
        from .worker import SelfPlayWorker
        worker = SelfPlayWorker(self._evaluator(weights, seed, options), config, rng=seed, name=name)
        self.status = {"task": "selfplay", "positions": 0, "finished": 0, "games": num_games,
                       "worker": worker}
        games = []
        cpu = time.process_time()
        for game in worker.play(num_games):
            games.append(game)
            self.status["finished"] = len(games)
        self.status = {"task": None, "positions": worker.positions_searched, "finished": len(games),
                       "games": num_games}
        return {"games": games, "positions": worker.positions_searched, "pid": os.getpid(),
                "cpu_s": time.process_time() - cpu}

    def match(self, weights_a: Weights, weights_b: Weights, indices, config, size: int, komi: float,
              seed: int, parallel: int = 16, options: dict | None = None):
        """Games `indices` of a match a vs b (colours by index, as in play_net_match); return
        [MatchGame, ...] in finishing order."""
        from .netmatch import play_net_match
        indices = sorted(int(i) for i in indices)
        total = indices[-1] + 1
        skip = set(range(total)) - set(indices)
        self.status = {"task": "match", "positions": 0, "finished": 0, "games": len(indices)}
        out = []
        for mg in play_net_match(self._evaluator(weights_a, seed, options),
                                 self._evaluator(weights_b, seed + 1, options),
                                 total, config, size=size, komi=komi, rng=seed, parallel=parallel, skip=skip):
            out.append(mg)
            self.status["finished"] = len(out)
        self.status = {"task": None, "positions": 0, "finished": len(out), "games": len(indices)}
        return out

    @ray.method(concurrency_group="status")
    def progress(self) -> dict:
        """The running task: its kind, games finished of games, positions searched so far."""
        status = dict(self.status)
        worker = status.pop("worker", None)
        if worker is not None:
            status["positions"] = worker.positions_searched
        return status

    def pid(self) -> int:
        return os.getpid()


class ActorPool:
    """A fixed number of GameActors, replaced when they die; tasks spread over the idle ones.

    address: None starts a local Ray instance (or uses the one this process already joined);
    "auto" or "ray://host:10001" / "host:6379" joins an existing cluster.
    """

    def __init__(self, workers: int = 2, address: str | None = None, cpus_per_worker: float = 1,
                 gpus_per_worker: float = 0, threads: int = 1, max_task_retries: int = 3, log=None):
        if workers < 1:
            raise ValueError(f"a Ray pool needs at least one worker, got {workers}")
        self.started_ray = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
            else:
                cpus = max(os.cpu_count() or 1, int(np.ceil(workers * cpus_per_worker)))
                ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING",
                         log_to_driver=False, runtime_env=local_runtime_env())
            self.started_ray = True
        self.options = dict(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker, max_restarts=0)
        self.actor_args = (threads, "cuda" if gpus_per_worker > 0 else "cpu")
        self.max_task_retries = max_task_retries
        self.log = log or (lambda *a: None)
        self.actors = [self._spawn() for _ in range(workers)]
        self.replaced = 0
        """Actors that died and were replaced since the pool started."""
        self.discarded = 0
        """Tasks whose results were lost with their actor (and played again)."""
        self._weights: dict[str, Weights] = {}

    def _spawn(self):
        return GameActor.options(**self.options).remote(*self.actor_args)

    @property
    def workers(self) -> int:
        return len(self.actors)

    def broadcast(self, version: str, model) -> Weights:
        """Put `model`'s weights in the object store once (kept until `retain` drops them)."""
        if version not in self._weights:
            self._weights[version] = Weights(version, [ray.put(checkpoint_dict(model))])
        return self._weights[version]

    def retain(self, versions) -> None:
        """Let the object store free every broadcast version not in `versions`."""
        self._weights = {v: w for v, w in self._weights.items() if v in set(versions)}

    def run(self, tasks):
        """Run tasks `(key, method, args)` on the actors, at most one per actor at a time;
        yield `(key, result)` as each finishes. A task whose actor dies is discarded and run
        again on a replacement actor (up to max_task_retries times); an exception raised by
        the task itself is raised here."""
        queue = deque((key, method, args, 0) for key, method, args in tasks)
        running: dict = {}  # ObjectRef -> (slot, key, method, args, tries)
        idle = deque(range(len(self.actors)))
        while queue or running:
            while queue and idle:
                slot = idle.popleft()
                key, method, args, tries = queue.popleft()
                ref = getattr(self.actors[slot], method).remote(*args)
                running[ref] = (slot, key, method, args, tries)
            done, _ = ray.wait(list(running), num_returns=1)
            ref = done[0]
            slot, key, method, args, tries = running.pop(ref)
            try:
                result = ray.get(ref)
            except (RayActorError, ActorUnavailableError) as exc:
                if getattr(exc, "actor_init_failed", False):
                    raise RuntimeError(f"a Ray worker could not start (is goengine installed on every "
                                       f"node?): {exc}") from None
                if tries >= self.max_task_retries:
                    raise RuntimeError(f"task {key!r} lost its actor {tries + 1} times; giving up") from exc
                self.log(f"ray worker {slot} died ({exc.__class__.__name__}); its unfinished games "
                         f"are discarded, a new worker replays task {key!r}")
                self._replace(slot)
                self.discarded += 1
                queue.appendleft((key, method, args, tries + 1))
                idle.append(slot)
                continue
            idle.append(slot)
            yield key, result

    def _replace(self, slot: int) -> None:
        try:
            ray.kill(self.actors[slot], no_restart=True)
        except Exception:  # already gone
            pass
        self.actors[slot] = self._spawn()
        self.replaced += 1

    def progress(self, timeout: float = 10.0) -> list[dict | None]:
        """Each actor's progress() (None for one that does not answer within `timeout`)."""
        refs = [a.progress.remote() for a in self.actors]
        out = []
        deadline = time.monotonic() + timeout
        for ref in refs:
            try:
                out.append(ray.get(ref, timeout=max(0.0, deadline - time.monotonic())))
            except Exception:
                out.append(None)
        return out

    def close(self) -> None:
        for actor in self.actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:
                pass
        self.actors = []
        self._weights = {}
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False
