"""What to plan: coverage of the clinic's conditions, suggestions for the next issue, reviews due.

Planning is in three parts: this module decides what to plan; status.py says what has happened
(built, exported, sent: read from the output folder and the send journal); tables.py shows both
(terminal tables and JSON). Everything here is a pure function of a loaded Project and a date,
so the same project and the same `today` always give the same suggestions and plan (tests pass
`--today`). The history of a month is made of the issues dated before it; an issue's month is
its `date`'s. A medical review is current for clinic.yaml's `lint.review_max_months`, the same
number `newsletter lint` checks (dates.review_due).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .dates import review_due, short_month
from .model import Issue, Project

REVIEW_SOON_DAYS = 30  # "due" when the review runs out within this many days
RECENT_ISSUES = 3  # an article used in the last three issues is not suggested again
SUGGESTED_ARTICLES = 4

Month = tuple[int, int]


# ---------------------------------------------------------------- months and dates


def month_of(date: dt.date) -> Month:
    return (date.year, date.month)


def month_id(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def month_label(month: Month) -> str:
    """'Nov 2026': how a person names a month."""
    return short_month(*month)


def add_months(month: Month, count: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + count
    return (index // 12, index % 12 + 1)


def months_between(earlier: Month, later: Month) -> int:
    return (later[0] - earlier[0]) * 12 + later[1] - earlier[1]


def parse_month(text: str) -> Month | None:
    """'2026-12' -> (2026, 12); None when it is not a real YYYY-MM month."""
    match = re.fullmatch(r"(\d{4})-(\d\d)", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return (int(match.group(1)), int(match.group(2)))


# ---------------------------------------------------------------- conditions and history


@dataclass(frozen=True)
class ConditionInfo:
    key: str
    name: str


def conditions(project: Project) -> list[ConditionInfo]:
    """clinic.yaml's conditions in its order, then any other condition articles name."""
    known = [ConditionInfo(c.key, c.name) for c in project.clinic.conditions]
    keys = {c.key for c in known}
    extra = sorted({a.meta.condition for a in project.articles.values()} - keys)
    return known + [ConditionInfo(key, key.replace("-", " ").capitalize()) for key in extra]


def issues_in_order(project: Project) -> list[Issue]:
    return sorted(project.issues.values(), key=lambda i: (i.meta.date, i.id))


def issue_month(issue: Issue) -> Month:
    return month_of(issue.meta.date)


def used_articles(project: Project, issue: Issue) -> list[str]:
    """The issue's articles that exist, featured first."""
    return [slug for slug in issue.article_slugs if slug in project.articles]


def last_covered(project: Project, history: list[Issue]) -> dict[str, Issue]:
    """For each condition, the latest issue of `history` (in order) that covered it."""
    latest: dict[str, Issue] = {}
    for issue in history:
        for slug in used_articles(project, issue):
            latest[project.articles[slug].meta.condition] = issue
    return latest


def last_used(project: Project, history: list[Issue]) -> dict[str, Issue]:
    latest: dict[str, Issue] = {}
    for issue in history:
        for slug in used_articles(project, issue):
            latest[slug] = issue
    return latest


# ---------------------------------------------------------------- suggestions for a new issue


@dataclass(frozen=True)
class Waiting:
    """A condition and how long it has waited, in the order the suggestion considered them."""

    condition: ConditionInfo
    last_issue: str | None
    last_month: Month | None
    pick: str | None  # the article suggested for it, if any

    def reason(self, month: Month) -> str:
        if self.last_month is None:
            return "never covered"
        ago = months_between(self.last_month, month)
        return (
            f"last covered {month_id(self.last_month)} ({ago} month{'s' if ago != 1 else ''} ago)"
        )


@dataclass(frozen=True)
class Suggestion:
    """What `newsletter new issue` proposes for `month`, and why."""

    month: Month
    history: tuple[str, ...]  # ids of the issues before the month, oldest first
    recent: tuple[str, ...]  # the last three of them, newest first
    left_out: tuple[str, ...]  # articles used in those, sorted
    waiting: tuple[Waiting, ...]  # every condition, longest wait first
    picks: tuple[str, ...]  # featured first

    @property
    def featured(self) -> str | None:
        return self.picks[0] if self.picks else None


