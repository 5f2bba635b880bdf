"""The one table of coordinates and colours used everywhere in goengine.

An N x N board (2 <= N <= 25) has N*N points and one pass move.

=================  ===========================  ==============================  ============
system             example on 9x9               meaning                         pass
=================  ===========================  ==============================  ============
action ``a``       ``0`` .. ``80``              row-major index from the        ``N*N`` (81)
                                                top-left corner: ``a = r*N + c``
``(row, col)``     ``(0, 0)`` = top-left        row 0 is the top edge           ``None``
GTP vertex         ``"A9"`` = top-left,         column letter A.. (no ``I``),   ``"pass"``
                   ``"J1"`` = bottom-right      row number counted from the
                                                bottom (``N - row``)
SGF point          ``"aa"`` = top-left,         column letter then row letter,  ``""`` (also
                   ``"ii"`` = bottom-right      both from the top-left          ``"tt"`` read
                                                                                for N <= 19)
=================  ===========================  ==============================  ============

So on 9x9: action 0 = (0, 0) = ``A9`` = ``aa``; action 80 = (8, 8) = ``J1`` = ``ii``;
action 40 = (4, 4) = ``E5`` = ``ee`` (tengen).

Colours: ``EMPTY = 0``, ``BLACK = 1``, ``WHITE = 2``; ``opponent(c) = 3 - c``. Black moves
first. Values and rewards are from the point of view of the player to move unless a name
says otherwise (``score`` is always black minus white).
"""
from __future__ import annotations

EMPTY, BLACK, WHITE = 0, 1, 2
MIN_SIZE, MAX_SIZE = 2, 25
GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I: 25 letters, enough for 25x25
SGF_LETTERS = "abcdefghijklmnopqrstuvwxy"

__all__ = [
    "EMPTY", "BLACK", "WHITE", "MIN_SIZE", "MAX_SIZE", "opponent", "color_name",
    "parse_color", "check_size", "pass_action", "is_pass", "to_rc", "from_rc",
    "to_gtp", "from_gtp", "to_sgf", "from_sgf", "neighbors",
]


def check_size(size: int) -> int:
    """Return ``size`` as an int, or raise ``ValueError`` if it is not in 2..25."""
    if isinstance(size, bool) or not isinstance(size, int):
        try:
            if int(size) != size:
                raise ValueError
            size = int(size)
        except (TypeError, ValueError):
            raise ValueError(f"board size must be an integer, got {size!r}") from None
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"unsupported board size {size}: must be {MIN_SIZE}..{MAX_SIZE}")
    return size


def opponent(color: int) -> int:
    """The other colour: BLACK <-> WHITE."""
    return 3 - color


def color_name(color: int) -> str:
    return {BLACK: "black", WHITE: "white", EMPTY: "empty"}[color]


def parse_color(text: str) -> int:
    """``"b"``, ``"black"``, ``"W"``, ``"white"`` (any case) -> BLACK / WHITE."""
    t = text.strip().lower()
    if t in ("b", "black"):
        return BLACK
    if t in ("w", "white"):
        return WHITE
    raise ValueError(f"invalid colour {text!r}: expected b, black, w or white")


def pass_action(size: int) -> int:
    return size * size


def is_pass(action: int, size: int) -> bool:
    return action == size * size


def _check_action(action: int, size: int) -> None:
    if not 0 <= action <= size * size:
        raise ValueError(f"action {action} out of range 0..{size * size} for size {size}")


def to_rc(action: int, size: int) -> tuple[int, int] | None:
    """action -> (row, col), or None for pass."""
    _check_action(action, size)
    if action == size * size:
        return None
    return divmod(action, size)


def from_rc(row: int, col: int, size: int) -> int:
    """(row, col) -> action; raises ValueError when off the board."""
    if not (0 <= row < size and 0 <= col < size):
        raise ValueError(f"point ({row}, {col}) is off a {size}x{size} board")
    return row * size + col


def to_gtp(action: int, size: int) -> str:
    """action -> GTP vertex such as ``"D4"`` or ``"pass"``."""
    rc = to_rc(action, size)
    if rc is None:
        return "pass"
    row, col = rc
    return f"{GTP_COLUMNS[col]}{size - row}"


def from_gtp(vertex: str, size: int) -> int:
    """GTP vertex (case-insensitive, ``I`` skipped, ``pass``) -> action."""
    v = vertex.strip().upper()
    if v == "PASS":
        return size * size
    if len(v) < 2 or v[0] not in GTP_COLUMNS or not v[1:].isdigit():
        raise ValueError(f"invalid vertex {vertex!r}")
    col = GTP_COLUMNS.index(v[0])
    number = int(v[1:])
    if col >= size or not 1 <= number <= size:
        raise ValueError(f"vertex {vertex!r} is off a {size}x{size} board")
    return (size - number) * size + col


def to_sgf(action: int, size: int) -> str:
    """action -> SGF point such as ``"dd"``, or ``""`` for pass."""
    rc = to_rc(action, size)
    if rc is None:
        return ""
    row, col = rc
    return SGF_LETTERS[col] + SGF_LETTERS[row]


def from_sgf(point: str, size: int) -> int:
    """SGF point -> action; ``""`` is a pass, and so is ``"tt"`` on boards up to 19x19."""
    p = point.strip()
    if p == "" or (p == "tt" and size <= 19):
        return size * size
    if len(p) != 2 or p[0] not in SGF_LETTERS or p[1] not in SGF_LETTERS:
        raise ValueError(f"invalid SGF point {point!r}")
    col, row = SGF_LETTERS.index(p[0]), SGF_LETTERS.index(p[1])
    if col >= size or row >= size:
        raise ValueError(f"SGF point {point!r} is off a {size}x{size} board")
    return row * size + col


def neighbors(action: int, size: int) -> list[int]:
    """The on-board orthogonal neighbours of a point (not of pass)."""
    row, col = divmod(action, size)
    out = []
    if row > 0:
        out.append(action - size)
    if row < size - 1:
        out.append(action + size)
    if col > 0:
        out.append(action - 1)
    if col < size - 1:
        out.append(action + 1)
    return out
