"""MRML compiles any MJML without complaint: unknown tags, misspelt attributes and an
mj-section inside an mj-column all pass silently and render wrong. So every layout's MJML,
as rendered from the templates, is checked here against MJML 4's rules: known tags, known
attributes, allowed nesting, defined mj-class names.

Besides the two sample issues, a variant project exercises the templates' other branches
(no logo, no dark logo, an odd number of cards, an article without a web page in a digest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from newsletters.pipeline import BuiltIssue, build

from .conftest import copy_sample

ROOT = Path(__file__).resolve().parents[1]

PADDING = {"padding", "padding-top", "padding-bottom", "padding-left", "padding-right"}
BORDERS = {"border", "border-top", "border-bottom", "border-left", "border-right", "border-radius"}
TEXTISH = {
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "letter-spacing",
    "line-height",
    "text-decoration",
    "text-transform",
}
COMMON = {"css-class", "mj-class"}

ATTRIBUTES: dict[str, set[str]] = {
    "mjml": {"lang", "dir", "owa"},
    "mj-head": set(),
    "mj-title": set(),
    "mj-font": {"name", "href"},
    "mj-breakpoint": {"width"},
    "mj-attributes": set(),
    "mj-all": TEXTISH | {"padding"},
    "mj-class": {"name"},  # plus any attribute of a body element, checked below
    "mj-style": {"inline"},
    "mj-raw": set(),
    "mj-body": {"background-color", "width", "css-class"},
    "mj-wrapper": {"background-color", "css-class", "full-width", "text-align", "mj-class"}
    | PADDING
    | BORDERS,
    "mj-section": {
        "background-color",
        "css-class",
        "direction",
        "full-width",
        "text-align",
        "mj-class",
    }
    | PADDING
    | BORDERS,
    "mj-group": {"background-color", "css-class", "direction", "vertical-align", "width"},
    "mj-column": {
        "background-color",
        "inner-background-color",
        "inner-border",
        "inner-border-radius",
        "vertical-align",
        "width",
        "direction",
    }
    | COMMON
    | PADDING
    | BORDERS,
    "mj-text": {"align", "container-background-color", "height"} | COMMON | PADDING | TEXTISH,
    "mj-image": {
        "align",
        "alt",
        "border",
        "border-radius",
        "container-background-color",
        "fluid-on-mobile",
        "height",
        "href",
        "name",
        "rel",
        "src",
        "srcset",
        "sizes",
        "target",
        "title",
        "width",
    }
    | COMMON
    | PADDING,
    "mj-button": {
        "align",
        "background-color",
        "container-background-color",
        "height",
        "href",
        "inner-padding",
        "rel",
        "target",
        "text-align",
        "title",
        "vertical-align",
        "width",
    }
    | COMMON
    | PADDING
    | BORDERS
    | TEXTISH,
    "mj-divider": {
        "align",
        "border-color",
        "border-style",
        "border-width",
        "container-background-color",
        "width",
    }
    | COMMON
    | PADDING,
    "mj-spacer": {"height", "container-background-color"} | COMMON | PADDING,
}
CONTENT = ["mj-text", "mj-image", "mj-button", "mj-divider", "mj-spacer", "mj-raw"]
CHILDREN: dict[str, set[str]] = {
    "mjml": {"mj-head", "mj-body"},
    "mj-head": {"mj-title", "mj-font", "mj-breakpoint", "mj-attributes", "mj-style", "mj-raw"},
    "mj-attributes": {"mj-all", "mj-class", *CONTENT, "mj-section", "mj-column", "mj-button"},
    "mj-body": {"mj-section", "mj-wrapper", "mj-raw"},
    "mj-wrapper": {"mj-section", "mj-raw"},
    "mj-section": {"mj-column", "mj-group", "mj-raw"},
    "mj-group": {"mj-column", "mj-raw"},
    "mj-column": set(CONTENT),
}
# Never used: mj-social links to third-party icons and "sharer" URLs; mj-preview's hiding
# style scores as spam (base.mjml.j2 writes its own preheader).
FORBIDDEN = {"mj-social", "mj-social-element", "mj-preview"}
BODY_ATTRIBUTES = set().union(
    *(v for k, v in ATTRIBUTES.items() if k not in ("mjml", "mj-class", "mj-style", "mj-font"))
)

_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)((?:\s+[a-z-]+=\"[^\"]*\")*)\s*(/?)>")
_ATTR = re.compile(r"([a-z-]+)=\"([^\"]*)\"")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)


def parse(mjml: str) -> Node:
    """The tree of mj- tags; text and raw HTML between them are skipped."""
    stack: list[Node] = [Node("#document", {}, 0)]
    for match in _TAG.finditer(mjml):
        closing, tag, attrs, self_closing = match.groups()
        line = mjml.count("\n", 0, match.start()) + 1
        if closing:
            assert stack[-1].tag == tag, f"line {line}: </{tag}> closes <{stack[-1].tag}>"
            stack.pop()
            continue
        node = Node(tag, dict(_ATTR.findall(attrs)), line)
        stack[-1].children.append(node)
        if not self_closing:
            stack.append(node)
    assert len(stack) == 1, f"<{stack[-1].tag}> at line {stack[-1].line} is never closed"
    (root,) = stack[0].children
    return root


def problems_in(mjml: str) -> list[str]:
    root = parse(mjml)
    found: list[str] = []
    classes: set[str] = set()
    used: list[tuple[str, int]] = []

    def visit(node: Node, parent: Node | None) -> None:
        where = f"line {node.line}: <{node.tag}>"
        if node.tag in FORBIDDEN:
            found.append(f"{where} is not allowed")
        elif node.tag not in ATTRIBUTES:
            found.append(f"{where} is not an MJML tag")
        if parent is not None and node.tag not in CHILDREN.get(parent.tag, set()):
            found.append(f"{where} cannot sit inside <{parent.tag}>")
        in_attributes = parent is not None and parent.tag == "mj-attributes"
        allowed = (
            BODY_ATTRIBUTES | {"name"}
            if node.tag == "mj-class"
            else ATTRIBUTES.get(node.tag, set()) - ({"mj-class"} if in_attributes else set())
        )
        for name in node.attrs:
            if name not in allowed:
                found.append(f"{where} has unknown attribute {name}")
        if node.tag == "mj-class":
            classes.add(node.attrs.get("name", ""))
        if "mj-class" in node.attrs:
            used.extend((c, node.line) for c in node.attrs["mj-class"].split())
        if node.tag == "mj-image" and not in_attributes and "alt" not in node.attrs:
            found.append(f"{where} has no alt")
        for child in node.children:
            visit(child, node)

    if root.tag != "mjml":
        found.append(f"the document starts with <{root.tag}>, not <mjml>")
    visit(root, None)
    found.extend(
        f"line {line}: mj-class '{c}' is not defined" for c, line in used if c not in classes
    )
    return found


# ---------------------------------------------------------------- the validator itself


def test_validator_catches_a_section_inside_a_column() -> None:
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-section></mj-section>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    assert problems_in(mjml) == ["line 1: <mj-section> cannot sit inside <mj-column>"]


def test_validator_catches_unknown_tags_attributes_and_classes() -> None:
    mjml = (
        '<mjml><mj-body><mj-section><mj-column><mj-txt></mj-txt><mj-text colour="red" '
        'mj-class="nope">x</mj-text><mj-social /></mj-column></mj-section></mj-body></mjml>'
    )
    assert problems_in(mjml) == [
        "line 1: <mj-txt> is not an MJML tag",
        "line 1: <mj-txt> cannot sit inside <mj-column>",
        "line 1: <mj-text> has unknown attribute colour",
        "line 1: <mj-social> is not allowed",
        "line 1: <mj-social> cannot sit inside <mj-column>",
        "line 1: mj-class 'nope' is not defined",
    ]


def test_validator_catches_an_image_without_alt() -> None:
    mjml = (
        '<mjml><mj-body><mj-section><mj-column><mj-image src="https://x.example/a.png" />'
        "</mj-column></mj-section></mj-body></mjml>"
    )
    assert problems_in(mjml) == ["line 1: <mj-image> has no alt"]


# ---------------------------------------------------------------- the templates


def variant_project(tmp_path: Path) -> Path:
    """The sample, changed so the templates' other branches render."""
    copy_sample(tmp_path)
    content = tmp_path / "content"
    clinic = content / "clinic.yaml"
    text = clinic.read_text()
    text = re.sub(r"\nlogo:\n(  .*\n)+", "\n", text)  # no logo at all
    text = re.sub(r"\nsocial:\n(  .*\n)+", "\n", text)
    clinic.write_text(text)
    fibro = content / "articles" / "fibromyalgia.md"
    fibro.write_text(
        fibro.read_text().replace(
            "url: https://www.ketamineclinicwtx.example/blog/fibromyalgia\n", ""
        )
    )
    (content / "issues" / "2027-01.yaml").write_text(
        "subject: Variant\npreheader: A variant issue for the template checks, long enough.\n"
        "date: 2027-01-07\nfeatured: migraine\narticles: [fibromyalgia, crps, "
        "diabetic-neuropathy]\n"
    )
    (content / "issues" / "2027-02.yaml").write_text(
        "subject: Variant\npreheader: A variant issue for the template checks, long enough.\n"
        "date: 2027-02-04\nlayout: spotlight\nfeatured: chronic-pain\n"
    )
    return tmp_path


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> list[BuiltIssue]:
    _, built, _ = build(variant_project(tmp_path_factory.mktemp("variant")), ["2027-01", "2027-02"])
    return built


