"""Inbox fidelity: what Gmail, Outlook (Word), forced dark and images-off do to the email.

Chromium renders these emails fine; the clients below do not. Each rule checks one class of
defect the templates once had, so a clinic's own template edits are caught too (sources in
docs/inboxes.md and shared/email-notes.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

from ..confine import MAX_IMAGE_BYTES, Refused, content_file, read_bytes
from ..logo import DARK_CANVASES, MINIMUM, Measure, measure
from ..memo import remembered
from .context import Context
from .registry import Hit, rule

_PIPE_ROW = re.compile(r"^\s*\|?[^|\n]*\|[^|\n]*\|")


@cache
def _plain_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


@rule("inbox/pipe-table", "warning", "No paragraph that looks like a table but is not one.")
def pipe_table(ctx: Context) -> Iterator[Hit]:
    """Example: rows of cells between pipes with no separator line under the header row: the
    email shows one paragraph of pipes. Fix: add the separator line (one `---` per column,
    between pipes) under the header row, with the same number of columns in every row."""
    for segment in ctx.segments:
        if segment.field not in ("body", "intro"):
            continue
        for first, excerpt in pipe_paragraphs(segment.text):
            yield Hit(
                "this paragraph looks like a table but is shown as text; add a "
                "'| --- | --- |' line under the header row (one --- per column)",
                segment.path,
                segment.line_at(0) + first if segment.exact else segment.line,
                excerpt=excerpt,
            )


_NEWLINE = re.compile(r"\r\n?|\n")  # markdown-it's own line ends


@remembered()
def pipe_paragraphs(text: str) -> tuple[tuple[int, str], ...]:
    """(first line, first row) of each paragraph of `text` that looks like a table but is not.
    Depends on the text alone: remembered, so a rebuild parses only the article that changed.
    Such a paragraph has two lines with two pipes each; most texts have none and are not
    parsed at all."""
    if sum(line.count("|") >= 2 for line in _NEWLINE.split(text)) < 2:
        return ()
    found = []
    for token in _plain_parser().parse(text):
        if token.type != "inline" or token.map is None:
            continue
        lines = token.content.split("\n")
        if len(lines) >= 2 and sum(bool(_PIPE_ROW.match(x)) for x in lines) >= 2:
            found.append((token.map[0], lines[0].strip()))
    return tuple(found)


_STYLE_ATTR = re.compile(r'<([a-zA-Z0-9]+)\b[^>]*\sstyle="([^"]*)"')
_NEGATIVE_MARGIN = re.compile(r"(?:^|;)\s*(margin(?:-[a-z]+)?)\s*:\s*([^;]*-\d[^;]*)", re.I)
_POSITION = re.compile(r"(?:^|;)\s*position\s*:\s*(absolute|fixed|sticky)", re.I)
# What every match of the two above contains, in the email's UTF-8 lowercased: `re.I` also
# matches 4 non-ASCII letters to ASCII ones, and `\d` any digit (a non-ASCII byte here).
_MAY_DROP = re.compile(rb'margin[^;"]*-(?:\d|[\x80-\xff])')
_FOLDED = ("\u0130", "\u0131", "\u017f", "\u212a")  # İ ı ſ K: i, i, s, k under re.I


def _may_drop(html: str) -> bool:
    """Whether a style of `html` can hold a negative margin or a position: a quick look at
    the whole email (str regexes with re.I read it slowly), no false "no"."""
    if any(letter in html for letter in _FOLDED):
        return True
    lowered = html.encode("utf-8", "surrogatepass").lower()
    return b"position" in lowered or _MAY_DROP.search(lowered) is not None


@rule(
    "inbox/dropped-css",
    "warning",
    "No negative margins or `position` in the email's styles (Gmail drops them).",
)
def dropped_css(ctx: Context) -> Iterator[Hit]:
    """Example: a tick placed with `margin-left:-30px` beside its text. Gmail removes negative
    margins and `position:absolute` (caniemail css-margin, css-position), so it moves onto the
    text. Fix: lay the two side by side in a two-cell `<table role="presentation">`."""
    html = ctx.built.html_template
    if not _may_drop(html):
        return  # no style can hold either: most emails, and reading every tag is slow
    seen: set[str] = set()
    for match in _STYLE_ATTR.finditer(html):
        tag, style = match.group(1), match.group(2)
        for found in (_NEGATIVE_MARGIN.search(style), _POSITION.search(style)):
            if found is None:
                continue
            what = found.group(0).strip("; ")
            if what in seen:
                continue
            seen.add(what)
            path, line = ctx.where(what.replace(" ", ""), what)
            yield Hit(
                f"'{what}' is dropped by Gmail and ignored by Outlook, so this element moves; "
                "place things side by side with a two-cell table instead",
                path,
                line,
                f'<{tag} style="{style[:60]}">',
            )


_OUTLOOK_COLUMN = re.compile(r"<!--\[if mso \| IE\]>.*?<td[^>]*width:(\d+)px", re.S)
_DIVIDER = re.compile(
    r'<td[^>]*style="([^"]*)"[^>]*>\s*<p[^>]*border-top[^>]*>\s*</p>\s*'
    r'<!--\[if mso \| IE\]><table[^>]*width="(\d+)px"',
    re.S,
)
_PADDING = re.compile(r"(?:^|;)\s*padding(-left|-right)?\s*:\s*([^;]+)")


def _horizontal_padding(style: str) -> int:
    left = right = 0
    for side, value in _PADDING.findall(style):
        numbers = [int(float(v[:-2])) if v.endswith("px") else 0 for v in value.split()]
        if side == "-left":
            left = numbers[0] if numbers else 0
        elif side == "-right":
            right = numbers[0] if numbers else 0
        elif numbers:
            right = numbers[1] if len(numbers) > 1 else numbers[0]
            left = numbers[3] if len(numbers) > 3 else right
    return left + right


def ghost_tables(html: str) -> list[tuple[int, int]]:
    """(ghost table width, room in its cell) for every divider's Outlook table."""
    out = []
    for match in _DIVIDER.finditer(html):
        columns = _OUTLOOK_COLUMN.findall(html, 0, match.start())
        column = int(columns[-1]) if columns else 600
        room = column - _horizontal_padding(match.group(1))
        out.append((int(match.group(2)), room))
    return out


