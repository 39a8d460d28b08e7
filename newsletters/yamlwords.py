"""YAML mistakes in plain words: what a person typed wrong, on the line where they typed it,
and the line as it should be.

`explain` turns a PyYAML syntax error into one message; `check_values` looks at a file that
parsed for the mistakes YAML accepts silently (a `#` that started a comment, quote marks that
will show in the email). yamlfile.py calls both; nothing else words YAML problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import Problems

CURLY = "“”‘’„«»"
QUOTES = "\"'" + CURLY
# `key: value` or `- key: value` or `- value`: the key (if any) and where the value starts.
_FIELD = re.compile(
    r"^(?P<lead>\s*(?:-\s+)*)(?:(?P<key>[^\s#\"'][^:#]*?)\s*:(?:\s+|$))?(?P<value>.*)$"
)


@dataclass(frozen=True)
class Explained:
    """One syntax mistake: its line (1-based, in the file) and what to do."""

    line: int | None
    message: str


def explain(
    text: str,
    problem: str,
    problem_line: int | None,
    context: str,
    context_line: int | None,
    line_offset: int,
) -> Explained:
    """The real cause of a PyYAML error, looked for from the top of the file down to where the
    parser gave up (lines are 0-based here, 1-based with `line_offset` in the result)."""
    lines = text.split("\n")
    last = problem_line if problem_line is not None else len(lines) - 1
    last = min(last, len(lines) - 1)

    def at(index: int, message: str) -> Explained:
        return Explained(index + 1 + line_offset, message)

    if "'\\t'" in problem or "\t" in problem:
        index = next((i for i in range(last + 1) if "\t" in lines[i]), last)
        return at(
            index,
            "a tab is here; YAML takes only spaces (to indent and after ':'): "
            "replace the tab with spaces",
        )
    for index in range(last + 1):
        found = _quote_mistake(lines[index])
        if found is not None:
            return at(index, found)
    if "quoted scalar" in context and context_line is not None:
        return at(
            context_line,
            "this quote is never closed: end the value with the same quote mark on this line",
        )
    line = lines[last]
    field = _FIELD.match(line)
    key = (field.group("key") or "") if field else ""
    value = (field.group("value") or "").strip() if field else line.strip()
    if any(c in line for c in CURLY):
        return at(
            last,
            "Word's curly quotes (“ ” ‘ ’) do not quote anything in YAML; type "
            f"straight quotes instead: {_fixed(key, value)}",
        )
    if "mapping values are not allowed" in problem and ":" not in value:
        return at(
            last,
            "this line is indented more than the line above it, so YAML reads it as "
            "part of that value; start it in the same column as the other fields",
        )
    if "mapping values are not allowed" in problem:
        return at(
            last,
            "a second ':' is inside this value, and YAML reads 'word: ' as a new "
            f"field; put the value in double quotes: {_fixed(key, value)}",
        )
    if "<block end>" in problem or "block mapping" in context:
        return at(
            last,
            "this line does not line up with the fields above it; indent fields at "
            "the same level by the same number of spaces",
        )
    return at(
        last,
        f"YAML cannot read this line ({problem or context}); check the indentation "
        "(spaces only) and that every quote is closed",
    )


def _quote_mistake(line: str) -> str | None:
    """A value that opens a quote and closes it too early (an apostrophe in single quotes) or
    never (on this line)."""
    field = _FIELD.match(line)
    if field is None:
        return None
    key, value = field.group("key") or "", field.group("value").rstrip()
    if not value or value[0] not in "\"'":
        return None
    mark = value[0]
    end = _closing(value, mark)
    if end is None:
        return (
            f"this {_name(mark)} quote is never closed: end the value with {mark} on this "
            "line (a value may not run over several lines)"
        )
    rest = value[end + 1 :].strip()
    if not rest or rest.startswith("#"):
        return None
    inner = value[1:end] + value[end] + value[end + 1 :].rstrip(mark)
    if mark == "'":
        doubled = value[1:-1].replace("'", "''") if value.endswith("'") else inner
        return (
            "an apostrophe ends the single-quoted value early; use double quotes: "
            f"{_fixed(key, inner)} (or write the apostrophe twice: {key}: '{doubled}')"
        )
    return (
        'a " inside the double-quoted value ends it early; use single quotes around it: '
        f"{key}: '{inner.replace(chr(39), chr(39) * 2)}'"
    )


def _closing(value: str, mark: str) -> int | None:
    """Index of the quote that closes `value`'s opening quote, or None."""
    index = 1
    while index < len(value):
        char = value[index]
        if mark == '"' and char == "\\":
            index += 2
            continue
        if char == mark:
            if mark == "'" and value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def _name(mark: str) -> str:
    return "double" if mark == '"' else "single"


