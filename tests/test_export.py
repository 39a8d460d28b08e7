"""`newsletter export`: platform merge tags, checks, zip, UTM links and the .eml proof."""

from __future__ import annotations

import email
import email.policy
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import merge
from newsletters.__main__ import cli
from newsletters.errors import NewsletterError
from newsletters.export import (
    PLATFORMS,
    ExportCheckFailed,
    deterministic_zip,
    export,
    verify,
    write_exports,
)
from newsletters.links import Utm, add_utm_html, add_utm_text, own_hosts, tag_url
from newsletters.mime import build_message

from .conftest import claim_sample, copy_sample

REPO = Path(__file__).resolve().parent.parent
SITE = "https://www.ketamineclinicwtx.com"

# What each platform's documentation says, written out here independently of the code.
# (unsubscribe, web version, preferences, first name); None: the platform has none.
EXPECTED = {
    "mailchimp": (
        "*|UNSUB|*",
        "*|ARCHIVE|*",
        "*|UPDATE_PROFILE|*",
        "*|IF:FNAME|**|FNAME|**|ELSE:|*there*|END:IF|*",
    ),
    "sendgrid": (
        "{{{unsubscribe}}}",
        "{{{weblink}}}",
        "{{{unsubscribe_preferences}}}",
        '{{insert first_name "default=there"}}',
    ),
    "mailgun": ("%unsubscribe_url%", None, None, "%recipient.first_name%"),
    "brevo": (
        "{{ unsubscribe }}",
        "{{ mirror }}",
        "{{ update_profile }}",
        '{{ contact.FIRSTNAME | default : "there" }}',
    ),
    "klaviyo": (
        "{% unsubscribe_link %}",
        "{% web_view_link %}",
        "{% manage_preferences_link %}",
        "{{ first_name|default:'there' }}",
    ),
    "ses": (
        "{{amazonSESUnsubscribeUrl}}",
        None,
        None,
        "{{#if first_name}}{{first_name}}{{else}}there{{/if}}",
    ),
    "postmark": (
        "{{{ pm:unsubscribe }}}",
        None,
        None,
        "{{#first_name}}{{first_name}}{{/first_name}}{{^first_name}}there{{/first_name}}",
    ),
    "listmonk": (
        "{{ UnsubscribeURL }}",
        "{{ MessageURL }}",
        "{{ UnsubscribeURL }}?manage=true",
        '{{ or .Subscriber.FirstName "there" }}',
    ),
}
CM_TEXT = ("[unsubscribe]", "[webversion]", "[preferences]", "[firstname,fallback=there]")
CLINIC_URLS = (
    f"{SITE}/newsletter/unsubscribe",
    f"{SITE}/newsletter/2026-11/",
    f"{SITE}/newsletter/preferences",
)
# Fragments only one platform writes: finding one in another platform's export is a bug.
SIGNATURES = {
    "mailchimp": ("*|",),
    "sendgrid": ("{{{unsubscribe", "{{{weblink", "{{insert"),
    "mailgun": ("%unsubscribe_url%", "%recipient."),
    "brevo": ("{{ unsubscribe }}", "{{ mirror }}", "contact.FIRSTNAME"),
    "klaviyo": ("{%", "|default:"),
    "campaign-monitor": ("<unsubscribe", "<webversion", "[unsubscribe]", "[firstname"),
    "ses": ("amazonSES", "{{#if"),
    "postmark": ("pm:unsubscribe", "{{^first_name}}"),
    "listmonk": ("UnsubscribeURL", "MessageURL", ".Subscriber."),
}
ENCODED = ("%7B", "%7D", "%7C", "%2A%7C", "&lt;%", "&lt;unsubscribe", "&amp;amp;", "&quot;there")


def make_project(root: Path) -> Path:
    return claim_sample(copy_sample(root))


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("clinic"))


@pytest.fixture(scope="module")
def exports(project_dir: Path) -> dict[str, dict[str, bytes]]:
    names = [*PLATFORMS, "eml"]
    result, _ = export(project_dir, ["2026-11"], names)
    return {item.platform: item.files for item in result}


def docs(files: dict[str, bytes]) -> tuple[str, str]:
    return files["email.html"].decode(), files["email.txt"].decode()


