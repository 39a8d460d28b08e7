"""What has happened to each issue and article: built, exported, sent, last used, reviewed.

Read from the project's output folder (`--out`, default dist/: paths.py) and the send journal;
planner.py decides what to plan, tables.py shows both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .model import Project
from .planner import Review, issues_in_order, last_used, review_of
from .readability import reading_grade, reading_minutes


@dataclass(frozen=True)
class JournalSummary:
    """What an issue's send journal says: how many recipients are in which state, and when."""

    counts: tuple[tuple[str, int], ...]  # (state, recipients), sorted by state
    last_at: str | None  # the latest time recorded, as the journal wrote it


def send_summary(path: Path) -> JournalSummary | None:
    """What an issue's send journal (paths.journal) says; None if it was never sent."""
    from .delivery.journal import summary

    found = summary(path)
    if found is None:
        return None
    counts, last = found
    return JournalSummary(tuple(sorted(counts.items())), last[:10] if last else None)


@dataclass(frozen=True)
class IssueStatus:
    id: str
    date: dt.date
    subject: str
    layout: str
    articles: tuple[str, ...]
    problems: tuple[str, ...]
    built: bool
    exported: tuple[str, ...]  # the platforms under dist/<issue>/export/
    sent: JournalSummary | None


@dataclass(frozen=True)
class ArticleStatus:
    slug: str
    title: str
    condition: str
    last_issue: str | None
    review: Review
    minutes: int
    grade: float  # Flesch-Kincaid, shown from 0 (below 0 means "very easy" too)


def issue_statuses(project: Project) -> list[IssueStatus]:
    """Every issue, newest first, with what has been done with it so far (read from
    the project's output folder, `--out` or dist/)."""
    from .errors import Problems
    from .load import check_issue

    found = []
    for issue in reversed(issues_in_order(project)):
        problems = Problems()
        check_issue(project, issue, problems)
        paths = project.paths
        export = paths.export_root(issue.id)
        found.append(
            IssueStatus(
                id=issue.id,
                date=issue.meta.date,
                subject=issue.meta.subject,
                layout=issue.meta.layout,
                articles=issue.article_slugs,
                problems=tuple(p.format(project.root) for p in problems.errors),
                built=paths.meta(issue.id).is_file(),
                exported=tuple(sorted(p.name for p in export.iterdir() if p.is_dir()))
                if export.is_dir()
                else (),
                sent=send_summary(paths.journal(issue.id)),
            )
        )
    return found


def article_statuses(project: Project, today: dt.date) -> list[ArticleStatus]:
    """Every article by slug: condition, last issue, review, reading time and level."""
    used = last_used(project, issues_in_order(project))
    found = []
    for slug, article in sorted(project.articles.items()):
        meta = article.meta
        found.append(
            ArticleStatus(
                slug=slug,
                title=meta.title,
                condition=meta.condition,
                last_issue=used[slug].id if slug in used else None,
                review=review_of(project, slug, today),
                minutes=reading_minutes(article.body),
                grade=max(0.0, round(reading_grade(article.body)[0], 1)),
            )
        )
    return found
