"""goengine: a Go engine that trains AlphaGo Lee and AlphaGo Zero agents.

``import goengine`` needs only numpy and sgfmill; torch lives under ``goengine.models`` and
gymnasium under ``goengine.envs``.
"""
from .coords import BLACK, EMPTY, WHITE, opponent
from .errors import (
    GameOverError,
    IllegalMoveError,
    KoError,
    OccupiedError,
    OffBoardError,
    SGFError,
    SuicideError,
    SuperkoError,
)

__version__ = "0.1.0"

__all__ = [
    "BLACK", "WHITE", "EMPTY", "opponent", "IllegalMoveError", "OccupiedError",
    "SuicideError", "KoError", "SuperkoError", "OffBoardError", "GameOverError", "SGFError",
]
