"""`newsletter lint`'s rules: for each, a project that triggers it (id, severity, location) and
one that does not. Every fixture is a copy of the sample project with one small edit."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from newsletters import lint
from newsletters.dates import add_months
from newsletters.errors import NewsletterError, Problem
from newsletters.lint import RULES
from newsletters.lint.document import parse_colour
from newsletters.pipeline import ChecksFailed, Policy, build, build_and_check
from newsletters.readability import reading_grade
from newsletters.theme import contrast

from .conftest import copy_sample

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "content/issues/2026-11.yaml"
CLINIC = "content/clinic.yaml"
CHRONIC = "content/articles/chronic-pain.md"
FIBRO = "content/articles/fibromyalgia.md"
FOOTER = "templates/partials/footer.mjml.j2"
FOOTER_TXT = "templates/partials/footer.txt.j2"
LAYOUT = "templates/layouts/digest.mjml.j2"
LAYOUT_TXT = "templates/layouts/digest.txt.j2"
CHECKLIST = "templates/partials/checklist.mjml.j2"
CARDS = "templates/partials/cards.mjml.j2"
BASE = "templates/base.mjml.j2"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A private copy of the sample project (content/ and templates/)."""
    target = tmp_path / "clinic"
    copy_sample(target)
    return target


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture out of date: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(root: Path, name: str, text: str) -> None:
    with (root / name).open("a", encoding="utf-8") as handle:
        handle.write(text)


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


HARD_SENTENCE = (  # reads at grade 15 appended to the sample's fibromyalgia article
    "Its aetiology remains incompletely characterised, although fibromyalgia frequently "
    "coexists with rheumatoid arthritis, systemic lupus erythematosus, ankylosing spondylitis, "
    "osteoarthritis, generalised anxiety disorder, chronic musculoskeletal back pain and "
    "irritable bowel syndrome. Consequently, individualised multidisciplinary pharmacological "
    "and nonpharmacological interventions are systematically considered."
)


def hard_to_read(root: Path) -> None:
    """Two dense sentences at the end of the fibromyalgia article: hygiene/reading-level warns."""
    append(root, FIBRO, "\n" + HARD_SENTENCE + "\n")


def check(root: Path) -> list[Problem]:
    project, built, _ = build(root)
    return lint.run_checks(project, built[0])


def of(findings: list[Problem], rule: str) -> list[Problem]:
    return [f for f in findings if f.rule == rule]


def rel(root: Path, finding: Problem) -> str | None:
    return finding.path.relative_to(root).as_posix() if finding.path else None


# ---------------------------------------------------------------- the sample


def test_the_sample_issue_has_no_finding(sample: Path) -> None:
    assert check(sample) == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_sample_does_not_trigger(sample: Path, rule_id: str) -> None:
    assert of(check(sample), rule_id) == []


def test_every_rule_documents_an_example_and_a_fix() -> None:
    for rule in RULES.values():
        assert "Example:" in rule.doc and "Fix:" in rule.doc, rule.id
        assert rule.severity in ("error", "warning", "error/warning"), rule.id
        assert rule.id.split("/")[0] in lint.CATEGORIES


# ---------------------------------------------------------------- triggers

Edit = Callable[[Path], None]


def no_address_html(root: Path) -> None:
    edit(root, FOOTER, '<br>{{ address_lines | join(", ") }}', "")


def no_address_text(root: Path) -> None:
    edit(root, FOOTER_TXT, "{% for line in address_lines %}\n{{ line }}\n{% endfor %}\n", "")


def empty_address(root: Path) -> None:
    edit(
        root,
        CLINIC,
        "address: |\n  1234 Example Avenue, Suite 100\n  Lubbock, TX 79401\n",
        'address: ""\n',
    )


def no_unsubscribe_html(root: Path) -> None:
    edit(root, FOOTER, '<a href="{{ merge.unsubscribe_url }}">Unsubscribe</a>', "")


def hidden_unsubscribe_html(root: Path) -> None:
    edit(
        root,
        FOOTER,
        '<a href="{{ merge.unsubscribe_url }}">Unsubscribe</a>',
        '<span style="display:none"><a href="{{ merge.unsubscribe_url }}">Unsubscribe</a></span>',
    )


