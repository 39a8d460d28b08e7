"""Which files a run depends on, so a half-written draft does not stop this month's issue.

A problem in a file the chosen issues do not use (another month's issue, an article no chosen
issue lists) becomes a warning that names the file; problems in clinic.yaml, the templates,
the chosen issues and their articles stay errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .confine import real_path
from .errors import Problem, Problems
from .model import Issue, Project


def files_used(project: Project, issues: Iterable[Issue], names: Sequence[str] = ()) -> set[Path]:
    """The issue files and article files a run of `issues` reads (named issues count even
    when their file did not load, so their own mistakes stay errors)."""
    used: set[Path] = set()
    for name in names:
        stem = Path(name).stem if name.endswith(".yaml") else name
        used.add(real_path(project.paths.issue_file(stem)))
    for issue in issues:
        used.add(real_path(issue.path))
        for slug in (issue.meta.featured, *issue.meta.articles):
            used.add(real_path(project.paths.article(slug)))
    return used


def newest_broken(project: Project) -> list[str]:
    """[the name] of an issue file newer than every issue that loaded but itself broken: the
    issue a command without a name must not skip silently (its mistakes stay errors)."""
    newest = project.newest_issue()
    broken = sorted(
        path.stem for path in project.paths.issues.glob("*.yaml") if path.stem not in project.issues
    )
    if broken and (newest is None or broken[-1] > newest.id):
        return [broken[-1]]
    return []


def demote_unused(problems: Problems, project: Project, used: set[Path], what: str) -> Problems:
    """The same problems, with errors in unused articles and issues turned into warnings."""
    scoped = Problems()
    drafts = {real_path(project.paths.articles), real_path(project.paths.issues)}
    for problem in problems:
        path = real_path(problem.path) if problem.path is not None else None
        if (
            problem.severity == "error"
            and path is not None
            and path.parent in drafts
            and path not in used
        ):
            scoped.extend([_demoted(problem, what)])
        else:
            scoped.extend([problem])
    return scoped


def _demoted(problem: Problem, what: str) -> Problem:
    return Problem(
        problem.path,
        problem.line,
        f"{problem.message} (a file {what} does not use: fix it before it goes out)",
        "warning",
    )


def describe(issues: Sequence[Issue]) -> str:
    """'issue 2026-11' or 'issues 2026-10, 2026-11', for messages."""
    ids = ", ".join(issue.id for issue in issues)
    return f"issue{'s' if len(issues) != 1 else ''} {ids}" if issues else "this run"


def picked_note(issue_id: str, command: str) -> str:
    """Why a command without an issue name took this one, and how to choose another."""
    return (
        f"No issue named, so using {issue_id}: the newest by date in content/issues/. "
        f"To choose another: newsletter {command} ISSUE"
    )
