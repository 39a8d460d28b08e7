"""Stage 3: Jinja2 renders the layout's MJML and plain-text templates from the issue's content.

The templates see view objects (below), never the loader's raw YAML, so a template can be
written by someone who reads only the README. Errors in templates are reported at the
template's own file and line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import markdown
from .compliance import attribution_finder, sponsor_label
from .dates import date_label, month_label
from .errors import Problem, Problems
from .load import image_problem
from .logo import project_plate
from .merge import PLACEHOLDERS
from .model import Article, Clinic, Condition, Issue, Link, Project, Source, Testimonial
from .readability import reading_minutes


@dataclass(frozen=True)
class ArticleView:
    """An article ready for a template."""

    slug: str
    title: str
    summary: str
    condition: Condition
    image_url: str | None
    image_alt: str
    symptoms: tuple[str, ...]
    sources: tuple[Source, ...]
    cta: Link
    url: str | None
    reviewed_by: str | None
    reviewed_on: dt.date | None
    body_html: Markup
    body_text: str
    reading_minutes: int
    featured: bool
    sponsor: str | None = None  # "Sponsored by ...", when a third party paid for it

    @property
    def full(self) -> bool:
        """True when the email shows the whole article (it has no web page to link to)."""
        return self.url is None


@dataclass(frozen=True)
class RenderedIssue:
    """The MJML and plain text of one issue, with the CSS to inline pulled out of the MJML."""

    mjml: str
    inline_css: str
    text: str
    context: dict[str, Any]


def image_url(clinic: Clinic, ref: str) -> str:
    """An absolute https URL for an image reference (content/ path or URL)."""
    from .confine import url_path

    if ref.startswith("https://"):
        return ref
    return clinic.images_base_url.rstrip("/") + "/" + url_path(ref.lstrip("/"))


def build_context(project: Project, issue: Issue, problems: Problems) -> dict[str, Any]:
    """Everything a layout may use; Markdown is rendered here (stage 2)."""
    clinic = project.clinic
    fallback_cta = issue.meta.cta or clinic.cta or Link(f"Call us: {clinic.phone}", clinic.tel)
    articles = [
        _article_view(
            project, project.articles[slug], fallback_cta, slug == issue.meta.featured, problems
        )
        for slug in issue.article_slugs
    ]
    intro = _markdown(project, issue.meta.intro, issue.path, issue.line_of("intro") + 1, problems)
    disclaimer = _markdown(
        project,
        clinic.disclaimer,
        project.paths.clinic_file,
        clinic.lines.get("disclaimer", 1),
        problems,
    )
    title = issue.meta.title or month_label(issue.meta.date.year, issue.meta.date.month)
    plate = project_plate(project)
    return {
        "clinic": clinic,
        "theme": clinic.theme,
        # The side lines start on: MJML writes direction:ltr and left alignment everywhere
        # unless told, so a right-to-left clinic's text would read against its flow.
        "start": "right" if clinic.direction == "rtl" else "left",
        "end": "left" if clinic.direction == "rtl" else "right",
        "issue": {
            "id": issue.id,
            "subject": issue.meta.subject,
            "preheader": issue.meta.preheader,
            "date": issue.meta.date,
            "date_label": date_label(issue.meta.date),
            "title": title,
            "layout": issue.meta.layout,
            "intro_html": Markup(intro.html),
            "intro_text": intro.text,
            "cta": fallback_cta,
            "sponsor": sponsor_label(issue.meta.sponsored_by),
        },
        "articles": articles,
        "featured": articles[0],
        "others": articles[1:],
        "conditions": clinic.conditions,
        # The plated logo when the clinic's would vanish under forced dark (logo.py).
        "logo_url": image_url(clinic, plate.ref if plate else clinic.logo.src)
        if clinic.logo
        else None,
        "logo_width": plate.width if plate else clinic.logo.width if clinic.logo else None,
        "logo_dark_url": (
            image_url(clinic, clinic.logo.dark_src)
            if clinic.logo and clinic.logo.dark_src
            else None
        ),
        "disclaimer_html": Markup(disclaimer.html),
        "disclaimer_text": disclaimer.text,
        "address_lines": [
            line.strip() for line in clinic.address.strip().splitlines() if line.strip()
        ],
        "merge": dict(PLACEHOLDERS),
    }


_MarkdownKey = tuple[str, str, int, str, str, str, tuple[Testimonial, ...]]
_MarkdownEntry = tuple[
    markdown.RenderedText, tuple[Problem, ...], tuple[tuple[str, str | None], ...]
]
_markdown_cache: dict[_MarkdownKey, _MarkdownEntry] = {}
_markdown_lock = threading.Lock()
MARKDOWN_CACHE_SIZE = 512


def _markdown(
    project: Project,
    source: str,
    path: Path,
    line: int,
    problems: Problems,
    testimonials: tuple[Testimonial, ...] = (),
) -> markdown.RenderedText:
    """Markdown of one text, remembered for the next build in this process (preview, benchmark):
    parsing is a third of a warm rebuild. The key holds everything the result depends on; the
    images it checked must still exist or not as before, and its problems are reported again."""
    clinic = project.clinic
    content = project.content_dir
    key = (
        source,
        str(path),
        line,
        clinic.website,
        clinic.images_base_url,
        str(content),
        testimonials,
    )
    with _markdown_lock:
        hit = _markdown_cache.get(key)
    if hit is not None:
        rendered, found, checked = hit
        if all(image_problem(content, ref) == was for ref, was in checked):
            problems.extend(found)
            return rendered
    seen: list[tuple[str, str | None]] = []

    def check_image(ref: str) -> str | None:
        problem = image_problem(content, ref)
        seen.append((ref, problem))
        return problem

    ctx = markdown.MarkdownContext(
        path=path,
        first_line=line,
        website=clinic.website,
        image_url=lambda ref: image_url(clinic, ref),
        image_problem=check_image,
        attribution=attribution_finder(testimonials),
    )
    own = Problems()
    rendered = markdown.render(source, ctx, own)
    problems.extend(own)
    with _markdown_lock:
        if len(_markdown_cache) >= MARKDOWN_CACHE_SIZE:
            _markdown_cache.pop(next(iter(_markdown_cache)))
        _markdown_cache[key] = (rendered, tuple(own), tuple(seen))
    return rendered


def _article_view(
    project: Project, article: Article, fallback_cta: Link, featured: bool, problems: Problems
) -> ArticleView:
    meta = article.meta
    body = _markdown(
        project, article.body, article.path, article.body_line, problems, meta.testimonials
    )
    condition = project.clinic.condition(meta.condition) or Condition(
        meta.condition, meta.condition.replace("-", " ").title()
    )
    return ArticleView(
        slug=article.slug,
        title=meta.title,
        summary=meta.summary,
        condition=condition,
        image_url=image_url(project.clinic, meta.image) if meta.image else None,
        image_alt=meta.image_alt or "",
        symptoms=meta.symptoms,
        sources=meta.sources,
        cta=meta.cta or fallback_cta,
        url=meta.url,
        reviewed_by=meta.reviewed_by,
        reviewed_on=meta.reviewed_on,
        body_html=Markup(body.html),
        body_text=body.text,
        reading_minutes=reading_minutes(article.body),
        featured=featured,
        sponsor=sponsor_label(meta.sponsored_by),
    )


# ---------------------------------------------------------------- Jinja2


class _ContentCheckedLoader(jinja2.FileSystemLoader):
    """Recompiles a template when its text changed: file times tick too coarsely (ms) to tell
    two quick edits apart, and a shared Environment must never render a stale template.

    Jinja asks on every render, for every include (40 files a rebuild). On POSIX, a file
    whose device, inode, size, modification and change times are those it had when its text
    was found equal, both times more than `_SETTLED` seconds older than that look, is still
    that text: any write since would have moved its change time, which no program can set
    back. Otherwise (Windows, a file written moments before) the text is compared."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        looked_at = time.time_ns()
        source, filename, _ = super().get_source(environment, template)
        checked = _CheckedTemplate(Path(filename), source, self.encoding)
        checked.settle(looked_at)
        return source, filename, checked.uptodate


