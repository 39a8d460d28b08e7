"""Stage 2: Markdown to email-safe HTML and to plain text, from one parse.

Headings in an article body sit below the article's own title (h2), so they are shifted to
start at h3; images and site-relative links become absolute; raw HTML is not allowed (it would
bypass the templates' accessible markup).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .errors import Problems

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
    image_exists: Callable[[str], bool]
    heading_base: int = 3  # the level the body's biggest heading becomes
    # The attribution line of a quotation a paragraph or blockquote holds (testimonials).
    attribution: Callable[[str], str | None] = lambda text: None


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.enable(["replacements", "smartquotes"])
    return md


def render(source: str, ctx: MarkdownContext, problems: Problems) -> RenderedText:
    """Render Markdown; images that do not exist and unsafe links become problems."""
    md = _parser()
    tokens = md.parse(source)
    _prepare(tokens, ctx, problems)
    tokens = _attribute_quotations(tokens, ctx)
    html = md.renderer.render(tokens, md.options, {}).strip()
    return RenderedText(html=html, text=_to_text(tokens))


def render_inline(source: str) -> str:
    """A single line of Markdown (a disclaimer sentence, an intro) as inline-friendly HTML."""
    md = _parser()
    return str(md.render(source)).strip()


def _prepare(tokens: list[Token], ctx: MarkdownContext, problems: Problems) -> None:
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = ctx.heading_base - min(levels) if levels else 0
    line = ctx.first_line
    for token in tokens:
        if token.map:
            line = ctx.first_line + token.map[0]
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
        for child in [token, *(token.children or [])]:
            if child.type == "image":
                _prepare_image(child, ctx, line, problems)
            elif child.type == "link_open":
                _prepare_link(child, ctx, line, problems)


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
        if not ctx.image_exists(src):
            problems.add(
                ctx.path, line, f"image '{src}' not found in content/; check the file name"
            )
            return
    token.attrSet("src", ctx.image_url(src))
    token.attrSet("width", "552")
    token.attrSet("style", "display:block;width:100%;max-width:552px;height:auto;border:0;")


def _prepare_link(token: Token, ctx: MarkdownContext, line: int, problems: Problems) -> None:
    href = str(token.attrGet("href") or "")
    if href.startswith("/") and not href.startswith("//"):
        token.attrSet("href", urljoin(ctx.website, href))
    elif href.startswith("http://"):
        problems.warn(
            ctx.path, line, f"link '{href}' is not secure; use https:// if the site has it"
        )
    elif not re.match(r"^(https://|mailto:|tel:|#)", href) and "://" not in href:
        problems.add(
            ctx.path,
            line,
            f"link '{href}' cannot work in an email; write a full https:// address",
        )


# ---------------------------------------------------------------- plain text


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
    first = indent if first is None else first
    lines = []
    for i, part in enumerate(text.split("\n")):
        lines.append(
            textwrap.fill(
                part,
                width=TEXT_WIDTH,
                initial_indent=first if i == 0 else indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _to_text(tokens: list[Token]) -> str:
    blocks: list[str] = []
    prefix_stack: list[str] = []  # list markers and blockquote prefixes
    counters: list[int] = []
    pending_marker: str | None = None
    tight = False  # items after a list's first follow it without a blank line
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
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
            tight = counters[-1] > 1
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
            title = blocks[-1]
            blocks[-1] = f"{title}\n{'-' * min(len(title), TEXT_WIDTH)}"
        elif kind in ("fence", "code_block"):
            blocks.append(textwrap.indent(token.content.rstrip("\n"), "    "))
        elif kind == "hr":
            blocks.append("-" * 20)
    return _join_blocks(blocks)


def _join_blocks(blocks: list[str]) -> str:
    """Blank lines between blocks, none between the items of a list."""
    out: list[str] = []
    for block in blocks:
        if block.startswith("\u0000"):
            out.append("\n" + block[1:])
        else:
            out.append(("\n\n" if out else "") + block)
    return "".join(out).strip("\n")
