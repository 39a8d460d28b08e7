"""Screenshots of a built email in a real browser: desktop, phone and dark mode.

A person (or a test) looks at these before sending. The browser never reaches the network:
requests for the clinic's published images are answered from content/, everything else is
refused, so a screenshot shows what a reader sees when the images are online and never
depends on the internet. Playwright is imported only here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .write import write_atomic

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

    from .built import BuiltIssue
    from .model import Project

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def install_hint() -> str:
    """How to get Playwright and a browser into the environment newsletter runs in."""
    from .install import add_package, run_module

    return (
        f"screenshots need Playwright and Chromium: run `{add_package('playwright')}`, then "
        f"`{run_module('playwright install chromium')}`, then try again"
    )


@dataclass(frozen=True)
class Viewport:
    """One way a reader sees the email: a window width and a colour scheme."""

    name: str
    width: int
    dark: bool = False


VIEWS = (Viewport("desktop", 800), Viewport("phone", 375), Viewport("dark", 375, dark=True))


class BrowserMissing(Exception):
    """Playwright or Chromium is not installed; the message says how to install them."""

    def __init__(self) -> None:
        super().__init__(install_hint())


@contextmanager
def launch() -> Iterator[Browser]:
    """Headless Chromium: Debian's when installed, else the one Playwright downloaded."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise BrowserMissing() from None
    with sync_playwright() as playwright:
        executable = str(CHROMIUM) if CHROMIUM.is_file() else None
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=list(LAUNCH_ARGS))
        except Error:
            raise BrowserMissing() from None
        try:
            yield browser
        finally:
            browser.close()


def open_email(
    browser: Browser,
    html: str,
    images_base_url: str,
    content_dir: Path,
    width: int,
    dark: bool = False,
    images: Sequence[tuple[Path, str]] = (),
) -> Page:
    """A page showing `html` at `width` pixels, images served from content/ (or `images`, the
    build's (file, ref) pairs, which include generated ones such as the logo plate), no network."""
    base = images_base_url.rstrip("/") + "/"
    root = content_dir.resolve()
    built = {ref: path for path, ref in images}

    def serve(route: Route) -> None:
        url = route.request.url.split("#", 1)[0].split("?", 1)[0]
        if not url.startswith(base):
            route.abort()
            return
        if url[len(base) :] in built:
            route.fulfill(path=str(built[url[len(base) :]]))
            return
        path = (root / url[len(base) :]).resolve()
        if path.is_relative_to(root) and path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404, body="")

    page = browser.new_page(
        viewport={"width": width, "height": 800},
        color_scheme="dark" if dark else "light",
    )
    page.route("**/*", serve)
    page.set_content(html, wait_until="load")
    return page


def take_screenshots(project: Project, built: BuiltIssue) -> list[Path]:
    """Write <out>/<issue>/screenshots/{desktop,phone,dark}.png; return their paths."""
    target = project.paths.screenshots(built.issue.id)
    written = []
    with launch() as browser:
        for view in VIEWS:
            page = open_email(
                browser,
                built.html,
                project.clinic.images_base_url,
                project.content_dir,
                view.width,
                view.dark,
                built.images,
            )
            png = page.screenshot(full_page=True)
            page.close()
            path = target / f"{view.name}.png"
            write_atomic(path, png)
            written.append(path)
    return written
