"""Root parallelism: one move's search spread over several processes.

    agent = RootParallelAgent("goengine.agents:zero_agent", dict(weights=W, seconds=1.0), workers=2)
    action = agent.select_move(game)      # both processes search for 1 s, then the roots merge
    agent.close()

Every process searches the same position in its own tree, with its own network session and
random stream, for the same time (or its share of a visit budget). Their root statistics
are then merged: visits are summed, Q is the visit-weighted mean, and the move is chosen
from the sum with the same rules as one search (MCTS.choose: resignation, passing, the most
visited move). This is root parallelisation (Chaslot, Winands and van den Herik, "Parallel
Monte-Carlo Tree Search", 2008). The Python side of our search holds the GIL, so two threads
on one tree gained nothing here (docs/inference.md); separate processes each have their own.
Each process keeps its tree between moves, so tree reuse works in all of them.

The helpers are ordinary subprocesses (``python -m goengine.search.root_parallel``) that
read pickled requests on stdin and answer on stdout, so they also start from daemonic
processes such as the arena's parallel workers.
"""
from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys

import numpy as np

from .mcts import MoveInfo, SearchResult

__all__ = ["RootParallelAgent", "merge_results"]


def merge_results(results: list[SearchResult]) -> SearchResult:
    """One SearchResult from several searches of the same position: visits and playouts
    summed, each move's Q the visit-weighted mean of its Qs, the root value weighted by each
    search's visits, priors averaged, each move's principal variation taken from the search
    that visited it most."""
    if not results:
        raise ValueError("no search results to merge")
    first = results[0]
    for r in results[1:]:
        if r.size != first.size or r.to_play != first.to_play:
            raise ValueError("search results of different positions cannot be merged")
    visits = np.sum([r.visits for r in results], axis=0)
    weighted = np.sum([np.where(r.visits > 0, np.nan_to_num(r.q) * r.visits, 0.0) for r in results], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(visits > 0, weighted / np.maximum(visits, 1), np.nan)
    prior = np.mean([r.prior for r in results], axis=0)
    total = sum(r.simulations for r in results)
    root_value = (sum(r.root_value * r.simulations for r in results) / total if total
                  else float(np.mean([r.root_value for r in results])))
    pvs: dict[int, tuple[int, list[int]]] = {}
    for r in results:
        for m in r.moves:
            if m.action not in pvs or m.visits > pvs[m.action][0]:
                pvs[m.action] = (m.visits, m.pv)
    order = sorted(np.flatnonzero(visits > 0), key=lambda a: (-visits[a], -np.nan_to_num(q[a], nan=-2), -prior[a]))
    moves = [MoveInfo(int(a), int(visits[a]), float(q[a]), float(prior[a]), list(pvs.get(int(a), (0, []))[1]))
             for a in order]
    return SearchResult(first.size, first.to_play, float(root_value), int(total), visits, prior, q, moves,
                        max(r.elapsed for r in results), sum(r.nodes for r in results),
                        sum(r.playouts for r in results))


def _build(factory: str, kwargs: dict):
    module, _, name = factory.partition(":")
    if not module or not name:
        raise ValueError(f"factory must be 'module:function', got {factory!r}")
    return getattr(importlib.import_module(module), name)(**kwargs)


class _Helper:
    """One helper process and its two pipes."""

    def __init__(self, number: int, factory: str, kwargs: dict):
        self.number = number
        self.proc = subprocess.Popen([sys.executable, "-m", "goengine.search.root_parallel"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.send(("build", factory, kwargs))

    def send(self, message) -> None:
        try:
            pickle.dump(message, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise RuntimeError(f"root-parallel search helper {self.number} has exited "
                               f"(status {self.proc.poll()})") from None

    def receive(self):
        try:
            kind, value = pickle.load(self.proc.stdout)
        except EOFError:
            raise RuntimeError(f"root-parallel search helper {self.number} has exited "
                               f"(status {self.proc.wait()}); its error is on stderr above") from None
        if kind == "error":
            raise RuntimeError(f"root-parallel search helper {self.number}: {value}")
        return value

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(("close",))
                self.proc.wait(timeout=10)
            except (RuntimeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class RootParallelAgent:
    """An MCTS agent whose every search runs in ``workers`` processes at once (this one and
    ``workers - 1`` helpers), each building its agent with ``factory(**kwargs)`` (a
    ``"module:function"`` returning an MCTSAgent; ``kwargs`` must pickle). Helper i gets
    ``seed=seeds[i]`` as its ``rng`` so their searches differ. Under a time budget every
    process searches for the whole time; under a visit budget each runs its share.
    ``last_result`` is the merged result. Call ``close()`` (or use ``with``) to stop the
    helpers."""

    def __init__(self, factory: str, kwargs: dict, workers: int = 2, seeds=None):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        seeds = list(seeds) if seeds is not None else list(np.random.SeedSequence().generate_state(workers))
        if len(seeds) < workers:
            raise ValueError(f"{workers} workers need {workers} seeds, got {len(seeds)}")
        self.workers = workers
        self._helpers: list[_Helper] = []
        try:
            # start the helpers first: they load their networks while this process loads its own
            for i in range(1, workers):
                self._helpers.append(_Helper(i, factory, {**kwargs, "rng": int(seeds[i])}))
            self.main = _build(factory, {**kwargs, "rng": int(seeds[0])})
            for helper in self._helpers:
                helper.receive()  # "ready"
        except BaseException:
            self.close()
            raise
        self.seconds = getattr(self.main, "seconds", None)
        self.config = self.main.config
        self.mcts = self.main.mcts
        self.name = f"{self.main.name}x{workers}"
        for attribute in ("board_sizes", "policy"):
            if hasattr(self.main, attribute):
                setattr(self, attribute, getattr(self.main, attribute))
        self.last_result = None

    def reset(self) -> None:
        self.main.reset()
        for helper in self._helpers:
            helper.send(("reset",))
        for helper in self._helpers:
            helper.receive()
        self.last_result = None

    def search(self, game, seconds: float | None = None) -> SearchResult:
        """All processes search `game`; the merged result."""
        seconds = self.seconds if seconds is None else seconds
        simulations = None
        if seconds is None:
            simulations = -(-self.main.config.num_simulations // self.workers)
        for helper in self._helpers:
            helper.send(("search", game, seconds, simulations))
        results = [self.main.mcts.search(game, num_simulations=simulations, seconds=seconds)]
        results += [helper.receive() for helper in self._helpers]
        return merge_results(results)

    def select_move(self, game, seconds: float | None = None) -> int:
        result = self.search(game, seconds)
        self.last_result = result
        return self.main.mcts.choose(result, game)

    def close(self) -> None:
        helpers, self._helpers = self._helpers, []
        for helper in helpers:
            helper.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def _serve() -> None:
    """A helper's loop: build the agent, then answer search / reset requests until told to
    close or stdin ends. Replies go to the original stdout; anything printed goes to stderr."""
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def reply(kind, value=None):
        pickle.dump((kind, value), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()

    agent = None
    while True:
        try:
            message = pickle.load(requests)
        except EOFError:
            return
        try:
            if message[0] == "build":
                agent = _build(message[1], message[2])
                reply("ready")
            elif message[0] == "search":
                _, game, seconds, simulations = message
                reply("result", agent.mcts.search(game, num_simulations=simulations, seconds=seconds))
            elif message[0] == "reset":
                agent.reset()
                reply("ready")
            elif message[0] == "close":
                return
            else:
                reply("error", f"unknown request {message[0]!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            reply("error", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    _serve()
