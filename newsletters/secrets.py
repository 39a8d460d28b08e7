"""Secrets by name: an environment variable first, then the operating system's keychain.

    get_secret("smtp_password")  ->  $NEWSLETTER_SMTP_PASSWORD, else the keychain entry

The keychain is reached through `keyring` (Windows Credential Locker, macOS Keychain, Secret
Service on Linux), under the service "newsletters" and a name scoped by the clinic's sender
address, so two clinics on one computer keep apart. Environment variables win, for CI and
servers. A secret is never printed, logged or written to the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import NewsletterError

SERVICE = "newsletters"
# The names in use; any other lowercase name works the same way (e.g. "dkim_key").
SMTP_PASSWORD = "smtp_password"
UNSUBSCRIBE_SECRET = "unsubscribe_secret"
IMAP_PASSWORD = "imap_password"


def env_name(name: str) -> str:
    """The environment variable that overrides a secret: NEWSLETTER_ and the name in capitals."""
    return "NEWSLETTER_" + name.upper()


def _key(name: str, scope: str) -> str:
    return f"{scope.lower()}:{name}" if scope else name


def get_secret(
    name: str,
    scope: str = "",
    env: Mapping[str, str] | None = None,
    *,
    env_var: str | None = None,
) -> str | None:
    """The secret from the environment, else from the keychain; None when neither has it.

    `env_var` names the variable when it is not NEWSLETTER_ + the name (the DKIM key's
    NEWSLETTER_DKIM_PRIVATE_KEY). A keychain that cannot be reached (a headless server without
    one) counts as empty, so the environment variable is the way there.
    """
    env = os.environ if env is None else env
    value = env.get(env_var or env_name(name), "")
    if value.strip():
        return value
    try:
        import keyring
        import keyring.errors

        return keyring.get_password(SERVICE, _key(name, scope)) or None
    except Exception:
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