def no_unsubscribe_text(root: Path) -> None:
    edit(root, FOOTER_TXT, "Unsubscribe:\n{{ merge.unsubscribe_url }}\n", "")


def no_clinic_name(root: Path) -> None:
    edit(root, FOOTER, "<strong>{{ clinic.name }}</strong><br>", "")
    edit(
        root,
        CLINIC,
        "name: Ketamine Clinic of West Texas\ntagline",
        "name: Plainview Pain\ntagline",
    )


def empty_sender_name(root: Path) -> None:
    edit(root, CLINIC, "sender:\n  name: Ketamine Clinic of West Texas", 'sender:\n  name: ""')


def both(*edits: Edit) -> Edit:
    def apply(root: Path) -> None:
        for one in edits:
            one(root)

    return apply


def dark_opaque_logo(root: Path) -> None:
    """An opaque navy logo: the build cannot plate it, and it is dark on dark canvases."""
    from PIL import Image

    Image.new("RGB", (360, 96), (20, 40, 80)).save(root / "content/images/logo.png")


def settings(text: str) -> Edit:
    return lambda root: append(root, CLINIC, "\nlint:\n" + text)


def subject(text: str) -> Edit:
    return lambda root: edit(
        root, ISSUE, "subject: When does pain become chronic?", f'subject: "{text}"'
    )


def preheader(text: str) -> Edit:
    return lambda root: edit(
        root,
        ISSUE,
        "preheader: How to tell when pain has lasted too long, and four conditions that often "
        "sit behind it.",
        f'preheader: "{text}"',
    )


def intro(markdown: str) -> Edit:
    return lambda root: edit(
        root,
        ISSUE,
        "  fibromyalgia, diabetic neuropathy and CRPS.\n",
        f"  fibromyalgia, diabetic neuropathy and CRPS.\n  {markdown}\n",
    )


def chronic_body(markdown: str) -> Edit:
    """Add a paragraph after the first one of the featured (full) article."""
    return lambda root: edit(
        root, CHRONIC, "this chronic pain.\n", f"this chronic pain.\n\n{markdown}\n"
    )


def footer_html(html: str) -> Edit:
    return lambda root: edit(
        root,
        FOOTER,
        "<p>{{ clinic.why_received }}</p>",
        f"<p>{{{{ clinic.why_received }}}}</p>\n      {html}",
    )


def clinic_field(old: str, new: str) -> Edit:
    return lambda root: edit(root, CLINIC, old, new)


def theme(line: str) -> Edit:
    return lambda root: edit(
        root, CLINIC, 'theme:\n  primary: "#1F5F8B"', f'theme:\n  primary: "#1F5F8B"\n  {line}'
    )


def no_fibro_sources(root: Path) -> None:
    edit(
        root,
        FIBRO,
        'sources:\n  - title: "CDC: Fibromyalgia"\n'
        "    url: https://www.cdc.gov/arthritis/fibromyalgia/index.html\n",
        "",
    )


def unlisted_quote(root: Path) -> None:
    chronic_body('> "After three sessions I could finally sleep through the night," says Maria.')(
        root
    )


def consentless_testimonial(root: Path) -> None:
    unlisted_quote(root)
    edit(
        root,
        CHRONIC,
        "reviewed_by:",
        'testimonials:\n  - quote: "After three sessions I could '
        'finally sleep through the night"\n    name: Maria\nreviewed_by:',
    )


def short_disclaimer(root: Path) -> None:
    path = root / CLINIC
    text = path.read_text(encoding="utf-8")
    start = text.index("disclaimer: >")
    path.write_text(text[:start] + "disclaimer: Not advice.\n" + text[text.index("\n\n", start) :])


def no_disclaimer_in_footer(root: Path) -> None:
    edit(root, FOOTER, "<div>{{ disclaimer_html }}</div>", "")


def old_review(root: Path) -> None:
    edit(root, CHRONIC, "reviewed_on: 2026-10-15", "reviewed_on: 2025-10-01")


def no_review(root: Path) -> None:
    edit(root, CHRONIC, "reviewed_on: 2026-10-15\n", "")


