"""newsletters: turn a clinic's Markdown articles into a responsive, accessible email.

The library's front door, for a clinic's developer who scripts the tool without the CLI (each
`newsletter` command calls one of these; docs/architecture.md has an example script):

    load_project(root)             the project, checked: clinic, articles, issues, paths
    build(root, issues)            issues built in memory and checked under a Policy
    write_issues(checked)          the built issues' files in the output folder
    check(root, issues)            the checks' findings, per issue (what `newsletter lint` prints)
    export_for(root, platform)     each platform's files, written or only made in memory
    publish_archive(root)          the web versions, index and feed, written
    plan(root, today)              coverage of the conditions, reviews due

(Names differ from the package's modules - load, write, export, archive - so importing one of
those never hides a function here.)

Mistakes in the content raise NewsletterError, whose `problems` (Problem: path, line, rule,
severity, message, hint) say where and what to do. Nothing heavy is imported until a function
is called, so `import newsletters` stays quick.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Nothing is imported at run time, not even typing or pathlib: the `newsletter` command's entry
# (newsletters/entry.py) imports this package first, and its start-up time is what --help costs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any

    from .archive import Archive
    from .errors import Problem
    from .export import Export
    from .model import Project
    from .pipeline import Checked, Policy
    from .planner import Plan

__all__ = [
    "ChecksFailed",
    "NewsletterError",
    "Policy",
    "Problem",
    "__version__",
    "build",
    "check",
    "export_for",
    "load_project",
    "plan",
    "publish_archive",
    "write_issues",
]

# Names re-exported lazily (PEP 562): the module that owns each.
_LAZY = {
    "ChecksFailed": "pipeline",
    "Policy": "pipeline",
    "NewsletterError": "errors",
    "Problem": "errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'newsletters' has no attribute {name!r}")


def load_project(root: Path | str, out: Path | str | None = None) -> Project:
    """The project in `root` (the folder holding content/ and templates/), every file read and
    checked. `out` is the output folder (default: dist/ in the project); `project.paths`
    names every folder and file. Raises NewsletterError listing every problem found."""
    from pathlib import Path

    from .load import load_checked

    return load_checked(Path(root), _path(out))


def build(
    root: Path | str,
    issues: Sequence[str] = (),
    *,
    all_issues: bool = False,
    policy: Policy | str = "report",
    out: Path | str | None = None,
) -> Checked:
    """Build the named issues (like "2026-11"; default: the newest, or every one with
    `all_issues`) in memory and run the checks on each. `policy` is "report" (return the
    findings), "errors" (raise ChecksFailed on an error) or "warnings" (on any finding).
    Nothing is written: pass the result to `write_issues`. Returns `Checked`: `.project`, `.issues`
    (BuiltIssue: .html, .text, .mjml, .meta), `.findings` per issue, `.all_findings`."""
    from pathlib import Path

    from .pipeline import Policy, build_and_check

    return build_and_check(Path(root), issues, all_issues, Policy(policy), _path(out))


def write_issues(checked: Checked) -> list[Path]:
    """Write each built issue to <out>/<issue>/ (email.html, email.txt, email.mjml, meta.json,
    images); returns the folders."""
    from .pipeline import write_issue

    return [write_issue(item, checked.project.paths) for item in checked.issues]


def check(
    root: Path | str, issues: Sequence[str] = (), *, all_issues: bool = False
) -> dict[str, list[Problem]]:
    """The checks' findings (Problems with a `rule`) of each issue, by issue name: what
    `newsletter lint` prints. Print one with `problem.format()`."""
    return dict(build(root, issues, all_issues=all_issues).results)


def export_for(
    root: Path | str,
    platform: str,
    issues: Sequence[str] = (),
    *,
    out: Path | str | None = None,
    write: bool = True,
) -> list[Export]:
    """An issue (default: the newest) prepared for an email platform ("mailchimp",
    "sendgrid", ..., "eml", or "all"), refused when the checks find an error. Written to
    <out>/<issue>/export/<platform>/ unless `write` is False; each Export has `.files`."""
    from pathlib import Path

    from .export import export as make
    from .export import platform_names, write_exports

    exports, _ = make(Path(root), list(issues), platform_names(platform), _path(out))
    if write:
        write_exports(exports)
    return exports


def publish_archive(root: Path | str, *, out: Path | str | None = None) -> Archive:
    """Every issue's web version, an index and an Atom feed, written to <out>/archive/."""
    from pathlib import Path

    from .archive import build_archive, write_archive

    _, made, _ = build_archive(Path(root), _path(out))
    write_archive(made)
    return made


def plan(root: Path | str, today: dt.date | None = None, months: int = 12) -> Plan:
    """Which issue covered which condition over the last `months` months up to `today`
    (default: today), and the medical reviews due (clinic.yaml's lint.review_max_months)."""
    import datetime

    from .planner import plan as make

    return make(load_project(root), today or datetime.date.today(), months)


def _path(value: Path | str | None) -> Path | None:
    from pathlib import Path

    return None if value is None else Path(value)
