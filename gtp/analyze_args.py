"""The arguments of lz-analyze, kata-analyze and their genmove forms, as Leela Zero and
KataGo take them (KataGo docs/GTP_Extensions.md, Leela Zero GTP.cpp ``AnalyzeTags``):

    lz-analyze   [COLOR] [INTERVAL] [interval N] [maxmoves N] [minmoves N]
                 [avoid COLOR VERTICES DEPTH] [allow COLOR VERTICES DEPTH]
    kata-analyze the same, and [ownership true|false]

INTERVAL is in centiseconds (default 100; 0: a report only when the search stops). A colour
may also come as a tag anywhere, as Leela Zero reads it. ``minmoves`` is accepted and
ignored (only searched moves are reported). KataGo's other booleans (``ownershipStdev``,
``movesOwnership``, ``movesOwnershipStdev``, ``pvVisits``, ``pvEdgeVisits``, ``rootInfo``)
are accepted as ``false`` and refused as ``true``: this engine does not compute them.
``avoid`` and ``allow``: gtp/avoid.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from goengine.coords import BLACK, WHITE

from .avoid import MoveFilter, parse_vertices
from .engine import GtpCommandError, parse_bool, parse_int

__all__ = ["AnalyzeArgs", "parse_analyze_args", "KATA_UNSUPPORTED"]

KATA_UNSUPPORTED = ("ownershipStdev", "movesOwnership", "movesOwnershipStdev", "pvVisits",
                    "pvEdgeVisits", "rootInfo")
"""kata-analyze booleans this engine accepts only as ``false``."""

_COLORS = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}


@dataclass
class AnalyzeArgs:
    color: int | None = None
    """The side to analyse (None: the side to move)."""
    interval: int = 100
    """Centiseconds between reports (0: only when the search stops)."""
    max_moves: int | None = None
    moves: MoveFilter | None = None
    """The avoid/allow tags (None: none)."""
    ownership: bool = False
    """kata-analyze ``ownership true``: end each report with the ownership of every point."""


def parse_analyze_args(args, size: int, *, kata: bool = False,
                       color_required: bool = False) -> AnalyzeArgs:
    """Parse the tokens after the command name; GtpCommandError ``syntax error: ...``."""
    out = AnalyzeArgs()
    tokens = list(args)

    def fail(message: str):
        raise GtpCommandError(f"syntax error: {message}")

    def take(what: str) -> str:
        if not tokens:
            fail(f"{what} is missing")
        return tokens.pop(0)

    def number(tag: str) -> int:
        token = take(f"the value of {tag}")
        try:
            return parse_int(token)
        except ValueError:
            fail(f"{tag} needs a number, got {token!r}")

    if tokens and tokens[0].lower() in _COLORS:
        out.color = _COLORS[tokens.pop(0).lower()]
    elif color_required:
        fail("a colour (b or w) comes first")
    if tokens and tokens[0].isdigit():
        out.interval = number("the interval")
    while tokens:
        tag = tokens.pop(0)
        key = tag.lower()
        if key in _COLORS and out.color is None and not color_required:
            out.color = _COLORS[key]
        elif key == "interval":
            out.interval = number(tag)
        elif key == "maxmoves":
            out.max_moves = number(tag)
        elif key == "minmoves":
            number(tag)
        elif key in ("avoid", "allow"):
            color = take(f"the colour of {key}").lower()
            if color not in _COLORS:
                fail(f"{key} needs a colour (b or w), got {color!r}")
            vertices = take(f"the vertices of {key}")
            depth = number(f"the depth of {key}")
            out.moves = out.moves or MoveFilter(size)
            try:
                out.moves.add(key, _COLORS[color], parse_vertices(vertices, size), depth)
            except ValueError as exc:
                fail(f"{key}: {exc}")
        elif kata and key == "ownership":
            out.ownership = _boolean(tag, take(f"the value of {tag}"), fail)
        elif kata and key in {k.lower() for k in KATA_UNSUPPORTED}:
            if _boolean(tag, take(f"the value of {tag}"), fail):
                fail(f"{tag} true is not supported by this engine")
        else:
            fail(f"cannot parse analyze tag {tag!r}")
    return out


def _boolean(tag: str, token: str, fail) -> bool:
    try:
        return parse_bool(token)
    except ValueError:
        fail(f"{tag} needs true or false, got {token!r}")
