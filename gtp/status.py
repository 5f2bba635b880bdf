"""Which stones are alive, dead or in seki, judged by random playouts from the position.

GTP's ``final_status_list``, ``final_score`` and ``kgs-genmove_cleanup`` need to know which
stones would be removed at the end of the game. Nothing is guessed from shapes; the
judgement is statistical, as Monte Carlo engines do it (Pachi's ownermap):

1. **Ownership.** ``playouts`` C random playouts (``Board.playout``: uniformly random legal
   moves that do not fill one's own one-point eye, to the end) are run from the position,
   half with black to move first and half with white, so the tempo does not bias the
   count. At the end of a playout a point belongs to the colour of its stone, or for an
   empty point to the one colour all its neighbours have. ``ownership[a]`` is the mean over
   playouts of +1 (black owns ``a``) / -1 (white) / 0.
2. **Chains.** A chain's *own share* is the mean ownership of its points, signed for its
   colour: near +1 the chain survives the playouts, near -1 it is captured.
3. **Seki.** Random playouts break a seki whoever moves into it first, so a seki chain's
   share sits in the middle. A chain is in seki when its share is within ``seki_band`` of 0
   and it is in *mutual life* with a neighbouring opponent chain that is too: they share a
   liberty, and every liberty of each is either illegal for the opponent or a self-atari
   that captures nothing (so neither side can approach).
4. **Dead** chains are the others whose own share is below ``dead_below``; the rest are
   alive.
5. **Pass-alive** chains (Benson's unconditional life, ``pass_alive``) are alive whatever
   the playouts say, and opponent stones inside one of their vital regions are dead. The
   playouts' eye test is only a heuristic: a one-point eye on the edge with an opponent
   stone on a diagonal counts as false even when that stone is in atari and can never be
   saved, so random playouts fill the real eye half the time and a living group's share
   falls to about 0. Benson's test is exact, so it overrides the statistics where it
   applies; the ownership of those chains and regions is set to their owner's colour.

The score (``final_score``) is then the area score of the board with the dead stones
removed: stones plus empty regions surrounded by one colour (Tromp-Taylor), so seki
liberties count for nobody, minus komi.

With an agent whose network has an ownership head (``judge(..., ownership=...)``), step 1's
estimate is the network's ownership instead of the playouts' (KataGo judges dead stones by
its ownership head); steps 2 to 5, Benson's test included, are the same.

The random numbers are seeded from the position (its Zobrist hash and side to move), so a
position is always judged the same way: ``final_status_list`` and ``final_score`` agree,
and golden test sessions are reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goengine.coords import BLACK, EMPTY, WHITE, neighbors, opponent, to_gtp
from goengine.regions import components, empty_regions

__all__ = ["StatusConfig", "StatusResult", "judge", "area", "is_self_atari", "pass_alive",
           "ALIVE", "DEAD", "SEKI"]

ALIVE, DEAD, SEKI = "alive", "dead", "seki"


@dataclass(frozen=True)
class StatusConfig:
    """Settings of the dead-stone judgement."""

    playouts: int | None = None
    """Random playouts from the position; None: enough for about 50 ms of work
    (1000 on 9x9, 250 on 19x19)."""
    dead_below: float = 0.0
    """A chain whose own share (mean signed ownership of its points, +1 = always kept) is
    below this is dead (unless in seki)."""
    seki_band: float = 0.6
    """A chain whose own share is within this of 0 may be in seki (step 3)."""
    seed: int = 0
    """Mixed with the position's hash to seed the playouts."""
    use_network: bool = True
    """Judge by the agent's network ownership head when it has one, not by playouts."""

    def playouts_for(self, size: int) -> int:
        if self.playouts is not None:
            return max(2, int(self.playouts))
        return max(100, int(81_000 / (size * size)))


