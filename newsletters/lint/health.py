"""Health claims: what the FTC, the FDA and HIPAA expect of a clinic's marketing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from ..compliance import (
    authorization_problems,
    connection_label,
    sponsor_label,
    sponsors,
    use_date,
)
from ..memo import remembered
from ..model import Testimonial
from .context import (
    Context,
    Segment,
    contains_words,
    mask_urls,
    sentence_at,
    sentences,
    words,
)
from .registry import Hit, rule

ABSOLUTE_WORDS = (
    "cure",
    "cures",
    "cured",
    "guarantee",
    "guarantees",
    "guaranteed",
    "100%",
    "100 percent",
    "miracle",
    "miraculous",
    "permanent relief",
    "permanently",
    "risk-free",
    "risk free",
    "no side effects",
    "completely safe",
    "totally safe",
    "proven to",
    "instant relief",
    "pain-free forever",
)
CONDITION_WORDS = (
    "pain",
    "migraine",
    "migraines",
    "headache",
    "headaches",
    "depression",
    "anxiety",
    "ptsd",
    "ocd",
    "fibromyalgia",
    "neuropathy",
    "crps",
    "diabetes",
    "diagnosis",
    "condition",
    "symptoms",
    "illness",
    "disease",
    "disorder",
    "addiction",
)
_NEGATION = re.compile(r"\b(no|not|never|isn't|is not|without)\s+(a\s+|an\s+)?$", re.I)
_FDA = re.compile(
    r"\bFDA[\s-]*(approved|cleared|approval|clearance)\b|\b(approved|cleared)\s+by\s+the\s+"
    r"(FDA|U\.?S\.? Food and Drug Administration)\b|\bFDA\s+(has\s+)?(approved|cleared)\b",
    re.I,
)
_KETAMINE = re.compile(r"(?<![a-z])ketamine\b", re.I)
_FDA_CONTEXT = re.compile(r"\besketamine\b|\bspravato\b|\ban(a)?esthe(tic|sia)\b", re.I)
_STATISTIC = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:%|percent\b)"
    r"|\b(?:\d+|one|two|three|four|five)\s+(?:in|out\s+of)\s+(?:every\s+)?(?:\d+|ten|five|four|three)\b"
    r"|\b(?:a|one|\d[\d,.]*)\s+(?:hundred\s+)?(?:thousand|million|billion)\b",
    re.I,
)
_QUOTED = re.compile(r"[“\"]([^“”\"]{20,600}?)[”\"]")
_BLOCKQUOTE = re.compile(r"(?m)^[ ]{0,3}>[ ]?(.*(?:\n[ ]{0,3}>[ ]?.*)*)")


@lru_cache(maxsize=32)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = sorted((r"\s+".join(re.escape(w) for w in word.split()) for word in words), key=len)
    return re.compile(r"(?<![\w-])(?:" + "|".join(reversed(parts)) + r")(?![\w-])", re.I)


def _content(ctx: Context, fields: tuple[str, ...] | None = None) -> Iterator[Segment]:
    for segment in ctx.segments:
        if fields is None or segment.field in fields:
            yield segment


@rule(
    "health/absolute-claim",
    "error",
    "No absolute claims ('cure', 'guaranteed', '100%') (FTC Act s. 5 and 12: health claims "
    "need competent and reliable scientific evidence).",
)
def absolute_claim(ctx: Context) -> Iterator[Hit]:
    """Example: "Ketamine cures migraines." or "guaranteed relief".
    Fix: say what the evidence supports: "may help some people", "ask whether it may be right
    for you". Negations such as "there is no cure" are allowed."""
    words = ABSOLUTE_WORDS + tuple(ctx.settings.absolute_words)
    for segment in _content(ctx):
        for start, claim, excerpt in absolute_claims(words, segment.text):
            yield Hit(
                f"'{claim}' makes an absolute health claim regulators act on; say what "
                "the evidence supports, e.g. 'may help some people'",
                segment.path,
                segment.line_at(start),
                excerpt=excerpt,
            )


@remembered()
def absolute_claims(words: tuple[str, ...], text: str) -> tuple[tuple[int, str, str], ...]:
    """(offset, claim, its sentence) of each absolute claim in `text`, negations left out.
    Depends on the words and the text alone: remembered, so a rebuild reads only what changed."""
    pattern = _word_pattern(words)
    masked = mask_urls(text)
    found = []
    for match in pattern.finditer(masked):
        if _NEGATION.search(masked[max(0, match.start() - 16) : match.start()]):
            continue
        found.append((match.start(), match.group(), sentence_at(text, match.start(), match.end())))
    return tuple(found)


@rule(
    "health/fda-ketamine",
    "error",
    "No 'FDA-approved' near ketamine (pain is off-label) (FTC Act s. 5; FDA labeling).",
)
def fda_ketamine(ctx: Context) -> Iterator[Hit]:
    """Example: "Ketamine is FDA-approved for chronic pain."
    Fix: ketamine is approved as an anesthetic and esketamine (Spravato) for depression; pain
    uses are off-label: write "used off-label for pain" and cite sources."""
    for segment in _content(ctx):
        for offset, excerpt in fda_ketamine_sentences(segment.text):
            yield Hit(
                "'FDA-approved/cleared' next to ketamine suggests approval for this use; "
                "ketamine is approved as an anesthetic and esketamine (Spravato) for "
                "depression only: say 'off-label' and cite sources",
                segment.path,
                segment.line_at(offset),
                excerpt=excerpt,
            )


