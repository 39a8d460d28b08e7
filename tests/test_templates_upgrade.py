"""`newsletter templates diff|update`: a new version's template fixes reach a project made
with an older one, and the clinic's own edits survive (a 3-way merge against the pristine
copy `init` recorded)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import upgrade
from newsletters.__main__ import cli
from newsletters.project import starter_root
from newsletters.upgrade import merge3

BASE = "one\ntwo\nthree\nfour\nfive\nsix\n"


def test_changes_to_different_lines_are_both_kept() -> None:
    mine = BASE.replace("two", "TWO (ours)")
    theirs = BASE.replace("five", "FIVE (new version)")
    assert merge3(BASE, mine, theirs) == (
        "one\nTWO (ours)\nthree\nfour\nFIVE (new version)\nsix\n",
        [],
    )


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    both = BASE.replace("three", "3")
    assert merge3(BASE, both, both) == (both, [])


def test_changes_to_the_same_line_are_a_conflict_with_both_sides() -> None:
    mine = BASE.replace("three", "three (ours)")
    theirs = BASE.replace("three", "three (new)")
    merged, conflicts = merge3(BASE, mine, theirs)
    assert conflicts == [3]
    assert merged == (
        "one\ntwo\n<<<<<<< your version\nthree (ours)\n=======\nthree (new)\n"
        ">>>>>>> the new version\nfour\nfive\nsix\n"
    )


def test_lines_added_at_the_end_by_one_side_are_kept() -> None:
    assert merge3(BASE, BASE + "ours\n", BASE.replace("one", "ONE")) == (
        BASE.replace("one", "ONE") + "ours\n",
        [],
    )


@pytest.fixture
def new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The starter as a newer release would ship it: three template fixes and a new file."""
    shipped = tmp_path / "release"
    shutil.copytree(starter_root() / "templates", shipped / "templates")
    footer = shipped / "templates" / "partials" / "footer.mjml.j2"
    edit(footer, "{#- Who sent this", "{#- FIX 1. Who sent this")
    header = shipped / "templates" / "partials" / "header.txt.j2"
    header.write_text(header.read_text(encoding="utf-8") + "{#- FIX 2 -#}\n", encoding="utf-8")
    cta = shipped / "templates" / "partials" / "cta.txt.j2"
    lines = cta.read_text(encoding="utf-8").splitlines(keepends=True)
    cta.write_text("".join(["{#- FIX 3 -#}\n", *lines[1:]]), encoding="utf-8")
    (shipped / "templates" / "partials" / "new.txt.j2").write_text("{#- new -#}\n")
    monkeypatch.setattr(upgrade, "starter_root", lambda: shipped)
    return shipped / "templates"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_update_takes_fixes_keeps_edits_and_reports_conflicts(
    tmp_path: Path, new_version: Path
) -> None:
    root = tmp_path / "clinic"
    # init copies the installed templates: the release fixture replaces them only for upgrade.
    assert run("init", "--sample", str(root))[0] == 0
    templates = root / "templates" / "partials"
    # The clinic's own edits: elsewhere in the footer (merges), and the cta's first line
    # (the line the new version fixes too: a conflict).
    footer_text = (templates / "footer.mjml.j2").read_text(encoding="utf-8")
    last = footer_text.splitlines()[-1]
    edit(templates / "footer.mjml.j2", last, last + "{#- our footer -#}")
    cta_lines = (templates / "cta.txt.j2").read_text(encoding="utf-8").splitlines(keepends=True)
    (templates / "cta.txt.j2").write_text("".join(["{#- OUR CTA -#}\n", *cta_lines[1:]]))

    code, out, err = run("-C", str(root), "templates", "diff")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "templates/partials/cta.txt.j2: you and the new version changed the same lines: merge "
        "them by hand",
        "templates/partials/footer.mjml.j2: you and the new version changed different lines: "
        "both are kept",
        "templates/partials/header.txt.j2: you have not edited it: the new version replaces it",
        "templates/partials/new.txt.j2: new in this version: it is added",
    ]
    assert "+{#- FIX 1. Who sent this" in out
    assert not (templates / "new.txt.j2").exists()  # diff writes nothing

    code, out, err = run("-C", str(root), "templates", "update")
    assert code == 1
    assert err.splitlines() == [
        "templates/partials/cta.txt.j2: you and the new version changed the same lines: merge "
        "them by hand; see templates/partials/cta.txt.j2.merge (line 1), keep the lines you "
        "want, save it as templates/partials/cta.txt.j2, then run: newsletter templates update "
        "--accept templates/partials/cta.txt.j2"
    ]
    footer = (templates / "footer.mjml.j2").read_text(encoding="utf-8")
    assert "FIX 1." in footer and "{#- our footer -#}" in footer
    assert (templates / "header.txt.j2").read_text(encoding="utf-8").endswith("{#- FIX 2 -#}\n")
    assert (templates / "new.txt.j2").is_file()
    assert (templates / "cta.txt.j2").read_text(encoding="utf-8").startswith("{#- OUR CTA -#}")
    merge = (templates / "cta.txt.j2.merge").read_text(encoding="utf-8")
    assert merge.startswith(
        "<<<<<<< your version\n{#- OUR CTA -#}\n=======\n{#- FIX 3 -#}\n>>>>>>> the new version\n"
    )

    # The clinic merges by hand and accepts; everything is then up to date.
    code, out, _ = run(
        "-C", str(root), "templates", "update", "--accept", "templates/partials/cta.txt.j2"
    )
    assert code == 0
    assert "templates/partials/cta.txt.j2: recorded as up to date" in out
    assert not (templates / "cta.txt.j2.merge").exists()
    code, out, _ = run("-C", str(root), "templates", "diff")
    assert out == "Your templates are up to date with this version.\n"
    assert run("-C", str(root), "build", "2026-11")[0] == 0


def test_a_project_without_a_record_is_told_to_compare_by_hand(
    tmp_path: Path, new_version: Path
) -> None:
    root = tmp_path / "old"
    assert run("init", "--sample", str(root))[0] == 0
    shutil.rmtree(root / ".newsletter")  # made before init recorded the pristine templates
    code, out, _ = run("-C", str(root), "templates", "diff")
    assert code == 0
    assert (
        "templates/partials/footer.mjml.j2: no record of the version you started from: compare "
        "and take it by hand"
    ) in out.splitlines()
