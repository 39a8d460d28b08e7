"""`newsletter unsubscribes fetch` and `list`, and what a list send asks before it starts.

Opt-outs come back three ways, each written in clinic.yaml's `send:` block:
- the mailbox of `unsubscribe_mailto`, read over IMAP (`imap_host`);
- the one-click service (`one_click_url`), collected over HTTPS with the clinic's secret;
- the clinic's own website (`website_handles_opt_outs: true`), copied into the suppression file.
A list send refuses to start when none is set, and warns when the mailbox or the service was
last collected more than MAX_AGE ago: Gmail and Yahoo ask senders to honour opt-outs within
two days.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import secrets
from ..errors import NewsletterError, Problem, display_path
from .store import BY_HAND, ONE_CLICK, OptOut, Store, now, store_path

if TYPE_CHECKING:
    from ..delivery.recipients import Suppression
    from ..model import Project
    from .imap import MailboxSettings

MAX_AGE = dt.timedelta(days=2)
MAX_RESPONSE = 20 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    source: str
    new: int
    found: int
    left: int = 0  # mails that were not opt-outs


def _send_problem(project: Project, message: str) -> NewsletterError:
    """A mistake in clinic.yaml's send: block, at its line."""
    clinic = project.clinic
    return NewsletterError([Problem(project.paths.clinic_file, clinic.lines.get("send"), message)])


def unsubscribe_secret(project: Project, env: Mapping[str, str] | None = None) -> str:
    secret = secrets.get_secret(secrets.UNSUBSCRIBE_SECRET, secrets.scope(project.clinic), env)
    name = secrets.env_name(secrets.UNSUBSCRIBE_SECRET)
    if not secret:
        raise NewsletterError(
            f"no unsubscribe secret: run `newsletter setup`, or set {name} to a long random text "
            "(keep it the same for every send)"
        )
    if len(secret) < 16:
        raise NewsletterError(f"{name} is too short: use at least 16 random characters")
    return secret


def ways(project: Project) -> list[str]:
    """How opt-outs come back for this clinic, in words; empty when clinic.yaml says nothing."""
    send = project.clinic.send
    found = []
    if send.imap_host and send.unsubscribe_mailto:
        found.append(f"the mailbox {send.unsubscribe_mailto} (read with unsubscribes fetch)")
    if send.one_click_url:
        found.append(f"the one-click service at {send.one_click_url}")
    if send.website_handles_opt_outs:
        found.append("your website (copied into the suppression file by you)")
    return found


def mailbox_settings(project: Project, env: Mapping[str, str] | None = None) -> MailboxSettings:
    from .imap import DEFAULT_PORTS, MailboxSettings

    send = project.clinic.send
    user = send.imap_user or send.unsubscribe_mailto
    if not send.imap_host or not user:
        raise _send_problem(
            project,
            "send: set imap_host (and unsubscribe_mailto) to read opt-outs by mail, "
            "or collect from the one-click service with --from URL",
        )
    password = secrets.get_secret(secrets.IMAP_PASSWORD, secrets.scope(project.clinic), env)
    if not password:
        raise NewsletterError(
            f"no password for the mailbox {user}: run `newsletter setup`, or set "
            f"{secrets.env_name(secrets.IMAP_PASSWORD)}"
        )
    security = send.imap_security
    return MailboxSettings(
        send.imap_host, send.imap_port or DEFAULT_PORTS[security], security, user, password
    )