_SETTLED = 2  # seconds: far beyond any file system's time resolution (FAT: 2 s)


class _CheckedTemplate:
    """Whether a template file still holds the text it was compiled from."""

    def __init__(self, path: Path, source: str, encoding: str) -> None:
        self.path = path
        self.source = source
        self.encoding = encoding
        self.signature: tuple[int, int, int, int, int] | None = None  # known to hold source

    def settle(self, looked_at: int) -> None:
        """Remember the file's signature, read around `looked_at` with the source's text,
        when its times are old enough that a later write must change them."""
        if os.name != "posix":
            return
        found = _signature(self.path)
        if found is not None and looked_at - max(found[3], found[4]) > _SETTLED * 10**9:
            self.signature = found

    def uptodate(self) -> bool:
        if self.signature is not None and _signature(self.path) == self.signature:
            return True
        self.signature = None
        looked_at = time.time_ns()
        try:
            same = self.path.read_text(encoding=self.encoding) == self.source
        except (OSError, UnicodeDecodeError):
            return False
        if same:
            self.settle(looked_at)
        return same


def _signature(path: Path) -> tuple[int, int, int, int, int] | None:
    """(device, inode, size, mtime_ns, ctime_ns) of a file, or None."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs, in Jinja's own per-user folder (mode 0700, in the
    temp folder): compiling them is ~20 ms of every cold build. Each entry is checked against
    its template's source, so it is never stale; one that cannot be read or written is skipped."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged cache file must never fail a build
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # no usable temp folder: compile every time
        return None


def environment(templates_dir: Path) -> jinja2.Environment:
    """A new Environment; `render_issue` shares one per folder (see `shared_environment`)."""
    env = jinja2.Environment(
        loader=_ContentCheckedLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and not name.endswith(".txt.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["wrap"] = lambda text, indent="": markdown.wrap(str(text), indent=indent)
    env.filters["underline"] = lambda text, char="=": markdown.underline(str(text), char)
    return env


@functools.lru_cache(maxsize=8)
def _environment_for(templates_dir: str) -> jinja2.Environment:
    return environment(Path(templates_dir))


def shared_environment(templates_dir: Path) -> jinja2.Environment:
    """One Environment per templates folder for the whole process.

    Compiling the templates costs ~20 ms, ten times the rendering itself; an Environment keeps
    them compiled and (auto_reload) recompiles a template whose file changed, so a rebuild in
    a long-running process (preview, benchmark) sees every edit and pays only for it.
    """
    return _environment_for(str(templates_dir.resolve()))


def render_issue(
    project: Project, issue: Issue, problems: Problems, env: jinja2.Environment | None = None
) -> RenderedIssue | None:
    """Render the layout's two templates; template mistakes become problems."""
    context = build_context(project, issue, problems)
    env = env or shared_environment(project.templates_dir)
    layout = issue.meta.layout
    mjml = _render(env, f"layouts/{layout}.mjml.j2", context, project, problems)
    text = _render(env, f"layouts/{layout}.txt.j2", context, project, problems)
    if mjml is None or text is None:
        return None
    mjml, inline_css = extract_inline_css(mjml)
    return RenderedIssue(mjml=mjml, inline_css=inline_css, text=tidy_text(text), context=context)


