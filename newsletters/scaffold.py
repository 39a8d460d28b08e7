"""Scaffolds: a new article or issue file with every field present and explained.

The comments come from the schemas' own field docs (`schema.field_docs`), so a scaffold always
describes the fields the loader accepts. Placeholders start with TODO and are ordinary text:
the file parses as soon as it is written and builds once the TODOs are replaced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re
import textwrap
import typing
from pathlib import Path
from typing import Any

from .dates import month_label
from .errors import NewsletterError, Problems, display_path
from .load import find_project, load_checked
from .model import ArticleMeta, Clinic, IssueMeta
from .paths import ProjectPaths
from .planner import (
    RECENT_ISSUES,
    SUGGESTED_ARTICLES,
    Suggestion,
    add_months,
    conditions,
    month_id,
    month_of,
    parse_month,
    suggest,
)
from .schema import field_docs, load_into, slug
from .yamlfile import parse_yaml, read_text

COMMENT_WIDTH = 90
ARTICLE_PLACEHOLDERS = {
    "title": "TODO: the article's headline",
    "summary": "TODO: two or three sentences that make people want to read on.",
}
ARTICLE_BODY = (
    "TODO: write the article here, in Markdown. Keep paragraphs short and the words plain;\n"
    "say what a treatment may do for some people rather than promise results, and list your\n"
    "sources in the front matter above.\n"
)
# Fields the loader accepts empty but the checks need before the issue can go out: the
# scaffold must not call them optional.
NEEDED_TO_SEND = {
    "reviewed_on": "needed before sending: a medical review at most 12 months old",
    "reviewed_by": "needed before sending, with reviewed_on",
    "image_alt": "needed before sending when there is an image",
}
ISSUE_PLACEHOLDERS = {
    "subject": "TODO: a subject line of 30 to 50 characters",
    "preheader": "TODO: the inbox preview after the subject, 40 to 130 characters long",
}
NO_FEATURED = "TODO-choose-an-article"
ISSUE_INTRO = "TODO: a short welcome, two or three sentences."


def quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def field_comment(name: str, kind: str, doc: str, required: bool) -> list[str]:
    """'# name (kind, required): doc', wrapped: the documentation above a field."""
    need = "required" if required else NEEDED_TO_SEND.get(name, "optional")
    return comment(f"{name} ({kind}, {need}): {doc}")


def nested_example(tp: Any) -> list[str]:
    """Commented lines showing how to write a list of, or a single, nested set of fields."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    inner = args[0] if args else tp
    if not dataclasses.is_dataclass(inner):
        if origin is tuple:
            return ["# Write it as a list, one item per line:", "#   - ...", "#   - ..."]
        return []
    is_list = origin is tuple
    lines = ["# Write " + ("each one" if is_list else "it") + " like this:"]
    for index, (name, _kind, doc, _required) in enumerate(field_docs(inner)):  # type: ignore[arg-type]
        lead = "- " if is_list and index == 0 else "  " if is_list else ""
        lines.append(f"#   {lead}{name}: ...  ({doc})")
    return lines


def render_fields(cls: type, values: dict[str, str]) -> list[str]:
    """Every field of `cls`, each under its comment, valued from `values` or left empty."""
    hints = typing.get_type_hints(cls)
    lines: list[str] = []
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.init}
    for name, kind, doc, required in field_docs(cls):
        lines.append("")
        lines.extend(field_comment(name, kind, doc, required))
        lines.extend(nested_example(hints[name]))
        if name in values:
            value = values[name]
        elif typing.get_origin(hints[name]) is tuple:
            value = "[]"
        elif isinstance(default := defaults[name], str):
            value = default if re.fullmatch(r"[a-z][a-z0-9-]*", default) else quote(default)
        else:
            value = ""
        lines.append(
            f"{name}: {value}".rstrip() if not value.startswith("\n") else name + ":" + value
        )
    return lines


def load_clinic(root: Path) -> Clinic:
    """clinic.yaml alone: enough to check a condition without loading every article."""
    problems = Problems()
    path = ProjectPaths.of(root).clinic_file
    text = read_text(path, problems)
    data = parse_yaml(text, path, problems) if text is not None else None
    clinic = load_into(Clinic, data, path, problems) if not problems.errors else None
    if clinic is None:
        raise NewsletterError(problems.errors)
    return clinic