def big_image(root: Path) -> None:
    """The article's own PNG, over 1 MB with a text chunk before its end (still a whole PNG)."""
    image = root / "content/images/chronic-pain.png"
    png = image.read_bytes()
    data = b"Comment\0" + b"x" * (1024 * 1024)
    chunk = len(data).to_bytes(4, "big") + b"tEXt" + data
    chunk += zlib.crc32(chunk[4:]).to_bytes(4, "big")
    image.write_bytes(png[:-12] + chunk + png[-12:])  # the last 12 bytes are the IEND chunk


# (id, edit, rule, severity, path, line: int | str (a text on the line) | None, element part)
TRIGGERS: list[tuple[str, Edit, str, str, str, int | str | None, str | None]] = [
    ("address-html", no_address_html, "law/postal-address", "error", LAYOUT, None, "footer"),
    ("address-text", no_address_text, "law/postal-address", "error", LAYOUT_TXT, None, "text"),
    ("address-empty", empty_address, "law/postal-address", "error", CLINIC, "address:", None),
    ("unsub-html", no_unsubscribe_html, "law/unsubscribe", "error", LAYOUT, None, "footer"),
    ("unsub-hidden", hidden_unsubscribe_html, "law/unsubscribe", "error", LAYOUT, None, "<a href="),
    ("unsub-text", no_unsubscribe_text, "law/unsubscribe", "error", LAYOUT_TXT, None, "text"),
    ("name-missing", no_clinic_name, "law/sender-identity", "error", LAYOUT, None, "footer"),
    ("sender-empty", empty_sender_name, "law/sender-identity", "error", CLINIC, "sender:", None),
    (
        "size-warning",
        settings("  html_warn_kb: 30\n"),
        "deliverability/html-size",
        "warning",
        ISSUE,
        "articles:",
        None,
    ),
    (
        "size-error",
        settings("  html_warn_kb: 20\n  html_max_kb: 30\n"),
        "deliverability/html-size",
        "error",
        ISSUE,
        "articles:",
        None,
    ),
    (
        "style-size",
        settings("  style_max_kb: 1\n"),
        "deliverability/style-size",
        "error",
        "templates/base.mjml.j2",
        "<mj-style>",
        "<style>",
    ),
    (
        "subject-long",
        subject("When does pain become chronic, and what can you do about it now?"),
        "deliverability/subject-length",
        "error",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "subject-warn",
        subject("When does pain become chronic, and what then? A guide"),
        "deliverability/subject-length",
        "warning",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "subject-empty",
        subject(""),
        "deliverability/subject-length",
        "error",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "fake-reply",
        subject("Re: when does pain become chronic?"),
        "deliverability/subject-fake-reply",
        "error",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "preheader-short",
        preheader("Chronic pain, explained"),
        "deliverability/preheader-length",
        "warning",
        ISSUE,
        "preheader:",
        None,
    ),
    (
        "link-http",
        intro("See [our blog](http://blog.example.com/)."),
        "deliverability/link-scheme",
        "error",
        ISSUE,
        "our blog",
        '<a href="http://blog.example.com/">',
    ),
    (
        "link-hash",
        intro("[Book a visit](#) today."),
        "deliverability/link-empty",
        "error",
        ISSUE,
        "Book a visit",
        '<a href="#">',
    ),
    (
        "link-domain",
        chronic_body("Read [www.mayoclinic.org](https://bit.ly/3xYz) for more."),
        "deliverability/link-text-domain",
        "error",
        CHRONIC,
        "bit.ly",
        "bit.ly",
    ),
    (
        "lang-und",
        lambda root: append(root, CLINIC, "\nlanguage: und\n"),
        "a11y/lang",
        "error",
        CLINIC,
        "language: und",
        "<html>",
    ),
    (
        "dir-auto",
        lambda root: append(root, CLINIC, "\ndirection: auto\n"),
        "a11y/lang",
        "error",
        CLINIC,
        "direction: auto",
        "<html>",
    ),
    (
        "lang-dropped-from-template",
        lambda root: edit(
            root,
            "templates/base.mjml.j2",
            '<mjml lang="{{ clinic.language }}" dir="{{ clinic.direction }}">',
            "<mjml>",
        ),
        "a11y/lang",
        "error",
        "templates/base.mjml.j2",
        "<mjml>",
        "<html>",
    ),
    (
        "img-no-alt",
        footer_html('<img src="https://cdn.example.com/badge.png" width="40">'),
        "a11y/img-alt",
        "error",
        FOOTER,
        "badge.png",
        "badge.png",
    ),
    (
        "img-no-width",
        footer_html('<img src="https://cdn.example.com/badge.png" alt="">'),
        "a11y/img-width",
        "warning",
        FOOTER,
        "badge.png",
        "badge.png",
    ),
    (
        "table-no-role",
        footer_html("<table><tr><td>Opening hours</td></tr></table>"),
        "a11y/table-role",
        "error",
        FOOTER,
        "<table><tr><td>Opening",
        "<table>",
    ),
    (
        "two-h1",
        footer_html("<h1>Thank you</h1>"),
        "a11y/heading-h1",
        "error",
        FOOTER,
        "<h1>Thank you</h1>",
        "<h1>Thank you</h1>",
    ),
    (
        "skipped-level",
        chronic_body("#### Sleep and pain\n\nSleep matters."),
        "a11y/heading-order",
        "error",
        CHRONIC,
        "#### Sleep and pain",
        "<h5>",
    ),
    (
        "click-here",
        chronic_body("To learn about pain, [click here](https://www.cdc.gov/)."),
        "a11y/link-text",
        "error",
        CHRONIC,
        "click here",
        "click here",
    ),
    ("contrast", theme('muted: "#AAAAAA"'), "a11y/contrast", "error", CLINIC, "#AAAAAA", None),
    (
        "contrast-small-text",
        footer_html('<p style="color:#888888">Small grey print.</p>'),
        "a11y/contrast",
        "error",
        FOOTER,
        "#888888",
        "Small grey print",
    ),
    (
        "cure",
        chronic_body("Ketamine cures chronic pain."),
        "health/absolute-claim",
        "error",
        CHRONIC,
        "Ketamine cures",
        None,
    ),
    (
        "guaranteed-subject",
        subject("Guaranteed relief from pain"),
        "health/absolute-claim",
        "error",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "extra-word",
        both(settings("  absolute_words: [breakthrough]\n"), chronic_body("A breakthrough.")),
        "health/absolute-claim",
        "error",
        CHRONIC,
        "breakthrough",
        None,
    ),
    (
        "fda",
        chronic_body("Ketamine is FDA-approved for\nchronic pain."),
        "health/fda-ketamine",
        "error",
        CHRONIC,
        "Ketamine is FDA-approved",
        None,
    ),
    (
        "fda-next-sentence",
        chronic_body("We offer ketamine. It is FDA-cleared for pain."),
        "health/fda-ketamine",
        "error",
        CHRONIC,
        "FDA-cleared",
        None,
    ),
    # "4 million" in the body: line 22 of the sample, 19 once the 3 lines of sources are gone
    ("stat-no-source", no_fibro_sources, "health/statistic-source", "error", FIBRO, 19, None),
    ("quote-unlisted", unlisted_quote, "health/testimonial", "error", CHRONIC, "says Maria", None),
    (
        "testimonial-no-consent",
        consentless_testimonial,
        "health/testimonial",
        "error",
        CHRONIC,
        "  - quote:",
        None,
    ),
    (
        "disclaimer-empty",
        short_disclaimer,
        "health/disclaimer",
        "error",
        CLINIC,
        "disclaimer: Not advice.",
        None,
    ),
    (
        "disclaimer-not-printed",
        no_disclaimer_in_footer,
        "health/disclaimer",
        "error",
        LAYOUT,
        None,
        "footer",
    ),
    (
        "your-migraines",
        subject("Your migraines can get better"),
        "health/condition-subject",
        "error",
        ISSUE,
        "subject:",
        None,
    ),
    (
        "you-have",
        preheader("You have suffered long enough: here is what chronic pain is."),
        "health/condition-subject",
        "error",
        ISSUE,
        "preheader:",
        None,
    ),
    ("review-old", old_review, "hygiene/review-age", "error", CHRONIC, "reviewed_on:", None),
    ("review-missing", no_review, "hygiene/review-age", "error", CHRONIC, "reviewed_by:", None),
    (
        "reading-level",
        hard_to_read,
        "hygiene/reading-level",
        "warning",
        FIBRO,
        "Its aetiology remains",
        None,
    ),
    ("image-size", big_image, "hygiene/image-size", "error", CHRONIC, "image:", None),
    (
        "placeholder-in-front-matter",
        lambda root: edit(root, CHRONIC, "title: When", "title: TODO When"),
        "hygiene/placeholder",
        "error",
        CHRONIC,
        "title: TODO When",
        None,
    ),
    (
        "placeholder-in-body",
        lambda root: append(root, CHRONIC, "\nTODO: a closing paragraph.\n"),
        "hygiene/placeholder",
        "error",
        CHRONIC,
        "TODO: a closing paragraph.",
        None,
    ),
    (
        "placeholder-in-issue",
        lambda root: edit(
            root, ISSUE, "featured: chronic-pain", "featured: chronic-pain\ntitle: TODO"
        ),
        "hygiene/placeholder",
        "error",
        ISSUE,
        "title: TODO",
        None,
    ),
    (
        "pipe-paragraph",
        lambda root: append(root, CHRONIC, "\n| Stage | When |\n| Aura | Before |\n"),
        "inbox/pipe-table",
        "warning",
        CHRONIC,
        "| Stage | When |",
        None,
    ),
    (
        "negative-margin",
        lambda root: edit(root, CHECKLIST, 'style="width:30px;', 'style="margin-left:-30px;'),
        "inbox/dropped-css",
        "warning",
        CHECKLIST,
        "margin-left:-30px",
        "<td",
    ),
    (
        "position-absolute",
        lambda root: edit(root, CHECKLIST, 'style="width:30px;', 'style="position:absolute;'),
        "inbox/dropped-css",
        "warning",
        CHECKLIST,
        "position:absolute",
        "<td",
    ),
    (
        "ghost-wider-than-cell",
        lambda root: edit(root, CARDS, '<mj-divider padding="0px ', '<mj-divider padding="0 '),
        "inbox/ghost-width",
        "warning",
        CARDS,
        '<mj-divider padding="0 ',
        "Outlook",
    ),
    (
        "font-declared-under-another-name",
        both(
            lambda root: edit(root, BASE, 'name="{{ families[0]', 'name="Brand" x="{{ families[0]'),
            lambda root: edit(
                root, CLINIC, "theme:\n", "theme:\n  web_font_url: https://fonts.example/css\n"
            ),
        ),
        "inbox/unused-font",
        "warning",
        CLINIC,
        "theme:",
        None,
    ),
    ("dark-opaque-logo", dark_opaque_logo, "inbox/logo-dark", "warning", CLINIC, "logo:", "<img"),
    (
        "remote-image-without-height",
        chronic_body("![A chart of pain scores](https://cdn.example.com/chart.png)"),
        "inbox/img-dimensions",
        "warning",
        CHRONIC,
        "chart.png",
        "<img",
    ),
    (
        "unknown-disabled",
        settings("  disable: [a11y/img-alts]\n"),
        "lint/unknown-rule",
        "error",
        CLINIC,
        "disable:",
        None,
    ),
]


