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

import dataclasses
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time

import numpy as np

from ..agents.base import MCTSAgent
from .mcts import MoveInfo, SearchResult

__all__ = ["RootParallelAgent", "RootParallelSearch", "merge_results"]

_SLICE = 0.05
"""Seconds a helper searches between two looks for a stop request."""


def _write(stream, message) -> None:
    """One length-prefixed pickle (helpers and the parent speak only in these)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<I", len(data)) + data)
    stream.flush()


def _read_exact(fd: int, count: int) -> bytes:
    chunks, got = [], 0
    while got < count:
        chunk = os.read(fd, count - got)
        if not chunk:
            if got:
                raise EOFError("the pipe closed in the middle of a message")
            return b""
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read(fd: int):
    """The next message on an unbuffered pipe; EOFError when it has closed."""
    header = _read_exact(fd, 4)
    if not header:
        raise EOFError("the pipe has closed")
    return pickle.loads(_read_exact(fd, struct.unpack("<I", header)[0]))


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
            _write(self.proc.stdin, message)
        except (BrokenPipeError, OSError):
            raise RuntimeError(f"root-parallel search helper {self.number} has exited "
                               f"(status {self.proc.poll()})") from None

    def receive(self):
        try:
            kind, value = _read(self.proc.stdout.fileno())
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


class RootParallelSearch:
    """MCTS's interface (``search``, ``choose``, ``reset``, ``config``) over this process's
    MCTS and the helpers: what the GTP engine and the arena drive. ``search`` runs in every
    process and returns the merged result; a ``callback`` sees this process's partial results
    (the helpers report only at the end), and when it stops the search the helpers stop too."""

    def __init__(self, main, helpers: list[_Helper]):
        self.main = main
        self.helpers = helpers
        self.config = main.config
        self.evaluator = main.evaluator

    @property
    def workers(self) -> int:
        return 1 + len(self.helpers)

    @property
    def tree(self):
        return self.main.tree

    def reset(self) -> None:
        self.main.reset()
        for helper in self.helpers:
            helper.send(("reset",))
        for helper in self.helpers:
            helper.receive()

    def search(self, game, num_simulations: int | None = None, seconds: float | None = None,
               callback=None, callback_interval: float = 0.1) -> SearchResult:
        if seconds is None and num_simulations is None:
            num_simulations = self.config.num_simulations
        share = None if num_simulations is None else -(-num_simulations // self.workers)
        for helper in self.helpers:
            helper.send(("search", game, seconds, share))
        stopped = [False]

        def watch(partial):
            stopped[0] = bool(callback(partial))
            return stopped[0]

        try:
            results = [self.main.search(game, num_simulations=share, seconds=seconds,
                                        callback=watch if callback is not None else None,
                                        callback_interval=callback_interval)]
        except BaseException:
            for helper in self.helpers:   # stop them and drop their answers
                try:
                    helper.send(("stop",))
                    helper.receive()
                except Exception:  # noqa: BLE001 - the search's own error is the one to raise
                    pass
            raise
        if stopped[0]:
            for helper in self.helpers:
                helper.send(("stop",))
        results += [helper.receive() for helper in self.helpers]
        return merge_results(results)

    def choose(self, result: SearchResult, game) -> int:
        return self.main.choose(result, game)


class RootParallelAgent(MCTSAgent):
    """An MCTS agent whose every search runs in ``workers`` processes at once (this one and
    ``workers - 1`` helpers), each building its agent with ``factory(**kwargs)`` (a
    ``"module:function"`` returning an MCTSAgent; ``kwargs`` must pickle). Process i gets
    ``rng=seeds[i]`` so their searches differ. Under a time budget every process searches
    for the whole time; under a visit budget each runs its share. ``last_result`` is the
    merged result, ``mcts`` a RootParallelSearch. Call ``close()`` (or use ``with``) to stop
    the helpers."""

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
        self.budget = self.main.budget
        self.weights = getattr(self.main, "weights", None)
        self.config = self.main.config
        self.mcts = RootParallelSearch(self.main.mcts, self._helpers)
        self.name = f"{self.main.name}x{workers}"
        self.board_sizes = self.main.board_sizes
        self.policy = self.main.policy
        self.last_result = None

    def settings(self) -> dict:
        """The settings of this process's agent (every helper's are the same)."""
        return {**super().settings(), "workers": self.workers}

    # search() and select_move() are MCTSAgent's: this agent's mcts is the RootParallelSearch

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


class _ParentGone(Exception):
    """The parent's end of a pipe has closed: it has exited (a GUI's SIGTERM, a crash)."""


def _stop_requested(fd: int) -> bool:
    """Whether a request waits on the pipe (the parent sends only "stop" during a search);
    _ParentGone when the pipe has closed."""
    ready, _, _ = select.select([fd], [], [], 0)
    if not ready:
        return False
    try:
        message = _read(fd)
    except EOFError:
        raise _ParentGone() from None
    return message[0] == "stop"


def _search_until_stopped(agent, fd: int, game, seconds, simulations) -> SearchResult:
    """Search in slices of _SLICE seconds (or 256 simulations without a clock), keeping the
    tree between them and looking for a stop request after each, until the time or the
    simulations are spent; the result counts the playouts of all slices."""
    mcts = agent.mcts
    start = time.monotonic()
    deadline = None if seconds is None else start + seconds
    result, reused = None, 0   # reused: root visits from the previous move's tree
    while True:
        first = result is None
        left = None if simulations is None else simulations - (0 if first else result.simulations - reused)
        if not first:
            if left is not None and left <= 0:
                break
            if deadline is None and result.playouts == 0:   # the tree is full
                break
        if deadline is None:
            result = mcts.search(game, num_simulations=min(256, left))
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not first:
                break
            result = mcts.search(game, num_simulations=left, seconds=max(0.0, min(_SLICE, remaining)))
        if first:
            reused = result.simulations - result.playouts
        if _stop_requested(fd):
            break
    return dataclasses.replace(result, playouts=result.simulations - reused,
                               elapsed=time.monotonic() - start)


def _serve() -> None:
    """A helper's loop: build the agent, then answer search / reset requests until told to
    close or stdin ends. Replies go to the original stdout; anything printed goes to stderr.
    When the parent goes away (its pipes close, even in the middle of a search) the helper
    exits at once and quietly: the stderr it shares with the parent is a GUI's console.
    Ctrl-C reaches the whole process group; the parent handles it and the helper then sees
    its pipes close, so the helper ignores SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = os.dup(0)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def reply(kind, value=None):
        try:
            _write(replies, (kind, value))
        except (BrokenPipeError, OSError):
            raise _ParentGone() from None

    agent = None
    while True:
        try:
            message = _read(requests)
        except EOFError:
            return
        try:
            if message[0] == "build":
                agent = _build(message[1], message[2])
                reply("ready")
            elif message[0] == "search":
                _, game, seconds, simulations = message
                reply("result", _search_until_stopped(agent, requests, game, seconds, simulations))
            elif message[0] == "reset":
                agent.reset()
                reply("ready")
            elif message[0] == "stop":
                pass  # a stop that came after the search had ended by itself
            elif message[0] == "close":
                return
            else:
                reply("error", f"unknown request {message[0]!r}")
        except _ParentGone:
            return
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            try:
                reply("error", f"{type(exc).__name__}: {exc}")
            except _ParentGone:
                return


if __name__ == "__main__":
    _serve()
    # a reply left in the buffer of a closed pipe would be flushed at exit and print
    # "Exception ignored ... BrokenPipeError": leave without flushing it
    sys.stderr.flush()
    os._exit(0)
