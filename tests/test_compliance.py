"""Health-marketing compliance: testimonial authorizations (HIPAA 45 CFR 164.508(c), FTC 16 CFR
255/465), sponsored content (45 CFR 164.501, 164.508(a)(3)) and Business Associate Agreements
for subscriber lists with health data (45 CFR 164.502(e))."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletters import lint
from newsletters.__main__ import cli
from newsletters.errors import Problem
from newsletters.export import BAA, NAMES, PLATFORMS
from newsletters.pipeline import build

from .conftest import claim_sample, copy_sample

CHRONIC = "content/articles/chronic-pain.md"
ISSUE = "content/issues/2026-11.yaml"
CLINIC = "content/clinic.yaml"
QUOTE = "After three sessions I could finally sleep through the night"
GOOD = {
    "name": "Maria G., patient",
    "signed_on": "2026-09-01",
    "expires_on": "2099-09-01",
    "scope": "both",
    "document": "EHR, scanned authorization forms",
    "connection": "free treatment",
}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return claim_sample(copy_sample(tmp_path / "clinic"))  # placeholders block export/send


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture out of date: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def quote_with(root: Path, quoted: str = "blockquote", **fields: str | None) -> None:
    """The chronic-pain article quotes Maria; `fields` replace the entry's (None removes)."""
    entry = {**GOOD, **fields}
    lines = [f'  - quote: "{QUOTE}"'] + [
        f"    {key}: {value}" for key, value in entry.items() if value is not None
    ]
    edit(root, CHRONIC, "reviewed_by:", "testimonials:\n" + "\n".join(lines) + "\nreviewed_by:")
    body = f'> "{QUOTE}."' if quoted == "blockquote" else f'One patient told us: "{QUOTE}."'
    edit(root, CHRONIC, "## Is it affecting your life?", body + "\n\n## Is it affecting your life?")


def findings(root: Path, rule: str) -> list[Problem]:
    project, built, _ = build(root)
    return [f for f in lint.run_checks(project, built[0]) if f.rule == rule]


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


# ---------------------------------------------------------------- testimonials


def test_a_complete_authorization_passes_and_the_email_attributes_the_quote(sample: Path) -> None:
    quote_with(sample)
    assert findings(sample, "health/testimonial") == []
    _, built, _ = build(sample)
    html, text = built[0].html, built[0].text
    line = "— Maria G., patient (received treatment free of charge)"
    assert line in html and 'class="nl-attribution"' in html
    assert f"> {line}" in text  # inside the text part's blockquote, right after the quote
    assert text.index(QUOTE) < text.index(line) < text.index(QUOTE) + 200


def test_an_inline_quotation_is_attributed_after_its_paragraph(sample: Path) -> None:
    quote_with(sample, quoted="inline", connection="staff")
    assert findings(sample, "health/testimonial") == []
    _, built, _ = build(sample)
    assert "— Maria G., patient (works at our clinic)" in built[0].text
    assert "— Maria G., patient (works at our clinic)" in built[0].html


def test_no_connection_shows_the_name_only(sample: Path) -> None:
    quote_with(sample, connection="none")
    assert findings(sample, "health/testimonial") == []
    _, built, _ = build(sample)
    assert "— Maria G., patient\n" in built[0].text or "— Maria G., patient" in built[0].text
    assert "— Maria G., patient (" not in built[0].text


CASES: list[tuple[str, dict[str, str | None], str, str]] = [
    ("expired", {"expires_on": "2026-10-01"}, "error", "expired on 2026-10-01"),
    ("revoked", {"revoked_on": "2026-10-20"}, "error", "revoked the authorization on 2026-10-20"),
    ("web-only", {"scope": "web"}, "error", "covers the web only"),
    ("no-expiry", {"expires_on": None}, "error", "lacks expires_on or expires_when"),
    ("no-connection", {"connection": None}, "error", "lacks connection"),
    ("no-document", {"document": None}, "error", "lacks document"),
    ("blank-connection", {"connection": '""'}, "error", "lacks connection"),
    ("blank-name", {"name": '" "'}, "error", "lacks name"),
    ("unsigned", {"signed_on": None}, "error", "has no signed authorization"),
    ("signed-after-use", {"signed_on": "2099-01-01"}, "error", "after this use"),
    (
        "consent-on-only",
        {"signed_on": None, "consent_on": "2026-09-01", "scope": None, "document": None},
        "warning",
        "uses 'consent_on': rename it 'signed_on'; it also lacks scope, document",
    ),
]


