"""The design system's promises, checked on the built HTML of both sample layouts.

These read the HTML a client receives (after MJML and premailer), not the templates, so they
catch what the compiler or the inliner changed. Browser checks live in test_design_browser.py.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import lxml.html
import pytest

from newsletters.pipeline import BuiltIssue, build

from .conftest import copy_sample, sample_issues

ROOT = Path(__file__).resolve().parents[1]


SAMPLES = sample_issues()
MAX_SAMPLE_BYTES = 60 * 1024
LINK_SCHEMES = ("https://", "tel:", "mailto:")
UTM = "utm_source=newsletter&utm_medium=email&utm_campaign="


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def layout(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def html(built: dict[str, BuiltIssue], layout: str) -> str:
    return built[layout].html


@pytest.fixture(scope="module")
def doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def style_of(element: lxml.html.HtmlElement) -> dict[str, str]:
    """An element's inline style as {property: value}, lowercased."""
    out = {}
    for declaration in (element.get("style") or "").split(";"):
        name, _, value = declaration.partition(":")
        if value.strip():
            out[name.strip().lower()] = value.strip().lower()
    return out


def classes_around(element: lxml.html.HtmlElement) -> set[str]:
    """Every class on the element and its ancestors."""
    found: set[str] = set()
    for node in [element, *element.iterancestors()]:
        found.update((node.get("class") or "").split())
    return found


def effective_font_px(element: lxml.html.HtmlElement) -> float | None:
    for node in [element, *element.iterancestors()]:
        size = style_of(node).get("font-size", "")
        if size.endswith("px"):
            return float(size[:-2])
    return None


def test_both_layouts_are_built(built: dict[str, BuiltIssue]) -> None:
    assert set(built) == set(SAMPLES)


def test_every_table_is_presentational_even_outlooks(html: str) -> None:
    """Raw text, so the tables inside Outlook's conditional comments are checked too."""
    tables = re.findall(r"<table\b[^>]*>", html)
    assert tables
    # Markdown tables are data tables (<th scope>, test_inbox.py): no role="presentation".
    missing = [t for t in tables if 'role="presentation"' not in t and 'class="nl-data"' not in t]
    assert missing == []


def test_every_image_has_alt_and_html_width(doc: lxml.html.HtmlElement) -> None:
    images = doc.xpath("//img")
    assert images
    for img in images:
        assert img.get("alt") is not None, lxml.html.tostring(img)
        assert (img.get("width") or "").isdigit(), lxml.html.tostring(img)


def test_one_h1_and_no_skipped_heading_levels(doc: lxml.html.HtmlElement) -> None:
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels.count(1) == 1
    assert levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_no_relative_urls(doc: lxml.html.HtmlElement) -> None:
    urls = [a.get("href") for a in doc.xpath("//a")] + [i.get("src") for i in doc.xpath("//img")]
    assert urls
    bad = [u for u in urls if not (u or "").startswith(LINK_SCHEMES)]
    assert bad == []


def test_images_are_served_over_https_from_the_images_base_url(
    doc: lxml.html.HtmlElement,
) -> None:
    for img in doc.xpath("//img"):
        assert img.get("src").startswith("https://www.ketamineclinicwtx.example/newsletter/")


def test_language_direction_and_title(
    doc: lxml.html.HtmlElement, built: dict[str, BuiltIssue], layout: str
) -> None:
    root = doc.getroottree().getroot()
    assert root.get("lang") == "en"
    assert root.get("dir") == "ltr"
    assert doc.findtext(".//title") == built[layout].issue.meta.subject


def test_color_scheme_meta_and_dark_mode_styles(doc: lxml.html.HtmlElement, html: str) -> None:
    metas = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert metas.get("color-scheme") == "light dark"
    assert metas.get("supported-color-schemes") == "light dark"
    assert "@media (prefers-color-scheme: dark)" in html


