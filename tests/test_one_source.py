"""Decisions written once (issue 12): the review period, the size thresholds, the contrast
formula and the date labels each have one owner that every caller uses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import dates, theme
from newsletters.__main__ import cli
from newsletters.lint import a11y
from newsletters.preview import pages
from newsletters.preview.workspace import Target, Workspace

PACKAGE = Path(__file__).resolve().parents[1] / "newsletters"


def set_lint(root: Path, settings: str) -> None:
    clinic = root / "content/clinic.yaml"
    clinic.write_text(clinic.read_text(encoding="utf-8") + "\nlint:\n" + settings, "utf-8")


def newsletter(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def review_findings(root: Path, issue: str) -> list[dict[str, object]]:
    _, output = newsletter(root, "lint", issue, "--format", "json")
    (issue,) = json.loads(output)["issues"]
    return [f for f in issue["findings"] if f["rule"] == "hygiene/review-age"]


@pytest.mark.parametrize("months", [6, 12, 18])
def test_plan_list_and_lint_use_the_same_review_period(project: Path, months: int) -> None:
    """migraine.md was reviewed on 2026-10-15; the issue is dated 2026-11-05. With a review
    period of N months, both plan (on the day the period ends and the day after) and lint
    (on the issue's date, moved to those days) agree on when it runs out."""
    set_lint(project, f"  review_max_months: {months}\n")
    due = dates.add_months(dt.date(2026, 10, 15), months)
    issue = project / "content/issues/2026-11.yaml"
    original = issue.read_text(encoding="utf-8")
    for day, overdue in ((due, False), (due + dt.timedelta(days=1), True)):
        code, output = newsletter(project, "plan", "--format", "json", "--today", day.isoformat())
        assert code == 0, output
        reviews = {r["slug"]: r for r in json.loads(output)["reviews"]}
        assert ("migraine" in reviews and reviews["migraine"]["status"] == "overdue") is overdue
        if "migraine" in reviews:
            assert reviews["migraine"]["due_on"] == due.isoformat()
        _, output = newsletter(project, "list", "--format", "json", "--today", day.isoformat())
        (article,) = [a for a in json.loads(output)["articles"] if a["slug"] == "migraine"]
        assert article["review_due"] == due.isoformat()
        assert (article["review"] == "overdue") is overdue
        # The same issue dated that day (its file named after the day's month, as load requires).
        moved = issue.with_name(f"{day:%Y-%m}.yaml")
        assert moved != issue  # the periods tested all end after November 2026
        moved.write_text(original.replace("date: 2026-11-05", f"date: {day.isoformat()}"), "utf-8")
        flagged = [f for f in review_findings(project, moved.stem) if "migraine" in str(f["path"])]
        assert bool(flagged) is overdue, (months, day)
        moved.unlink()


def test_the_preview_size_meter_follows_clinic_yaml(project: Path) -> None:
    workspace = Workspace(project, checks=True, log=lambda message: None)
    view = workspace.view(Target("issue", "2026-11"))
    assert view.built is not None
    size = len(view.built.html.encode("utf-8"))
    default = pages.state(view, workspace)
    assert (default["clip_bytes"], default["warn_bytes"]) == (102 * 1024, 90 * 1024)
    assert default["size_class"] == "ok"

    warn_kb, max_kb = size // 1024 - 2, size // 1024 + 5  # near the limit, not over it
    set_lint(project, f"  html_warn_kb: {warn_kb}\n  html_max_kb: {max_kb}\n")
    workspace.invalidate()
    view = workspace.view(Target("issue", "2026-11"))
    state = pages.state(view, workspace)
    assert (state["clip_bytes"], state["warn_bytes"]) == (max_kb * 1024, warn_kb * 1024)
    assert state["size_class"] == "near"
    sizes = [f for f in view.findings if f.rule == "deliverability/html-size"]
    assert [f.severity for f in sizes] == ["warning"]  # lint says the same
    assert f"over {max_kb} KB" in pages.index_page(workspace.overview(), project)


def test_one_contrast_formula() -> None:
    assert a11y.contrast is theme.contrast
    assert theme.contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast((118, 118, 118), "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    # At the 0.03928/0.04045 boundary the formulas agree for every 8-bit value: 10/255 < both.
    assert theme.luminance((10, 10, 10)) == pytest.approx(10 / 255 / 12.92)
    assert theme.luminance((11, 11, 11)) == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)


def test_date_labels_do_not_depend_on_the_machine() -> None:
    day = dt.date(2026, 11, 5)
    assert dates.date_label(day) == "November 5, 2026"
    assert dates.month_label(2026, 11) == "November 2026"
    assert dates.short_month(2026, 11) == "Nov 2026"
    assert dates.short_date(day) == "Nov 5"
    assert dates.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert dates.add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)


def test_no_module_formats_dates_with_strftime() -> None:
    """%B and %b follow the locale and %-d does not exist on Windows: dates.py owns labels.
    (The preview's log prints the time of day with time.strftime: not a date label.)"""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "dates.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(code in line for code in ("%B", "%b", "%-d", "%d %", "date.strftime")):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []
