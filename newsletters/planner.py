"""Plan the next issue from the past ones, and keep the article library healthy.

Everything here is a pure function of a loaded Project and a date, so the same project and the
same `today` always give the same suggestions, plan and listing (tests pass `--today`). The
history of a month is made of the issues dated before it; an issue's month is its `date`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cliout import colour_wanted as colour_wanted  # re-exported: the CLI output owns it
from .model import Issue, Project
from .readability import reading_grade, reading_minutes

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
REVIEW_EVERY_MONTHS = 12  # a medical review is good for a year
REVIEW_SOON_DAYS = 30  # "due" when the year runs out within this many days
RECENT_ISSUES = 3  # an article used in the last three issues is not suggested again
SUGGESTED_ARTICLES = 4
WIDTH = 80

Month = tuple[int, int]
Style = Callable[[str, str], str]  # (text, role) -> text, coloured or not


# ---------------------------------------------------------------- months and dates


def month_of(date: dt.date) -> Month:
    return (date.year, date.month)


def month_id(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def month_label(month: Month) -> str:
    """'Nov 2026': how a person names a month."""
    return f"{MONTH_NAMES[month[1] - 1]} {month[0]}"


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


def add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February in a year that has none
        return date.replace(year=date.year + years, day=28)


# ---------------------------------------------------------------- reading time and level


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
    """Where an article stands with its yearly medical review."""

    slug: str
    title: str
    reviewed_on: dt.date | None
    due_on: dt.date | None
    status: str  # ok | due | overdue | missing


def review_of(project: Project, slug: str, today: dt.date) -> Review:
    meta = project.articles[slug].meta
    if meta.reviewed_on is None:
        return Review(slug, meta.title, None, None, "missing")
    due_on = add_years(meta.reviewed_on, REVIEW_EVERY_MONTHS // 12)
    if due_on < today:
        status = "overdue"
    elif due_on <= today + dt.timedelta(days=REVIEW_SOON_DAYS):
        status = "due"
    else:
        status = "ok"
    return Review(slug, meta.title, meta.reviewed_on, due_on, status)


def reviews_needed(project: Project, today: dt.date) -> list[Review]:
    """Articles never reviewed, overdue, or due within 30 days: most urgent first."""
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
class Row:
    condition: ConditionInfo
    cells: tuple[Cell | None, ...]  # one per month of the plan
    last_issue: str | None
    last_month: Month | None
    articles: tuple[str, ...]  # every article about the condition


@dataclass(frozen=True)
class Plan:
    today: dt.date
    months: tuple[Month, ...]
    rows: tuple[Row, ...]
    reviews: tuple[Review, ...]

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
            Row(
                info,
                tuple(cells),
                last.id if last else None,
                issue_month(last) if last else None,
                tuple(
                    sorted(s for s, a in project.articles.items() if a.meta.condition == info.key)
                ),
            )
        )
    return Plan(today, window, tuple(rows), tuple(reviews_needed(project, today)))


def plan_json(result: Plan) -> dict[str, Any]:
    """The plan for other tools; docs/guide/planning.md documents every key."""
    return {
        "today": result.today.isoformat(),
        "months": [month_id(m) for m in result.months],
        "conditions": [
            {
                "key": row.condition.key,
                "name": row.condition.name,
                "articles": list(row.articles),
                "last_covered": month_id(row.last_month) if row.last_month else None,
                "last_issue": row.last_issue,
                "months": {
                    month_id(month): {
                        "issues": list(cell.issues),
                        "articles": list(cell.articles),
                        "featured": cell.featured,
                    }
                    for month, cell in zip(result.months, row.cells, strict=True)
                    if cell is not None
                },
            }
            for row in result.rows
        ],
        "never_covered": [c.key for c in result.never_covered],
        "reviews": [_review_json(r) for r in result.reviews],
    }


def _review_json(review: Review) -> dict[str, Any]:
    return {
        "slug": review.slug,
        "title": review.title,
        "reviewed_on": review.reviewed_on.isoformat() if review.reviewed_on else None,
        "due_on": review.due_on.isoformat() if review.due_on else None,
        "status": review.status,
    }


LABEL = 18
COLUMN = 4
LAST = 8


def plan_lines(result: Plan, style: Style) -> list[str]:
    """The plan as text that fits 80 columns: blocks of at most 12 months."""
    per_block = max(1, (WIDTH - 2 - LABEL - 1 - LAST) // COLUMN)
    first, last = result.months[0], result.months[-1]
    lines = [
        f"Conditions covered, {month_label(first)} to {month_label(last)}",
        "(F featured, + in the issue, . not covered)",
    ]
    for start in range(0, len(result.months), per_block):
        block = result.months[start : start + per_block]
        years = ""
        for index, month in enumerate(block):
            if month[1] == 1:
                years = years.ljust(index * COLUMN) + str(month[0])
            elif index == 0:  # a year's last month before a January gets a short label
                years = str(month[0]) if month[1] < 12 or len(block) == 1 else f"'{month[0] % 100}"
        lines.append("")
        lines.append(" " * (2 + LABEL) + years)
        header = "".join(MONTH_NAMES[m[1] - 1].ljust(COLUMN) for m in block)
        lines.append("  " + "condition".ljust(LABEL) + header + " " + "last")
        for row in result.rows:
            cells = ""
            for cell in row.cells[start : start + per_block]:
                if cell is None:
                    cells += style(".", "dim") + " " * (COLUMN - 1)
                elif cell.featured:
                    cells += style("F", "good") + " " * (COLUMN - 1)
                else:
                    cells += style("+", "good") + " " * (COLUMN - 1)
            if row.last_month is None:
                last_text = style("never", "bad")
            else:
                last_text = f"{MONTH_NAMES[row.last_month[1] - 1]} {row.last_month[0]}"
            lines.append("  " + fit(row.condition.name, LABEL - 1).ljust(LABEL) + cells + last_text)
    lines.append("")
    never = result.never_covered
    if never:
        lines.extend(wrap("Never covered: " + ", ".join(c.name for c in never) + "."))
    without = [row.condition.name for row in result.rows if not row.articles]
    if without:
        lines.extend(
            wrap(
                "No article yet about: " + ", ".join(without) + " (newsletter new article SLUG "
                "--condition KEY)."
            )
        )
    if lines[-1]:
        lines.append("")
    if not result.reviews:
        lines.append(f"Medical reviews: none due in the next {REVIEW_SOON_DAYS} days.")
    else:
        lines.append("Medical reviews to do (every article is reviewed once a year):")
        for review in result.reviews:
            lines.append("  " + fit(review.slug, 24).ljust(26) + _review_phrase(review, style))
    return lines


def _review_phrase(review: Review, style: Style) -> str:
    if review.reviewed_on is None or review.due_on is None:
        return style("never reviewed", "bad")
    if review.status == "overdue":
        return style(f"overdue since {review.due_on.isoformat()}", "bad") + (
            f" (reviewed {review.reviewed_on.isoformat()})"
        )
    return style(f"due {review.due_on.isoformat()}", "warn") + (
        f" (reviewed {review.reviewed_on.isoformat()})"
    )


def fit(text: str, width: int) -> str:
    """`text` cut to `width` characters with an ellipsis when it is longer."""
    return text if len(text) <= width else text[: width - 1] + "…"


def wrap(text: str, indent: str = "  ") -> list[str]:
    import textwrap

    return textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False)


# ---------------------------------------------------------------- the listing


@dataclass(frozen=True)
class SendSummary:
    """What an issue's send journal says: how many recipients are in which state, and when."""

    counts: tuple[tuple[str, int], ...]  # (state, recipients), sorted by state
    last_at: str | None  # the latest time recorded, as the journal wrote it


