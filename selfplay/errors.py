"""The arena's errors: a run that cannot start or go on. ``ArenaError`` is the engine's
RunError (goengine.errors), so a bad agent spec (``SpecError``) is one too."""
from goengine.errors import RunError, SpecError

ArenaError = RunError

__all__ = ["ArenaError", "SpecError"]
