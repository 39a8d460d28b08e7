"""Health claims: what the FTC, the FDA and HIPAA expect of a clinic's marketing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .context import Context, Segment, contains_words, mask_urls, sentence_at, sentences
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


@rule("health/absolute-claim", "error", "No absolute claims ('cure', 'guaranteed', '100%').")
def absolute_claim(ctx: Context) -> Iterator[Hit]:
    """Example: "Ketamine cures migraines." or "guaranteed relief".
    Fix: say what the evidence supports: "may help some people", "ask whether it may be right
    for you". Negations such as "there is no cure" are allowed."""
    pattern = _word_pattern(ABSOLUTE_WORDS + tuple(ctx.settings.absolute_words))
    for segment in _content(ctx):
        text = mask_urls(segment.text)
        for match in pattern.finditer(text):
            if _NEGATION.search(text[max(0, match.start() - 16) : match.start()]):
                continue
            yield Hit(
                f"'{match.group()}' makes an absolute health claim regulators act on; say what "
                "the evidence supports, e.g. 'may help some people'",
                segment.path,
                segment.line_at(match.start()),
                excerpt=sentence_at(segment.text, match.start(), match.end()),
            )


@rule("health/fda-ketamine", "error", "No 'FDA-approved' near ketamine (pain is off-label).")
def fda_ketamine(ctx: Context) -> Iterator[Hit]:
    """Example: "Ketamine is FDA-approved for chronic pain."
    Fix: ketamine is approved as an anesthetic and esketamine (Spravato) for depression; pain
    uses are off-label: write "used off-label for pain" and cite sources."""
    for segment in _content(ctx):
        text = segment.text
        spans = sentences(text)
        for index, (start, end) in enumerate(spans):
            sentence = text[start:end]
            match = _FDA.search(sentence)
            if not match or _FDA_CONTEXT.search(sentence):
                continue
            previous = text[spans[index - 1][0] : start] if index else ""
            if _KETAMINE.search(sentence) or _KETAMINE.search(previous):
                yield Hit(
                    "'FDA-approved/cleared' next to ketamine suggests approval for this use; "
                    "ketamine is approved as an anesthetic and esketamine (Spravato) for "
                    "depression only: say 'off-label' and cite sources",
                    segment.path,
                    segment.line_at(start + match.start()),
                    excerpt=" ".join(sentence.split()),
                )


@rule("health/statistic-source", "error", "A statistic only in an article with sources.")
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


@rule("health/testimonial", "error", "Quotations are listed in `testimonials` with consent.")
def testimonial(ctx: Context) -> Iterator[Hit]:
    """Example: `> "After three sessions I could sleep again." (Maria)` with no entry in
    `testimonials`. Fix: add `testimonials: [{quote, name, consent_on}]` to the front matter,
    with the date of the patient's written consent (HIPAA), or remove the quotation."""
    for article in ctx.articles:
        listed = article.meta.testimonials
        for entry in listed:
            if entry.consent_on is None:
                yield Hit(
                    f"the testimonial of {entry.name} has no 'consent_on'; quote a patient only "
                    "with written consent, and write its date",
                    article.path,
                    article.line_of("testimonials"),
                    excerpt=entry.quote,
                )
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
                "this quotation has no source and consent; list it under `testimonials` with "
                "quote, name and consent_on (or remove it)",
                article.path,
                article.body_line + body.count("\n", 0, start),
                excerpt=" ".join(quote.split())[:120],
            )


@rule("health/disclaimer", "error", "The medical disclaimer is set and printed.")
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


@rule("health/condition-subject", "error", "Subject/preheader never say the reader is ill.")
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