@pytest.mark.parametrize(
    ("fields", "severity", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_authorization_problems_point_at_the_entry(
    sample: Path, fields: dict[str, str | None], severity: str, message: str
) -> None:
    quote_with(sample, **fields)
    found = findings(sample, "health/testimonial")
    assert [f.severity for f in found] == [severity], found
    (finding,) = found
    assert message in finding.message
    assert finding.path == sample / CHRONIC
    assert finding.line == line_of(sample, CHRONIC, "  - quote:")
    assert not finding.message.endswith(".")


def test_an_expiry_before_the_signing_date_is_an_error(sample: Path) -> None:
    quote_with(sample, signed_on="2026-09-01", expires_on="2026-03-01")
    messages = [f.message for f in findings(sample, "health/testimonial")]
    assert any("expires (2026-03-01) before it was signed (2026-09-01)" in m for m in messages)


def test_a_blank_sponsor_is_no_sponsor(sample: Path) -> None:
    edit(sample, ISSUE, "featured:", 'sponsored_by: "  "\nfeatured:')
    assert findings(sample, "health/sponsored") == []
    _, built, _ = build(sample)
    assert "Sponsored by" not in built[0].text


def test_expires_when_an_event_is_accepted(sample: Path) -> None:
    quote_with(sample, expires_on=None, expires_when='"the end of the 2027 campaign"')
    assert findings(sample, "health/testimonial") == []


def test_an_undisclosed_connection_is_an_error(sample: Path) -> None:
    """The quotation is in the issue's intro, which has no attribution line."""
    quote_with(sample)
    edit(sample, CHRONIC, f'> "{QUOTE}."', "")
    edit(sample, ISSUE, "intro: |\n", f'intro: |\n  "{QUOTE}," a patient told us.\n')
    found = findings(sample, "health/testimonial")
    assert found, "the missing disclosure was not found"
    assert {f.severity for f in found} == {"error"}
    assert any("does not show 'received treatment free of charge'" in f.message for f in found)


def test_a_template_that_drops_the_attribution_is_caught(sample: Path) -> None:
    quote_with(sample)
    edit(
        sample,
        "templates/partials/featured.mjml.j2",
        "{{ article.body_html }}",
        "{{ article.body_html | replace('— Maria G., patient (received treatment free of "
        "charge)', '') }}",
    )
    found = findings(sample, "health/testimonial")
    assert [f.message.split(" beside")[0] for f in found] == [
        "the HTML email does not show 'received treatment free of charge'"
    ]


# ---------------------------------------------------------------- sponsorship


def sponsor_issue(root: Path) -> None:
    edit(root, ISSUE, "featured:", "sponsored_by: Acme Pharma\nfeatured:")


def sponsor_article(root: Path) -> None:
    edit(root, CHRONIC, "reviewed_by:", "sponsored_by: Acme Devices\nreviewed_by:")


@pytest.mark.parametrize(
    ("apply", "path", "sponsor"),
    [(sponsor_issue, ISSUE, "Acme Pharma"), (sponsor_article, CHRONIC, "Acme Devices")],
    ids=["issue", "article"],
)
def test_sponsorship_is_labelled_in_html_and_text_and_explained(
    sample: Path, apply: Callable[[Path], None], path: str, sponsor: str
) -> None:
    apply(sample)
    _, built, _ = build(sample)
    assert f"<strong>Sponsored by {sponsor}</strong>" in built[0].html
    assert f"[Sponsored by {sponsor}]" in built[0].text
    (finding,) = findings(sample, "health/sponsored")
    assert finding.severity == "warning"
    assert "under HIPAA this is marketing" in finding.message
    assert "a list send is refused" in finding.message
    assert finding.path == sample / path and finding.line == line_of(sample, path, "sponsored_by")


def test_a_template_that_drops_the_sponsor_label_is_an_error(sample: Path) -> None:
    sponsor_article(sample)
    (sample / "templates/partials/sponsor.txt.j2").write_text("", encoding="utf-8")
    found = findings(sample, "health/sponsored")
    assert sorted(f.severity for f in found) == ["error", "warning"]
    assert any(
        "the text email does not say 'Sponsored by Acme Devices'" in f.message for f in found
    )


def send(root: Path, *args: str, **env: str) -> Any:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    settings = {
        "NEWSLETTER_UNSUBSCRIBE_SECRET": "test-secret-0123456789abcdef",
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": "9",
        "NEWSLETTER_SMTP_SECURITY": "none",
        **env,
    }
    return CliRunner().invoke(cli, ["-C", str(root), "send", *args], env={**clean, **settings})


@pytest.fixture
def readers(tmp_path: Path) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text("email,first_name\nana@example.com,Ana\n", encoding="utf-8")
    return path


def test_a_list_send_of_a_sponsored_issue_needs_recorded_marketing_authorization(
    sample: Path, readers: Path
) -> None:
    sponsor_issue(sample)
    result = send(sample, "2026-11", "--list", str(readers))
    assert result.exit_code == 1
    assert "sponsored by Acme Pharma" in result.output
    assert "marketing_authorization_on" in result.output
    assert not (sample / "dist" / "2026-11" / "outbox").exists()
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  marketing_authorization_on: 2026-06-01\n")
    result = send(sample, "2026-11", "--list", str(readers))  # the dry run now goes ahead
    assert result.exit_code == 0, result.output
    assert (sample / "dist" / "2026-11" / "outbox").is_dir()


def test_a_future_marketing_authorization_date_is_refused(sample: Path, readers: Path) -> None:
    sponsor_article(sample)
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  marketing_authorization_on: 2999-01-01\n")
    result = send(sample, "2026-11", "--list", str(readers))
    assert result.exit_code == 1
    assert "in the future" in result.output


# ---------------------------------------------------------------- BAA


def test_every_export_path_has_a_baa_entry_with_source_and_date() -> None:
    assert set(BAA) == set(NAMES)
    for name, baa in BAA.items():
        assert baa.source and baa.summary, name
        assert len(baa.checked) == 10 and baa.checked.startswith("20"), name
    assert BAA["mailchimp"].signs == "no"


def test_each_export_notes_the_baa_status(sample: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "all"])
    assert result.exit_code == 0, result.output
    for name in PLATFORMS:
        meta = json.loads((sample / "dist" / "2026-11" / "export" / name / "meta.json").read_text())
        assert meta["baa"]["signs"] == BAA[name].signs
        assert any(note.startswith("BAA: ") and "checked 2026-" in note for note in meta["notes"])


HEALTH_LIST = "email,first_name,Diagnosis\nana@example.com,Ana,migraine\n"


def test_export_warns_when_the_named_list_has_health_columns_and_no_baa(sample: Path) -> None:
    (sample / "content" / "subscribers.csv").write_text(HEALTH_LIST, encoding="utf-8")
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  subscriber_list: subscribers.csv\n  baa: [ses]\n")
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "mailchimp"])
    assert result.exit_code == 0, result.output
    assert "subscribers.csv has health columns (Diagnosis) and Mailchimp does not sign" in (
        result.output
    )
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "ses"])
    assert "health columns" not in result.output  # a BAA is recorded for SES
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "mailgun"])
    assert "has no Business Associate Agreement recorded" in result.output


