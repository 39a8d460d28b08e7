"""Each way a user can get content or templates wrong: exact messages, exit 1, nothing written.

Every folder in tests/fixtures/bad/ is one failure mode: `files/` is laid over a copy of the
sample project and `expected.txt` holds the exact lines the build must print.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "bad").iterdir() if p.is_dir())


def overlay(case: Path, project: Path) -> None:
    for source in (case / "files").rglob("*"):
        if source.is_file():
            target = project / source.relative_to(case / "files")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_exactly(
    case: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay(case, project)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["build"])
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output
    assert lines[:-1] == expected
    assert (
        lines[-1]
        == f"Build failed: {len(expected)} problem{'s' if len(expected) > 1 else ''} to fix."
    )
    assert "Traceback" not in result.output
    assert not (project / "dist").exists()


def test_failed_build_leaves_the_previous_output_intact(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    before = {p: p.read_bytes() for p in (project / "dist").rglob("*") if p.is_file()}
    overlay(next(c for c in CASES if c.name == "template-undefined-variable"), project)
    assert CliRunner().invoke(cli, ["build"]).exit_code == 1
    after = {p: p.read_bytes() for p in (project / "dist").rglob("*") if p.is_file()}
    assert after == before


def test_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "build"])
    assert result.exit_code == 1
    assert "is not a newsletter project (it has no content/clinic.yaml)" in result.output
    assert "newsletter init" in result.output
    assert "Traceback" not in result.output


def test_a_missing_project_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path / "nope"), "list"])
    assert result.exit_code == 1
    assert "no such folder" in result.output


DRAFTS = ["front-matter-missing", "front-matter-unclosed", "invalid-utf8", "unreadable-file"]


@pytest.mark.parametrize("name", DRAFTS)
def test_a_broken_file_no_chosen_issue_uses_is_a_warning(
    name: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A half-written article for next month does not stop this month's build."""
    case = Path(__file__).parent / "fixtures" / "bad" / name
    overlay(case, project)
    (project / "content" / "issues" / "2026-12.yaml").unlink()
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["build", "2026-11"])
    [expected] = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    where, message = expected.split(": ", 1)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"{where}: warning: {message} "
        "(a file issue 2026-11 does not use: fix it before it goes out)"
    )
    assert (project / "dist" / "2026-11" / "email.html").is_file()