# ---------------------------------------------------------------- tags


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_expected_tags_appear_exactly(exports: dict[str, dict[str, bytes]], platform: str) -> None:
    html_doc, text = docs(exports[platform])
    unsub, web, prefs, first = EXPECTED[platform]
    for doc in (html_doc, text):
        assert unsub in doc
        assert first in doc
        assert "__NL_MERGE_" not in doc
        for tag in (web, prefs):
            if tag is not None:
                assert tag in doc
    assert f'href="{unsub}"' in html_doc
    if web is not None:
        assert f'href="{web}"' in html_doc
    else:  # the clinic's own page stands in, and meta.json says so
        assert f'href="{CLINIC_URLS[1]}"' in html_doc
        meta = json.loads(exports[platform]["meta.json"])
        assert any("no web-version" in note for note in meta["notes"])
    assert f"Hello {first}," in text


@pytest.mark.parametrize("platform", sorted(SIGNATURES))
def test_no_other_platform_syntax(exports: dict[str, dict[str, bytes]], platform: str) -> None:
    html_doc, text = docs(exports[platform])
    for other, fragments in SIGNATURES.items():
        if other == platform:
            continue
        for fragment in fragments:
            assert fragment not in html_doc, (other, fragment)
            assert fragment not in text, (other, fragment)


@pytest.mark.parametrize("platform", [*sorted(SIGNATURES), "html"])
def test_nothing_encoded(exports: dict[str, dict[str, bytes]], platform: str) -> None:
    html_doc, text = docs(exports[platform])
    for doc in (html_doc, text):
        for sign in ENCODED:
            assert sign.lower() not in doc.lower(), sign
        assert "nl-article" not in doc


def test_campaign_monitor_writes_elements_not_links(exports: dict[str, dict[str, bytes]]) -> None:
    html_doc, text = docs(exports["campaign-monitor"])
    assert "Unsubscribe</unsubscribe>" in html_doc
    assert ">View this email in your browser</webversion>" in html_doc
    assert "Email preferences</preferences>" in html_doc
    assert 'href="unsubscribe"' not in html_doc and 'href="<' not in html_doc
    assert "Hello [firstname,fallback=there]," in html_doc
    for tag in CM_TEXT:
        assert tag in text


def test_html_platform_uses_the_clinics_own_links(exports: dict[str, dict[str, bytes]]) -> None:
    html_doc, text = docs(exports["html"])
    for url in CLINIC_URLS:
        assert f'href="{url}"' in html_doc
        assert url in text
    assert "Hello there," in text
    for fragments in SIGNATURES.values():
        for fragment in fragments:
            assert fragment not in html_doc


def test_meta_describes_the_send(exports: dict[str, dict[str, bytes]]) -> None:
    meta = json.loads(exports["mailchimp"]["meta.json"])
    assert meta["subject"] == "When does pain become chronic?"
    assert meta["preheader"].startswith("How to tell when pain")
    assert meta["from_name"] == "Ketamine Clinic of West Texas"
    assert meta["from_email"] == "news@ketamineclinicwtx.com"
    assert meta["reply_to"] == "care@ketamineclinicwtx.com"
    assert meta["platform"] == "mailchimp"
    assert meta["tags"]["unsubscribe_url"] == "*|UNSUB|*"


# ---------------------------------------------------------------- checks


def _built(project_dir: Path):  # type: ignore[no-untyped-def]
    from newsletters.pipeline import build

    _, built, _ = build(project_dir, ["2026-11"])
    return built[0]


def test_check_fails_on_missing_encoded_or_foreign_tags(
    project_dir: Path, exports: dict[str, dict[str, bytes]]
) -> None:
    built = _built(project_dir)
    platform = PLATFORMS["mailchimp"].greeting("there")
    html_doc, text = docs(exports["mailchimp"])
    verify(platform, built, html_doc, text)  # the real export passes
    broken = {
        "missing": html_doc.replace("*|UNSUB|*", "https://example.com/"),
        "url-encoded": html_doc.replace("*|UNSUB|*", "%2A%7CUNSUB%7C%2A"),
        "foreign": html_doc.replace("</body>", "{% unsubscribe_link %}</body>"),
        "placeholder": html_doc.replace("</body>", merge.placeholder("first_name") + "</body>"),
    }
    for why, doc in broken.items():
        with pytest.raises(ExportCheckFailed) as caught:
            verify(platform, built, doc, text)
        message = str(caught.value)
        assert "Mailchimp" in message and "bug" in message, why


