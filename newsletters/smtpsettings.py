"""The SMTP settings a send uses: clinic.yaml's send: block and the keychain, env vars winning.

send.py reads NEWSLETTER_SMTP_* only (it is the one module that talks to a provider and knows
nothing of projects); this builds that mapping from what `newsletter setup` kept, then lays the
real environment over it, so CI and servers keep working with variables alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import secrets

if TYPE_CHECKING:
    from .model import Project

PREFIX = "NEWSLETTER_SMTP_"


def smtp_environment(
    project: Project | None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """NEWSLETTER_SMTP_* as send.py reads them: project settings under the environment's."""
    env = os.environ if env is None else env
    merged: dict[str, str] = {}
    if project is not None:
        send = project.clinic.send
        for name, value in (
            ("HOST", send.smtp_host),
            ("PORT", str(send.smtp_port) if send.smtp_port else None),
            ("SECURITY", send.smtp_security),
            ("USER", send.smtp_user),
        ):
            if value:
                merged[PREFIX + name] = value
        if send.smtp_user and not env.get(PREFIX + "PASSWORD"):
            password = secrets.get_secret(secrets.SMTP_PASSWORD, secrets.scope(project.clinic), env)
            if password:
                merged[PREFIX + "PASSWORD"] = password
    merged.update({k: v for k, v in env.items() if k.startswith(PREFIX) and v.strip()})
    return merged
