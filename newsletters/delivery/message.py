"""One issue becomes one MIME template; each reader's message is that template filled in.

`compose` builds the message once with `mime.build_message`, the builder `export --platform
eml` uses too (headers encoded by the standard library, RFC 2047 for non-ASCII,
`multipart/alternative` with text then HTML), with markers where per-reader values go.
`MessageTemplate.render` then only substitutes the reader's merge values and
quoted-printable-encodes the lines that hold them (qp.py; the rest is encoded once): no
per-reader parsing or re-rendering, which is what keeps a 10,000-reader send fast and its
memory flat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from .. import merge
from ..mime import build_message
from ..model import Clinic, Issue
from .qp import Body
from .signing import DkimKey

# Syntactically valid stand-ins, so the header parser accepts them; replaced byte for byte.
# They carry the run's secret (merge.NONCE) so a subject or name cannot spell one.
_N = merge.NONCE.lower()
_TO = f"nl-marker-to-{_N}@nl-marker.invalid"
_MESSAGE_ID = f"nl-marker-message-id-{_N}@nl-marker.invalid"
_UNSUBSCRIBE = f"https://nl-marker-unsubscribe-{_N}.invalid/"
_TEXT = f"NL-MARKER-TEXT-BODY-{merge.NONCE}"
_HTML = f"NL-MARKER-HTML-BODY-{merge.NONCE}"
_MARKERS = {"to": _TO, "message_id": _MESSAGE_ID, "unsubscribe": _UNSUBSCRIBE,
            "text": _TEXT, "html": _HTML}  # fmt: skip


def unsubscribe_token(secret: str, address: str, issue: str = "") -> str:
    """The reader's signed token: carries the address and issue (see optouts/token.py)."""
    from ..optouts.token import make_token

    return make_token(secret, address, issue)


def sender_domain(clinic: Clinic) -> str:
    domain = clinic.sender.email.rsplit("@", 1)[1].lower()
    return domain.encode("idna").decode("ascii")


def message_id(issue_id: str, address: str, domain: str, salt: str = "") -> str:
    """The same for an issue and a reader every time, so a provider can spot a repeat."""
    seed = f"{issue_id}\n{address.lower()}\n{salt}".encode()
    return f"{hashlib.sha256(seed).hexdigest()[:32]}.{issue_id}@{domain}"


def unsubscribe_url(clinic: Clinic, token: str) -> str:
    """The reader's link: the one-click service when there is one, else the clinic's page."""
    if clinic.send.one_click_url:
        return f"{clinic.send.one_click_url.rstrip('/')}/u/{token}"
    template = clinic.send.unsubscribe_url_template
    if template is None:
        joiner = "&" if "?" in clinic.unsubscribe_url else "?"
        template = f"{clinic.unsubscribe_url}{joiner}token={{token}}"
    return template.replace("{token}", token)


def list_id(clinic: Clinic) -> str:
    label = clinic.send.list_id or f"newsletter.{sender_domain(clinic)}"
    phrase = re.sub(r'[<>"\\]', "", clinic.name).strip()  # one phrase, then the one <id>
    return f"{phrase} <{label}>"


@dataclass(frozen=True)
class Personal:
    """What differs between two readers' copies of an issue."""

    address: str
    first_name: str
    unsubscribe_url: str
    message_id: str
    mailto: str | None = None  # the List-Unsubscribe mailto: alternative, with the token


@dataclass(frozen=True)
class MessageTemplate:
    """An issue's message with holes for the reader: serialised once, filled per reader."""

    segments: tuple[bytes | str, ...]  # bytes are literal; str names a marker
    html: str  # the issue's HTML with only the per-reader merge tags left
    text: str
    dkim: DkimKey | None = None  # signs each finished message when the clinic has a key

    def render(self, person: Personal) -> bytes:
        """The reader's message: CRLF line endings, 7-bit, no line over 998 octets."""
        values = {
            "unsubscribe_url": person.unsubscribe_url,
            "first_name": person.first_name,
        }
        filled = {
            "to": _header_value(person.address),
            "message_id": _header_value(person.message_id),
            "unsubscribe": _header_value(person.unsubscribe_url)
            + (b">, <" + _header_value(person.mailto) if person.mailto else b""),
            "text": self._text_body.fill(values),
            "html": self._html_body.fill(values),
        }
        message = b"".join(filled[s] if isinstance(s, str) else s for s in self.segments)
        return self.dkim.sign(message) if self.dkim else message

    @cached_property
    def _text_body(self) -> Body:
        return Body.of(self.text, escape=False)

    @cached_property
    def _html_body(self) -> Body:
        """Encoded once per issue: only the lines with a merge tag are encoded per reader."""
        return Body.of(self.html, escape=True)


def _header_value(value: str) -> bytes:
    if "\r" in value or "\n" in value or not value.isascii():
        raise ValueError(f"not a safe header value: {value!r}")
    return value.encode("ascii")


def compose(
    clinic: Clinic,
    issue: Issue,
    html_template: str,
    text_template: str,
    *,
    date: dt.datetime,
    issue_values: Mapping[str, str],
    subject_prefix: str = "",
    dkim: DkimKey | None = None,
) -> MessageTemplate:
    """Build the issue's message once (mime.build_message); per-reader values become markers.

    `issue_values` are the merge values every reader shares (finish.issue_values).
    """
    msg = build_message(
        html=_HTML + "\n",
        text=_TEXT + "\n",
        subject=subject_prefix + issue.meta.subject,
        from_name=clinic.sender.name,
        from_address=clinic.sender.email,
        to=_TO,
        date=date,
        message_id=f"<{_MESSAGE_ID}>",
        list_unsubscribe_url=_UNSUBSCRIBE,
        reply_to=clinic.reply_to,
        headers={"List-Id": list_id(clinic)},
    )
    raw = msg.as_bytes()
    for marker in _MARKERS.values():
        if raw.count(marker.encode()) != 1:
            raise AssertionError(f"marker {marker} did not survive serialisation once")
    names = {v.encode(): k for k, v in _MARKERS.items()}
    pattern = re.compile(b"|".join(re.escape(m) for m in names))
    segments: list[bytes | str] = []
    last = 0
    for match in pattern.finditer(raw):
        segments.append(raw[last : match.start()])
        segments.append(names[match.group(0)])
        last = match.end()
    segments.append(raw[last:])
    return MessageTemplate(
        segments=tuple(segments),
        html=merge.substitute(html_template, issue_values, escape=True, partial=True),
        text=merge.substitute(text_template, issue_values, escape=False, partial=True),
        dkim=dkim,
    )