@pytest.mark.parametrize(
    ("edit_project", "rule", "severity", "path", "line", "element"),
    [t[1:] for t in TRIGGERS],
    ids=[t[0] for t in TRIGGERS],
)
def test_rule_triggers(
    sample: Path,
    edit_project: Edit,
    rule: str,
    severity: str,
    path: str,
    line: int | str | None,
    element: str | None,
) -> None:
    edit_project(sample)
    found = of(check(sample), rule)
    assert found, f"{rule} did not trigger"
    expected_line = line_of(sample, path, line) if isinstance(line, str) else line
    located = [f for f in found if rel(sample, f) == path and f.line == expected_line]
    assert located, f"{rule} found at {[(rel(sample, f), f.line) for f in found]}"
    first = located[0]
    assert first.severity == severity
    if element is not None:
        assert first.element is not None and element in first.element
    assert first.message and not first.message.endswith(".")


def test_a_rule_id_unknown_to_disable_names_the_closest(sample: Path) -> None:
    settings("  disable: [a11y/img-alts]\n")(sample)
    (finding,) = of(check(sample), "lint/unknown-rule")
    assert "did you mean 'a11y/img-alt'?" in finding.message


# ---------------------------------------------------------------- does not trigger

PASSES: list[tuple[str, Edit, str]] = [
    (
        "todo-in-a-yaml-comment",
        lambda root: append(root, ISSUE, "# TODO next month: a winter issue\n"),
        "hygiene/placeholder",
    ),
    (
        "todo-inside-a-word",
        lambda root: append(root, CHRONIC, "\nA TODOS list is not a placeholder.\n"),
        "hygiene/placeholder",
    ),
    (
        "no-cure-is-honest",
        chronic_body("There is no cure for chronic pain yet."),
        "health/absolute-claim",
    ),
    (
        "cure-in-a-link-address",
        chronic_body("See [CDC advice](https://www.cdc.gov/cure-x)."),
        "health/absolute-claim",
    ),
    (
        "esketamine",
        chronic_body("Esketamine (Spravato) is FDA-approved for depression."),
        "health/fda-ketamine",
    ),
    (
        "ketamine-anesthetic",
        chronic_body("Ketamine is FDA-approved as an anesthetic."),
        "health/fda-ketamine",
    ),
    (
        "stat-with-sources",
        chronic_body("About 1 in 5 adults lives with chronic pain."),
        "health/statistic-source",
    ),
    (
        "testimonial-with-authorization",
        both(
            consentless_testimonial,
            lambda root: edit(
                root,
                CHRONIC,
                "    name: Maria\n",
                "    name: Maria\n    signed_on: 2026-09-01\n    expires_on: 2099-09-01\n"
                "    scope: both\n    document: EHR scans\n    connection: none\n",
            ),
        ),
        "health/testimonial",
    ),
    ("short-quote", chronic_body('Some call it "brain fog" for short.'), "health/testimonial"),
    ("condition-not-reader", subject("Migraine: what can help"), "health/condition-subject"),
    (
        "disclaimer-with-a-link",
        clinic_field(
            "This newsletter is for general information",
            "This [newsletter](https://www.ketamineclinicwtx.example/about) is for general "
            "information",
        ),
        "health/disclaimer",
    ),
    (
        "subject-50",
        subject("When does pain become chronic? A short guide"),
        "deliverability/subject-length",
    ),
    (
        "https-link",
        intro("See [our blog](https://blog.example.com/)."),
        "deliverability/link-scheme",
    ),
    (
        "platform-tag",
        footer_html('<a href="*|ARCHIVE|*">Archive of past issues</a>'),
        "deliverability/link-scheme",
    ),
    (
        "url-text-same-site",
        chronic_body("Visit [www.cdc.gov](https://www.cdc.gov/pain/)."),
        "deliverability/link-text-domain",
    ),
    (
        "descriptive-link",
        chronic_body("Read [the CDC's advice on pain](https://www.cdc.gov/)."),
        "a11y/link-text",
    ),
    (
        "data-table",
        footer_html("<table><tr><th>Day</th></tr><tr><td>Mon</td></tr></table>"),
        "a11y/table-role",
    ),
    (
        "decorative-img",
        footer_html('<img src="https://cdn.example.com/b.png" alt="" width="4">'),
        "a11y/img-alt",
    ),
    (
        "large-text-3-to-1",
        footer_html('<p style="color:#888888;font-size:24px">Big grey</p>'),
        "a11y/contrast",
    ),
    (
        "bold-19px-3-to-1",
        footer_html('<p style="color:#888888;font-size:19px;font-weight:bold">Bold grey</p>'),
        "a11y/contrast",
    ),
    (
        "hidden-low-contrast",
        footer_html('<div style="display:none;color:#EEEEEE">x y</div>'),
        "a11y/contrast",
    ),
    (
        "grade-limit-raised",
        both(hard_to_read, settings("  reading_grade_max: 16\n")),
        "hygiene/reading-level",
    ),
    (
        "disabled",
        both(hard_to_read, settings("  disable: [hygiene/reading-level]\n")),
        "hygiene/reading-level",
    ),
    (
        "review-within-limit",
        lambda root: edit(root, CHRONIC, "reviewed_on: 2026-10-15", "reviewed_on: 2025-11-05"),
        "hygiene/review-age",
    ),
    (
        "image-limit-raised",
        both(big_image, settings("  image_max_kb: 2048\n")),
        "hygiene/image-size",
    ),
    (
        "allowed-in-article",
        both(
            hard_to_read,
            lambda root: edit(
                root,
                FIBRO,
                "reviewed_by:",
                "lint_allow:\n  - rule: hygiene/reading-level\n"
                "    text: multidisciplinary pharmacological\n"
                "    reason: Terms the reader needs\nreviewed_by:",
            ),
        ),
        "hygiene/reading-level",
    ),
    (
        "allowed-in-issue",
        both(
            subject("Guaranteed relief from pain"),
            lambda root: append(
                root, ISSUE, "lint_allow:\n  - rule: health/absolute-claim\n    reason: test\n"
            ),
        ),
        "health/absolute-claim",
    ),
]


