"""Values a project must not send as they are: the starter's and the demo's placeholders.

Reserved example domains (RFC 2606/6761: .example, .test, .invalid, example.com...), the
fictional 555-01XX phone numbers, the starter's address, disclaimer, logos and example
article. They build and preview, so a new clinic sees its email at once; export and list
sends refuse them (draft proofs list them as open problems).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import NewsletterError, Problem
from .model import Issue, Project
from .paths import CLINIC_FILE, ProjectPaths

_RESERVED_DOMAIN = re.compile(
    r"(?<![\w.-])(?:[\w-]+\.)*(?:[\w-]+\.(?:example|test|invalid|localhost)"
    r"|example\.(?:com|net|org))(?![\w-])",
    re.IGNORECASE,
)
# 555-0100 to 555-0199 are reserved for fiction in North America, whatever the area code.
_FICTIONAL_PHONE = re.compile(r"555\D{0,2}01\d\d(?!\d)")
_STARTER_WORDS = re.compile(r"\bPLACEHOLDER\b|\bYour Clinic Name\b|\bExample (?:Avenue|Street)\b")
EXAMPLE_TAG = "example"


def starter_sources() -> list[Path]:
    """The shipped clinic files whose disclaimer and logos count as placeholders."""
    from .project import STARTER_FILES, starter_root

    found = [STARTER_FILES / CLINIC_FILE]
    with contextlib.suppress(NewsletterError):  # an installation without the demo
        found.append(ProjectPaths.of(starter_root()).clinic_file)
    return found


def placeholder_problems(project: Project, issues: list[Issue]) -> list[Problem]:
    """One problem per clinic.yaml field, logo or article still holding a placeholder."""
    clinic = project.clinic
    path = project.paths.clinic_file
    problems = []
    for field in dataclasses.fields(clinic):
        if field.name in ("lines", "line") or not field.init:
            continue
        value = getattr(clinic, field.name)
        found = _placeholder_in(value)
        if found is not None:
            problems.append(
                Problem(
                    path,
                    clinic.lines.get(field.name),
                    f"'{field.name}' still holds a placeholder ({found}); put your clinic's "
                    "real details here before export or send",
                )
            )
    flagged = {p.line for p in problems}
    disclaimer_line = clinic.lines.get("disclaimer")
    if (
        disclaimer_line not in flagged
        and _normal(clinic.disclaimer or "") in _starter_disclaimers()
    ):
        problems.append(
            Problem(
                path,
                disclaimer_line,
                "the disclaimer is still the starter's text; write your clinic's own, reviewed "
                "by your clinic, before export or send",
            )
        )
    if clinic.logo is not None:
        starter_logos = _starter_logos()
        for ref in (clinic.logo.src, clinic.logo.dark_src):
            local = project.content_dir / ref if ref and not ref.startswith("https://") else None
            if local is not None and local.is_file() and local.read_bytes() in starter_logos:
                problems.append(
                    Problem(
                        path,
                        clinic.lines.get("logo"),
                        f"content/{ref} is still the starter's logo; replace the file with "
                        "your clinic's logo before export or send",
                    )
                )
    problems.sort(key=lambda p: p.line or 0)
    seen: set[str] = set()
    for issue in issues:
        problems.extend(_fields(issue.meta, issue.path, issue.line_of))
        for slug in (issue.meta.featured, *issue.meta.articles):
            article = project.articles.get(slug)
            if article is None or slug in seen:
                continue
            seen.add(slug)
            problems.extend(_fields(article.meta, article.path, article.line_of))
            if EXAMPLE_TAG not in article.meta.tags:
                continue
            problems.append(
                Problem(
                    issue.path,
                    issue.line_of("featured" if slug == issue.meta.featured else "articles"),
                    f"'{slug}' is the starter's example article; write your own and put it "
                    "in the issue instead",
                )
            )
    return problems


def _fields(meta: Any, path: Path, line_of: Callable[[str], int]) -> list[Problem]:
    """An issue's or article's links and calls to action still on a placeholder."""
    found = []
    for name in ("url", "cta", "sources"):
        value = _placeholder_in(getattr(meta, name, None))
        if value is not None:
            found.append(
                Problem(
                    path,
                    line_of(name),
                    f"'{name}' still holds a placeholder ({value}); put the real address here "
                    "before export or send",
                )
            )
    return found


def _placeholder_in(value: Any) -> str | None:
    for text in _strings(value):
        for pattern in (_RESERVED_DOMAIN, _FICTIONAL_PHONE, _STARTER_WORDS):
            match = pattern.search(text)
            if match:
                return match.group(0)
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.init:
                yield from _strings(getattr(value, field.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _normal(text: str) -> str:
    return " ".join(text.split())


def _starter_disclaimers() -> set[str]:
    import yaml

    found = set()
    for source in starter_sources():
        if source.is_file():
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("disclaimer"), str):
                found.add(_normal(data["disclaimer"]))
    return found


def _starter_logos() -> set[bytes]:
    from .project import STARTER_FILES, starter_root

    logos = {(STARTER_FILES / "logo.png").read_bytes()}
    with contextlib.suppress(NewsletterError):  # an installation without the demo
        demo = ProjectPaths.of(starter_root())
        for name in ("logo.png", "logo-dark.png"):
            logo = demo.in_content(f"images/{name}")
            if logo.is_file():
                logos.add(logo.read_bytes())
    return logos
