"""Game records <-> SGF (FF[4], GM[1]) on top of ``sgfmill.sgf``.

``GameRecord`` is a plain record of one game: what a self-play worker writes and what a
dataset reader needs. Only the main line of a file with variations is read.

================  =======================================  =================================
GameRecord field  SGF                                      notes
================  =======================================  =================================
size              ``SZ``                                   2..25 (default 19 when absent)
komi              ``KM``                                   0 when absent
setup_black       ``AB`` (with ``HA`` = its length)        handicap stones, actions
setup_white       ``AW``                                   normally empty
moves             ``B``/``W`` nodes of the main line       ``(colour, action)``, pass = N*N
result            ``RE``                                   ``"B+3.5"``, ``"W+R"``, ``"0"``
black_name        ``PB``
white_name        ``PW``
rules             ``RU``                                   free text; see ``rules_from_text``
date              ``DT``
comment           ``C`` of the root (``GC`` when no ``C``)
move_comments     ``C`` of move nodes                      ``{move number (1-based): text}``
================  =======================================  =================================

Bad input raises ``goengine.errors.SGFError`` whose message starts with the file name (or
``<bytes>``/``<string>``) and names the problem; an illegal move found while replaying a
record names its move number.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from sgfmill import sgf as _sgf
from sgfmill import sgf_grammar as _sgf_grammar

from .coords import BLACK, WHITE, check_size, color_name, from_rc, opponent, to_gtp, to_rc
from .errors import GameOverError, IllegalMoveError, SGFError
from .fileio import atomic_write_bytes
from .game import GameState, Rules

__all__ = ["GameRecord", "read_sgf", "parse_sgf", "write_sgf", "to_sgf_bytes",
           "rules_from_text", "rules_to_text"]

_COLOR_LETTER = {BLACK: "b", WHITE: "w"}
_LETTER_COLOR = {"b": BLACK, "w": WHITE}
_APP = ("goengine", "0.1.0")

# RU text <-> Rules (komi aside). Names of real rule sets where they match ours.
_RULE_NAMES = {
    ("positional", False): "Chinese",
    ("positional", True): "Tromp-Taylor",
    ("situational", False): "AGA",
    ("situational", True): "NZ",
}


def rules_to_text(rules: Rules) -> str:
    """The ``RU`` text for ``rules``: a rule set's name where one matches (Chinese: positional
    superko; AGA: situational; NZ: situational and suicide; Tromp-Taylor: positional and
    suicide), else a description ("simple ko, suicide forbidden")."""
    name = _RULE_NAMES.get((rules.superko, rules.suicide))
    if name:
        return name
    return f"simple ko, suicide {'allowed' if rules.suicide else 'forbidden'}"


def rules_from_text(text: str | None, komi: float = 7.5) -> Rules:
    """``Rules`` for an ``RU`` text (case-insensitive): Chinese -> positional; Tromp-Taylor
    (TT) -> positional with suicide; AGA -> situational; NZ / New Zealand, GOE / Ing ->
    situational with suicide; Japanese, Korean or any text with "simple ko" -> simple ko;
    "suicide allowed" anywhere allows suicide. Unknown or absent: positional, no suicide."""
    t = (text or "").strip().lower()
    superko, suicide = "positional", False
    if t in ("tromp-taylor", "tromp taylor", "tt"):
        suicide = True
    elif t in ("aga",):
        superko = "situational"
    elif t in ("nz", "new zealand", "goe", "ing"):
        superko, suicide = "situational", True
    elif t in ("japanese", "korean", "jp") or "simple ko" in t:
        superko = "simple"
    if "suicide allowed" in t:
        suicide = True
    return Rules(komi=komi, superko=superko, suicide=suicide)


@dataclass
class GameRecord:
    """One game: see the table in the module docstring."""

    size: int = 19
    komi: float = 0.0
    setup_black: list[int] = field(default_factory=list)
    setup_white: list[int] = field(default_factory=list)
    moves: list[tuple[int, int]] = field(default_factory=list)
    result: str | None = None
    black_name: str | None = None
    white_name: str | None = None
    rules: str | None = None
    date: str | None = None
    comment: str | None = None
    move_comments: dict[int, str] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False, repr=False)
    """Where the record was read from (a file name, ``<bytes>``): named in errors."""

    @property
    def handicap(self) -> int:
        """The number of black setup stones (SGF ``HA`` when there is no ``AW``)."""
        return len(self.setup_black)

    # ------------------------------------------------------------------ <-> GameState
    @classmethod
    def from_game(cls, game: GameState, **fields) -> "GameRecord":
        """The record of ``game`` so far; ``result`` is set when the game is over. Extra
        keyword arguments set other fields (``black_name=...``, ``date=...``)."""
        record = cls(
            size=game.size,
            komi=game.rules.komi,
            setup_black=list(game.handicap),
            setup_white=list(game.setup_white),
            moves=[(int(c), int(a)) for c, a in game.history],
            result=game.result() if game.is_over() else None,
            rules=rules_to_text(game.rules),
        )
        for name, value in fields.items():
            if not hasattr(record, name):
                raise TypeError(f"GameRecord has no field {name!r}")
            setattr(record, name, value)
        return record

    def to_game(self, rules: Rules | None = None, board_cls=None,
                source: str | None = None) -> GameState:
        """Replay the record into a new GameState. ``rules`` default to
        ``rules_from_text(self.rules, self.komi)``. A resignation result (``B+R``) is
        replayed as a resignation. SGFError names the source (default: the file the
        record was read from) and the number of the first illegal move."""
        source = source or self.source or "<record>"
        if rules is None:
            rules = rules_from_text(self.rules, self.komi)
        try:
            game = GameState(self.size, rules, board_cls=board_cls)
        except ValueError as exc:
            raise SGFError(f"{source}: {exc}") from None
        if self.setup_black or self.setup_white:
            first = self.moves[0][0] if self.moves else None
            to_play = first if first in (BLACK, WHITE) else None
            try:
                game.setup_stones(self.setup_black, self.setup_white, to_play=to_play)
            except ValueError as exc:
                raise SGFError(f"{source}: bad setup stones: {exc}") from None
        for number, (color, action) in enumerate(self.moves, start=1):
            try:
                game.play_color(color, action)
            except GameOverError:
                raise SGFError(f"{source}: move {number} ({_describe(color, action, self.size)})"
                               f" comes after the game ended") from None
            except IllegalMoveError as exc:
                raise SGFError(f"{source}: move {number} ({_describe(color, action, self.size)})"
                               f" is illegal: {exc.reason}") from None
        result = (self.result or "").strip().upper()
        if result[:2] in ("B+", "W+") and result[2:] in ("R", "RESIGN") and not game.is_over():
            winner = BLACK if result[0] == "B" else WHITE
            game.resign(opponent(winner))
        return game


def _describe(color, action, size) -> str:
    try:
        return f"{color_name(color)} {to_gtp(action, size)}"
    except (KeyError, ValueError):
        return f"colour {color!r}, action {action!r}"


# ----------------------------------------------------------------------------- reading
def read_sgf(path_or_bytes: Union[str, os.PathLike, bytes]) -> GameRecord:
    """Read a record from a file path, or from the bytes of an SGF file."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return parse_sgf(bytes(path_or_bytes), source="<bytes>")
    path = os.fspath(path_or_bytes)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SGFError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_sgf(data, source=path)