@dataclass
class StatusResult:
    """The judgement of one position."""

    size: int
    stones: np.ndarray
    """int8 (N*N,) colours of the judged position."""
    ownership: np.ndarray
    """float (N*N,) in [-1, 1]: +1 black always owns the point at the end, -1 white."""
    chains: list[list[int]]
    """Every chain of the position (sorted actions), in order of its first point."""
    chain_status: list[str]
    """ALIVE, DEAD or SEKI for each chain."""
    chain_share: list[float]
    """Own share of each chain (step 2)."""

    def groups(self, status: str) -> list[list[int]]:
        """The chains with ``status``."""
        return [c for c, s in zip(self.chains, self.chain_status) if s == status]

    def stones_with(self, status: str) -> list[int]:
        return sorted(a for chain in self.groups(status) for a in chain)

    def dead_mask(self) -> np.ndarray:
        mask = np.zeros(self.size * self.size, dtype=bool)
        mask[self.stones_with(DEAD)] = True
        return mask

    def final_stones(self) -> np.ndarray:
        """The stones left when the dead ones are removed."""
        out = self.stones.copy()
        out[self.dead_mask()] = EMPTY
        return out

    def area(self) -> tuple[int, int]:
        """(black, white) area of the board without its dead stones."""
        return area(self.final_stones(), self.size)

    def score(self, komi: float) -> float:
        """Black minus white minus komi, dead stones removed."""
        black, white = self.area()
        return black - white - komi

    def expected_score(self, komi: float) -> float:
        """The score the ownership estimate expects: its sum (the playouts' mean final area
        margin, with Benson's pass-alive chains and their eyes counted as their owner's)
        minus komi, Black's view. Unlike ``score`` it counts an open region by who tends to
        end up owning it, so it means something before the end of the game (kata-analyze's
        scoreLead without a network)."""
        return float(self.ownership.sum()) - komi

    def describe(self) -> str:
        lines = []
        for chain, status, share in zip(self.chains, self.chain_status, self.chain_share):
            color = "B" if self.stones[chain[0]] == BLACK else "W"
            lines.append(f"{color} {to_gtp(chain[0], self.size)} ({len(chain)}): {status} "
                         f"{share:+.2f}")
        return "\n".join(lines)


def area(stones: np.ndarray, size: int) -> tuple[int, int]:
    """Tromp-Taylor area of a stones array: (black, white)."""
    black = int(np.count_nonzero(stones == BLACK))
    white = int(np.count_nonzero(stones == WHITE))
    for region, border in empty_regions(stones, size):
        if border == BLACK:
            black += len(region)
        elif border == WHITE:
            white += len(region)
    return black, white


def _neighbor_index(size: int) -> np.ndarray:
    """(N*N, 4) neighbour actions, N*N (a sentinel) where off the board."""
    n = size * size
    out = np.full((n, 4), n, dtype=np.int64)
    for a in range(n):
        for i, b in enumerate(neighbors(a, size)):
            out[a, i] = b
    return out


_NEIGHBORS: dict[int, np.ndarray] = {}


def _playout_ownership(board, config: StatusConfig, to_play: int) -> np.ndarray:
    """Step 1: the mean final ownership over the position-seeded random playouts."""
    size = board.size
    playouts = config.playouts_for(size)
    seed = [int(config.seed) & 0xFFFFFFFF, int(board.hash) & 0xFFFFFFFF,
            int(board.hash) >> 32, int(to_play)]
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**62, size=playouts)
    finals = np.empty((playouts, size * size), dtype=np.int8)
    for i in range(playouts):
        work = board.copy()
        work.playout(BLACK if i % 2 == 0 else WHITE, int(seeds[i]))
        finals[i] = work.stones()
    return ownership_of(finals, size)


def ownership_of(finals: np.ndarray, size: int) -> np.ndarray:
    """Mean ownership over final playout boards ``finals`` (P, N*N) int8: a stone's colour,
    or the one colour around an empty point; +1 black, -1 white, 0 neither."""
    nb = _NEIGHBORS.get(size)
    if nb is None:
        nb = _NEIGHBORS[size] = _neighbor_index(size)
    padded = np.concatenate([finals, np.full((finals.shape[0], 1), -1, dtype=finals.dtype)],
                            axis=1)
    around = padded[:, nb]  # (P, N*N, 4), -1 off the board
    black_round = np.all((around == BLACK) | (around == -1), axis=2)
    white_round = np.all((around == WHITE) | (around == -1), axis=2)
    empty = finals == EMPTY
    owner = (finals == BLACK).astype(np.float64) - (finals == WHITE)
    owner += (empty & black_round) - (empty & white_round).astype(np.float64)
    return owner.mean(axis=0)


def is_self_atari(board, action: int, color: int) -> bool:
    """Whether ``color`` playing the board-legal point ``action`` leaves its new chain with
    a single liberty without capturing anything."""
    after = board.copy()
    captured = after.play(action, color)
    return captured == 0 and after.liberties(action) <= 1


def _self_atari_or_illegal(board, action: int, color: int) -> bool:
    return not board.is_legal(action, color) or is_self_atari(board, action, color)


def _mutual_life(board, chain: list[int]) -> bool:
    """No liberty of ``chain`` can be filled safely by the opponent (see the module
    docstring, step 3)."""
    color = board.color_at(chain[0])
    other = opponent(color)
    return all(_self_atari_or_illegal(board, lib, other)
               for lib in board.chain_liberties(chain[0]))


