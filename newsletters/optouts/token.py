"""The reader's unsubscribe token: the address and issue, signed with the clinic's secret.

    base64url("address\\nissue") "." base64url(HMAC-SHA256(secret, "opt-out\\n" + payload)[:16])

The token carries the address, so the one-click service and the mailbox reader need no list of
readers to know who asked; the signature means nobody can unsubscribe someone else by editing
it. Only URL-safe characters: it sits in a link's path and in a mail subject as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

TOKEN = re.compile(r"[A-Za-z0-9_-]{8,600}\.[A-Za-z0-9_-]{22}")
_ISSUE = re.compile(r"[A-Za-z0-9._-]{0,64}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(secret: str, payload: bytes) -> str:
    return _b64(hmac.new(secret.encode(), b"opt-out\n" + payload, hashlib.sha256).digest()[:16])


def make_token(secret: str, address: str, issue: str = "") -> str:
    payload = f"{address.lower()}\n{issue}".encode()
    return f"{_b64(payload)}.{_sign(secret, payload)}"


def read_token(secret: str, token: str) -> tuple[str, str] | None:
    """(address, issue) when the token is genuine, else None. Never raises on hostile input."""
    if not TOKEN.fullmatch(token):
        return None
    body, signature = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        text = payload.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(_sign(secret, payload), signature):
        return None
    address, _, issue = text.partition("\n")
    from ..delivery.recipients import address_problem

    if address_problem(address) or not _ISSUE.fullmatch(issue):
        return None
    return address, issue


def find_tokens(text: str) -> list[str]:
    """Every token-shaped string in a subject or body (checked later with read_token)."""
    return TOKEN.findall(text)
