"""Stage 2: Markdown to email-safe HTML and to plain text, from one parse.

Headings in an article body sit below the article's own title (h2), so they are shifted to
start at h3; images and site-relative links become absolute; raw HTML is not allowed (it would
bypass the templates' accessible markup). GFM pipe tables become data tables (`<th scope>`,
styled by the template's inline CSS) and aligned columns in the text part; bold and italic
keep a marker there (`*bold*`, `_italic_`), as plain-text readers expect.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import textwidth
from .errors import Problems
from .memo import remembered

TEXT_WIDTH = 72


@dataclass(frozen=True)
class RenderedText:
    """One Markdown text as HTML for the email and as plain text for its text part."""

    html: str
    text: str


@dataclass(frozen=True)
class MarkdownContext:
    """What the Markdown needs to know about where it lives."""

    path: Path
    first_line: int  # line of the Markdown's first line in `path`
    website: str  # site-relative links are resolved against it
    image_url: Callable[[str], str]  # a content/ path or https URL -> absolute URL
    image_problem: Callable[[str], str | None]  # why a content/ path cannot be used, or None
    heading_base: int = 3  # the level the body's biggest heading becomes
    # The attribution line of a quotation a paragraph or blockquote holds (testimonials).
    attribution: Callable[[str], str | None] = lambda text: None


@cache
def _parser() -> MarkdownIt:
    # Raw HTML is parsed (html=True) only so that it can be reported where it is written; every
    # HTML token is turned back into text before rendering (_neutralise_html), so it is
    # escaped, never passed through (table cells included). Every link is kept (validateLink)
    # so that a `javascript:` link is reported instead of silently becoming text. GFM pipe
    # tables are on: the commonmark preset has them off.
    md = MarkdownIt("commonmark", {"typographer": True, "html": True})
    md.enable(["replacements", "smartquotes", "table"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def render(source: str, ctx: MarkdownContext, problems: Problems) -> RenderedText:
    """Render Markdown; images that do not exist and unsafe links become problems."""
    if _too_long(source, ctx, problems):
        return RenderedText(html="", text="")
    md = _parser()
    tokens = md.parse(source)
    _prepare(tokens, ctx, problems)
    tokens = _attribute_quotations(tokens, ctx)
    html = md.renderer.render(_stack_wide_tables(tokens), md.options, {}).strip()
    return RenderedText(html=html, text=_to_text(tokens))


_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,40}\]")


def _report_footnotes(inline: Token, ctx: MarkdownContext, line: int, problems: Problems) -> None:
    """`[^1]` is a footnote in some Markdown editors, not in email: readers saw the brackets,
    and the note itself as a paragraph `[^1]: ...`. One error per footnote, at its line."""
    for child in inline.children or []:
        if child.type != "text":
            continue
        for match in _FOOTNOTE.finditer(child.content):
            at = inline.content.find(match.group(0))
            problems.add(
                ctx.path,
                line + inline.content.count("\n", 0, max(at, 0)),
                f"footnote {match.group(0)} does not work in email (readers see the brackets); "
                "name the source in the sentence, or list it under `sources:` at the top of the "
                "article (between the --- lines)",
            )


def _too_long(source: str, ctx: MarkdownContext, problems: Problems) -> bool:
    """A paragraph over the limit is refused before parsing: some text (thousands of '[' or
    '*a') takes the parser time that grows with the square of the paragraph's length."""
    from .confine import MAX_PARAGRAPH_CHARS

    found = False
    line = 0
    for block in re.split(r"(\n[ \t]*\n)", source):
        if len(block) > MAX_PARAGRAPH_CHARS:
            problems.add(
                ctx.path,
                ctx.first_line + line,
                f"this paragraph is {len(block):,} characters long; split it with blank lines "
                f"(the limit is {MAX_PARAGRAPH_CHARS:,} characters a paragraph)",
            )
            found = True
        line += block.count("\n")
    return found


def render_inline(source: str) -> str:
    """A single line of Markdown (a disclaimer sentence, an intro) as inline-friendly HTML."""
    md = _parser()
    tokens = md.parse(source)
    _neutralise_html(tokens)
    return str(md.renderer.render(tokens, md.options, {})).strip()


