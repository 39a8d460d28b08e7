"""Inbox fidelity (issue 14): what Gmail, Outlook, forced dark and images-off would break.

Each test states the inbox behaviour it guards against; the browser half is in
test_inbox_browser.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from PIL import Image

from newsletters import compat, logo, markdown
from newsletters.__main__ import cli
from newsletters.compile import merge_outlook_conditionals
from newsletters.errors import Problems
from newsletters.lint.inbox import ghost_tables
from newsletters.logo import MINIMUM, measure
from newsletters.pipeline import BuiltIssue, build
from newsletters.preview.simulate import MODES, RULES, simulate

from .conftest import GOLDEN, ROOT, copy_sample, sample_issues

SAMPLES = sample_issues()


def render(source: str) -> markdown.RenderedText:
    rendered, problems = rendered_with_problems(source)
    assert not problems.errors
    return rendered


def rendered_with_problems(source: str) -> tuple[markdown.RenderedText, Problems]:
    ctx = markdown.MarkdownContext(
        path=Path("article.md"),
        first_line=1,
        website="https://clinic.example/",
        image_url=lambda ref: "https://clinic.example/" + ref,
        image_problem=lambda ref: None,
    )
    problems = Problems()
    return markdown.render(source, ctx, problems), problems


# ---------------------------------------------------------------- 1. tables

TABLE = """\
| Stage | Lasts | Signs |
| :--- | ---: | --- |
| Aura | up to 1 hour | *flashing* lights |
| Headache | 4-72 hours | **throbbing** pain |
"""


def test_a_pipe_table_becomes_an_accessible_data_table() -> None:
    doc = lxml.html.fragment_fromstring(render(TABLE).html, create_parent="div")
    (table,) = doc.xpath("//table")
    assert table.get("role") is None  # a data table, not layout
    assert [th.get("scope") for th in table.xpath(".//th")] == ["col", "col", "col"]
    assert [td.text_content() for td in table.xpath(".//tbody/tr[1]/td")] == [
        "Aura",
        "up to 1 hour",
        "flashing lights",
    ]
    assert "—" not in render(TABLE).html  # the typographer never sees the --- row


def test_table_cells_escape_hostile_text() -> None:
    """Cell text is text: quotes, ampersands and angle brackets reach the HTML escaped."""
    rendered, problems = rendered_with_problems(
        '| Dose | Note |\n| --- | --- |\n| 5 < 6 & "7" | a > b \' c |\n'
    )
    assert not problems.errors
    doc = lxml.html.fragment_fromstring(rendered.html, create_parent="div")
    cells = [td.text_content() for td in doc.xpath("//td")]
    assert cells == ["5 < 6 & \u201c7\u201d", "a > b \u2019 c"]
    assert "5 &lt; 6 &amp;" in rendered.html


def test_raw_html_in_a_table_cell_is_the_raw_html_error() -> None:
    """A table does not open a way around the raw-HTML rule: the cell's tag is reported at
    its row and shown as text, never passed through."""
    rendered, problems = rendered_with_problems(
        "| A | B |\n| --- | --- |\n| ok | fine |\n| x | <img src=x onerror=alert(1)> |\n"
    )
    assert [(p.line, p.message.split(" (")[0]) for p in problems.errors] == [(4, "raw HTML")]
    doc = lxml.html.fragment_fromstring(rendered.html, create_parent="div")
    assert doc.xpath("//img") == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html


def test_an_unsafe_link_in_a_table_cell_is_reported() -> None:
    _, problems = rendered_with_problems("| A |\n| --- |\n| [call](javascript:alert(1)) |\n")
    assert any("'javascript:' links are unsafe" in p.message for p in problems.errors)


def test_a_table_in_the_text_part_is_aligned_under_its_header() -> None:
    assert render(TABLE).text.split("\n") == [
        "Stage            Lasts  Signs",
        "--------  ------------  -----------------",
        "Aura      up to 1 hour  _flashing_ lights",
        "Headache    4-72 hours  *throbbing* pain",
    ]


def test_a_table_too_wide_for_72_columns_becomes_one_record_per_row() -> None:
    wide = (
        "| Treatment option | What the research says so far | Who it may suit |\n"
        "| --- | --- | --- |\n"
        "| Infusions | Several small studies report shorter-term relief for some people "
        "| Adults whose pain has not eased with other care |\n"
    )
    text = render(wide).text
    assert text.split("\n")[0] == "Treatment option: Infusions"
    assert all(len(line) <= 72 for line in text.split("\n"))
    assert "Who it may suit: Adults whose pain has not eased with other care" in " ".join(
        text.split()
    )


def test_a_table_too_wide_for_a_phone_becomes_one_small_table_per_row() -> None:
    """Four columns of long words cannot shrink below about 350 px, wider than a phone's
    272 px article column: each row becomes its own table of header-value rows."""
    wide = (
        "| Medicine | Typical first dose | Interactions worth knowing | Follow-up |\n"
        "| --- | --- | --- | --- |\n"
        "| Ketamine | 5 mg | none known | 2 weeks |\n"
        '| Lidocaine | 1 patch | tell "your" doctor & nurse | 4 weeks |\n'
    )
    doc = lxml.html.fragment_fromstring(render(wide).html, create_parent="div")
    tables = doc.xpath("//table")
    assert [t.get("class") for t in tables] == ["nl-data nl-record"] * 2
    first = [(th.get("scope"), th.text_content()) for th in tables[0].xpath(".//th")]
    assert first == [
        ("row", "Medicine"),
        ("row", "Typical first dose"),
        ("row", "Interactions worth knowing"),
        ("row", "Follow-up"),
    ]
    assert {th.get("width") for th in tables[0].xpath(".//th")} == {"40%"}  # values keep room
    assert [td.text_content() for td in tables[1].xpath(".//td")] == [
        "Lidocaine",
        "1 patch",
        "tell \u201cyour\u201d doctor & nurse",
        "4 weeks",
    ]
    assert render(TABLE).html.count("<table") == 1  # a table that fits stays one table


def test_a_cell_with_a_very_long_word_may_break_it_anywhere() -> None:
    long = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    rendered = render(f"| Term | Note |\n| --- | --- |\n| {long} | rare |\n")
    doc = lxml.html.fragment_fromstring(rendered.html, create_parent="div")
    styles = [td.get("style") for td in doc.xpath("//td")]
    assert styles == ["word-break:break-all", None]


def test_built_tables_get_borders_and_padding_inline(built: dict[str, BuiltIssue]) -> None:
    doc = lxml.html.document_fromstring(built["spotlight"].html)
    cells = doc.xpath("//table[@class='nl-data']//th | //table[@class='nl-data']//td")
    assert cells
    for cell in cells:
        style = cell.get("style", "")
        assert "border:1px solid" in style and "padding:8px 6px" in style
        assert "word-break:normal" in style  # MRML's break-word on the cell splits words


# ---------------------------------------------------------------- 7. plain text

ARTICLE = (ROOT / "tests/fixtures/inbox/article.md").read_text(encoding="utf-8")


def test_golden_text_of_an_article_with_a_table_nested_list_and_long_links(
    update_golden: bool,
) -> None:
    produced = render(ARTICLE).text + "\n"
    golden = GOLDEN / "inbox" / "article.txt"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


def _long_lines(text: str) -> list[str]:
    """Lines over 72 columns other than a lone link (which cannot be broken)."""
    return [line for line in text.split("\n") if len(line) > 72 and " " in line.strip()]


def test_text_parts_keep_to_72_columns(built: dict[str, BuiltIssue]) -> None:
    assert _long_lines(render(ARTICLE).text) == []
    for item in built.values():
        assert _long_lines(item.text) == [], item.issue.id


def test_bold_and_italic_keep_a_marker_in_the_text() -> None:
    assert render("Take it **with food**, not *on an empty stomach*.").text == (
        "Take it *with food*, not _on an empty stomach_."
    )


_SENTENCE = re.compile(r".+?(?:[.!?](?=\s|$)|$)")
# Contact lines and rows of links: the text part writes each link's address on its own line.
_CONTACT = re.compile(r"www\.|@|\(\d{3}\)|^Follow us:|^Unsubscribe ·")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_every_sentence_of_the_html_is_in_the_text(built: dict[str, BuiltIssue]) -> None:
    blocks = "//p | //li | //h1 | //h2 | //h3 | //h4 | //th | //td[not(.//p or .//table)]"
    for item in built.values():
        doc = lxml.html.document_fromstring(item.html)
        for hidden in doc.xpath("//*[contains(@style, 'display:none')]"):
            hidden.drop_tree()
        for br in doc.iter("br"):
            br.tail = " " + (br.tail or "")
        text = _words(item.text)
        missing = [
            sentence.strip()
            for block in doc.xpath(blocks)
            for sentence in _SENTENCE.findall(" ".join(block.text_content().split()))
            if len(_words(sentence).split()) >= 3
            and not _CONTACT.search(sentence)
            and _words(sentence) not in text
        ]
        assert missing == [], item.issue.id


# ---------------------------------------------------------------- 2. checklist


def test_checklist_ticks_sit_in_their_own_table_cell(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        doc = lxml.html.document_fromstring(item.html)
        ticks = doc.xpath("//td[contains(@class, 'nl-check')]")
        assert ticks, item.issue.id
        for tick in ticks:
            assert tick.getparent().xpath("td")[1].text_content().strip()
            assert tick.get("aria-hidden") == "true"
            assert tick.xpath("ancestor::li") and tick.xpath("ancestor::ul")  # still a list


def test_no_negative_margin_or_position_outside_static_flow(
    built: dict[str, BuiltIssue],
) -> None:
    for item in built.values():
        assert not re.search(r"margin[a-z-]*:\s*-\d", item.html)
        assert not re.search(r"position:\s*(absolute|fixed)", item.html)


# ---------------------------------------------------------------- 3. logo in forced dark


def test_the_sample_logo_fails_in_forced_dark_and_its_plate_passes(
    built: dict[str, BuiltIssue],
) -> None:
    found = measure((ROOT / "content/images/logo.png").read_bytes())
    assert found is not None and found.ratio < MINIMUM  # why the plate exists
    files = {ref: path for path, ref in built["digest"].images}
    plate = files["images/logo.plate.png"]
    on_dark = measure(plate.read_bytes())
    assert on_dark is not None and on_dark.ratio >= MINIMUM
    assert "images/logo.plate.png" in built["digest"].html


def test_the_plate_is_byte_identical_and_carries_no_metadata(tmp_path: Path) -> None:
    first = copy_sample(tmp_path / "one")
    second = copy_sample(tmp_path / "two")
    plates = []
    for root in (first, second):
        _, items, _ = build(root, ["2026-11"])
        (path,) = [p for p, ref in items[0].images if ref == "images/logo.plate.png"]
        plates.append(path.read_bytes())
    assert plates[0] == plates[1]
    chunks = set(re.findall(rb"(tEXt|zTXt|iTXt|tIME|eXIf)", plates[0]))
    assert chunks == set()
    with Image.open(io.BytesIO(plates[0])) as image:
        assert image.info.keys() <= {"dpi", "gamma", "transparency"}


def test_a_logo_that_is_already_light_on_dark_gets_no_plate(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p")
    dark = root / "content/images/logo-dark.png"
    (root / "content/images/logo.png").write_bytes(dark.read_bytes())
    _, items, _ = build(root, ["2026-11"])
    assert "images/logo.png" in items[0].html
    assert "logo.plate.png" not in items[0].html


def test_a_plate_folder_another_user_could_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plates' cache lives in the shared temp folder: one opened to others (or made by
    another user) could have a plate swapped for any picture, so a private one is used."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"newsletters-plates-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    chosen = logo.plates_folder.__wrapped__()
    assert chosen != shared and chosen.parent == tmp_path
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o700
    shared.chmod(0o700)
    assert logo.plates_folder.__wrapped__() == shared


def test_a_logo_too_large_to_decode_is_not_measured() -> None:
    """Pixels are decoded only up to a limit: a small file can hold a huge picture."""
    out = io.BytesIO()
    Image.new("L", (5000, 4000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    assert measure(out.getvalue()) is None


# ---------------------------------------------------------------- 4. Outlook ghost tables


def test_every_divider_ghost_table_fits_its_cell(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        for width, room in ghost_tables(item.html):
            assert width <= room, item.issue.id
    assert ghost_tables(built["digest"].html)  # the digest has dividers to check


def test_mrml_still_widens_ghost_tables_on_a_unitless_zero() -> None:
    """The upstream bug (docs/upstream-mrml-divider.md). When this fails, MRML fixed it."""
    import mjml

    def ghost(padding: str) -> list[tuple[int, int]]:
        html = mjml.mjml2html(
            "<mjml><mj-body><mj-section><mj-column>"
            f'<mj-divider padding="{padding}" />'
            "</mj-column></mj-section></mj-body></mjml>"
        )
        return ghost_tables(html)

    assert ghost("0px 24px 24px") == [(552, 552)]
    assert ghost("0 24px 24px") == [(600, 552)]


# ---------------------------------------------------------------- 5. web font


def test_a_web_font_is_declared_under_the_name_the_theme_uses(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p")
    clinic = root / "content/clinic.yaml"
    clinic.write_text(
        clinic.read_text(encoding="utf-8").replace(
            "theme:\n",
            "theme:\n  web_font_url: https://fonts.example/css?family=Open+Sans\n"
            "  font_family: \"'Open Sans', Helvetica, Arial, sans-serif\"\n",
        ),
        encoding="utf-8",
    )
    _, items, _ = build(root, ["2026-11"])
    html = items[0].html
    assert 'href="https://fonts.example/css?family=Open+Sans"' in html
    assert "@import url(https://fonts.example/css?family=Open+Sans)" in html
    # Outlook for Windows cannot load it: the rest of the stack, not Times New Roman.
    assert re.search(r"<!--\[if mso\]><style>[^<]*font-family: Helvetica, Arial, sans-serif", html)


# ---------------------------------------------------------------- 6. images off


def test_every_image_has_real_width_and_height(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        files = {ref: path for path, ref in item.images}
        base = "https://www.ketamineclinicwtx.example/newsletter/"
        for img in lxml.html.document_fromstring(item.html).iter("img"):
            width, height = img.get("width", ""), img.get("height", "")
            assert width.isdigit() and height.isdigit(), lxml.html.tostring(img)
            with Image.open(files[img.get("src")[len(base) :]]) as image:
                expected = round(int(width) * image.height / image.width)
            assert int(height) == expected
            assert "height:auto" in img.get("style", "")  # browsers still scale it


def test_alt_text_is_styled_and_the_logo_alt_is_bold(built: dict[str, BuiltIssue]) -> None:
    doc = lxml.html.document_fromstring(built["digest"].html)
    for img in doc.iter("img"):
        style = img.get("style", "")
        assert "font-size:13px" not in style
        assert "font-family:" in style and "color:#" in style
    logo = doc.xpath("//img[contains(@src, 'logo.plate.png')]")[0]
    assert logo.get("alt") == "Ketamine Clinic of West Texas"
    assert "font-weight:bold" in logo.get("style", "")


# ---------------------------------------------------------------- 8. markup


def test_no_div_sits_directly_in_a_table_body(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        bare = re.sub(r"<!--\[if !mso\]><!-->|<!--<!\[endif\]-->", "", item.html)
        assert not re.search(r"<tbody>\s*(?:<!--.*?-->\s*)*<div", bare, re.S)
        assert not re.search(r"</tr>\s*(?:<!--.*?-->\s*)*<div", bare, re.S)


def test_ios_data_detectors_are_off(built: dict[str, BuiltIssue]) -> None:
    html = built["digest"].html
    assert (
        '<meta name="format-detection" content="telephone=no,date=no,address=no,email=no,url=no">'
        in html
    )
    assert "a[ x-apple-data-detectors] { color: inherit !important;" in html


def test_inlined_css_is_not_copied_into_the_head(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        head = item.html.split("</head>", 1)[0]
        assert ".nl-prose p {" not in head
        assert 'style="margin:0 0 16px' in item.html or "margin: 0 0 16px" in item.html


def test_adjacent_outlook_conditionals_are_merged(built: dict[str, BuiltIssue]) -> None:
    for item in built.values():
        assert not re.search(r"<!\[endif\]-->\s*<!--\[if mso \| IE\]>", item.html)
    assert merge_outlook_conditionals(
        "<!--[if mso | IE]><table><![endif]-->\n<!--[if mso | IE]><tr><![endif]-->"
    ) == ("<!--[if mso | IE]><table><tr><![endif]-->")


def test_sample_issues_stay_under_60_kb(built: dict[str, BuiltIssue], tmp_path: Path) -> None:
    for item in built.values():
        assert len(item.html.encode("utf-8")) < 60 * 1024
    root = copy_sample(tmp_path / "six")
    articles = root / "content/articles"
    sixth = (articles / "fibromyalgia.md").read_text(encoding="utf-8")
    sixth = sixth.replace("/blog/fibromyalgia", "/blog/fibromyalgia-sleep")
    (articles / "fibromyalgia-sleep.md").write_text(sixth, encoding="utf-8")
    (root / "content/issues/2027-01.yaml").write_text(
        "subject: Six articles\npreheader: Six articles in one issue, to check the size of a "
        "full digest.\ndate: 2027-01-07\nfeatured: chronic-pain\narticles: [migraine, "
        "fibromyalgia, diabetic-neuropathy, crps, fibromyalgia-sleep]\n",
        encoding="utf-8",
    )
    _, items, _ = build(root, ["2027-01"])
    assert len(items[0].issue.article_slugs) == 6
    assert len(items[0].html.encode("utf-8")) < 60 * 1024


# ---------------------------------------------------------------- simulations


def test_every_simulation_rule_names_its_source() -> None:
    assert set(RULES) == set(MODES)
    for rules in RULES.values():
        assert rules and all(r.what and r.source for r in rules)


def test_gmail_drops_what_gmail_drops() -> None:
    html = (
        '<html><head><meta name="color-scheme" content="light dark"><style>a{color:red}'
        "@media (prefers-color-scheme: dark) { a { color: blue } }</style></head><body>"
        '<span style="margin-left:-30px;color:red;position:absolute;cursor:pointer">x</span>'
        '<p style="position:relative;margin:0 0 16px">y</p></body></html>'
    )
    out = simulate(html, "gmail")
    assert "a{color:red}" in out and "prefers-color-scheme" not in out
    assert 'name="color-scheme"' not in out
    assert '<span style="color:red">' in out
    assert 'style="position:relative;margin:0 0 16px"' in out
    big = "<html><head><style>" + "a{color:red}" * 1500 + "</style></head><body></body></html>"
    assert "<style" not in simulate(big, "gmail")


def test_gmail_app_removes_every_style_block() -> None:
    out = simulate("<head><style>p{}</style></head><body><style>a{}</style></body>", "gmail-app")
    assert "<style" not in out


def test_images_off_blocks_every_image_and_keeps_alt() -> None:
    out = simulate('<img src="https://x.example/a.png" alt="Our clinic" width="10">', "images-off")
    assert out == '<img alt="Our clinic" width="10">'


def test_outlook_reads_its_conditionals_and_ignores_what_word_ignores() -> None:
    html = (
        '<head></head><!--[if mso | IE]><table width="600"><![endif]-->'
        '<!--[if !mso]><!--><div class="modern">m</div><!--<![endif]-->'
        '<div style="max-width:600px;padding:10px;border-radius:8px;color:red">a</div>'
        '<td style="padding:10px">b</td>'
    )
    html += (
        '<style media="screen and (min-width:480px)">.a{width:50%}</style>'
        "<style>p{color:red} @media (min-width:480px) { .col { width:50% !important; } }</style>"
        '<td style="mso-padding-alt:14px 26px"><a style="padding:14px 26px">Call</a></td>'
    )
    out = simulate(html, "outlook")
    assert '<table width="600">' in out and "modern" not in out
    assert '<div style="color:red">' in out and '<td style="padding:10px">' in out
    assert "@media" not in out and "width:50%" not in out and "p{color:red}" in out
    assert '<td style="padding:14px 26px"><a style="">Call</a></td>' in out


def test_forced_dark_inverts_everything_but_images() -> None:
    out = simulate("<html><head></head><body><img src='x'></body></html>", "forced-dark")
    assert "html{background:#FFFFFF;filter:invert(1) hue-rotate(180deg);}" in out
    assert "img{filter:invert(1) hue-rotate(180deg);}" in out


def test_an_unknown_simulation_changes_nothing() -> None:
    assert simulate("<p style='margin:-1px'>x</p>", "lotus-notes") == (
        "<p style='margin:-1px'>x</p>"
    )


# ---------------------------------------------------------------- compatibility


def test_the_caniemail_data_is_pinned_dated_and_attributed() -> None:
    meta = compat.data()
    assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
    assert meta["licence"] and "caniemail" in meta["attribution"]
    assert set(meta["features"]) == set(compat.FEATURES)


def test_the_report_names_clients_that_lack_a_feature_the_email_uses() -> None:
    html = '<div style="margin:-10px;border-radius:8px">x</div>'
    issues = {i.feature: i for i in compat.report(html)}
    assert set(issues) == {"css-margin", "css-border-radius"}
    gmail = next(g for g in issues["css-margin"].gaps if g.client == "Gmail (web)")
    assert gmail.support == "partial"
    assert any("Negative values" in note for note in gmail.notes)
    outlook = [g.client for g in issues["css-border-radius"].gaps]
    assert "Outlook for Windows (classic)" in outlook


def test_lint_shows_a_compatibility_summary_and_a_json_section(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p")
    runner = CliRunner()
    text = runner.invoke(cli, ["-C", str(root), "lint", "2026-11"])
    assert text.exit_code == 0, text.output
    assert re.search(r"^2026-11: Compatibility: \d+ features", text.output, re.M)
    assert text.output.splitlines()[-1].startswith("Checked 2026-11:")
    raw = runner.invoke(cli, ["-C", str(root), "lint", "2026-11", "--format", "json"])
    section = json.loads(raw.output)["issues"][0]["compatibility"]
    assert section["date"] == compat.data()["date"]
    features = {f["feature"]: f for f in section["features"]}
    assert "css-at-media-prefers-color-scheme" in features
    clients = [c["client"] for c in features["css-at-media-prefers-color-scheme"]["clients"]]
    assert "Gmail (web)" in clients


def test_docs_list_every_simulation_rule_and_inbox_rule() -> None:
    page = (ROOT / "docs/inboxes.md").read_text(encoding="utf-8")
    for mode, rules in RULES.items():
        assert f"?simulate={mode}" in page
        for one in rules:
            assert one.source in page, one
    from newsletters.lint import RULES as LINT_RULES

    for rule_id in LINT_RULES:
        if rule_id.startswith("inbox/"):
            assert f"| `{rule_id}` |" in page


def test_footnotes_are_an_error_at_each_line_they_appear() -> None:
    """`[^1]` reached readers as brackets, its note as a paragraph starting `[^1]:`; code
    that shows the syntax is left alone."""
    _, problems = rendered_with_problems(
        "Pain lasts[^1] and\nreturns[^two].\n\nWrite `[^1]` for a note.\n\n[^1]: A source.\n"
    )
    found = [(p.line, p.message.split(" does")[0]) for p in problems.errors]
    assert found == [(1, "footnote [^1]"), (2, "footnote [^two]"), (6, "footnote [^1]")]