def _render(
    env: jinja2.Environment,
    name: str,
    context: dict[str, Any],
    project: Project,
    problems: Problems,
) -> str | None:
    templates = project.templates_dir
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename) if exc.filename else templates / name
        problems.add(path, exc.lineno, f"template error: {exc.message}")
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(exc, templates, name)
        problems.add(path, line, f"template '{exc.name}' not found in templates/")
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(exc, templates, name)
        hint = "check the name in docs/reference/templates.md"
        problems.add(path, line, f"template error: {exc.message}; {hint}")
    except (TypeError, ValueError, AttributeError) as exc:
        path, line = _template_frame(exc, templates, name)
        problems.add(path, line, f"template error: {exc}")
    return None


def _template_frame(exc: BaseException, templates: Path, name: str) -> tuple[Path, int | None]:
    """The template file and line where a rendering error happened (Jinja keeps them)."""
    root = str(templates.resolve())
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and str(Path(frame.filename).resolve()).startswith(root):
            return Path(frame.filename), frame.lineno
    return templates / name, None


# With the spaces around it: MRML refuses some whitespace left where the block was.
# The spaces and tabs before it go too: found by hand, as a pattern starting with them is
# tried at every character of the MJML.
_INLINE_STYLE = re.compile(r"<mj-style\s+inline=\"inline\"\s*>(.*?)</mj-style>[ \t]*", re.S)


def extract_inline_css(mjml: str) -> tuple[str, str]:
    """Pull `<mj-style inline="inline">` CSS out: mjml-python would not inline it (stage 5 does)."""
    kept: list[str] = []
    css: list[str] = []
    position = 0
    for match in _INLINE_STYLE.finditer(mjml):
        start = match.start()
        while start > position and mjml[start - 1] in " \t":
            start -= 1
        kept.append(mjml[position:start])
        css.append(match.group(1).strip())
        position = match.end()
    kept.append(mjml[position:])
    return "".join(kept), "\n".join(css)


def tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, lines within 72 columns (URLs
    excepted), one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return markdown.rewrap(out) + "\n"