def _prepare(tokens: list[Token], ctx: MarkdownContext, problems: Problems) -> None:
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = ctx.heading_base - min(levels) if levels else 0
    line = ctx.first_line
    reported: set[int] = set()

    def report_html(token: Token) -> None:
        if line in reported:
            return
        reported.add(line)
        tag = token.content.strip().split("\n")[0][:40]
        problems.add(
            ctx.path,
            line,
            f"raw HTML ({tag}) is not allowed in articles; write it in Markdown (e.g. **bold**, "
            "[text](https://...)) or remove it",
        )

    for token in tokens:
        if token.map:
            line = ctx.first_line + token.map[0]
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
        elif token.type == "html_block":
            report_html(token)
        elif token.type == "table_open":
            # A data table: no role="presentation"; Outlook reads the HTML attributes.
            for name, value in (("width", "100%"), ("cellpadding", "0"), ("cellspacing", "0")):
                token.attrSet(name, value)
            token.attrSet("class", "nl-data")
        elif token.type == "th_open":
            token.attrSet("scope", "col")
        if token.type == "inline":
            _report_footnotes(token, ctx, line, problems)
        for child in [token, *(token.children or [])]:
            if child.type == "image":
                _prepare_image(child, ctx, line, problems)
            elif child.type == "link_open":
                _prepare_link(child, ctx, line, problems)
            elif child.type == "html_inline":
                report_html(child)
    _neutralise_html(tokens)


# A phone's article column: 320 px less the body's side padding. A table's cells cannot be
# narrower than their longest word (table layout, in every client), so a table whose longest
# words and cell padding add up to more than this would widen the whole email on a phone.
PHONE_TEXT_PX = 272
_CELL_PX = 13  # 6 px padding each side and a 1 px border (templates/base.mjml.j2, .nl-prose td)
# Advance widths (thousandths of an em) of Arial/Helvetica, regular and bold, from the fonts'
# AFM metrics; other characters count as 600 (1000 for wide scripts). Estimates, not layout.
_GLYPHS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;-()'?!/"
_REGULAR = (
    "556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 "
    "722 667 944 667 667 611" + " 556" * 10 + " 278 278 278 278 333 333 333 191 556 278 278"
)
_BOLD = (
    "556 611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 "
    "556 556 500 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 611 "
    "722 667 944 667 667 611" + " 556" * 10 + " 278 278 333 333 333 333 333 238 611 333 278"
)
_WIDTHS = {
    bold: dict(zip(_GLYPHS, map(int, units.split()), strict=True))
    for bold, units in ((False, _REGULAR), (True, _BOLD))
}
_FONT_PX = 16  # .nl-prose td and th


def _word_px(word: str, bold: bool) -> float:
    widths = _WIDTHS[bold]
    units = sum(widths.get(c, 1000 if ord(c) >= 0x2E80 else 600) for c in word)
    return units * _FONT_PX / 1000


_LONG_WORD = 24  # characters: a word this long is allowed to break anywhere in a cell


def _stack_wide_tables(tokens: list[Token]) -> list[Token]:
    """Tables too wide for a phone become one small two-column table per row ("header |
    value"), which fits at 320 px in every client, with or without <style> (the text part does
    the same). Cells holding a very long word may break it anywhere rather than overflow."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].type != "table_open":
            out.append(tokens[i])
            i += 1
            continue
        end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
        table = tokens[i : end + 1]
        rows = _table_rows(table)
        for cell in (c for row in rows for c in row):
            if _longest_word(cell) >= _LONG_WORD:
                _break_anywhere(cell)
        if _min_width_px(rows) > PHONE_TEXT_PX and len(rows) > 1:
            out.extend(_records(table[0], rows))
        else:
            out.extend(table)
        i = end + 1
    return out


def _table_rows(table: list[Token]) -> list[list[list[Token]]]:
    """The table's rows, each a list of cells, each cell its open, inline and close tokens."""
    rows: list[list[list[Token]]] = []
    cell: list[Token] | None = None
    for token in table:
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            cell = [token]
        elif cell is not None:
            cell.append(token)
            if token.type in ("th_close", "td_close"):
                rows[-1].append(cell)
                cell = None
    return rows


