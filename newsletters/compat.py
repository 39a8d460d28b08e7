"""Compatibility report: which HTML and CSS features an email uses that the main clients do
not support, or support only partly, with caniemail's notes. Offline: the data ships with the
package (newsletters/data/caniemail.json, pinned and dated; `scripts/refresh-caniemail.py`
refreshes it). The data is caniemail's (see LICENCE in that file), by Rémi Parmentier and
contributors.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

# (caniemail family, platform, the name people know it by)
CLIENTS: tuple[tuple[str, str, str], ...] = (
    ("gmail", "desktop-webmail", "Gmail (web)"),
    ("gmail", "ios", "Gmail (iOS)"),
    ("gmail", "android", "Gmail (Android)"),
    ("outlook", "windows", "Outlook for Windows (classic)"),
    ("outlook", "outlook-com", "Outlook.com and new Outlook for Windows"),
    ("outlook", "macos", "Outlook for Mac"),
    ("apple-mail", "macos", "Apple Mail (macOS)"),
    ("apple-mail", "ios", "Apple Mail (iOS)"),
    ("yahoo", "desktop-webmail", "Yahoo Mail"),
)

_CSS = r"(?:^|[;{\s\"'])"
_SPACE = rb"[\t\n\v\f\r\x1c-\x20\x80-\xff]*"  # what `\s*` matches, in UTF-8 bytes
# caniemail feature id -> how to see it in a built email's HTML (styles and markup), and what
# every match of that pattern contains in the email's UTF-8 bytes lowercased (texts, or a
# bytes pattern; one of them is enough): a quick first look that skips the slow
# case-insensitive search of the whole email for the features it does not use. `re.I` also
# matches four non-ASCII letters to i, s and k (see _FOLDED); `\s` any Unicode space.
FEATURES: dict[str, tuple[str, tuple[bytes | re.Pattern[bytes], ...]]] = {
    "css-margin": (_CSS + r"margin(?:-[a-z]+)?\s*:", (b"margin",)),
    "css-padding": (_CSS + r"padding(?:-[a-z]+)?\s*:", (b"padding",)),
    "css-max-width": (_CSS + r"max-width\s*:", (b"max-width",)),
    "css-max-height": (_CSS + r"max-height\s*:", (b"max-height",)),
    "css-border-radius": (_CSS + r"border-radius\s*:", (b"border-radius",)),
    "css-background-image": (r"background-image\s*:|url\(", (b"background-image", b"url(")),
    "css-position": (_CSS + r"position\s*:", (b"position",)),
    "css-display-none": (r"display\s*:\s*none", (b"display",)),
    "css-box-shadow": (r"box-shadow\s*:", (b"box-shadow",)),
    "css-at-media": (r"@media\b", (b"@media",)),
    "css-at-media-prefers-color-scheme": (r"prefers-color-scheme", (b"prefers-color-scheme",)),
    "css-at-import": (r"@import\b", (b"@import",)),
    "css-at-font-face": (r"@font-face\b", (b"@font-face",)),
    "css-word-break": (r"word-break\s*:", (b"word-break",)),
    "css-overflow-wrap": (r"overflow-wrap\s*:", (b"overflow-wrap",)),
    "css-overflow": (_CSS + r"overflow\s*:", (b"overflow",)),
    "css-text-transform": (r"text-transform\s*:", (b"text-transform",)),
    "css-letter-spacing": (r"letter-spacing\s*:", (b"letter-spacing",)),
    "css-important": (r"!important", (b"!important",)),
    "css-selector-attribute": (
        r"[a-z\]]\[[a-z-]+\]\s*[{,]",
        (re.compile(rb"\]" + _SPACE + rb"[{,]"),),
    ),
    "css-border-collapse": (r"border-collapse\s*:", (b"border-collapse",)),
    "css-table-layout": (r"table-layout\s*:", (b"table-layout",)),
    "css-cursor": (r"cursor\s*:", (b"cursor",)),
    "css-display": (_CSS + r"display\s*:\s*(?:inline-block|table-cell|flex|grid)", (b"display",)),
    "html-style": (r"<style\b", (b"<style",)),
    "html-meta-color-scheme": (r"<meta\s+name=\"color-scheme\"", (b"<meta",)),
    "html-link": (r"<link\b", (b"<link",)),
    "html-role": (r"\srole=\"", (b'role="',)),
    "html-aria-hidden": (r"\saria-hidden=\"", (b'aria-hidden="',)),
    "html-lists": (r"<(?:ul|ol)\b", (b"<ul", b"<ol")),
}

_FOLDED = ("\u0130", "\u0131", "\u017f", "\u212a")  # İ ı ſ K: i, i, s, k under re.I

_LABELS = {"a": "partial", "n": "not supported", "u": "unknown"}


@dataclass(frozen=True)
class Gap:
    """One client that does not fully support a feature the email uses."""

    client: str
    support: str  # "partial", "not supported" or "unknown"
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    feature: str
    title: str
    url: str
    gaps: tuple[Gap, ...]


@functools.cache
def data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data", "caniemail.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {fid: re.compile(p, re.I | re.M) for fid, (p, _) in FEATURES.items()}


def report(html: str) -> list[Issue]:
    """The features `html` uses that some main client supports partly or not at all."""
    features = data()["features"]
    names = {f"{family}.{platform}": name for family, platform, name in CLIENTS}
    out = []
    lowered = (
        None if any(c in html for c in _FOLDED) else html.encode("utf-8", "surrogatepass").lower()
    )
    for fid, pattern in sorted(_patterns().items()):
        info = features.get(fid)
        if info is None:
            continue
        start = _first_possible(html, lowered, fid)
        if start is None or not pattern.search(html, start):
            continue
        support = info["support"]
        gaps = tuple(
            Gap(names[key], _LABELS[support[key]["support"]], tuple(support[key]["notes"]))
            for key in names
            if key in support and support[key]["support"] in _LABELS
        )
        if gaps:
            out.append(Issue(fid, info["title"], info["url"], gaps))
    return out


def _first_possible(html: str, lowered: bytes | None, fid: str) -> int | None:
    """Where in `html` a match of the feature's pattern can start at the earliest, or None
    when the email cannot use the feature (none of its hints is in it). A match starts at
    most one character before its text hint (`_CSS`, or `\\s` before the word); a bytes
    pattern hint only says whether, not where."""
    if lowered is None:
        return 0
    first: int | None = None
    for hint in FEATURES[fid][1]:
        if isinstance(hint, bytes):
            at = lowered.find(hint)
            if at >= 0 and (first is None or at < first):
                first = at
        elif hint.search(lowered) is not None:
            return 0
    if first is None:
        return None
    # An ASCII byte starts a character: the characters before it are the text before it.
    return max(0, len(lowered[:first].decode("utf-8", "surrogatepass")) - 1)


def to_json(issues: list[Issue]) -> dict[str, Any]:
    """The `compatibility` section of `newsletter lint --format json`."""
    meta = data()
    return {
        "source": meta["source"],
        "commit": meta["commit"],
        "date": meta["date"],
        "licence": meta["licence"],
        "attribution": meta["attribution"],
        "features": [
            {
                "feature": i.feature,
                "title": i.title,
                "url": i.url,
                "clients": [
                    {"client": g.client, "support": g.support, "notes": list(g.notes)}
                    for g in i.gaps
                ],
            }
            for i in issues
        ],
    }


def summary(issues: list[Issue]) -> str:
    """One line for `newsletter lint`'s text output."""
    if not issues:
        return "Compatibility: every feature this email uses works in the main clients."
    partly = sorted({g.client for i in issues for g in i.gaps})
    meta = data()
    return (
        f"Compatibility: {len(issues)} feature{'s' if len(issues) != 1 else ''} of this email "
        f"work only partly in {len(partly)} client{'s' if len(partly) != 1 else ''} "
        f"(caniemail data of {meta['date']}); details: newsletter lint --format json"
    )
