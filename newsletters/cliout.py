"""How the command line shows things to people: colour only where it helps and is wanted."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO, Any

# Where a finding or problem line gets its colour: by severity, the same for every command.
SEVERITY_STYLE: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow"},
}


def colour_wanted(stream: IO[Any], environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, severity: str, stream: IO[Any] | None = None) -> str:
    """`text` coloured for its severity when `stream` (default stderr) is a colour terminal."""
    style = SEVERITY_STYLE.get(severity)
    if style is None or not colour_wanted(stream if stream is not None else sys.stderr):
        return text
    import click

    return click.style(text, **style)