def _cell_text(cell: list[Token]) -> str:
    return " ".join(t.content for t in cell if t.type == "inline")


def _longest_word(cell: list[Token]) -> int:
    return max((len(word) for word in _cell_text(cell).split()), default=0)


def _widest_word_px(cell: list[Token]) -> float:
    bold = cell[0].type == "th_open"
    words = [word[:_LONG_WORD] for word in _cell_text(cell).split()]
    return max((_word_px(word, bold) for word in words), default=0.0)


def _min_width_px(rows: list[list[list[Token]]]) -> float:
    """The narrowest the table can be: each column as wide as its longest word."""
    columns = max(len(row) for row in rows)
    widest = [0.0] * columns
    for row in rows:
        for index, cell in enumerate(row):
            widest[index] = max(widest[index], _widest_word_px(cell))
    return sum(px + _CELL_PX for px in widest)


def _break_anywhere(cell: list[Token]) -> None:
    style = str(cell[0].attrGet("style") or "").rstrip(";")
    cell[0].attrSet("style", ";".join(filter(None, [style, "word-break:break-all"])))


def _records(table_open: Token, rows: list[list[list[Token]]]) -> list[Token]:
    """One data table per body row: each header cell becomes a row header beside its value."""
    header, body = rows[0], rows[1:]
    out: list[Token] = []
    for row in body:
        out.append(_copy(table_open, classes="nl-data nl-record"))
        out.append(Token("tbody_open", "tbody", 1))
        for index, value in enumerate(row):
            out.append(Token("tr_open", "tr", 1))
            if index < len(header):
                name = header[index]
                # A fixed share for the headers, so the values keep room on a desktop too.
                out.append(_copy(name[0], scope="row", width="40%", style=name[0].attrGet("style")))
                out.extend(name[1:-1])
                out.append(name[-1])
            out.append(_copy(value[0], style=value[0].attrGet("style")))
            out.extend(value[1:-1])
            out.append(value[-1])
            out.append(Token("tr_close", "tr", -1))
        out.append(Token("tbody_close", "tbody", -1))
        out.append(Token("table_close", "table", -1))
    return out


def _copy(token: Token, **attrs: str | int | float | None) -> Token:
    """A fresh open token of the same kind, with only the given attributes."""
    copy = Token(token.type, token.tag, token.nesting)
    for name, value in attrs.items():
        if value:
            copy.attrSet("class" if name == "classes" else name, value)
    if token.type == "table_open":
        for name, value in (("width", "100%"), ("cellpadding", "0"), ("cellspacing", "0")):
            copy.attrSet(name, value)
    return copy


def _neutralise_html(tokens: list[Token]) -> None:
    """Every raw HTML token becomes plain text, escaped by the renderer like any other text."""
    for token in tokens:
        if token.type == "html_block":
            token.type = "text"  # the renderer's text rule escapes it
        for child in token.children or []:
            if child.type == "html_inline":
                child.type = "text"


def _attribute_quotations(tokens: list[Token], ctx: MarkdownContext) -> list[Token]:
    """After a top-level blockquote or paragraph holding a listed quotation, a line naming
    who said it and their connection to the clinic (FTC 16 CFR 255): inside the blockquote,
    so both the HTML and the text part show it."""
    out: list[Token] = []
    depth = 0
    held: list[str] = []
    for token in tokens:
        if token.type == "blockquote_open":
            depth += 1
        if token.type == "inline":
            held.append(token.content)
        closes_quote = token.type == "blockquote_close" and depth == 1
        closes_paragraph = token.type == "paragraph_close" and depth == 0 and token.level == 0
        if closes_quote:
            line = ctx.attribution(" ".join(held))
            if line:
                out.extend(_attribution_tokens(line, level=1))
        out.append(token)
        if closes_paragraph:
            line = ctx.attribution(" ".join(held))
            if line:
                out.extend(_attribution_tokens(line, level=0))
        if token.type == "blockquote_close":
            depth -= 1
        if closes_quote or closes_paragraph or (depth == 0 and token.type.endswith("_close")):
            held = []
    return out