def suggest(project: Project, month: Month, count: int = SUGGESTED_ARTICLES) -> Suggestion:
    """Articles for `month`: conditions covered least recently first, one article each (then a
    second round if there are fewer conditions than `count`), none used in the last three
    issues; the featured article is the one whose condition has waited longest."""
    history = [i for i in issues_in_order(project) if issue_month(i) < month]
    recent = list(reversed(history[-RECENT_ISSUES:]))
    left_out = sorted({slug for issue in recent for slug in used_articles(project, issue)})
    covered = last_covered(project, history)
    used = last_used(project, history)
    order = {c.key: index for index, c in enumerate(conditions(project))}

    def wait_key(info: ConditionInfo) -> tuple[Month, int]:
        issue = covered.get(info.key)
        return (issue_month(issue) if issue else (0, 0), order[info.key])

    def article_key(slug: str) -> tuple[tuple[dt.date, str], str]:
        issue = used.get(slug)
        return ((issue.meta.date, issue.id) if issue else (dt.date.min, ""), slug)

    ranked = sorted(conditions(project), key=wait_key)
    queues = {
        info.key: sorted(
            (
                slug
                for slug, article in project.articles.items()
                if article.meta.condition == info.key and slug not in left_out
            ),
            key=article_key,
        )
        for info in ranked
    }
    picks: list[str] = []
    first_pick: dict[str, str] = {}
    while len(picks) < count and any(queues.values()):
        for info in ranked:
            if queues[info.key] and len(picks) < count:
                slug = queues[info.key].pop(0)
                picks.append(slug)
                first_pick.setdefault(info.key, slug)
    waiting = tuple(
        Waiting(
            info,
            covered[info.key].id if info.key in covered else None,
            issue_month(covered[info.key]) if info.key in covered else None,
            first_pick.get(info.key),
        )
        for info in ranked
    )
    return Suggestion(
        month=month,
        history=tuple(i.id for i in history),
        recent=tuple(i.id for i in recent),
        left_out=tuple(left_out),
        waiting=waiting,
        picks=tuple(picks),
    )


# ---------------------------------------------------------------- medical review


@dataclass(frozen=True)
class Review:
    """Where an article stands with its medical review (current for `review_max_months`)."""

    slug: str
    title: str
    reviewed_on: dt.date | None
    due_on: dt.date | None
    status: str  # ok | due | overdue | missing


def review_of(project: Project, slug: str, today: dt.date) -> Review:
    meta = project.articles[slug].meta
    if meta.reviewed_on is None:
        return Review(slug, meta.title, None, None, "missing")
    due_on = review_due(meta.reviewed_on, project.clinic.lint.review_max_months)
    if due_on < today:
        status = "overdue"
    elif due_on <= today + dt.timedelta(days=REVIEW_SOON_DAYS):
        status = "due"
    else:
        status = "ok"
    return Review(slug, meta.title, meta.reviewed_on, due_on, status)


def reviews_needed(project: Project, today: dt.date) -> list[Review]:
    """Articles never reviewed, overdue, or due within REVIEW_SOON_DAYS: most urgent first."""
    rank = {"missing": 0, "overdue": 1, "due": 2}
    found = [review_of(project, slug, today) for slug in sorted(project.articles)]
    return sorted(
        (r for r in found if r.status != "ok"),
        key=lambda r: (rank[r.status], r.due_on or dt.date.min, r.slug),
    )


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Cell:
    """What the issues of one month did for one condition."""

    issues: tuple[str, ...]
    articles: tuple[str, ...]
    featured: bool


@dataclass(frozen=True)
class CoverageRow:
    condition: ConditionInfo
    cells: tuple[Cell | None, ...]  # one per month of the plan
    last_issue: str | None
    last_month: Month | None
    articles: tuple[str, ...]  # every article about the condition


@dataclass(frozen=True)
class Plan:
    today: dt.date
    months: tuple[Month, ...]
    rows: tuple[CoverageRow, ...]
    reviews: tuple[Review, ...]
    review_months: int  # how long a medical review is current (clinic.yaml)

    @property
    def never_covered(self) -> list[ConditionInfo]:
        return [row.condition for row in self.rows if row.last_month is None]


def plan(project: Project, today: dt.date, months: int = 12) -> Plan:
    """Conditions against the last `months` months up to today's, with reviews due."""
    current = month_of(today)
    window = tuple(add_months(current, offset) for offset in range(1 - months, 1))
    history = [i for i in issues_in_order(project) if issue_month(i) <= current]
    covered = last_covered(project, history)
    rows = []
    for info in conditions(project):
        cells: list[Cell | None] = []
        for month in window:
            issues, slugs, featured = [], [], False
            for issue in history:
                if issue_month(issue) != month:
                    continue
                for slug in used_articles(project, issue):
                    if project.articles[slug].meta.condition == info.key:
                        issues.append(issue.id)
                        slugs.append(slug)
                        featured = featured or slug == issue.meta.featured
            cells.append(
                Cell(tuple(dict.fromkeys(issues)), tuple(slugs), featured) if slugs else None
            )
        last = covered.get(info.key)
        rows.append(
            CoverageRow(
                info,
                tuple(cells),
                last.id if last else None,
                issue_month(last) if last else None,
                tuple(
                    sorted(s for s, a in project.articles.items() if a.meta.condition == info.key)
                ),
            )
        )
    reviews = tuple(reviews_needed(project, today))
    return Plan(today, window, tuple(rows), reviews, project.clinic.lint.review_max_months)