@pytest.mark.parametrize(
    ("edit_project", "rule"), [p[1:] for p in PASSES], ids=[p[0] for p in PASSES]
)
def test_rule_does_not_trigger(sample: Path, edit_project: Edit, rule: str) -> None:
    edit_project(sample)
    assert of(check(sample), rule) == []


# ---------------------------------------------------------------- overrides


def test_lint_allow_for_another_sentence_does_not_hide_the_finding(sample: Path) -> None:
    hard_to_read(sample)
    edit(
        root := sample,
        FIBRO,
        "reviewed_by:",
        "lint_allow:\n  - rule: hygiene/reading-level\n    text: not in the article\n"
        "    reason: x\nreviewed_by:",
    )
    assert len(of(check(root), "hygiene/reading-level")) == 1


@pytest.mark.parametrize(
    ("rule", "message"),
    [("law/unsubscribe", "cannot be allowed"), ("health/absolut-claim", "did you mean")],
)
def test_lint_allow_refuses_the_law_and_unknown_rules(
    sample: Path, rule: str, message: str
) -> None:
    edit(
        sample, FIBRO, "reviewed_by:", f"lint_allow:\n  - rule: {rule}\n    reason: x\nreviewed_by:"
    )
    (finding,) = of(check(sample), "lint/unknown-rule")
    assert finding.severity == "error"
    assert rel(sample, finding) == FIBRO and finding.line == line_of(sample, FIBRO, "lint_allow:")
    assert message in finding.message


# ---------------------------------------------------------------- refusing to go out


def test_the_errors_policy_passes_warnings_and_refuses_an_error(sample: Path) -> None:
    hard_to_read(sample)
    checked = build_and_check(sample, policy=Policy.ERRORS)
    assert {f.severity for f in checked.all_findings} == {"warning"}
    with pytest.raises(ChecksFailed) as strict:
        build_and_check(sample, policy=Policy.WARNINGS)
    assert {f.severity for f in strict.value.findings} == {"warning"}
    subject("Your migraines can get better")(sample)
    assert build_and_check(sample, policy=Policy.REPORT).all_findings  # reported, not raised
    with pytest.raises(NewsletterError) as caught:
        build_and_check(sample, policy=Policy.ERRORS)
    first = caught.value.problems[0]
    assert first.path == sample / ISSUE and first.line == 2
    assert first.rule == "health/condition-subject"
    assert "error [health/condition-subject]" in first.format()
    assert "check error" in caught.value.problems[-1].message


def test_no_module_of_the_checks_imports_the_pipeline() -> None:
    """lint/ needs BuiltIssue only; the pipeline runs the checks, never the other way round."""
    import ast

    package = Path(lint.__file__).parent
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(
                n.split(".")[-1] == "pipeline" or ".pipeline" in n or n == "pipeline" for n in names
            ), f"{path.name}:{node.lineno} imports the pipeline"


# ---------------------------------------------------------------- helpers


def test_wcag_contrast_formula() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert parse_colour("#abc") == (170, 187, 204)
    assert parse_colour("rgb(1, 2, 3)") == (1, 2, 3)
    assert parse_colour("rgba(1, 2, 3, 0.5)") is None


def test_reading_grade_orders_texts_by_difficulty() -> None:
    easy, _ = reading_grade("The cat sat on the mat. It was warm. We had tea.")
    hard, span = reading_grade(
        "Neuroinflammatory mechanisms contribute substantially to the pathophysiology of "
        "centralized sensitization syndromes, complicating therapeutic decision-making."
    )
    assert easy < 2 < 14 < hard
    assert span is not None and span[0] == 0


def test_add_months_clamps_the_day() -> None:
    import datetime as dt

    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 11, 5), 12) == dt.date(2026, 11, 5)
