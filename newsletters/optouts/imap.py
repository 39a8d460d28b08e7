"""Read the opt-out mailbox over IMAP: the token mails, hand-written requests and bounces.

A message counts as an opt-out when
- its subject or body carries a genuine token (the List-Unsubscribe mailto: link puts it in the
  subject), which names the address even when the reader writes from another one;
- or a person wrote "unsubscribe" (or "remove me", "opt out") in the subject or in the first
  lines they wrote themselves (not the quoted newsletter below): the sender's address opts out;
- or it is a delivery report (RFC 3464) saying an address failed for good: a bounce.
Automatic replies (Auto-Submitted, out-of-office) are never taken for a request. Opt-outs are
marked handled on the server (\\Seen and the keyword $NewsletterHandled) and never read again;
other mail is left untouched (read with BODY.PEEK) for a person to answer.

TLS always, except to a server on this computer (loopback), which may speak plain IMAP.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html
import imaplib
import re
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses

from ..delivery.recipients import address_problem, clean_address
from .store import BOUNCE, MAIL, OptOut, now
from .token import find_tokens, read_token

HANDLED = "$NewsletterHandled"
LOOPBACK = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
_WORDS = re.compile(r"\b(unsubscribe|un-subscribe|remove me|opt[ -]?out|take me off)\b", re.I)
_AUTO_SUBJECT = re.compile(r"^(auto(matic)?[ -]?reply|out of (the )?office|autoreply)", re.I)


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)


@dataclass
class MailboxResult:
    opt_outs: list[OptOut] = field(default_factory=list)
    read: int = 0  # messages looked at
    left: int = 0  # messages that were not opt-outs, left for a person


class MailboxError(Exception):
    """The mailbox could not be read; the message says why in plain words."""


def connect(settings: MailboxSettings, context: ssl.SSLContext | None = None) -> imaplib.IMAP4:
    where = f"{settings.host}:{settings.port}"
    if settings.security == "none" and settings.host.strip("[]").lower() not in LOOPBACK:
        raise MailboxError(
            f"plain IMAP would send the mailbox password unencrypted to {settings.host}; "
            "use imap_security: tls (or starttls)"
        )
    context = context or ssl.create_default_context()
    try:
        conn: imaplib.IMAP4
        if settings.security == "tls":
            conn = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context, timeout=30)
        else:
            conn = imaplib.IMAP4(settings.host, settings.port, timeout=30)
            if settings.security == "starttls":
                conn.starttls(ssl_context=context)
    except ssl.SSLError as exc:
        raise MailboxError(
            f"the secure connection to {where} failed ({exc.reason or exc}); check imap_security "
            "and imap_port"
        ) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        from ..plainwords import connection_problem

        raise MailboxError(connection_problem(exc, settings.host, settings.port)) from None
    try:
        conn.login(settings.user, settings.password)
    except imaplib.IMAP4.error:
        _close(conn)
        raise MailboxError(
            f"{where} refused the login for {settings.user}: the password was refused"
        ) from None
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()


def fetch(
    settings: MailboxSettings,
    secret: str,
    folder: str = "INBOX",
    context: ssl.SSLContext | None = None,
) -> MailboxResult:
    """Read every message not yet handled; record nothing (the caller does), mark opt-outs."""
    conn = connect(settings, context)
    result = MailboxResult()
    source = f"mailbox {settings.user} on {settings.host}"
    try:
        status, _ = conn.select(folder)
        if status != "OK":
            raise MailboxError(f"the mailbox has no folder {folder}")
        status, data = conn.uid("SEARCH", "NOT", "KEYWORD", HANDLED)
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids:
            status, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status != "OK" or not isinstance(raw, bytes):
                continue
            result.read += 1
            found = recognise(raw, secret, source)
            if not found:
                result.left += 1
                continue
            result.opt_outs += found
            conn.uid("STORE", uid, "+FLAGS", f"(\\Seen {HANDLED})")
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"reading the mailbox on {settings.host} failed: {exc}") from None
    finally:
        _close(conn)
    return result


def recognise(raw: bytes, secret: str, source: str = "") -> list[OptOut]:
    """The opt-outs one message asks for (none for ordinary mail)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    when = now()
    bounced = _bounced(message)
    if bounced:
        return [OptOut(a, when, BOUNCE, "", source) for a in bounced]
    if _automatic(message):
        return []
    subject = str(message.get("Subject", ""))
    own_text = _own_words(message)
    for token in find_tokens(subject + "\n" + own_text):
        found = read_token(secret, token)
        if found:
            return [OptOut(found[0], when, MAIL, found[1], source)]
    if _WORDS.search(subject) or _WORDS.search(own_text):
        senders = [a for _, a in getaddresses([str(message.get("From", ""))]) if a]
        if len(senders) == 1 and not address_problem(senders[0]):
            return [OptOut(senders[0], when, MAIL, "", source)]
    return []


def _automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(h in message for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"))
        or bool(_AUTO_SUBJECT.match(str(message.get("Subject", "")).strip()))
    )


def _own_words(message: EmailMessage) -> str:
    """The first lines the sender wrote: before a quote, a signature or a forwarded copy."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = str(part.get_content())
    except (LookupError, ValueError):
        return ""
    if part.get_content_type() == "text/html":
        text = _html_text(text)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if (
            stripped.startswith(">")
            or stripped == "--"
            or re.match(
                r"^(on .+ wrote:|-+ ?original message|-+ ?forwarded message)", stripped, re.I
            )
        ):
            break
        lines.append(stripped)
        if len(lines) >= 10:
            break
    return "\n".join(lines)


def _html_text(markup: str) -> str:
    """The words of an HTML-only reply (some mail programs send no plain part), one line per
    block, a quoted copy (<blockquote>, Outlook's divider) cut off as a `>` line would be."""
    markup = markup[:200_000]
    markup = re.sub(r"(?is)<(head|style|script)\b.*?</\1\s*>", "", markup)
    markup = re.sub(r"(?i)<blockquote\b|<div[^>]*(divRplyFwdMsg|gmail_quote)[^>]*>", "\n>", markup)
    markup = re.sub(r"(?i)<(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _bounced(message: EmailMessage) -> list[str]:
    """Addresses a delivery report (multipart/report; report-type=delivery-status) gave up on."""
    if message.get_content_type() != "multipart/report":
        return []
    if message.get_param("report-type", "").lower() != "delivery-status":  # type: ignore[union-attr]
        return []
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload() if part.is_multipart() else []
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            recipient = clean_address(str(block.get("Final-Recipient", "")).partition(";")[2])
            if action == "failed" and status.startswith("5") and not address_problem(recipient):
                failed.append(recipient)
    return failed