def test_body_text_is_at_least_16px(doc: lxml.html.HtmlElement) -> None:
    """Text in the email's body (surface and call-to-action band), small print excepted."""
    checked = 0
    for element in doc.xpath("//*[text()[normalize-space()]]"):
        around = classes_around(element)
        if not around & {"nl-surface", "nl-band"} or "nl-small" in around:
            continue
        size = effective_font_px(element)
        assert size is not None and size >= 16, (size, lxml.html.tostring(element)[:200])
        checked += 1
    assert checked > 20


def test_footer_small_print_stays_readable(doc: lxml.html.HtmlElement) -> None:
    footer = doc.xpath("//*[contains(@class, 'nl-footer')]//*[text()[normalize-space()]]")
    assert footer
    assert min(effective_font_px(e) or 0 for e in footer) >= 14


def test_every_attribute_is_double_quoted(html: str) -> None:
    """Export and archive rewrite attributes as text and expect double quotes."""
    assert re.findall(r"""\s[a-z-]+='""", html) == []


def test_text_links_are_underlined(doc: lxml.html.HtmlElement) -> None:
    """Buttons look like buttons; every other link with text is underlined."""
    links = [a for a in doc.xpath("//a") if a.text_content().strip()]
    assert links
    for a in links:
        if "nl-button" in classes_around(a):
            continue
        assert "underline" in style_of(a).get("text-decoration", ""), lxml.html.tostring(a)


def test_link_text_makes_sense_alone(doc: lxml.html.HtmlElement) -> None:
    vague = {"click here", "here", "read more", "more", "link", "this"}
    for a in doc.xpath("//a"):
        assert a.text_content().strip().lower() not in vague


def test_call_to_action_is_a_bulletproof_tel_button(doc: lxml.html.HtmlElement) -> None:
    """MRML's button: a cell with bgcolor (Outlook paints it) around a tel: link."""
    buttons = doc.xpath("//*[contains(@class, 'nl-band')]//td[@bgcolor]/a")
    assert [a.get("href") for a in buttons] == ["tel:+18065550142"]


def test_footer_has_everything_the_law_and_readers_need(
    doc: lxml.html.HtmlElement, built: dict[str, BuiltIssue], layout: str
) -> None:
    footer = doc.xpath("//*[contains(@class, 'nl-footer')]")[0]
    text = " ".join(footer.text_content().split())
    for needed in (
        "Ketamine Clinic of West Texas",
        "1234 Example Avenue, Suite 100",
        "(806) 555-0142",
        "not medical advice",
        "You are receiving this email because",
        "Facebook",
        "Instagram",
    ):
        assert needed in text
    hrefs = {a.text_content().strip(): a.get("href") for a in footer.xpath(".//a")}
    assert hrefs["Unsubscribe"].endswith("/newsletter/unsubscribe")
    issue_id = built[layout].issue.id
    assert hrefs["View this email in your browser"].endswith(f"/newsletter/{issue_id}/")
    home = hrefs["www.ketamineclinicwtx.example"]
    assert home == f"https://www.ketamineclinicwtx.example/?{UTM}{issue_id}"
    # Social links are text links: no third-party icons, no "sharer" URLs.
    assert "sharer" not in lxml.html.tostring(footer, encoding="unicode")


def test_no_social_icons_or_spammy_preview(html: str) -> None:
    assert "mj-social" not in html
    assert "sharer" not in html
    assert "font-size:1px;line-height:1px" not in html.replace(" ", "")


def test_preheader_comes_first_and_is_hidden_safely(
    doc: lxml.html.HtmlElement, built: dict[str, BuiltIssue], layout: str
) -> None:
    first = doc.xpath("//body//div[contains(@style, 'display:none')]")[0]
    assert first.text_content().startswith(built[layout].issue.meta.preheader)
    assert style_of(first) == {
        "display": "none",
        "max-height": "0",
        "overflow": "hidden",
        "mso-hide": "all",
    }


def test_sample_issues_stay_well_under_gmail_clipping(html: str) -> None:
    assert len(html.encode("utf-8")) < MAX_SAMPLE_BYTES


# ---------------------------------------------------------------- the digest


def test_digest_features_the_lead_story_with_a_large_image(built: dict[str, BuiltIssue]) -> None:
    doc = lxml.html.document_fromstring(built["digest"].html)
    h2 = [" ".join(h.text_content().split()) for h in doc.iter("h2")]
    assert h2[0] == "When is pain considered chronic?"
    lead_image = doc.xpath("//img[contains(@src, 'chronic-pain.png')]")[0]
    assert int(lead_image.get("width")) >= 500


def test_digest_shows_other_articles_as_cards_that_name_their_article(
    built: dict[str, BuiltIssue],
) -> None:
    doc = lxml.html.document_fromstring(built["digest"].html)
    cards = doc.xpath("//div[contains(@class, 'nl-card')]")
    assert len(cards) == 4
    for card in cards:
        title = card.xpath(".//h3")[0].text_content().strip()
        links = {a.text_content().strip(): a.get("href") for a in card.xpath(".//a")}
        assert links[f"Read more: {title}"].startswith(
            "https://www.ketamineclinicwtx.example/blog/"
        )
        assert card.xpath(".//img"), "every sample card has an image"
        assert "mj-column-per-50" in card.get("class")


def test_digest_links_every_condition_the_clinic_treats(built: dict[str, BuiltIssue]) -> None:
    doc = lxml.html.document_fromstring(built["digest"].html)
    links = {a.text_content().strip(): a.get("href") for a in doc.xpath("//a")}
    for key, name in [
        ("chronic-pain", "Chronic pain"),
        ("migraine", "Migraine"),
        ("fibromyalgia", "Fibromyalgia"),
        ("neuropathy", "Neuropathy"),
        ("crps", "CRPS"),
    ]:
        assert links[name] == f"https://www.ketamineclinicwtx.example/conditions/{key}?{UTM}2026-11"


def test_digest_text_part_has_cards_conditions_and_citations(
    built: dict[str, BuiltIssue],
) -> None:
    text = built["digest"].text
    assert "MORE THIS MONTH" in text
    assert "Read more: Understanding fibromyalgia\nhttps://" in text
    assert "- CRPS\n  https://www.ketamineclinicwtx.example/conditions/crps" in text
    assert "[1] Mayo Clinic: Chronic pain, medication decisions" in text
    assert "Call us: (806) 555-0142 <tel:+18065550142>" in text


# ---------------------------------------------------------------- the spotlight


def test_spotlight_shows_the_article_in_full_although_it_has_a_web_page(
    built: dict[str, BuiltIssue],
) -> None:
    spot = built["spotlight"]
    assert spot.issue.meta.featured == "migraine"
    doc = lxml.html.document_fromstring(spot.html)
    text = " ".join(doc.text_content().split())
    assert "An attack can move through four stages" in text  # the body, not the summary
    assert "Fibromyalgia" not in text.split("Conditions")[0]  # only one article
    assert "An attack can move through four stages" in spot.text


def test_spotlight_has_checklist_callout_and_numbered_citations(
    built: dict[str, BuiltIssue],
) -> None:
    doc = lxml.html.document_fromstring(built["spotlight"].html)
    h2 = [" ".join(h.text_content().split()) for h in doc.iter("h2")]
    assert h2[:4] == [
        "Migraine: more than a bad headache",
        "Signs to watch for",
        "Is it chronic?",
        "Sources",
    ]
    checklist = doc.xpath("//ul[li//td[@aria-hidden='true']]")[0]
    items = checklist.xpath("li")
    assert all(li.xpath(".//td[@aria-hidden='true']")[0].text == "\u2713" for li in items)
    assert [li.xpath(".//td")[1].text_content().strip() for li in items][:2] == [
        "Intense, often throbbing head pain",
        "Nausea or vomiting",
    ]
    sources = doc.xpath("//ol/li/a")
    assert [a.text_content() for a in sources] == [
        "Nature Reviews Disease Primers: Migraine",
        "Mayo Clinic: Migraine, symptoms and causes",
    ]
    text = built["spotlight"].text
    assert "- Nausea or vomiting" in text
    assert "IS IT CHRONIC?" in text
    assert "[2] Mayo Clinic: Migraine, symptoms and causes" in text