def _attribution_tokens(line: str, level: int) -> list[Token]:
    opening = Token("paragraph_open", "p", 1, level=level)
    opening.attrSet("class", "nl-attribution")
    inline = Token("inline", "", 0, content=line, level=level + 1)
    inline.children = [Token("text", "", 0, content=line)]
    return [opening, inline, Token("paragraph_close", "p", -1, level=level)]


def _prepare_image(token: Token, ctx: MarkdownContext, line: int, problems: Problems) -> None:
    src = str(token.attrGet("src") or "")
    if not src.startswith("https://"):
        if src.startswith("http://"):
            problems.add(ctx.path, line, f"image '{src}' must use https://")
            return
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", src) or src.startswith("//"):
            problems.add(
                ctx.path,
                line,
                f"image '{src[:60]}' must be an https:// address or a file in content/images/",
            )
            return
        problem = ctx.image_problem(unquote(src))
        if problem:
            problems.add(ctx.path, line, problem)
            return
    token.attrSet("src", ctx.image_url(src))
    token.attrSet("width", "552")
    token.attrSet("style", "display:block;width:100%;max-width:552px;height:auto;border:0;")


# The link targets an email may carry: web pages, mail, phone, a place in the same email.
_SAFE_LINK = re.compile(r"^(?:https://[^/\s]|mailto:|tel:|#)", re.I)


def _prepare_link(token: Token, ctx: MarkdownContext, line: int, problems: Problems) -> None:
    href = str(token.attrGet("href") or "")
    if href.startswith("/") and not href.startswith("//"):
        token.attrSet("href", urljoin(ctx.website, href))
    elif href[:7].lower() == "http://":
        problems.warn(
            ctx.path, line, f"link '{href}' is not secure; use https:// if the site has it"
        )
    elif not _SAFE_LINK.match(href):
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", href)
        shown = href if len(href) <= 60 else href[:60] + "..."
        if scheme and scheme.group(1).lower() in ("javascript", "vbscript", "data", "file"):
            why = f"'{scheme.group(1).lower()}:' links are unsafe and blocked by mail programs"
        elif scheme:
            why = f"'{scheme.group(1).lower()}:' links do not open from an email"
        else:
            why = "it cannot work in an email"
        problems.add(
            ctx.path,
            line,
            f"link '{shown}': {why}; write a full https:// address (or mailto:/tel:)",
        )


# ---------------------------------------------------------------- plain text


_MARKERS = {"strong_open": "*", "strong_close": "*", "em_open": "_", "em_close": "_"}


def _inline_text(token: Token) -> str:
    out: list[str] = []
    href_stack: list[tuple[str, int]] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(child.content or "")
        elif child.type in _MARKERS:
            out.append(_MARKERS[child.type])
        elif child.type == "link_open":
            href_stack.append((str(child.attrGet("href") or ""), len(out)))
        elif child.type == "link_close" and href_stack:
            href, start = href_stack.pop()
            label = "".join(out[start:]).strip()
            target = href.removeprefix("mailto:").removeprefix("tel:")
            if label not in (href, target):
                out.append(f" <{href}>")
    return "".join(out)


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Wrap a paragraph for the text part without breaking words or links."""
    return _wrapped(text, indent, indent if first is None else first)


@remembered()
def _wrapped(text: str, indent: str, first: str) -> str:
    """`wrap`, remembered: the templates wrap every article's texts on every rebuild."""
    lines = []
    for i, part in enumerate(text.split("\n")):
        lines.append(
            textwidth.fill(
                part,
                TEXT_WIDTH,
                initial_indent=first if i == 0 else indent,
                subsequent_indent=indent,
            )
        )
    return "\n".join(lines)


_LINE_PREFIX = re.compile(r"^(\s*)(- |\d+\. |\[\d+\] |> )?")


def rewrap(text: str) -> str:
    """Every line of a finished text part within 72 columns: longer lines (a template's
    sentence, a long title, "label: URL") are wrapped under their own indent or list marker.
    Only a URL too long for any line stays longer: breaking it would break the link."""
    out = []
    for line in text.split("\n"):
        if textwidth.width(line) <= TEXT_WIDTH:
            out.append(line)
            continue
        match = _LINE_PREFIX.match(line)
        assert match is not None  # the pattern matches every string
        prefix = match.group(0)
        rest = " " * len(prefix) if match.group(2) != "> " else match.group(1) + "> "
        out.append(wrap(line[len(prefix) :], indent=rest, first=prefix))
    return "\n".join(out)


