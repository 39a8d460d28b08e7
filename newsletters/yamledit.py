"""Change a few keys of one top-level block of a YAML file, keeping everything else as it was.

`newsletter setup` writes the SMTP and opt-out settings into clinic.yaml's `send:` block. A
clinic's file has their comments, their order and perhaps Windows line endings; a YAML library
would rewrite all of that. This edits lines: a key already in the block gets its new value on
its own line (a comment after a plain value is kept), a new key goes at the end of the block,
and a file without the block gets one at the end. The result is parsed again and checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from .errors import NewsletterError, Problem

Value = str | int | bool


def _render(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a double-quoted YAML string, always safe


def set_keys(text: str, block: str, values: Mapping[str, Value], path: Path) -> str:
    """`text` with block.key set to each value; raises NewsletterError when it cannot be done."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    head = re.compile(rf"^{re.escape(block)}:[ \t]*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if start is None:
        if any(re.match(rf"^{re.escape(block)}\s*:", line) for line in lines):
            raise NewsletterError(
                [Problem(path, None, f"{block}: is written on one line; put its keys below it")]
            )
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", f"{block}:"]
        start = len(lines) - 1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t", "#")):
        end += 1
    body = lines[start + 1 : end]
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in body if ln.strip() and ln.lstrip()[0] != "#"]
    indent = " " * (min(indents) if indents else 2)
    last = max((i for i, ln in enumerate(body) if ln.strip()), default=-1)
    for key, value in values.items():
        rendered = f"{indent}{key}: {_render(value)}"
        pattern = re.compile(rf"^{indent}{re.escape(key)}:(?P<value>[^#\n]*?)(?P<comment>\s+#.*)?$")
        for i, line in enumerate(body):
            match = pattern.match(line)
            if match:
                plain = not re.search(r"[\"'|>&*!{\[]", match.group("value"))
                comment = match.group("comment") if plain and match.group("comment") else ""
                body[i] = rendered + comment
                break
        else:
            last += 1
            body.insert(last, rendered)
    result = newline.join(lines[: start + 1] + body + lines[end:]) + newline
    _verify(result, block, values, path)
    return result


def _verify(text: str, block: str, values: Mapping[str, Value], path: Path) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    section = data.get(block) if isinstance(data, dict) else None
    if not isinstance(section, dict) or any(section.get(k) != v for k, v in values.items()):
        raise NewsletterError(
            [
                Problem(
                    path,
                    None,
                    f"could not add the settings to its {block}: block safely; add them by hand: "
                    + ", ".join(f"{k}: {_render(v)}" for k, v in values.items()),
                )
            ]
        )