def test_every_layout_renders_valid_mjml(variants: list[BuiltIssue]) -> None:
    layouts = {
        p.name.removesuffix(".mjml.j2") for p in (ROOT / "templates/layouts").glob("*.mjml.j2")
    }
    _, samples, _ = build(ROOT, all_issues=True)
    checked = set()
    for built in [*samples, *variants]:
        assert problems_in(built.mjml) == [], built.issue.id
        checked.add(built.issue.meta.layout)
    assert checked == layouts


def test_variant_without_logo_or_web_page_still_builds_sensibly(
    variants: list[BuiltIssue],
) -> None:
    digest, spotlight = variants
    assert "<img" in digest.html and "logo.png" not in digest.html
    assert "Ketamine Clinic of West Texas" in digest.html
    # fibromyalgia has no web page now: shown in full, not as a card
    assert digest.html.count('class="mj-outlook-group-fix mj-column-per-50') == 2
    assert "No one knows yet what causes it" in digest.html
    assert "Signs to watch for" in spotlight.html and "Is it chronic?" in spotlight.html
    assert "Pain has a job" in spotlight.html


@pytest.mark.parametrize("path", sorted((ROOT / "templates").rglob("*.mjml.j2")), ids=str)
def test_templates_never_use_mj_social_or_mj_preview(path: Path) -> None:
    text = path.read_text()
    assert not (set(re.findall(r"<(mj-[a-z-]+)", text)) & FORBIDDEN)
