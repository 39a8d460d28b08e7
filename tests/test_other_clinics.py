"""Other clinics' settings, not the sample's: a right-to-left clinic, a web font address with a
query string, a pale brand colour. Each test fails on the code before the fix it names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from newsletters.archive import build_archive
from newsletters.errors import NewsletterError
from newsletters.pipeline import build, check_built
from newsletters.preview.simulate import MODES, simulate
from newsletters.screenshots import open_email
from newsletters.theme import contrast

from .conftest import copy_sample

BASE = "https://www.ketamineclinicwtx.example/newsletter/"


def with_clinic(root: Path, old: str, new: str) -> None:
    clinic = root / "content/clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    assert old in text
    clinic.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- web font with a query


FONT = "https://fonts.example/css2?family=Open+Sans&display=swap"


def test_a_web_font_address_with_a_query_reaches_the_css_import_as_written(
    tmp_path: Path,
) -> None:
    """Inside <style>, `&amp;` is not decoded: the @import asked for `amp;display=swap` and
    lint said the font was never loaded."""
    root = copy_sample(tmp_path / "p")
    with_clinic(
        root,
        "theme:\n",
        f"theme:\n  web_font_url: {FONT}\n"
        "  font_family: \"'Open Sans', Helvetica, Arial, sans-serif\"\n",
    )
    project, items, _ = build(root, ["2026-11"])
    html = items[0].html
    imports = re.findall(r"@import url\(([^)]*)\)", html)
    assert imports == [FONT]
    assert f'href="{FONT.replace("&", "&amp;")}"' in html  # the attribute, escaped as HTML wants
    rules = {problem.rule for problem in check_built(project, items[0])}
    assert "inbox/unused-font" not in rules


# ---------------------------------------------------------------- right to left


@pytest.fixture(scope="module")
def rtl_issue(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = copy_sample(tmp_path_factory.mktemp("rtl") / "p")
    with_clinic(root, "theme:\n", "language: ar\ndirection: rtl\ntheme:\n")
    _, items, _ = build(root, ["2026-11"])
    return root, items[0]


def test_a_right_to_left_clinic_is_not_forced_left_to_right(rtl_issue: Any) -> None:
    _, item = rtl_issue
    assert "direction:ltr" not in item.html
    assert item.html.count("direction:rtl") > 10


RTL_FACTS = """() => {
  const body = document.querySelector('.nl-body').getBoundingClientRect();
  const blocks = [...document.querySelectorAll('.nl-prose p, .nl-prose li, .nl-prose td, h2')]
    .filter((e) => e.getBoundingClientRect().width > 0 && e.textContent.trim());
  return {
    wrong: blocks.filter((e) => {
      const style = getComputedStyle(e);
      return style.direction !== 'rtl' || !['right', 'start'].includes(style.textAlign);
    }).map((e) => e.tagName + ': ' + e.textContent.trim().slice(0, 40)),
    // List markers hang on the side the text starts on, inside the email.
    outside: [...document.querySelectorAll('li')].filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && (box.right > body.right - 8 || box.left < body.left);
    }).map((e) => e.textContent.trim().slice(0, 40)),
    count: blocks.length,
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("mode", ("plain", *MODES))
def test_a_right_to_left_clinic_reads_right_to_left_in_every_client(
    browser: Any, rtl_issue: Any, mode: str
) -> None:
    root, item = rtl_issue
    html = item.html if mode == "plain" else simulate(item.html, mode)
    width = 600 if mode == "outlook" else 375  # Outlook draws its fixed 600 px at any width
    page = open_email(browser, html, BASE, root / "content", width, False, item.images)
    try:
        facts = page.evaluate(RTL_FACTS)
    finally:
        page.close()
    assert facts["count"] > 20
    assert facts["wrong"] == []
    assert facts["outside"] == []


# ---------------------------------------------------------------- a pale brand colour


