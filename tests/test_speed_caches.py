"""The speed-ups keep their promises: no stale template, the same YAML messages, no leaks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from newsletters import inline, render
from newsletters.errors import Problems
from newsletters.load import load_project
from newsletters.yamlfile import parse_yaml

from .conftest import copy_sample

REPO = Path(__file__).resolve().parent.parent


def test_shared_environment_sees_an_edit_with_the_same_file_time(tmp_path: Path) -> None:
    root = tmp_path / "project"
    copy_sample(root)
    project = load_project(root, Problems())
    assert project is not None
    issue = project.newest_issue()
    assert issue is not None
    first = render.render_issue(project, issue, Problems())
    assert first is not None and "Edited within one clock tick." not in first.text

    layout = root / "templates" / "layouts" / f"{issue.meta.layout}.txt.j2"
    stat = layout.stat()
    layout.write_text(
        layout.read_text(encoding="utf-8") + "\nEdited within one clock tick.\n", encoding="utf-8"
    )
    os.utime(layout, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # an edit within one clock tick

    second = render.render_issue(project, issue, Problems())
    assert second is not None
    assert "Edited within one clock tick." in second.text
    assert render.shared_environment(project.templates_dir) is render.shared_environment(
        project.templates_dir
    )


def test_yaml_mistakes_are_worded_by_pyyaml(tmp_path: Path) -> None:
    """libyaml would say 'mapping values are not allowed in this context'."""
    problems = Problems()
    assert parse_yaml("title: a: b\n", tmp_path / "x.yaml", problems, line_offset=1) is None
    [problem] = problems.errors
    assert (problem.line, problem.message) == (
        2,
        "a second ':' is inside this value, and YAML reads 'word: ' as a new field; put the "
        'value in double quotes: title: "a: b"',
    )


def test_yaml_duplicate_keys_and_lines_on_the_fast_path(tmp_path: Path) -> None:
    problems = Problems()
    data = parse_yaml("a: 1\nb:\n  - x\n  - y\na: 2\n", tmp_path / "x.yaml", problems, 1)
    assert data == {"a": 2, "b": ["x", "y"]}
    assert data.key_lines == {"a": 6, "b": 3}
    assert data["b"].item_lines == [4, 5]
    assert data["a"] == 2
    [problem] = problems.errors
    assert (problem.line, problem.message) == (6, "'a' is set twice; keep one of them")


def test_inlining_leaves_cssutils_and_requests_as_it_found_them() -> None:
    import cssutils

    parser_init = cssutils.CSSParser.__dict__["__init__"]
    html = inline.inline_css("<html><body><p class=a>x</p></body></html>", ".a{color:red}")
    assert 'style="color:red"' in html
    assert cssutils.CSSParser.__dict__["__init__"] is parser_init
    assert parser_init.__module__ == "cssutils.parse"  # no process-wide replacement
    # Validation is skipped only while inlining; everyone else gets cssutils' own answer.
    assert cssutils.css.Property("color", "red")._isValidating() is True
    token = inline._inlining.set(True)
    try:
        assert cssutils.css.Property("color", "red")._isValidating() is False
    finally:
        inline._inlining.reset(token)
    assert not isinstance(sys.modules.get("requests"), inline._RequestsOnDemand)


def sample_copy(root: Path) -> Path:
    copy_sample(root)
    return root


def test_a_rebuild_in_the_same_process_is_byte_identical(tmp_path: Path) -> None:
    from newsletters import pipeline

    root = sample_copy(tmp_path / "project")
    _, [first], _ = pipeline.build(root)
    _, [second], _ = pipeline.build(root)  # Markdown and templates now come from memory
    assert second.html == first.html and second.text == first.text
    assert second.html_template == first.html_template and second.mjml == first.mjml


def test_remembered_markdown_still_reports_and_sees_new_images(tmp_path: Path) -> None:
    root = sample_copy(tmp_path / "project")
    article = root / "content" / "articles" / "migraine.md"
    article.write_text(
        article.read_text(encoding="utf-8") + "\n![A chart](images/chart.png)\n", encoding="utf-8"
    )
    missing = "image 'images/chart.png' not found in content/; did you mean 'images/crps.png'?"

    def messages() -> list[str]:
        problems = Problems()
        project = load_project(root, problems)
        assert project is not None
        issue = project.issues["2026-11"]
        context = render.build_context(project, issue, problems)
        html = str(context["articles"][1].body_html)
        shown = "example/newsletter/images/chart.png" in html  # the absolute URL
        return [p.message for p in problems] + (["chart shown"] if shown else [])

    assert messages() == [missing]
    assert messages() == [missing]  # the second time from memory: reported again
    (root / "content" / "images" / "chart.png").write_bytes(
        (REPO / "content" / "images" / "migraine.png").read_bytes()
    )
    assert messages() == ["chart shown"]


FLOATING = (
    '<html><body><img src="a.png" style="float:left;border:0">'
    '<img class="r" src="b.png"><img src="c.png" style="fl&#111;at: left"></body></html>'
)


def test_floating_images_still_get_their_align_attribute() -> None:
    html = inline.inline_css(FLOATING, ".r { float: right }")
    assert html.count('align="left"') == 2 and html.count('align="right"') == 1


def test_the_float_shortcut_changes_no_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    """premailer's align_floating_images is skipped when no image can float: same bytes."""
    from newsletters import pipeline
    from newsletters.compile import compile_mjml
    from newsletters.finish import tag_links

    for name in ("2026-10", "2026-11"):
        _, [built], _ = pipeline.build(REPO, [name])
        project, issue = _project_and_issue(name)
        rendered = render.render_issue(project, issue, Problems())
        assert rendered is not None
        compiled = compile_mjml(rendered.mjml, project.paths, "x", Problems())
        assert compiled is not None
        assert not inline._may_float(compiled, rendered.inline_css)  # the fast path is taken
        fast = inline.inline_css(compiled, rendered.inline_css)
        monkeypatch.setattr(inline, "_may_float", lambda html, css: True)
        assert inline.inline_css(compiled, rendered.inline_css) == fast
        tagged = tag_links(project, issue, fast, rendered.text)[0]
        assert pipeline.finish_markup(project, rendered.context, tagged)[0] == built.html_template
        monkeypatch.undo()


def _project_and_issue(name: str) -> tuple[Any, Any]:
    project = load_project(REPO, Problems())
    assert project is not None
    return project, project.issues[name]
