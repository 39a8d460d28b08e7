"""Columns of the plain-text part as a reader's mail client shows them.

Chinese, Japanese and Korean characters take two columns in a monospaced font, combining
marks none; and text in those scripts has no spaces, so a line may break between any two of
its characters (except before closing punctuation such as 。 or 」, and after opening
punctuation such as 「). Python's `len` and `textwrap` count characters and break only at
spaces: a Japanese paragraph came out as one line hundreds of columns wide, and a heading's
underline half as long as the heading. Text with no wide characters takes `textwrap`'s path
unchanged, so Latin-script output stays byte-identical.
"""

from __future__ import annotations

import functools
import textwrap
import unicodedata

# Closing punctuation that must not start a line; opening punctuation that must not end one
# (the common core of the Japanese kinsoku rules, also used for Chinese).
_NO_LINE_START = frozenset(
    "、。，．・：；？！）」』】〕〉》〗〙〛ー…‥々〜ゝゞ"
    "ァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ%,.:;!?)]}"
)
_NO_LINE_END = frozenset("（「『【〔〈《〖〘〚([{")


@functools.lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Columns one character takes: 2 for East Asian wide/full-width, 0 for combining marks."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def has_wide(text: str) -> bool:
    """True when some character does not take exactly one column (the slow path is needed)."""
    return not text.isascii() and any(char_width(c) != 1 for c in text)


def width(text: str) -> int:
    """Columns `text` takes on one line."""
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def ljust(text: str, columns: int) -> str:
    return text + " " * max(columns - width(text), 0)


def rjust(text: str, columns: int) -> str:
    return " " * max(columns - width(text), 0) + text


def center(text: str, columns: int) -> str:
    """As str.center: the odd space goes to the right when the text's width is even."""
    pad = max(columns - width(text), 0)
    left = pad // 2 + (pad & columns & 1)
    return " " * left + text + " " * (pad - left)


def _is_breakable_wide(char: str) -> bool:
    return char_width(char) == 2


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Break opportunities: (piece, space_before). Words split at spaces; a run of wide
    characters splits between any two of them, kinsoku rules kept."""
    pieces: list[tuple[str, bool]] = []
    for n, word in enumerate(text.split()):
        start = len(pieces)
        current = ""
        for char in word:
            breakable = current and (_is_breakable_wide(char) or _is_breakable_wide(current[-1]))
            if breakable and char not in _NO_LINE_START and current[-1] not in _NO_LINE_END:
                pieces.append((current, False))
                current = ""
            current += char
        if current:
            pieces.append((current, False))
        if n and len(pieces) > start:
            pieces[start] = (pieces[start][0], True)
    return pieces


def fill(text: str, columns: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """textwrap.fill(break_long_words=False, break_on_hyphens=False), counting columns.

    Only text with wide characters takes the column-counting path."""
    if not has_wide(text + initial_indent + subsequent_indent):
        return textwrap.fill(
            text,
            width=columns,
            initial_indent=initial_indent,
            subsequent_indent=subsequent_indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
    lines: list[str] = []
    line, used, indent = initial_indent, width(initial_indent), initial_indent
    empty = True
    for piece, space_before in _pieces(text):
        gap = " " if space_before and not empty else ""
        needed = width(gap) + width(piece)
        if not empty and used + needed > columns:
            lines.append(line)
            indent = subsequent_indent
            line, used, empty, gap = indent, width(indent), True, ""
            needed = width(piece)
        line += gap + piece
        used += needed
        empty = False
    if not empty:
        lines.append(line)
    return "\n".join(lines)
