"""Secrets (SMTP password, unsubscribe secret, DKIM key) from the environment or the OS
keychain, never from files: a project folder gets copied, shared and committed.

Minimal version for the DKIM key; the delivery issue's fuller module replaces it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

KEYRING_SERVICE = "newsletters"


def get_secret(name: str, env_var: str, env: Mapping[str, str] | None = None) -> str | None:
    """The secret `name`: the environment variable first, else the keychain, else None."""
    env = os.environ if env is None else env
    value = env.get(env_var, "")
    if value.strip():
        return value
    try:
        import keyring  # optional: not every machine has a keychain
    except ImportError:
        return None
    try:
        stored = keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # a locked or missing keychain backend is "no secret", not a crash
        return None
    return stored or None
