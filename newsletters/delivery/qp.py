"""Quoted-printable bodies, encoded once per issue and filled in per reader.

A list send used to encode each reader's whole HTML and text (binascii.b2a_qp, ~0.75 ms for
a 75 KB issue) although only the few lines holding a merge tag differ between readers.
b2a_qp works line by line: a line break resets its line length, whitespace and a lone "."
are judged against the next byte only, and its soft line breaks copy the style of the
first line break in its input. So a body's lines without a merge tag are encoded once, in
the same surroundings they have in the whole body (a CRLF before them, and a CRLF after
them unless they end it), and each reader's lines are encoded the same way and joined in:
the bytes are exactly those of `quoted_printable` on the whole filled-in body. Whenever that
reasoning could fail (a value holding a line break, a body without one, a lone CR next to a
tag, a last line left empty), the whole body is encoded as before.
tests/test_qp_bodies.py compares both on thousands of generated bodies and values.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from .. import merge


def quoted_printable(body: str) -> bytes:
    """The body with CRLF line ends, no trailing line break, quoted-printable (RFC 2045)."""
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n").rstrip("\r\n")
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


def _encoded_lines(text: str, last: bool) -> bytes:
    """Whole lines (CRLF between) encoded as they are inside a longer CRLF body."""
    data = ("\r\n" + text + ("" if last else "\r\n")).encode("utf-8")
    encoded = binascii.b2a_qp(data, istext=True)
    return encoded[2:] if last else encoded[2:-2]


@dataclass(frozen=True)
class Body:
    """A body with merge tags: its lines without one already encoded, the rest kept as text."""

    template: str
    escape: bool  # HTML-escape the values (the HTML body)
    pieces: tuple[bytes | str, ...] | None  # joined by CRLF; None: encode the whole body

    @classmethod
    def of(cls, template: str, *, escape: bool) -> Body:
        crlf = template.replace("\r\n", "\n").replace("\n", "\r\n").rstrip("\r\n")
        if "\r\n" not in crlf or crlf.count("\r") != crlf.count("\r\n"):
            return cls(template, escape, None)  # one line, or a lone CR: no shortcut
        lines = crlf.split("\r\n")
        pieces: list[bytes | str] = []
        run: list[str] = []
        for line in lines:
            if merge.PREFIX in line:
                if run:
                    pieces.append(_encoded_lines("\r\n".join(run), last=False))
                    run = []
                pieces.append(line)
            else:
                run.append(line)
        if run:
            pieces.append(_encoded_lines("\r\n".join(run), last=True))
        return cls(template, escape, tuple(pieces))

    def fill(self, values: Mapping[str, str]) -> bytes:
        """Exactly quoted_printable(merge.substitute(template, values, escape=...))."""
        if self.pieces is None or any("\r" in v or "\n" in v for v in values.values()):
            return self._whole(values)
        out: list[bytes] = []
        end = len(self.pieces) - 1
        for index, piece in enumerate(self.pieces):
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            line = merge.substitute(piece, values, escape=self.escape)
            if index == end and not line:
                return self._whole(values)  # the whole body would lose its last line breaks
            out.append(_encoded_lines(line, last=index == end))
        return b"\r\n".join(out)

    def _whole(self, values: Mapping[str, str]) -> bytes:
        return quoted_printable(merge.substitute(self.template, values, escape=self.escape))
