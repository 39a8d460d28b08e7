"""Every layout through every client simulation at phone and desktop widths, in real Chromium.

The simulations (newsletters/preview/simulate.py) rewrite the email as Gmail, the Gmail apps,
forced dark, images-off and Outlook treat it; these tests assert the email survives each:
nothing scrolls sideways, every article heading and checklist item shows, ticks sit on their
text's row, tables stay readable, alt text shows with images off, the logo keeps 3:1 in
forced dark. Outlook for Windows is a desktop client drawing the email at its fixed 600 px
(its ghost tables): at phone widths it is checked against 600, not the window.
"""

from __future__ import annotations

import io
import statistics
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from newsletters.logo import MINIMUM, hex_to_rgb
from newsletters.pipeline import BuiltIssue
from newsletters.preview.simulate import MODES, simulate
from newsletters.screenshots import open_email
from newsletters.theme import contrast

from .conftest import copy_sample, sample_issues

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sample_issues()
BASE = "https://www.ketamineclinicwtx.example/newsletter/"
WIDTHS = (320, 375, 600, 800)


def show(browser: Any, item: BuiltIssue, mode: str, width: int) -> Any:
    html = simulate(item.html, mode)
    return open_email(browser, html, BASE, ROOT / "content", width, False, item.images)


LAYOUT_FACTS = """() => {
  const box = (e) => e.getBoundingClientRect();
  const shown = (e) => { const b = box(e); return b.width > 0 && b.height > 0; };
  const headings = [...document.querySelectorAll(
    'h2.nl-heading, h3.nl-card-heading, h2.nl-section-heading, .nl-small-heading')];
  const ticks = [...document.querySelectorAll('td.nl-check')].map((t) => {
    const text = t.nextElementSibling; const a = box(t); const b = box(text);
    return {text: text.textContent.trim(), shown: shown(t) && shown(text),
            sameRow: Math.abs(a.top - b.top) < 1, before: a.right <= b.left + 0.5};
  });
  const cells = [...document.querySelectorAll('table.nl-data th, table.nl-data td')].map(
    (c) => ({text: c.textContent.trim(), width: box(c).width,
             clipped: c.scrollWidth > c.clientWidth + 1, right: box(c).right}));
  return {
    scroll: document.documentElement.scrollWidth,
    view: window.innerWidth,
    headings: headings.map((h) => ({text: h.textContent.trim(), shown: shown(h),
                                    right: box(h).right})),
    ticks, cells,
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", ["", *MODES])
@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_each_simulation_keeps_the_email_whole(
    browser: Any, built: dict[str, BuiltIssue], layout: str, mode: str, width: int
) -> None:
    page = show(browser, built[layout], mode, width)
    facts = page.evaluate(LAYOUT_FACTS)
    page.close()
    limit = max(width, 600) if mode == "outlook" else width
    assert facts["view"] == width
    assert facts["scroll"] <= limit, "the email scrolls sideways"
    assert facts["headings"], "no article heading found"
    for heading in facts["headings"]:
        assert heading["shown"] and heading["right"] <= limit, heading
    if layout == "spotlight" or any("Common signs" in h["text"] for h in facts["headings"]):
        assert facts["ticks"], "the checklist is missing"
    for tick in facts["ticks"]:
        assert tick["shown"] and tick["text"], tick
        assert tick["sameRow"] and tick["before"], f"tick not beside its text: {tick}"
    assert facts["cells"], "the article's table is missing"
    for cell in facts["cells"]:
        assert not cell["clipped"], f"a table cell is cut off: {cell}"
        assert cell["width"] >= 40 and cell["right"] <= limit, cell
        assert cell["text"]


@pytest.mark.parametrize("width", [320, 600])
@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_with_images_off_alt_text_shows_in_the_email_font(
    browser: Any, built: dict[str, BuiltIssue], layout: str, width: int
) -> None:
    page = show(browser, built[layout], "images-off", width)
    images = page.evaluate(
        """[...document.images].filter((i) => i.getBoundingClientRect().height > 0).map((i) => ({
          alt: i.alt, loaded: i.naturalWidth > 0, width: i.getBoundingClientRect().width,
          height: i.getBoundingClientRect().height, size: getComputedStyle(i).fontSize,
          weight: getComputedStyle(i).fontWeight}))"""
    )
    page.close()
    assert images
    assert not any(i["loaded"] for i in images)
    described = [i for i in images if i["alt"]]
    assert described, "the logo's alt text (the clinic's name) should show"
    for image in described:
        assert image["height"] >= 20 and image["width"] >= 100, image
        assert float(image["size"].removesuffix("px")) >= 16
    logo = next(i for i in described if i["alt"] == "Ketamine Clinic of West Texas")
    assert int(logo["weight"]) >= 700


@pytest.mark.parametrize("layout", sorted(SAMPLES))
def test_the_logo_keeps_3_to_1_in_forced_dark(
    browser: Any, built: dict[str, BuiltIssue], layout: str
) -> None:
    page = show(browser, built[layout], "forced-dark", 600)
    logo = page.query_selector("img[alt='Ketamine Clinic of West Texas']")
    assert logo is not None
    box = logo.bounding_box()
    pad = 6
    clip = {
        "x": box["x"] - pad,
        "y": box["y"] - pad,
        "width": box["width"] + 2 * pad,
        "height": box["height"] + 2 * pad,
    }
    png = page.screenshot(clip=clip)
    page.close()
    with Image.open(io.BytesIO(png)) as shot:
        rgb = shot.convert("RGB")
        width, height = rgb.size
        scale = width / clip["width"]
        ring = [rgb.getpixel((x, 1)) for x in range(width)]
        inset = round(pad * scale) + 2
        inside = [
            rgb.getpixel((x, y))
            for x in range(inset, width - inset)
            for y in range(inset, height - inset)
        ]
    canvas = statistics.median_low(ring)
    assert sum(canvas) < 150, f"forced dark should make the canvas dark, got {canvas}"
    ratios = sorted(contrast(_hex(p), _hex(canvas)) for p in inside)
    assert ratios[len(ratios) // 2] >= MINIMUM
    assert hex_to_rgb(_hex(canvas)) == canvas


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


AWKWARD = """

