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
6. `_index_simple_selectors`: premailer runs each rule's selector as an XPath over the whole
   document (~45% of inlining, growing with the issue); while we inline, a selector made of
   tags, classes and spaces only is answered from one index of the document instead, with
   the same elements in the same order. Any other selector goes to premailer's own.
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


# A selector workaround 6 answers: compounds of an optional tag and classes, joined by single
# spaces (descendant combinators), as cssutils writes them. Nothing else (no escapes, ids,
# attributes, pseudo-classes or other combinators).
_IDENT = r"-?[_a-zA-Z][_a-zA-Z0-9-]*"
_COMPOUND = rf"(?:[a-zA-Z][a-zA-Z0-9]*(?:\.{_IDENT})*|(?:\.{_IDENT})+)"
_SIMPLE_SELECTOR = re.compile(rf"{_COMPOUND}(?: {_COMPOUND})*")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses

_Compound = tuple[str | None, frozenset[str]]  # (tag or None, classes)


class _DocumentIndex:
    """premailer's parsed document as the selectors need it: the elements that have a class
    attribute (found in C, in document order) with their classes, split as XPath's
    normalize-space() splits them, and the descendants of each selector's leading part,
    remembered (the rules share them: `.nl-prose p`, `.nl-prose li`...)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.classes: dict[Any, frozenset[str]] = {}
        self.by_class: dict[str, list[Any]] = {}
        for element in page.xpath("descendant-or-self::*[@class]"):
            names = _class_names(element.get("class"))
            self.classes[element] = names
            for name in names:
                self.by_class.setdefault(name, []).append(element)
        self.below: dict[tuple[_Compound, ...], set[Any]] = {}

    def select(self, compounds: tuple[_Compound, ...]) -> list[Any]:
        """The elements matching the last compound that lie below an element matching the
        one before, itself below one matching the one before that...: what the descendant
        combinator means. In document order, each once."""
        if len(compounds) == 1:
            return self._matching(compounds[0], None)
        return self._matching(compounds[-1], self._below(compounds[:-1]))

    def _below(self, compounds: tuple[_Compound, ...]) -> set[Any]:
        """Every element strictly below an element that `compounds` select."""
        found = self.below.get(compounds)
        if found is None:
            found = set()
            for element in self.select(compounds):
                if element not in found:  # else its descendants are in already
                    found.update(element.iterdescendants())
            self.below[compounds] = found
        return found

    def _matching(self, compound: _Compound, among: set[Any] | None) -> list[Any]:
        """The elements matching `compound` (within `among`), in document order."""
        tag, names = compound
        # Both in document order (by_class was filled in that order).
        candidates = self.page.iter(tag) if tag else self.by_class.get(min(names), [])
        return [
            element
            for element in candidates
            if (among is None or element in among)
            and (tag is None or element.tag == tag)
            and names <= self.classes.get(element, _NO_CLASSES)
        ]


_NO_CLASSES: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=1024)
def _class_names(attribute: str) -> frozenset[str]:
    """The classes of a class attribute, split where XPath's normalize-space() splits."""
    return frozenset(_XML_SPACE.split(attribute)) - {""}


def _compounds(selector: str) -> tuple[_Compound, ...]:
    out = []
    for part in selector.split(" "):
        tag, *names = part.split(".")
        out.append((tag or None, frozenset(names)))
    return tuple(out)


class _IndexedSelector:
    """Stands in for premailer's CSSSelector of one simple selector while we inline."""

    def __init__(self, compounds: tuple[_Compound, ...], fallback: Any) -> None:
        self.compounds = compounds
        self.fallback = fallback

    def __call__(self, page: Any) -> list[Any]:
        slot = _indexing.get()
        if slot is None:  # a premailer call outside ours: its own XPath
            return list(self.fallback(page))
        if slot.index is None or slot.index.page is not page:
            slot.index = _DocumentIndex(page)
        return slot.index.select(self.compounds)


class _IndexSlot:
    """The index of the document our inline_css is working on (built on first use)."""

    index: _DocumentIndex | None = None


# Set to a fresh slot while our inline_css runs.
_indexing: contextvars.ContextVar[_IndexSlot | None] = contextvars.ContextVar(
    "indexing", default=None
)


@functools.cache
def _index_simple_selectors() -> None:
    """Workaround 6. premailer.premailer._create_cssselector(selector) gives a CSSSelector
    (an XPath such as `descendant-or-self::*[contains(concat(' ', normalize-space(@class),
    ' '), ' nl-prose ')]/descendant-or-self::*/p`) that transform() runs over the document
    once per rule. Wrapped once per process: for a selector with a class (rule selectors; the
    `style`, `head` and `body` lookups that happen while premailer still changes the tree stay
    XPath) it gives an object that, while our inline_css runs (a ContextVar), answers from one
    index built at its first call, after premailer's last change to the tree's elements, and
    otherwise runs the XPath. tests/test_speed_caches.py compares both on every selector
    shape."""
    upstream = vars(importlib.import_module("premailer.premailer"))
    own = upstream["_create_cssselector"]

    @functools.lru_cache(maxsize=512)
    def create(selector: str) -> Any:
        if "." in selector and _SIMPLE_SELECTOR.fullmatch(selector):
            return _IndexedSelector(_compounds(selector), own(selector))
        return own(selector)

    upstream["_create_cssselector"] = create


@functools.cache
def _premailer_class() -> Any:
    """premailer's Premailer with workarounds 2 and 3, created on first use."""
    import cssutils

    from . import usercache

    base = _import_premailer()
    _skip_validation_while_inlining()
    _index_simple_selectors()
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
    indexing = _indexing.set(_IndexSlot())
    try:
        result: str = premailer.transform()
    finally:
        _indexing.reset(indexing)
        _inlining.reset(token)
    result = result.replace(' data-premailer="ignore"', "")
    if not result.lstrip().lower().startswith("<!doctype"):
        result = DOCTYPE + "\n" + result
    return result
