"""The README and the documentation site say what the program does.

- the generated parts of docs/ (fields, rules, commands, platforms) match the code;
- every command, option, field and rule is documented;
- every relative link and anchor in README.md and docs/ leads somewhere;
- every `newsletter ...` command written in them parses (the command and its options exist);
- every message quoted in the README's troubleshooting table is one the program prints;
- the Quick start's two commands are what scripts/test and CI run, and build what it says.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import markdown
import pytest

import scripts.field_tables as generator
from newsletters.__main__ import cli
from newsletters.lint import RULES
from newsletters.schema import field_docs

from .conftest import ROOT, copy_sample
from .test_cli import all_commands

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FIX = "run `.venv/bin/python scripts/field_tables.py --write` and review `git diff docs/`"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- generated parts


@pytest.mark.parametrize("name", sorted(generator.BLOCKS))
def test_generated_part_matches_the_code(name: str) -> None:
    page = generator.BLOCKS[name][0]
    assert generator.current(name) == generator.generated(name), f"docs/{page} is stale: {FIX}"


@pytest.mark.parametrize("cls", [cls for cls, _, _ in generator.SECTIONS], ids=lambda c: c.__name__)
def test_every_field_is_documented(cls: type) -> None:
    page = read(DOCS / "reference/fields.md")
    for name, _, doc, _ in field_docs(cls):
        assert doc, f"{cls.__name__}.{name} has no doc in its spec()"
        assert f"| `{name}` |" in page, f"docs/reference/fields.md lacks {cls.__name__}.{name}"


def test_every_schema_a_file_holds_has_a_field_table() -> None:
    """A new schema that clinic.yaml, an article or an issue holds needs a place in SECTIONS."""
    from newsletters import model

    reachable: set[type] = set()
    todo: list[type] = [model.Clinic, model.ArticleMeta, model.IssueMeta]
    while todo:
        cls = todo.pop()
        reachable.add(cls)
        for tp in typing.get_type_hints(cls).values():
            inner = generator._schema_of(tp)
            if dataclasses.is_dataclass(inner) and inner not in reachable:
                todo.append(inner)
    documented = {cls for cls, _, _ in generator.SECTIONS}
    missing = reachable - documented
    assert not missing, f"add to SECTIONS in scripts/field_tables.py: {missing}"


def test_every_command_and_option_is_documented() -> None:
    page = read(DOCS / "reference/commands.md")
    for name, command in all_commands().items():
        assert f"## `newsletter {name}`" in page, f"docs/reference/commands.md lacks {name}: {FIX}"
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                assert f"`{param.opts[0]}" in page or f", {param.opts[0]}" in page, (
                    f"docs/reference/commands.md lacks {name} {param.opts[0]}: {FIX}"
                )


def test_every_rule_is_documented() -> None:
    page = read(DOCS / "reference/rules.md")
    for rule_id, rule in RULES.items():
        assert f"| `{rule_id}` | {rule.severity} |" in page, f"rules.md lacks {rule_id}: {FIX}"


@pytest.mark.parametrize("name", sorted(generator.BLOCKS))
def test_generated_tables_render_cell_for_cell(name: str) -> None:
    """A `|` or `<tag>` in a doc string must not split a cell or vanish as HTML."""
    html = markdown.markdown(generator.generated(name), extensions=["tables", "fenced_code"])
    for table in re.findall(r"<table>(.*?)</table>", html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        widths = {len(re.findall(r"<t[hd]>", row)) for row in rows}
        assert len(widths) == 1, f"a row of the {name} table has a different number of cells"
    assert "\\|" not in html, f"an escaped pipe shows in the {name} table"
    known = r"table|thead|tbody|tr|th|td|code|p|h\d|pre|strong|em|a"
    assert not re.search(rf"<(?!/?(?:{known})\b)", html), f"raw HTML in the {name} table"


# ---------------------------------------------------------------- links


def _headings(path: Path) -> list[str]:
    text = _without_code_blocks(read(path))
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6} (.+?)\s*#*$", text, re.M)]


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    plain = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def mkdocs_anchor(heading: str) -> str:
    """The id MkDocs (Python-Markdown's toc) gives a heading."""
    plain = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return generator.anchor(plain.replace("&lt;", "").replace("&gt;", ""))[1:]


def _without_code_blocks(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def _links(path: Path) -> Iterator[str]:
    text = re.sub(r"`[^`\n]*`", "", _without_code_blocks(read(path)))
    yield from re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(path: Path) -> None:
    slug = github_anchor if path == README else mkdocs_anchor
    for link in _links(path):
        if re.match(r"[a-z]+:", link):
            continue
        target, _, fragment = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        assert file.is_file(), f"{path.name}: the link {link} leads to no file"
        assert file.is_relative_to(ROOT), f"{path.name}: the link {link} leaves the repository"
        if path != README:
            assert file.is_relative_to(DOCS), f"{path.name}: {link} is outside docs/ (MkDocs)"
        if fragment:
            anchors = [slug(h) for h in _headings(file)]
            assert fragment in anchors, f"{path.name}: no heading #{fragment} in {file.name}"


def test_every_page_is_in_the_nav_or_left_for_the_lead() -> None:
    nav = read(ROOT / "mkdocs.yml")
    for page in PAGES:
        name = page.relative_to(DOCS).as_posix()
        assert f" {name}" in nav, f"add docs/{name} to the nav in mkdocs.yml"


# ---------------------------------------------------------------- commands in the text

PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b|\.\.\.|<|\[")


def _commands_in(path: Path) -> Iterator[str]:
    text = read(path)
    for block in re.findall(r"^```(?:sh|console)\n(.*?)^```", text, re.M | re.S):
        for line in block.splitlines():
            line = re.sub(r"^\$ ", "", line).split("  #")[0].strip()
            if line.startswith("newsletter "):
                yield line
    yield from re.findall(r"`(newsletter [^`]+)`", _without_code_blocks(text))


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_written_in_the_docs_parses(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where the subscriber lists the examples name exist
    for line in _commands_in(path):
        if PLACEHOLDER.search(line) or "|" in line:
            continue  # a synopsis such as `newsletter new article SLUG`, not a command to run
        args = shlex.split(line)[1:]
        for arg in args:
            if arg.endswith(".csv"):
                (tmp_path / arg).touch()
        try:
            _parse(args)
        except click.UsageError as error:
            pytest.fail(f"{path.name}: `{line}` does not parse: {error.format_message()}")


def _parse(args: list[str]) -> None:
    """Resolve the command as click does and parse its arguments, without running it."""
    command: click.Command = cli
    ctx = None
    name = "newsletter"
    while True:
        if isinstance(command, click.Group):
            if not args and command is not cli:
                return  # a bare `newsletter new` names the group
            split = 0
            while split < len(args) and args[split].startswith("-"):
                option = next((p for p in command.params if args[split] in p.opts), None)
                takes_value = isinstance(option, click.Option) and not option.is_flag
                split += 2 if takes_value else 1  # -C DIR, --out DIR
            try:  # the group's own options, and the name of the command that follows
                ctx = command.make_context(name, args[: split + 1], parent=ctx)
            except click.exceptions.Exit:
                return  # --version
            if split == len(args):
                raise click.UsageError("no command after the options")
            name, args = args[split], args[split + 1 :]
            sub = command.get_command(ctx, name)
            if sub is None:
                raise click.UsageError(f"no command '{name}'")
            command = sub
            continue
        if args:  # a bare `newsletter export` names the command; it is not a command line
            command.make_context(name, args, parent=ctx)
        return


# ---------------------------------------------------------------- troubleshooting


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        file = project / path
        text = file.read_text(encoding="utf-8")
        assert re.search(old, text, re.M), f"the sample no longer has {old!r} in {path}"
        file.write_text(re.sub(old, new, text, count=1, flags=re.M), encoding="utf-8")

    return edit


CLINIC = "content/clinic.yaml"
ISSUE = "content/issues/2026-11.yaml"
MIGRAINE = "content/articles/migraine.md"
# One mistake per row of the README's "Messages and what to do" table.
MISTAKES: dict[str, Callable[[Path], None]] = {
    "colon in a value": _replace(ISSUE, r"^subject: .*", "subject: Pain: when does it end?"),
    "tab": _replace(ISSUE, r"^featured:", "\tfeatured:"),
    "apostrophe in single quotes": _replace(ISSUE, r"^subject: .*", "subject: 'It's time'"),
    "unclosed quote": _replace(ISSUE, r"^subject: .*", 'subject: "When does pain end?'),
    "colour without quotes": _replace(CLINIC, r"^  primary: .*", "  primary: #B5462E"),
    "unknown condition": _replace(MIGRAINE, r"^condition: migraine", "condition: migrane"),
    "unknown article": _replace(ISSUE, r"\bmigraine\b", "migrane"),
    "missing image": _replace(MIGRAINE, r"^image: .*", "image: images/migrane.png"),
    "impossible date": _replace(ISSUE, r"^date: .*", "date: 2026-11-31"),
    "field typo": _replace(MIGRAINE, r"^title:", "titel:"),
    "missing field": _replace(MIGRAINE, r"^summary: >\n(  .*\n)+", ""),
    "check error before export": _replace(ISSUE, r"^subject: .*", "subject: Your migraines"),
}


def _troubleshooting_messages() -> list[str]:
    section = read(README).split("### Messages and what to do", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `(.+?)` \|", section, re.M)


def test_the_troubleshooting_table_has_one_mistake_per_message() -> None:
    assert len(_troubleshooting_messages()) == len(MISTAKES)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_troubleshooting_table_quotes_what_the_program_prints(
    mistake: str, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path / "project")
    MISTAKES[mistake](project)
    command = ["export", "--platform", "html"] if "export" in mistake else ["build"]
    result = subprocess.run(
        [sys.executable, "-m", "newsletters", *command],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    printed = result.stdout + result.stderr
    quoted = [m for m in _troubleshooting_messages() if m in printed]
    assert quoted, f"README's table lacks what {mistake} prints:\n{printed}"


# ---------------------------------------------------------------- quick start

QUICK_START = [
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/newsletter build",
    "bash scripts/test",
]


def test_quick_start_is_exactly_two_commands() -> None:
    section = read(README).split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^```sh\n(.*?)\n```", section, re.M | re.S) == QUICK_START


def test_quick_start_matches_ci_and_scripts_test() -> None:
    ci = read(ROOT / ".ci/run")
    assert re.search(r"^bash scripts/test\b", ci, re.M), ".ci/run must run the README's command"
    script = read(ROOT / "scripts/test")
    # The second command reuses the first one's virtual environment and installs the rest.
    assert "python3 -m venv .venv" in script
    assert ".venv/bin/pip install -q -e '.[test]'" in script
    assert "mkdocs build --strict" in script
    assert "newsletter = " in read(ROOT / "pyproject.toml")


def test_quick_start_builds_the_file_it_names(tmp_path: Path) -> None:
    """`newsletter build` in a fresh copy writes the newest issue where the README says."""
    issues = sorted((ROOT / "content/issues").glob("*.yaml"))
    dates = {p.stem: re.search(r"^date: (\S+)", read(p), re.M) for p in issues}
    newest = max(dates, key=lambda stem: dates[stem].group(1))  # type: ignore[union-attr]
    section = read(README).split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert f"`dist/{newest}/email.html`" in section and f"`dist/{newest}/email.txt`" in section
    project = copy_sample(tmp_path / "clone")
    result = subprocess.run(
        [sys.executable, "-m", "newsletters", "build"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "dist" / newest / "email.html").is_file()
    assert (project / "dist" / newest / "email.txt").is_file()