def new_article(root: Path, name: str, condition: str, title: str | None = None) -> Path:
    """Write content/articles/<name>.md with every front matter field; never overwrite."""
    root = find_project(root)
    message = slug(name)
    if message:
        raise NewsletterError(f"the article name {message}")
    clinic = load_clinic(root)
    keys = [c.key for c in clinic.conditions]
    if keys and condition not in keys:
        close = difflib.get_close_matches(condition, keys, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(keys)
        raise NewsletterError(
            f"clinic.yaml has no condition '{condition}'; {hint} (add new ones to its conditions)"
        )
    path = ProjectPaths.of(root).article(name)
    refuse_existing(path)
    values = {
        "title": quote(title if title else ARTICLE_PLACEHOLDERS["title"]),
        "condition": condition,
        "summary": quote(ARTICLE_PLACEHOLDERS["summary"]),
    }
    lines = [
        "---",
        f"# The article '{name}', about {_condition_name(clinic, condition)}.",
        "# Replace every TODO. Fields marked 'optional' may stay empty; those 'needed before",
        "# sending' may stay empty while you draft, but the checks stop the issue without them.",
        *render_fields(ArticleMeta, values),
        "---",
        ARTICLE_BODY,
    ]
    _write_new(path, "\n".join(lines))
    return path


def _condition_name(clinic: Clinic, key: str) -> str:
    found = clinic.condition(key)
    return found.name if found else key


def default_month(today: dt.date) -> str:
    return month_id(add_months(month_of(today), 1))


def new_issue(
    root: Path, name: str | None, today: dt.date, count: int = SUGGESTED_ARTICLES
) -> tuple[Path, Suggestion]:
    """Write content/issues/<YYYY-MM>.yaml with suggested articles; never overwrite."""
    root = find_project(root)
    name = name or default_month(today)
    month = parse_month(name)
    if month is None:
        raise NewsletterError(f"'{name}' is not a month; write it as YYYY-MM, like 2026-12")
    path = ProjectPaths.of(root).issue_file(name)
    refuse_existing(path)
    project = load_checked(root)
    suggestion = suggest(project, month, count)
    picks = suggestion.picks
    reasons = {
        w.pick: f"{w.condition.name}: {w.reason(month)}" for w in suggestion.waiting if w.pick
    }
    condition_names = {c.key: c.name for c in conditions(project)}
    for pick in picks:
        key = project.articles[pick].meta.condition
        reasons.setdefault(pick, f"{condition_names[key]}: a second article")
    values = {
        "subject": quote(ISSUE_PLACEHOLDERS["subject"]),
        "preheader": quote(ISSUE_PLACEHOLDERS["preheader"]),
        "date": f"{name}-01",
        "intro": "|\n  " + ISSUE_INTRO,
    }
    if picks:
        featured = picks[0]
        values["featured"] = f"{featured}  # {reasons[featured]}"
        others = picks[1:]
        values["articles"] = "".join(f"\n  - {s}  # {reasons[s]}" for s in others) or "[]"

    else:
        values["featured"] = NO_FEATURED + "  # no article was free to suggest: write its slug here"
        values["articles"] = "[]"
    lines = [
        f"# The {month_label(*month)} issue, drafted by 'newsletter new issue' on "
        f"{today.isoformat()}.",
        f"# Replace every TODO, then run: newsletter build {name}",
        "",
        *explain(suggestion, count),
    ]
    lines.extend(render_fields(IssueMeta, values))
    _write_new(path, "\n".join(lines) + "\n")
    return path, suggestion


def explain(suggestion: Suggestion, count: int) -> list[str]:
    """The comments that say why these articles were suggested."""
    month = suggestion.month
    recent = ", ".join(suggestion.recent)
    text = [
        f"Suggested articles (up to {count}): the conditions covered least recently come "
        "first, one article each, and the featured article is the one whose condition has "
        "waited longest."
    ]
    if suggestion.recent:
        text.append(
            f"Articles used in the last {RECENT_ISSUES} issues ({recent}) are left out: "
            + ", ".join(suggestion.left_out)
            + "."
        )
    else:
        text.append("There are no earlier issues, so every article may be used.")
    lines: list[str] = []
    for paragraph in text:
        lines.extend(comment(paragraph))
    lines.append("# Conditions, longest wait first:")
    for waiting in suggestion.waiting:
        chosen = waiting.pick or "no article to suggest"
        if waiting.pick and waiting.pick == suggestion.featured:
            chosen += " (featured)"
        lines.append(f"#   {waiting.condition.name:<18} {waiting.reason(month):<34} -> {chosen}")
    missing = [w.condition for w in suggestion.waiting if w.pick is None]
    if missing:
        lines.extend(
            comment(
                "For a condition with no article to suggest, write one: "
                f"newsletter new article SLUG --condition {missing[0].key}"
            )
        )
    return lines


def comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, COMMENT_WIDTH - 2, break_on_hyphens=False)]


def refuse_existing(path: Path) -> None:
    if path.exists():
        raise NewsletterError(
            f"{display_path(path)} already exists; edit it, or choose another name"
        )


def _write_new(path: Path, text: str) -> None:
    """Create the file only if it still does not exist (no race with another run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        refuse_existing(path)
        raise
