"""ASCII board diagrams: read them in tests, draw boards for people.

Reading (``parse``, ``board_from``) takes one row of the board per line, top row first:

    . . X O .        X  black stone
    . X O . O        O  white stone
    . X O O .        .  or +  empty point (also * , the ko mark that ``render`` draws)

Spaces between characters are optional and blank lines are ignored. The output of
``render`` reads back as well: a line of column letters (``A B C ...``) is skipped, row
numbers at either end of a line are stripped, and the last-move brackets ``( )`` count as
spaces.

Drawing (``render``) uses GTP coordinates, as GNU Go does: columns ``A``.. without ``I``
on top and bottom, row numbers (``N`` at the top down to ``1``) on the left and right.
The last move is bracketed, ``(X)``, and the point forbidden by simple ko is ``*``::

       A B C D E
     5 . . . . . 5
     4 . X O . . 4
     3 . X(O)* . 3
     2 . . . . . 2
     1 . . . . . 1
       A B C D E
"""
from __future__ import annotations

import re
from typing import Sequence

from .coords import BLACK, EMPTY, GTP_COLUMNS, WHITE, check_size

__all__ = ["parse", "board_from", "render"]

_CHAR_TO_COLOR = {".": EMPTY, "+": EMPTY, "*": EMPTY, "X": BLACK, "O": WHITE}
_COLOR_TO_CHAR = {EMPTY: ".", BLACK: "X", WHITE: "O"}
_ROW_NUMBERS = re.compile(r"^\s*\d+|\d+\s*$")


def _is_column_header(line: str) -> bool:
    letters = "".join(line.split())
    return bool(letters) and letters == GTP_COLUMNS[: len(letters)]


def parse(text: str) -> tuple[int, dict[int, int]]:
    """Read a diagram: returns ``(size, {action: colour})`` holding only the stones.

    Raises ValueError for an unknown character, rows of unequal length, or a diagram
    that is not square (or whose size is outside 2..25)."""
    rows: list[list[int]] = []
    for line in text.splitlines():
        if not line.strip() or _is_column_header(line):
            continue
        body = _ROW_NUMBERS.sub("", line).replace("(", " ").replace(")", " ")
        row = []
        for ch in body:
            if ch.isspace():
                continue
            if ch not in _CHAR_TO_COLOR:
                raise ValueError(f"unknown character {ch!r} in diagram line {line!r}")
            row.append(_CHAR_TO_COLOR[ch])
        rows.append(row)
    size = len(rows)
    for row in rows:
        if len(row) != size:
            raise ValueError(f"diagram is not square: {size} rows but a row of {len(row)} "
                             f"points")
    check_size(size)
    stones = {r * size + c: color
              for r, row in enumerate(rows) for c, color in enumerate(row) if color != EMPTY}
    return size, stones


def board_from(text: str, board_cls):
    """A ``board_cls`` holding the diagram's stones, placed with ``play`` in action order.

    No capture can happen while a legal diagram is set up this way, so a capture or a
    refused suicide means the diagram holds a chain without liberties: ValueError."""
    size, stones = parse(text)
    board = board_cls(size)
    for action, color in sorted(stones.items()):
        try:
            captured = board.play(action, color)
        except ValueError as exc:  # SuicideError is a ValueError
            raise ValueError(f"diagram holds a chain without liberties (at action "
                             f"{action}): {exc}") from exc
        if captured:
            raise ValueError(f"diagram holds a chain without liberties (captured by the "
                             f"stone at action {action})")
    return board


def render(stones: Sequence[int], size: int, last: int | None = None,
           ko: int | None = None) -> str:
    """Draw ``stones`` (colours by action, row-major) with GTP coordinates.

    ``last`` (an action; pass or None draws nothing) is bracketed; ``ko`` (an action, or
    None / -1) is drawn as ``*`` if empty. No trailing newline."""
    size = check_size(size)
    n = size * size
    if len(stones) != n:
        raise ValueError(f"{len(stones)} stones for a {size}x{size} board")
    width = len(str(size))
    header = " " * (width + 1) + " ".join(GTP_COLUMNS[:size])
    lines = [header]
    for r in range(size):
        cells = []
        for c in range(size):
            a = r * size + c
            ch = _COLOR_TO_CHAR[int(stones[a])]
            if ko is not None and a == ko and ch == ".":
                ch = "*"
            cells.append(ch)
        seps = [" "] * (size + 1)  # seps[c] precedes column c; seps[size] ends the row
        if last is not None and 0 <= last < n and last // size == r:
            seps[last % size] = "("
            seps[last % size + 1] = ")"
        number = size - r
        body = "".join(sep + ch for sep, ch in zip(seps, cells)) + seps[size]
        lines.append(f"{number:>{width}}{body}{number}")
    lines.append(header)
    return "\n".join(lines)
