"""The preview's pages, from Jinja2 templates shipped in newsletters/preview/assets/."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .. import compat
from ..dates import date_label, short_date
from ..errors import Problem
from ..model import LintSettings
from .workspace import Overview, View, Workspace

PUBLIC_ASSETS = frozenset({"preview.css", "preview.js", "sendtest.js", "blocked-image.svg"})


def asset(name: str) -> bytes | None:
    """A file the pages load (/_/<name>); only the public ones, by exact name."""
    if name not in PUBLIC_ASSETS:
        return None
    return resources.files(__package__).joinpath("assets", name).read_bytes()


@functools.cache
def _environment() -> jinja2.Environment:
    def load(name: str) -> str:
        return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["kb"] = lambda size: f"{size / 1024:.1f} KB"
    return env


def _render(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


def index_page(overview: Overview, root: Path) -> str:
    project = overview.project
    sizes = project.clinic.lint if project is not None else LintSettings()
    issues = []
    for view in overview.issues:
        built, issue = view.built, None
        if project is not None:
            issue = project.issues.get(view.target.name)
        if issue is None:
            continue
        # A check's error is an error here too, as `newsletter lint` counts it.
        check_errors = sum(f.severity == "error" for f in view.findings) if not view.errors else 0
        warnings = sum(f.severity == "warning" for f in view.findings) if not view.errors else 0
        issues.append(
            {
                "id": issue.id,
                "subject": issue.meta.subject,
                "date": issue.meta.date.isoformat(),
                "date_label": date_label(issue.meta.date),
                "layout": issue.meta.layout,
                "articles": len(issue.article_slugs),
                "size": len(built.html.encode("utf-8")) if built else None,
                "size_class": sizes.html_size(len(built.html.encode("utf-8"))) if built else "",
                "errors": len(view.errors) + check_errors,
                # project-wide errors are shown once, above the list
                "error_lines": [] if overview.errors else [e.format(root) for e in view.errors],
                "warnings": warnings,
            }
        )
    articles = []
    if project is not None:
        for slug, article in sorted(project.articles.items()):
            condition = project.clinic.condition(article.meta.condition)
            articles.append(
                {
                    "slug": slug,
                    "title": article.meta.title,
                    "condition": condition.name if condition else article.meta.condition,
                    "reviewed": article.meta.reviewed_on.isoformat()
                    if article.meta.reviewed_on
                    else "",
                    "in_issues": [i.id for i in project.issues.values() if slug in i.article_slugs],
                }
            )
    return _render(
        "index.html.j2",
        clinic=project.clinic.name if project else root.name,
        issues=issues,
        articles=articles,
        errors=[panel_json(e, root) for e in overview.errors],
        version=overview.generation,
        clip_kb=sizes.html_max_kb,
    )


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<' (so no `</script>`, no `<!--` that would
    swallow the rest of the page), no '>', '&' or line separators that JavaScript reads as
    line ends."""
    text = json.dumps(data)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def email_page(view: View, workspace: Workspace, send_form: dict[str, str] | None = None) -> str:
    """The issue or article page; `send_form` adds the "Send a test" form to issue pages."""
    data = state(view, workspace)
    return _render(
        "page.html.j2",
        state_json=script_json(data),
        title=data["subject"] or view.target.name,
        kind=view.target.kind,
        clinic=data["sender"],
        send_form=(
            {**send_form, "url": f"/issue/{view.target.name}/send-test"}
            if send_form is not None and view.target.kind == "issue"
            else None
        ),
    )


def state(view: View, workspace: Workspace) -> dict[str, Any]:
    """Everything the issue page shows, as JSON: it is fetched again after every rebuild."""
    project, _ = workspace.project()
    built = view.built
    meta = built.issue.meta if built else None
    size = len(built.html.encode("utf-8")) if built else 0
    sizes = project.clinic.lint if project is not None else LintSettings()
    base = f"/{view.target.kind}/{view.target.name}"
    return {
        "key": view.target.key,
        "kind": view.target.kind,
        "name": view.target.name,
        "version": view.generation,
        "html_version": view.html_version,
        "has_email": built is not None,
        "email_url": f"{base}/email.html",
        "state_url": f"{base}/state.json",
        "subject": meta.subject if meta else "",
        "preheader": meta.preheader if meta else "",
        "date": meta.date.isoformat() if meta else "",
        "date_label": short_date(meta.date) if meta else "",
        "layout": meta.layout if meta else "",
        "sender": project.clinic.sender.name if project else "",
        "html_bytes": size,
        "size_class": sizes.html_size(size),
        "clip_bytes": sizes.html_max_kb * 1024,
        "warn_bytes": sizes.html_warn_kb * 1024,
        "text": built.text if built else "",
        "source": built.html if built else "",
        "mjml": built.mjml if built else "",
        "errors": [panel_json(e, workspace.root) for e in view.errors],
        "findings": [panel_json(f, workspace.root) for f in view.findings],
        "compatibility": compat.to_json(compat.report(built.html)) if built else None,
        "build_ms": round(view.build_ms, 1),
    }


def panel_json(problem: Problem, root: Path) -> dict[str, Any]:
    """A problem as the findings panel shows it: its JSON, where it is, and its full text."""
    return {**problem.as_json(root), "location": problem.location(root), "text": problem.text()}


def no_email_yet() -> str:
    return _render("empty.html.j2")


def not_found() -> str:
    return _render("404.html.j2")
