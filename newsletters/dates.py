"""Dates as people read them, and month arithmetic: one helper for every label.

Month names are written out here rather than taken from `strftime("%B")`, which follows the
machine's locale, and `%-d`, which Windows does not have: the same project gives the same
bytes on every machine.
"""

from __future__ import annotations

import datetime as dt

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_label(day: dt.date) -> str:
    """'November 5, 2026': the email's date line, the archive and the preview's list."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def month_label(year: int, month: int) -> str:
    """'November 2026': an issue's default title, a scaffold's heading."""
    return f"{MONTHS[month - 1]} {year}"


def short_month(year: int, month: int) -> str:
    """'Nov 2026': the columns of `newsletter plan`."""
    return f"{MONTHS[month - 1][:3]} {year}"


def short_date(day: dt.date) -> str:
    """'Nov 5': how an inbox lists a message (the preview's inbox line)."""
    return f"{MONTHS[day.month - 1][:3]} {day.day}"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day
    (a review of 31 August plus 6 months is due on 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due(reviewed_on: dt.date, months: int) -> dt.date:
    """The last day a medical review of `reviewed_on` is current, with clinic.yaml's
    `lint.review_max_months`: lint (at the issue's date) and plan/list (today) both use it."""
    return add_months(reviewed_on, months)
