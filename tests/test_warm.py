"""The warm rebuild's memory never answers for changed input, and hostile files stay refused.

The preview rebuilds in one process on every save; what it remembers (parsed files, template
checks, the checks' per-text results) is keyed by the inputs themselves, and confinement is
decided again on every rebuild.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import render
from newsletters.__main__ import cli
from newsletters.errors import Problems
from newsletters.lint import run_checks
from newsletters.load import load_project
from newsletters.memo import Memo
from newsletters.pipeline import build
from newsletters.preview.workspace import Target, Workspace

from .conftest import GOLDEN, copy_sample

ISSUE = Target("issue", "2026-11")
FEATURED = "content/articles/chronic-pain.md"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "clinic")


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` (same length) and put the file's times back as they were."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_a_same_size_edit_keeping_the_file_time_is_seen_by_the_next_rebuild(
    sample: Path,
) -> None:
    workspace = Workspace(sample, checks=True, log=lambda message: None)
    first = workspace.view(ISSUE)
    assert first.built is not None and "Clinicians call" in first.built.text
    same_size_edit(sample / FEATURED, "Clinicians call", "Physicians call")
    workspace.invalidate()
    second = workspace.view(ISSUE)
    assert second.built is not None and not second.errors
    assert "Physicians call" in second.built.text and "Clinicians call" not in second.built.text


def test_a_symbolic_link_swapped_in_between_two_saves_is_refused(
    sample: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside.png"
    shutil.copy(sample / "content/images/chronic-pain.png", secret)
    workspace = Workspace(sample, checks=True, log=lambda message: None)
    assert workspace.view(ISSUE).built is not None and not workspace.view(ISSUE).errors
    image = sample / "content/images/chronic-pain.png"
    kept = image.read_bytes()
    image.unlink()
    image.symlink_to(secret)
    workspace.invalidate()
    view = workspace.view(ISSUE)
    assert any("outside content/" in e.message for e in view.errors), view.errors
    image.unlink()
    image.write_bytes(kept)
    workspace.invalidate()
    assert not workspace.view(ISSUE).errors


def test_an_article_swapped_for_a_link_outside_is_refused_on_the_next_rebuild(
    sample: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.md"
    shutil.copy(sample / FEATURED, outside)
    workspace = Workspace(sample, checks=True, log=lambda message: None)
    assert not workspace.view(ISSUE).errors
    (sample / FEATURED).unlink()
    (sample / FEATURED).symlink_to(outside)
    workspace.invalidate()
    view = workspace.view(ISSUE)
    messages = [p.message for p in view.errors] + [p.message for p in workspace.project()[1]]
    assert any("symbolic link to a file outside content/" in m for m in messages), messages


def test_a_loop_of_symbolic_links_is_a_problem_not_a_traceback(sample: Path) -> None:
    articles = sample / "content/articles"
    (articles / "loop-a.md").symlink_to(articles / "loop-b.md")
    (articles / "loop-b.md").symlink_to(articles / "loop-a.md")
    result = CliRunner().invoke(cli, ["-C", str(sample), "build"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "loop-a.md: warning: cannot be used: it cannot be read (too many symbolic links)" in (
        result.output
    )
    (sample / "content/images/spin.png").symlink_to(sample / "content/images/spin.png")
    with (sample / FEATURED).open("a", encoding="utf-8") as handle:
        handle.write("\n![A spin](images/spin.png)\n")
    result = CliRunner().invoke(cli, ["-C", str(sample), "build"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "image 'images/spin.png' cannot be read (too many symbolic links)" in result.output


def test_a_settled_template_is_not_read_again_and_an_edit_is_still_seen(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "_SETTLED", 0)  # the copied templates count as settled at once
    project = load_project(sample, Problems())
    assert project is not None
    issue = project.issues["2026-11"]
    env = render.environment(project.templates_dir)
    assert render.render_issue(project, issue, Problems(), env) is not None
    reads: list[Path] = []
    real = pathlib.Path.read_text

    def counted(self: Path, *args: object, **kwargs: object) -> str:
        reads.append(self)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pathlib.Path, "read_text", counted)
    again = render.render_issue(project, issue, Problems(), env)
    assert again is not None
    assert not [p for p in reads if p.suffix == ".j2"]  # no template read: all up to date
    header = sample / "templates/partials/header.txt.j2"  # an include, checked as Jinja renders
    same_size_edit(header, "View this email in your browser:", "Read this email in your browser:")
    edited = render.render_issue(project, issue, Problems(), env)
    assert edited is not None and "Read this email in your browser:" in edited.text


def test_findings_tied_on_file_line_rule_and_message_come_in_one_order(sample: Path) -> None:
    quotes = " ".join(
        f'"Patient {n} said this clinic changed everything about my week for the better."'
        for n in "DBCA"
    )
    with (sample / FEATURED).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{quotes}\n")
    project, built, _ = build(sample)
    found = [f for f in run_checks(project, built[0]) if f.rule == "health/testimonial"]
    assert len(found) == 4
    assert [f.excerpt and f.excerpt.split()[1] for f in found] == ["A", "B", "C", "D"]


def test_a_memo_stays_within_its_bounds_and_never_keeps_what_is_too_big() -> None:
    memo: Memo[str, int] = Memo(max_entries=3, max_chars=10)
    made: list[str] = []

    def make(key: str) -> int:
        made.append(key)
        return len(key)

    for key in ("a", "bb", "ccc", "dddd"):  # 10 characters: "a" goes
        assert memo.get(key, len(key), lambda k=key: make(k)) == len(key)  # type: ignore[misc]
    assert memo.get("a", 1, lambda: make("a")) == 1 and made[-1] == "a"  # made again
    assert memo.get("dddd", 4, lambda: make("x")) == 4 and made[-1] == "a"  # remembered
    big = "z" * 11
    assert memo.get(big, 11, lambda: make(big)) == 11
    assert memo.get(big, 11, lambda: make(big)) == 11 and made.count(big) == 2  # never kept


COMPAT_SNIPPETS = (
    '<p style="POSITION: relative">',
    '<div style="background-image :url(x.png)">',
    "<style>a[href] , b { cursor:pointer }</style>",
    "<style>a[href]\u00a0{ x }</style>",
    '<p style="overflow-wrap\u2003: anywhere">',
    '<p style="poſition:absolute">',  # ſ matches s under re.I
    '<p style="curſor:pointer">',
    "<LINK rel=stylesheet>",
    "<UL><li>x</li></UL>",
    '<table ROLE="presentation">',
    "<style>@IMPORT url(x.css); @Font-Face { }</style>",
    '<p style="TABLE-LAYOUT:fixed;letter-spacing:1px;text-transform:uppercase">',
    '<p style="box-shadow:0 0 1px #000;border-radius:4px;max-width:1px;max-height:1px">',
)


def test_the_compatibility_report_skips_only_features_the_email_cannot_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from newsletters import compat

    htmls = [path.read_text(encoding="utf-8") for path in sorted(GOLDEN.rglob("*.html"))] + [
        "<html><body>" + snippet + "</body></html>" for snippet in COMPAT_SNIPPETS
    ]
    assert len(htmls) > len(COMPAT_SNIPPETS)
    quick = [compat.report(html) for html in htmls]
    monkeypatch.setattr(compat, "_first_possible", lambda html, lowered, fid: 0)
    assert [compat.report(html) for html in htmls] == quick
    assert {i.feature for i in quick[-8]} >= {"css-position"}  # the long s still counts


def test_an_unchanged_issue_is_not_written_again_and_any_difference_is(sample: Path) -> None:
    def build_cli() -> None:
        result = CliRunner().invoke(cli, ["-C", str(sample), "build"])
        assert result.exit_code == 0, result.output

    out = sample / "dist" / "2026-11"
    build_cli()
    html = out / "email.html"
    first = html.stat().st_ino
    (out / "export").mkdir()  # an export beside the build is kept either way
    build_cli()
    assert html.stat().st_ino == first  # nothing to change: nothing written
    stray = out / "images" / "old.png"
    stray.write_bytes(b"an image an earlier build showed")
    os.chmod(out / "email.txt", 0o600)
    build_cli()
    assert html.stat().st_ino != first and not stray.exists()
    assert (out / "email.txt").stat().st_mode & 0o777 == 0o644 and (out / "export").is_dir()
    second = html.stat().st_ino
    same_size_edit(sample / FEATURED, "Clinicians call", "Physicians call")
    build_cli()
    assert html.stat().st_ino != second and "Physicians call" in html.read_text(encoding="utf-8")


def _resolved_reference(root: Path, ref: str) -> str:
    """confine.inside as it was before its lstat shortcut (Path.resolve on the whole path)."""
    from newsletters import confine

    problem = confine.relative_ref_problem(ref)
    if problem:
        return f"refused: {problem}"
    try:
        base = root.resolve()
        target = (base / ref).resolve()
    except RuntimeError:
        return "refused: cannot be read (too many symbolic links)"
    if target != base and base not in target.parents:
        return "refused: leads outside content/ (through a symbolic link); copy the file in"
    return str(target)


@pytest.mark.skipif(os.name != "posix", reason="the lstat shortcut is POSIX only")
def test_confinement_decides_as_full_resolution_does(tmp_path: Path) -> None:
    from newsletters import confine

    content = tmp_path / "real" / "content"
    (content / "images").mkdir(parents=True)
    (content / "images" / "a.png").write_bytes(b"png")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    (content / "images" / "leak.png").symlink_to(outside / "secret.png")
    (content / "images" / "alias.png").symlink_to("a.png")
    (content / "outdir").symlink_to(outside)
    (content / "loop1").symlink_to(content / "loop2")
    (content / "loop2").symlink_to(content / "loop1")
    (tmp_path / "linked").symlink_to(content)
    refs = [
        "images/a.png", "images/missing.png", "missing/x/y.png", "images/a.png/x",
        "images/leak.png", "images/alias.png", "outdir/secret.png", "loop1", "loop1/x",
        "images//a.png", "images/./a.png", "images/a.png/", "images", "../x", "/etc/passwd",
        "images/.hidden", "~x", "",
    ]  # fmt: skip
    for root in (content, tmp_path / "linked", tmp_path / "nowhere" / "content"):
        for ref in refs:
            try:
                found = str(confine.inside(root, ref))
            except confine.Refused as exc:
                found = f"refused: {exc.reason}"
            assert found == _resolved_reference(root, ref), (root, ref)


def test_the_resident_warm_up_leaves_no_sample_results_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resident process builds the bundled sample to warm up; its forks must start with
    no remembered results of that sample (memo.py), only the libraries' own set-up."""
    from newsletters import memo, resident

    monkeypatch.setenv("NEWSLETTER_CACHE_DIR", str(tmp_path / "cache"))
    resident._sample_build()
    sizes = [len(m._entries) for m in list(memo._EVERY)]
    assert len(sizes) > 3  # the build used several memos
    assert sum(sizes) == 0