def test_the_archive_heading_stays_readable_with_a_pale_primary(tmp_path: Path) -> None:
    """The archive's heading took the raw primary: white-ish on white."""
    root = copy_sample(tmp_path / "p")
    with_clinic(root, 'primary: "#1F5F8B"', 'primary: "#F4F9FF"\n  button_text: "#0B1B2B"')
    project, archive, _ = build_archive(root)
    index = archive.files["index.html"].decode("utf-8")
    heading = re.search(r"h1 \{[^}]*color: (#[0-9A-Fa-f]{6})", index)
    assert heading
    assert contrast(heading.group(1), project.clinic.theme.surface) >= 4.5


# ---------------------------------------------------------------- a white logo


def with_logo(tmp_path: Path, size: tuple[int, int], ink: tuple[int, int, int, int]) -> Path:
    """The sample with a transparent logo of `size`: a block of `ink` inside a clear margin."""
    from PIL import Image, ImageDraw

    root = copy_sample(tmp_path / "p")
    logo = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((4, 4, size[0] - 5, size[1] - 5), fill=ink)
    logo.save(root / "content/images/mine.png")
    with_clinic(
        root,
        "  src: images/logo.png\n  dark_src: images/logo-dark.png\n",
        "  src: images/mine.png\n",
    )
    return root


def test_a_white_transparent_logo_is_reported_invisible_in_light_mode(tmp_path: Path) -> None:
    """The check measured the logo on dark canvases only; white on the white email passed."""
    root = with_logo(tmp_path, (600, 160), (255, 255, 255, 255))
    project, items, _ = build(root, ["2026-11"])
    found = [p for p in check_built(project, items[0]) if p.rule == "inbox/logo-light"]
    assert len(found) == 1
    assert found[0].path is not None and found[0].path.name == "clinic.yaml"
    lines = (root / "content/clinic.yaml").read_text(encoding="utf-8").splitlines()
    assert found[0].line is not None and lines[found[0].line - 1].startswith("logo:")
    assert "1.0:1" in found[0].message


def test_the_sample_logo_is_not_reported(tmp_path: Path) -> None:
    project, items, _ = build(copy_sample(tmp_path / "p"), ["2026-11"])
    assert not [p for p in check_built(project, items[0]) if p.rule == "inbox/logo-light"]


# ---------------------------------------------------------------- a tall logo