def test_a_list_without_health_columns_gives_no_warning(sample: Path) -> None:
    (sample / "content" / "subscribers.csv").write_text("email,first_name\na@example.com,A\n")
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  subscriber_list: subscribers.csv\n")
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "mailchimp"])
    assert result.exit_code == 0 and "health columns" not in result.output


def test_send_warns_about_a_list_with_condition_columns(sample: Path, tmp_path: Path) -> None:
    readers = tmp_path / "patients.csv"
    readers.write_text("email,first_name,Migraine\nana@example.com,Ana,yes\n", encoding="utf-8")
    result = send(sample, "2026-11", "--list", str(readers))
    assert result.exit_code == 0, result.output
    assert "patients.csv has health columns (Migraine) and your SMTP provider has no" in (
        result.output
    )
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  baa: [smtp]\n")
    assert "health columns" not in send(sample, "2026-11", "--list", str(readers)).output


def test_a_subscriber_list_outside_content_is_refused(sample: Path) -> None:
    with (sample / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write("\ncompliance:\n  subscriber_list: ../../etc/passwd\n")
    result = CliRunner().invoke(cli, ["-C", str(sample), "export", "--platform", "mailchimp"])
    assert result.exit_code == 1
    assert "must be a file inside content/" in result.output


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scope": "newsletter"}, "covers the newsletter only, and the archive publishes"),
        ({"revoked_on": "2026-10-20"}, "revoked the authorization"),
    ],
    ids=["newsletter-only", "revoked"],
)
def test_the_archive_refuses_a_quotation_not_authorized_for_the_web(
    sample: Path, fields: dict[str, str], message: str
) -> None:
    quote_with(sample, **fields)
    before = sorted((sample / "dist").rglob("*")) if (sample / "dist").exists() else []
    result = CliRunner().invoke(cli, ["-C", str(sample), "archive"])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    after = sorted((sample / "dist").rglob("*")) if (sample / "dist").exists() else []
    assert after == before


def test_the_archive_publishes_a_quotation_authorized_for_both(sample: Path) -> None:
    quote_with(sample)
    result = CliRunner().invoke(cli, ["-C", str(sample), "archive"])
    assert result.exit_code == 0, result.output
    page = (sample / "dist" / "archive" / "2026-11" / "index.html").read_text()
    assert "— Maria G., patient (received treatment free of charge)" in page
