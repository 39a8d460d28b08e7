"""Each reader's message, filled into the issue's template (message.py, qp.py), is byte for byte
the message built the plain way: each body merged in whole and quoted-printable-encoded in
whole, headers as the template sets them. Hostile first names: non-ASCII, '=', names long
enough to move the soft line breaks to every offset, CR/LF attempts, empty ones."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from newsletters import merge
from newsletters.delivery import run
from newsletters.delivery.message import MessageTemplate, Personal, _header_value
from newsletters.delivery.qp import quoted_printable

NAMES = [
    "",
    "   ",
    "Ann",
    "Zoë",
    "Łukasz Żółć",
    "李小龙",
    "😀 Emoji",
    "=",
    "a=b==c=3D",
    "O'Brien & <Sons>",
    '"quoted" \\ backslash',
    "trailing space ",
    "tab\tinside",
    ".",
    "..leading dots",
    "Ann\r\nBcc: evil@example.com",
    "Ann\nSubject: forged",
    "Ann\rX",
    *("x" * n for n in range(1, 90, 7)),  # soft line breaks at every offset of the line
    *("é" * n for n in range(1, 40, 5)),  # =C3=A9 sequences straddling a break
    "y" * 500,
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> run.Prepared:
    from .conftest import sending_clinic

    root = sending_clinic(tmp_path_factory.mktemp("fast") / "clinic")
    return run.prepare(root, "2026-11")


def plain_way(template: MessageTemplate, person: Personal) -> bytes:
    """The same message without the per-issue shortcuts: both bodies merged and encoded whole."""
    values = {"unsubscribe_url": person.unsubscribe_url, "first_name": person.first_name}
    filled = {
        "to": _header_value(person.address),
        "message_id": _header_value(person.message_id),
        "unsubscribe": _header_value(person.unsubscribe_url)
        + (b">, <" + _header_value(person.mailto) if person.mailto else b""),
        "text": quoted_printable(merge.substitute(template.text, values, escape=False)),
        "html": quoted_printable(merge.substitute(template.html, values, escape=True)),
    }
    return b"".join(filled[s] if isinstance(s, str) else s for s in template.segments)


def test_the_template_has_both_bodies_with_the_readers_merge_tags(
    prepared: run.Prepared,
) -> None:
    template = prepared.template()
    assert merge.placeholder("first_name") in template.html + template.text
    assert merge.placeholder("unsubscribe_url") in template.html
    assert [s for s in template.segments if isinstance(s, str)].count("html") == 1


def lines(text: str) -> list[str]:
    """Text as a reader's mail program shows it: any line break, no trailing empty lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")


@pytest.mark.parametrize("name", NAMES)
def test_each_readers_message_is_the_plain_ways_bytes(prepared: run.Prepared, name: str) -> None:
    template = prepared.template()
    address = "reader.one+tag@example.com"
    person = prepared.personal(address, name, "TOKEN0123456789abcdef.sig")
    message = template.render(person)
    assert message == plain_way(template, person)

    # What a mail program reads back: the name as given, escaped in the HTML, never a header.
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"] == address and parsed["Bcc"] is None
    assert parsed["Subject"] == prepared.built.issue.meta.subject
    text, html = (part.get_content() for part in parsed.iter_parts())
    values = {"first_name": person.first_name, "unsubscribe_url": person.unsubscribe_url}
    assert lines(text) == lines(merge.substitute(template.text, values, escape=False))
    assert lines(html) == lines(merge.substitute(template.html, values, escape=True))
    assert all(len(line) <= 998 for line in message.split(b"\r\n"))
    assert message.isascii()
