"""Exceptions raised by the engine. Every illegal move says why."""


class GoEngineError(Exception):
    """Base class of the engine's own errors."""


class IllegalMoveError(GoEngineError, ValueError):
    """A move that the rules forbid; the subclass names the reason."""

    reason = "illegal"

    def __init__(self, message: str = "", *, action: int | None = None):
        super().__init__(message or self.reason)
        self.action = action


class OffBoardError(IllegalMoveError):
    reason = "off board"


class OccupiedError(IllegalMoveError):
    reason = "occupied"


class SuicideError(IllegalMoveError):
    reason = "suicide"


class KoError(IllegalMoveError):
    reason = "ko"


class SuperkoError(IllegalMoveError):
    reason = "superko"


class GameOverError(IllegalMoveError):
    reason = "game over"


class WrongColorError(IllegalMoveError):
    reason = "wrong colour"


class SGFError(GoEngineError, ValueError):
    """A malformed or unsupported SGF file; the message names the file and the problem."""


class RunError(GoEngineError):
    """A run that cannot start or go on (a match, a ladder, an agent that cannot be built):
    the message names the problem."""


class SpecError(RunError, ValueError):
    """An agent spec that does not parse, or that names something missing."""
