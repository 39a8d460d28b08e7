"""`newsletter setup`: the sending settings a person keeps, asked in plain words.

It asks for the email service (the common ones fill in server, port and security), the login
and password, makes the unsubscribe secret when there is none, and asks for the opt-out
mailbox. It checks the connection the way a send will (greeting, STARTTLS, login; no message)
and explains a failure in plain words. Passwords and the secret go to the computer's keychain
(secrets.py); everything else to clinic.yaml's `send:` block, with the file's comments kept.
Environment variables still win over both.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from . import secrets
from .errors import NewsletterError


@dataclass(frozen=True)
class Provider:
    """An email service's SMTP relay, as its documentation gives it."""

    title: str
    host: str
    port: int
    security: str
    user_hint: str
    imap_host: str = ""
    note: str = ""


PROVIDERS = (
    Provider(
        "Google Workspace (Gmail)",
        "smtp.gmail.com",
        587,
        "starttls",
        "your full address, e.g. news@yourclinic.com",
        "imap.gmail.com",
        "Use an app password (Google Account > Security > App passwords), not your usual one.",
    ),
    Provider(
        "Microsoft 365 (Outlook)",
        "smtp.office365.com",
        587,
        "starttls",
        "your full address",
        "outlook.office365.com",
        "Your admin must allow 'Authenticated SMTP' for this mailbox.",
    ),
    Provider(
        "Amazon SES",
        "email-smtp.us-east-1.amazonaws.com",
        587,
        "starttls",
        "the SMTP user name from the SES console (not your AWS login)",
        "",
        "Change us-east-1 to your SES region.",
    ),
    Provider(
        "SendGrid",
        "smtp.sendgrid.net",
        587,
        "starttls",
        "the word apikey",
        "",
        "The password is an API key with Mail Send permission.",
    ),
    Provider(
        "Mailgun",
        "smtp.mailgun.org",
        587,
        "starttls",
        "the SMTP login from Mailgun, e.g. postmaster@mg.yourclinic.com",
    ),
    Provider(
        "Postmark (Broadcast stream)",
        "smtp-broadcasts.postmarkapp.com",
        587,
        "starttls",
        "the Broadcast stream's access key",
        "",
        "The password is the stream's secret key.",
    ),
    Provider(
        "Brevo", "smtp-relay.brevo.com", 587, "starttls", "the SMTP login shown under SMTP & API"
    ),
    Provider("Another service", "", 587, "starttls", "the login your service gives you"),
)


class Prompts(Protocol):
    """How setup talks to the person: the CLI uses click's prompts."""

    def ask(self, text: str, default: str | None = None) -> str: ...
    def secret(self, text: str) -> str: ...
    def confirm(self, text: str, default: bool = True) -> bool: ...
    def say(self, text: str) -> None: ...


# ---------------------------------------------------------------- connection checks


def check_smtp(
    host: str, port: int, security: str, user: str, password: str, context: Any = None
) -> str | None:
    """None when the server greets, secures the line and accepts the login; else why not."""
    import send as provider

    try:
        settings = provider.SmtpSettings(host, port, security, user or None, password or None)
        transport = provider.SmtpTransport(settings, ssl_context=context, timeout=20)
        try:
            transport.check()
        finally:
            transport.close()
    except provider.DeliveryError as exc:
        return exc.reply
    return None


def check_imap(
    host: str, port: int, security: str, user: str, password: str, context: Any = None
) -> str | None:
    from .optouts.imap import MailboxError, MailboxSettings, connect

    try:
        conn = connect(MailboxSettings(host, port, security, user, password), context)
    except MailboxError as exc:
        return str(exc)
    conn.logout()
    return None


# ---------------------------------------------------------------- the conversation


def _number(text: str, low: int, high: int) -> int | None:
    return int(text) if text.strip().isdigit() and low <= int(text) <= high else None


def _choose_provider(prompts: Prompts, current: str | None) -> Provider:
    prompts.say("Which service sends your newsletter?")
    for n, p in enumerate(PROVIDERS, 1):
        prompts.say(f"  {n}. {p.title}")
    known = next((n for n, p in enumerate(PROVIDERS, 1) if p.host and p.host == current), None)
    while True:
        answer = prompts.ask("Type its number", str(known or 1))
        chosen = _number(answer, 1, len(PROVIDERS))
        if chosen:
            return PROVIDERS[chosen - 1]
        prompts.say(f"Please type a number from 1 to {len(PROVIDERS)}.")


def _port(prompts: Prompts, text: str, default: int) -> int:
    while True:
        port = _number(prompts.ask(text, str(default)), 1, 65535)
        if port:
            return port
        prompts.say("A port is a number like 587 or 465.")


def _security(prompts: Prompts, default: str) -> str:
    while True:
        answer = prompts.ask("Security: starttls, tls or none", default).strip().lower()
        if answer in ("starttls", "tls", "none"):
            return answer
        prompts.say("Type starttls (port 587), tls (port 465) or none (only on this computer).")


def _accepted(prompts: Prompts, problem: str | None, who: str, what: str) -> bool:
    """Say how a connection check went; False to ask again, NewsletterError to stop."""
    if problem is None:
        prompts.say(f"{who} accepted the login.")
        return True
    prompts.say(f"That did not work: {problem}")
    if not prompts.confirm(f"Change {what} and try again?", True):
        raise NewsletterError("setup stopped; nothing was saved")
    return False


