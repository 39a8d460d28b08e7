"""Content hygiene: placeholders left in, reviews gone stale, text too hard, images too heavy."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import review_due
from ..readability import reading_grade
from .context import Context
from .registry import Hit, rule

_PLACEHOLDER = re.compile(r"\bTODO\b")


@rule("hygiene/placeholder", "error", "No TODO placeholder left in the issue or its articles.")
def placeholder(ctx: Context) -> Iterator[Hit]:
    """Example: `title: "TODO: the article's headline"`, as `newsletter new article` writes it.
    Fix: replace the placeholder with the real text. YAML comments (after `#`) do not count."""
    files = [(ctx.issue_path, None), *((a.path, a.body_line) for a in ctx.articles)]
    for path, body_line in files:
        lines = ctx.lines_of(path)
        if not any("TODO" in line for line in lines):
            continue  # the pattern needs these four letters: most files have none
        for number, line in enumerate(lines, start=1):
            in_yaml = body_line is None or number < body_line
            text = re.sub(r"(^|\s)#.*$", "", line) if in_yaml else line
            if _PLACEHOLDER.search(text):
                yield Hit(
                    "a TODO placeholder is still here; replace it with the real text before the "
                    "issue goes out",
                    path,
                    number,
                    excerpt=line.strip()[:160],
                )


@rule("hygiene/review-age", "error", "Each article has a medical review at most 12 months old.")
def review_age(ctx: Context) -> Iterator[Hit]:
    """Example: `reviewed_on: 2024-03-01` in an issue dated 2026-11-05, or no `reviewed_on`.
    Fix: have a clinician re-read the article, then update `reviewed_on` (and `reviewed_by`).
    The age is counted at the issue's `date`, so results do not change from day to day."""
    months = ctx.settings.review_max_months
    day = ctx.built.issue.meta.date
    for article in ctx.articles:
        reviewed = article.meta.reviewed_on
        if reviewed is None:
            yield Hit(
                "the article has no 'reviewed_on'; have a clinician review it and write the date "
                "(and 'reviewed_by')",
                article.path,
                article.line_of("reviewed_by") if article.meta.reviewed_by else 1,
            )
        elif day > review_due(reviewed, months):
            yield Hit(
                f"the medical review of {reviewed.isoformat()} is more than {months} months old "
                f"at the issue's date ({day.isoformat()}); have it reviewed again and update "
                "'reviewed_on'",
                article.path,
                article.line_of("reviewed_on"),
            )


@rule("hygiene/reading-level", "warning", "An article's reading grade at most 12.")
def reading_level(ctx: Context) -> Iterator[Hit]:
    """Example: long sentences full of words like "neuroinflammatory" (grade 16).
    Fix: shorter sentences and everyday words; the finding points at the hardest sentence."""
    limit = ctx.settings.reading_grade_max
    for article in ctx.articles:
        grade, hardest = reading_grade(article.body)
        if grade > limit and hardest is not None:
            yield Hit(
                f"the article reads at grade {grade:.1f} (Flesch-Kincaid); aim for {limit:g} or "
                "below: shorten sentences like this one and use everyday words",
                article.path,
                article.body_line + article.body.count("\n", 0, hardest[0]),
                excerpt=" ".join(article.body[hardest[0] : hardest[1]].split())[:160],
            )


@rule("hygiene/image-size", "error", "Local image files at most 1 MB.")
def image_size(ctx: Context) -> Iterator[Hit]:
    """Example: `image: images/photo.jpg` straight from a phone (4 MB).
    Fix: export it at twice the display width (e.g. 1104 px wide) as JPEG or PNG, under 1 MB."""
    limit = ctx.settings.image_max_kb * 1024
    for path, ref in ctx.built.images:
        size = path.stat().st_size
        if size > limit:
            found = ctx.locate(ref)
            where, line = found if found else (path, None)
            yield Hit(
                f"the image {ref} is {size / 1024 / 1024:.1f} MB; readers on phones wait for it: "
                f"resize it (twice the display width) to under {ctx.settings.image_max_kb} KB",
                where,
                line,
            )
