"""`newsletter lint` and the checks inside `newsletter build`: output lines, exit codes, JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.lint import JSON_VERSION, RULES

from .conftest import copy_sample

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): (?P<severity>error|warning) \[(?P<rule>[a-z0-9/-]+)\] .+$"
)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    target = tmp_path / "clinic"
    copy_sample(target)
    return target


def with_error(root: Path) -> None:
    path = root / "content/issues/2026-11.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("subject: When does pain become chronic?", "subject: Your migraines can end"),
        encoding="utf-8",
    )


def run(root: Path, *args: str) -> tuple[int, str]:
    """Run in the project's folder, so paths print relative to it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def with_warning(root: Path) -> None:
    """A dense sentence: hygiene/reading-level warns about it."""
    with (root / "content/articles/fibromyalgia.md").open("a", encoding="utf-8") as handle:
        handle.write(
            "\nIts aetiology remains incompletely characterised, although fibromyalgia frequently "
            "coexists with rheumatoid arthritis, systemic lupus erythematosus, ankylosing "
            "spondylitis, osteoarthritis, generalised anxiety disorder, chronic musculoskeletal "
            "back pain and irritable bowel syndrome. Consequently, individualised "
            "multidisciplinary pharmacological and nonpharmacological interventions are "
            "systematically considered.\n"
        )


def test_lint_the_sample_passes_with_no_finding(sample: Path) -> None:
    code, output = run(sample, "lint", "2026-11")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[-1] == "Checked 2026-11: no findings."
    assert lines[:-1] == [line for line in lines[:-1] if line.startswith("2026-11: Compatibility:")]


def test_lint_warns_and_exits_0(sample: Path) -> None:
    with_warning(sample)
    code, output = run(sample, "lint", "2026-11")
    assert code == 0, output
    lines = output.splitlines()
    assert LINE.match(lines[0]) and "warning [hygiene/reading-level]" in lines[0]
    assert lines[-1] == "Checked 2026-11: 0 errors, 1 warning."


def test_lint_strict_fails_on_a_warning(sample: Path) -> None:
    assert run(sample, "lint", "--strict")[0] == 0
    with_warning(sample)
    code, _ = run(sample, "lint", "--strict")
    assert code == 1


def test_lint_exits_1_on_an_error_with_file_and_line(sample: Path) -> None:
    with_error(sample)
    with_warning(sample)
    code, output = run(sample, "lint", "2026-11")
    assert code == 1
    found = [m for line in output.splitlines() if (m := LINE.match(line))]
    assert [(m["path"], m["line"], m["severity"], m["rule"]) for m in found] == [
        ("content/articles/fibromyalgia.md", "34", "warning", "hygiene/reading-level"),
        ("content/issues/2026-11.yaml", "2", "error", "health/condition-subject"),
    ]
    assert output.splitlines()[-1] == "Checked 2026-11: 1 error, 1 warning."


def test_lint_names_an_unknown_issue(sample: Path) -> None:
    code, output = run(sample, "lint", "2026-12")
    assert code == 1
    assert "there is no issue '2026-12'" in output


def test_lint_json_shape(sample: Path) -> None:
    with_error(sample)
    code, output = run(sample, "lint", "--all", "--format", "json")
    assert code == 1
    data = json.loads(output)
    assert output == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    assert set(data) == {"version", "issues", "errors", "warnings"}
    assert data["version"] == JSON_VERSION == 1
    assert [i["issue"] for i in data["issues"]] == ["2026-10", "2026-11"]
    issue = data["issues"][1]
    assert set(issue) == {"issue", "errors", "warnings", "findings", "compatibility"}
    assert data["errors"] == sum(i["errors"] for i in data["issues"]) >= issue["errors"] >= 1
    for finding in issue["findings"]:
        assert set(finding) == {
            "rule", "severity", "message", "hint", "path", "line", "element", "excerpt"
        }  # fmt: skip
        assert finding["rule"] in RULES
        assert finding["severity"] in ("error", "warning")
    first = next(f for f in issue["findings"] if f["rule"] == "health/condition-subject")
    assert first["path"] == "content/issues/2026-11.yaml" and first["line"] == 2
    assert first["excerpt"] == "Your migraines can end"


def test_build_writes_prints_findings_and_exits_0(sample: Path) -> None:
    with_error(sample)
    code, output = run(sample, "build", "2026-11")
    assert code == 0, output
    assert output.startswith("Built 2026-11:")
    assert "error [health/condition-subject]" in output
    assert (sample / "dist/2026-11/email.html").is_file()


def test_build_strict_writes_nothing_on_a_finding(sample: Path) -> None:
    with_error(sample)
    code, output = run(sample, "build", "--strict")
    assert code == 1
    assert "error [health/condition-subject]" in output
    assert "nothing written" in output
    assert not (sample / "dist").exists()


def test_docs_document_every_rule() -> None:
    rules = (ROOT / "docs/reference/rules.md").read_text(encoding="utf-8")
    for rule_id, rule in RULES.items():
        assert f"| `{rule_id}` | {rule.severity} |" in rules, f"docs lack {rule_id}"
    guide = (ROOT / "docs/guide/checks.md").read_text(encoding="utf-8")
    assert "lint_allow" in guide and "newsletter lint" in guide
