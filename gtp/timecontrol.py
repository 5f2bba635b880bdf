"""Clocks and the time budget of one move, for GTP's time_settings, kgs-time_settings and
time_left.

Time systems (``TimeSettings.kind``):

============  =====================================================================
``none``      no limit: the engine's own budget (--visits / --time-per-move) applies
``absolute``  ``main`` seconds for the whole game
``canadian``  ``main`` seconds, then ``period`` seconds for every ``stones`` stones
``byoyomi``   ``main`` seconds, then ``periods`` periods of ``period`` seconds each;
              a period is used up only when a move takes longer than it
============  =====================================================================

GTP ``time_settings main byo stones`` means: ``byo == 0`` absolute (no byo-yomi),
``byo > 0 and stones == 0`` no time limit (section 6.3.4); otherwise Canadian. ``time_left
color time stones`` reports a clock: ``stones == 0`` means in main time (``time`` left of
it); otherwise in byo-yomi: Canadian ``time`` left for ``stones`` stones, and for KGS's
Japanese byo-yomi ``time`` left in the current period with ``stones`` periods left.

The budget of a move (``TimeControl.budget``) spreads what is left over the moves still to
come, estimated from the empty points: ``moves_left = max(min_moves_left,
moves_per_empty_point * empty points)`` of one's own (a 9x9 game of about 60 moves starts
with 81 empty points). ``lag`` seconds per move are what the clock counts outside the
search (the reply, the GUI, the network): in main time ``lag * moves_left`` is kept in
reserve and the rest shared evenly, ``(main - lag * moves_left) / moves_left``. Spending
a fraction of what is left each move decreases geometrically, so the main time lasts as
long as the overhead of a move stays under ``lag``; with byo-yomi to come, part of a
period is added. In byo-yomi a move takes a safe share of the period (Canadian: of the
time per stone left, after the lag of each stone). The engine also keeps its own clock
(``spend``) in case the controller never sends time_left.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from goengine.coords import BLACK, WHITE

__all__ = ["TimeSettings", "TimeConfig", "Clock", "TimeControl"]

KINDS = ("none", "absolute", "canadian", "byoyomi")


@dataclass(frozen=True)
class TimeSettings:
    """One time system (see the module docstring). Times in seconds."""

    kind: str = "none"
    main: float = 0.0
    """Main time."""
    period: float = 0.0
    """Canadian: the time of one byo-yomi period (for ``stones`` stones); Japanese: one
    period."""
    stones: int = 0
    """Canadian: stones to play in each period."""
    periods: int = 0
    """Japanese byo-yomi: the number of periods."""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown time system {self.kind!r}: expected one of "
                             f"{', '.join(KINDS)}")
        if min(self.main, self.period) < 0 or min(self.stones, self.periods) < 0:
            raise ValueError("time settings must not be negative")
        if self.kind == "canadian" and (self.stones < 1 or self.period <= 0):
            raise ValueError("Canadian byo-yomi needs a period > 0 for at least one stone")
        if self.kind == "byoyomi" and self.periods >= 1 and self.period <= 0:
            raise ValueError("Japanese byo-yomi needs periods of more than 0 seconds")

    @classmethod
    def from_gtp(cls, main: float, byo_yomi_time: float, byo_yomi_stones: int) -> "TimeSettings":
        """GTP ``time_settings``: no limit when byo-yomi time > 0 with 0 stones; absolute
        when byo-yomi time is 0; else Canadian."""
        if byo_yomi_time > 0 and byo_yomi_stones == 0:
            return cls("none")
        if byo_yomi_time == 0:
            return cls("absolute", main=main)
        return cls("canadian", main=main, period=byo_yomi_time, stones=byo_yomi_stones)

    def __str__(self) -> str:
        if self.kind == "none":
            return "no time limit"
        if self.kind == "absolute":
            return f"absolute {self.main:g} s"
        if self.kind == "canadian":
            return f"Canadian {self.main:g} s + {self.period:g} s / {self.stones} stones"
        return f"byo-yomi {self.main:g} s + {self.periods} x {self.period:g} s"


@dataclass(frozen=True)
class TimeConfig:
    """How the budget of a move is computed."""

    lag: float = 0.3
    """Seconds per move that the clock counts outside the search (reply, GUI, network):
    subtracted from every budget and kept in reserve."""
    moves_per_empty_point: float = 0.4
    """Own moves still to come per empty point (9x9: about 30 at the start)."""
    min_moves_left: float = 10.0
    """Never plan for fewer own moves than this in main time (a geometric reserve)."""
    max_main_fraction: float = 0.25
    """Never spend more than this fraction of the main time left on one move."""
    period_fraction: float = 0.75
    """Share of a Japanese byo-yomi period (or of a Canadian period's per-stone share)
    that a move may use."""
    min_budget: float = 0.02
    """The least time a move gets (the search still returns its best move so far)."""


@dataclass
class Clock:
    """One player's clock: main time left, then byo-yomi."""

    main: float = 0.0
    in_byoyomi: bool = False
    period_left: float = 0.0
    """Canadian: time left in the current period; Japanese: time of the current period."""
    stones_left: int = 0
    """Canadian: stones still to play in the current period."""
    periods_left: int = 0
    """Japanese: periods left."""
    known: bool = False
    """Whether this clock was ever reported by time_left (else it is our own count)."""


@dataclass
class TimeControl:
    """The time system, both players' clocks and the budget of our next move."""

    settings: TimeSettings = field(default_factory=TimeSettings)
    config: TimeConfig = field(default_factory=TimeConfig)
    clocks: dict = field(default_factory=dict)

    def __post_init__(self):
        self.reset()

    def set(self, settings: TimeSettings) -> None:
        """New time settings: both clocks start full."""
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        """Both clocks back to the start of the game."""
        s = self.settings
        self.clocks = {c: Clock(main=s.main, in_byoyomi=False, period_left=s.period,
                                stones_left=s.stones, periods_left=s.periods)
                       for c in (BLACK, WHITE)}
        if s.kind in ("canadian", "byoyomi") and s.main == 0:
            for clock in self.clocks.values():
                clock.in_byoyomi = True

    @property
    def limited(self) -> bool:
        return self.settings.kind != "none"

    def time_left(self, color: int, seconds: float, stones: int) -> None:
        """GTP ``time_left``: the controller's view of ``color``'s clock (see the module
        docstring)."""
        s = self.settings
        clock = self.clocks[color]
        clock.known = True
        if stones == 0 or s.kind in ("none", "absolute"):
            clock.main = seconds
            clock.in_byoyomi = False
            if s.kind in ("canadian", "byoyomi"):
                clock.period_left, clock.stones_left, clock.periods_left = (
                    s.period, s.stones, s.periods)
            return
        clock.main = 0.0
        clock.in_byoyomi = True
        clock.period_left = seconds
        if s.kind == "byoyomi":
            clock.periods_left = stones
        else:
            clock.stones_left = stones

    def spend(self, color: int, seconds: float) -> None:
        """Our own count: ``color`` has just used ``seconds`` for one move."""
        s = self.settings
        clock = self.clocks[color]
        if s.kind == "none":
            return
        if not clock.in_byoyomi:
            clock.main -= seconds
            if clock.main >= 0 or s.kind == "absolute":
                return
            seconds = -clock.main  # the rest of this move ran in byo-yomi
            clock.main = 0.0
            clock.in_byoyomi = True
            clock.period_left, clock.stones_left = s.period, s.stones
        if s.kind == "canadian":
            clock.period_left -= seconds
            clock.stones_left -= 1
            if clock.stones_left <= 0:  # a new period starts
                clock.period_left, clock.stones_left = s.period, s.stones
        elif s.kind == "byoyomi":
            while seconds > s.period and clock.periods_left > 0:
                seconds -= s.period
                clock.periods_left -= 1
            clock.period_left = s.period

    def moves_left(self, empty_points: int) -> float:
        cfg = self.config
        return max(cfg.min_moves_left, cfg.moves_per_empty_point * empty_points)

    def budget(self, color: int, empty_points: int) -> float | None:
        """Seconds the next move of ``color`` may take, or None without a time limit."""
        s, cfg = self.settings, self.config
        if s.kind == "none":
            return None
        clock = self.clocks[color]
        moves = self.moves_left(empty_points)
        if not clock.in_byoyomi:
            # keep the lag of every move to come in reserve, share the rest evenly
            usable = max(0.0, clock.main - cfg.lag * moves)
            budget = min(usable / moves, clock.main * cfg.max_main_fraction)
            if s.kind == "canadian":
                budget += cfg.period_fraction * s.period / s.stones / 2
            elif s.kind == "byoyomi" and s.periods > 0:
                budget += cfg.period_fraction * s.period / 2
        elif s.kind == "canadian":
            stones = max(1, clock.stones_left)
            budget = cfg.period_fraction * (clock.period_left - cfg.lag * stones) / stones
        else:  # Japanese byo-yomi
            budget = cfg.period_fraction * clock.period_left - cfg.lag
        return max(cfg.min_budget, budget)

    def describe(self, color: int) -> str:
        clock = self.clocks[color]
        s = self.settings
        if s.kind == "none":
            return "no time limit"
        if not clock.in_byoyomi:
            return f"{clock.main:.1f} s main time"
        if s.kind == "canadian":
            return f"{clock.period_left:.1f} s for {clock.stones_left} stones"
        if s.kind == "byoyomi":
            return f"{clock.periods_left} periods of {s.period:g} s"
        return f"{clock.main:.1f} s"

    def copy(self) -> "TimeControl":
        other = TimeControl(self.settings, self.config)
        other.clocks = {c: replace(k) for c, k in self.clocks.items()}
        return other
