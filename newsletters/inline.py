"""Stage 5: premailer inlines the template's own email CSS, and nothing else.

MRML's head styles (resets, media queries, Outlook conditionals) stay as they are, as node
MJML leaves them; only `<mj-style inline="inline">` CSS is copied onto elements, because
Gmail and Outlook drop or ignore much of a `<style>` block. Premailer's traps (see
shared/email-notes.md) are handled here: it must keep `!important`, the doctype and the
images' width attributes, and must never reach the network.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

DOCTYPE = "<!doctype html>"
_STYLE_TAG = re.compile(r"<style(?=[\s>])")


_guarded = False


def _refuse_fetching() -> None:
    """cssutils fetches @import URLs with no timeout, even with allow_network=False: never."""
    global _guarded
    if _guarded:
        return
    import cssutils

    original = cssutils.CSSParser.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["fetcher"] = lambda url: (None, None)
        original(self, *args, **kwargs)

    cssutils.CSSParser.__init__ = init
    _guarded = True


class _NoNetwork:
    """premailer's HTTP session: a build never fetches anything."""

    def get(self, url: str, *args: Any, **kwargs: Any) -> Any:
        raise OSError(f"a build does not fetch {url}")


class _RequestsOnDemand(types.ModuleType):
    """Stands in for `requests` in premailer's namespace, importing it on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("requests"), name)


_premailer_class: Any = None


def _premailer() -> Any:
    """Premailer, remembering how it parsed each CSS text: premailer parses the same template
    CSS into rules on every call (~40% of inlining). The rules depend only on the CSS and on
    options this module never changes, and callers only read them."""
    global _premailer_class
    if _premailer_class is None:
        base = _import_premailer()
        parsed: dict[tuple[str, int], tuple[list[Any], list[Any]]] = {}

        class CachedPremailer(base):  # type: ignore[misc,valid-type]
            def _parse_style_rules(self, css_body: str, ruleset_index: int) -> Any:
                key = (css_body, ruleset_index)
                if key not in parsed:
                    if len(parsed) > 64:
                        parsed.clear()
                    parsed[key] = super()._parse_style_rules(css_body, ruleset_index)
                rules, leftover = parsed[key]
                return list(rules), list(leftover)

        _premailer_class = CachedPremailer
    return _premailer_class


def _import_premailer() -> Any:
    """premailer imports requests (~30 ms of a cold build) only to fetch external CSS, which a
    build never does (it gets _NoNetwork). Import premailer with a stand-in that loads requests
    on demand; the stand-in is gone from sys.modules afterwards, so others get the real one."""
    if "premailer" not in sys.modules and "requests" not in sys.modules:
        stand_in = _RequestsOnDemand("requests")
        sys.modules["requests"] = stand_in
        try:
            import premailer
        finally:
            if sys.modules.get("requests") is stand_in:
                del sys.modules["requests"]
    import premailer

    return premailer.Premailer


@contextlib.contextmanager
def _without_value_validation() -> Iterator[None]:
    """cssutils checks every property value against its CSS profiles even when premailer is told
    not to validate (for style attributes). The check only logs, which we silence anyway, and
    its first use compiles a huge regex: ~40 ms of every cold build. Off while we inline only."""
    import cssutils

    prop = cssutils.css.Property
    saved = prop.__dict__["_isValidating"]
    prop._isValidating = lambda self: False
    try:
        yield
    finally:
        prop._isValidating = saved


def inline_css(html: str, css: str) -> str:
    """Copy `css` onto the elements it selects; leave MRML's own <style> blocks untouched."""
    if not css.strip():
        return html
    Premailer = _premailer()

    marked = _STYLE_TAG.sub('<style data-premailer="ignore"', html)
    _refuse_fetching()
    with _without_value_validation():
        result: str = Premailer(
            marked,
            css_text=css,
            allow_network=False,
            strip_important=False,
            keep_style_tags=False,  # True appends a second copy of `css` to the head
            remove_classes=False,
            disable_validation=True,
            disable_basic_attributes=["width", "height", "align", "bgcolor", "valign"],
            cssutils_logging_level=logging.CRITICAL,
            session=_NoNetwork(),
        ).transform()
    result = result.replace(' data-premailer="ignore"', "")
    if not result.lstrip().lower().startswith("<!doctype"):
        result = DOCTYPE + "\n" + result
    return result