def fetch_all(
    root: Path,
    from_url: str | None = None,
    env: Mapping[str, str] | None = None,
    context: Any = None,
) -> list[Fetched]:
    """Collect from the service (--from URL, else one_click_url) and the mailbox, then record."""
    from ..load import load_checked

    project = load_checked(root)
    secret = unsubscribe_secret(project, env)
    send = project.clinic.send
    url = from_url or send.one_click_url
    if url is None and not send.imap_host:
        raise _send_problem(
            project,
            "send: nothing to collect from; set imap_host (the opt-out mailbox) or "
            "one_click_url, or give --from URL",
        )
    results = []
    with Store(store_path(project.root)) as store:
        if url is not None:
            results.append(fetch_service(url, secret, store, context))
        if send.imap_host:
            from .imap import MailboxError, fetch

            settings = mailbox_settings(project, env)
            try:
                mail = fetch(settings, secret, context=context)
            except MailboxError as exc:
                raise NewsletterError(f"opt-out mailbox: {exc}") from None
            source = f"mailbox {settings.user} on {settings.host}"
            new = store.add(mail.opt_outs)
            store.mark_collected(source)
            results.append(Fetched(source, new, len(mail.opt_outs), mail.left))
    return results


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the key to another address: refuse to follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_service(url: str, secret: str, store: Store, context: Any = None) -> Fetched:
    """Everything the one-click service received since the last collection, recorded."""
    from .webapp import collect_key

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise NewsletterError(
            f"--from {url}: write the service's address, like https://optout.example.com/"
        )
    if parts.scheme == "http" and not _loopback(host):
        raise NewsletterError(
            f"--from {url}: plain http would send the clinic's key unencrypted; use https://"
        )
    base = url if url.endswith("/") else url + "/"
    source = base
    handlers: list[Any] = [_NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    found = new = 0
    cursor = store.cursor(source)
    while True:
        request = urllib.request.Request(
            f"{base}opt-outs?after={cursor or 0}",
            headers={"Authorization": f"Bearer {collect_key(secret)}"},
        )
        try:
            with opener.open(request, timeout=30) as response:
                body = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            reason = (
                "the clinic's secret does not match the service's"
                if exc.code == 401
                else (f"it answered {exc.code} {exc.reason}")
            )
            raise NewsletterError(f"collecting from {base}: {reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            from ..plainwords import connection_problem

            cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            port = parts.port or (443 if parts.scheme == "https" else 80)
            problem = connection_problem(
                cause if isinstance(cause, BaseException) else exc, host, port
            )
            raise NewsletterError(f"collecting from {base}: {problem}") from None
        batch = _parse(body, base)
        if not batch:
            break
        if batch[-1][0] <= int(cursor or 0):
            break  # a service that does not move forward: stop rather than loop
        entries = [OptOut(a, at, ONE_CLICK, issue, source) for _, a, issue, at in batch]
        found += len(entries)
        new += store.add(entries)
        cursor = str(batch[-1][0])
        store.mark_collected(source, cursor)  # each page is kept: a failure loses nothing
    store.mark_collected(source, cursor)
    return Fetched(source, new, found)


def _parse(body: bytes, base: str) -> list[tuple[int, str, str, str]]:
    from ..delivery.recipients import address_problem

    if len(body) > MAX_RESPONSE:
        raise NewsletterError(f"collecting from {base}: the answer is too large")
    try:
        items = json.loads(body)["opt_outs"]
        rows = [(int(i["id"]), str(i["address"]), str(i["issue"]), str(i["at"])) for i in items]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise NewsletterError(
            f"collecting from {base}: the answer is not from a newsletter opt-out service"
        ) from None
    good = []
    for row in rows:
        if address_problem(row[1]) is None and len(row[2]) <= 64 and len(row[3]) <= 40:
            good.append(row)
    return good


# ---------------------------------------------------------------- the suppression file


def import_suppression(
    project: Project, store: Store, suppression: Suppression | None = None
) -> int:
    """content/suppressed.txt (or the configured file) into the record, as opt-outs by hand.

    The file is read by delivery.recipients (its forms, its refusals); None reads it here."""
    if suppression is None:
        from ..delivery.recipients import read_suppression
        from ..delivery.run import suppression_path

        suppression = read_suppression(suppression_path(project))
    when = now()
    source = display_path(suppression.path, project.root)
    entries = (OptOut(a, when, BY_HAND, "", source) for a in sorted(suppression.addresses))
    return store.add(entries)


def suppressed(project: Project, suppression: Suppression | None = None) -> frozenset[str]:
    """Every address a list send must skip: the record, after importing the suppression file."""
    with Store(store_path(project.root)) as store:
        import_suppression(project, store, suppression)
        return store.keys()


def list_all(root: Path) -> list[OptOut]:
    from ..load import load_checked

    project = load_checked(root)
    with Store(store_path(project.root)) as store:
        import_suppression(project, store)
        return store.all()


# ---------------------------------------------------------------- before a list send


def require_a_way(project: Project) -> None:
    """A list send needs clinic.yaml to say how opt-outs come back."""
    if ways(project):
        return
    raise _send_problem(
        project,
        "send: say how opt-outs come back before a list send: imap_host (with "
        "unsubscribe_mailto) for opt-outs by mail, one_click_url for the one-click "
        "service, or website_handles_opt_outs: true if your website records them "
        "(run `newsletter setup`, or see docs/opt-outs.md)",
    )


def staleness_warnings(project: Project, today: dt.datetime | None = None) -> list[str]:
    """Warnings when the mailbox or the service was not collected in the last two days."""
    send = project.clinic.send
    if not (send.imap_host or send.one_click_url):
        return []
    moment = today or dt.datetime.now(dt.UTC)
    path = store_path(project.root)
    last: dict[str, str] = {}
    if path.exists():
        with Store(path) as store:
            last = store.last_collected()
    if not last:
        return [
            "opt-outs have never been collected: run `newsletter unsubscribes fetch` first, so "
            "nobody who opted out gets this issue"
        ]
    newest = max(dt.datetime.fromisoformat(at) for at in last.values())
    if moment - newest > MAX_AGE:
        days = (moment - newest).days
        return [
            f"opt-outs were last collected {days} days ago ({newest.isoformat()}): run "
            "`newsletter unsubscribes fetch` first; Gmail and Yahoo ask that opt-outs are "
            "honoured within 2 days"
        ]
    return []
