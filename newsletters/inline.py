"""Stage 5: premailer inlines the template's own email CSS, and nothing else.

MRML's head styles (resets, media queries, Outlook conditionals) stay as they are, as node
MJML leaves them; only `<mj-style inline="inline">` CSS is copied onto elements, because
Gmail and Outlook drop or ignore much of a `<style>` block. Premailer's traps (see
shared/email-notes.md) are handled here: it must keep `!important`, the doctype and the
images' width attributes, and must never reach the network.
"""

from __future__ import annotations

import logging
import re
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


def inline_css(html: str, css: str) -> str:
    """Copy `css` onto the elements it selects; leave MRML's own <style> blocks untouched."""
    if not css.strip():
        return html
    from premailer import Premailer

    marked = _STYLE_TAG.sub('<style data-premailer="ignore"', html)
    _refuse_fetching()
    result: str = Premailer(
        marked,
        css_text=css,
        allow_network=False,
        strip_important=False,
        keep_style_tags=True,
        remove_classes=False,
        disable_validation=True,
        disable_basic_attributes=["width", "height", "align", "bgcolor", "valign"],
        cssutils_logging_level=logging.CRITICAL,
    ).transform()
    result = result.replace(' data-premailer="ignore"', "")
    if not result.lstrip().lower().startswith("<!doctype"):
        result = DOCTYPE + "\n" + result
    return result
