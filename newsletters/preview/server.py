"""The preview's web server: pages, the email's preview copy, images, and live reload (SSE).

Every URL is matched against a fixed list of routes, names against a strict pattern, and images
against the files the built emails show: no part of a URL ever becomes a file path, so `../`
and its encodings cannot reach anything. Unknown URLs are 404.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import queue
import re
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import pages
from .emailcopy import LOCAL_IMAGES, preview_copy
from .simulate import MODES, simulate
from .watch import watch_project
from .workspace import Target, View, Workspace

NAME = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*"
PAGE = re.compile(rf"^/(issue|article)/({NAME})$")
PAGE_PART = re.compile(rf"^/(issue|article)/({NAME})/(email\.html|state\.json)$")
IMAGE = re.compile(r"^/images/([A-Za-z0-9_./%-]+)$")
SEND_TEST = re.compile(rf"^/issue/({NAME})/send-test$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'"
)
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "form-action 'none'"
)


@dataclass
class Latency:
    """Save-to-reload times reported by open pages, in milliseconds."""

    samples: list[float] = field(default_factory=list)
    rebuilds: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ms: float) -> None:
        with self._lock:
            self.samples.append(ms)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            samples, rebuilds = list(self.samples), list(self.rebuilds)
        return {
            "reload_ms": samples,
            "median_reload_ms": statistics.median(samples) if samples else None,
            "rebuild_ms": rebuilds,
            "median_rebuild_ms": statistics.median(rebuilds) if rebuilds else None,
        }


class Hub:
    """The open pages listening for rebuilds, each with the page (target key) it shows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[queue.Queue[str | None], str]] = []

    def subscribe(self, target: str) -> queue.Queue[str | None]:
        inbox: queue.Queue[str | None] = queue.Queue()
        with self._lock:
            self._listeners.append((inbox, target))
        return inbox

    def unsubscribe(self, inbox: queue.Queue[str | None]) -> None:
        with self._lock:
            self._listeners = [item for item in self._listeners if item[0] is not inbox]

    def targets(self) -> set[str]:
        with self._lock:
            return {target for _, target in self._listeners}

    def publish(self, message: str | None) -> None:
        with self._lock:
            for inbox, _ in self._listeners:
                inbox.put(message)