@remembered()
def fda_ketamine_sentences(text: str) -> tuple[tuple[int, str], ...]:
    """(offset of the approval words, the sentence) where `text` calls ketamine approved.
    A sentence's match is a match in the whole text (sentences end at punctuation or a blank
    line), so a text without one has none and is not split at all."""
    if not _FDA.search(text):
        return ()
    spans = sentences(text)
    found = []
    for index, (start, end) in enumerate(spans):
        sentence = text[start:end]
        match = _FDA.search(sentence)
        if not match or _FDA_CONTEXT.search(sentence):
            continue
        previous = text[spans[index - 1][0] : start] if index else ""
        if _KETAMINE.search(sentence) or _KETAMINE.search(previous):
            found.append((start + match.start(), " ".join(sentence.split())))
    return tuple(found)


@rule(
    "health/statistic-source",
    "error",
    "A statistic only in an article with sources (FTC: competent and reliable evidence).",
)
def statistic_source(ctx: Context) -> Iterator[Hit]:
    """Example: "Ketamine helps 70% of patients." in an article without `sources`.
    Fix: add the study or agency behind the number to `sources`, or remove the number."""
    for segment in _content(ctx):
        article = segment.article
        if article is None or article.meta.sources:
            continue
        text = mask_urls(segment.text)
        match = _STATISTIC.search(text)
        if match:
            yield Hit(
                f"'{match.group()}' is a statistic but the article has no sources; add the "
                "source of the number to `sources` (title and url)",
                segment.path,
                segment.line_at(match.start()),
                excerpt=sentence_at(segment.text, match.start(), match.end()),
            )


@rule(
    "health/testimonial",
    "error/warning",
    "Quotations have a valid, disclosed authorization (45 CFR 164.508(c); 16 CFR 255, 465).",
)
def testimonial(ctx: Context) -> Iterator[Hit]:
    """Example: `> "After three sessions I could sleep again." (Maria)` with no entry in
    `testimonials`, or an entry whose authorization expired, was revoked, covers only the web,
    or whose connection (staff, paid, free treatment) is not shown beside the quotation.
    Fix: list the quotation under `testimonials` with name, signed_on, expires_on (or
    expires_when), scope, document and connection copied from the signed HIPAA authorization
    (45 CFR 164.508(c); FTC 16 CFR 255 and 465), or remove the quotation. `consent_on` is
    still read, with a warning."""
    used_on = use_date(ctx.built.issue)
    for article in ctx.articles:
        listed = article.meta.testimonials
        for entry in listed:
            for problem in authorization_problems(entry, used_on):
                yield Hit(
                    problem.message,
                    article.path,
                    _entry_line(ctx, article.path, article.line_of(problem.field), entry),
                    excerpt=entry.quote,
                    severity="warning" if problem.severity == "warning" else "error",
                )
            yield from _undisclosed(ctx, article.path, article.line_of("testimonials"), entry)
        body = article.body
        quotes = [(m.start(), m.group(1)) for m in _BLOCKQUOTE.finditer(body)]
        quotes += [
            (m.start(), m.group(1))
            for m in _QUOTED.finditer(body)
            if len(m.group(1).split()) >= 6 and "\n\n" not in m.group(1)
        ]
        for start, quote in quotes:
            quote_words = " " + " ".join(re.findall(r"\w+", quote.lower())) + " "
            if any(contains_words(quote_words, e.quote) for e in listed):
                continue
            yield Hit(
                "this quotation has no source and authorization; list it under `testimonials` "
                "with quote, name, signed_on, expires_on, scope, document and connection (or "
                "remove it)",
                article.path,
                article.body_line + body.count("\n", 0, start),
                excerpt=" ".join(quote.split())[:120],
                severity="error",
            )


def _entry_line(ctx: Context, path: Path, fallback: int, entry: Testimonial) -> int:
    """The line of the entry's `quote:` in the front matter, else the `testimonials:` line."""
    opening = " ".join(entry.quote.split()[:4])
    for number, text in enumerate(ctx.lines_of(path), start=1):
        if (
            number >= fallback
            and "quote:" in text
            and opening
            and opening in " ".join(text.split())
        ):
            return number
    return fallback


def _undisclosed(ctx: Context, path: Path, line: int, entry: Testimonial) -> Iterator[Hit]:
    """The quotation's author and connection must be printed beside it, in HTML and text."""
    label = connection_label(entry)
    quote = words(entry.quote)
    for part, haystack in (("HTML", ctx.html_words), ("text", ctx.text_words)):
        at = haystack.find(quote) if quote.strip() else -1
        if at < 0:
            continue  # not printed in this email (a card shows only the summary)
        beside = haystack[max(0, at - _BESIDE) : at + len(quote) + _BESIDE]
        missing = [
            what
            for what in (label, entry.name)
            if what and what.strip() and not contains_words(beside, what)
        ]
        if missing:
            yield Hit(
                f"the {part} email does not show '{missing[0]}' beside the quotation of "
                f"{entry.name}; readers must see who said it and any connection to the clinic "
                "(FTC 16 CFR 255): quote it as a '>' blockquote so the email adds the line",
                path,
                _entry_line(ctx, path, line, entry),
                excerpt=entry.quote,
                severity="error",
            )


