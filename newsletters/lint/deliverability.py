"""Deliverability: what gets an email clipped, junked or broken in the inbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from .context import Context
from .registry import Hit, rule

MERGE_TAG = re.compile(
    r"^(__NL_MERGE_[A-Z_]+__|\*\|[A-Z0-9_:]+\|\*|\{\{\{?[^{}]+\}?\}\}|\{%[^%]+%\}"
    r"|%[a-z_.]+%|<%[^%]+%>|\[[a-z_]+(,[^\]]*)?\])$",
    re.I,
)
_URLISH = re.compile(r"^(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/?#]\S*)?$", re.I)
_EMAILISH = re.compile(r"^[^@\s]+@([^@\s]+\.[a-z]{2,})$", re.I)


@rule("deliverability/html-size", "error/warning", "HTML under 102 KB (warning from 90 KB).")
def html_size(ctx: Context) -> Iterator[Hit]:
    """Example: an issue with twelve full articles, 110 KB of HTML; Gmail clips it.
    Fix: give long articles a `url` so the email shows only their summary, or move some to
    the next issue."""
    size = len(ctx.built.html.encode("utf-8"))
    verdict = ctx.settings.html_size(size)
    if verdict != "ok":
        yield Hit(
            f"the email is {size / 1024:.0f} KB; Gmail clips emails over "
            f"{ctx.settings.html_max_kb} KB and platforms add tracking: give long articles a "
            "`url` (summary only) or move some to the next issue",
            ctx.issue_path,
            ctx.built.issue.line_of("articles"),
            severity="error" if verdict == "over" else "warning",
        )


@rule("deliverability/style-size", "error", "All <style> blocks together under 16 KB.")
def style_size(ctx: Context) -> Iterator[Hit]:
    """Example: a template that pastes a 20 KB CSS framework into `<mj-style>`.
    Fix: keep only the rules the email uses; Gmail drops a `<style>` over 16 KB."""
    size = ctx.doc.style_bytes
    if size > ctx.settings.style_max_kb * 1024:
        yield Hit(
            f"the <style> blocks total {size / 1024:.1f} KB; Gmail ignores styles over "
            f"{ctx.settings.style_max_kb} KB: remove unused CSS from the templates' <mj-style>",
            *ctx.where("<mj-style"),
            "<style> in <head>",
        )


@rule("deliverability/subject-length", "error/warning", "Subject present, at most 60 characters.")
def subject_length(ctx: Context) -> Iterator[Hit]:
    """Example: `subject: Everything you ever wanted to know about chronic pain this winter`
    (70 characters). Fix: say one thing in 30-50 characters; phones cut the rest."""
    subject = ctx.built.issue.meta.subject.strip()
    line = ctx.built.issue.line_of("subject")
    if not subject:
        yield Hit("the subject is empty; write one of 30-50 characters", ctx.issue_path, line)
    elif len(subject) > ctx.settings.subject_max:
        yield Hit(
            f"the subject has {len(subject)} characters; keep it under "
            f"{ctx.settings.subject_max} (30-50 show fully on phones)",
            ctx.issue_path,
            line,
            excerpt=subject,
        )
    elif len(subject) > ctx.settings.subject_warn:
        yield Hit(
            f"the subject has {len(subject)} characters; phones show about "
            f"{ctx.settings.subject_warn}: put the key words first or shorten it",
            ctx.issue_path,
            line,
            excerpt=subject,
            severity="warning",
        )


@rule("deliverability/subject-fake-reply", "error", "No fake 'Re:' or 'Fwd:' in the subject.")
def subject_fake_reply(ctx: Context) -> Iterator[Hit]:
    """Example: `subject: "Re: your appointment"`. Fix: remove the prefix: it pretends to be a
    conversation, which the FTC calls deceptive and spam filters punish."""
    subject = ctx.built.issue.meta.subject
    if re.match(r"^\s*(re|fwd?|aw|tr)\s*:", subject, re.I):
        yield Hit(
            "the subject starts like a reply or a forward; remove 'Re:'/'Fwd:': a newsletter "
            "is neither, and pretending is deceptive",
            ctx.issue_path,
            ctx.built.issue.line_of("subject"),
            excerpt=subject,
        )


@rule("deliverability/preheader-length", "warning", "Preheader of 40-130 characters.")
def preheader_length(ctx: Context) -> Iterator[Hit]:
    """Example: `preheader: News` (4 characters): the inbox shows body text after it.
    Fix: one sentence of 40-130 characters that adds to the subject."""
    text = ctx.built.issue.meta.preheader.strip()
    low, high = ctx.settings.preheader_min, ctx.settings.preheader_max
    line = ctx.built.issue.line_of("preheader")
    if not text:
        yield Hit(
            "the preheader is empty; write 40-130 characters",
            ctx.issue_path,
            line,
            severity="error",
        )
    elif not low <= len(text) <= high:
        yield Hit(
            f"the preheader has {len(text)} characters; write {low}-{high} so the inbox "
            "preview shows it whole",
            ctx.issue_path,
            line,
            excerpt=text,
        )


@rule("deliverability/link-scheme", "error", "Every link is https:, mailto:, tel: or a merge tag.")
def link_scheme(ctx: Context) -> Iterator[Hit]:
    """Example: `[our site](http://clinic.example)` or `href="www.clinic.example"`.
    Fix: write full `https://` addresses; `mailto:`/`tel:` for email and phone."""
    for link in ctx.doc.links:
        href = link.href.strip()
        if not href or href == "#" or MERGE_TAG.match(href):
            continue
        if not re.match(r"^(https://[^\s/]+|mailto:\S+@\S+|tel:\+?[\d\-. ()]+$)", href):
            path, line = ctx.where(f"]({href})", href)
            yield Hit(
                f"link '{href}' will not work for every reader; use a full https:// address, "
                "mailto: or tel:",
                path,
                line,
                link.element,
            )


@rule("deliverability/link-empty", "error", "No empty, '#' or textless links.")
def link_empty(ctx: Context) -> Iterator[Hit]:
    """Example: `[Book now](#)` or an `<a>` with no text or image alt.
    Fix: give the link its real address and words that say where it goes."""
    for link in ctx.doc.links:
        href = link.href.strip()
        if not href or href == "#":
            path, line = ctx.where(f"]({href})" if href else "", link.text)
            yield Hit(
                "this link goes nowhere; give it a real https:// address or remove it",
                path,
                line,
                link.element,
            )
        elif not link.text and not link.hidden:
            path, line = ctx.where(f"]({href})", href)
            yield Hit(
                "this link has no text (nor image alt); screen readers announce only the "
                "address: add words",
                path,
                line,
                link.element,
            )


@rule("deliverability/link-text-domain", "error", "Link text that looks like a URL goes there.")
def link_text_domain(ctx: Context) -> Iterator[Hit]:
    """Example: `[www.mayoclinic.org](https://bit.ly/x)`: the text promises one site, the link
    opens another (a phishing signal). Fix: make the text and the address name the same site."""
    for link in ctx.doc.links:
        href, text = link.href.strip(), link.text.strip()
        if not href or MERGE_TAG.match(href):
            continue
        email = _EMAILISH.match(text)
        if email:
            if not href.lower().startswith("mailto:") or text.lower() not in href.lower():
                path, line = ctx.where(text)
                yield Hit(
                    f"the text shows the address {text} but the link goes to {href}; make them "
                    "the same",
                    path,
                    line,
                    link.element,
                )
            continue
        shown = _URLISH.match(text)
        if not shown:
            continue
        shown_host = _bare(shown.group(1))
        host = _bare(urlsplit(href).hostname or "")
        if not host or not (host == shown_host or host.endswith("." + shown_host)):
            path, line = ctx.where(f"]({href})", href, text)
            yield Hit(
                f"the text shows {text} but the link goes to {href}; readers and spam filters "
                "distrust that: make the text and the address the same site",
                path,
                line,
                link.element,
            )


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host