class PreviewServer:
    """A preview of one project on host:port (0 picks a free port); `url` is the real address."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        issue: str | None = None,
        checks: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.log = log or _log
        self.workspace = Workspace(root.resolve(), checks, self.log)
        self.issue = issue
        self.hub = Hub()
        self.latency = Latency()
        self.stopping = threading.Event()
        self.not_live: str | None = None  # why saved files no longer reach the pages
        self._threads: list[threading.Thread] = []
        self.httpd = _Server((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self.session_token = secrets.token_urlsafe(32)  # written only into this preview's pages

    @property
    def can_send_tests(self) -> bool:
        """Test sends only from a preview nobody else can reach."""
        return self.host in LOOPBACK_HOSTS

    def send_form(self) -> dict[str, str] | None:
        """What the issue page's "Send a test" form needs, or None when it is not offered."""
        if not self.can_send_tests:
            return None
        from .testsend import remembered

        return {"token": self.session_token, "to": remembered(self.workspace.root)}

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start_url(self) -> str:
        return self.url + (f"issue/{self.issue}" if self.issue else "")

    def start(self) -> None:
        """Serve and watch in background threads (for tests and embedding)."""
        self._spawn(self.httpd.serve_forever, "preview-http")
        self._spawn(self._watch, "preview-watch")

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl+C)."""
        self._spawn(self._watch, "preview-watch")
        try:
            self.httpd.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.hub.publish(None)
        if any(t.name == "preview-http" for t in self._threads):
            self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def warm_up(self) -> None:
        """Build the page a visitor sees first, so the first request is quick: the issue asked
        for, else the index (every issue). Other pages build when they are first opened, so
        the start does not grow with the number of issues."""
        if self.issue:
            views: tuple[View, ...] = (self.workspace.view(Target("issue", self.issue)),)
        else:
            views = self.workspace.overview().issues
        for view in views:
            for finding in view.errors:
                self.log(f"  {finding.format(self.workspace.root)}")

    def changed(self, paths: set[Path], saved_at: float) -> None:
        """Files changed: rebuild the pages that are open, then tell them to reload."""
        generation = self.workspace.invalidate(saved_at)
        started = time.perf_counter()
        for key in sorted(self.hub.targets()):
            if key == "index":
                self.workspace.overview()
            elif "/" in key:
                kind, name = key.split("/", 1)
                self.workspace.view(Target(kind, name))
        rebuild_ms = (time.perf_counter() - started) * 1000
        self.latency.rebuilds.append(rebuild_ms)
        self.hub.publish(json.dumps({"version": generation}))
        self._report(paths, rebuild_ms)

    def _report(self, paths: set[Path], rebuild_ms: float) -> None:
        names = ", ".join(sorted(_relative(p, self.workspace.root) for p in paths))
        _, load_errors = self.workspace.project()
        errors = list(load_errors)
        for key in sorted(self.hub.targets()):
            if "/" in key:
                kind, name = key.split("/", 1)
                errors += [e for e in self.workspace.view(Target(kind, name)).errors]
        status = "ok" if not errors else f"{len(set(errors))} problem(s)"
        self.log(
            f"{time.strftime('%H:%M:%S')} {names} changed: rebuilt in {rebuild_ms:.0f} ms, {status}"
        )
        for error in dict.fromkeys(errors):
            self.log(f"  {error.format(self.workspace.root)}")

    def _watch(self) -> None:
        watch_project(
            self.workspace.root, self.changed, self.stopping, self.log, self.watching_stopped
        )

    def watching_stopped(self, reason: str) -> None:
        """Saved files no longer reach the pages: they must stop saying "Live"."""
        self.not_live = reason
        self.hub.publish(json.dumps({"dead": reason}))

    def _spawn(self, run: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


_HOST_HEADER = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?")


class _Server(ThreadingHTTPServer):
    """One thread per connection, a deep listen queue: a page opening many images at once,
    or a burst of 200 connections, waits in the queue instead of being refused (the default
    backlog is 5)."""

    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True


def _handler(preview: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(PreviewHandler):
        server_preview = preview

    return Handler


class PreviewHandler(BaseHTTPRequestHandler):
    """Routes one request; any failure becomes an error page, never a dead server."""

    server_preview: PreviewServer
    server_version = "newsletter-preview"
    sys_version = ""
    timeout = 60  # a connection that sends nothing for a minute frees its thread

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the console shows rebuilds, not every request."""

    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_HEAD(self) -> None:
        self._guarded(self._get)

    def do_POST(self) -> None:
        self._guarded(self._post)

    def _guarded(self, route: Callable[[], None]) -> None:
        try:
            if not self._host_allowed():
                self._send(HTTPStatus.FORBIDDEN, "text/plain", b"Forbidden host\n")
                return
            route()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        except Exception as exc:
            self.server_preview.log(f"preview: {type(exc).__name__}: {exc} ({self.path})")
            with contextlib.suppress(OSError):
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", b"Preview error\n")

    def _host_allowed(self) -> bool:
        """Pages on loopback answer only to loopback names (no DNS-rebinding reads): the Host
        header must be exactly a loopback name, with this server's port or none. Anything else
        (user info `127.0.0.1:8000@evil.example`, two Host headers, odd characters) is refused."""
        preview = self.server_preview
        if preview.host not in LOOPBACK_HOSTS:
            return True
        values = self.headers.get_all("Host") or []
        if len(values) != 1:
            return False
        match = _HOST_HEADER.fullmatch(values[0].strip().lower())
        if match is None:
            return False
        name, port = match.group(1), match.group(2)
        return name in LOOPBACK_HOSTS and (port is None or int(port) == preview.port)

    def _get(self) -> None:
        preview = self.server_preview
        workspace = preview.workspace
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path == "/":
            self._html(pages.index_page(workspace.overview(), workspace.root))
        elif path == "/events":
            wanted = query.get("target", ["index"])[0]
            page = PAGE.match("/" + wanted)
            if wanted != "index" and (
                page is None or not workspace.exists(Target(page.group(1), page.group(2)))
            ):
                self._not_found()  # only pages that exist are rebuilt for a listener
                return
            self._events(wanted)
        elif path == "/api/stats":
            self._json(preview.latency.summary())
        elif path.startswith("/_/"):
            self._asset(path[3:])
        elif match := PAGE.match(path):
            target = Target(match.group(1), match.group(2))
            if not workspace.exists(target):
                self._not_found()
                return
            self._html(pages.email_page(workspace.view(target), workspace, preview.send_form()))
        elif match := PAGE_PART.match(path):
            target = Target(match.group(1), match.group(2))
            if not workspace.exists(target):
                self._not_found()
                return
            view = workspace.view(target)
            if match.group(3) == "state.json":
                self._json(pages.state(view, workspace))
            elif view.built is None:
                self._html(pages.no_email_yet())
            else:
                project, _ = workspace.project()
                base = project.clinic.images_base_url if project else ""
                scheme = query.get("scheme", ["light"])[0]
                mode = query.get("simulate", [""])[0]
                html = simulate(view.built.html, mode) if mode in MODES else view.built.html
                body = preview_copy(html, base, "light" if mode in MODES else scheme)
                self._send(HTTPStatus.OK, "text/html; charset=utf-8", body.encode(), EMAIL_CSP)
        elif match := IMAGE.match(path):
            self._image(unquote(match.group(1)))
        elif path.endswith("/") and (match := PAGE.match(path[:-1])):
            # A typed or pasted address with a trailing slash: the page, not a 404. The
            # target is rebuilt from the matched name only, so it cannot lead off this site.
            self._redirect(f"/{match.group(1)}/{match.group(2)}")
        else:
            self._not_found()

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if (match := SEND_TEST.match(path)) and self.server_preview.can_send_tests:
            self._send_test(match.group(1))
            return
        if path != "/api/reloaded":
            self._not_found()
            return
        try:
            length = max(0, min(int(self.headers.get("Content-Length") or 0), 1000))
        except ValueError:
            length = 0
        received = time.time()
        try:
            version = int(json.loads(self.rfile.read(length) or b"{}").get("version", -1))
        except (ValueError, AttributeError):
            version = -1
        saved_at = self.server_preview.workspace.saved_at.get(version)
        if saved_at is not None and version > 0:
            self.server_preview.latency.add((received - saved_at) * 1000)
        self._send(HTTPStatus.NO_CONTENT, "text/plain", b"")

    def _send_test(self, issue: str) -> None:
        """POST /issue/<name>/send-test: only from this preview's own page (see testsend.py)."""
        from .testsend import MAX_BODY, allowed_origin, send_test, token_matches

        preview = self.server_preview
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0  # refused below, like any request without a body
        if (
            not allowed_origin(self.headers.get("Origin"), self.headers.get("Host"))
            or not token_matches(self.headers.get("X-Preview-Token"), preview.session_token)
            or (self.headers.get("Content-Type") or "").split(";")[0] != "application/json"
            or not 0 < length <= MAX_BODY
            or not preview.workspace.exists(Target("issue", issue))
        ):
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"Forbidden\n")
            return
        outcome = send_test(preview.workspace.root, issue, self.rfile.read(length))
        self._send(HTTPStatus(outcome.status), "application/json", outcome.json())

    def _events(self, target: str) -> None:
        """Server-Sent Events: a `build` event after every rebuild, comments to keep alive."""
        preview = self.server_preview
        inbox = preview.hub.subscribe(target)
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            hello = json.dumps({"version": preview.workspace.generation})
            self.wfile.write(f"retry: 1000\nevent: build\ndata: {hello}\n\n".encode())
            if preview.not_live is not None:
                dead = json.dumps({"dead": preview.not_live})
                self.wfile.write(f"event: dead\ndata: {dead}\n\n".encode())
            self.wfile.flush()
            while not preview.stopping.is_set():
                try:
                    message = inbox.get(timeout=15)
                except queue.Empty:
                    self.wfile.write(b": still here\n\n")
                else:
                    if message is None:
                        break
                    event = "dead" if message.startswith('{"dead"') else "build"
                    self.wfile.write(f"event: {event}\ndata: {message}\n\n".encode())
                self.wfile.flush()
        finally:
            preview.hub.unsubscribe(inbox)
            self.close_connection = True

    def _asset(self, name: str) -> None:
        body = pages.asset(name)
        if body is None:
            self._not_found()
            return
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, kind, body)

    def _image(self, ref: str) -> None:
        from ..confine import MAX_IMAGE_BYTES, Refused, content_file, read_bytes
        from ..logo import is_plate
        from ..paths import ProjectPaths

        workspace = self.server_preview.workspace
        built = workspace.images().get(ref)
        if built is None:
            self._not_found()
            return
        try:  # checked again: the file may have changed since the build
            if is_plate(built):  # the logo's generated plate (logo.py), not a content/ file
                source = built
            else:
                source = content_file(ProjectPaths.of(workspace.root).content, ref)
            body = read_bytes(source, MAX_IMAGE_BYTES)
        except Refused:
            self._not_found()
            return
        kind = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, kind, body)

    def _html(self, body: str) -> None:
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", body.encode())

    def _json(self, data: object) -> None:
        self._send(HTTPStatus.OK, "application/json", json.dumps(data).encode())

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", pages.not_found().encode())

    def _send(self, status: HTTPStatus, kind: str, body: bytes, csp: str = APP_CSP) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _log(message: str) -> None:
    from ..terminal import clean

    stream = sys.stderr if message.startswith("Traceback") else sys.stdout
    print(clean(message), file=stream, flush=True)


__all__ = ["LOCAL_IMAGES", "PreviewServer"]
