"""The documentation's generated parts, made from the code so the docs never drift from it.

    python scripts/field_tables.py           # print every generated block
    python scripts/field_tables.py --write   # rewrite the blocks in docs/reference/*.md

Each block sits in a page between `<!-- BEGIN GENERATED name -->` and `<!-- END GENERATED name -->`
lines; the text around it is written by hand. tests/test_docs.py fails when a block differs from
what this script makes now (a field, rule, command, option or platform changed): run `--write`,
then review `git diff docs/`.

- fields: every field of every schema (model.py), from each field's `spec(doc)`;
- rules: every check of `newsletter lint`, from the rule registry and each rule's docstring;
- commands: every command and option, from click's own help;
- platforms: the merge tags of every export platform, from `export.PLATFORMS`.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletters import model
from newsletters.schema import field_docs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# (schema, heading, where it is written): the order of the fields page.
SECTIONS: list[tuple[type, str, str]] = [
    (model.Clinic, "clinic.yaml", "content/clinic.yaml"),
    (model.Sender, "sender", "`sender:` in clinic.yaml"),
    (model.Logo, "logo", "`logo:` in clinic.yaml"),
    (model.Link, "cta", "`cta:` in clinic.yaml, an issue or an article"),
    (model.SocialLink, "social", "each item of `social:` in clinic.yaml"),
    (model.Condition, "conditions", "each item of `conditions:` in clinic.yaml"),
    (model.Theme, "theme", "`theme:` in clinic.yaml"),
    (model.ExportSettings, "export", "`export:` in clinic.yaml"),
    (model.LintSettings, "lint", "`lint:` in clinic.yaml"),
    (model.SendSettings, "send", "`send:` in clinic.yaml"),
    (model.Compliance, "compliance", "`compliance:` in clinic.yaml"),
    (model.ArticleMeta, "Article front matter", "between the `---` lines of an article"),
    (model.Source, "sources", "each item of `sources:` in an article"),
    (model.Testimonial, "testimonials", "each item of `testimonials:` in an article"),
    (model.IssueMeta, "Issue files", "content/issues/YYYY-MM.yaml"),
    (model.LintAllow, "lint_allow", "each item of `lint_allow:` in an article or issue"),
]

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def text(value: str, cell: bool = False) -> str:
    """Markdown for a sentence written for a terminal: `<tags>` shown, not parsed as HTML.

    In a table `cell`, a `|` outside code ends the cell, so it is escaped (MkDocs' tables leave
    the ones inside code spans alone).
    """
    out = []
    last = 0
    for match in _CODE_SPAN.finditer(value):
        out.append(_escape(value[last : match.start()], cell))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape(value[last:], cell))
    joined = "".join(out)
    return joined.replace("\n", " ") if cell else joined


def _escape(plain: str, cell: bool) -> str:
    plain = plain.replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")
    return plain.replace("|", "\\|") if cell else plain


def code(value: str) -> str:
    """`value` as a code span, whatever backticks it holds."""
    ticks = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


# ---------------------------------------------------------------- fields


def _default(f: dataclasses.Field[Any], anchors: dict[type, str]) -> str:
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        return "**required**"
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    if value is None:
        return "none"
    if isinstance(value, bool):
        return code("true" if value else "false")
    if isinstance(value, tuple | list):
        return code("[" + ", ".join(str(v) for v in value) + "]")
    if isinstance(value, str):
        return "empty" if not value else code(repr(value) if value != value.strip() else value)
    if isinstance(value, int | float):
        return code(str(value))
    if type(value) in anchors:
        return "each field's own"
    raise ValueError(f"no way to document the default {value!r} of {f.name}")


def _schema_of(tp: Any) -> Any:
    """The schema a field holds, through `X | None` and `tuple[X, ...]`."""
    args = [a for a in typing.get_args(tp) if a is not type(None) and a is not Ellipsis]
    return _schema_of(args[0]) if len(args) == 1 else tp


def anchor(heading: str) -> str:
    """The id MkDocs gives a heading (Python-Markdown's toc slugify)."""
    return "#" + re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", heading).strip().lower())


def fields() -> str:
    anchors = {cls: anchor(heading) for cls, heading, _ in SECTIONS}
    out = []
    for cls, heading, where in SECTIONS:
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        hints = typing.get_type_hints(cls)
        out.append(f"## {heading}\n\nWritten in {where}.\n\n")
        out.append("| field | kind | default | meaning |\n|---|---|---|---|\n")
        for name, kind, doc, _ in field_docs(cls):
            inner = _schema_of(hints[name])
            if inner in anchors and inner is not cls:
                kind += f" ([{anchors[inner][1:]}]({anchors[inner]}))"
            default = _default(by_name[name], anchors)
            out.append(f"| `{name}` | {kind} | {default} | {text(doc, True)} |\n")
        out.append("\n")
    return "".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- rules


def _example_and_fix(doc: str) -> tuple[str, str]:
    flat = " ".join(doc.split())
    match = re.fullmatch(r"Example: (.*?)\s*Fix: (.*)", flat)
    if not match:
        raise ValueError(f"a rule's docstring must be 'Example: ... Fix: ...', not {flat!r}")
    return match.group(1), match.group(2)


def rules() -> str:
    from newsletters.lint import RULES, UNKNOWN_RULE

    out = ["| rule | severity | checks | example | fix |\n|---|---|---|---|---|\n"]
    for rule_id, rule in RULES.items():
        example, fix = _example_and_fix(rule.doc)
        cells = [text(rule.summary, True), text(example, True), text(fix, True)]
        out.append(f"| `{rule_id}` | {rule.severity} | " + " | ".join(cells) + " |\n")
    out.append(
        f"| `{UNKNOWN_RULE}` | error | A rule id in `lint: disable` or `lint_allow` exists. "
        "| `disable: [a11y/img-alts]` | use an id from this table (the message names the "
        "closest one). This one cannot be disabled. |\n"
    )
    return "".join(out)


# ---------------------------------------------------------------- commands


def commands() -> str:
    import click

    from newsletters.__main__ import cli

    root = click.Context(cli, info_name="newsletter")
    out = [_command(cli, root, level=2, top=True)]
    out.extend(_subcommands(cli, root, level=2))
    return "\n".join(out).rstrip("\n") + "\n"


def _subcommands(group: Any, parent: Any, level: int) -> list[str]:
    import click

    out = []
    for name in sorted(group.commands):
        command = group.commands[name]
        ctx = click.Context(command, info_name=name, parent=parent)
        out.append(_command(command, ctx, level))
        if isinstance(command, click.Group):
            out.extend(_subcommands(command, ctx, level + 1))
    return out


def _command(command: Any, ctx: Any, level: int, top: bool = False) -> str:
    import click

    title = "Options of every command" if top else f"`{ctx.command_path}`"
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    out = [f"{'#' * level} {title}\n\n```text\n{usage}\n```\n\n"]
    out.append(_help(command.help or ""))
    rows = []
    for param in command.get_params(ctx):
        record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
        if record is None or "--help" in record[0]:
            continue
        rows.append(f"| {code(record[0])} | {text(record[1], True)} |\n")
    if rows:
        out.append("| option | meaning |\n|---|---|\n" + "".join(rows))
    return "".join(out).rstrip("\n") + "\n"


def _help(help_text: str) -> str:
    """click's help text as Markdown: paragraphs, with `\\b` blocks kept line for line."""
    out = []
    for paragraph in help_text.split("\f")[0].strip().split("\n\n"):
        lines = paragraph.strip("\n").splitlines()
        if lines and lines[0].strip() == "\b":
            out.append("```text\n" + "\n".join(lines[1:]) + "\n```\n\n")
        else:
            out.append(text(" ".join(line.strip() for line in lines)) + "\n\n")
    return "".join(out)


# ---------------------------------------------------------------- platforms


def platforms() -> str:
    from newsletters import export, merge

    names = ("unsubscribe", "web version", "preferences", "first name")
    out = ["| platform | `--platform` | " + " | ".join(names) + " |\n|---|---|---|---|---|---|\n"]
    fallback = model.SendSettings().fallback_first_name
    for name, generic in export.PLATFORMS.items():
        platform = generic.greeting(fallback)
        cells = []
        for tag in merge.TAGS:
            html_tag, text_tag = platform.tags.get(tag), platform.text_tag(tag)
            if html_tag is None:
                cells.append(f'"{fallback}"' if tag == merge.TAGS[-1] else "your page")
            elif tag in platform.elements:
                element = platform.elements[tag]
                cells.append(f"{code(f'<{element}>text</{element}>')} (text: {code(text_tag)})")
            elif text_tag != html_tag and text_tag is not None:
                cells.append(f"{code(html_tag)} (text: {code(text_tag)})")
            else:
                cells.append(code(html_tag))
        out.append(f"| {text(platform.title, True)} | `{name}` | " + " | ".join(cells) + " |\n")
    return "".join(out)


# ---------------------------------------------------------------- the pages

BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "fields": ("reference/fields.md", fields),
    "rules": ("reference/rules.md", rules),
    "commands": ("reference/commands.md", commands),
    "platforms": ("guide/export.md", platforms),
}


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- BEGIN GENERATED {name}: scripts/field_tables.py --write -->\n",
        f"<!-- END GENERATED {name} -->\n",
    )


def current(name: str, page: str | None = None) -> str:
    """The block as the page holds it now."""
    begin, end = markers(name)
    page = page if page is not None else (DOCS / BLOCKS[name][0]).read_text(encoding="utf-8")
    start = page.index(begin) + len(begin)
    return page[start : page.index(end, start)]


def generated(name: str) -> str:
    """The block as the code says it should be (a blank line on each side)."""
    return "\n" + BLOCKS[name][1]() + "\n"


def write() -> list[Path]:
    changed = []
    for name, (page_name, _) in BLOCKS.items():
        path = DOCS / page_name
        page = path.read_text(encoding="utf-8")
        old, new = current(name, page), generated(name)
        if old != new:
            begin = page.index(markers(name)[0]) + len(markers(name)[0])
            path.write_text(page[:begin] + new + page[begin + len(old) :], encoding="utf-8")
            changed.append(path)
    return changed


def main() -> None:
    if "--write" in sys.argv:
        for path in write():
            print(f"rewrote {path.relative_to(ROOT)}")
        return
    for name in BLOCKS:
        print(generated(name))


if __name__ == "__main__":
    main()
