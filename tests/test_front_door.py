"""The library's front door (newsletters/__init__.py): a clinic's script without the CLI."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import newsletters

from .conftest import claim_sample


def test_a_script_builds_checks_exports_and_plans(project: Path, tmp_path: Path) -> None:
    claim_sample(project)  # export refuses the starter's placeholders
    out = tmp_path / "out"
    loaded = newsletters.load_project(project, out=out)
    assert "2026-11" in loaded.issues and loaded.paths.out == out

    checked = newsletters.build(project, ["2026-11"], out=out)
    (folder,) = newsletters.write_issues(checked)
    assert folder == out / "2026-11" and (folder / "email.html").is_file()
    assert json.loads((folder / "meta.json").read_text())["issue"] == "2026-11"

    findings = newsletters.check(project, all_issues=True)
    assert set(findings) == {"2026-10", "2026-11"}
    assert all(isinstance(f, newsletters.Problem) and f.rule for f in findings["2026-11"])

    exports = newsletters.export_for(project, "mailchimp", ["2026-11"], write=False)
    assert "*|UNSUB|*" in exports[0].files["email.html"].decode()
    assert not exports[0].folder.exists()  # made in memory only

    folder = newsletters.publish_archive(project, out=out).folder
    assert (folder / "feed.xml").is_file() and folder == out / "archive"

    made = newsletters.plan(project, dt.date(2026, 11, 20), months=3)
    assert [m for m in made.months] == [(2026, 9), (2026, 10), (2026, 11)]


def test_policies_and_errors_are_reachable_from_the_front_door(project: Path) -> None:
    issue = project / "content/issues/2026-11.yaml"
    issue.write_text(
        issue.read_text().replace(
            "subject: When does pain become chronic?", "subject: Your migraines can end"
        )
    )
    assert newsletters.build(project, ["2026-11"]).all_findings  # "report": returned
    with pytest.raises(newsletters.ChecksFailed) as caught:
        newsletters.build(project, ["2026-11"], policy=newsletters.Policy.ERRORS)
    assert isinstance(caught.value, newsletters.NewsletterError)
    assert any(p.rule == "health/condition-subject" for p in caught.value.findings)
    with pytest.raises(newsletters.NewsletterError):
        newsletters.export_for(project, "brevo", ["2026-11"])
    with pytest.raises(ValueError):
        newsletters.build(project, policy="lenient")
    with pytest.raises(AttributeError):
        newsletters.nothing_here  # noqa: B018
    # Importing the modules the functions use never hides a function of the front door.
    for module in ("archive", "export", "load", "write"):
        importlib.import_module(f"newsletters.{module}")

    assert all(callable(getattr(newsletters, name)) for name in newsletters.__all__[5:])


def test_importing_the_library_loads_nothing_heavy() -> None:
    code = "import sys, newsletters; print(sorted(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for heavy in ("jinja2", "premailer", "lxml", "yaml", "newsletters.pipeline"):
        assert f"'{heavy}'" not in result.stdout
