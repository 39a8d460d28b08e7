"""The preview's own copy of an email: local images, nothing fetched from the web, a chosen scheme.

Only this copy is changed; the built email (and the HTML source tab) stay exactly as sent.
"""

from __future__ import annotations

import html as htmllib
import re

LOCAL_IMAGES = "/images/"
BLOCKED_IMAGE = "/_/blocked-image.svg"
SCHEMES = ("light", "dark")

_PREFERS = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(light|dark)\s*\)", re.IGNORECASE)
_ALWAYS = "(min-width: 0px)"
_NEVER = "(max-width: 0px)"  # no email is shown 0 px wide
_REMOTE_STYLESHEET = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE
)
_REMOTE_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*;", re.IGNORECASE)
_REMOTE_SRC = re.compile(
    r"(\b(?:src|background|poster)\s*=\s*[\"'])(?:https?:)?//[^\"']*([\"'])", re.IGNORECASE
)
_REMOTE_CSS_URL = re.compile(r"url\(\s*([\"']?)(?:https?:)?//[^)\"']*\1\s*\)", re.IGNORECASE)
_SRCSET = re.compile(r"\s\bsrcset\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


def preview_copy(html: str, images_base_url: str, scheme: str = "light") -> str:
    """The email as the preview shows it.

    Images under the clinic's images address come from the local /images/ route; any other
    remote image, stylesheet or font is replaced or dropped, so the page makes no request that
    leaves the machine. `prefers-color-scheme` rules are switched on or off for `scheme`, so
    light and dark can be seen side by side whatever the computer's own setting is.
    """
    html = _local_images(html, images_base_url)
    html = _REMOTE_STYLESHEET.sub("", html)
    html = _REMOTE_IMPORT.sub("", html)
    html = _SRCSET.sub("", html)
    html = _REMOTE_SRC.sub(lambda m: f"{m.group(1)}{BLOCKED_IMAGE}{m.group(2)}", html)
    html = _REMOTE_CSS_URL.sub(f"url({BLOCKED_IMAGE})", html)
    html = emulate_scheme(html, scheme)
    return _open_links_outside(html)


def emulate_scheme(html: str, scheme: str) -> str:
    """Make `@media (prefers-color-scheme: ...)` rules match `scheme` and only it."""
    wanted = scheme if scheme in SCHEMES else "light"
    return _PREFERS.sub(lambda m: _ALWAYS if m.group(1).lower() == wanted else _NEVER, html)


def _local_images(html: str, images_base_url: str) -> str:
    base = images_base_url.rstrip("/") + "/"
    variants = {base, htmllib.escape(base)}
    pattern = re.compile(
        r"(\b(?:src|background)\s*=\s*[\"']|url\(\s*[\"']?)("
        + "|".join(re.escape(v) for v in variants)
        + r")([^\"')\s>]+)",
        re.IGNORECASE,
    )

    def local(match: re.Match[str]) -> str:
        from ..confine import url_path

        ref = htmllib.unescape(match.group(3))
        return f"{match.group(1)}{LOCAL_IMAGES}{url_path(ref)}"

    return pattern.sub(local, html)


def _open_links_outside(html: str) -> str:
    """Links in the email open in a new tab instead of replacing the preview's frame."""
    head = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
    tag = '<base target="_blank">'
    if head is None:
        return tag + html
    return html[: head.end()] + tag + html[head.end() :]