def parse_sgf(data: Union[bytes, str], source: str | None = None) -> GameRecord:
    """Parse SGF text; only the first game of a collection and the main line of its
    variations are read.

    A ``str`` is text already: its characters are kept whatever its ``CA`` says. Bytes are
    decoded as their ``CA`` property says; without ``CA``, as UTF-8 when they are valid
    UTF-8 (what nearly every program writes today), else as Latin-1 (SGF's default)."""
    encoding = None
    if isinstance(data, str):
        source = source or "<string>"
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, say
            raise SGFError(f"{source}: not valid Unicode text: character {exc.start} is "
                           f"{data[exc.start]!r} ({exc.reason})") from None
        encoding = "UTF-8"
    source = source or "<bytes>"
    try:
        coarse = _sgf_grammar.parse_sgf_game(data)
        if encoding is None and "CA" not in coarse.sequence[0]:
            encoding = "UTF-8" if _is_utf8(data) else "ISO-8859-1"
        game = _sgf.Sgf_game.from_coarse_game_tree(coarse, override_encoding=encoding)
    except ValueError as exc:
        raise SGFError(f"{source}: not a valid SGF file: {exc}") from None
    root = game.get_root()
    try:
        if root.has_property("GM") and root.get("GM") != 1:
            raise SGFError(f"{source}: not a game of Go (GM[{root.get('GM')}])")
        size = game.get_size()
        try:
            check_size(size)
        except ValueError as exc:
            raise SGFError(f"{source}: {exc}") from None
        try:
            komi = float(game.get_komi())
        except ValueError:
            raise SGFError(f"{source}: bad KM (komi) value {root.get_raw('KM')!r}") from None
        record = GameRecord(size=size, komi=komi, source=source)
        record.result = _text(root, "RE")
        record.black_name = _text(root, "PB")
        record.white_name = _text(root, "PW")
        record.rules = _text(root, "RU")
        record.date = _text(root, "DT")
        record.comment = _text(root, "C") or _text(root, "GC")
    except SGFError:
        raise
    except ValueError as exc:
        raise SGFError(f"{source}: bad root property: {exc or 'invalid value'}") from None

    def point(rc) -> int:
        row, col = rc
        return from_rc(size - 1 - row, col, size)  # sgfmill counts rows from the bottom

    try:
        nodes = game.get_main_sequence()
    except ValueError as exc:
        raise SGFError(f"{source}: {exc}") from None
    for index, node in enumerate(nodes):
        where = "the root node" if index == 0 else f"node {index}"
        try:
            if node.has_setup_stones():
                if record.moves:
                    raise SGFError(f"{source}: setup stones (AB/AW/AE) in {where}, after "
                                   f"move {len(record.moves)}, are not supported")
                black, white, empty = node.get_setup_stones()
                if empty:
                    raise SGFError(f"{source}: AE in {where} is not supported")
                record.setup_black += sorted(point(p) for p in black)
                record.setup_white += sorted(point(p) for p in white)
            letter, rc = node.get_move()
            if letter is not None:
                action = size * size if rc is None else point(rc)
                record.moves.append((_LETTER_COLOR[letter], action))
                if index and node.has_property("C"):
                    record.move_comments[len(record.moves)] = node.get("C")
        except SGFError:
            raise
        except ValueError as exc:
            number = len(record.moves) + 1
            reason = _point_problem(node, size) or str(exc) or "invalid point"
            raise SGFError(f"{source}: bad move or setup point in {where} (move {number}): "
                           f"{reason}") from None
    return record


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _point_problem(node, size: int) -> str | None:
    """Why a move or setup property of ``node`` is not a point of the board (sgfmill's
    ValueError carries no message), or None when none of them is the culprit."""
    last = chr(ord("a") + size - 1)
    for name in ("B", "W", "AB", "AW", "AE"):
        if not node.has_property(name):
            continue
        for raw in node.get_raw_list(name):
            text = raw.decode("latin-1")
            if name in ("B", "W") and (raw == b"" or (raw == b"tt" and size <= 19)):
                continue  # a pass
            if name not in ("B", "W") and raw == b"":
                return f"{name}[] is not a point (a setup stone cannot be a pass)"
            corners = text.split(":") if name not in ("B", "W") else [text]
            if len(corners) > 2:
                return f"{name}[{text}] is not a point or a rectangle of points"
            for corner in corners:
                if len(corner) != 2 or not corner.isascii() or not corner.isalpha() \
                        or not corner.islower():
                    return f"{name}[{text}] is not a point (two letters a..{last})"
                if max(corner) > last:
                    return f"{name}[{text}] is off the {size}x{size} board (a..{last})"
            if len(corners) == 2:
                (c1, r1), (c2, r2) = corners
                if c1 > c2 or r1 > r2:
                    return (f"{name}[{text}] is not a rectangle (the top-left corner "
                            f"comes first)")
    return None