A word with no place to break: {word}.

See [https://www.ketamineclinicwtx.example/{word}/](https://www.ketamineclinicwtx.example/{word}/)
and `{word}`.

```
a copied command line that is much wider than a phone: {word} --and --more --options
```

| Medicine | Typical first dose | Interactions worth knowing | Follow-up |
|---|---|---|---|
| {word} | 5 mg | none known | 2 weeks |
"""


@pytest.mark.parametrize("mode", ["", "gmail-app", "forced-dark"])
def test_awkward_article_text_never_widens_the_phone_layout(
    browser: Any, tmp_path: Path, mode: str
) -> None:
    """Long words, long link text, a wide code block and a wide table wrap inside 320 px: a
    table layout grows to its widest unbreakable line, so one such line widens the whole email."""
    from newsletters.pipeline import build

    root = copy_sample(tmp_path / "project")
    for article in (root / "content" / "articles").glob("*.md"):
        with article.open("a", encoding="utf-8") as handle:
            handle.write(AWKWARD.format(word="Supercalifragilistic" * 5))
    _, issues, _ = build(root, list(SAMPLES.values()))
    assert len(issues) == len(SAMPLES)
    for item in issues:
        assert "Supercalifragilistic" in item.html
        html = simulate(item.html, mode)
        page = open_email(browser, html, BASE, root / "content", 320, False, item.images)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        page.close()
        assert scroll <= 320, f"{item.issue.meta.layout} {mode or 'as sent'}: {scroll} px wide"


@pytest.mark.parametrize("mode", ["", "gmail-app"])
def test_condition_names_never_break_inside_a_word_on_a_phone(
    browser: Any, built: dict[str, BuiltIssue], mode: str
) -> None:
    """The "Conditions we treat" grid is two per row at every width (Outlook); each name
    must still fit its half of a 320 px phone ("Fibromyalgia" broke as "Fibromyalgi / a")."""
    found = 0
    for item in built.values():
        page = show(browser, item, mode, 320)
        names = page.evaluate(
            """() => [...document.querySelectorAll('td.nl-panel a')].map(a => {
                 const range = document.createRange();
                 return a.textContent.trim().split(/\\s+/).map(word => {
                   const start = a.textContent.indexOf(word);
                   range.setStart(a.firstChild, start);
                   range.setEnd(a.firstChild, start + word.length);
                   return [word, range.getClientRects().length];
                 });
               }).flat()"""
        )
        page.close()
        found += len(names)
        broken = [word for word, lines in names if lines != 1]
        assert not broken, f"{item.issue.meta.layout}: {broken} break inside the word"
    assert found, "no condition links found"
