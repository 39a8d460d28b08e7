"""Secrets by name: an environment variable first, then the operating system's keychain.

    get_secret("smtp_password", scope)  ->  $NEWSLETTER_SMTP_PASSWORD, else the keychain entry

The one way every secret is read: the SMTP password, the opt-out mailbox's password, the
unsubscribe secret and the DKIM private key. The keychain is reached through `keyring`
(Windows Credential Locker, macOS Keychain, Secret Service on Linux), under the service
"newsletters" and a name scoped by the clinic's sender address (`scope`), so two clinics on one
computer keep apart; an entry under the bare name serves every clinic of the computer.
Environment variables win, for CI and servers. A secret is never printed, logged or written to
the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import NewsletterError

if TYPE_CHECKING:
    from .model import Clinic

SERVICE = "newsletters"
# The names in use; the environment variable of each is NEWSLETTER_ + the name in capitals.
SMTP_PASSWORD = "smtp_password"
UNSUBSCRIBE_SECRET = "unsubscribe_secret"
IMAP_PASSWORD = "imap_password"
DKIM_PRIVATE_KEY = "dkim_private_key"


def scope(clinic: Clinic) -> str:
    """Secrets in the keychain are kept per clinic: by the sender's address."""
    return clinic.sender.email


def env_name(name: str) -> str:
    """The environment variable that overrides a secret: NEWSLETTER_ and the name in capitals."""
    return "NEWSLETTER_" + name.upper()


def _key(name: str, scope: str) -> str:
    return f"{scope.lower()}:{name}" if scope else name


def get_secret(name: str, scope: str = "", env: Mapping[str, str] | None = None) -> str | None:
    """The secret from the environment, else from the keychain; None when neither has it.

    The keychain entry of this clinic (`scope`) first, then the one of the bare name. A
    keychain that cannot be reached (a headless server without one) counts as empty, so the
    environment variable is the way there.
    """
    env = os.environ if env is None else env
    value = env.get(env_name(name), "")
    if value.strip():
        return value
    try:
        import keyring

        for key in dict.fromkeys((_key(name, scope), name)):
            stored = keyring.get_password(SERVICE, key)
            if stored:
                return stored
    except Exception:  # no keyring package, a locked or missing backend: "no secret"
        return None
    return None


def set_secret(name: str, value: str, scope: str = "") -> None:
    """Keep a secret in the keychain; NewsletterError in plain words when there is none."""
    try:
        import keyring

        keyring.set_password(SERVICE, _key(name, scope), value)
    except Exception as exc:
        raise NewsletterError(
            f"this computer's keychain could not store the {name.replace('_', ' ')} "
            f"({exc.__class__.__name__}); set the environment variable {env_name(name)} instead"
        ) from None


def keychain_name() -> str:
    """The keychain in use, for the setup summary (e.g. 'Windows Credential Locker')."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return "no keychain"
    return str(getattr(backend, "name", backend.__class__.__name__))
