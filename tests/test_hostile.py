"""Hostile input (issue 13): every path confined, every text escaped for where it goes.

Each test is one way in: a path that leaves content/, a special file, a template-engine
sequence for one platform, a forged placeholder, a value that would end its CSS or header.
Every one must end in a clean `path:line: message` (exit 1) or in inert output, never in a
file read from outside the project, a write outside the output folder or a traceback.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletters.__main__ import cli
from newsletters.export import DIALECTS, PLATFORMS, WORD_JOINER

from .conftest import claim_sample, copy_sample


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample with its placeholders replaced: export and list sends refuse placeholders."""
    return claim_sample(copy_sample(tmp_path / "project"))


ISSUE = "2026-11"
FEATURED = "content/articles/chronic-pain.md"


def run(project: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def append(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def set_field(project: Path, relative: str, field: str, value: str) -> None:
    """Replace a top-level `field:` line (or add it) in a YAML file or front matter."""
    path = project / relative
    text = path.read_text(encoding="utf-8")
    line = f"{field}: {value}"
    if re.search(rf"^{field}:.*$", text, re.M):
        text = re.sub(rf"^{field}:.*$", lambda m: line, text, count=1, flags=re.M)
    elif text.startswith("---\n"):
        text = "---\n" + line + "\n" + text[4:]
    else:
        text = line + "\n" + text
    path.write_text(text, encoding="utf-8")


def secret_outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("TOP-SECRET-CONTENT\n", encoding="utf-8")
    return secret


def nothing_leaked(project: Path, *, also: Path | None = None) -> None:
    for path in project.rglob("*"):
        if path.is_file() and "dist" in path.parts:
            assert b"TOP-SECRET-CONTENT" not in path.read_bytes(), path
    if also is not None:
        assert not also.exists(), also


# ---------------------------------------------------------------- confinement: images


@pytest.mark.parametrize(
    "ref",
    [
        "../../outside/secret.txt",
        "images/../../../outside/secret.txt",
        "/etc/passwd",
        "images/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt",
        "file:///etc/passwd",
        "C:/Windows/win.ini",
        "images\\..\\..\\secret.txt",
    ],
)
def test_markdown_image_outside_content_is_an_error(
    project: Path, tmp_path: Path, ref: str
) -> None:
    secret_outside(tmp_path)
    append(project, FEATURED, f"\n![x]({ref})\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert re.search(r"content/articles/chronic-pain\.md:\d+: image", result.output), result.output
    nothing_leaked(project)


def test_image_under_images_base_url_with_dotdot_is_not_copied(
    project: Path, tmp_path: Path
) -> None:
    secret_outside(tmp_path)
    base = "https://ketamineclinicwtx.example/newsletter/"
    clinic = (project / "content/clinic.yaml").read_text(encoding="utf-8")
    base = re.search(r"^images_base_url:\s*(\S+)", clinic, re.M).group(1)  # type: ignore[union-attr]
    append(project, FEATURED, f"\n![x]({base.rstrip('/')}/../../../outside/secret.txt)\n")
    run(project, "build", ISSUE)
    run(project, "export", ISSUE, "--platform", "mailchimp")
    nothing_leaked(project)
    for archive in (project / "dist").rglob("*.zip"):
        for name in zipfile.ZipFile(archive).namelist():
            assert ".." not in name.split("/") and not name.startswith("/"), name


def test_symlinked_image_leading_outside_is_an_error(project: Path, tmp_path: Path) -> None:
    secret = secret_outside(tmp_path)
    (project / "content/images/leak.png").symlink_to(secret)
    append(project, FEATURED, "\n![x](images/leak.png)\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "outside content/" in result.output
    nothing_leaked(project)


def test_symlink_inside_content_is_fine(project: Path) -> None:
    (project / "content/images/alias.png").symlink_to(project / "content/images/migraine.png")
    append(project, FEATURED, "\n![A migraine chart](images/alias.png)\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("field", ["logo", "dark_logo"])
def test_logo_outside_content_is_an_error(project: Path, tmp_path: Path, field: str) -> None:
    secret = secret_outside(tmp_path)
    clinic = project / "content/clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    key = "src" if field == "logo" else "dark_src"
    (project / "content/images/evil.png").symlink_to(secret)
    new, count = re.subn(rf"(\n\s+{key}:)\s*\S+", r"\1 images/evil.png", text, count=1)
    assert count == 1
    clinic.write_text(new, encoding="utf-8")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert re.search(
        r"content/clinic\.yaml:\d+: image 'images/evil.png' leads outside", result.output
    )
    nothing_leaked(project)


@pytest.mark.parametrize("ref", ["../outside/secret.txt", "/etc/passwd", ".hidden/x.png"])
def test_article_image_field_outside_is_refused(project: Path, ref: str) -> None:
    set_field(project, FEATURED, "image", ref)
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert re.search(r"content/articles/chronic-pain\.md:\d+: 'image'", result.output), (
        result.output
    )


def test_image_that_is_a_fifo_or_folder_is_refused(project: Path) -> None:
    os.mkfifo(project / "content/images/pipe.png")
    (project / "content/images/folder.png").mkdir()
    append(project, FEATURED, "\n![x](images/pipe.png)\n\n![y](images/folder.png)\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "not a regular file" in result.output and "is a folder" in result.output


# ---------------------------------------------------------------- confinement: articles


def test_symlinked_article_leading_outside_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text((project / FEATURED).read_text(encoding="utf-8"), encoding="utf-8")
    (project / "content/articles/leak.md").symlink_to(outside)
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/articles/leak.md: cannot be used: it is a symbolic link" in result.output


def test_symlinked_article_inside_is_reported_under_its_own_name(project: Path) -> None:
    real = project / "content/drafts/real.md"
    real.parent.mkdir()
    real.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (project / "content/articles/linked.md").symlink_to(real)
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/articles/linked.md:" in result.output
    assert "drafts/real.md" not in result.output


def test_fifo_article_does_not_hang(project: Path) -> None:
    os.mkfifo(project / "content/articles/pipe.md")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0  # a file the issue does not use: a warning naming it
    assert (
        "content/articles/pipe.md: warning: cannot be used: it is not a regular file"
        in result.output
    )


def test_article_linked_to_dev_zero_is_refused(project: Path) -> None:
    (project / "content/articles/zero.md").symlink_to("/dev/zero")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/articles/zero.md: cannot be used" in result.output


def test_article_over_the_size_limit_is_refused(project: Path) -> None:
    big = project / "content/articles/huge.md"
    big.write_text("---\ntitle: x\n---\n" + "word " * 300_000, encoding="utf-8")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0  # a file the issue does not use: a warning naming it
    assert "content/articles/huge.md: warning: cannot be used: it is too big" in result.output


def test_non_ascii_article_name_is_an_error_naming_the_file(project: Path) -> None:
    source = (project / FEATURED).read_text(encoding="utf-8")
    (project / "content/articles/migraña.md").write_text(source, encoding="utf-8")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0  # a file the issue does not use: a warning naming it
    assert "content/articles/migraña.md: warning: rename the file" in result.output


# ---------------------------------------------------------------- issue names


@pytest.mark.parametrize(
    "name",
    [
        "...yaml",
        "..yaml",
        "november.yaml",
        "2026-13.yaml",
        "2026-11-Final.yaml",
        "2026-11 copy.yaml",
    ],
)
def test_issue_file_names_must_follow_the_rule(project: Path, name: str) -> None:
    source = (project / "content/issues/2026-11.yaml").read_text(encoding="utf-8")
    (project / "content/issues" / name).write_text(source, encoding="utf-8")
    result = run(project, "build", "--all")
    assert result.exit_code == 1
    assert f"content/issues/{name}: " in result.output
    assert "YYYY-MM" in result.output
    assert not (project / "dist").exists()
    assert {p.name for p in project.iterdir()} == {"content", "templates"}


def test_issue_name_with_documented_suffix_builds(project: Path) -> None:
    source = (project / "content/issues/2026-11.yaml").read_text(encoding="utf-8")
    (project / "content/issues/2026-11-flu-season.yaml").write_text(source, encoding="utf-8")
    result = run(project, "build", "2026-11-flu-season")
    assert result.exit_code == 0, result.output
    assert (project / "dist/2026-11-flu-season/email.html").is_file()


def test_yml_issue_is_not_silently_ignored(project: Path) -> None:
    issues = project / "content/issues"
    (issues / "2026-11.yaml").rename(issues / "2026-11.yml")
    result = run(project, "build", "--all")
    assert result.exit_code == 0  # a file the issue does not use: a warning naming it
    assert (
        "content/issues/2026-11.yml: warning: this file is ignored: rename it to end in '.yaml'"
        in (result.output)
    )


@pytest.mark.parametrize("name", ["../../etc", "..", "2026-11/../../x", "/tmp/x"])
def test_issue_argument_cannot_name_a_folder(project: Path, name: str) -> None:
    result = run(project, "build", name)
    assert result.exit_code == 1
    assert {p.name for p in project.iterdir()} == {"content", "templates"}


def test_broken_issue_gets_no_false_there_is_no_issue(project: Path) -> None:
    append(project, "content/issues/2026-11.yaml", "\nbogus: [\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "there is no issue" not in result.output


# ---------------------------------------------------------------- escaping per platform

INJECTIONS = {
    "mailchimp": "*|FNAME|* and *|UNSUB|*",
    "sendgrid": "{{ 7*191 }} {{{unsubscribe}}} [%first_name%] <%asm_group_unsubscribe%>",
    "mailgun": "%recipient.first_name% and {{ 7*191 }}",
    "brevo": "{{ 7*191 }} {% if 1 %}x{% endif %} {# c #}",
    "klaviyo": "{{ first_name }} {% unsubscribe_link %}",
    "campaign-monitor": "[firstname,fallback=you] [unsubscribe]",
    "ses": "{{ 7*191 }} {{#if a}}b{{/if}}",
    "postmark": "{{ 7*191 }} {{{ pm:unsubscribe }}}",
    "listmonk": "{{ .Subscriber.Email }} {{ len .Subscriber.Attribs }}",
}


@pytest.mark.parametrize("platform", sorted(INJECTIONS))
def test_template_syntax_in_content_is_inert_for_each_platform(
    project: Path, platform: str
) -> None:
    payload = INJECTIONS[platform]
    set_field(project, FEATURED, "title", json.dumps(f"Title {payload}"))
    append(project, FEATURED, "\nQuoted: " + payload.replace("*", "\\*") + "\n")
    set_field(project, "content/issues/2026-11.yaml", "subject", json.dumps(f"Hi {payload}"[:58]))
    result = run(project, "export", ISSUE, "--platform", platform)
    assert result.exit_code == 0, result.output
    folder = project / "dist" / ISSUE / "export" / platform
    html_doc = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    exported = PLATFORMS[platform].greeting("there")  # the tags as export writes them
    dialect = DIALECTS[exported.dialect or ""]
    own = [t for t in exported.tags.values() if t] + [t for t in exported.text_tags.values() if t]
    assert dialect.live(html_doc, own, True) == []
    assert dialect.live(text, own, False) == []
    assert dialect.live(meta["subject"], [], False) == []
    # the package around it (issue 16): the subject to paste, in README.txt and on screen, and
    # the HTML inside every zip, are as inert
    readme = (folder / "README.txt").read_text(encoding="utf-8").splitlines()
    printed = result.output.splitlines()
    for lines in (readme, printed):
        pasted = [ln for ln in lines if ln.strip().startswith(("Subject:", "Preheader:"))]
        assert pasted and all(dialect.live(ln, [], False) == [] for ln in pasted)
    for package in folder.glob("*.zip"):
        with zipfile.ZipFile(package) as archive:
            for name in archive.namelist():
                if name.endswith(".html"):
                    inner = archive.read(name).decode("utf-8")
                    assert dialect.live(inner, own, True) == [], (package.name, name)
    # readers still see the words: the text part differs only by invisible word joiners
    assert "Quoted: " + payload in " ".join(text.replace(WORD_JOINER, "").split())


def test_other_platforms_syntax_quoted_in_content_exports_cleanly(project: Path) -> None:
    append(project, FEATURED, "\nMailchimp writes *|UNSUB|*, Klaviyo {% unsubscribe_link %}.\n")
    result = run(project, "export", ISSUE, "--platform", "all")
    assert result.exit_code == 0, result.output
    assert "bug" not in result.output


def test_forged_placeholder_in_content_is_plain_text(project: Path) -> None:
    forged = "__NL_MERGE_UNSUBSCRIBE_URL__"
    append(project, FEATURED, f"\nVisit `{forged}` now, \\_\\_NL\\_MERGE\\_FIRST\\_NAME\\_\\_.\n")
    set_field(project, "content/issues/2026-11.yaml", "subject", "Hello __NL_MERGE_FIRST_NAME__")
    assert run(project, "build", ISSUE).exit_code == 0
    text = (project / "dist" / ISSUE / "email.txt").read_text(encoding="utf-8")
    assert f"Visit {forged} now" in text
    result = run(project, "export", ISSUE, "--platform", "mailchimp")
    assert result.exit_code == 0, result.output
    text = (project / "dist" / ISSUE / "export/mailchimp/email.txt").read_text(encoding="utf-8")
    assert f"Visit {forged} now" in text
    assert text.count("*|UNSUB|*") == 1  # only the footer's own link


def test_message_markers_cannot_be_forged_from_the_subject(project: Path) -> None:
    from newsletters.delivery.run import prepare

    set_field(project, "content/issues/2026-11.yaml", "subject", "NL-MARKER-TEXT-BODY")
    prepared = prepare(project, ISSUE)
    message = prepared.template().render(prepared.personal("reader@example.com", "Ann", "token"))
    assert b"Subject: NL-MARKER-TEXT-BODY" in message


@pytest.mark.parametrize("paragraph", ["[" * 30_000, "*a " * 10_000])
def test_pathological_paragraph_is_refused_before_parsing(project: Path, paragraph: str) -> None:
    append(project, FEATURED, f"\n\n{paragraph}\n\nA normal last paragraph.\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert re.search(
        r"chronic-pain\.md:\d+: this paragraph is [\d,]+ characters long", result.output
    )


@pytest.mark.parametrize("platform", sorted(INJECTIONS))
def test_template_syntax_in_buttons_and_alt_text_is_inert(project: Path, platform: str) -> None:
    """Button labels also reach Outlook's conditional comments; alt text is an attribute."""
    payload = INJECTIONS[platform]
    issue = project / "content/issues/2026-11.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8")
        + f"\ncta:\n  label: {json.dumps('Call ' + payload)}\n  url: https://www.ketamineclinicwtx.com/book\n",
        encoding="utf-8",
    )
    set_field(project, FEATURED, "image_alt", json.dumps(f"Chart {payload}"))
    result = run(project, "export", ISSUE, "--platform", platform)
    assert result.exit_code == 0, result.output
    folder = project / "dist" / ISSUE / "export" / platform
    html_doc = (folder / "email.html").read_text(encoding="utf-8")
    exported = PLATFORMS[platform].greeting("there")  # the tags as export writes them
    dialect = DIALECTS[exported.dialect or ""]
    own = [t for t in exported.tags.values() if t]
    for tag in own:
        html_doc = html_doc.replace(tag, "")
    assert dialect.trigger.search(html_doc.replace("<!--[if", "").replace("<![endif]", "")) is None