@pytest.mark.parametrize("size", [(100, 800), (400, 400), (600, 160)])
def test_a_plated_logo_stays_near_the_width_clinic_yaml_asks(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """The plate's margin came from the logo's height: a tall dark logo at 180 px was shown
    526 px wide (and 1787 px tall)."""
    root = with_logo(tmp_path, size, (20, 40, 70, 255))
    _, items, _ = build(root, ["2026-11"])
    shown = re.search(
        r'<img alt="Ketamine Clinic of West Texas"[^>]*\swidth="(\d+)"', items[0].html
    )
    assert shown and "mine.plate.png" in shown.group(0)
    assert 180 < int(shown.group(1)) <= 180 * 1.3


# ---------------------------------------------------------------- where a colour finding points


def test_colour_findings_point_at_the_line_that_sets_the_colour(tmp_path: Path) -> None:
    """Theme warnings all pointed at `theme:`, and a11y/contrast at a template line holding
    the same #FFFFFF, not at the colour the clinic wrote."""
    root = copy_sample(tmp_path / "p")
    with_clinic(
        root,
        'theme:\n  primary: "#1F5F8B"\n  accent: "#2E7D6B"\n',
        'theme:\n  primary: "#1F5F8B"\n  accent: "#FFEB3B"\n  text: "#999999"\n',
    )
    lines = (root / "content/clinic.yaml").read_text(encoding="utf-8").splitlines()
    at = {line.split(":")[0].strip(): n for n, line in enumerate(lines, 1) if line.startswith("  ")}
    project, items, problems = build(root, ["2026-11"])
    theme_warnings = [p for p in problems.warnings if p.message.startswith("theme:")]
    assert theme_warnings
    for warning in theme_warnings:
        name = "accent" if "accent" in warning.message else "text"
        assert warning.line == at[name], warning.message
    contrast = [p for p in check_built(project, items[0]) if p.rule == "a11y/contrast"]
    assert {(p.path.name if p.path else None, p.line) for p in contrast} == {
        ("clinic.yaml", at["accent"]),
        ("clinic.yaml", at["text"]),
    }


def test_findings_quote_the_email_without_this_runs_placeholder_spelling(tmp_path: Path) -> None:
    """The greeting was quoted as `Hello __NL_MERGE_<16 random letters>_FIRST_NAME__,`: not
    readable, and different each run (so a lint_allow text could never match it)."""
    root = copy_sample(tmp_path / "p")
    with_clinic(root, "theme:\n", 'theme:\n  text: "#999999"\n')
    project, items, _ = build(root, ["2026-11"])
    found = check_built(project, items[0])
    quoted = " ".join(f"{p.message} {p.element} {p.excerpt}" for p in found)
    assert "Hello [first name]," in quoted
    assert "__NL_MERGE" not in quoted


@pytest.mark.parametrize(
    ("written", "six_digits"),
    [("navy", "#000080"), ("#2a7", "#22AA77"), ("rgb(10, 20, 30)", "#0A141E")],
)
def test_a_colour_written_another_css_way_gets_its_exact_six_digit_spelling(
    tmp_path: Path, written: str, six_digits: str
) -> None:
    """Clinics copy colours from brand guides and CSS: the message gives the value to paste."""
    root = copy_sample(tmp_path / "p")
    with_clinic(root, '  primary: "#1F5F8B"\n', f'  primary: "{written}"\n')
    with pytest.raises(NewsletterError) as caught:
        build(root, ["2026-11"])
    (line,) = [m for m in str(caught.value).splitlines() if written in m]
    assert re.search(r"clinic\.yaml:\d+: 'primary': ", line), line
    assert line.endswith(f"{six_digits} (the same colour)")


def test_a_see_through_or_unknown_colour_gets_no_false_equivalent(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p")
    with_clinic(root, '  primary: "#1F5F8B"\n', '  primary: "#1F5F8B80"\n')
    with_clinic(root, '  accent: "#2E7D6B"\n', '  accent: "blurple"\n')
    with pytest.raises(NewsletterError) as caught:
        build(root, ["2026-11"])
    messages = [m for m in str(caught.value).splitlines() if "colour" in m]
    assert len(messages) == 2
    assert all("like #1F5F8B" in m and "same colour" not in m for m in messages)


# ---------------------------------------------------------------- Chinese, Japanese, Korean

JAPANESE = """
## 片頭痛とともに生きる：毎日のヒント

慢性疼痛は、怪我が治った後も三か月以上続く痛みです。「痛みの記録」をつけると、診察の時に医師へ\
伝えやすくなります。睡眠、気分、活動量も一緒に記録しましょう。詳しくはクリニックへお問い合わせください。

| 症状 | 頻度 |
|---|---|
| 頭痛 | 毎日 |
| めまい | 週に一回 |
"""


def test_japanese_text_wraps_and_underlines_by_the_columns_it_takes(tmp_path: Path) -> None:
    """A wide character takes two columns and Japanese has no spaces: the paragraph was one
    line of over 170 columns, and a heading's underline half its width."""
    from newsletters.textwidth import width

    root = copy_sample(tmp_path / "p")
    article = root / "content/articles/chronic-pain.md"
    article.write_text(article.read_text(encoding="utf-8") + JAPANESE, encoding="utf-8")
    _, items, _ = build(root, ["2026-11"])
    lines = items[0].text.split("\n")
    prose = [line for line in lines if "慢性疼痛" in line or "お問い合わせ" in line]
    assert len(prose) == 2, prose  # first and last line of the paragraph differ
    too_wide = [line for line in lines if width(line) > 72 and "://" not in line]
    assert too_wide == []
    heading = lines.index("片頭痛とともに生きる：毎日のヒント")
    assert set(lines[heading + 1]) <= {"-", "="}
    assert len(lines[heading + 1]) == width(lines[heading]) == 34
    header = next(line for line in lines if line.startswith("症状"))
    row = next(line for line in lines if line.startswith("めまい"))
    # the second column starts at the same column on both lines ("症状" takes 4, "めまい" 6)
    assert width(header[: header.index("頻度")]) == width(row[: row.index("週")]) == 8