def test_template_without_unsubscribe_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    footer = root / "templates/partials/footer.mjml.j2"
    footer.write_text(
        footer.read_text().replace('<a href="{{ merge.unsubscribe_url }}">Unsubscribe</a>', "")
    )
    result = CliRunner().invoke(cli, ["-C", str(root), "export", "--platform", "mailchimp"])
    assert result.exit_code == 1
    # The checks of `newsletter lint` refuse it before any file is written.
    assert "digest.mjml.j2: error [law/unsubscribe" in result.output
    assert "open problem, so export for mailchimp is refused; fix them first" in result.output
    assert not (root / "dist").exists()


def test_failed_export_keeps_the_previous_output(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["-C", str(root), "export", "--platform", "brevo"])
    assert first.exit_code == 0, first.output
    target = root / "dist/2026-11/export/brevo/email.html"
    before = target.read_bytes()
    issue = root / "content/issues/2026-11.yaml"
    issue.write_text(issue.read_text().replace("featured: chronic-pain", "featured: nope"))
    second = runner.invoke(cli, ["-C", str(root), "export", "--platform", "brevo"])
    assert second.exit_code == 1
    assert "2026-11.yaml:" in second.output and "no article 'nope'" in second.output
    assert target.read_bytes() == before


# ---------------------------------------------------------------- zip and files


@pytest.mark.parametrize("platform", [*sorted(SIGNATURES), "html"])
def test_zip_holds_what_meta_lists(exports: dict[str, dict[str, bytes]], platform: str) -> None:
    files = exports[platform]
    meta = json.loads(files["meta.json"])
    assert set(meta["files"]) == set(files)
    # the logo as the email shows it (logo.py) is one of the package's images
    assert "images/logo.plate.png" in meta["images"]
    carried = dict(files)
    for name in (n for n in files if n.endswith(".zip")):
        with zipfile.ZipFile(__import__("io").BytesIO(files[name])) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            assert names == sorted(names)
            if "images" not in name:  # the bundle (Campaign Monitor has only an images zip)
                assert set(names) == set(meta["zip_files"])
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            carried |= {f"{name}:{n}": archive.read(n) for n in names}
    dark = (REPO / "content/images/logo-dark.png").read_bytes() + b"clinic's own"
    assert dark in carried.values()  # claim_sample's stand-in travels in the package


def test_zip_is_deterministic() -> None:
    files = {"b.txt": b"two", "a.txt": b"one"}
    assert deterministic_zip(files) == deterministic_zip(dict(reversed(files.items())))


def test_cli_writes_every_platform(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = CliRunner().invoke(cli, ["-C", str(root), "export", "2026-11", "--platform", "all"])
    assert result.exit_code == 0, result.output
    for name in [*PLATFORMS]:
        folder = root / "dist/2026-11/export" / name
        names = {p.name for p in folder.iterdir()}
        assert {"email.html", "email.txt", "meta.json", "README.txt"} <= names
        assert names & {f"2026-11-{name}.zip", f"2026-11-{name}-images.zip"}
    assert (root / "dist/2026-11/export/eml/2026-11.eml").is_file()
    assert "Mailgun has no web-version ('view in browser') tag" in result.output
    again = CliRunner().invoke(cli, ["-C", str(root), "export", "--platform", "all"])
    assert again.exit_code == 0
    zip_path = root / "dist/2026-11/export/sendgrid/2026-11-sendgrid.zip"
    first = zip_path.read_bytes()
    write_exports(export(root, [], ["sendgrid"])[0])
    assert zip_path.read_bytes() == first


def test_cli_rejects_unknown_platform(project_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(project_dir), "export", "--platform", "mailchump"])
    assert result.exit_code == 2
    assert "mailchimp" in result.output


# ---------------------------------------------------------------- UTM

UTM = Utm(
    source="newsletter",
    medium="email",
    campaign="2026-11",
    hosts=own_hosts(SITE + "/", ["book.example.org"]),
    article_urls={f"{SITE}/blog/crps": "crps"},
)


def test_utm_on_own_domains_only() -> None:
    tagged = tag_url(f"{SITE}/pain", UTM, None)
    assert tagged == f"{SITE}/pain?utm_source=newsletter&utm_medium=email&utm_campaign=2026-11"
    assert "utm_source" in tag_url("https://ketamineclinicwtx.com/", UTM, None)
    assert "utm_source" in tag_url("https://book.example.org/visit", UTM, None)
    for url in (
        "https://www.mayoclinic.org/x",
        "https://evil.ketamineclinicwtx.com.net/",
        "mailto:care@ketamineclinicwtx.com",
        "tel:+18065550142",
        "*|UNSUB|*",
        "{{ unsubscribe }}",
        "__NL_MERGE_UNSUBSCRIBE_URL__",
    ):
        assert tag_url(url, UTM, "crps") == url


def test_utm_keeps_existing_query_and_parameters() -> None:
    assert tag_url(f"{SITE}/p?a=1&b=two#top", UTM, None) == (
        f"{SITE}/p?a=1&b=two&utm_source=newsletter&utm_medium=email&utm_campaign=2026-11#top"
    )
    kept = tag_url(f"{SITE}/p?utm_source=facebook", UTM, None)
    assert kept.count("utm_source") == 1 and "utm_source=facebook" in kept


def test_utm_html_escapes_ampersands_and_marks_articles() -> None:
    doc = (
        f'<a href="{SITE}/p?a=1&amp;b=2">x</a>'
        "<!-- nl-article:migraine -->"
        f'<a class="c" href="{SITE}/q">y</a><a href="https://other.example/">z</a>'
        "<!-- /nl-article -->"
        f'<a href="{SITE}/blog/crps">crps</a><a href="__NL_MERGE_UNSUBSCRIBE_URL__">u</a>'
    )
    out = add_utm_html(doc, UTM)
    base = "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2026-11"
    assert f'href="{SITE}/p?a=1&amp;b=2&amp;{base}"' in out
    assert f'class="c" href="{SITE}/q?{base}&amp;utm_content=migraine"' in out
    assert 'href="https://other.example/"' in out
    assert f'href="{SITE}/blog/crps?{base}&amp;utm_content=crps"' in out
    assert 'href="__NL_MERGE_UNSUBSCRIBE_URL__"' in out
    assert "&amp;amp;" not in out


def test_utm_in_text_leaves_punctuation_alone() -> None:
    out = add_utm_text(f"See {SITE}/x. Or <{SITE}/blog/crps>, or mailto:a@b.example.", UTM)
    assert f"{SITE}/x?utm_source=newsletter&utm_medium=email&utm_campaign=2026-11. " in out
    assert "/blog/crps?utm_source=newsletter&utm_medium=email&utm_campaign=2026-11" in out
    assert "utm_content=crps>," in out
    assert "mailto:a@b.example." in out


def test_exported_links_carry_utm_except_merge_links(exports: dict[str, dict[str, bytes]]) -> None:
    html_doc, text = docs(exports["mailgun"])
    assert f"{SITE}/blog/crps?utm_source=newsletter&utm_medium=email" in text
    assert f'href="{SITE}/blog/crps?utm_source=newsletter&amp;' in html_doc
    assert "utm_content=crps" in html_doc
    # The clinic's own pages standing in for missing merge tags stay untouched.
    assert f'href="{CLINIC_URLS[1]}"' in html_doc
    assert f'href="{CLINIC_URLS[2]}"' in html_doc
    assert 'href="https://www.mayoclinic.org/chronic-pain-medication-decisions/art-20360371"' in (
        html_doc
    )


def test_utm_can_be_turned_off(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    clinic = root / "content/clinic.yaml"
    clinic.write_text(clinic.read_text() + "\nexport:\n  utm: false\n")
    (item,), _ = export(root, [], ["klaviyo"])
    assert b"utm_" not in item.files["email.html"]


def test_unknown_export_setting_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    clinic = root / "content/clinic.yaml"
    clinic.write_text(clinic.read_text() + "\nexport:\n  utm_sorce: clinic\n")
    with pytest.raises(NewsletterError) as caught:
        export(root, [], ["klaviyo"])
    assert "did you mean 'utm_source'?" in str(caught.value)


# ---------------------------------------------------------------- eml


def test_eml_is_a_complete_message(exports: dict[str, dict[str, bytes]]) -> None:
    raw = exports["eml"]["2026-11.eml"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]  # type: ignore[attr-defined]
    assert parts == ["text/plain", "text/html"]
    assert message["List-Unsubscribe"] == f"<{SITE}/newsletter/unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == "When does pain become chronic?"
    assert message["Date"] == "Thu, 05 Nov 2026 00:00:00 +0000"
    assert message["Message-ID"].endswith("@ketamineclinicwtx.com>")
    assert message["From"].addresses[0].addr_spec == "news@ketamineclinicwtx.com"
    html_part = message.get_body(("html",))
    assert html_part is not None
    assert f'href="{SITE}/newsletter/unsubscribe"' in html_part.get_content()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_long_list_unsubscribe_is_not_encoded() -> None:
    import datetime as dt

    url = "https://www.ketamineclinicwtx.com/newsletter/unsubscribe?token=" + "a" * 120
    message = build_message(
        html="<p>Hi</p>",
        text="Hi",
        subject="Pain, explained: café edition",
        from_name="Clínica",
        from_address="news@example.com",
        to="reader@example.com",
        date=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
        message_id="<x@example.com>",
        list_unsubscribe_url=url,
        list_unsubscribe_mailto="leave@example.com",
    )
    raw = message.as_bytes()
    assert (
        f"List-Unsubscribe: <{url}>, <mailto:leave@example.com?subject=unsubscribe>".encode()
        in (raw)
    )
    assert b"Subject: Pain, explained: =?utf-8?q?caf" in raw  # non-ASCII: RFC 2047
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Pain, explained: café edition"
    assert raw == message.as_bytes()


def test_campaign_monitor_needs_unsubscribe_as_a_link(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    footer = root / "templates/partials/footer.mjml.j2"
    footer.write_text(
        footer.read_text().replace(
            "<p>{{ clinic.why_received }}</p>",
            "<p>{{ clinic.why_received }} Leave: {{ merge.unsubscribe_url }}</p>",
        )
    )
    (mailchimp,), _ = export(root, [], ["mailchimp"])
    assert b"Leave: *|UNSUB|*" in mailchimp.files["email.html"]
    with pytest.raises(NewsletterError) as caught:
        export(root, [], ["campaign-monitor"])
    message = str(caught.value)
    assert "<unsubscribe> element" in message and "only as a link's href" in message


def test_first_name_tag_with_quotes_is_refused_in_an_attribute(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    layout = root / "templates/layouts/digest.mjml.j2"
    layout.write_text(
        layout.read_text().replace(
            "<p>Hello {{ merge.first_name }},</p>", '<p title="{{ merge.first_name }}">Hello,</p>'
        )
    )
    (klaviyo,), _ = export(root, [], ["klaviyo"])  # single quotes: fine in an attribute
    assert b"title=\"{{ first_name|default:'there' }}\"" in klaviyo.files["email.html"]
    with pytest.raises(NewsletterError) as caught:
        export(root, [], ["sendgrid"])
    assert "inside an HTML attribute" in str(caught.value)


def test_ordinary_words_are_not_mistaken_for_tags(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    issue = root / "content/issues/2026-11.yaml"
    issue.write_text(
        issue.read_text().replace(
            "intro: |\n",
            "intro: |\n  Questions? Get in contact. Rates went up 10% (see [our page][1]).\n\n"
            "  [1]: https://www.ketamineclinicwtx.com/rates?a=1&b=2\n\n",
        )
    )
    exports, _ = export(root, [], [*PLATFORMS, "eml"])
    html_doc = exports[0].files["email.html"].decode()
    assert "Get in contact." in html_doc
    assert "rates?a=1&amp;b=2&amp;utm_source=newsletter" in html_doc
