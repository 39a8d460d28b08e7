"""The benchmark's generator and stage list still work (no timing is checked here)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from newsletters import pipeline

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    saved = list(sys.path)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("bench")
    finally:
        sys.path[:] = saved
        for name in ("bench", "synthetic"):
            sys.modules.pop(name, None)


def test_six_article_synthetic_issue_builds(bench: ModuleType, tmp_path: Path) -> None:
    root = bench.make_project(tmp_path / "project", 6)
    project, [built], problems = pipeline.build(root, [bench.ISSUE_ID])
    assert problems.errors == []
    assert len(project.articles) == 6  # the sample's own articles were replaced
    assert built.meta["articles"] == [f"article-{n:03d}" for n in range(1, 7)]
    target = pipeline.write_issue(built, tmp_path / "dist")
    html = (target / "email.html").read_text(encoding="utf-8")
    text = (target / "email.txt").read_text(encoding="utf-8")
    for n in range(1, 7):
        assert f"part {n} of 6" in html
        assert f"part {n} of 6" in text
    # Full articles carry their Markdown body, teasers link to the clinic's site.
    assert ">Is it affecting your life?</h3>" in html
    assert "https://www.ketamineclinicwtx.com/blog/article-001" in html  # claimed


def test_every_warm_stage_runs(bench: ModuleType, tmp_path: Path) -> None:
    root = bench.make_project(tmp_path / "project", 1)
    report = bench.Report(quick=True)
    timings = bench.warm_stages(root, tmp_path / "out", report)
    for stage in ("load", "jinja2 (MJML template)", "mjml compile", "inline (premailer)", "write"):
        assert timings[stage].runs
    assert timings["whole warm rebuild"].median > 0
    assert (tmp_path / "out" / bench.ISSUE_ID / "email.html").is_file()


def test_generator_refuses_an_empty_issue(bench: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        bench.make_project(tmp_path / "project", 0)


def test_send_part_delivers_personal_messages(bench: ModuleType, tmp_path: Path) -> None:
    root = bench.make_project(tmp_path / "project", 1)
    report = bench.Report(quick=True)
    result = bench.send_benchmark(root, 5, report)
    assert report.notes == []
    assert result is not None and result["received"] == 5
    assert result["first_message"] == (
        "multipart/alternative with text/plain, text/html; List-Unsubscribe present; "
        "first name filled in"
    )