# ---------------------------------------------------------------- theme


def test_a_rebrand_needs_only_clinic_yaml(tmp_path: Path) -> None:
    """Change theme colours, fonts and radius in clinic.yaml: the email follows, templates
    untouched."""
    copy_sample(tmp_path)
    clinic = tmp_path / "content" / "clinic.yaml"
    clinic.write_text(
        clinic.read_text().replace(
            'theme:\n  primary: "#1F5F8B"\n  accent: "#2E7D6B"\n',
            'theme:\n  primary: "#7A1F5C"\n  link: "#7A1F5C"\n  accent: "#8A4B08"\n'
            '  panel: "#FAF5EF"\n'
            "  heading_font_family: Palatino, 'Book Antiqua', serif\n"
            "  button_radius: 24\n",
        )
    )
    _, (issue,), _ = build(tmp_path, [SAMPLES["digest"]])
    assert "#7A1F5C" in issue.html and "#1F5F8B" not in issue.html.upper()
    assert "#8A4B08" in issue.html and "#2E7D6B" not in issue.html.upper()
    assert "#FAF5EF" in issue.html
    assert "border-radius:24px" in issue.html
    doc = lxml.html.document_fromstring(issue.html)
    h1 = doc.xpath("//h1")[0]
    assert style_of(h1)["font-family"] == "palatino, book antiqua, serif"


def test_a_rebrand_of_primary_and_accent_carries_links_and_headings_along(
    tmp_path: Path,
) -> None:
    """Only primary and accent set: links, headlines and their dark-mode versions follow, in
    shades that keep WCAG AA contrast; nothing stays the sample's blue."""
    from newsletters.theme import contrast

    copy_sample(tmp_path)
    clinic = tmp_path / "content" / "clinic.yaml"
    clinic.write_text(
        clinic.read_text().replace(
            'theme:\n  primary: "#1F5F8B"\n  accent: "#2E7D6B"\n',
            'theme:\n  primary: "#B5462E"\n  accent: "#E0A030"\n',
        )
    )
    project, (issue,), _ = build(tmp_path, [SAMPLES["digest"]])
    theme = project.clinic.theme
    assert (theme.link, theme.heading, theme.dark_link, theme.dark_accent) == (
        "#B5462E",
        "#762E1E",
        "#CB7E6D",
        "#E0A030",
    )
    for old_blue in ("#1F5F8B", "#17324D", "#8CC8F0"):
        assert old_blue not in issue.html.upper()
    assert theme.heading in issue.html and theme.link in issue.html
    assert contrast(theme.link, theme.surface) >= 4.5
    assert contrast(theme.dark_link, theme.dark_surface) >= 4.5


