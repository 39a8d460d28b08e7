"""What stands between an issue and its readers, and the draft proof that shows it.

`open_problems` is the one list export and list sends refuse on: the checks' errors and the
placeholders still in the project. A proof (a test send, the .eml export) goes out anyway, so
a director can approve a draft, but marked: "[DRAFT] " before the subject and a banner
listing the open problems at the top of the HTML and the text.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterable

from .built import BuiltIssue
from .errors import NewsletterError, Problem
from .model import Project

SUBJECT_PREFIX = "[DRAFT] "


def open_problems(
    project: Project, built: BuiltIssue, findings: Iterable[Problem]
) -> list[Problem]:
    """The errors that keep this issue from readers: its checks' errors (`findings`, stage 7),
    then the placeholders."""
    from .placeholders import placeholder_problems

    errors = [f for f in findings if f.severity == "error"]
    return errors + placeholder_problems(project, [built.issue])


def refuse(built: BuiltIssue, problems: list[Problem], what: str) -> NewsletterError:
    """The error for a platform export or list send of an issue with open problems."""
    count = len(problems)
    return NewsletterError(
        [
            *problems,
            Problem(
                None,
                None,
                f"issue {built.issue.id} has {count} open problem{'s' if count != 1 else ''}, so "
                f"{what} is refused; fix them first (a proof still works: newsletter send "
                f"{built.issue.id} --to YOU, or export --platform eml)",
                "note",
            ),
        ]
    )


def mark_draft(project: Project, built: BuiltIssue, problems: list[Problem]) -> BuiltIssue:
    """The same issue as an unmistakable draft: subject prefix and a banner of problems."""
    lines = [p.format(project.root) for p in problems]
    count = len(lines)
    heading = (
        f"DRAFT - not ready to send: {count} open problem{'s' if count != 1 else ''}"
        if count
        else "DRAFT - proof for approval"
    )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    banner = (
        '<div role="note" style="background:#FFF4CE;color:#3D2E00;border:2px solid #B58100;'
        "padding:12px 16px;margin:0;font-family:Arial,sans-serif;font-size:14px;"
        'line-height:1.4;text-align:left;">'
        f"<strong>{html.escape(heading)}</strong>"
        + (f'<ul style="margin:8px 0 0 18px;padding:0;">{items}</ul>' if items else "")
        + "</div>"
    )
    text_banner = "\n".join(
        [f"*** {heading} ***", *(f"- {line}" for line in lines), "*" * 40, "", ""]
    )
    issue = built.issue
    meta = dataclasses.replace(issue.meta, subject=SUBJECT_PREFIX + issue.meta.subject)
    return dataclasses.replace(
        built,
        issue=dataclasses.replace(issue, meta=meta),
        html_template=_after_body(built.html_template, banner),
        html=_after_body(built.html, banner),
        text_template=text_banner + built.text_template,
        text=text_banner + built.text,
    )


def _after_body(document: str, banner: str) -> str:
    match = re.search(r"<body\b[^>]*>", document, re.IGNORECASE)
    if match is None:
        return banner + document
    return document[: match.end()] + banner + document[match.end() :]
