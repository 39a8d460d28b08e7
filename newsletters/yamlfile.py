"""YAML that remembers where each value came from, so every message can name a line.

Dates stay text here (the schema parses them with a helpful message), duplicate keys are
problems rather than silently dropped values, and front matter is split from Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Problems
from .yamlwords import check_values, explain


class YamlMap(dict[str, Any]):
    """A mapping that knows the line of each key and of itself."""

    line: int
    key_lines: dict[str, int]


class YamlList(list[Any]):
    """A list that knows the line of each item and of itself."""

    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records lines and keeps timestamps as text."""

    line_offset = 0
    duplicate_keys: list[tuple[str, int]]


# libyaml's parser when PyYAML was built with it (the PyPI wheels are), else the same as _Loader.
_FAST_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_FAST_BASE):  # type: ignore[valid-type,misc]
    """The same on libyaml's parser: 3-4x faster. Only used for text that parses cleanly; a
    mistake is re-parsed with _Loader so every message stays PyYAML's own."""

    line_offset = 0
    duplicate_keys: list[tuple[str, int]]


# Keep dates as strings: PyYAML raises a bare ValueError on "2026-13-01" otherwise.
_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: _Loader | _FastLoader, node: yaml.MappingNode) -> YamlMap:
    result = YamlMap()
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key) if not isinstance(key, str) else key
        line = key_node.start_mark.line + 1 + loader.line_offset
        if key in result:
            loader.duplicate_keys.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_list(loader: _Loader | _FastLoader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    return result


for _loader_class in (_Loader, _FastLoader):
    _loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
    _loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


def parse_yaml(text: str, path: Path, problems: Problems, line_offset: int = 0) -> Any:
    """Parse YAML text; on a syntax error add a problem and return None."""
    fast = _FastLoader(text)
    fast.line_offset = line_offset
    fast.duplicate_keys = []
    try:
        data = fast.get_single_data()
    except yaml.YAMLError:
        pass  # the pure-Python parser below words the problem
    except RecursionError:
        problems.add(path, None, "invalid YAML: it is nested too deeply; flatten the structure")
        return None
    else:
        for key, key_line in fast.duplicate_keys:
            problems.add(path, key_line, f"'{key}' is set twice; keep one of them")
        return check_values(data, text, path, problems, line_offset)
    finally:
        fast.dispose()
    loader = _Loader(text)
    loader.line_offset = line_offset
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # Where the person made the mistake and how to fix it, not where the parser gave up.
        found = explain(
            text,
            exc.problem or "",
            exc.problem_mark.line if exc.problem_mark else None,
            exc.context or "",
            exc.context_mark.line if exc.context_mark else None,
            line_offset,
        )
        problems.add(path, found.line, found.message)
        return None
    except yaml.YAMLError as exc:
        problems.add(path, None, f"invalid YAML: {' '.join(str(exc).split())}")
        return None
    except RecursionError:
        problems.add(path, None, "invalid YAML: it is nested too deeply; flatten the structure")
        return None
    finally:
        loader.dispose()
    for key, line in loader.duplicate_keys:
        problems.add(path, line, f"'{key}' is set twice; keep one of them")
    return check_values(data, text, path, problems, line_offset)


# Characters no editor writes on purpose; a NUL also stops the YAML parser with a Python error.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def read_text(path: Path, problems: Problems) -> str | None:
    """Read a UTF-8 text file (a regular file within the size limit); on failure add a problem
    a person can act on and return None."""
    from .confine import MAX_TEXT_BYTES, Refused, read_bytes

    try:
        data = read_bytes(path, MAX_TEXT_BYTES)
    except Refused as exc:
        if exc.reason == "not found":
            problems.add(path, None, "file not found")
        else:
            problems.add(path, None, f"cannot use this file: it {exc.reason}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(path, line, "this file is not UTF-8 text; save it with UTF-8 encoding")
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        code = f"U+{ord(bad.group(0)):04X}"
        problems.add(
            path,
            line,
            f"this line holds an invisible control character ({code}); delete it and retype "
            "the text around it",
        )
        return None
    return text


@dataclass(frozen=True)
class FrontMatterFile:
    """A Markdown file split into its YAML front matter and its body."""

    meta: Any
    body: str
    body_line: int  # line number of the body's first line in the file


def read_front_matter(path: Path, problems: Problems) -> FrontMatterFile | None:
    """Split `---` front matter from a Markdown body; add a problem if it is missing or open."""
    text = read_text(path, problems)
    if text is None:
        return None
    return split_front_matter(text, path, problems)


def split_front_matter(text: str, path: Path, problems: Problems) -> FrontMatterFile | None:
    """`read_front_matter` on text already read (its result depends on the text alone)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.add(
            path, 1, "no front matter: start the file with a line '---', the fields, then '---'"
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            meta_text = "\n".join(lines[1:index])
            before = len(problems.errors)
            meta = parse_yaml(meta_text, path, problems, line_offset=1)
            if meta is None and len(problems.errors) > before:
                return None  # the syntax error is the one problem: no "empty" after it
            body = "\n".join(lines[index + 1 :])
            return FrontMatterFile(meta, body, index + 2)
    problems.add(path, 1, "front matter is not closed: add a line '---' after the fields")
    return None
