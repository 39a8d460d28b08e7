"""The built HTML, read once into what the rules look at.

One walk over the lxml tree collects links, images, tables, headings, the visible text and,
for every run of visible text, its colour, background, size and weight as the inline styles
and `bgcolor` attributes set them (what email clients see: they ignore most of `<head>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from ..theme import Colour

DEFAULT_COLOUR = (0, 0, 0)
DEFAULT_BACKGROUND = (255, 255, 255)
DEFAULT_SIZE = 16.0

_NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "yellow": (255, 255, 0),
    "navy": (0, 0, 128),
    "orange": (255, 165, 0),
}
_COLOUR_TOKEN = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\([^)]*\)|\b[a-zA-Z]+\b")
_BOLD_TAGS = frozenset({"b", "strong", "h1", "h2", "h3", "h4", "h5", "h6", "th"})
_HEADING_SIZES = {"h1": 32.0, "h2": 24.0, "h3": 18.72, "h4": 16.0, "h5": 13.28, "h6": 10.72}


@dataclass(frozen=True)
class OutputLink:
    href: str
    text: str  # visible text, or the alt text of an image inside
    hidden: bool
    element: str


@dataclass(frozen=True)
class Image:
    src: str
    alt: str | None
    width: str | None
    hidden: bool
    element: str
    height: str | None = None


@dataclass(frozen=True)
class Table:
    role: str | None
    data: bool  # has <th> or <caption>: a real table, not layout
    element: str
    text: str = ""  # its first words, to find the template that wrote it


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    element: str


@dataclass(frozen=True)
class TextRun:
    """Visible text with the colours it is drawn in."""

    text: str
    colour: Colour
    background: Colour
    size: float
    bold: bool
    node: etree._Element  # described only when reported: describing every run is slow

    @property
    def element(self) -> str:
        return describe(self.node)


@dataclass
class Document:
    lang: str | None = None
    dir: str | None = None
    style_bytes: int = 0
    links: list[OutputLink] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    runs: list[TextRun] = field(default_factory=list)
    visible_text: list[str] = field(default_factory=list)


def parse(html: str) -> Document:
    """Read a built email into a Document (one parse in C, one walk).

    lxml's plain HTML parser: lxml.html's element classes are looked up in Python for every
    element the walk touches, and nothing here uses their extra methods."""
    doc = Document()
    root = etree.fromstring(html, etree.HTMLParser())
    if root is None:
        return doc
    doc.lang = root.get("lang")
    doc.dir = root.get("dir")
    for style in root.iter("style"):
        doc.style_bytes += len((style.text or "").encode("utf-8"))
    body = root.find("body")
    if body is not None:
        _walk(body, doc)
    return doc


# What the walk carries down: (colour or None, background, size, bold, hidden). A tuple, not a
# dataclass: it is made for every element of every built email.
_State = tuple[Colour | None, Colour, float, bool, bool]
_SKIPPED = frozenset({"script", "style"})


def _walk(body: etree._Element, doc: Document) -> None:
    """Every element under `body` in document order, with the state it inherits; the lists'
    appends are bound once (this runs for every element of every email)."""
    visible = doc.visible_text.append
    runs = doc.runs.append
    links = doc.links.append
    tables = doc.tables.append
    headings = doc.headings.append
    images = doc.images.append
    apply = _apply

    def walk(el: etree._Element, state: _State) -> None:
        tag = el.tag
        hidden = state[4]
        if tag in _DESCRIBED:
            full = _all_text(el)
            text = " ".join(full.split())
            if tag == "a":
                if not text:
                    text = " ".join(img.get("alt", "") for img in el.iter("img")).strip()
                links(OutputLink(el.get("href", ""), text, hidden, describe(el, full)))
            elif tag == "table":
                data = el.find(".//th") is not None or el.find("caption") is not None
                tables(Table(el.get("role"), data, describe(el, full), text[:40]))
            else:
                headings(Heading(int(str(tag)[1]), text, describe(el, full)))
        elif tag == "img":
            images(
                Image(
                    el.get("src", ""),
                    el.get("alt"),
                    el.get("width"),
                    hidden,
                    describe(el),
                    el.get("height"),
                )
            )
        if hidden:  # nothing inside is visible text; links, images and tables still count
            for child in el:
                child_tag = child.tag
                if child_tag.__class__ is str and child_tag not in _SKIPPED:
                    walk(child, apply(child, state))
            return
        colour = state[0] or DEFAULT_COLOUR
        own = el.text
        if own and not own.isspace():
            words = " ".join(own.split())
            visible(words)
            runs(TextRun(words, colour, state[1], state[2], state[3], el))
        for child in el:
            child_tag = child.tag
            if child_tag.__class__ is str and child_tag not in _SKIPPED:
                walk(child, apply(child, state))
            tail = child.tail
            if tail and not tail.isspace():
                words = " ".join(tail.split())
                visible(words)
                runs(TextRun(words, colour, state[1], state[2], state[3], el))

    walk(body, _apply(body, (None, DEFAULT_BACKGROUND, DEFAULT_SIZE, False, False)))


_DESCRIBED = frozenset({"a", "table", *_HEADING_SIZES})


def _apply(el: etree._Element, parent: _State) -> _State:
    """The state inside `el`: its inline style and attributes over what it inherits."""
    tag = el.tag
    style = el.get("style")
    bgcolor = el.get("bgcolor")
    hidden = parent[4] or el.get("hidden") is not None or el.get("aria-hidden") == "true"
    if not (style or bgcolor or tag in _BOLD_TAGS or tag == "font") and hidden == parent[4]:
        return parent  # nothing here changes what the text inside looks like
    colour, background, size, bold, _ = parent
    bold = bold or tag in _BOLD_TAGS
    if tag in _HEADING_SIZES:
        size = _HEADING_SIZES[tag]
    if tag == "font" and el.get("color"):
        colour = parse_colour(el.get("color", "")) or colour
    if bgcolor:
        background = parse_colour(bgcolor) or background
    if style:
        none, own_colour, own_background, own_size, own_bold = _effect(style)
        hidden = hidden or none
        colour = own_colour or colour
        background = own_background or background
        if own_size is not None:
            size = _font_size(own_size, parent[2])
        if own_bold is not None:
            bold = own_bold
    return (colour, background, size, bold, hidden)


@lru_cache(maxsize=1024)
def _effect(style: str) -> tuple[bool, Colour | None, Colour | None, str | None, bool | None]:
    """What a style attribute sets: (display:none, colour, background, font-size as written,
    bold), None where it sets nothing usable. Emails repeat a few dozen style attributes."""
    props = _style(style)
    colour = parse_colour(props["color"]) if "color" in props else None
    background = None
    for key in ("background", "background-color"):
        if key in props:
            background = _background(props[key]) or background
    bold = None
    if "font-weight" in props:
        weight = props["font-weight"]
        bold = weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 700)
    return props.get("display") == "none", colour, background, props.get("font-size"), bold


def _style(style: str) -> dict[str, str]:
    props = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            props[name.strip().lower()] = value.replace("!important", "").strip().lower()
    return props


@lru_cache(maxsize=256)
def parse_colour(value: str) -> Colour | None:
    """#rgb, #rrggbb, rgb(), opaque rgba() or a basic colour name; None for anything else."""
    value = value.strip().lower()
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 8 and digits.endswith("ff"):
            digits = digits[:6]
        if len(digits) == 6 and re.fullmatch(r"[0-9a-f]{6}", digits):
            return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
        return None
    match = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)", value)
    if match:
        if match.group(4) is not None and float(match.group(4)) < 1:
            return None
        r, g, b = (min(255, int(match.group(i))) for i in (1, 2, 3))
        return (r, g, b)
    return _NAMED.get(value)


