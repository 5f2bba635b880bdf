"""Batched games between policy networks (the RL stage's self-play, its evaluation, and the
value stage's data) on the game loop: every game of a batch in which the same network is to
move is advanced by one network call on all of them (lee48 planes, NCHW)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from goengine.coords import BLACK, WHITE
from goengine.gameloop import LoopGame, play_games


def sensible_mask(game, no_eye_fill: bool = True) -> np.ndarray:
    """uint8 (N*N+1,): legal moves (the game's superko rule included), less the mover's own
    one-point eyes when `no_eye_fill` (so that games between weak policies end: an own-eye
    fill is never a good move under area scoring, and the rollouts and the SL planes' own
    "sensibleness" feature drop them too); pass is always allowed."""
    mask = game.legal_mask().astype(np.uint8)
    if no_eye_fill:
        n = game.size * game.size
        for a in np.flatnonzero(mask[:n]):
            if game.board.is_eye(int(a), game.to_play):
                mask[a] = 0
    return mask


def policy_probs(model, games, no_eye_fill: bool = True, temperature: float = 1.0):
    """(planes uint8 (B, 48, N, N), probabilities (B, N*N+1)) of `model` over the sensible
    moves of each game."""
    import torch
    from goengine.features import lee48
    x = lee48(games)
    masks = np.stack([g.legal_mask() for g in games]).astype(np.uint8)
    if no_eye_fill:  # lee48 plane 46, "sensibleness": legal and not an own one-point eye
        n = x.shape[2] * x.shape[3]
        masks[:, :n] &= x[:, 46].reshape(len(games), n).astype(np.uint8)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).double().numpy() / temperature
    logits[masks == 0] = -np.inf
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return x.astype(np.uint8), p


@dataclass
class Trajectory:
    """The moves one player chose in one game: planes (T, 48, N, N) uint8 and actions (T,)."""
    planes: list = field(default_factory=list)
    actions: list = field(default_factory=list)


class _PolicyPlayer:
    """A PolicyNet as a game-loop player: one forward pass over all its games, each move
    sampled from the policy, the moves of the recorded colour kept as the game's Trajectory."""

    def __init__(self, model, rng: np.random.Generator, no_eye_fill: bool):
        self.model, self.rng, self.no_eye_fill = model, rng, no_eye_fill

    def choose(self, entries):
        planes, probs = policy_probs(self.model, [e.game for e in entries], self.no_eye_fill)
        actions = []
        for k, entry in enumerate(entries):
            a = int(self.rng.choice(probs.shape[1], p=probs[k]))
            trajectory, color = entry.data
            if trajectory is not None and color == entry.game.to_play:
                trajectory.planes.append(planes[k])
                trajectory.actions.append(a)
            actions.append(a)
        return actions


class _CallablePlayer:
    """A callable(game, rng) -> action as a game-loop player."""

    def __init__(self, fn, rng: np.random.Generator):
        self.fn, self.rng = fn, rng

    def choose(self, entries):
        return [self.fn(entry.game, self.rng) for entry in entries]


def play_batch(players: dict, games, rng: np.random.Generator, max_moves: int, record_color=None,
               no_eye_fill: bool = True, move_hook=None):
    """Advance `games` (GameStates) to their end or `max_moves`, the side to move of game i
    being played by `players[i][colour]` (a PolicyNet, or a callable(game, rng) -> action),
    each move sampled from the network's policy, through the game loop (goengine/gameloop.py:
    the games of one network in one batch). `record_color[i]` (optional) names the colour
    whose moves are kept as a Trajectory. `move_hook(i, game)` may return an action to play
    instead (the value stage's random move). Returns the trajectories (None where not kept)."""
    caps = list(max_moves) if np.ndim(max_moves) else [max_moves] * len(games)
    trajectories = [Trajectory() if record_color is not None and record_color[i] else None
                    for i in range(len(games))]
    wrapped: dict[int, object] = {}

    def player(p):
        if id(p) not in wrapped:
            plays_itself = callable(p) and not hasattr(p, "forward")
            wrapped[id(p)] = _CallablePlayer(p, rng) if plays_itself else _PolicyPlayer(p, rng, no_eye_fill)
        return wrapped[id(p)]

    entries = [LoopGame(g, {c: player(players[i][c]) for c in (BLACK, WHITE)}, key=i, cap=caps[i],
                        data=(trajectories[i], record_color[i] if record_color is not None else None))
               for i, g in enumerate(games)]
    forced = None if move_hook is None else (lambda entry: move_hook(entry.key, entry.game))
    for _ in play_games(entries, parallel=len(entries), forced_move=forced):
        pass
    return trajectories


def match(model_a, model_b, games: int, size: int, komi: float, rng, max_moves: int) -> float:
    """Win rate of model_a against model_b over `games` games, colours alternating, each
    move sampled from the policy (draws count half)."""
    from goengine.game import GameState, Rules
    states = [GameState(size, Rules(komi=komi)) for _ in range(games)]
    players = [{BLACK: model_a, WHITE: model_b} if i % 2 == 0 else {BLACK: model_b, WHITE: model_a}
               for i in range(games)]
    play_batch(players, states, rng, max_moves)
    score = 0.0
    for i, g in enumerate(states):
        a_color = BLACK if i % 2 == 0 else WHITE
        w = g.winner()
        score += 1.0 if w == a_color else 0.5 if w == 0 else 0.0
    return score / max(1, games)