def run_setup(
    root: Path,
    prompts: Prompts,
    env: Mapping[str, str] | None = None,
    context: Any = None,
) -> list[str]:
    """Ask, check, keep. Returns the closing lines; raises NewsletterError if stopped."""
    import os

    from .load import load_checked
    from .write import write_atomic
    from .yamledit import set_keys

    env = os.environ if env is None else env
    project = load_checked(root)
    who = secrets.scope(project.clinic)
    send = project.clinic.send
    kept: dict[str, str] = {}
    values: dict[str, str | int | bool] = {}

    provider = _choose_provider(prompts, send.smtp_host)
    if provider.note:
        prompts.say(f"Note: {provider.note}")
    while True:
        host = prompts.ask("SMTP server", send.smtp_host or provider.host or None).strip()
        security = _security(prompts, send.smtp_security or provider.security)
        port = _port(prompts, "Port", send.smtp_port or (465 if security == "tls" else 587))
        user = prompts.ask(f"User name ({provider.user_hint})", send.smtp_user or None).strip()
        stored = secrets.get_secret(secrets.SMTP_PASSWORD, who, {})
        hint = " (press Enter to keep the saved one)" if stored else ""
        password = prompts.secret(f"Password{hint}") or stored or ""
        prompts.say(f"Checking {host}:{port} (no message is sent)...")
        problem = check_smtp(host, port, security, user, password, context)
        if _accepted(prompts, problem, "The server", "the settings"):
            break
    values |= {"smtp_host": host, "smtp_port": port, "smtp_security": security, "smtp_user": user}
    if password:
        kept[secrets.SMTP_PASSWORD] = password

    if secrets.get_secret(secrets.UNSUBSCRIBE_SECRET, who, {}):
        prompts.say("The unsubscribe secret is already in the keychain; it stays the same.")
    else:
        kept[secrets.UNSUBSCRIBE_SECRET] = random.token_urlsafe(32)
        prompts.say("A new unsubscribe secret was made; it will be kept in the keychain.")

    prompts.say("Readers can also unsubscribe by writing to an address this program reads.")
    mailbox = prompts.ask(
        "Opt-out mailbox address (press Enter to skip)", send.unsubscribe_mailto or ""
    ).strip()
    if mailbox:
        from .delivery.recipients import address_problem

        while address_problem(mailbox):
            mailbox = prompts.ask(f"{address_problem(mailbox)}; the opt-out mailbox address")
        while True:
            imap_host = prompts.ask(
                "Its IMAP server", send.imap_host or provider.imap_host or None
            ).strip()
            imap_port = _port(prompts, "IMAP port (993 with tls)", send.imap_port or 993)
            imap_user = prompts.ask("Its user name", send.imap_user or mailbox).strip()
            imap_password = prompts.secret("Its password") or (
                secrets.get_secret(secrets.IMAP_PASSWORD, who, {}) or ""
            )
            prompts.say(f"Checking {imap_host}:{imap_port}...")
            problem = check_imap(imap_host, imap_port, "tls", imap_user, imap_password, context)
            if _accepted(prompts, problem, "The mailbox", "the mailbox settings"):
                break
        values |= {
            "unsubscribe_mailto": mailbox,
            "imap_host": imap_host,
            "imap_port": imap_port,
            "imap_security": "tls",
            "imap_user": imap_user,
        }
        kept[secrets.IMAP_PASSWORD] = imap_password

    if send.dkim_selector:
        key = _dkim_key(prompts, who)
        if key is not None:
            kept[secrets.DKIM_PRIVATE_KEY] = key

    clinic_file = project.paths.clinic_file
    text = clinic_file.read_text(encoding="utf-8")
    new_text = set_keys(text, "send", values, clinic_file)
    for name, value in kept.items():
        secrets.set_secret(name, value, who)
    write_atomic(clinic_file, new_text)
    lines = [
        f"Saved the server settings in {clinic_file.name} (send:) and the passwords and the "
        f"unsubscribe secret in {secrets.keychain_name()}.",
    ]
    overriding = sorted(k for k in env if k.startswith("NEWSLETTER_SMTP_") and env[k])
    if overriding:
        lines.append(f"Note: {', '.join(overriding)} set in this terminal override them.")
    if not mailbox and not (send.one_click_url or send.website_handles_opt_outs):
        lines.append(
            "Before a list send, say how opt-outs come back (see docs/opt-outs.md): an opt-out "
            "mailbox (run setup again), one_click_url or website_handles_opt_outs."
        )
    lines.append(f"Next: newsletter send --to {project.clinic.sender.email}   (a test to yourself)")
    return lines


MAX_KEY_BYTES = 64 * 1024  # an RSA key in PEM is a few KB


def _dkim_key(prompts: Prompts, who: str) -> str | None:
    """The DKIM private key, read from the PEM file the provider or IT gave, for the keychain
    (clinic.yaml names a selector). None: keep what is there, or skip."""
    from .confine import Refused, read_bytes
    from .delivery.signing import check_private_key

    stored = secrets.get_secret(secrets.DKIM_PRIVATE_KEY, who, {})
    hint = "press Enter to keep the saved one" if stored else "press Enter to skip"
    while True:
        answer = prompts.ask(f"DKIM private key file (PEM), to keep in the keychain ({hint})", "")
        if not answer.strip():
            return None
        path = Path(answer.strip().strip("'\"")).expanduser()
        try:
            data = read_bytes(path, MAX_KEY_BYTES)
            check_private_key(data)
        except Refused as exc:
            prompts.say(f"That file cannot be used ({exc.reason}).")
            continue
        except NewsletterError:
            prompts.say("That file is not an RSA private key in PEM form (BEGIN ... KEY).")
            continue
        prompts.say("The DKIM key will be kept in the keychain; keep the file somewhere safe.")
        return data.decode("ascii", "replace")
