"""The `newsletter` command line: help, exit codes, -C, init, list, and the shipped wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsletters import __version__
from newsletters.__main__ import cli

from .conftest import ROOT


def all_commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(all_commands(command, prefix + name + " "))
    return found


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"newsletter, version {__version__}"


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_command_has_help_and_is_documented(name: str) -> None:
    command = all_commands()[name]
    assert command.help and len(command.help) > 20, f"'{name}' needs a help text"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    reference = (ROOT / "docs/reference/commands.md").read_text(encoding="utf-8")
    assert f"`newsletter {name}`" in reference, (
        f"document 'newsletter {name}': run scripts/field_tables.py --write"
    )


def test_usage_errors_exit_2() -> None:
    result = CliRunner().invoke(cli, ["build", "--no-such-option"])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["build", "--all", "2026-11"])
    assert result.exit_code == 2


def test_build_with_project_option_and_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-C", str(ROOT), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    note, built = result.output.splitlines()
    assert note == (  # no issue named: the command says which it took, and why
        "No issue named, so using 2026-11: the newest by date in content/issues/. "
        "To choose another: newsletter build ISSUE"
    )
    assert re.match(r"Built 2026-11: .*email\.html \(\d+\.\d KB\) and .*email\.txt", built)
    assert (out / "2026-11" / "email.html").is_file()
    assert not (ROOT / "dist" / "2026-11" / "email.html").is_relative_to(out)


def test_list_shows_issues_then_articles() -> None:
    result = CliRunner().invoke(cli, ["-C", str(ROOT), "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Issues")
    assert any(line.strip().startswith("2026-11") for line in lines)
    assert any(line.startswith("Articles") for line in lines)
    assert any(line.strip().startswith("migraine ") for line in lines)


def test_init_sample_creates_the_demo_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "clinic"
    result = CliRunner().invoke(cli, ["init", "--sample", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "content" / "clinic.yaml").is_file()
    result = CliRunner().invoke(cli, ["-C", str(target), "build"])
    assert result.exit_code == 0, result.output
    assert (target / "dist" / "2026-11" / "email.html").is_file()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "already exists; choose an empty folder" in result.output


def test_wheel_ships_the_starter_files_and_init_works_without_the_source(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("newsletters-*.whl"))
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    assert "newsletters/starter/content/clinic.yaml" in names
    assert "newsletters/starter/templates/base.mjml.j2" in names
    assert "newsletters/py.typed" in names
    assert "newsletters/starter_files/clinic.yaml" in names  # the clean project's files
    # send.py travels inside the package: no top-level `send` module to clash with another's.
    assert "newsletters/_send.py" in names
    assert not [n for n in names if "/" not in n and n.endswith(".py")], names
    # Only the unpacked wheel on the path: no source tree to fall back on.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import newsletters.project as p; "
        "assert 'starter' in str(p.starter_root()), p.starter_root(); "
        "from newsletters.delivery.transport import provider; "
        "assert provider.__file__.startswith(sys.argv[1]), provider.__file__; "
        "assert provider.__name__ == 'newsletters._send', provider.__name__; "
        "assert 'send' not in sys.modules; "
        "from newsletters.__main__ import main; "
        "sys.argv = ['newsletter', 'init', sys.argv[2]]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(unpacked), str(tmp_path / "new")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "templates" / "layouts" / "digest.mjml.j2").is_file()