def send_summary(path: Path) -> SendSummary | None:
    """What the issue's send journal (dist/<issue>/send-journal.sqlite) says; None if unsent."""
    from .delivery.journal import summary

    found = summary(path)
    if found is None:
        return None
    counts, last = found
    return SendSummary(tuple(sorted(counts.items())), last[:10] if last else None)


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
    sent: SendSummary | None


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


def list_json(issues: list[IssueStatus], articles: list[ArticleStatus]) -> dict[str, Any]:
    """The listing for other tools; docs/guide/planning.md documents every key."""
    return {
        "issues": [
            {
                "id": i.id,
                "date": i.date.isoformat(),
                "subject": i.subject,
                "layout": i.layout,
                "articles": list(i.articles),
                "problems": list(i.problems),
                "built": i.built,
                "exported": list(i.exported),
                "sent": None
                if i.sent is None
                else {"counts": dict(i.sent.counts), "last_at": i.sent.last_at},
            }
            for i in issues
        ],
        "articles": [
            {
                "slug": a.slug,
                "title": a.title,
                "condition": a.condition,
                "last_issue": a.last_issue,
                "reviewed_on": a.review.reviewed_on.isoformat() if a.review.reviewed_on else None,
                "review_due": a.review.due_on.isoformat() if a.review.due_on else None,
                "review": a.review.status,
                "reading_minutes": a.minutes,
                "reading_grade": a.grade,
            }
            for a in articles
        ],
    }


