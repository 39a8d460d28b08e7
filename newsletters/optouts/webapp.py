"""The one-click unsubscribe service (RFC 8058): a WSGI application and its own database.

    GET  /u/<token>   a plain confirmation page with one button; never unsubscribes, because
                      link scanners and previews fetch every link in a message
    POST /u/<token>   unsubscribes: what mail programs send for List-Unsubscribe-Post
                      (body "List-Unsubscribe=One-Click") and what the page's button sends
    GET  /opt-outs?after=N   the opt-outs received, as JSON, for `newsletter unsubscribes fetch
                      --from URL`; needs "Authorization: Bearer <key>", a key derived from the
                      clinic's secret (collect_key), compared in constant time

The token is signed and carries the address (token.py): no reader list lives on the server.
`newsletter unsubscribe-server` runs it with waitress, a production WSGI server in pure Python
that works on Windows too; put it behind the clinic's HTTPS proxy (or a host that adds TLS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..errors import NewsletterError, Problem
from .token import TOKEN, read_token

SERVICE_DB_NAME = "opt-out-service.sqlite"
MAX_BODY = 4096
MAX_REQUEST_BODY = 64 * 1024
PAGE_LIMIT = 1000
_PATH = re.compile(r"^/u/(" + TOKEN.pattern + r")/?$")
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"

StartResponse = Callable[..., Any]


def collect_key(secret: str) -> str:
    """The bearer key for /opt-outs: derived, so the secret itself never crosses the network."""
    return hmac.new(secret.encode(), b"collect opt-outs", hashlib.sha256).hexdigest()


class ServiceDatabase:
    """What the service received: one row per POST that named a new address."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path.is_symlink():  # a planted link must not make the service write elsewhere
            why = "is a symbolic link; the service's record must be a file here: move it here"
            raise NewsletterError([Problem(path, None, why)])
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            why = f"cannot be opened ({exc}); check the folder exists and you may write there"
            raise NewsletterError([Problem(path, None, why)]) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS received (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "key TEXT NOT NULL UNIQUE, address TEXT NOT NULL, issue TEXT NOT NULL, "
                "at TEXT NOT NULL)"
            )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            why = (
                f"is not the service's record ({exc}); move it away, or name another file with --db"
            )
            raise NewsletterError([Problem(path, None, why)]) from None

    def add(self, address: str, issue: str) -> None:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO received (key, address, issue, at) VALUES (?, ?, ?, ?)",
                (address.lower(), address, issue, at),
            )

    def since(self, after: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, address, issue, at FROM received WHERE id > ? ORDER BY id LIMIT ?",
                (after, PAGE_LIMIT),
            ).fetchall()
        return [{"id": r[0], "address": r[1], "issue": r[2], "at": r[3]} for r in rows]

    def close(self) -> None:
        self._db.close()


def _page(title: str, body: str, clinic: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font:18px/1.5 system-ui,sans-serif;"
        "max-width:34em;margin:3em auto;padding:0 1em;color:#1a1a1a}button{font:inherit;"
        "padding:.6em 1.2em;border-radius:6px;border:0;background:#1F5F8B;color:#fff;"
        "cursor:pointer}</style></head><body>"
        f"<p>{html.escape(clinic)}</p><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _masked(address: str) -> str:
    """a***@example.com: enough for the reader to recognise, not a list for a scanner."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class OptOutApp:
    """The WSGI application. `secret` checks tokens; `database` keeps what arrives."""

    def __init__(self, secret: str, database: ServiceDatabase, clinic: str = "") -> None:
        self.secret = secret
        self.database = database
        self.clinic = clinic
        self._key = collect_key(secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        if path == "/opt-outs":
            if method != "GET":
                return self._refuse(start_response, "GET")
            return self._collect(environ, start_response)
        if path == "/":
            return self._html(start_response, "200 OK", "Opt-out service", "<p>It works.</p>")
        match = _PATH.match(path)
        if match is None:
            return self._html(start_response, "404 Not Found", "Page not found", "")
        found = read_token(self.secret, match.group(1))
        if found is None:
            return self._html(
                start_response,
                "400 Bad Request",
                "This unsubscribe link is not valid",
                "<p>It may have been cut short by your mail program. Reply to the newsletter "
                "with the word unsubscribe and we will take you off the list.</p>",
            )
        address, issue = found
        if method == "GET" or method == "HEAD":
            form = (
                f"<p>Stop the newsletter for {html.escape(_masked(address))}?</p>"
                '<form method="post"><input type="hidden" name="List-Unsubscribe" '
                'value="One-Click"><button type="submit">Unsubscribe</button></form>'
            )
            return self._html(start_response, "200 OK", "Unsubscribe", form)
        if method != "POST":
            return self._refuse(start_response, "GET, POST")
        self._drain(environ)
        self.database.add(address, issue)
        return self._html(
            start_response,
            "200 OK",
            "You are unsubscribed",
            f"<p>{html.escape(_masked(address))} will get no more newsletters from us.</p>",
        )

    def _refuse(self, start_response: StartResponse, allow: str) -> Iterable[bytes]:
        return self._reply(start_response, "405 Method Not Allowed", b"", [("Allow", allow)])

    @staticmethod
    def _drain(environ: dict[str, Any]) -> None:
        """Read (and ignore) at most MAX_BODY bytes: the one-click body carries nothing we need."""
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        if length > 0:
            environ["wsgi.input"].read(length)

    def _collect(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        given = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not hmac.compare_digest(given.encode(), f"Bearer {self._key}".encode()):
            return self._reply(
                start_response,
                "401 Unauthorized",
                b'{"error": "wrong key"}',
                [("WWW-Authenticate", "Bearer"), ("Content-Type", "application/json")],
            )
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        after_text = (query.get("after") or ["0"])[0]
        after = int(after_text) if after_text.isdigit() and len(after_text) < 19 else 0
        body = json.dumps({"opt_outs": self.database.since(after)}).encode("utf-8")
        return self._reply(start_response, "200 OK", body, [("Content-Type", "application/json")])

    def _html(
        self, start_response: StartResponse, status: str, title: str, body: str
    ) -> Iterable[bytes]:
        headers = [("Content-Type", "text/html; charset=utf-8")]
        return self._reply(start_response, status, _page(title, body, self.clinic), headers)

    @staticmethod
    def _reply(
        start_response: StartResponse, status: str, body: bytes, headers: list[tuple[str, str]]
    ) -> Iterable[bytes]:
        start_response(
            status,
            [
                *headers,
                ("Content-Length", str(len(body))),
                ("Content-Security-Policy", CSP),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def serve(app: OptOutApp, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Run the app with waitress until interrupted; `ready` gets the address it listens on."""
    from waitress.server import create_server

    # The one-click body is 26 bytes: refuse big ones (413) at once rather than let waitress
    # buffer up to its default of 1 GB per request onto the clinic's disk.
    server = create_server(
        app,
        host=host,
        port=port,
        ident="newsletters",
        threads=4,
        max_request_body_size=MAX_REQUEST_BODY,
    )
    shown = f"[{host}]" if ":" in host else host
    ready(f"http://{shown}:{server.effective_port}/")
    try:
        server.run()
    finally:
        server.close()