def pass_alive(stones: np.ndarray, size: int, color: int) -> tuple[list[list[int]],
                                                                    list[list[int]]]:
    """Benson's algorithm: the chains of ``color`` that stay alive even if ``color`` passes
    every move, and the regions (maximal connected sets of points without a ``color``
    stone) that are vital to at least one of them, i.e. whose every empty point is a
    liberty of that chain. Returns (chains, vital regions), each a list of sorted actions.

    The opponent stones inside such a vital region are dead: ``color`` can fill the
    region's empty points one by one (each joins a pass-alive chain, which keeps its
    liberties in another vital region) until the last one captures them."""
    chains = components(stones == color, size)
    regions = components(stones != color, size)
    chain_of = np.full(stones.shape[0], -1, dtype=np.int64)
    for i, chain in enumerate(chains):
        chain_of[chain] = i
    borders: list[set[int]] = []   # the chains next to each region
    vital_to: list[set[int]] = []  # the chains to which each region is vital
    for region in regions:
        empties = [p for p in region if stones[p] == EMPTY]
        border: set[int] = set()
        for p in region:
            border.update(int(chain_of[q]) for q in neighbors(p, size) if chain_of[q] >= 0)
        vital = set(border) if empties else set()
        for p in empties:
            vital &= {int(chain_of[q]) for q in neighbors(p, size) if chain_of[q] >= 0}
        borders.append(border)
        vital_to.append(vital)
    alive = set(range(len(chains)))
    kept = set(range(len(regions)))
    while True:
        count = {i: 0 for i in alive}
        for r in kept:
            for i in vital_to[r]:
                if i in count:
                    count[i] += 1
        drop = {i for i, k in count.items() if k < 2}
        alive -= drop
        lost = {r for r in kept if not borders[r] <= alive}
        kept -= lost
        if not drop and not lost:
            break
    vital_regions = [regions[r] for r in sorted(kept) if vital_to[r] & alive]
    return [chains[i] for i in sorted(alive)], vital_regions


def judge(board, config: StatusConfig | None = None, to_play: int = BLACK,
          ownership: np.ndarray | None = None) -> StatusResult:
    """Judge every chain of ``board`` (a goengine Board; not changed). ``ownership``: a
    network's estimate (float (N*N,) in [-1, 1], Black's view) to use instead of playouts."""
    config = config or StatusConfig()
    size = board.size
    n = size * size
    stones = np.asarray(board.stones(), dtype=np.int8)
    chains: list[list[int]] = []
    chain_of = np.full(n, -1, dtype=np.int64)
    for a in np.flatnonzero(stones != EMPTY).tolist():
        if chain_of[a] < 0:
            chain = [int(p) for p in board.chain(a)]
            chain_of[chain] = len(chains)
            chains.append(chain)
    if not chains:
        return StatusResult(size, stones, np.zeros(n), [], [], [])

    if ownership is not None:
        ownership = np.clip(np.asarray(ownership, dtype=np.float64).reshape(n), -1.0, 1.0).copy()
    else:
        ownership = _playout_ownership(board, config, to_play)

    # step 5: Benson's pass-alive chains, and the opponent stones inside their vital regions
    forced: dict[int, str] = {}  # chain index -> ALIVE or DEAD
    for color in (BLACK, WHITE):
        sign = 1.0 if color == BLACK else -1.0
        alive_chains, vital_regions = pass_alive(stones, size, color)
        for chain in alive_chains:
            forced[int(chain_of[chain[0]])] = ALIVE
            ownership[chain] = sign
        for region in vital_regions:
            ownership[region] = sign
            for p in region:
                if stones[p] == opponent(color):
                    forced.setdefault(int(chain_of[p]), DEAD)

    shares = []
    for chain in chains:
        sign = 1.0 if stones[chain[0]] == BLACK else -1.0
        shares.append(float(sign * ownership[chain].mean()))

    # step 3: seki = mutual life between uncertain chains of both colours
    uncertain = [abs(s) < config.seki_band for s in shares]
    mutual = [u and i not in forced and _mutual_life(board, chain)
              for i, (u, chain) in enumerate(zip(uncertain, chains))]
    status = [ALIVE] * len(chains)
    for i, chain in enumerate(chains):
        if not mutual[i]:
            continue
        color = stones[chain[0]]
        for lib in board.chain_liberties(chain[0]):
            for q in neighbors(lib, size):
                j = chain_of[q]
                if j >= 0 and stones[q] == opponent(color) and mutual[j]:
                    status[i] = SEKI
    for i, share in enumerate(shares):
        if status[i] != SEKI and share < config.dead_below:
            status[i] = DEAD
    for i, value in forced.items():
        status[i] = value
    return StatusResult(size, stones, ownership, chains, status, shares)
