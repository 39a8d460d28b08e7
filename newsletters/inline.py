"""Stage 5: premailer inlines the template's own email CSS, and nothing else.

MRML's head styles (resets, media queries, Outlook conditionals) stay as they are, as node
MJML leaves them; only `<mj-style inline="inline">` CSS is copied onto elements, because
Gmail and Outlook drop or ignore much of a `<style>` block. Premailer's traps (see
shared/email-notes.md) are handled here: it must keep `!important`, the doctype and the
images' width attributes, and must never reach the network.

Where this module works around premailer or cssutils, each workaround is written once and
names the upstream behaviour it answers (the versions are bounded in pyproject.toml and the
goldens guard the output):

1. `_import_premailer`: premailer imports `requests` at module level, only to fetch external
   stylesheets, which a build never does.
2. `_Premailer._parse_css_string`: cssutils fetches `@import` URLs with urllib and no timeout,
   even with `allow_network=False`; our subclass parses with a fetcher that refuses.
3. `_Premailer._parse_style_rules`: premailer re-parses the same template CSS into rules on
   every call; our subclass remembers the rules by content, also between runs.
4. `_skip_validation_while_inlining`: cssutils validates every property of every style
   attribute against its CSS profiles even when premailer is told not to validate.
5. `_may_float`: premailer's `align_floating_images` re-parses every image's style with
   cssutils (uncached; ~40% of inlining) to find a `float`; we ask only when one can exist.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import logging
import re
import sys
import types
from typing import Any

DOCTYPE = "<!doctype html>"
_STYLE_TAG = re.compile(r"<style(?=[\s>])")
# Premailer's options, written once: the remembered rules depend on them.
OPTIONS: dict[str, Any] = {
    "allow_network": False,
    "strip_important": False,
    "keep_style_tags": False,  # True appends a second copy of the inlined CSS to the head
    "remove_classes": False,
    "disable_validation": True,
    "disable_basic_attributes": ["width", "height", "align", "bgcolor", "valign"],
    "cssutils_logging_level": logging.CRITICAL,
}
_MEMORY_RULES = 64  # parsed CSS texts kept in one process (a template has one or two)


class _NoNetwork:
    """premailer's HTTP session (a public option): a build never fetches anything."""

    def get(self, url: str, *args: Any, **kwargs: Any) -> Any:
        raise OSError(f"a build does not fetch {url}")


def _refuse_fetch(url: str) -> tuple[None, None]:
    """cssutils' fetcher hook: (encoding, text) of an @import; None means 'not found'."""
    return None, None


