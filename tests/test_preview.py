"""The preview without a browser: its copy of the email, its builds, its server and command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletters.errors import Problem
from newsletters.preview import PreviewServer, pages
from newsletters.preview.emailcopy import BLOCKED_IMAGE, emulate_scheme, preview_copy
from newsletters.preview.pages import panel_json
from newsletters.preview.workspace import Target, Workspace

from .conftest import copy_sample

REPO = Path(__file__).resolve().parent.parent
BASE = "https://clinic.example/newsletter/"
ISSUE = Target("issue", "2026-11")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy_sample(tmp_path)
    return tmp_path


def test_images_under_the_clinics_address_come_from_the_local_route() -> None:
    html = f'<img src="{BASE}images/logo.png"><a href="{BASE}2026-11/">web</a>'
    copy = preview_copy(html, BASE)
    assert '<img src="/images/images/logo.png">' in copy
    assert f'href="{BASE}2026-11/"' in copy  # links are left alone


def test_nothing_remote_is_loaded_by_the_copy() -> None:
    html = (
        '<html><head><link rel="stylesheet" href="https://fonts.example/css">'
        "<style>@import url(https://fonts.example/x.css);"
        ".a{background:url('https://x.example/b.png')}</style></head><body>"
        '<img src="https://cdn.example/icon.png" srcset="https://cdn.example/2x.png 2x">'
        "</body></html>"
    )
    copy = preview_copy(html, BASE)
    assert "example/" not in copy.replace("clinic.example", "")
    assert f'src="{BLOCKED_IMAGE}"' in copy
    assert '<base target="_blank">' in copy


@pytest.mark.parametrize(
    ("scheme", "dark_rule", "light_rule"),
    [
        ("dark", "(min-width: 0px)", "(max-width: 0px)"),
        ("light", "(max-width: 0px)", "(min-width: 0px)"),
    ],
)
def test_colour_scheme_rules_follow_the_chosen_scheme(
    scheme: str, dark_rule: str, light_rule: str
) -> None:
    css = "@media (prefers-color-scheme: dark) {a{}} @media ( prefers-color-scheme:light ) {b{}}"
    assert (
        emulate_scheme(css, scheme) == f"@media {dark_rule} {{a{{}}}} @media {light_rule} {{b{{}}}}"
    )


def test_a_failed_build_keeps_the_last_good_email_and_recovers(project: Path) -> None:
    workspace = Workspace(project, log=lambda message: None)
    good = workspace.view(ISSUE)
    assert good.built is not None and not good.errors
    issue_file = project / "content/issues/2026-11.yaml"
    text = issue_file.read_text()
    issue_file.write_text(text.replace("featured: chronic-pain", "featured: [chronic-pain"))
    workspace.invalidate()
    broken = workspace.view(ISSUE)
    assert broken.built is good.built
    assert broken.errors and broken.errors[0].path == project / "content/issues/2026-11.yaml"
    assert broken.errors[0].line is not None
    issue_file.write_text(text)
    workspace.invalidate()
    fixed = workspace.view(ISSUE)
    assert fixed.errors == () and fixed.built is not None
    assert fixed.html_version == good.html_version  # same HTML: the frame need not reload


def test_an_unexpected_error_becomes_a_page_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[str] = []
    workspace = Workspace(project, log=logged.append)
    workspace.view(ISSUE)

    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("newsletters.pipeline.build_issue", explode)
    workspace.invalidate()
    view = workspace.view(ISSUE)
    assert view.built is not None
    assert "unexpected error (RuntimeError: boom)" in view.errors[0].message
    assert "Traceback" in logged[0]


def test_findings_come_from_warnings_and_the_checks(project: Path) -> None:
    article = project / "content/articles/chronic-pain.md"
    with article.open("a", encoding="utf-8") as handle:
        handle.write("\nTo learn about pain, [click here](https://www.cdc.gov/).\n")
    assert not Workspace(project).view(ISSUE).findings  # the checks are off by default
    view = Workspace(project, checks=True).view(ISSUE)
    found = [panel_json(f, project) for f in view.findings if f.rule == "a11y/link-text"]
    assert found and found[0]["severity"] == "error"
    assert found[0]["location"].startswith("content/articles/chronic-pain.md:")
    assert found[0]["path"] == "content/articles/chronic-pain.md"
    assert found[0]["text"].startswith(found[0]["message"])
    problem = Problem(project / "content/clinic.yaml", 4, "bad", "warning")
    assert problem.format(project) == "content/clinic.yaml:4: warning: bad"


def test_an_article_alone_is_a_one_article_issue(project: Path) -> None:
    view = Workspace(project).view(Target("article", "crps"))
    assert view.built is not None
    assert view.built.issue.article_slugs == ("crps",)
    assert "CRPS: when pain outlasts an injury" in view.built.text


@pytest.fixture
def server(project: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(project, port=0, log=lambda message: None)
    preview.start()
    yield preview
    preview.close()


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(), dict(exc.headers)


def test_a_failing_page_is_an_error_and_the_server_keeps_serving(
    server: PreviewServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> str:
        raise ValueError("template bug")

    monkeypatch.setattr(pages, "index_page", broken)
    assert get(server.url)[0] == 500
    monkeypatch.undo()
    assert get(server.url)[0] == 200


def test_pages_forbid_remote_loads_and_unknown_hosts(server: PreviewServer) -> None:
    status, _, headers = get(server.url + "issue/2026-11/email.html")
    assert status == 200
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    request = urllib.request.Request(server.url, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    caught.value.close()
    assert caught.value.code == 403


def test_unknown_issues_are_not_found(server: PreviewServer) -> None:
    assert get(server.url + "issue/1999-01")[0] == 404
    assert get(server.url + "issue/1999-01/state.json")[0] == 404
    assert get(server.url + "article/nope")[0] == 404


def test_a_trailing_slash_leads_to_the_page_and_nowhere_else(server: PreviewServer) -> None:
    status, body, _ = get(server.url + "issue/2026-11/")  # urllib follows the redirect
    assert status == 200 and b"When does pain become chronic?" in body
    for path in ("issue/1999-01/", "issue/2026-11//", "issue/%2F%2Fevil.example/"):
        assert get(server.url + path)[0] == 404, path


def test_reload_reports_are_measured(server: PreviewServer) -> None:
    generation = server.workspace.invalidate(saved_at=1.0)
    request = urllib.request.Request(
        server.url + "api/reloaded",
        data=json.dumps({"version": generation}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
    stats = json.loads(get(server.url + "api/stats")[1])
    assert len(stats["reload_ms"]) == 1


def test_the_command_prints_its_real_url_and_stops_on_ctrl_c(project: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsletters",
            "-C",
            str(project),
            "preview",
            "2026-11",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Previewing at http://127.0.0.1:"), line
        url = line.split()[2]
        assert url.endswith("/issue/2026-11") and ":0/" not in url
        status, body, _ = get(url)
        assert status == 200 and b"email-frame" in body
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert "Preview stopped." in out
    assert "Traceback" not in err


def test_the_command_explains_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsletters", "-C", str(tmp_path), "preview", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is not a newsletter project" in result.stderr


def test_help_does_not_import_the_preview() -> None:
    code = (
        "import sys; from newsletters.__main__ import cli; "
        "print(any(m.startswith(('watchfiles', 'newsletters.preview')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_the_command_names_a_missing_issue(project: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "newsletters", "-C", str(project)),
            *("preview", "2026-12", "--port", "0"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "there is no issue '2026-12'; did you mean '2026-11'?" in result.stderr


def test_a_project_broken_from_the_start_still_shows_its_pages(project: Path) -> None:
    clinic = project / "content/clinic.yaml"
    clinic.write_text(clinic.read_text().replace("name: Ketamine", "name: [Ketamine"))
    workspace = Workspace(project)
    assert workspace.exists(ISSUE)
    assert not workspace.exists(Target("issue", "1999-01"))
    view = workspace.view(ISSUE)
    assert view.built is None
    assert view.errors[0].path == project / "content/clinic.yaml"


def test_each_client_simulation_has_its_own_address(server: PreviewServer) -> None:
    email = server.url + "issue/2026-11/email.html"
    _, plain, _ = get(email)
    assert b"(max-width: 0px)" in plain  # the dark rules, switched off for light
    _, gmail_app, _ = get(email + "?simulate=gmail-app")
    assert b"<style" not in gmail_app
    _, outlook, _ = get(email + "?simulate=outlook")
    assert b"<!--[if mso" not in outlook and b'class="nl-logo-dark"' not in outlook
    _, images_off, _ = get(email + "?simulate=images-off")
    assert b"<img " in images_off and b" src=" not in images_off.split(b"<body", 1)[1]
    _, unknown, _ = get(email + "?simulate=%3Cscript%3E")
    assert unknown == plain  # an unknown mode is ignored, never echoed


def test_the_checks_panel_carries_the_compatibility_report(server: PreviewServer) -> None:
    _, body, _ = get(server.url + "issue/2026-11/state.json")
    report = json.loads(body)["compatibility"]
    assert report["date"] and report["licence"]
    assert any(f["feature"] == "css-at-media-prefers-color-scheme" for f in report["features"])
