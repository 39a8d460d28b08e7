"""DKIM signing of each message sent (RFC 6376), with dkimpy.

Gmail, Yahoo and Microsoft's consumer mail reject or junk unauthenticated bulk mail, and
RFC 8058 section 4 requires the signature to cover List-Unsubscribe and List-Unsubscribe-Post.
The key comes from NEWSLETTER_DKIM_PRIVATE_KEY (PEM) or the keychain, never from a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import NewsletterError
from ..model import Clinic
from ..secrets import DKIM_PRIVATE_KEY, env_name, get_secret, scope

KEY_VARIABLE = env_name(DKIM_PRIVATE_KEY)  # NEWSLETTER_DKIM_PRIVATE_KEY
# RFC 6376 5.4 (From is required) and RFC 8058 4; the others keep the message as written.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Reply-To",
    "List-Id",
    "MIME-Version",
    "Content-Type",
)


@dataclass(frozen=True)
class DkimKey:
    """What signs: the domain (d=), the selector (s=) and the private key (never shown)."""

    domain: str
    selector: str
    private_key: bytes = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        """`message` with a DKIM-Signature header in front (CRLF line endings kept)."""
        import dkim

        signature = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.lower().encode("ascii") for h in SIGNED_HEADERS],
        )
        return bytes(signature) + message


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _hostname(value: str) -> bool:
    labels = value.split(".")
    return all(_LABEL.fullmatch(label) for label in labels)


def private_key_from(clinic: Clinic, env: Mapping[str, str] | None = None) -> bytes | None:
    """The PEM key from NEWSLETTER_DKIM_PRIVATE_KEY or the keychain; `\\n` written out is read
    as a line break, since many settings screens take one line only."""
    text = get_secret(DKIM_PRIVATE_KEY, scope(clinic), env)
    if text is None:
        return None
    return text.replace("\\n", "\n").strip().encode("ascii", "replace") + b"\n"


def key_for(clinic: Clinic, env: Mapping[str, str] | None = None) -> DkimKey | None:
    """The clinic's signing key, None when DKIM is not configured; NewsletterError when it is
    configured but the key is missing or unusable."""
    settings = clinic.send
    if not settings.dkim_domain and not settings.dkim_selector:
        return None
    if not (settings.dkim_domain and settings.dkim_selector):
        raise NewsletterError(
            "clinic.yaml: send: set both dkim_domain and dkim_selector to sign with DKIM "
            "(or neither)"
        )
    domain, selector = settings.dkim_domain.strip().lower(), settings.dkim_selector.strip()
    if not _hostname(domain) or not _hostname(selector):
        raise NewsletterError(
            f"clinic.yaml: send: dkim_domain '{domain}' and dkim_selector '{selector}' must be "
            "plain DNS names, like example.com and news2026"
        )
    key = private_key_from(clinic, env)
    if key is None:
        raise NewsletterError(
            f"send: dkim_selector is set but there is no private key: set {KEY_VARIABLE} to the "
            f"PEM key (or store it in the keychain as '{DKIM_PRIVATE_KEY}'), or remove the DKIM "
            "settings"
        )
    check_private_key(key)
    return DkimKey(domain, selector, key)


def check_private_key(key: bytes) -> None:
    """Refuse a key dkimpy cannot sign with, before any message is sent."""
    from dkim.crypto import ASN1FormatError, UnparsableKeyError, parse_pem_private_key

    try:
        parse_pem_private_key(key)
    except (ASN1FormatError, UnparsableKeyError, ValueError, IndexError, TypeError):
        raise NewsletterError(
            f"{KEY_VARIABLE} is not an RSA private key in PEM form (-----BEGIN ... PRIVATE "
            "KEY-----); paste the whole key your provider or IT gave you"
        ) from None