class _RequestsOnDemand(types.ModuleType):
    """Stands in for `requests` in premailer's namespace, importing it on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("requests"), name)


def _import_premailer() -> Any:
    """Workaround 1. premailer/premailer.py imports requests at module level (~30 ms of a cold
    build) only for `Premailer._load_external_url`, which a build never reaches (no network,
    and `_NoNetwork` as the session). Import premailer with a stand-in that loads requests on
    first use; the stand-in leaves sys.modules at once, so everyone else gets the real one."""
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


_inlining: contextvars.ContextVar[bool] = contextvars.ContextVar("inlining", default=False)


@functools.cache
def _skip_validation_while_inlining() -> None:
    """Workaround 4. premailer's merge_styles parses each element's existing style attribute
    with cssutils.parseStyle(validate=True), whatever `disable_validation` says, and cssutils
    then checks every property against its CSS profiles: ~30% of parsing a declaration, and
    the first check compiles a huge regex (~40 ms of a cold build), only for log messages we
    silence. cssutils.css.Property._isValidating is wrapped once per process to answer False
    while this thread or task inlines (a ContextVar), and to ask cssutils otherwise."""
    import cssutils

    own = cssutils.css.Property._isValidating

    def is_validating(self: Any) -> bool:
        return False if _inlining.get() else bool(own(self))

    cssutils.css.Property._isValidating = is_validating


@functools.cache
def _premailer_class() -> Any:
    """premailer's Premailer with workarounds 2 and 3, created on first use."""
    import cssutils

    from . import usercache

    base = _import_premailer()
    _skip_validation_while_inlining()
    memory: dict[tuple[str, int], tuple[list[Any], list[Any]]] = {}

    class _Premailer(base):  # type: ignore[misc,valid-type]
        def _parse_css_string(self, css_body: str, validate: bool = True) -> Any:
            """Workaround 2. cssutils.parseString gives the sheet urllib as its fetcher, which
            fetches every @import with no timeout even under allow_network=False. Parse with
            cssutils' own fetcher hook set to refuse: an @import is kept as text, unfetched."""
            parser = cssutils.CSSParser(fetcher=_refuse_fetch, validate=validate)
            return parser.parseString(css_body)

        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> Any:
            """Workaround 3. Premailer turns the same template CSS into the same rules on every
            call (~40% of a first inlining). Rules depend only on the CSS, the index, our fixed
            OPTIONS and the two libraries' versions, and premailer only reads them: remember
            them in memory and, as plain data, in the per-user cache (usercache.py)."""
            key = (css_body, ruleset_index)
            if key not in memory:
                if len(memory) >= _MEMORY_RULES:
                    memory.clear()
                memory[key] = _stored_rules(css_body, ruleset_index) or self._parsed_rules(
                    css_body, ruleset_index
                )
            rules, leftover = memory[key]
            return list(rules), list(leftover)

        def _parsed_rules(self, css_body: str, ruleset_index: int) -> Any:
            rules, leftover = super()._parse_style_rules(css_body, ruleset_index)
            if all(isinstance(item, tuple) for item in leftover):  # no @media rule objects
                usercache.store_json(
                    "premailer-rules", _rules_key(css_body, ruleset_index), [rules, leftover]
                )
            return rules, leftover

    return _Premailer


def _stored_rules(css_body: str, ruleset_index: int) -> tuple[list[Any], list[Any]] | None:
    """Rules kept by an earlier run for exactly this CSS, options and versions, or None."""
    from . import usercache

    stored = usercache.load_json("premailer-rules", _rules_key(css_body, ruleset_index))
    try:
        rules, leftover = stored
        return (
            [(tuple(specificity), selector, bulk) for specificity, selector, bulk in rules],
            [(selector, bulk) for selector, bulk in leftover],
        )
    except (TypeError, ValueError):  # nothing stored, or not in this shape
        return None


def _rules_key(css_body: str, ruleset_index: int) -> list[object]:
    """Everything premailer's rules depend on: the CSS, its place, the options, the versions."""
    options = sorted((name, repr(value)) for name, value in OPTIONS.items())
    return [css_body, ruleset_index, options, _versions()]


@functools.cache
def _versions() -> list[str]:
    from importlib.metadata import version

    return [version("premailer"), version("cssutils")]


# An <img> start tag, quoted attribute values included (a quoted value may hold a ">").
_IMG_TAG = re.compile(r"""<img\b(?:"[^"]*"|'[^']*'|[^'">])*""", re.IGNORECASE)


def _may_float(html: str, css: str) -> bool:
    """Whether an image can end up with a CSS `float` (workaround 5): only then does
    premailer's `align_floating_images` (which parses each image's style) change anything.
    Conservative: a CSS escape, or an entity or backslash in an <img> tag, counts as a yes."""
    if "float" in css.lower() or "\\" in css:
        return True
    return any(
        "float" in tag.lower() or "&" in tag or "\\" in tag for tag in _IMG_TAG.findall(html)
    )


def inline_css(html: str, css: str) -> str:
    """Copy `css` onto the elements it selects; leave MRML's own <style> blocks untouched."""
    if not css.strip():
        return html
    marked = _STYLE_TAG.sub('<style data-premailer="ignore"', html)
    premailer = _premailer_class()(
        marked,
        css_text=css,
        session=_NoNetwork(),
        align_floating_images=_may_float(marked, css),
        **OPTIONS,
    )
    token = _inlining.set(True)
    try:
        result: str = premailer.transform()
    finally:
        _inlining.reset(token)
    result = result.replace(' data-premailer="ignore"', "")
    if not result.lstrip().lower().startswith("<!doctype"):
        result = DOCTYPE + "\n" + result
    return result
