"""A clinic's first hour: a clean `init`, placeholders that cannot go out, draft proofs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsletters.__main__ import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def fill_issue(root: Path) -> None:
    """What a coordinator does after `newsletter new issue`: replace the TODOs."""
    path = root / "content" / "issues" / "2027-01.yaml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("subject:"):
            line = 'subject: "Winter and chronic pain, what may help"'
        elif line.startswith("preheader:"):
            line = "preheader: Simple steps that may ease chronic pain when the weather turns cold."
        elif "TODO: a short welcome" in line:
            line = "  Welcome to our first newsletter."
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_init_makes_a_clean_project_with_one_marked_example(tmp_path: Path) -> None:
    root = tmp_path / "clinic"
    code, out, _ = run("init", str(root))
    assert code == 0
    assert out.splitlines()[0] == f"Created a new newsletter project in {root}."
    content = root / "content"
    assert sorted(p.name for p in (content / "articles").iterdir()) == ["example-article.md"]
    assert "EXAMPLE ARTICLE" in (content / "articles" / "example-article.md").read_text()
    assert list((content / "issues").iterdir()) == []  # no other clinic's history
    assert sorted(p.name for p in (content / "images").iterdir()) == ["logo.png"]  # no dark logo
    assert "PLACEHOLDER" in (content / "clinic.yaml").read_text()
    assert (root / "templates" / "layouts" / "digest.mjml.j2").is_file()
    pristine = root / ".newsletter" / "pristine" / "templates" / "layouts" / "digest.mjml.j2"
    assert pristine.read_bytes() == (root / "templates" / "layouts" / "digest.mjml.j2").read_bytes()
    code, _, err = run("-C", str(root), "plan", "--today", "2026-12-10")
    assert code == 0 and err == ""


def test_an_untouched_project_builds_but_cannot_be_exported(tmp_path: Path) -> None:
    root = tmp_path / "clinic"
    run("init", str(root))
    code, _, _ = run("-C", str(root), "new", "issue", "2027-01", "--today", "2026-12-10")
    assert code == 0
    fill_issue(root)
    code, _, err = run("-C", str(root), "build", "2027-01")
    assert code == 0, err
    code, _, err = run("-C", str(root), "export", "2027-01", "--platform", "mailchimp")
    assert code == 1
    lines = err.replace(f"{root.resolve()}/", "").splitlines()
    placeholder = "put your clinic's real details here before export or send"
    assert lines[:4] == [
        "content/clinic.yaml:6: 'name' still holds a placeholder (Your Clinic Name); "
        f"{placeholder}",
        f"content/clinic.yaml:8: 'website' still holds a placeholder (www.your-clinic.example); "
        f"{placeholder}",
        f"content/clinic.yaml:9: 'phone' still holds a placeholder (555-0100); {placeholder}",
        f"content/clinic.yaml:10: 'phone_link' still holds a placeholder (5550100); {placeholder}",
    ]
    assert (
        "content/clinic.yaml:26: content/images/logo.png is still the starter's logo; replace the "
        "file with your clinic's logo before export or send"
    ) in lines
    assert any(
        line.startswith("content/issues/2027-01.yaml:")
        and line.endswith(
            "'example-article' is the starter's example article; write your own and put it in "
            "the issue instead"
        )
        for line in lines
    )
    count = len(lines) - 2
    assert lines[-2] == (
        f"issue 2027-01 has {count} open problems, so export for mailchimp is refused; fix them "
        "first (a proof still works: newsletter send 2027-01 --to YOU, or export --platform eml)"
    )
    assert lines[-1] == f"Export failed: {count} problems to fix."  # the note is not counted
    assert not (root / "dist" / "2027-01" / "export").exists()


def test_the_sample_disclaimer_and_logos_are_placeholders_too(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    run("init", "--sample", str(root))
    code, _, err = run("-C", str(root), "export", "2026-11", "--platform", "html")
    assert code == 1
    lines = err.replace(f"{root.resolve()}/", "").splitlines()
    assert (
        "content/clinic.yaml:36: the disclaimer is still the starter's text; write your clinic's "
        "own, reviewed by your clinic, before export or send"
    ) in lines
    assert any("'phone' still holds a placeholder (555-0142)" in line for line in lines)
    assert any("content/images/logo-dark.png is still the starter's logo" in line for line in lines)


def test_the_eml_proof_of_a_draft_is_marked_and_lists_its_problems(tmp_path: Path) -> None:
    root = tmp_path / "clinic"
    run("init", str(root))
    run("-C", str(root), "new", "issue", "2027-01", "--today", "2026-12-10")
    fill_issue(root)
    code, out, _ = run("-C", str(root), "export", "2027-01", "--platform", "eml")
    assert code == 0
    assert "note: A DRAFT: the issue still has open problems" in out
    import email
    import email.policy

    raw = (root / "dist" / "2027-01" / "export" / "eml" / "2027-01.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "[DRAFT] Winter and chronic pain, what may help"
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "DRAFT - not ready to send:" in html
    assert "&#x27;name&#x27; still holds a placeholder (Your Clinic Name)" in html


def test_install_hints_name_the_installation_newsletter_runs_in() -> None:
    from newsletters.install import add_package, run_module

    pipx = "/home/ana/.local/share/pipx/venvs/newsletters"
    uv = "C:/Users/Ana/AppData/Roaming/uv/tools/newsletters"
    assert add_package("playwright", pipx) == "pipx inject newsletters playwright"
    assert add_package("playwright", uv, f"{uv}/Scripts/python.exe") == (
        f"uv pip install --python {uv}/Scripts/python.exe playwright"
    )
    assert add_package("playwright", "/srv/clinic/.venv", "/srv/clinic/.venv/bin/python") == (
        "/srv/clinic/.venv/bin/python -m pip install playwright"
    )
    assert run_module("playwright install chromium", "/opt/py/bin/python") == (
        "/opt/py/bin/python -m playwright install chromium"
    )


def test_build_and_lint_word_and_count_an_insecure_link_the_same(project: Path) -> None:
    path = project / "content" / "articles" / "migraine.md"
    text = path.read_text(encoding="utf-8")
    old = "Migraine affects over a billion"
    path.write_text(text.replace(old, f"See [this page](http://example.org/x). {old}", 1))
    warning = (
        "content/articles/migraine.md:23: warning: link 'http://example.org/x' is not secure; "
        "use https:// if the site has it"
    )
    code, _, err = run("-C", str(project), "build", "2026-11")
    lines = err.replace(f"{project.resolve()}/", "").splitlines()
    assert code == 0
    assert lines == [
        warning,
        "Checks: 0 errors, 1 warning; fix errors before export or send (see 'newsletter lint').",
    ]
    code, out, err = run("-C", str(project), "lint", "2026-11")
    assert code == 0
    assert err.replace(f"{project.resolve()}/", "").splitlines() == [warning]
    assert out.splitlines()[-1] == "Checked 2026-11: 0 errors, 1 warning."
    assert [line for line in out.splitlines()[:-1] if "Compatibility:" not in line] == []
