"""One email as a MIME message: shared by `export --platform eml` and the SMTP sender.

RFC 2046: multipart/alternative, text/plain first and text/html last, both UTF-8.
RFC 8058: List-Unsubscribe with an https URL (optionally a mailto:) and List-Unsubscribe-Post.
`policy.SMTP` alone would RFC 2047-encode a List-Unsubscribe longer than 78 characters, which
clients cannot parse; max_line_length=998 keeps it readable (see shared email notes, section 3).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage

POLICY = email.policy.SMTP.clone(max_line_length=998)


def build_message(
    *,
    html: str,
    text: str,
    subject: str,
    from_name: str,
    from_address: str,
    to: str,
    date: dt.datetime,
    message_id: str,
    list_unsubscribe_url: str,
    list_unsubscribe_mailto: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A complete message; pure: the same arguments always give the same bytes."""
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(from_name, addr_spec=from_address)
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(date)
    message["Message-ID"] = message_id
    targets = [f"<{list_unsubscribe_url}>"]
    if list_unsubscribe_mailto:
        targets.append(f"<mailto:{list_unsubscribe_mailto}?subject=unsubscribe>")
    message["List-Unsubscribe"] = ", ".join(targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (headers or {}).items():
        message[name] = value
    # Quoted-printable keeps every line under 76 octets whatever the HTML's line lengths.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # The generator would pick a random boundary; "=_" cannot occur in quoted-printable text.
    seed = f"{message_id}\n{subject}\n{text}\n{html}".encode()
    message.set_boundary("=_nl_" + hashlib.sha256(seed).hexdigest()[:32])
    return message


def stable_message_id(seed: str, domain: str) -> str:
    """A Message-ID derived from content, so an export is byte-for-byte reproducible."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]
    return f"<{digest}@{domain}>"