def _text(node, name: str) -> str | None:
    if not node.has_property(name):
        return None
    value = node.get(name)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value)


# ----------------------------------------------------------------------------- writing
def to_sgf_bytes(record: GameRecord) -> bytes:
    """The record as SGF (UTF-8)."""
    size = check_size(record.size)
    game = _sgf.Sgf_game(size)
    root = game.get_root()

    def rc(action: int):
        where = to_rc(action, size)  # ValueError when off the board
        if where is None:
            return None
        row, col = where
        return (size - 1 - row, col)

    root.set("AP", _APP)
    root.set("KM", float(record.komi))
    if record.rules:
        root.set("RU", record.rules)
    if record.setup_black or record.setup_white:
        points = [rc(a) for a in (*record.setup_black, *record.setup_white)]
        if None in points:
            raise ValueError("a setup stone cannot be a pass")
        root.set_setup_stones([rc(a) for a in record.setup_black],
                              [rc(a) for a in record.setup_white])
        if record.setup_black and not record.setup_white:
            root.set("HA", len(record.setup_black))
    for name, value in (("RE", record.result), ("PB", record.black_name),
                        ("PW", record.white_name), ("DT", record.date),
                        ("C", record.comment)):
        if value:
            root.set(name, value)
    for number, (color, action) in enumerate(record.moves, start=1):
        if color not in _COLOR_LETTER:
            raise ValueError(f"move {number}: colour must be BLACK or WHITE, got {color!r}")
        node = game.extend_main_sequence()
        node.set_move(_COLOR_LETTER[color], rc(action))
        text = record.move_comments.get(number)
        if text:
            node.set("C", text)
    return game.serialise()


def write_sgf(record: GameRecord, path: Union[str, os.PathLike]) -> Path:
    """Write the record to ``path`` atomically (a temporary file in the same folder, then
    ``os.replace``): a reader never sees a half-written file. Returns the path."""
    path = Path(path)
    atomic_write_bytes(path, to_sgf_bytes(record))
    return path
