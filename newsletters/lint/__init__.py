"""Checks an issue must pass before it goes out: law, deliverability, accessibility, health
claims and content hygiene.

    run_checks(project, built)      -> [Problem]   every finding of one built issue
    to_json                         the JSON of `newsletter lint` (lines: Problem.format)

Nothing here builds or decides whether a run stops: the pipeline runs these checks as its
stage 7 (`pipeline.build_and_check`) and its `Policy` decides. This package imports nothing
from the pipeline module, only `BuiltIssue` (built.py).

Rules live in law.py, deliverability.py, a11y.py, inbox.py, health.py and hygiene.py; each
registers itself with a stable id (`RULES`). Content findings point at the source file and
line; output findings at the layout's template plus a description of the element.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..built import BuiltIssue
from ..errors import Problem
from ..model import LintAllow, LintSettings, Project
from . import a11y, deliverability, health, hygiene, inbox, law  # noqa: F401  (register rules)
from .context import Context
from .registry import RULES, Rule

__all__ = [
    "JSON_VERSION",
    "RULES",
    "UNKNOWN_RULE",
    "Rule",
    "run_checks",
    "to_json",
]

CATEGORIES = ("law", "deliverability", "a11y", "inbox", "health", "hygiene")
# Rules run and are documented in this order: the law first.
_ordered = sorted(RULES.items(), key=lambda item: CATEGORIES.index(item[0].split("/")[0]))
RULES.clear()
RULES.update(_ordered)

JSON_VERSION = 1
UNKNOWN_RULE = "lint/unknown-rule"  # a rule id in settings or lint_allow that does not exist
NEVER_ALLOWED = ("law/",)  # the law is not overridable from content


def run_checks(
    project: Project, built: BuiltIssue, settings: LintSettings | None = None
) -> list[Problem]:
    """Every finding for one built issue, sorted by file and line; `lint_allow` applied."""
    settings = settings or project.clinic.lint
    findings = list(_settings_findings(project, built, settings))
    disabled = set(settings.disable)
    ctx = Context(project, built, settings)
    for rule_id, rule in RULES.items():
        if rule_id not in disabled:
            findings.extend(rule.run(ctx))
    allowances = _allowances(project, built)
    kept = [f for f in findings if not _allowed(f, allowances)]
    return sorted(set(kept), key=_order)


def to_json(results: Sequence[tuple[str, Sequence[Problem]]], root: Path) -> dict[str, Any]:
    """The documented JSON shape (see docs/guide/checks.md): version, issues, totals."""
    issues = []
    for issue_id, findings in results:
        issues.append(
            {
                "issue": issue_id,
                "errors": sum(f.severity == "error" for f in findings),
                "warnings": sum(f.severity == "warning" for f in findings),
                "findings": [f.as_json(root) for f in findings],
            }
        )
    return {
        "version": JSON_VERSION,
        "issues": issues,
        "errors": sum(i["errors"] for i in issues),
        "warnings": sum(i["warnings"] for i in issues),
    }


def _order(finding: Problem) -> tuple[str, int, str, str, str, str, str, str]:
    """File, line, rule, message; then every other field, so that two findings differing
    only in their excerpt (two quotations on one line) come out in one order on every run."""
    return (
        str(finding.path or ""),
        finding.line or 0,
        finding.rule or "",
        finding.message,
        finding.severity,
        finding.hint or "",
        finding.element or "",
        finding.excerpt or "",
    )


def _unknown(rule_id: str) -> str:
    close = difflib.get_close_matches(rule_id, list(RULES), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "see the rule ids in docs/reference/rules.md"
    return f"there is no rule '{rule_id}'; {hint}"


def _settings_findings(
    project: Project, built: BuiltIssue, settings: LintSettings
) -> Iterable[Problem]:
    clinic_path = project.paths.clinic_file
    line = settings.lines.get("disable", project.clinic.lines.get("lint"))
    for rule_id in settings.disable:
        if rule_id not in RULES:
            yield Problem(clinic_path, line, _unknown(rule_id), rule=UNKNOWN_RULE)
    for path, lines, allows in _allow_lists(project, built):
        for allow in allows:
            where = lines.get("lint_allow")
            if allow.rule not in RULES:
                yield Problem(path, where, _unknown(allow.rule), rule=UNKNOWN_RULE)
            elif allow.rule.startswith(NEVER_ALLOWED):
                yield Problem(
                    path,
                    where,
                    f"'{allow.rule}' cannot be allowed: the law applies to every email; "
                    "remove this lint_allow entry",
                    rule=UNKNOWN_RULE,
                )
            elif not allow.reason.strip():
                yield Problem(path, where, "a lint_allow entry needs a 'reason'", rule=UNKNOWN_RULE)


def _allow_lists(
    project: Project, built: BuiltIssue
) -> list[tuple[Path, dict[str, int], tuple[LintAllow, ...]]]:
    issue = built.issue
    out = [(issue.path, issue.lines, issue.meta.lint_allow)]
    for slug in issue.article_slugs:
        article = project.articles[slug]
        out.append((article.path, article.lines, article.meta.lint_allow))
    return out


def _allowances(project: Project, built: BuiltIssue) -> dict[Path, list[LintAllow]]:
    allowed: dict[Path, list[LintAllow]] = {}
    for path, _, allows in _allow_lists(project, built):
        for allow in allows:
            if (
                allow.rule in RULES
                and allow.reason.strip()
                and not allow.rule.startswith(NEVER_ALLOWED)
            ):
                allowed.setdefault(path, []).append(allow)
    return allowed


def _allowed(finding: Problem, allowances: dict[Path, list[LintAllow]]) -> bool:
    if finding.path is None or finding.rule == UNKNOWN_RULE:
        return False
    for allow in allowances.get(finding.path, ()):
        if allow.rule != finding.rule:
            continue
        if allow.text is None:
            return True
        excerpt = " ".join((finding.excerpt or "").split()).lower()
        if " ".join(allow.text.split()).lower() in excerpt:
            return True
    return False


def add_compatibility(document: dict[str, Any], built: Sequence[BuiltIssue]) -> dict[str, Any]:
    """The JSON output with each issue's `compatibility` section (see docs/inboxes.md)."""
    from .. import compat  # `lint --format json` only: a build does not load caniemail's data

    reports = {item.issue.id: compat.report(item.html) for item in built}
    for issue in document["issues"]:
        issue["compatibility"] = compat.to_json(reports.get(issue["issue"], []))
    return document
