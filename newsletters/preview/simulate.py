"""Client simulations for the preview: what the main inbox families do to an email.

Each mode rewrites the preview's copy of the email the way a client family is documented to
treat it, as far as a browser can show it. They are approximations, never screenshots of the
real clients; every rule names its source (a caniemail feature id, or the client's documented
behaviour) and docs/inboxes.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MODES = ("gmail", "gmail-app", "forced-dark", "images-off", "outlook")


@dataclass(frozen=True)
class SimRule:
    """One thing a client does, with where that is written down."""

    what: str
    source: str


RULES: dict[str, tuple[SimRule, ...]] = {
    "gmail": (
        SimRule(
            "keeps the head <style> only when all of it is under 16 KB",
            "Gmail's CSS documentation; caniemail html-style",
        ),
        SimRule("drops negative margins from styles", "caniemail css-margin (Gmail notes)"),
        SimRule("drops position other than static/relative, and cursor", "caniemail css-position"),
        SimRule(
            "ignores @media (prefers-color-scheme) and the color-scheme meta",
            "caniemail css-at-media-prefers-color-scheme, html-meta-color-scheme",
        ),
    ),
    "gmail-app": (
        SimRule(
            "removes every <style> block (Gmail apps with non-Google accounts, GANGA)",
            "caniemail html-style (Gmail iOS/Android, non-Google accounts)",
        ),
        SimRule("drops negative margins from styles", "caniemail css-margin (Gmail notes)"),
        SimRule("drops position other than static/relative, and cursor", "caniemail css-position"),
    ),
    "forced-dark": (
        SimRule(
            "inverts every colour except images (full inversion, as Gmail's apps and Outlook "
            "for Windows approximately do); ignores prefers-color-scheme",
            "caniemail css-at-media-prefers-color-scheme (Gmail apps, Outlook for Windows "
            "ignore it and recolour the email themselves)",
        ),
    ),
    "images-off": (
        SimRule(
            "blocks every image and shows its alt text in the image's own styles",
            "Outlook for Windows and Outlook.com block images by default in many set-ups",
        ),
    ),
    "outlook": (
        SimRule(
            "renders the <!--[if mso]> blocks and hides the <!--[if !mso]> ones",
            "Microsoft's conditional comments (Word rendering engine)",
        ),
        SimRule("drops negative margins", "caniemail css-margin (Outlook Windows)"),
        SimRule("ignores padding outside table cells", "caniemail css-padding (Outlook Windows)"),
        SimRule("ignores max-width", "caniemail css-max-width (Outlook Windows)"),
        SimRule("ignores border-radius", "caniemail css-border-radius (Outlook Windows)"),
        SimRule(
            "ignores CSS background images", "caniemail css-background-image (Outlook Windows)"
        ),
        SimRule("hides what mso-hide:all hides", "Microsoft's Office HTML reference"),
        SimRule(
            "ignores @media queries (the email keeps its 600 px desktop layout)",
            "caniemail css-at-media (Outlook Windows)",
        ),
        SimRule(
            "uses mso-padding-alt as a cell's padding (how MJML pads Outlook's buttons)",
            "Microsoft's Office HTML reference; MJML's mj-button output",
        ),
    ),
}

STYLE_LIMIT = 16 * 1024
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.S | re.I)
_STYLE_ATTR = re.compile(r'(<([a-zA-Z0-9]+)\b[^>]*?\sstyle=")([^"]*)(")', re.S)
_DECLARATION = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]*)")
_MEDIA = re.compile(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", re.S | re.I)
_MEDIA_STYLE = re.compile(r"<style\b[^>]*\bmedia=[^>]*>.*?</style>", re.S | re.I)
_PREFERS_DARK = re.compile(
    r"@media[^{]*prefers-color-scheme[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", re.S | re.I
)
_SCHEME_META = re.compile(r'<meta\s+name="(?:supported-)?color-scheme"[^>]*>', re.I)
_MSO_ONLY = re.compile(r"<!--\[if (?:mso|mso \| IE|lte mso \d+)\]>(.*?)<!\[endif\]-->", re.S)
_NOT_MSO = re.compile(r"<!--\[if !mso\]><!-->(.*?)<!--<!\[endif\]-->", re.S)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r'\ssrc="[^"]*"', re.I)
_CELLS = frozenset({"td", "th"})


def simulate(html: str, mode: str) -> str:
    """The preview copy as `mode` would show it; an unknown mode changes nothing."""
    transform = _MODES.get(mode)
    return transform(html) if transform else html


def _edit_styles(html: str, keep: Callable[[str, str, str], bool]) -> str:
    """Drop each inline declaration for which keep(tag, property, value) is False."""

    def one(match: re.Match[str]) -> str:
        tag = match.group(2).lower()
        kept = [
            f"{prop}:{value.strip()}"
            for prop, value in _DECLARATION.findall(match.group(3))
            if keep(tag, prop.lower(), value.strip().lower())
        ]
        return match.group(1) + ";".join(kept) + match.group(4)

    return _STYLE_ATTR.sub(one, html)


def _negative_margin(prop: str, value: str) -> bool:
    return prop.startswith("margin") and bool(re.search(r"(^|\s)-\d", value))


def _gmail_inline(tag: str, prop: str, value: str) -> bool:
    if _negative_margin(prop, value) or prop == "cursor":
        return False
    return not (prop == "position" and value not in ("static", "relative"))


def _gmail_head(css: str) -> str:
    return _PREFERS_DARK.sub("", css)


def gmail(html: str) -> str:
    blocks = _STYLE_BLOCK.findall(html)
    if sum(len(b.encode("utf-8")) for b in blocks) > STYLE_LIMIT:
        html = _STYLE_BLOCK.sub("", html)
    else:
        html = _STYLE_BLOCK.sub(lambda m: _gmail_head(m.group(0)), html)
    html = _SCHEME_META.sub("", html)
    return _edit_styles(html, _gmail_inline)


def gmail_app(html: str) -> str:
    html = _STYLE_BLOCK.sub("", html)
    html = _SCHEME_META.sub("", html)
    return _edit_styles(html, _gmail_inline)


_INVERT = (
    "<style>html{background:#FFFFFF;filter:invert(1) hue-rotate(180deg);}"
    "img{filter:invert(1) hue-rotate(180deg);}</style>"
)


def forced_dark(html: str) -> str:
    html = _STYLE_BLOCK.sub(lambda m: _PREFERS_DARK.sub("", m.group(0)), html)
    html = _SCHEME_META.sub("", html)
    return _at_head_end(html, _INVERT)


def images_off(html: str) -> str:
    return _IMG.sub(lambda m: _SRC.sub("", m.group(0)), html)


def _outlook_inline(tag: str, prop: str, value: str) -> bool:
    if _negative_margin(prop, value) or prop in ("max-width", "border-radius"):
        return False
    if prop.startswith("padding") and tag not in _CELLS:
        return False
    return not (prop == "background-image" or (prop == "background" and "url(" in value))


def outlook(html: str) -> str:
    html = _NOT_MSO.sub("", html)
    html = _MSO_ONLY.sub(lambda m: m.group(1), html)
    html = _edit_styles(html, _outlook_inline)
    html = re.sub(r"mso-hide\s*:\s*all", "display:none", html)
    html = re.sub(r"mso-padding-alt\s*:", "padding:", html)
    html = _MEDIA_STYLE.sub("", html)
    html = _STYLE_BLOCK.sub(
        lambda m: re.sub(
            r"max-width\s*:[^;}]*;?|border-radius\s*:[^;}]*;?", "", _MEDIA.sub("", m.group(0))
        ),
        html,
    )
    return html


def _at_head_end(html: str, extra: str) -> str:
    at = html.lower().find("</head>")
    return html[:at] + extra + html[at:] if at >= 0 else extra + html


_MODES: dict[str, Callable[[str], str]] = {
    "gmail": gmail,
    "gmail-app": gmail_app,
    "forced-dark": forced_dark,
    "images-off": images_off,
    "outlook": outlook,
}