def test_a_colour_set_in_clinic_yaml_is_never_derived(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    clinic = tmp_path / "content" / "clinic.yaml"
    clinic.write_text(
        clinic.read_text().replace(
            'theme:\n  primary: "#1F5F8B"\n',
            'theme:\n  primary: "#B5462E"\n  heading: "#222222"\n',
        )
    )
    project, _, _ = build(tmp_path, [SAMPLES["digest"]])
    assert project.clinic.theme.heading == "#222222"
    assert project.clinic.theme.link == "#B5462E"


def test_a_font_that_could_break_the_style_sheet_is_refused(tmp_path: Path) -> None:
    from newsletters.errors import NewsletterError

    copy_sample(tmp_path)
    clinic = tmp_path / "content" / "clinic.yaml"
    clinic.write_text(clinic.read_text() + "  font_family: 'Arial; } body { display: none'\n")
    with pytest.raises(NewsletterError) as caught:
        build(tmp_path, [SAMPLES["digest"]])
    (problem,) = caught.value.problems
    assert problem.path == clinic
    assert "is not a list of fonts" in problem.message


def test_default_theme_passes_wcag_aa_contrast() -> None:
    from newsletters.model import Theme
    from newsletters.theme import contrast_warnings

    assert contrast_warnings(Theme(), Path("clinic.yaml"), 1) == []


def test_contrast_ratio_matches_wcag() -> None:
    from newsletters.theme import contrast

    assert round(contrast("#000000", "#FFFFFF"), 1) == 21.0
    assert round(contrast("#767676", "#FFFFFF"), 2) == 4.54  # the classic AA-passing grey
    assert contrast("#FFFFFF", "#FFFFFF") == 1.0


def test_a_pale_brand_colour_is_reported_at_its_line(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    clinic = tmp_path / "content" / "clinic.yaml"
    text = clinic.read_text().replace('accent: "#2E7D6B"', 'accent: "#F5A623"')
    clinic.write_text(text)
    theme_line = text.splitlines().index('  accent: "#F5A623"') + 1  # the colour's own line
    _, built, problems = build(tmp_path, [SAMPLES["digest"]])
    assert built  # a warning, not an error: the build goes on
    messages = [(w.path, w.line, w.message) for w in problems.warnings]
    assert (
        clinic,
        theme_line,
        "theme: accent_text (#FFFFFF) on accent (#F5A623) has a contrast of 2.0:1, below the "
        "4.5:1 that readers with low vision need; make one of them darker or lighter",
    ) in messages
    assert all("accent" in m for _, _, m in messages)


def test_each_articles_links_name_it_in_utm_content(
    built: dict[str, BuiltIssue], layout: str
) -> None:
    """The MJML wraps each article in <!-- nl-article:slug --> markers; finishing (stage 6)
    tags the clinic's links inside with utm_content=<slug>, then takes the markers out."""
    issue = built[layout]
    blocks = re.findall(
        r"<!-- nl-article:([a-z0-9-]+) -->(.*?)<!-- /nl-article -->", issue.mjml, re.S
    )
    shown = list(issue.issue.article_slugs) if layout == "digest" else [issue.issue.meta.featured]
    assert [slug for slug, _ in blocks] == shown
    assert "nl-article" not in issue.html_template
    linking_home = [
        s for s, body in blocks if 'href="https://www.ketamineclinicwtx.example/' in body
    ]
    assert linking_home
    for slug in linking_home:
        assert f"utm_content={slug}" in issue.html_template


@pytest.mark.parametrize(
    ("fonts", "accepted"),
    [
        ("Georgia, 'Times New Roman', serif", True),
        ("Brand, system-ui", True),
        ("Arial", False),
        ("'Open Sans'", False),
        ("Arial; } body { display: none", False),
    ],
)
def test_fonts_must_end_in_a_system_fallback(fonts: str, accepted: bool) -> None:
    from newsletters.schema import font_stack

    assert (font_stack(fonts) is None) is accepted


def test_text_colour_always_comes_with_a_background(doc: lxml.html.HtmlElement) -> None:
    """Clients that recolour for dark mode treat text and background as a pair: every coloured
    element sits on a section or panel that sets its own background (not just the body)."""
    coloured = [e for e in doc.xpath("//body//*[@style]") if "color" in style_of(e)]
    assert coloured
    for element in coloured:
        backed = [
            node
            for node in [element, *element.iterancestors()]
            if node.tag not in ("body", "html")
            and "nl-body" not in (node.get("class") or "")
            and (node.get("bgcolor") or {"background", "background-color"} & set(style_of(node)))
        ]
        assert backed, lxml.html.tostring(element)[:200]


def test_no_css_background_images_for_outlook(html: str) -> None:
    assert "background-image" not in html
    assert "url(" not in html


def test_help_does_not_import_the_browser() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom newsletters.__main__ import cli\n"
        "assert CliRunner().invoke(cli, ['build', '--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('playwright', 'mjml')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
