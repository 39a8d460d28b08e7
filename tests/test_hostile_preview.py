"""The preview server under load and odd requests (issue 13)."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from pathlib import Path

import pytest

from newsletters.preview import PreviewServer
from newsletters.preview.pages import script_json

from . import test_preview as preview_tests
from .test_hostile import FEATURED, append, secret_outside

server = preview_tests.server  # the same running preview of a private project copy


def raw_get(server: PreviewServer, path: str, host: str | None) -> int:
    """A request with exactly the Host header given (None: none at all)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        head = f"GET {path} HTTP/1.1\r\n"
        if host is not None:
            head += f"Host: {host}\r\n"
        conn.sendall((head + "Connection: close\r\n\r\n").encode("latin-1"))
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    assert match, reply[:100]
    return int(match.group(1))


def test_host_header_must_be_exactly_a_loopback_name(server: PreviewServer) -> None:
    port = server.port
    assert raw_get(server, "/", f"127.0.0.1:{port}") == 200
    assert raw_get(server, "/", f"localhost:{port}") == 200
    assert raw_get(server, "/", "localhost") == 200
    for host in (
        f"127.0.0.1:{port}@evil.example",
        f"evil.example:{port}",
        f"127.0.0.1.evil.example:{port}",
        f"127.0.0.1:{port + 1}",
        f"user@127.0.0.1:{port}",
        "127.0.0.1:abc",
        "",
        None,
    ):
        assert raw_get(server, "/", host) == 403, host


def test_two_host_headers_are_refused(server: PreviewServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nHost: evil.example\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        reply = conn.recv(100)
    assert reply.startswith(b"HTTP/1.0 403") or reply.startswith(b"HTTP/1.1 403")


def test_two_hundred_concurrent_connections_are_all_answered(server: PreviewServer) -> None:
    server.warm_up()
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(200)

    def one() -> None:
        barrier.wait(timeout=30)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.request("GET", "/_/preview.css")
            status = conn.getresponse().status
        except OSError:
            status = 0
        finally:
            conn.close()
        with lock:
            results.append(status)

    threads = [threading.Thread(target=one) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results.count(200) == 200, sorted(set(results))


def test_comment_opening_in_content_does_not_blank_the_page(project: Path) -> None:
    data = {"quote": "She wrote <!--<script> and </script><b>hi</b> & more\u2028"}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


def test_preview_page_embeds_hostile_text_inertly(server: PreviewServer, project: Path) -> None:
    append(project, FEATURED, "\nShe said `<!--<script>` and `</script>` in a quote.\n")
    server.workspace.invalidate(0.0)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/issue/2026-11")
    body = conn.getresponse().read().decode("utf-8")
    conn.close()
    state = re.search(r'<script type="application/json" id="state">(.*?)</script>', body, re.S)
    assert state is not None
    assert "<" not in state.group(1)
    assert body.rstrip().endswith("</html>")


@pytest.mark.parametrize(
    "path",
    [
        "/images/../../outside/secret.txt",
        "/images/%2e%2e/%2e%2e/outside/secret.txt",
        "/images/..%2f..%2foutside%2fsecret.txt",
        "/images//etc/passwd",
        "/issue/..",
        "/issue/%2e%2e/state.json",
        "/_/../../pyproject.toml",
    ],
)
def test_preview_routes_never_reach_outside_files(
    server: PreviewServer, project: Path, tmp_path: Path, path: str
) -> None:
    secret_outside(tmp_path)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status in (400, 404)
    assert b"TOP-SECRET-CONTENT" not in body and b"root:" not in body


def test_symlinked_image_is_not_served(
    server: PreviewServer, project: Path, tmp_path: Path
) -> None:
    secret = secret_outside(tmp_path)
    (project / "content/images/leak.png").symlink_to(secret)
    append(project, FEATURED, "\n![x](images/leak.png)\n")
    server.workspace.invalidate(0.0)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/images/leak.png")
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 404
    assert b"TOP-SECRET-CONTENT" not in body


def test_events_for_unknown_pages_are_not_found(server: PreviewServer) -> None:
    for target in ("issue/../../etc", "issue/1999-01", "whatever", "article/" + "a" * 300):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/events?target=" + target)
        assert conn.getresponse().status == 404, target
        conn.close()


def test_odd_content_length_is_answered(server: PreviewServer) -> None:
    for length in ("-5", "abc", "99999999"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
            conn.sendall(
                f"POST /api/reloaded HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n{{}}".encode()
            )
            conn.shutdown(socket.SHUT_WR)  # the body ends here, whatever the header said
            reply = conn.recv(100)
        assert reply.startswith((b"HTTP/1.0 204", b"HTTP/1.1 204")), (length, reply)
