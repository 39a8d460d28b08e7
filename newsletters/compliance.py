"""Health-marketing decisions, each written once: testimonial authorizations, what a reader is
told about a connection, sponsorship, and subscriber lists that carry health information.

The rules behind them (quoted in docs/compliance.md): HIPAA 45 CFR 164.508(c) (what an
authorization holds), 164.501 and 164.508(a)(3) (paid communications are marketing), FTC
16 CFR 255 and 465 (disclose material connections). The tool helps a clinic follow them; it
does not replace the clinic's own legal review.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .model import Article, Clinic, Issue, Project, Testimonial

NO_CONNECTION = ("none", "no", "no connection")
# What a reader is told for the usual connections; anything else is shown as written.
CONNECTION_LABELS = {
    "staff": "works at our clinic",
    "employee": "works at our clinic",
    "paid": "was paid for this review",
    "free treatment": "received treatment free of charge",
    "free": "received treatment free of charge",
    "discount": "received a discount on treatment",
}


def connection_label(testimonial: Testimonial) -> str | None:
    """The disclosure printed beside a quotation, or None when there is no connection."""
    value = " ".join((testimonial.connection or "").split())
    if not value or value.lower() in NO_CONNECTION:
        return None
    return CONNECTION_LABELS.get(value.lower(), value)


def attribution(testimonial: Testimonial) -> str:
    """The line under a quotation: who said it and, when there is one, the connection."""
    label = connection_label(testimonial)
    return f"— {testimonial.name}" + (f" ({label})" if label else "")


def attribution_finder(testimonials: Iterable[Testimonial]) -> Callable[[str], str | None]:
    """For the Markdown stage: the attribution line of the quotation a block holds, if any."""
    entries = [(_words(t.quote), attribution(t)) for t in testimonials if _words(t.quote).strip()]

    def find(block_text: str) -> str | None:
        block = _words(block_text)
        return next((line for quote, line in entries if quote in block), None)

    return find


def _words(text: str) -> str:
    """Lower-case words between spaces: how quotations are matched, as lint matches them."""
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


@dataclass(frozen=True)
class AuthorizationProblem:
    """What is wrong with a testimonial's authorization; `severity` error stops a send."""

    severity: str  # "error" or "warning"
    message: str
    field: str  # the field to point at


def authorization_problems(entry: Testimonial, used_on: dt.date) -> list[AuthorizationProblem]:
    """Why `entry` may not be quoted in a newsletter used on `used_on` (45 CFR 164.508(c))."""
    who = entry.name
    found: list[AuthorizationProblem] = []
    signed = entry.signed_on or entry.consent_on
    if signed is None:
        found.append(
            AuthorizationProblem(
                "error",
                f"the quotation of {who} has no signed authorization; quote a patient only "
                "with a signed HIPAA authorization and write its date in 'signed_on'",
                "testimonials",
            )
        )
        return found
    if entry.revoked_on is not None:
        found.append(
            AuthorizationProblem(
                "error",
                f"{who} revoked the authorization on {entry.revoked_on.isoformat()}; remove "
                "the quotation",
                "testimonials",
            )
        )
    if entry.expires_on is not None and entry.expires_on < used_on:
        found.append(
            AuthorizationProblem(
                "error",
                f"the authorization of {who} expired on {entry.expires_on.isoformat()}, before "
                f"this use ({used_on.isoformat()}); remove the quotation or get a new one signed",
                "testimonials",
            )
        )
    if signed > used_on:
        found.append(
            AuthorizationProblem(
                "error",
                f"the authorization of {who} is dated {signed.isoformat()}, after this use "
                f"({used_on.isoformat()}); check 'signed_on'",
                "testimonials",
            )
        )
    if entry.expires_on is not None and entry.expires_on < signed:
        found.append(
            AuthorizationProblem(
                "error",
                f"the authorization of {who} expires ({entry.expires_on.isoformat()}) before it "
                f"was signed ({signed.isoformat()}); check the dates on the form",
                "testimonials",
            )
        )
    if entry.scope == "web":
        found.append(
            AuthorizationProblem(
                "error",
                f"the authorization of {who} covers the web only, not this newsletter; remove "
                "the quotation or get a form that covers the newsletter",
                "testimonials",
            )
        )
    missing = [
        name
        for name, value in (
            ("name", entry.name.strip()),
            ("expires_on or expires_when", entry.expires_on or (entry.expires_when or "").strip()),
            ("scope", entry.scope),
            ("document", (entry.document or "").strip()),
            ("connection", (entry.connection or "").strip()),
        )
        if not value
    ]
    if entry.signed_on is None and entry.consent_on is not None:
        lacking = f"; it also lacks {', '.join(missing)}" if missing else ""
        found.append(
            AuthorizationProblem(
                "warning",
                f"the quotation of {who} uses 'consent_on': rename it 'signed_on'{lacking} "
                "(an authorization has an expiry, a scope and a kept form)",
                "testimonials",
            )
        )
    elif missing:
        found.append(
            AuthorizationProblem(
                "error",
                f"the authorization of {who} lacks {', '.join(missing)}; copy them from the "
                "signed form (write 'connection: none' when the person has no tie to the clinic)",
                "testimonials",
            )
        )
    return found