def _fixed(key: str, value: str) -> str:
    """The line as it should be: the value in straight double quotes."""
    inner = value.strip().strip(QUOTES)
    inner = inner.replace("\\", "\\\\").replace('"', '\\"')
    return f'{key}: "{inner}"' if key else f'"{inner}"'


def check_values(data: Any, text: str, path: Any, problems: Problems, line_offset: int) -> Any:
    """Mistakes YAML accepts: a `#` that made a value empty (an error, with the value read as
    meant so no second error follows) and quote marks readers would see (a warning)."""
    lines = text.split("\n")
    _walk(data, lines, path, problems, line_offset)
    return data


def _walk(data: Any, lines: list[str], path: Any, problems: Problems, offset: int) -> None:
    key_lines = getattr(data, "key_lines", None)
    if isinstance(data, dict) and key_lines is not None:
        for key, value in list(data.items()):
            line = key_lines.get(key)
            if value is None and line is not None:
                meant = _commented_value(lines, line - 1 - offset, key)
                if meant is not None:
                    problems.add(
                        path,
                        line,
                        f"'{key}' is empty because '#' starts a comment in YAML; put the value "
                        f'in quotes: {key}: "{meant}"',
                    )
                    data[key] = meant
                    continue
            _value(value, key, line, lines, path, problems, offset)
    item_lines = getattr(data, "item_lines", None)
    if isinstance(data, list) and item_lines is not None:
        for value, line in zip(data, item_lines, strict=False):
            _value(value, None, line, lines, path, problems, offset)


def _value(
    value: Any,
    key: str | None,
    line: int | None,
    lines: list[str],
    path: Any,
    problems: Problems,
    offset: int,
) -> None:
    if isinstance(value, str):
        warning = _visible_quotes(value, key)
        if warning:
            problems.warn(path, line, warning)
    else:
        _walk(value, lines, path, problems, offset)


def _commented_value(lines: list[str], index: int, key: str) -> str | None:
    if not 0 <= index < len(lines):
        return None
    match = re.match(rf"^\s*(?:-\s+)*{re.escape(key)}\s*:\s+#(.*)$", lines[index])
    if match is None:
        return None
    meant = "#" + re.split(r"\s+#", match.group(1))[0].strip()
    return meant if len(meant) > 1 else None


def _visible_quotes(value: str, key: str | None) -> str | None:
    """Quote marks around a value, or one stray quote at its edge, that would reach readers."""
    text = value.strip()
    if len(text) < 2:
        return None
    name = f"'{key}'" if key else "this value"
    starts, ends = text[0] in QUOTES, text[-1] in QUOTES
    if starts and ends:
        if any(c in CURLY for c in (text[0], text[-1])):
            return (
                f"{name} is wrapped in Word's curly quotes, which readers will see; remove "
                f"them, or type straight quotes if the value needs quoting: "
                f"{_fixed(key or '', text)}"
            )
        return (
            f"{name} is wrapped in quote marks that readers will see ({text[0]}...{text[-1]});"
            " remove them unless you mean to print them"
        )
    edge = text[0] if starts else text[-1] if ends else ""
    if edge and text.count(edge) % 2 == 1 and edge not in "'’":
        where = "starts" if starts else "ends"
        return (
            f"{name} {where} with a stray quote mark ({edge}) that readers will see; remove "
            "it, or close the quotation"
        )
    return None
