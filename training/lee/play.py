"""Batched games between policy networks (the RL stage's self-play, its evaluation, and the
value stage's data): every game of a batch in which the same network is to move is advanced
by one network call on all of them (lee48 planes, NCHW)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from goengine.coords import BLACK, WHITE


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


def play_batch(players: dict, games, rng: np.random.Generator, max_moves: int, record_color=None,
               no_eye_fill: bool = True, move_hook=None):
    """Advance `games` (GameStates) to their end or `max_moves`, the side to move of game i
    being played by `players[i][colour]` (a PolicyNet, or a callable(game, rng) -> action),
    each move sampled from the network's policy. `record_color[i]` (optional) names the colour
    whose moves are kept as a Trajectory. `move_hook(i, game)` may return an action to play
    instead (the value stage's random move). Returns the trajectories (None where not kept)."""
    caps = list(max_moves) if np.ndim(max_moves) else [max_moves] * len(games)
    trajectories = [Trajectory() if record_color is not None and record_color[i] else None
                    for i in range(len(games))]
    while True:
        live = [i for i, g in enumerate(games) if not g.is_over() and g.move_number < caps[i]]
        if not live:
            return trajectories
        groups: dict[int, list[int]] = {}
        forced = {}
        for i in live:
            if move_hook is not None:
                a = move_hook(i, games[i])
                if a is not None:
                    forced[i] = a
                    continue
            groups.setdefault(id(players[i][games[i].to_play]), []).append(i)
        for i, a in forced.items():
            games[i].play(a)
        for idxs in groups.values():
            player = players[idxs[0]][games[idxs[0]].to_play]
            sub = [games[i] for i in idxs]
            if callable(player) and not hasattr(player, "forward"):
                for i, g in zip(idxs, sub):
                    g.play(player(g, rng))
                continue
            planes, probs = policy_probs(player, sub, no_eye_fill)
            for k, (i, g) in enumerate(zip(idxs, sub)):
                a = int(rng.choice(probs.shape[1], p=probs[k]))
                t = trajectories[i]
                if t is not None and record_color[i] == g.to_play:
                    t.planes.append(planes[k])
                    t.actions.append(a)
                g.play(a)


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