_BESIDE = 300  # characters of words around a quotation that count as "beside" it


@rule(
    "health/sponsored",
    "error/warning",
    "Sponsored content is labelled and explained (45 CFR 164.501, 164.508(a)(3); 16 CFR 255).",
)
def sponsored(ctx: Context) -> Iterator[Hit]:
    """Example: `sponsored_by: Acme Pharma` on an issue or article.
    Fix: nothing to change when the email shows "Sponsored by Acme Pharma" (a warning explains
    what it implies: HIPAA 45 CFR 164.501 and 164.508(a)(3) make a paid communication marketing,
    so every reader needs a marketing authorization, recorded as `compliance:
    marketing_authorization_on` in clinic.yaml); an error when a template drops the label."""
    found = sponsors(ctx.project, ctx.built.issue)
    recorded = ctx.project.clinic.compliance.marketing_authorization_on
    for sponsor, path, line in found:
        label = sponsor_label(sponsor) or sponsor
        for part, haystack in (("HTML", ctx.html_words), ("text", ctx.text_words)):
            if not contains_words(haystack, label):
                yield Hit(
                    f"the {part} email does not say '{label}'; readers must see who paid: "
                    "include partials/sponsor in the layout",
                    path,
                    line,
                    excerpt=sponsor,
                    severity="error",
                )
        when = (
            f"clinic.yaml records marketing authorization from {recorded.isoformat()}"
            if recorded
            else "a list send is refused until clinic.yaml records "
            "'compliance: marketing_authorization_on'"
        )
        yield Hit(
            f"paid for by {sponsor}: under HIPAA this is marketing, so only readers who gave "
            f"written marketing authorization may receive it; {when}",
            path,
            line,
            excerpt=sponsor,
            severity="warning",
        )


@rule(
    "health/disclaimer",
    "error",
    "The medical disclaimer is set and printed (FTC Act s. 5: off-label use and varying "
    "results must not be hidden).",
)
def disclaimer(ctx: Context) -> Iterator[Hit]:
    """Example: `disclaimer: ""` in clinic.yaml, or a footer without `disclaimer_html`.
    Fix: write a disclaimer ("not medical advice; off-label; results vary") and print
    `{{ disclaimer_html }}` / `{{ disclaimer_text }}` in the footers."""
    text = ctx.project.clinic.disclaimer.strip()
    if len(text.split()) < 5:
        yield Hit(
            "the medical disclaimer is missing or too short; say that the newsletter is not "
            "medical advice and that results vary",
            ctx.clinic_path,
            ctx.clinic_line("disclaimer"),
        )
        return
    opening = " ".join(re.findall(r"\w+", mask_urls(text))[:12])
    for words_of, part, suffix in (
        (ctx.html_words, "HTML", ".mjml.j2"),
        (ctx.text_words, "text", ".txt.j2"),
    ):
        if not contains_words(words_of, opening):
            yield Hit(
                f"the {part} email does not print the medical disclaimer; add "
                f"{{{{ disclaimer_{'html' if part == 'HTML' else 'text'} }}}} to the footer",
                ctx.template(suffix),
                None,
                "the footer" if part == "HTML" else "the text part",
            )


@rule(
    "health/condition-subject",
    "error",
    "Subject/preheader never say the reader is ill (HIPAA privacy, 45 CFR 164.502).",
)
def condition_subject(ctx: Context) -> Iterator[Hit]:
    """Example: `subject: Your migraines can get better`.
    Fix: talk about the condition, not the reader's health: "Migraine: what can help"."""
    words = set(CONDITION_WORDS) | {w.lower() for w in ctx.settings.condition_words}
    for condition in ctx.project.clinic.conditions:
        words |= {condition.key.replace("-", " "), condition.name.lower()}
    names = "|".join(
        sorted((r"\s+".join(map(re.escape, w.split())) for w in words), key=len, reverse=True)
    )
    pattern = re.compile(
        r"\byour\s+(?:\w+\s+){0,2}?(?:" + names + r")s?\b"
        r"|\b(?:you|you're|you\s+are)\s+(?:have\s+)?(?:suffer\w*|living\s+with|struggling\s+with"
        r"|(?:been\s+)?diagnosed)\b"
        r"|\byou\s+have\s+(?:\w+\s+)?(?:" + names + r")s?\b",
        re.I,
    )
    for segment in _content(ctx, ("subject", "preheader")):
        match = pattern.search(segment.text)
        if match:
            yield Hit(
                f"'{match.group()}' tells the reader they have a condition; the inbox is not "
                "private (HIPAA, and readers' trust): write about the condition instead",
                segment.path,
                segment.line,
                excerpt=segment.text,
            )