def underline(title: str, char: str) -> str:
    """A heading for the text part: wrapped, underlined as long as its longest line."""
    lines = wrap(" ".join(title.split())).split("\n")
    return "\n".join([*lines, char * min(max(textwidth.width(x) for x in lines), TEXT_WIDTH)])


def _to_text(tokens: list[Token]) -> str:
    blocks: list[str] = []
    prefix_stack: list[str] = []  # list markers and blockquote prefixes
    counters: list[int] = []
    pending_marker: str | None = None
    tight = False  # items after a list's first follow it without a blank line
    table: list[list[str]] | None = None
    aligns: list[str] = []
    for token in tokens:
        kind = token.type
        if table is not None:
            if kind == "tr_open":
                table.append([])
            elif kind in ("th_open", "td_open") and len(table) == 1:
                aligns.append(str(token.attrGet("style") or ""))
            elif kind == "inline":
                table[-1].append(" ".join(_inline_text(token).split()))
            elif kind == "table_close":
                indent = "".join(" " * len(p) if p != "> " else "> " for p in prefix_stack)
                blocks.append(textwrap.indent(table_text(table, aligns), indent))
                table = None
            continue
        if kind == "table_open":
            table, aligns = [], []
        elif kind == "bullet_list_open":
            counters.append(0)
            prefix_stack.append("- ")
        elif kind == "ordered_list_open":
            counters.append(int(str(token.attrGet("start") or 1)) - 1)
            prefix_stack.append("1. ")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
            prefix_stack.pop()
        elif kind == "list_item_open":
            counters[-1] += 1
            pending_marker = "- " if prefix_stack[-1] == "- " else f"{counters[-1]}. "
            tight = counters[-1] > 1 or len(counters) > 1  # a nested list hugs its item
        elif kind == "blockquote_open":
            prefix_stack.append("> ")
        elif kind == "blockquote_close":
            prefix_stack.pop()
        elif kind == "inline":
            indent = "".join(" " * len(p) if p != "> " else "> " for p in prefix_stack)
            if pending_marker is not None:
                first = indent[: -len(prefix_stack[-1])] + pending_marker
                text = wrap(_inline_text(token), indent=" " * len(first), first=first)
                pending_marker = None
                blocks.append(("\u0000" if tight else "") + text)
            else:
                blocks.append(wrap(_inline_text(token), indent=indent))
        elif kind == "heading_close":
            blocks[-1] = underline(blocks[-1], "-")
        elif kind in ("fence", "code_block"):
            blocks.append(textwrap.indent(token.content.rstrip("\n"), "    "))
        elif kind == "hr":
            blocks.append("-" * 20)
    return _join_blocks(blocks)


def table_text(rows: list[list[str]], aligns: list[str], width: int = TEXT_WIDTH) -> str:
    """A table for the text part: aligned columns when they fit the width, else one record
    per row ("Header: value" lines), so no cell is ever cut or run together."""
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(textwidth.width(row[i]) for row in rows) for i in range(columns)]
    if sum(widths) + 2 * (columns - 1) <= width:

        def line(row: list[str]) -> str:
            cells = []
            for i, cell in enumerate(row):
                align = aligns[i] if i < len(aligns) else ""
                if "right" in align:
                    cells.append(textwidth.rjust(cell, widths[i]))
                elif "center" in align:
                    cells.append(textwidth.center(cell, widths[i]))
                else:
                    cells.append(textwidth.ljust(cell, widths[i]))
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])
    header, records = rows[0], []
    for row in rows[1:]:
        records.append(
            "\n".join(
                wrap(f"{name}: {cell}" if name else cell, indent="  ", first="")
                for name, cell in zip(header, row, strict=True)
                if cell
            )
        )
    return "\n\n".join(records)


def _join_blocks(blocks: list[str]) -> str:
    """Blank lines between blocks, none between the items of a list."""
    out: list[str] = []
    for block in blocks:
        if block.startswith("\u0000"):
            out.append("\n" + block[1:])
        else:
            out.append(("\n\n" if out else "") + block)
    return "".join(out).strip("\n")