def list_lines(
    issues: list[IssueStatus], articles: list[ArticleStatus], style: Style, width: int = WIDTH
) -> list[str]:
    """The listing as text that fits `width` columns (at least 80): two or more lines per
    issue (its status is wrapped, never cut: whether it was sent matters), one per article."""
    width = max(width, WIDTH)
    lines = ["Issues (newest first):"]
    for issue in issues:
        count = len(issue.articles)
        plural = "s" if count != 1 else ""
        head = f"  {issue.id:<8} " + f"{count} article{plural}".ljust(13)
        state = _issue_state(issue, style)
        wrapped = _wrap_styled(state, width - len(head))
        lines.append(head + wrapped[0])
        lines.extend(" " * len(head) + rest for rest in wrapped[1:])
        lines.append(f"    {issue.date.isoformat()}  " + fit(issue.subject, width - 16))
    if not issues:
        lines.append("  (none yet: newsletter new issue)")
    lines.append("")
    lines.append("Articles:")
    # The article column grows with the terminal, up to the longest name.
    slug_width = max(22, min(max((len(a.slug) + 1 for a in articles), default=0), width - 58))
    lines.append(
        "  "
        + "article".ljust(slug_width)
        + "condition".ljust(14)
        + "last use".ljust(9)
        + "reviewed".ljust(12)
        + "read".ljust(7)
        + "grade"
    )
    for a in articles:
        review = a.review.reviewed_on.isoformat() if a.review.reviewed_on else "never"
        role = {"ok": "", "due": "warn", "overdue": "bad", "missing": "bad"}[a.review.status]
        marker = {"ok": " ", "due": "~", "overdue": "!", "missing": "!"}[a.review.status]
        grade = f"{a.grade:5.1f}"
        lines.append(
            "  "
            + fit(a.slug, slug_width - 1).ljust(slug_width)
            + fit(a.condition, 13).ljust(14)
            + (a.last_issue or "never").ljust(9)
            + (style((review + marker).ljust(12), role) if role else (review + marker).ljust(12))
            + f"{a.minutes} min".ljust(7)
            + (style(grade, "warn") if a.grade > 8 else grade)
        )
    if not articles:
        lines.append("  (none yet: newsletter new article SLUG --condition KEY)")
    else:
        lines.append(
            f"  reviewed: ~ due within {REVIEW_SOON_DAYS} days, ! overdue or never done. "
            "grade: US school year"
        )
    return lines


def _wrap_styled(text: str, width: int) -> list[str]:
    """Wrap at '; ' boundaries by visible length (colour codes take no columns)."""
    lines: list[str] = []
    for part in text.split("; "):
        if lines and _visible_len(lines[-1] + "; " + part) <= width:
            lines[-1] += "; " + part
        elif lines:
            lines[-1] += ";"
            lines.append(part)
        else:
            lines.append(part)
    return lines


def _issue_state(issue: IssueStatus, style: Style) -> str:
    parts = []
    if issue.problems:
        n = len(issue.problems)
        parts.append(style(f"{n} problem{'s' if n != 1 else ''}", "bad"))
    parts.append(style("built", "good") if issue.built else "not built")
    if issue.exported:
        parts.append("exported: " + ", ".join(issue.exported))
    if issue.sent is None:
        parts.append("not sent")
    elif not issue.sent.counts:
        parts.append(style("sent (journal unreadable)", "warn"))
    else:
        counts = ", ".join(f"{n} {state}" for state, n in issue.sent.counts)
        when = f" {issue.sent.last_at}" if issue.sent.last_at else ""
        parts.append(style(f"sent{when}", "good") + f" ({counts})")
    return "; ".join(parts)


def _unstyle(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _visible_len(text: str) -> int:
    return len(_unstyle(text))


# ---------------------------------------------------------------- colour


ROLES: dict[str, dict[str, Any]] = {
    "good": {"fg": "green"},
    "warn": {"fg": "yellow"},
    "bad": {"fg": "red", "bold": True},
    "dim": {"dim": True},
}


def styler(colour: bool) -> Style:
    """A Style that colours with click.style when `colour`, else returns the text unchanged."""
    if not colour:
        return lambda text, role: text

    import click

    def style(text: str, role: str) -> str:
        return click.style(text, **ROLES[role]) if role in ROLES else text

    return style
