"""Both sample layouts in a real browser (Debian's Chromium driven by Playwright).

No network: `open_email` answers requests for the clinic's images from content/ and refuses
everything else. axe-core's script comes from the axe-playwright-python wheel (it ships
axe.min.js), so no npm step is needed.
"""

from __future__ import annotations

import itertools
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from newsletters.pipeline import BuiltIssue, build
from newsletters.screenshots import open_email

from .conftest import copy_sample, sample_issues

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


SAMPLES = sample_issues()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def axe_script() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def show(browser: Any, built: BuiltIssue, width: int, dark: bool = False) -> Any:
    return open_email(
        browser,
        built.html,
        "https://www.ketamineclinicwtx.example/newsletter/",
        ROOT / "content",
        width,
        dark,
        built.images,
    )


@pytest.mark.parametrize("width", [600, 375, 320])
@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_nothing_scrolls_sideways(
    browser: Any, built: dict[str, BuiltIssue], layout: str, width: int
) -> None:
    page = show(browser, built[layout], width)
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    page.close()
    assert sizes["view"] == width
    assert sizes["scroll"] <= width


def card_boxes(page: Any) -> list[dict[str, float]]:
    return [c.bounding_box() for c in page.query_selector_all("div.nl-card")]


def test_cards_sit_side_by_side_on_a_wide_screen(
    browser: Any, built: dict[str, BuiltIssue]
) -> None:
    page = show(browser, built["digest"], 600)
    first, second, *_ = card_boxes(page)
    page.close()
    assert first["y"] == second["y"]
    assert second["x"] >= first["x"] + first["width"]
    assert first["width"] < 300


def test_cards_stack_on_a_phone(browser: Any, built: dict[str, BuiltIssue]) -> None:
    page = show(browser, built["digest"], 375)
    boxes = card_boxes(page)
    page.close()
    assert len(boxes) == 4
    for above, below in itertools.pairwise(boxes):
        assert below["y"] >= above["y"] + above["height"]
        assert below["x"] == above["x"]
    assert all(box["width"] > 300 for box in boxes)


@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_every_image_loads_from_the_images_base_url(
    browser: Any, built: dict[str, BuiltIssue], layout: str
) -> None:
    page = show(browser, built[layout], 600)
    images = page.evaluate(
        "[...document.images].map(i => ({src: i.src, loaded: i.complete && i.naturalWidth > 0}))"
    )
    page.close()
    assert images
    assert [i["src"] for i in images if not i["loaded"]] == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_axe_finds_no_wcag_violation(
    browser: Any, built: dict[str, BuiltIssue], axe_script: str, layout: str, dark: bool
) -> None:
    page = show(browser, built[layout], 375 if dark else 600, dark=dark)
    page.evaluate(axe_script)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG,
    )
    page.close()
    found = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
        for v in results["violations"]
    ]
    assert found == []
    assert len(results["passes"]) > 10  # axe really ran its WCAG rules
    # Contrast axe could not decide: only the decorative check marks (aria-hidden, not text).
    undecided = [
        node["html"]
        for rule in results["incomplete"]
        if rule["id"] == "color-contrast"
        for node in rule["nodes"]
    ]
    assert [html for html in undecided if 'class="nl-check"' not in html] == []


def colours(page: Any, selector: str) -> dict[str, str]:
    return dict(
        page.eval_on_selector(
            selector,
            "e => { const s = getComputedStyle(e);"
            " return {color: s.color, background: s.backgroundColor}; }",
        )
    )


def test_dark_mode_recolours_page_surface_text_and_links(
    browser: Any, built: dict[str, BuiltIssue]
) -> None:
    """The prefers-color-scheme rules really apply in Chromium's emulated dark mode."""
    light = show(browser, built["digest"], 600)
    dark = show(browser, built["digest"], 600, dark=True)
    try:
        assert colours(light, "body")["background"] == "rgb(238, 242, 245)"
        assert colours(dark, "body")["background"] == "rgb(13, 17, 23)"
        assert colours(dark, "div.nl-surface")["background"] == "rgb(22, 27, 34)"
        assert colours(light, "h1")["color"] == "rgb(23, 50, 77)"
        assert colours(dark, "h1")["color"] == "rgb(230, 237, 243)"
        assert colours(dark, ".nl-prose p")["color"] == "rgb(230, 237, 243)"
        assert colours(dark, "div.nl-card a")["color"] == "rgb(140, 200, 240)"
        assert colours(dark, "div.nl-card table table")["background"] == "rgb(30, 38, 49)"
        # the call-to-action band keeps its brand colour and its button stays readable
        assert colours(dark, "div.nl-band")["background"] == "rgb(46, 125, 107)"
        assert colours(dark, "div.nl-band a")["color"] == "rgb(46, 125, 107)"
    finally:
        light.close()
        dark.close()


def test_dark_mode_swaps_in_the_light_on_dark_logo(
    browser: Any, built: dict[str, BuiltIssue]
) -> None:
    def visible_logos(page: Any) -> list[str]:
        return list(
            page.evaluate(
                "[...document.images].filter(i => i.src.includes('logo'))"
                ".filter(i => i.getBoundingClientRect().height > 0)"
                ".map(i => i.src.split('/').pop())"
            )
        )

    light = show(browser, built["digest"], 600)
    dark = show(browser, built["digest"], 600, dark=True)
    try:
        # the plated logo: the sample's would vanish under forced dark (logo.py)
        assert visible_logos(light) == ["logo.plate.png"]
        assert visible_logos(dark) == ["logo-dark.png"]
    finally:
        light.close()
        dark.close()


def test_no_request_leaves_the_machine(browser: Any, built: dict[str, BuiltIssue]) -> None:
    """Only the images base URL is answered (from content/); every other request is refused."""
    failed: list[str] = []
    page = show(browser, built["digest"], 600)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.evaluate(
        "() => new Promise(done => { const i = new Image(); i.onerror = i.onload = done;"
        " i.src = 'https://example.com/tracker.gif'; })"
    )
    page.close()
    assert failed == ["https://example.com/tracker.gif"]


def test_a_logo_without_dark_version_gets_a_light_backing_in_dark_mode(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = tmp_path_factory.mktemp("no-dark-logo")
    copy_sample(project)
    clinic = project / "content" / "clinic.yaml"
    clinic.write_text(clinic.read_text().replace("  dark_src: images/logo-dark.png\n", ""))
    _, (issue,), _ = build(project, [SAMPLES["digest"]])
    page = show(browser, issue, 600, dark=True)
    logo = page.query_selector("img[src$='/logo.plate.png']")
    assert logo is not None and logo.bounding_box()["height"] > 0
    backing = logo.evaluate("i => getComputedStyle(i.closest('table')).backgroundColor")
    page.close()
    assert backing == "rgb(255, 255, 255)"