_BARE_ZERO = re.compile(r'<mj-divider\b[^>]*\bpadding="(?:[^"]*\s)?0(?:\s[^"]*)?"')


def _bare_zero_divider(ctx: Context) -> tuple[Path, int] | None:
    """The template line of a divider whose padding holds a unitless 0, the usual cause."""
    for path in sorted(ctx.project.templates_dir.rglob("*.j2")):
        for number, text in enumerate(ctx.lines_of(path), start=1):
            if _BARE_ZERO.search(text):
                return path, number
    return None


@rule("inbox/ghost-width", "warning", "Outlook's ghost tables fit inside their cells.")
def ghost_width(ctx: Context) -> Iterator[Hit]:
    """Example: `<mj-divider padding="0 24px 24px">`: MRML 1.4 reads the unitless 0 as an
    unreadable shorthand and writes Outlook's table 600 px wide inside a 552 px cell, so the
    section sticks out in Outlook for Windows. Fix: write `0px` (or padding-left/-right)."""
    for width, room in ghost_tables(ctx.built.html_template):
        if width > room:
            path, line = _bare_zero_divider(ctx) or ctx.where("<mj-divider")
            yield Hit(
                f"Outlook draws this divider {width} px wide in a {room} px cell; it sticks out "
                'of the email: write its padding with units ("0px 24px"), never a bare 0',
                path,
                line,
                f'<table width="{width}px"> (Outlook only)',
            )


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*font-family\s*:\s*['\"]?([^;'\"}]+)", re.I)
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;\"}]+)", re.I)


@rule("inbox/unused-font", "warning", "Every declared web font is used by some element.")
def unused_font(ctx: Context) -> Iterator[Hit]:
    """Example: `web_font_url` set, but the font declared under another name than any
    `font-family` uses: MRML leaves it out and no client loads it. Fix: put the web font's
    name first in `theme.font_family` (the template declares the font under that name)."""
    html = ctx.built.html_template
    theme = ctx.project.clinic.theme
    path, line = ctx.clinic_path, ctx.clinic_line("theme")
    if theme.web_font_url and theme.web_font_url not in html:
        yield Hit(
            "the web font in 'web_font_url' is never loaded: no font-family names it; put "
            "its name first in theme.font_family",
            path,
            line,
            excerpt=theme.web_font_url,
        )
    declared = sorted({n.strip() for n in _FONT_FACE.findall(html)})
    if not declared:
        return  # nothing to look for among the font-family values (reading them is slow)
    used = {
        name.strip().strip("'\"").lower()
        for stack in _FONT_FAMILY.findall(_FONT_FACE.sub("", html))
        for name in stack.split(",")
    }
    for name in declared:
        if name.lower() not in used:
            yield Hit(
                f"the font '{name}' is declared but no element uses it; name it in a "
                "font-family or remove it",
                *ctx.where(name),
            )


