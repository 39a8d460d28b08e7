"""Accessibility: what screen-reader users, low-vision readers and Outlook need."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..theme import contrast, theme_line
from .context import Context
from .registry import Hit, rule

GENERIC_LINK_TEXTS = (
    "click here",
    "here",
    "click",
    "read more",
    "more",
    "learn more",
    "this link",
    "link",
    "this",
    "go",
    "details",
    "more info",
)


@rule("a11y/lang", "error", "<html> has a real `lang` (not 'und') and a `dir`.")
def lang(ctx: Context) -> Iterator[Hit]:
    """Example: `<html lang="und" dir="auto">` (mjml-python's default).
    Fix: set `language` (e.g. en) and `direction` in clinic.yaml; keep `lang`/`dir` on `<mjml>`."""
    doc = ctx.doc
    clinic = ctx.project.clinic
    if not doc.lang or doc.lang.strip().lower() in ("und", ""):
        path, line = _setting_or_template(ctx, "language", "<mjml")
        yield Hit(
            f'<html lang="{doc.lang or ""}"> does not name a language; screen readers then '
            "guess the pronunciation: set `language` in clinic.yaml (e.g. en) and "
            'lang="{{ clinic.language }}" on <mjml>',
            path,
            line,
            "<html>",
            excerpt=clinic.language,
        )
    if (doc.dir or "").lower() not in ("ltr", "rtl"):
        path, line = _setting_or_template(ctx, "direction", "<mjml")
        yield Hit(
            f'<html dir="{doc.dir or ""}"> is not ltr or rtl; set `direction` in clinic.yaml '
            'and dir="{{ clinic.direction }}" on <mjml>',
            path,
            line,
            "<html>",
            excerpt=clinic.direction,
        )


def _setting_or_template(ctx: Context, key: str, needle: str) -> tuple[Path, int | None]:
    """clinic.yaml's line when the clinic set `key`, else the template line with `needle`."""
    if key in ctx.project.clinic.lines:
        return ctx.clinic_path, ctx.clinic_line(key)
    return ctx.where(needle)


@rule("a11y/img-alt", "error", 'Every image has an `alt` ("" when decorative).')
def img_alt(ctx: Context) -> Iterator[Hit]:
    """Example: `<img src="https://…/badge.png" width="80">` added to a template without `alt`.
    Fix: describe the picture (`alt="…"`; in content `image_alt` or `![words](…)`), or write
    `alt=""` when it is decoration."""
    for image in ctx.doc.images:
        if image.alt is None:
            path, line = ctx.where(_ref(ctx, image.src), image.src)
            yield Hit(
                'this image has no alt text; describe it, or write alt="" if it is decoration',
                path,
                line,
                image.element,
            )


@rule("a11y/img-width", "warning", "Every image has a `width` attribute (Outlook).")
def img_width(ctx: Context) -> Iterator[Hit]:
    """Example: `<img src="…/logo.png" style="width:180px">` without `width=`: Outlook shows the
    file at full size. Fix: add `width="180"` (mj-image does this when given `width`)."""
    for image in ctx.doc.images:
        if not image.width:
            path, line = ctx.where(_ref(ctx, image.src), image.src)
            yield Hit(
                "this image has no width attribute; Outlook shows it at full file size: add "
                'width="…" in pixels',
                path,
                line,
                image.element,
            )


@rule("a11y/table-role", "error", 'Layout tables have role="presentation".')
def table_role(ctx: Context) -> Iterator[Hit]:
    """Example: a raw `<table>` in a template without `role`: screen readers read every cell
    as data. Fix: add `role="presentation"` (tables with `<th>` are data tables and exempt)."""
    for table in ctx.doc.tables:
        if not table.data and table.role != "presentation":
            path, line = ctx.where(*_phrases(table.text), "<table")
            yield Hit(
                'this layout table has no role="presentation"; screen readers announce its rows '
                "and columns: add the attribute",
                path,
                line,
                table.element,
            )


def _phrases(text: str) -> list[str]:
    """Runs of words from an element's text, longest first, to find where a template wrote it."""
    words = text.split()
    return [" ".join(words[:n]) for n in range(min(len(words), 4), 0, -1)]


@rule("a11y/heading-h1", "error", "Exactly one h1.")
def heading_h1(ctx: Context) -> Iterator[Hit]:
    """Example: an article body starting with `# Title` beside the issue's own h1, or a layout
    with none. Fix: one h1 (the issue's title); article bodies use `##` and below."""
    h1s = [h for h in ctx.doc.headings if h.level == 1]
    if len(h1s) != 1:
        found = "no h1" if not h1s else f"{len(h1s)} h1 headings"
        extra = h1s[1] if len(h1s) > 1 else None
        path, line = ctx.where(f">{extra.text}<", extra.text) if extra else ctx.where("<h1")
        yield Hit(
            f"the email has {found}; give it exactly one (the issue's title) so screen-reader "
            "users know where it starts",
            path,
            line,
            extra.element if extra else "<h1>",
        )


@rule("a11y/heading-order", "error", "No skipped heading levels.")
def heading_order(ctx: Context) -> Iterator[Hit]:
    """Example: `## Symptoms` then `#### Sleep` in an article (h3 → h5).
    Fix: go down one level at a time (`###` after `##`)."""
    previous = 0
    for heading in ctx.doc.headings:
        if previous and heading.level > previous + 1:
            path, line = ctx.where("# " + heading.text, heading.text)
            yield Hit(
                f"this heading skips a level (it becomes an h{heading.level} right after an "
                f"h{previous}); in Markdown give it one more # than the heading above it, "
                "not more",
                path,
                line,
                heading.element,
                excerpt=heading.text,
            )
        previous = heading.level


@rule("a11y/link-text", "error", "No generic link text ('click here', 'read more').")
def link_text(ctx: Context) -> Iterator[Hit]:
    """Example: `[Click here](https://…)` or `[Read more](…)`.
    Fix: say where the link goes: `[Read about fibromyalgia](…)`."""
    generic = {*GENERIC_LINK_TEXTS, *(t.lower() for t in ctx.settings.generic_link_texts)}
    for link in ctx.doc.links:
        text = link.text.strip().strip(".…:!»›→ ").lower()
        if text in generic:
            path, line = ctx.where(f"[{link.text}]", f">{link.text}<", link.text)
            yield Hit(
                f"the link text '{link.text}' does not say where it goes; screen readers list "
                "links out of context: describe the target",
                path,
                line,
                link.element,
            )


@rule("a11y/contrast", "error", "Text contrast at least 4.5:1 (3:1 for large text).")
def colour_contrast(ctx: Context) -> Iterator[Hit]:
    """Example: `theme: muted: "#AAAAAA"` on white (2.3:1).
    Fix: darken the text colour or the background in `theme` until the ratio is met
    (large text: 24px, or 18.66px bold)."""
    seen: set[tuple[object, ...]] = set()
    for run in ctx.doc.runs:
        large = run.size >= 24 or (run.bold and run.size >= 18.66)
        need = 3.0 if large else 4.5
        ratio = contrast(run.colour, run.background)
        if ratio >= need:
            continue
        key = (run.colour, run.background, need)
        if key in seen:
            continue
        seen.add(key)
        fg, bg = _hex(run.colour), _hex(run.background)
        # The theme line that sets a colour: a template holding the same value (#FFFFFF) is
        # not where the clinic chose it.
        theme_at = theme_line(ctx.project.clinic.theme, ctx.project.clinic.lines, fg, bg)
        path, line = (
            (ctx.clinic_path, theme_at) if theme_at else ctx.where(fg, fg.lower(), bg, bg.lower())
        )
        yield Hit(
            f"text {fg} on {bg} has a contrast of {ratio:.2f}:1; it needs {need:g}:1 to be "
            "readable: darken the text or change the background in `theme`",
            path,
            line,
            run.element,
            excerpt=run.text[:80],
        )


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*colour)


def _ref(ctx: Context, src: str) -> str:
    """A local image's path as written in content (images/x.png), else the URL."""
    base = ctx.project.clinic.images_base_url.rstrip("/") + "/"
    return src[len(base) :] if src.startswith(base) else src
