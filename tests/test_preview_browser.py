"""The preview in a real browser (Playwright + Debian's Chromium), on a copy of the sample."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from newsletters.preview import PreviewServer  # noqa: E402

from .conftest import copy_sample  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000
SUBJECT = "When does pain become chronic?"
ISSUE_FILE = "content/issues/2026-11.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    copy_sample(root)
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(project, port=0, log=lambda message: None)
    preview.start()
    yield preview
    preview.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Chromium at /usr/bin/chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: PreviewServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    outside: list[str] = []
    tab.on(
        "request",
        lambda r: None if r.url.startswith((server.url, "data:")) else outside.append(r.url),
    )
    yield tab
    context.close()
    assert outside == [], "the preview made requests that leave the machine"


@pytest.fixture
def edit(project: Path) -> Iterator[Edit]:
    editor = Edit(project)
    yield editor
    editor.restore()


class Edit:
    """Change files of the copied project; restore them afterwards."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.saved: dict[Path, str] = {}

    def replace(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        self.saved.setdefault(path, text)
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def restore(self) -> None:
        for path, text in self.saved.items():
            path.write_text(text, encoding="utf-8")


def open_issue(page: Page, server: PreviewServer) -> None:
    page.goto(server.url + "issue/2026-11")
    expect(page.frame_locator("#email-frame").locator("h1").first).to_contain_text("November 2026")


def test_index_lists_the_sample_issue_and_its_articles(page: Page, server: PreviewServer) -> None:
    page.goto(server.url)
    row = page.locator("#issues tr[data-issue='2026-11']")
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text("digest")
    expect(row).to_contain_text("KB")
    expect(page.locator("#articles")).to_contain_text("Migraine: more than a bad headache")
    row.get_by_role("link", name=SUBJECT).click()
    expect(page).to_have_url(server.url + "issue/2026-11")


def test_issue_page_shows_the_email_inbox_row_and_local_images(
    page: Page, server: PreviewServer
) -> None:
    open_issue(page, server)
    expect(page.locator("#subject")).to_have_text(SUBJECT)
    expect(page.locator("#preheader")).to_contain_text("How to tell when pain has lasted")
    expect(page.locator("#meter-text")).to_contain_text("of Gmail’s 102 KB limit")
    logo = page.frame_locator("#email-frame").locator("img[src='/images/images/logo.plate.png']")
    expect(logo.first).to_be_attached()
    page.wait_for_function(
        "() => [...document.getElementById('email-frame').contentDocument.images]"
        ".filter(i => i.src.includes('/images/')).every(i => i.complete && i.naturalWidth > 0)"
    )


def test_article_page_shows_the_article_alone(page: Page, server: PreviewServer) -> None:
    page.goto(server.url + "article/migraine")
    email = page.frame_locator("#email-frame")
    expect(email.locator("body")).to_contain_text("Migraine: more than a bad headache")
    expect(email.locator("body")).not_to_contain_text("Understanding fibromyalgia")


def test_width_toggle_changes_the_frame(page: Page, server: PreviewServer) -> None:
    open_issue(page, server)
    frame = page.locator("#email-frame")
    assert frame.evaluate("f => parseFloat(getComputedStyle(f).width)") >= 600
    page.click("[data-width=phone]")
    expect(frame).to_have_css("width", "375px")
    page.click("[data-width=desktop]")
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.getElementById('email-frame')).width) >= 600"
    )


def test_dark_toggle_applies_the_emails_dark_mode_rules(page: Page, server: PreviewServer) -> None:
    open_issue(page, server)
    title = page.frame_locator("#email-frame").locator("h1.nl-title")
    expect(title).to_have_css("color", "rgb(23, 50, 77)")  # theme.heading
    page.click("[data-scheme=dark]")
    expect(page.locator("#email-frame")).to_have_attribute("data-scheme", "dark")
    expect(title).to_have_css("color", "rgb(230, 237, 243)")  # theme.dark_text
    page.click("[data-scheme=light]")
    expect(title).to_have_css("color", "rgb(23, 50, 77)")


def test_text_tab_shows_the_plain_text(page: Page, server: PreviewServer) -> None:
    open_issue(page, server)
    text = page.locator("#text")
    expect(text).to_be_hidden()
    page.click("[data-tab=text]")
    expect(text).to_be_visible()
    expect(text).to_contain_text("Migraine: more than a bad headache")
    assert "<" not in text.inner_text()[:2000]
    page.click("[data-tab=source]")
    expect(page.locator("#source")).to_contain_text("<!doctype html>")
    page.click("[data-tab=mjml]")
    expect(page.locator("#mjml")).to_contain_text("<mjml")


def test_saving_an_article_title_updates_the_open_page(
    page: Page, server: PreviewServer, edit: Edit
) -> None:
    open_issue(page, server)
    email = page.frame_locator("#email-frame")
    expect(email.locator("body")).to_contain_text("Migraine: more than a bad headache")
    edit.replace(
        "content/articles/migraine.md",
        'title: "Migraine: more than a bad headache"',
        'title: "Migraine, freshly edited"',
    )
    expect(email.locator("body")).to_contain_text("Migraine, freshly edited")
    page.click("[data-tab=text]")
    expect(page.locator("#text")).to_contain_text("Migraine, freshly edited")


def test_a_broken_file_shows_the_overlay_and_fixing_it_recovers(
    page: Page, server: PreviewServer, edit: Edit
) -> None:
    open_issue(page, server)
    overlay = page.locator("#overlay")
    expect(overlay).to_be_hidden()
    edit.replace(ISSUE_FILE, "featured: chronic-pain", "featured: [chronic-pain")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text(re.compile(re.escape(ISSUE_FILE) + r":\d+"))
    # the last good email stays behind the overlay
    expect(page.frame_locator("#email-frame").locator("h1").first).to_contain_text("November")
    expect(page.locator("#findings")).to_contain_text(ISSUE_FILE)
    edit.restore()
    expect(overlay).to_be_hidden()
    expect(page.frame_locator("#email-frame").locator("h1").first).to_contain_text("November 2026")


def test_a_missing_article_names_the_issue_file_and_line(
    page: Page, server: PreviewServer, edit: Edit
) -> None:
    open_issue(page, server)
    edit.replace(ISSUE_FILE, "  - migraine\n", "  - migrane\n")
    overlay = page.locator("#overlay")
    expect(overlay).to_contain_text("did you mean 'migraine'?")
    expect(overlay).to_contain_text(re.compile(re.escape(ISSUE_FILE) + r":\d+"))
    edit.restore()
    expect(overlay).to_be_hidden()


def test_index_shows_project_errors_and_recovers(
    page: Page, server: PreviewServer, edit: Edit
) -> None:
    page.goto(server.url)
    expect(page.locator("#issues")).to_contain_text(SUBJECT)
    edit.replace("content/clinic.yaml", "name: Ketamine", "name: [Ketamine")
    expect(page.locator(".banner.error")).to_contain_text("content/clinic.yaml:")
    edit.restore()
    expect(page.locator(".banner.error")).to_have_count(0)
    expect(page.locator("#issues")).to_contain_text(SUBJECT)


def test_a_page_that_never_built_shows_why_then_the_email(
    page: Page, server: PreviewServer, edit: Edit
) -> None:
    edit.replace("content/clinic.yaml", "name: Ketamine", "name: [Ketamine")
    page.goto(server.url)
    expect(page.locator(".banner.error")).to_contain_text("content/clinic.yaml:")
    page.goto(server.url + "article/fibromyalgia")  # not built before
    expect(page.locator("#overlay")).to_contain_text("content/clinic.yaml:")
    expect(page.locator("#no-email")).to_be_visible()
    expect(page.locator("#email-frame")).to_be_hidden()
    edit.restore()
    expect(page.locator("#overlay")).to_be_hidden()
    expect(page.frame_locator("#email-frame").locator("body")).to_contain_text(
        "Understanding fibromyalgia"
    )


def status(server: PreviewServer, raw_path: str) -> int:
    """GET a path exactly as written (no client-side normalisation)."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest("GET", raw_path, skip_accept_encoding=True)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../pyproject.toml",
        "/images/../../pyproject.toml",
        "/images/..%2f..%2fpyproject.toml",
        "/images/%2e%2e/%2e%2e/pyproject.toml",
        "/images/%2E%2E%2Fclinic.yaml",
        "/images/images%2f..%2f..%2fclinic.yaml",
        "/images/..%5c..%5cpyproject.toml",
        "/_/../../pyproject.toml",
        "/_/%2e%2e%2fserver.py",
        "/issue/..%2f..%2fcontent/email.html",
        "/issue/../content/clinic.yaml",
        "//etc/passwd",
        "/etc/passwd",
        "/images//etc/passwd",
        "/images/%2fetc%2fpasswd",
        "http://127.0.0.1/etc/passwd",
        "/content/clinic.yaml",
    ],
)
def test_paths_outside_the_preview_are_not_found(server: PreviewServer, raw_path: str) -> None:
    assert status(server, "/images/images/logo.plate.png") == 200  # the route itself works
    assert status(server, raw_path) == 404


def test_simulation_toggles_reload_the_frame_with_the_mode(
    page: Page, server: PreviewServer
) -> None:
    open_issue(page, server)
    frame = page.locator("#email-frame")
    note = page.locator("#simulate-note")
    expect(note).to_be_hidden()
    page.click("[data-simulate=images-off]")
    expect(frame).to_have_attribute("data-simulate", "images-off")
    expect(note).to_be_visible()
    logo = page.frame_locator("#email-frame").locator("img[alt='Ketamine Clinic of West Texas']")
    assert logo.first.evaluate("i => i.naturalWidth") == 0
    page.click("[data-simulate=forced-dark]")
    expect(frame).to_have_attribute("data-simulate", "forced-dark")
    html = page.frame_locator("#email-frame").locator("html")
    expect(html).to_have_css("filter", "invert(1) hue-rotate(180deg)")
    page.click("[data-simulate='']")
    expect(frame).to_have_attribute("data-simulate", "")
    expect(note).to_be_hidden()


def test_checks_panel_lists_the_compatibility_report(page: Page, server: PreviewServer) -> None:
    open_issue(page, server)
    expect(page.locator("#compat-summary")).to_contain_text("caniemail.com")
    expect(page.locator("#compat")).to_be_hidden()  # folded: a summary first, details on demand
    page.click("aside.findings details summary")
    expect(page.locator("#compat")).to_contain_text("Outlook for Windows (classic)")
    expect(page.locator("#compat")).to_be_visible()
    panel = page.locator("aside.findings")
    # Long notes wrap inside the panel instead of running off the window's edge.
    assert panel.evaluate("a => a.scrollWidth <= a.clientWidth")
