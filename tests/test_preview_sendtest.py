"""Issue 16 part 4: "Send a test" on the preview's issue page, in real Chromium, to aiosmtpd."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect  # noqa: E402

from newsletters.preview import PreviewServer  # noqa: E402

from . import test_preview_browser  # noqa: E402
from .conftest import claim_sample, copy_sample  # noqa: E402
from .servers import smtp_server  # noqa: E402
from .test_send import Recorder  # noqa: E402

pytestmark = pytest.mark.browser
browser = test_preview_browser.browser  # the shared Chromium fixture


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    with smtp_server(recorder) as controller:
        monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSLETTER_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("NEWSLETTER_SMTP_SECURITY", "none")
        monkeypatch.delenv("NEWSLETTER_SMTP_USER", raising=False)
        monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
        yield recorder


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[PreviewServer]:
    server = PreviewServer(
        claim_sample(copy_sample(tmp_path / "clinic")), port=0, log=lambda message: None
    )
    server.start()
    yield server
    server.close()


def test_send_a_test_from_the_issue_page(
    browser: Browser, preview: PreviewServer, smtp: Recorder
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(preview.url + "issue/2026-11")
    page.fill("#send-test-to", "me@example.com, colleague@example.com")
    page.click("#send-test-button")
    result = page.locator("#send-test-result")
    expect(result).to_contain_text("Sent to me@example.com")
    expect(result).to_contain_text("Sent to colleague@example.com")
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "colleague@example.com",
        "me@example.com",
    ]
    assert all(str(r.message["Subject"]).startswith("[TEST] ") for r in smtp.received)

    # The addresses are remembered for next time.
    page.reload()
    expect(page.locator("#send-test-to")).to_have_value("me@example.com, colleague@example.com")

    # A mistyped address is said on the page; nothing is sent.
    smtp.received.clear()
    page.fill("#send-test-to", "not-an-address")
    page.click("#send-test-button")
    expect(result).to_contain_text("'not-an-address' is not an email address")
    assert smtp.received == []

    # When the checks fail, the test still goes, marked as a draft.
    issue = preview.workspace.root / "content/issues/2026-11.yaml"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("subject: ", "subject: TODO ", 1), encoding="utf-8")
    preview.changed({issue}, 0.0)
    page.fill("#send-test-to", "me@example.com")
    page.click("#send-test-button")
    expect(result).to_contain_text("Marked as a draft")
    assert len(smtp.received) == 1
    assert "[DRAFT] " in str(smtp.received[0].message["Subject"])
    context.close()


def test_other_sites_cannot_send(browser: Browser, preview: PreviewServer, smtp: Recorder) -> None:
    """A page on another origin tries a simple POST and a form post: nothing is sent."""
    target = preview.url + "issue/2026-11/send-test"
    attack = f"""<!doctype html><form id=f method=post action="{target}"
      enctype="text/plain"><input name='{{"to":"x@example.com","a":"' value='"}}'></form>
      <script>
      fetch("{target}", {{method: "POST", mode: "no-cors", headers: {{"Content-Type":
        "text/plain"}}, body: JSON.stringify({{to: "evil@example.com"}})}})
        .finally(() => {{ document.title = "fetched"; document.getElementById("f").submit(); }});
      </script>""".encode()

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(attack)))
            self.end_headers()
            self.wfile.write(attack)

        def log_message(self, format: str, *args: object) -> None:
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        page.wait_for_url(target, timeout=20_000)  # the form post landed (and was refused)
        assert "Forbidden" in page.content()
        context.close()
    finally:
        evil.shutdown()
        evil.server_close()
    assert smtp.received == []


def post(preview: PreviewServer, headers: dict[str, str], body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    try:
        conn.request("POST", "/issue/2026-11/send-test", body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_token_origin_and_host_are_checked(preview: PreviewServer, smtp: Recorder) -> None:
    own = f"127.0.0.1:{preview.port}"
    good = {
        "Host": own,
        "Origin": f"http://{own}",
        "Content-Type": "application/json",
        "X-Preview-Token": preview.session_token,
    }
    body = b'{"to": "me@example.com"}'
    assert post(preview, {**good, "X-Preview-Token": "guess"}, body) == 403
    assert post(preview, {k: v for k, v in good.items() if k != "X-Preview-Token"}, body) == 403
    assert post(preview, {**good, "Origin": "http://evil.example"}, body) == 403
    assert post(preview, {**good, "Origin": "null"}, body) == 403
    assert (
        post(preview, {**good, "Host": "evil.example", "Origin": "http://evil.example"}, body)
        == 403
    )
    assert post(preview, {**good, "Content-Type": "text/plain"}, body) == 403
    assert smtp.received == []
    assert post(preview, good, body) == 200
    assert len(smtp.received) == 1


def test_no_button_unless_the_preview_is_on_loopback_names(tmp_path: Path) -> None:
    from newsletters.preview.pages import email_page
    from newsletters.preview.workspace import Target

    # 127.0.0.2 is this machine, but not a name the preview treats as private.
    server = PreviewServer(claim_sample(copy_sample(tmp_path / "clinic")), host="127.0.0.2", port=0,
                           log=lambda message: None)  # fmt: skip
    try:
        assert not server.can_send_tests and server.send_form() is None
        view = server.workspace.view(Target("issue", "2026-11"))
        assert 'id="send-test"' not in email_page(view, server.workspace, server.send_form())
    finally:
        server.close()
