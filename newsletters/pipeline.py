"""The build, in order. This is the only place the order of the stages is written.

    1. load      content/ -> validated, typed Project                       (load.py)
    2. markdown  article bodies, intro, disclaimer -> HTML + plain text     (markdown.py)
    3. render    Jinja2: layouts/<layout>.mjml.j2 and .txt.j2               (render.py)
    4. compile   mjml-python: MJML -> responsive HTML                       (compile.py)
    5. inline    premailer: the template's inline CSS onto elements         (inline.py)
    6. finish    UTM on the clinic's links, article markers out; the merge
                 placeholders -> the clinic's pages and fallback greeting   (finish.py)
    7. check     the rules of lint/ on each built issue, under a Policy     (lint/)
    8. write     dist/<issue>/: email.html, email.txt, email.mjml,
                 meta.json, images/                                         (write.py)

`build_and_check` is the entry point of every command that builds (build, lint, export,
archive, send; the preview uses `build_and_check_issue`): stages 1-7 run for every issue
of the run, in memory, and the run's `Policy` decides whether the checks' findings stop it,
before stage 8 (or an export, archive or send) writes anything. So a failed run leaves the
previous output as it was. A `BuiltIssue` (built.py) is finished for every destination: the
export, archive and send only put in their own merge values (finish.py says which).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import merge
from .built import BuiltIssue
from .errors import NewsletterError, Problem, Problems
from .finish import clinic_values, tag_links
from .load import check_issue, load_project, select_issues
from .model import Issue, Project
from .paths import ProjectPaths
from .scope import demote_unused, files_used, newest_broken
from .scope import describe as scope_describe


def build_issue(project: Project, issue: Issue, problems: Problems) -> BuiltIssue | None:
    """Stages 2-6 for one issue. Problems are added; None when any is an error."""
    from .compile import compile_mjml
    from .inline import inline_css
    from .markdown import rewrap
    from .render import render_issue

    before = len(problems.errors)
    check_issue(project, issue, problems)
    if len(problems.errors) > before:
        return None
    rendered = render_issue(project, issue, problems)  # stages 2 and 3
    if rendered is None or len(problems.errors) > before:
        return None
    compiled = compile_mjml(rendered.mjml, project.paths, issue.meta.layout, problems)
    if compiled is None:
        return None
    # Stage 6: links tagged once for every destination, then the clinic's own merge values.
    html_template, text_template = tag_links(
        project, issue, inline_css(compiled, rendered.inline_css), rendered.text
    )
    html_template, images = finish_markup(project, rendered.context, html_template)
    text_template = rewrap(text_template)  # UTM made some links longer: 72 columns again
    values = clinic_values(project, issue)
    html = merge.substitute(html_template, values, escape=True)
    text = merge.substitute(text_template, values, escape=False)
    return BuiltIssue(
        issue=issue,
        mjml=rendered.mjml,
        html_template=html_template,
        text_template=text_template,
        html=html,
        text=text,
        images=images,
    )


def finish_markup(
    project: Project, context: dict[str, Any], html: str
) -> tuple[str, tuple[tuple[Path, str], ...]]:
    """After link tagging: Outlook conditionals merged (the article markers that sat between
    them are gone; MRML leaves 70 where node MJML writes 41), then the images' real heights and
    alt styles. Returns the HTML and the image files it shows."""
    import html as htmllib

    from .compile import merge_outlook_conditionals
    from .images import finish_images

    html = merge_outlook_conditionals(html)
    found = _local_images(project, html)
    files = {htmllib.unescape(url): path for url, path, _ in found}
    logos = frozenset(u for u in (context["logo_url"], context["logo_dark_url"]) if u)
    return finish_images(html, project, files, logos), tuple((p, n) for _, p, n in found)


def _local_images(project: Project, html: str) -> list[tuple[str, Path, str]]:
    """Files from content/ (and the generated logo plate) that the email links to under the
    images base URL: (the URL as written, the file, its name under content/)."""
    from urllib.parse import unquote

    from .confine import Refused, content_file
    from .logo import project_plate

    prefix = project.clinic.images_base_url.rstrip("/") + "/"
    plate = project_plate(project)
    found = []
    for ref in sorted(set(re.findall(re.escape(prefix) + r'([^"\'\s)<>?#]+)', html))):
        name = unquote(ref)
        if plate is not None and name == plate.ref:
            found.append((prefix + ref, plate.path, name))
            continue
        try:
            path = content_file(project.content_dir, name)
        except Refused:
            continue  # not a file inside content/ (e.g. '../'): the URL stays as it is
        found.append((prefix + ref, path, name))
    return found


def build(
    root: Path, names: Sequence[str] = (), all_issues: bool = False, out: Path | None = None
) -> tuple[Project, list[BuiltIssue], Problems]:
    """Load the project and build the named issues (or all, or the newest) in memory.

    `out` is the output folder the project's paths name (`--out`; default dist/).
    Raises NewsletterError with every problem found when anything is wrong.
    """
    problems = Problems()
    project = load_project(root, problems, out)
    if project is None:
        raise NewsletterError(problems.errors)
    if all_issues:
        issues = list(project.issues.values())
        # Every issue file is used by --all, the ones with mistakes too.
        names = sorted(p.stem for p in project.paths.issues.glob("*.yaml"))
        if not issues and not problems.errors:
            problems.add(project.paths.issues, None, "no issues yet; add one, e.g. 2026-11.yaml")
    else:
        names = list(names) or newest_broken(project)
        issues = select_issues(project, names, problems)
    # A draft elsewhere in content/ warns instead of stopping the issues being built.
    problems = demote_unused(
        problems, project, files_used(project, issues, names), scope_describe(issues)
    )
    if problems.errors:
        # Content has mistakes: still check the chosen issues' references, render nothing.
        for issue in issues:
            check_issue(project, issue, problems)
        # The warnings too (a draft elsewhere): a failed run still shows everything it found.
        raise NewsletterError([*problems.errors, *problems.warnings])
    built = [b for issue in issues if (b := build_issue(project, issue, problems)) is not None]
    problems.raise_if_errors()
    add_theme_warnings(project, problems)
    return project, built, problems


class Policy(enum.Enum):
    """How the checks' findings end a run (as MJML's validationLevel does for its own).

    REPORT: findings are returned, nothing stops (build, archive, preview, lint).
    ERRORS: an error stops the run before anything leaves (export, send).
    WARNINGS: any finding stops the run (`build --strict`, `lint --strict`'s exit code).
    """

    REPORT = "report"
    ERRORS = "errors"
    WARNINGS = "warnings"

    def stopping(self, findings: Iterable[Problem]) -> list[Problem]:
        """The findings that stop a run under this policy."""
        if self is Policy.REPORT:
            return []
        return [f for f in findings if f.severity == "error" or self is Policy.WARNINGS]


@dataclass(frozen=True)
class Checked:
    """Issues built in memory, each with its checks' findings (stage 7)."""

    project: Project
    issues: tuple[BuiltIssue, ...]
    findings: tuple[tuple[Problem, ...], ...]  # one tuple per issue, in the same order
    problems: Problems  # the build's own warnings (theme contrast...)

    @property
    def all_findings(self) -> list[Problem]:
        return [f for found in self.findings for f in found]

    @property
    def results(self) -> list[tuple[str, list[Problem]]]:
        """(issue id, its findings) per issue: what `newsletter lint` reports."""
        return [(b.issue.id, list(f)) for b, f in zip(self.issues, self.findings, strict=True)]


class ChecksFailed(NewsletterError):
    """The checks found what the run's policy does not let through; `findings` are those."""

    def __init__(self, checked: Checked, policy: Policy) -> None:
        self.checked = checked
        self.findings = policy.stopping(checked.all_findings)
        problems = list(self.findings)
        for item, found in zip(checked.issues, checked.findings, strict=True):
            stopped = policy.stopping(found)
            if not stopped:
                continue
            if policy is Policy.ERRORS:
                what = f"{len(stopped)} check error{'s' if len(stopped) != 1 else ''}"
            else:
                what = f"{len(stopped)} check finding{'s' if len(stopped) != 1 else ''}"
            problems.append(
                Problem(
                    None,
                    None,
                    f"issue {item.issue.id} has {what}; fix them (see 'newsletter lint') first",
                    "note",  # a closing line: the CLI's summary does not count it as a problem
                )
            )
        super().__init__(problems)


def check_built(project: Project, built: BuiltIssue) -> list[Problem]:
    """Stage 7 for one built issue: every finding of the checks (lint/), `lint_allow` applied."""
    from .lint import run_checks

    return run_checks(project, built)


def build_and_check(
    root: Path,
    names: Sequence[str] = (),
    all_issues: bool = False,
    policy: Policy = Policy.REPORT,
    out: Path | None = None,
) -> Checked:
    """The one entry point of build, export, archive, send and lint: stages 1-7.

    Raises NewsletterError when the content has mistakes (nothing is built), and ChecksFailed
    when `policy` stops on what the checks found. Nothing is written: stage 8 is the caller's.
    """
    project, built, problems = build(root, names, all_issues, out)
    findings = tuple(tuple(check_built(project, item)) for item in built)
    checked = Checked(project, tuple(built), findings, problems)
    if policy.stopping(checked.all_findings):
        raise ChecksFailed(checked, policy)
    return checked


def build_and_check_issue(
    project: Project, issue: Issue, problems: Problems
) -> tuple[BuiltIssue, list[Problem]] | None:
    """Stages 2-7 for one issue of a loaded project (the preview's warm builds)."""
    built = build_issue(project, issue, problems)
    if built is None:
        return None
    return built, check_built(project, built)


def add_theme_warnings(project: Project, problems: Problems) -> None:
    """Theme colours that fail WCAG AA contrast, reported at clinic.yaml's `theme:` line."""
    from .theme import contrast_warnings

    clinic = project.clinic
    path = project.paths.clinic_file
    problems.extend(contrast_warnings(clinic.theme, path, clinic.lines.get("theme"), clinic.lines))


def write_issue(built: BuiltIssue, paths: ProjectPaths) -> Path:
    """Stage 8 for one issue: <out>/<issue>/ with the email, its text, MJML, meta and images."""
    from .confine import issue_name_problem
    from .delivery.lock import is_locked
    from .write import dumps_json, replace_folder

    issue_id = built.issue.id
    problem = issue_name_problem(issue_id)
    if problem:  # the loader refuses these; a folder name is never taken on trust
        raise NewsletterError(problem)
    target = paths.issue_out(issue_id)
    if target.is_dir() and is_locked(target):
        raise NewsletterError(
            f"a list send of {issue_id} is running; build it again when the send is done"
        )
    files: dict[str, bytes | Path] = {
        "email.html": built.html.encode("utf-8"),
        "email.txt": built.text.encode("utf-8"),
        "email.mjml": merge.portable(built.mjml).encode("utf-8"),
        "meta.json": dumps_json(built.meta).encode("utf-8"),
    }
    for source, ref in built.images:
        files.setdefault(ref, source)  # an image never replaces the email itself
    replace_folder(target, files, carry_over=True, base=paths.out)
    return target
