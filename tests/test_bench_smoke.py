"""The benchmark's parts still run the product's own code (no timing is checked here)."""

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
    target = pipeline.write_issue(built, project.paths)
    html = (target / "email.html").read_text(encoding="utf-8")
    text = (target / "email.txt").read_text(encoding="utf-8")
    for n in range(1, 7):
        assert f"part {n} of 6" in html
        assert f"part {n} of 6" in text
    # Full articles carry their Markdown body, teasers link to the clinic's site.
    assert ">Is it affecting your life?</h3>" in html
    assert "https://www.ketamineclinicwtx.com/blog/article-001" in html  # claimed


def test_generator_refuses_an_empty_issue(bench: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        bench.make_project(tmp_path / "project", 0)


def test_the_library_of_issues_builds_clean(bench: ModuleType, tmp_path: Path) -> None:
    from newsletters import lint

    root, names = bench.make_library(tmp_path / "library", 3, 2)
    assert names == ["2030-01", "2029-12", "2029-11"]
    project, built, _ = pipeline.build(root, (), all_issues=True)
    assert sorted(b.issue.id for b in built) == sorted(names)
    assert [f for b in built for f in lint.run_checks(project, b)] == []
    assert {slug for b in built for slug in b.issue.article_slugs} == {
        f"article-{n:03d}" for n in range(1, 7)
    }  # no article shared between issues


def test_rebuild_on_save_and_its_peer_run(bench: ModuleType, tmp_path: Path) -> None:
    root = bench.make_project(tmp_path / "project", 3)
    on_save = bench.OnSave(root)
    assert on_save() > 0 and on_save() > 0  # each save is seen by the rebuild (or it raises)
    assert on_save.saves == 2
    assert bench.Peer(root, [bench.ISSUE_ID]).run() > 0


def test_a_missing_node_mjml_stops_the_run(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No stand-in and no skipped target: without node's mjml the cold part refuses to run."""
    monkeypatch.setenv("NEWSLETTER_BENCH_MJML", str(tmp_path / "no-such-mjml"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no mjml
    with pytest.raises(bench.BenchError, match="npm install --prefix /tmp/mjml-bench mjml"):
        bench.find_mjml_cli()


def test_send_part_measures_the_cli_and_send_py_transport(
    bench: ModuleType, tmp_path: Path
) -> None:
    report = bench.Report(quick=True)
    bench.send_part(report, tmp_path, readers=12, transport_count=5)
    rate, memory = report.targets
    assert rate.what == "list send, 12 readers, whole CLI"
    assert memory.what == "list send memory, 12 readers"
    assert rate.peer.startswith("SmtpTransport alone:")
    [section] = report.sections
    assert "the sink accepted 12" in section
    assert (
        "multipart/alternative with text/plain, text/html; List-Unsubscribe present; "
        "first name filled in"
    ) in section


def test_the_package_bytecode_is_written_before_timing(bench: ModuleType) -> None:
    """Timed processes load .pyc files as an installed copy does, whatever the environment."""
    import importlib.util

    import newsletters.delivery.qp as module

    cached = Path(importlib.util.cache_from_source(module.__file__))
    cached.unlink(missing_ok=True)  # as in a fresh checkout under PYTHONDONTWRITEBYTECODE
    assert "pip install" in bench.write_bytecode()
    assert cached.is_file()