def _background(value: str) -> Colour | None:
    for token in _COLOUR_TOKEN.findall(value):
        colour = parse_colour(token)
        if colour is not None:
            return colour
    return None


_FONT_SIZE = re.compile(r"([\d.]+)\s*(px|pt|em|rem|%)?")


@lru_cache(maxsize=256)
def _font_size(value: str, inherited: float) -> float:
    match = _FONT_SIZE.fullmatch(value)
    if not match:
        return inherited
    number = float(match.group(1))
    unit = match.group(2) or "px"
    if unit == "pt":
        return number * 4 / 3
    if unit == "em":
        return number * inherited
    if unit == "rem":
        return number * DEFAULT_SIZE
    if unit == "%":
        return number * inherited / 100
    return number


def describe(el: etree._Element, text: str | None = None) -> str:
    """A short, recognisable description of an element: its tag, key attribute and text
    (`text`: the element's whole text, when the caller has it already)."""
    tag = str(el.tag)
    attrs = ""
    for name in ("href", "src", "alt", "class", "role"):
        value = el.get(name)
        if value is not None:
            attrs = f' {name}="{_shorten(value, 60)}"'
            break
    if tag in ("table", "img"):
        text = ""
    else:
        text = _shorten(" ".join((_all_text(el) if text is None else text).split()), 50)
    return f"<{tag}{attrs}>" + (f"{text}</{tag}>" if text else "")


def _all_text(el: etree._Element) -> str:
    """Every text inside `el` (script and style too), joined in C."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