@rule("inbox/logo-dark", "warning", "The logo keeps 3:1 contrast on forced-dark canvases.")
def logo_dark(ctx: Context) -> Iterator[Hit]:
    """Example: a transparent dark-blue logo: Gmail's and Outlook's dark modes turn the
    canvas dark but never the image (2:1). The build plates a transparent local logo itself;
    this catches a template or file it cannot fix. Fix: a logo file with a light plate or
    halo, or an opaque background."""
    canvases = (*DARK_CANVASES, ctx.project.clinic.theme.dark_background)
    for element, found in _logo_measures(ctx, canvases):
        if found.ratio < MINIMUM:
            yield Hit(
                f"the logo measures {found.ratio:.1f}:1 on a {found.canvas} canvas (forced "
                "dark mode in Gmail and Outlook); it needs 3:1: give the file a light plate "
                "or halo",
                ctx.clinic_path,
                ctx.clinic_line("logo"),
                element,
            )


@rule("inbox/logo-light", "warning", "A transparent logo keeps 3:1 contrast on the email.")
def logo_light(ctx: Context) -> Iterator[Hit]:
    """Example: the white-on-transparent logo of the clinic's dark website header: on the
    email's white surface it is invisible (1:1) for every reader in light mode. Fix: use the
    logo drawn for light backgrounds as `logo.src` (a light one can be `logo.dark_src`)."""
    clinic = ctx.project.clinic
    if clinic.logo is None or clinic.logo.src.startswith("https://"):
        return
    surface = clinic.theme.surface
    # The clinic's own file: a forced-dark plate (logo.py) is that file on the surface colour.
    try:
        data = read_bytes(content_file(ctx.project.content_dir, clinic.logo.src), MAX_IMAGE_BYTES)
    except Refused:
        return
    found = measure(data, (surface,))
    if found is not None and found.transparent and found.ratio < MINIMUM:
        yield Hit(
            f"the logo measures {found.ratio:.1f}:1 on the email's {surface} background "
            "(light mode); it needs 3:1: use your logo drawn for light backgrounds as "
            "logo.src (and this one as logo.dark_src)",
            ctx.clinic_path,
            ctx.clinic_line("logo"),
            excerpt=clinic.logo.src,
        )


def _logo_measures(ctx: Context, canvases: tuple[str, ...]) -> Iterator[tuple[str, Measure]]:
    """Each shown logo image of the email (its element) measured on `canvases`."""
    clinic = ctx.project.clinic
    if clinic.logo is None:
        return
    files = {ref: path for path, ref in ctx.built.images}
    base = clinic.images_base_url.rstrip("/") + "/"
    for image in ctx.doc.images:
        if image.hidden or image.alt != clinic.logo.alt or not image.src.startswith(base):
            continue
        path = files.get(unquote(image.src[len(base) :]))
        if path is None:
            continue
        try:
            found = measure(read_bytes(path, MAX_IMAGE_BYTES), canvases)
        except Refused:
            continue
        if found is not None:
            yield image.element, found


@rule("inbox/img-dimensions", "warning", "Every image has real `width` and `height` numbers.")
def img_dimensions(ctx: Context) -> Iterator[Hit]:
    """Example: `<img width="552" height="auto">`: with images off (Outlook's default in many
    offices) the placeholder gets no height and the layout jumps. The build writes both from
    local files; a remote image cannot be measured. Fix: use an image from content/images/,
    or give it `width` and `height` in pixels."""
    for image in ctx.doc.images:
        if image.hidden:
            continue
        if not (image.width or "").isdigit() or not (image.height or "").isdigit():
            path, line = ctx.where(image.src.rsplit("/", 1)[-1], image.src)
            yield Hit(
                "this image has no numeric width and height; Outlook's images-off placeholder "
                "collapses: use a file from content/images/ or give both sizes in pixels",
                path,
                line,
                image.element,
            )
