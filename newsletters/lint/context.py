"""What every rule sees for one built issue: the parsed output and the content it came from.

Content is read as `Segment`s: a piece of text (subject, a front matter field, an article's
body) with the file and line it starts at, so a rule that finds a word at offset N in a segment
can name the exact line of the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from ..built import BuiltIssue
from ..memo import remembered
from ..model import Article, LintSettings, Project
from . import document


@dataclass(frozen=True)
class Segment:
    """A piece of content and where it starts: `exact` when its newlines are the file's."""

    path: Path
    line: int
    text: str
    field: str  # "subject", "preheader", "intro", "body", "summary", ...
    article: Article | None = None
    exact: bool = False

    def line_at(self, offset: int) -> int:
        return self.line + self.text.count("\n", 0, offset) if self.exact else self.line


_INVISIBLE = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                        r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f"
                        r"\ufeff\uffa0]")  # fmt: skip
_REFERENCE = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@remembered()
def readers_see(text: str) -> str:
    """Text as readers see it, for the checks: character references (`c&#117;re`) decoded,
    invisible characters (zero-width spaces, soft hyphens, joiners) dropped, compatibility
    forms (full-width letters) folded. Line breaks stay where they are, so lines still match."""
    import html
    import unicodedata

    decoded = _REFERENCE.sub(lambda m: html.unescape(m.group(0)).replace("\n", " "), text)
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", decoded))


@dataclass
class Context:
    project: Project
    built: BuiltIssue
    settings: LintSettings
    _files: dict[Path, list[str]] = field(default_factory=dict)

    @cached_property
    def doc(self) -> document.Document:
        return document.parse(self.built.html_template)

    @property
    def issue_path(self) -> Path:
        return self.built.issue.path

    @property
    def clinic_path(self) -> Path:
        return self.project.paths.clinic_file

    def clinic_line(self, key: str) -> int:
        return self.project.clinic.lines.get(key, 1)

    def template(self, suffix: str = ".mjml.j2") -> Path:
        """The layout's template: where output problems with no content source come from."""
        return self.project.paths.layout(self.built.issue.meta.layout, suffix)

    @cached_property
    def articles(self) -> list[Article]:
        return [self.project.articles[s] for s in self.built.issue.article_slugs]

    @cached_property
    def segments(self) -> list[Segment]:
        """Every piece of text the clinic wrote that this issue shows, with its location."""
        issue = self.built.issue
        meta = issue.meta
        out = [
            Segment(issue.path, issue.line_of("subject"), meta.subject, "subject"),
            Segment(issue.path, issue.line_of("preheader"), meta.preheader, "preheader"),
        ]
        if meta.title:
            out.append(Segment(issue.path, issue.line_of("title"), meta.title, "title"))
        if meta.intro:
            line = issue.line_of("intro")
            literal = self._is_literal_block(issue.path, line)
            out.append(
                Segment(
                    issue.path, line + 1 if literal else line, meta.intro, "intro", None, literal
                )
            )
        if meta.cta:
            out.append(Segment(issue.path, issue.line_of("cta"), meta.cta.label, "cta"))
        for article in self.articles:
            out.extend(article_segments(article))
        clinic = self.project.clinic
        for key, text in (
            ("tagline", clinic.tagline),
            ("disclaimer", clinic.disclaimer),
            ("why_received", clinic.why_received),
            ("cta", clinic.cta.label if clinic.cta else ""),
        ):
            if text:
                out.append(Segment(self.clinic_path, self.clinic_line(key), text, key))
        return [replace(segment, text=readers_see(segment.text)) for segment in out]

    def _is_literal_block(self, path: Path, line: int) -> bool:
        lines = self.lines_of(path)
        return 0 < line <= len(lines) and lines[line - 1].rstrip().endswith(("|", "|-", "|+"))

    def lines_of(self, path: Path) -> list[str]:
        if path not in self._files:
            try:
                self._files[path] = path.read_text(encoding="utf-8").split("\n")
            except OSError:
                self._files[path] = []
        return self._files[path]

    def where(self, *needles: str) -> tuple[Path, int | None]:
        """Where a finding about the output points: the first needle found, else the layout."""
        found = self.locate(*needles)
        return found if found else (self.template(), None)

    def locate(self, *needles: str) -> tuple[Path, int] | None:
        """The content file and line holding the first findable needle, else a template's."""
        content = [self.issue_path, *(a.path for a in self.articles), self.clinic_path]
        templates = sorted(self.project.templates_dir.rglob("*.j2"))
        for needle in needles:
            if len(needle) < 3:
                continue
            for path in [*content, *templates]:
                for number, text in enumerate(self.lines_of(path), start=1):
                    if needle in text:
                        return path, number
        return None

    @cached_property
    def html_words(self) -> str:
        """The visible text of the HTML as lowercase words, for 'is X printed?' checks."""
        return words(" ".join(self.doc.visible_text))

    @cached_property
    def text_words(self) -> str:
        return words(mask_urls(self.built.text_template))


def article_segments(article: Article) -> list[Segment]:
    meta = article.meta
    out = [
        Segment(article.path, article.line_of("title"), meta.title, "title", article),
        Segment(article.path, article.line_of("summary"), meta.summary, "summary", article),
        Segment(article.path, article.body_line, article.body, "body", article, exact=True),
    ]
    out.extend(
        Segment(article.path, article.line_of("symptoms"), s, "symptoms", article)
        for s in meta.symptoms
    )
    if meta.cta:
        out.append(Segment(article.path, article.line_of("cta"), meta.cta.label, "cta", article))
    return out


_WORD = re.compile(r"\w+")


def words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def contains_words(haystack_words: str, needle: str) -> bool:
    """True when `needle`'s words appear, in order and adjacent, in `haystack_words`."""
    needle_words = words(needle)
    return needle_words.strip() != "" and needle_words in haystack_words


_SENTENCE_END = re.compile(r"[.!?](?=[\s\"”’)]|$)|\n\s*\n")


def sentence_at(text: str, start: int, end: int | None = None) -> str:
    """The sentence around text[start:end], whitespace collapsed."""
    end = start if end is None else end
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    begin = before[-1] if before else 0
    after = _SENTENCE_END.search(text, end)
    stop = after.end() if after else len(text)
    return " ".join(text[begin:stop].split())


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a text."""
    spans = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        if text[begin : match.end()].strip():
            spans.append((begin, match.end()))
        begin = match.end()
    if text[begin:].strip():
        spans.append((begin, len(text)))
    return spans


_LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")


def mask_urls(text: str) -> str:
    """Blank out link targets (same length, so offsets still match the source)."""
    return _LINK_TARGET.sub(lambda m: " " * len(m.group()), text)
