"""Paths are configuration (paths.py): every command that reads or writes outputs honours --out.

--out works before the command (`newsletter -C P --out O list`) and after it (`list --out O`).
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.delivery.journal import Journal

from .conftest import claim_sample, copy_sample

PACKAGE = Path(__file__).resolve().parents[1] / "newsletters"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "clinic"
    return claim_sample(copy_sample(root))  # export and send refuse the sample's placeholders


def newsletter(*args: str, env: dict[str, str] | None = None) -> str:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    result = CliRunner().invoke(cli, list(args), env={**clean, **(env or {})})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def fake_journal(folder: Path, sent: list[str], failed: list[str]) -> None:
    """A send journal as `newsletter send --list` leaves it, written through its own class."""
    folder.mkdir(parents=True, exist_ok=True)
    with Journal(folder / "send-journal.sqlite") as journal:
        journal.add((address, n) for n, address in enumerate(sent + failed, start=2))
        for address in sent:
            journal.mark(address, "sent", "250 OK")
        for address in failed:
            journal.mark(address, "failed", "550 no such user")


def test_list_reads_the_out_folder_given_before_or_after_the_command(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "elsewhere"
    newsletter("-C", str(project), "--out", str(out), "build", "2026-11")
    newsletter("-C", str(project), "export", "2026-11", "--platform", "brevo", "--out", str(out))
    fake_journal(out / "2026-11", ["a@example.com", "b@example.com"], ["c@example.com"])
    assert not (project / "dist").exists()

    for args in (
        ["-C", str(project), "--out", str(out), "list", "--format", "json"],
        ["-C", str(project), "list", "--format", "json", "--out", str(out)],
    ):
        listed = json.loads(newsletter(*args))
        (issue,) = [i for i in listed["issues"] if i["id"] == "2026-11"]
        assert issue["built"] is True
        assert issue["exported"] == ["brevo"]
        assert issue["sent"]["counts"] == {"failed": 1, "sent": 2}

    # Without --out, list reads dist/, where nothing was written.
    listed = json.loads(newsletter("-C", str(project), "list", "--format", "json"))
    (issue,) = [i for i in listed["issues"] if i["id"] == "2026-11"]
    assert issue["built"] is False and issue["exported"] == [] and issue["sent"] is None


def test_send_status_reads_the_out_folder(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    fake_journal(out / "2026-11", ["a@example.com"], ["c@example.com"])
    for args in (
        ["-C", str(project), "--out", str(out), "send", "2026-11", "--status"],
        ["-C", str(project), "send", "--status", "--out", str(out)],  # the newest issue
    ):
        output = newsletter(*args)
        assert "Journal of 2026-11:" in output
        assert "sent     1" in output and "failed   1" in output
        assert "c@example.com" in output
    output = newsletter("-C", str(project), "send", "2026-11", "--status")
    assert "No list send of 2026-11 has started" in output


def test_dry_run_outbox_and_journal_go_to_the_out_folder(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    readers = tmp_path / "readers.csv"
    readers.write_text("email,first_name\nana@example.com,Ana\n", encoding="utf-8")
    env = {"NEWSLETTER_UNSUBSCRIBE_SECRET": "test-secret-0123456789abcdef"}
    newsletter(
        "-C", str(project), "--out", str(out), "send", "2026-11", "--list", str(readers), env=env
    )
    assert len(list((out / "2026-11/outbox").glob("*.eml"))) == 1
    assert not (project / "dist").exists()


def test_archive_and_build_write_only_to_out(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    newsletter("-C", str(project), "--out", str(out), "archive")
    newsletter("-C", str(project), "--out", str(out), "build", "--all")
    assert (out / "archive/index.html").is_file()
    assert (out / "2026-11/email.html").is_file() and (out / "2026-10/meta.json").is_file()
    assert not (project / "dist").exists()
    # The command's own --out wins over the one before it.
    other = tmp_path / "other"
    newsletter("-C", str(project), "--out", str(out), "build", "2026-11", "--out", str(other))
    assert (other / "2026-11/email.html").is_file()


def test_journal_file_name_matches_what_list_reads(project: Path, tmp_path: Path) -> None:
    """The journal the send writes is the one `list` reads: both ask paths.py for it."""
    from newsletters.load import load_checked

    paths = load_checked(project, tmp_path / "o").paths
    fake_journal(paths.issue_out("2026-11"), ["a@example.com"], [])
    with sqlite3.connect(paths.journal("2026-11")) as db:
        assert db.execute("SELECT COUNT(*) FROM recipients").fetchone() == (1,)


def test_only_paths_py_joins_the_projects_folder_names() -> None:
    """No `x / "content"`, `x / "dist"`, `"content/clinic.yaml"`... outside paths.py."""
    names = set(
        [
            "content",
            "templates",
            "dist",
            "articles",
            "issues",
            "images",
            "layouts",
            "export",
            "archive",
            "outbox",
            "screenshots",
            "clinic.yaml",
            "meta.json",
            "send-journal.sqlite",
        ]
    )
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "paths.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
                continue
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and isinstance(side.value, str):
                    first = side.value.split("/")[0]
                    if first in names or side.value in names:
                        found.append(f"{path.name}:{node.lineno}: {side.value!r}")
    assert found == []
