"""Merge tags: per-reader values (unsubscribe link, first name...) that survive the pipeline.

Templates never write a platform's syntax. They write `{{ merge.unsubscribe_url }}`, which
renders as an opaque placeholder made only of characters that Jinja, MJML and premailer
leave alone. After inlining, `substitute` puts in the real values: the clinic's own URLs for
`build`, a platform's tags for `export`, a reader's data for `send`.
"""

from __future__ import annotations

import html
import re
import secrets
import string
import sys
from collections.abc import Mapping

TAGS = ("unsubscribe_url", "web_version_url", "preferences_url", "first_name")

# Placeholders carry a secret drawn when the program starts, so text typed into content (an
# article quoting `__NL_MERGE_UNSUBSCRIBE_URL__`) can never pass for one: it stays plain text.
# Letters only, so the placeholder is still made of characters every stage leaves alone.
# One per process, even when this module is imported a second time (tests reload packages):
# kept in the sys module's namespace, which lives as long as the process.
NONCE: str = vars(sys).setdefault(
    "_newsletters_merge_nonce",
    "".join(secrets.choice(string.ascii_uppercase) for _ in range(16)),
)
PREFIX = f"__NL_MERGE_{NONCE}_"

_PATTERN = re.compile(rf"{PREFIX}([A-Z_]+?)__")


def placeholder(name: str) -> str:
    return f"{PREFIX}{name.upper()}__"


def portable(document: str) -> str:
    """The document with this run's placeholders in their fixed spelling, `__NL_MERGE_NAME__`,
    for files kept on disk (email.mjml): the same bytes from every run."""
    return _PATTERN.sub(lambda m: f"__NL_MERGE_{m.group(1)}__", document)


def readable(text: str) -> str:
    """Text for people (a finding quoting the email): each placeholder as `[first name]`."""
    return _PATTERN.sub(lambda m: f"[{m.group(1).lower().replace('_', ' ')}]", text)


PLACEHOLDERS = {name: placeholder(name) for name in TAGS}


def substitute(
    document: str, values: Mapping[str, str], *, escape: bool, partial: bool = False
) -> str:
    """Replace the placeholders; `escape` for HTML. A placeholder without a value is a bug,
    unless `partial` (the values an issue shares, before each reader's are known)."""
    missing = [name for name in TAGS if placeholder(name) in document and name not in values]
    if missing and not partial:
        raise KeyError(f"no value for merge tags: {', '.join(missing)}")

    def value(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name not in values:
            return match.group(0)
        text = values[name]
        return html.escape(text, quote=True) if escape else text

    return _PATTERN.sub(value, document)


def used(document: str) -> list[str]:
    """The merge tags a rendered document uses, in TAGS order."""
    return [name for name in TAGS if placeholder(name) in document]
