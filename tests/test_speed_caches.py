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


SELECTORS_HTML = (
    "<!doctype html><html><head><style>p { color: red }</style></head><body>"
    '<div class="nl-prose"><p>a</p><div class="x\tnl-prose\n"><p class="k">b</p>'
    '<ul><li>c<p class="nl-kicker k">d</p></li></ul></div></div>'
    '<div class="NL-PROSE"><p>e</p></div><div class="nl-prose\xa0y"><p>f</p></div>'
    '<div class="nl-prose\x0cz"><p>g</p></div><P class="k">h</P>'
    '<table class="a b"><tr><td class="b"><span class="c">i</span></td></tr></table>'
    '<div id="i"><p>j</p></div><!-- <p class="k">k</p> --><p class="k  l">m</p>'
    "</body></html>"
)
SELECTORS_CSS = """
.nl-prose p { margin: 0 0 16px; }
.nl-prose li { margin: 1px; }
p.nl-kicker { margin: 2px; }
.k { color: #111111; }
p.k.l { color: #222222; }
.a .b .c { color: #333333; }
.a .c { padding: 1px; }
table.a td.b span { padding: 2px; }
.nl-prose .nl-prose p { border: 1px solid #000000; }
.b { padding: 3px; }
div p { padding: 4px; }
p { font-size: 12px; }
#i p { font-size: 13px; }
.nl-prose > p { font-size: 14px; }
.nl-prose p:first-child { font-size: 15px; }
li:hover { color: #444444; }
"""


def test_indexed_selectors_pick_the_elements_premailer_picks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workaround 6: selectors answered from the index (classes split only at XML spaces,
    descendants at any depth, repeated classes, case) give premailer's own bytes."""
    cases = [(SELECTORS_HTML, SELECTORS_CSS)]
    for name in ("2026-10", "2026-11"):
        project, issue = _project_and_issue(name)
        rendered = render.render_issue(project, issue, Problems())
        assert rendered is not None
        from newsletters.compile import compile_mjml

        compiled = compile_mjml(rendered.mjml, project.paths, "x", Problems())
        assert compiled is not None
        cases.append((compiled, rendered.inline_css))
    indexed = [inline.inline_css(html, css) for html, css in cases]
    calls: list[str] = []
    real = inline._DocumentIndex.select

    def counted(self: Any, compounds: Any) -> Any:
        calls.append(str(compounds))
        return real(self, compounds)

    monkeypatch.setattr(inline._DocumentIndex, "select", counted)
    assert [inline.inline_css(html, css) for html, css in cases] == indexed
    assert calls  # the index answered
    monkeypatch.setattr(inline, "_IndexSlot", lambda: None)  # premailer's own XPath only
    calls.clear()
    assert [inline.inline_css(html, css) for html, css in cases] == indexed
    assert not calls
    # A .nl-prose inside a .nl-prose (class between tab and newline), and a class in capitals.
    assert 'margin:0 0 16px; border:1px solid #000">b</p>' in indexed[0]
    assert '<p style="font-size:12px; padding:4px">e</p>' in indexed[0]
