"""The preview in a real browser: the issue list's error/warning counts, recovery after
content/ is replaced (cloud sync, Finder's Replace), and a page that says when it is not live."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect  # noqa: E402

from newsletters.preview import PreviewServer  # noqa: E402

from .conftest import copy_sample  # noqa: E402
from .test_preview_browser import browser  # noqa: E402, F401  (the same Chromium fixture)

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
SUBJECT = "When does pain become chronic?"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "project")


@pytest.fixture
def server(project: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(project, port=0, log=lambda message: None, checks=False)
    preview.start()
    yield preview
    preview.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811  (the imported fixture)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_issue_list_counts_check_errors_as_errors(project: Path, page: Page) -> None:
    issue = project / "content" / "issues" / "2026-11.yaml"
    # One check error (the subject says the reader is ill) and one warning (a long subject).
    edit(
        issue,
        f"subject: {SUBJECT}",
        "subject: Your migraines and what may help with them this month",
    )
    preview = PreviewServer(project, port=0, log=lambda message: None, checks=True)
    preview.start()
    try:
        page.goto(preview.url)
        row = page.locator("#issues tr[data-issue='2026-11']")
        expect(row.locator(".badge.error")).to_have_text("1 error")
        expect(row.locator(".badge.warning")).to_have_text("1 warning")
        expect(page.locator("#issues tr[data-issue='2026-10'] .badge.ok")).to_have_text("None")
    finally:
        preview.close()


def test_live_reload_survives_content_being_replaced(
    project: Path, server: PreviewServer, page: Page
) -> None:
    page.goto(server.url + "issue/2026-11")
    expect(page.locator("#subject")).to_have_text(SUBJECT)
    expect(page.locator("#live-text")).to_have_text("Live")
    # What a sync client or Finder's "Replace" does: a new content/ folder takes the old one's
    # place.
    content = project / "content"
    fresh = project / "content-new"
    shutil.copytree(content, fresh)
    edit(fresh / "issues" / "2026-11.yaml", f"subject: {SUBJECT}", "subject: Replaced folder")
    shutil.rmtree(content)
    fresh.rename(content)
    expect(page.locator("#subject")).to_have_text("Replaced folder")
    # ... and saves inside the new folder are still seen.
    edit(content / "issues" / "2026-11.yaml", "subject: Replaced folder", "subject: Saved again")
    expect(page.locator("#subject")).to_have_text("Saved again")
    expect(page.locator("#live-text")).to_have_text("Live")


def test_the_page_says_when_it_is_not_live(server: PreviewServer, page: Page) -> None:
    page.goto(server.url + "issue/2026-11")
    expect(page.locator("#live-text")).to_have_text("Live")
    server.watching_stopped("watching files stopped (test); restart the preview")
    expect(page.locator("#live-text")).to_have_text("Not live: restart the preview")
    page.goto(server.url)  # a page opened afterwards knows it too
    expect(page.locator("#live-text")).to_have_text("Not live: restart the preview")
