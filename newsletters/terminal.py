"""Text made safe for a terminal: everything the CLI prints goes through `clean`.

Values from clinic.yaml, CSV cells, file names, server replies and command-line arguments are
echoed in messages. A control character among them could move the cursor, clear the screen,
retitle the window, hide a line or fake another (ESC sequences, carriage returns, bidi
overrides). Each is shown as `?` instead, so the message stays readable and nothing runs.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode controls that reorder
# or hide text (bidi embeddings, overrides and isolates, line/paragraph separators).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     r"\u2028\u2029]")  # fmt: skip
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def clean(text: str, *, keep_colour: bool = False) -> str:
    """`text` with every control character shown as '?'. With `keep_colour`, the colour codes
    this program adds (SGR: ESC [ ... m) stay; content cannot hold ESC, the loader refuses it."""
    if not keep_colour:
        return _UNSAFE.sub("?", text)
    parts = _SGR.split(text)
    codes = _SGR.findall(text)
    out = [_UNSAFE.sub("?", parts[0])]
    for code, part in zip(codes, parts[1:], strict=True):
        out.append(code + _UNSAFE.sub("?", part))
    return "".join(out)
