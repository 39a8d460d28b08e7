"""`newsletter --help` stays fast: heavy libraries load only in the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("jinja2", "mjml", "premailer", "cssutils", "lxml", "markdown_it", "requests")

PROBE = """
import json, sys
from newsletters.__main__ import cli
try:
    cli.main(sys.argv[1:], prog_name="newsletter", standalone_mode=True)
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    return {name.split(".")[0] for name in report["modules"]}


@pytest.mark.parametrize("args", [("--help",), ("build", "--help")])
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = loaded_modules(*args)
    assert "click" in loaded  # the probe really ran the command line
    assert sorted(loaded & set(HEAVY)) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    """The check above can fail: `build` itself imports them all."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import newsletters.pipeline, newsletters.render, newsletters.inline; "
            "newsletters.inline._import_premailer(); print(sorted(sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in ("jinja2", "premailer", "markdown_it"):
        assert f"'{name}'" in result.stdout


def test_the_command_entry_imports_only_small_modules() -> None:
    """The `newsletter` script's entry (newsletters/entry.py) decides whether the resident
    process answers before anything heavy loads: importing it adds only the package's light
    __init__ (no pathlib, typing or datetime) and itself."""
    probe = (
        "import sys; before = set(sys.modules); import newsletters.entry; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json; " + probe], capture_output=True, text=True, check=True
    )
    added = set(json.loads(result.stdout))
    assert added <= {"__future__", "newsletters", "newsletters.entry"}, added


def test_the_entry_probe_would_see_a_heavy_import() -> None:
    """The check above can fail: the CLI module imports click and pathlib."""
    probe = (
        "import json, sys; before = set(sys.modules); import newsletters.__main__; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert {"click", "pathlib"} <= set(json.loads(result.stdout))
