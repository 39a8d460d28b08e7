"""The build, in order. This is the only place the order of the stages is written.

    1. load      content/ -> validated, typed Project                       (load.py)
    2. markdown  article bodies, intro, disclaimer -> HTML + plain text     (markdown.py)
    3. render    Jinja2: layouts/<layout>.mjml.j2 and .txt.j2               (render.py)
    4. compile   mjml-python: MJML -> responsive HTML                       (compile.py)
    5. inline    premailer: the template's inline CSS onto elements         (inline.py)
    6. finish    merge placeholders -> the clinic's own URLs; markers out   (merge.py)
    7. write     dist/<issue>/: email.html, email.txt, email.mjml,
                 meta.json, images/                                         (write.py)

Stages 1-6 run for every issue of the run before stage 7 writes anything, so a failed run
leaves the previous output as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import merge
from .errors import NewsletterError, Problems
from .links import strip_article_markers
from .load import check_issue, load_project, select_issues
from .model import Issue, Project

# Gmail clips a message's HTML at about 102 KB; platforms add tracking, so warn from 90 KB.
# (The lint rule deliverability/html-size checks these, with thresholds clinic.yaml can tune.)
GMAIL_CLIP_BYTES = 102 * 1024
SIZE_WARNING_BYTES = 90 * 1024


@dataclass(frozen=True)
class BuiltIssue:
    """One issue built in memory: what stage 7 writes and what export and send start from."""

    issue: Issue
    mjml: str
    html_template: str  # HTML with merge placeholders, for export and send
    text_template: str
    html: str  # with the clinic's own links: complete on its own
    text: str
    images: tuple[tuple[Path, str], ...]  # (file in content/, path under dist/<issue>/)

    @property
    def meta(self) -> dict[str, Any]:
        m = self.issue.meta
        return {
            "issue": self.issue.id,
            "subject": m.subject,
            "preheader": m.preheader,
            "date": m.date.isoformat(),
            "layout": m.layout,
            "featured": m.featured,
            "articles": list(self.issue.article_slugs),
            "html_bytes": len(self.html.encode("utf-8")),
            "text_bytes": len(self.text.encode("utf-8")),
            "merge_tags": merge.used(self.html_template + self.text_template),
        }


def clinic_values(project: Project, issue: Issue) -> dict[str, str]:
    """The clinic's own URLs for the merge tags: a built email works without a platform."""
    clinic = project.clinic
    return {
        "unsubscribe_url": clinic.unsubscribe_url,
        "web_version_url": clinic.web_version_url.replace("{issue}", issue.id),
        "preferences_url": clinic.preferences_url or clinic.unsubscribe_url,
        "first_name": "there",
    }


def build_issue(project: Project, issue: Issue, problems: Problems) -> BuiltIssue | None:
    """Stages 2-6 for one issue. Problems are added; None when any is an error."""
    from .compile import compile_mjml, merge_outlook_conditionals
    from .inline import inline_css
    from .render import render_issue

    before = len(problems.errors)
    check_issue(project, issue, problems)
    if len(problems.errors) > before:
        return None
    rendered = render_issue(project, issue, problems)  # stages 2 and 3
    if rendered is None or len(problems.errors) > before:
        return None
    compiled = compile_mjml(rendered.mjml, project.templates_dir, issue.meta.layout, problems)
    if compiled is None:
        return None
    # Merged after inlining: premailer's serialisation leaves more of them side by side.
    html_template = merge_outlook_conditionals(inline_css(compiled, rendered.inline_css))
    images = _local_images(project, html_template)
    html_template = _finish_images(project, rendered.context, html_template, images)
    values = clinic_values(project, issue)
    # Article markers (for export's per-article UTM tags) stay in html_template only.
    html = strip_article_markers(merge.substitute(html_template, values, escape=True))
    html = merge_outlook_conditionals(html)  # the markers sat between some of them
    text = merge.substitute(rendered.text, values, escape=False)
    return BuiltIssue(
        issue=issue,
        mjml=rendered.mjml,
        html_template=html_template,
        text_template=rendered.text,
        html=html,
        text=text,
        images=images,
    )


def _finish_images(
    project: Project, context: dict[str, Any], html: str, images: tuple[tuple[Path, str], ...]
) -> str:
    from .images import finish_images
    from .render import image_url

    files = {image_url(project.clinic, ref): path for path, ref in images}
    logos = frozenset(u for u in (context["logo_url"], context["logo_dark_url"]) if u)
    return finish_images(html, project, files, logos)


def _local_images(project: Project, html: str) -> tuple[tuple[Path, str], ...]:
    """Files from content/ that the email links to under the images base URL."""
    from .logo import project_plate

    base = re.escape(project.clinic.images_base_url.rstrip("/") + "/")
    plate = project_plate(project)
    found = []
    for ref in sorted(set(re.findall(base + r'([^"\'\s)<>]+)', html))):
        path = plate.path if plate and ref == plate.ref else project.content_dir / ref
        if path.is_file():
            found.append((path, ref))
    return tuple(found)


def build(
    root: Path, names: Sequence[str] = (), all_issues: bool = False
) -> tuple[Project, list[BuiltIssue], Problems]:
    """Load the project and build the named issues (or all, or the newest) in memory.

    Raises NewsletterError with every problem found when anything is wrong.
    """
    problems = Problems()
    project = load_project(root, problems)
    if project is None:
        raise NewsletterError(problems.errors)
    if all_issues:
        issues = list(project.issues.values())
        if not issues and not problems.errors:
            problems.add(
                project.content_dir / "issues", None, "no issues yet; add one, e.g. 2026-11.yaml"
            )
    else:
        issues = select_issues(project, names, problems)
    if problems.errors:
        # Content has mistakes: still check the chosen issues' references, render nothing.
        for issue in issues:
            check_issue(project, issue, problems)
        raise NewsletterError(problems.errors)
    built = [b for issue in issues if (b := build_issue(project, issue, problems)) is not None]
    problems.raise_if_errors()
    add_theme_warnings(project, problems)
    return project, built, problems


def add_theme_warnings(project: Project, problems: Problems) -> None:
    """Theme colours that fail WCAG AA contrast, reported at clinic.yaml's `theme:` line."""
    from .theme import contrast_warnings

    clinic = project.clinic
    path = project.content_dir / "clinic.yaml"
    problems.extend(contrast_warnings(clinic.theme, path, clinic.lines.get("theme")))


def write_issue(built: BuiltIssue, out_dir: Path) -> Path:
    """Stage 7 for one issue: dist/<issue>/ with the email, its text, MJML, meta and images."""
    from .write import copy_file, dumps_json, write_atomic

    target = out_dir / built.issue.id
    write_atomic(target / "email.html", built.html)
    write_atomic(target / "email.txt", built.text)
    write_atomic(target / "email.mjml", built.mjml)
    write_atomic(target / "meta.json", dumps_json(built.meta))
    for source, ref in built.images:
        copy_file(source, target / ref)
    return target
