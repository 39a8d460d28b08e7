"""Law: what CAN-SPAM, CASL and the 2024 bulk-sender rules require in every email."""

from __future__ import annotations

from collections.abc import Iterator

from ..merge import placeholder
from .context import Context, contains_words
from .registry import Hit, rule


@rule(
    "law/postal-address",
    "error",
    "The clinic's postal address is printed in HTML and text (CAN-SPAM, 15 U.S.C. "
    "7704(a)(5)(A)(iii)).",
)
def postal_address(ctx: Context) -> Iterator[Hit]:
    """Example: a footer template that drops `address_lines`.
    Fix: set `address` in clinic.yaml and print `address_lines` in both footers."""
    clinic = ctx.project.clinic
    lines = [line.strip() for line in clinic.address.splitlines() if line.strip()]
    if not lines:
        yield Hit(
            "the postal address is empty; write the clinic's street address in 'address'",
            ctx.clinic_path,
            ctx.clinic_line("address"),
        )
        return
    for words_of, part, suffix in (
        (ctx.html_words, "HTML", ".mjml.j2"),
        (ctx.text_words, "text", ".txt.j2"),
    ):
        missing = [line for line in lines if not contains_words(words_of, line)]
        if missing:
            yield Hit(
                f"the {part} email does not show the postal address ('{missing[0]}'); the law "
                "requires it: print `address_lines` in the footer",
                ctx.template(suffix),
                None,
                "the footer" if part == "HTML" else "the text part",
            )


@rule(
    "law/unsubscribe",
    "error",
    "A visible unsubscribe link in HTML and text (CAN-SPAM 7704(a)(3); CASL s. 6(2)(c); "
    "Gmail and Yahoo bulk-sender rules, 2024).",
)
def unsubscribe(ctx: Context) -> Iterator[Hit]:
    """Example: the footer's `<a href="{{ merge.unsubscribe_url }}">` removed or hidden.
    Fix: keep a visible link `<a href="{{ merge.unsubscribe_url }}">Unsubscribe</a>` in the
    footer and `{{ merge.unsubscribe_url }}` in the text footer."""
    tag = placeholder("unsubscribe_url")
    own = ctx.project.clinic.unsubscribe_url
    links = [link for link in ctx.doc.links if tag in link.href or link.href == own]
    if not any(not link.hidden and link.text for link in links):
        why = "is hidden or has no text" if links else "is missing"
        yield Hit(
            f"the unsubscribe link {why}; readers must be able to opt out: add a visible "
            '<a href="{{ merge.unsubscribe_url }}">Unsubscribe</a> to the footer',
            ctx.template(),
            None,
            links[0].element if links else "the footer",
        )
    if tag not in ctx.built.text_template and own not in ctx.built.text_template:
        yield Hit(
            "the text email has no unsubscribe link; add "
            "'Unsubscribe: {{ merge.unsubscribe_url }}' to the text footer",
            ctx.template(".txt.j2"),
            None,
            "the text part",
        )


@rule(
    "law/sender-identity",
    "error",
    "The clinic's name is printed in HTML and text (CAN-SPAM 7704(a)(1); CASL s. 6(2)(a)).",
)
def sender_identity(ctx: Context) -> Iterator[Hit]:
    """Example: a layout without the clinic's name anywhere, or an empty `sender.name`.
    Fix: print `{{ clinic.name }}` in both footers; fill `name` and `sender.name`."""
    clinic = ctx.project.clinic
    if not clinic.sender.name.strip():
        yield Hit(
            "the sender name is empty; write the clinic's name in 'sender: name:'",
            ctx.clinic_path,
            ctx.clinic_line("sender"),
        )
    for words_of, part, suffix in (
        (ctx.html_words, "HTML", ".mjml.j2"),
        (ctx.text_words, "text", ".txt.j2"),
    ):
        if not contains_words(words_of, clinic.name):
            yield Hit(
                f"the {part} email never names the clinic ('{clinic.name}'); readers must know "
                "who writes: print {{ clinic.name }} in the footer",
                ctx.template(suffix),
                None,
                "the footer" if part == "HTML" else "the text part",
            )