def use_date(issue: Issue, today: dt.date | None = None) -> dt.date:
    """When a quotation is used: the issue's date, or today when the issue goes out later."""
    return max(issue.meta.date, today or dt.date.today())


# ---------------------------------------------------------------- sponsorship


def sponsors(project: Project, issue: Issue) -> list[tuple[str, Path, int]]:
    """(sponsor, file, line) for the issue and each of its articles that names one."""
    named = [(issue.meta.sponsored_by, issue.path, issue.line_of("sponsored_by"))]
    for slug in issue.article_slugs:
        article: Article | None = project.articles.get(slug)
        if article is not None:
            named.append((article.meta.sponsored_by, article.path, article.line_of("sponsored_by")))
    return [
        (" ".join(sponsor.split()), path, line)
        for sponsor, path, line in named
        if sponsor and sponsor.strip()
    ]


def sponsor_label(sponsor: str | None) -> str | None:
    """'Sponsored by <sponsor>', or None when no sponsor is named (blank counts as none)."""
    name = " ".join((sponsor or "").split())
    return f"Sponsored by {name}" if name else None


# ---------------------------------------------------------------- subscriber lists

_HEALTH_HEADINGS = re.compile(
    r"diagnos|condition|disease|illness|disorder|icd|symptom|treatment|medication|prescription"
    r"|procedure|patient_?status|health|medical|^dx$|^rx$",
    re.I,
)


def health_columns(headings: Iterable[str], clinic: Clinic) -> list[str]:
    """Column headings that carry diagnosis or condition data (or name a treated condition)."""
    names = set()
    for condition in clinic.conditions:
        names |= {_norm(condition.key), _norm(condition.name)}
    return [
        h
        for h in headings
        if h.strip() and (_HEALTH_HEADINGS.search(_norm(h)) or _norm(h) in names)
    ]


def _norm(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def list_headings(path: Path) -> list[str]:
    """The first line of a CSV, or [] when it cannot be read (read_list reports that)."""
    from .delivery.recipients import column_headings

    return column_headings(path)


def sponsored_send_refusal(project: Project, issue: Issue, today: dt.date) -> list[str]:
    """Why a list send of a sponsored issue is refused (HIPAA 45 CFR 164.508(a)(3)), or []."""
    found = sponsors(project, issue)
    if not found:
        return []
    names = ", ".join(dict.fromkeys(sponsor for sponsor, _, _ in found))
    recorded = project.clinic.compliance.marketing_authorization_on
    if recorded is None:
        return [
            f"issue {issue.id} is sponsored by {names}: under HIPAA a paid communication is "
            "marketing, so every reader must have given written marketing authorization; once "
            "they have, record the date in clinic.yaml as 'compliance: "
            "marketing_authorization_on: YYYY-MM-DD' (test sends with --to still work)"
        ]
    if recorded > today:
        return [
            f"compliance: marketing_authorization_on is {recorded.isoformat()}, in the future; "
            f"issue {issue.id} is sponsored by {names} and needs that authorization first"
        ]
    return []


def list_without_baa(
    clinic: Clinic, path: Path, route: str, title: str, can_sign: bool
) -> str | None:
    """A warning when a subscriber list with health columns goes where no BAA covers it:
    a platform that never signs one, or one not listed in clinic.yaml `compliance: baa`."""
    columns = health_columns(list_headings(path), clinic)
    if not columns or (can_sign and route in clinic.compliance.baa):
        return None
    why = (
        "does not sign Business Associate Agreements"
        if not can_sign
        else f"has no Business Associate Agreement recorded in clinic.yaml ('compliance: baa: "
        f"[{route}]' once one is signed)"
    )
    shown = ", ".join(columns[:3])
    return (
        f"{path.name} has health columns ({shown}) and {title} {why}: a list that says who has "
        "which condition is health information (HIPAA); remove those columns before it leaves "
        "the clinic, or use a service that signs a BAA"
    )


def web_use_problems(project: Project, issue: Issue, today: dt.date) -> list[Problem]:
    """Quotations `newsletter archive` would publish on the web without an authorization that
    covers the web (45 CFR 164.508(c)(1)(iv): the form says where the information is used)."""
    found = []
    for slug in issue.article_slugs:
        article = project.articles.get(slug)
        if article is None:
            continue
        for entry in article.meta.testimonials:
            line = article.line_of("testimonials")
            if entry.scope == "newsletter":
                found.append(
                    Problem(
                        article.path,
                        line,
                        f"the authorization of {entry.name} covers the newsletter only, and the "
                        f"archive publishes issue {issue.id} on the web; get a form that covers "
                        "the web ('scope: both') or remove the quotation",
                    )
                )
            errors = [
                p
                for p in authorization_problems(entry, max(today, issue.meta.date))
                if p.severity == "error" and "web only" not in p.message
            ]
            found += [Problem(article.path, line, p.message) for p in errors]
    return found
