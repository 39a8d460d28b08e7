"""The sample issue builds into the expected email, the same bytes every time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newsletters import merge
from newsletters.errors import NewsletterError, Problem
from newsletters.pipeline import build, write_issue
from newsletters.render import extract_inline_css

from .conftest import GOLDEN, ROOT

OUTPUTS = ("email.html", "email.txt", "email.mjml", "meta.json")


SAMPLE_ISSUES = ("2026-10", "2026-11")  # the spotlight and the digest layout


@pytest.fixture(scope="module")
def built_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    project, built, _ = build(ROOT, SAMPLE_ISSUES, out=out)
    return {item.issue.id: write_issue(item, project.paths) for item in built}


@pytest.fixture(scope="module")
def sample(built_samples: dict[str, Path]) -> Path:
    return built_samples["2026-11"]


@pytest.mark.parametrize("issue", SAMPLE_ISSUES)
@pytest.mark.parametrize("name", OUTPUTS)
def test_sample_issues_match_golden(
    built_samples: dict[str, Path], issue: str, name: str, update_golden: bool
) -> None:
    produced = (built_samples[issue] / name).read_text(encoding="utf-8")
    golden = GOLDEN / issue / name
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "no golden file yet: run pytest --update-golden and review the diff"
    assert produced == golden.read_text(encoding="utf-8"), (
        f"{issue}/{name} changed; if intended, run pytest --update-golden and review the diff"
    )


def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        project, built, _ = build(ROOT, ["2026-11"], out=tmp_path / run)
        target = write_issue(built[0], project.paths)
        outputs.append({name: (target / name).read_bytes() for name in OUTPUTS})
    assert outputs[0] == outputs[1]


def test_html_keeps_what_premailer_would_drop(sample: Path) -> None:
    html = (sample / "email.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert re.search(r'<html lang="en" dir="ltr"', html)
    assert "!important" in html  # MJML's mobile column widths need it
    assert "data-premailer" not in html
    assert "fonts.googleapis.com" not in html


def test_template_css_is_inlined_onto_elements(sample: Path) -> None:
    html = (sample / "email.html").read_text(encoding="utf-8")
    # .nl-prose p { margin: 0 0 16px } comes from the template's mj-style inline="inline"
    assert re.search(r'<p style="margin:\s*0 0 16px', html)
    assert re.search(r'<h1 class="nl-title" style="[^"]*font-size:\s*30px', html)


def test_links_are_the_clinics_own_and_no_placeholder_is_left(sample: Path) -> None:
    html = (sample / "email.html").read_text(encoding="utf-8")
    text = (sample / "email.txt").read_text(encoding="utf-8")
    unsubscribe = "https://www.ketamineclinicwtx.example/newsletter/unsubscribe"
    web_version = "https://www.ketamineclinicwtx.example/newsletter/2026-11/"
    for document in (html, text):
        assert unsubscribe in document
        assert web_version in document
        assert "__NL_MERGE_" not in document
    assert f'href="{unsubscribe}"' in html


def test_plain_text_has_the_content_links_and_footer(sample: Path) -> None:
    text = (sample / "email.txt").read_text(encoding="utf-8")
    assert text.startswith("November 2026\n=============\n")
    assert "When is pain considered chronic?\n--------------------------------" in text
    assert "- Low mood or depression" in text
    assert (
        "[1] Mayo Clinic: Chronic pain, medication decisions\n    https://www.mayoclinic.org/"
        in text
    )
    assert (
        "Read more: Migraine: more than a bad headache\n"
        "https://www.ketamineclinicwtx.example/blog/migraine"
    ) in text
    assert "1234 Example Avenue, Suite 100" in text
    assert "Unsubscribe:\nhttps://" in text
    # 72 columns; only a link too long for any line may be longer, alone on its line.
    assert all(len(line) <= 72 or " " not in line.strip() for line in text.splitlines())


def test_meta_describes_the_issue(sample: Path) -> None:
    meta = json.loads((sample / "meta.json").read_text(encoding="utf-8"))
    html = (sample / "email.html").read_bytes()
    assert meta["subject"] == "When does pain become chronic?"
    assert meta["articles"][0] == "chronic-pain"
    assert meta["html_bytes"] == len(html)
    assert set(meta["merge_tags"]) >= {"unsubscribe_url", "web_version_url", "first_name"}


def test_local_images_are_copied_for_the_web_version(sample: Path) -> None:
    assert (sample / "images" / "logo-dark.png").read_bytes() == (
        ROOT / "content/images/logo-dark.png"
    ).read_bytes()
    assert (sample / "images" / "chronic-pain.png").is_file()
    # The sample's logo fails 3:1 under forced dark: the email shows its generated plate.
    assert (sample / "images" / "logo.plate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (sample / "images" / "logo.png").exists()


def test_images_are_absolute_with_width_and_alt(sample: Path) -> None:
    html = (sample / "email.html").read_text(encoding="utf-8")
    images = re.findall(r"<img\b[^>]*>", html)
    assert images
    for tag in images:
        assert re.search(r'src="https://', tag), tag
        assert re.search(r'\bwidth="\d+"', tag), tag
        assert re.search(r'\balt="', tag), tag


def test_article_with_url_shows_summary_and_named_link(sample: Path) -> None:
    html = (sample / "email.html").read_text(encoding="utf-8")
    assert "Migraine affects more than a billion people worldwide." in html  # the summary
    assert "Attacks return again and again" not in html  # not the body
    assert (
        'href="https://www.ketamineclinicwtx.example/blog/migraine?utm_source=newsletter&amp;'
        'utm_medium=email&amp;utm_campaign=2026-11&amp;utm_content=migraine"'
    ) in html
    assert "Read more: Migraine: more than a bad headache" in html


def test_featured_article_is_shown_once_and_first(project: Path) -> None:
    issue = project / "content/issues/2026-11.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace(
            "  - migraine\n", "  - migraine\n  - chronic-pain\n"
        ),
        encoding="utf-8",
    )
    _, built, _ = build(project, ["2026-11"])
    html = built[0].html
    assert html.count("When is pain considered chronic?</h2>") == 1
    assert html.index("When is pain considered chronic?") < html.index("Migraine: more")


def test_merge_substitution_escapes_for_html() -> None:
    doc = f'<a href="{merge.placeholder("unsubscribe_url")}">x</a>'
    out = merge.substitute(doc, {"unsubscribe_url": "https://x.example/?a=1&b=2"}, escape=True)
    assert out == '<a href="https://x.example/?a=1&amp;b=2">x</a>'


def test_newest_issue_is_built_when_none_is_named(project: Path) -> None:
    older = project / "content/issues/2026-10.yaml"
    text = (project / "content/issues/2026-11.yaml").read_text(encoding="utf-8")
    older.write_text(text.replace("date: 2026-11-05", "date: 2026-10-01"), encoding="utf-8")
    _, built, _ = build(project)
    assert [b.issue.id for b in built] == ["2026-11"]
    _, built, _ = build(project, all_issues=True)
    assert sorted(b.issue.id for b in built) == ["2026-10", "2026-11"]


def test_unknown_issue_name_is_a_problem() -> None:
    with pytest.raises(NewsletterError) as caught:
        build(ROOT, ["2026-1"])
    assert "there is no issue '2026-1'; did you mean '2026-11'?" in str(caught.value)


def test_the_inline_css_block_leaves_no_whitespace_behind() -> None:
    # MRML cannot compile some whitespace that an extracted block would leave around.
    mjml, css = extract_inline_css(
        '<mj-head>\n  <mj-style inline="inline">.a { color: red }</mj-style>   \n</mj-head>'
    )
    assert css == ".a { color: red }"
    assert mjml == "<mj-head>\n\n</mj-head>"


def test_a_problem_outside_the_current_folder_names_the_file_absolutely(tmp_path: Path) -> None:
    inside = tmp_path / "project"
    outside = tmp_path / "elsewhere" / "readers.csv"
    problem = Problem(outside, 3, "not an email address")
    assert problem.format(relative_to=inside) == f"{outside}:3: not an email address"
    within = Problem(inside / "content/x.md", 1, "m")
    assert within.format(relative_to=inside) == "content/x.md:1: m"
