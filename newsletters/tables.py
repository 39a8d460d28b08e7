"""How planning is shown: the terminal tables of `plan` and `list`, and their JSON.

planner.py decides what to plan, status.py says what has happened; this module only shows
them (80 columns, colour only on a terminal, NO_COLOR honoured).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .cliout import colour_wanted as colour_wanted  # re-exported: the CLI output owns it
from .dates import MONTHS
from .planner import REVIEW_SOON_DAYS, Plan, Review, month_id, month_label
from .status import ArticleStatus, IssueStatus

WIDTH = 80

Style = Callable[[str, str], str]  # (text, role) -> text, coloured or not


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
        header = "".join(MONTHS[m[1] - 1][:3].ljust(COLUMN) for m in block)
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
                last_text = month_label(row.last_month)
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
        every = f"every {result.review_months} months"
        if result.review_months == 12:
            every = "once a year"
        lines.append(f"Medical reviews to do (every article is reviewed {every}):")
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
