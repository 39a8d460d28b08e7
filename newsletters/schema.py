"""Typed schemas for the YAML a clinic writes, with a docstring per field.

A schema is a frozen dataclass whose fields carry `doc` (shown in the docs) and optionally a
`check` that returns an error message. `load_into` builds the dataclass from line-aware YAML,
adding one problem per mistake: unknown field (with the closest known name), missing field,
wrong type, or a value its check refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from .errors import Problems
from .yamlfile import YamlList, YamlMap

T = TypeVar("T")
Check = Callable[[Any], str | None]


def spec(doc: str, check: Check | None = None, *, multiline: bool = False, **kwargs: Any) -> Any:
    """A dataclass field with a user-facing description and an optional check.

    Text is one line unless `multiline`: values end up in headers, attributes and subjects,
    where a line break is an injection (a second header), not formatting."""
    return dataclasses.field(
        metadata={"doc": doc, "check": check, "multiline": multiline}, **kwargs
    )


# Control characters (a YAML "\r\n" or "\e" escape writes them) and RFC 2047 encoded-words,
# which mail programs decode: a subject must say in plain text what readers will see.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def text_problem(value: str, multiline: bool) -> str | None:
    """Why a text value cannot be used as written, or None."""
    body = value if multiline else value.rstrip("\n")
    if not multiline and "\n" in body:
        return "must be on one line; remove the line break"
    bad = _CONTROL.search(body)
    if bad:
        char = bad.group(0)
        if char == "\r":
            return "must be on one line; remove the line break (a carriage return)"
        return f"holds an invisible control character (U+{ord(char):04X}); remove it"
    if _ENCODED_WORD.search(body):
        return (
            "holds an encoded-word like =?utf-8?q?...?=; write the text itself, as readers "
            "should see it (the program encodes it for mail)"
        )
    return None


def _clean_text(value: Any, multiline: bool) -> tuple[Any, str | None]:
    """The value with a one-line field's trailing newline (YAML `>`) removed, or a problem."""
    if isinstance(value, str):
        problem = text_problem(value, multiline)
        if problem:
            return value, problem
        return (value if multiline else value.rstrip("\n")), None
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        cleaned = []
        for item in value:
            item, problem = _clean_text(item, multiline)
            if problem:
                return value, problem
            cleaned.append(item)
        return tuple(cleaned), None
    return value, None


# ---------------------------------------------------------------- checks


# https://host[:port][/path][?query][#fragment]: no user info (https://bank.com@evil.example),
# no characters that end an attribute, a CSS url() or a header.
_HOST = r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,63}\.?(?::\d{1,5})?"
_HTTPS_URL = re.compile(rf"https://{_HOST}(?:[/?#][^\s\"<>\\^`|\x00-\x1f\x7f]*)?")


def https_url(value: str) -> str | None:
    if not _HTTPS_URL.fullmatch(value) or len(value) > 2000:
        return (
            f"'{value}' is not a full https:// address; write it like https://www.example.com/page"
        )
    return None


def stylesheet_url(value: str) -> str | None:
    """An https address that goes into CSS (`@import url(...)`): none of the characters that
    would end the url() and start rules of their own."""
    problem = https_url(value)
    if problem:
        return problem
    if re.search(r"[\s'\"(){}\\]", value):
        return (
            f"'{value}' cannot be used as a stylesheet address: it holds quotes, brackets "
            "or spaces; copy the font's https:// address exactly"
        )
    return None


def link_url(value: str) -> str | None:
    """Links readers can follow from an email: https, tel: or mailto:."""
    if value.startswith("tel:"):
        if not re.fullmatch(r"tel:\+?[0-9][0-9\-. ()]*", value):
            return f"'{value}' is not a phone link; write it like tel:+18065550100"
        return None
    if value.startswith("mailto:"):
        if not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+", value):
            return f"'{value}' is not an email link; write it like mailto:info@example.com"
        return None
    return https_url(value)


def email_address(value: str) -> str | None:
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}", value):
        return f"'{value}' is not an email address; write it like news@example.com"
    return None


def security_mode(value: str) -> str | None:
    if value not in ("starttls", "tls", "none"):
        return f"'{value}' is not a kind of security; write starttls, tls or none"
    return None


def plain_words(value: str) -> str | None:
    """Text that goes inside every platform's merge-tag syntax as it is: letters, digits,
    spaces, dots and hyphens only (quotes, brackets or braces would end a platform's tag)."""
    if not re.fullmatch(r"[^\W_]+(?:[ .-]+[^\W_]+)*\.?", value):
        return (
            f"'{value}' cannot go inside the email platforms' merge tags; use letters, digits, "
            "spaces, dots and hyphens only, like: there"
        )
    return None


def hex_colour(value: str) -> str | None:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        same = _as_six_digits(value)
        if same:
            return f"write the colour '{value}' as # and six hex digits: {same} (the same colour)"
        return f"'{value}' is not a colour; write it as # and six hex digits, like #1F5F8B"
    return None


def _as_six_digits(value: str) -> str | None:
    """The #RRGGBB spelling of a colour written another CSS way (#abc, rgb(), a name), so the
    message can give the exact fix; None when it is no colour. Pillow knows CSS's names."""
    from PIL import ImageColor

    try:
        rgb = ImageColor.getrgb(value.strip())
    except ValueError:
        return None
    if len(rgb) == 4 and rgb[3] != 255:
        return None  # see-through: no #RRGGBB is the same colour
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


GENERIC_FONTS = (
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
)


def font_stack(value: str) -> str | None:
    """A CSS font list ending in a generic family; it goes into style sheets, so no characters
    that could end one."""
    example = "'Helvetica Neue', Helvetica, Arial, sans-serif"
    if re.search(r"[<>{};\\\"|*%\[\]]", value) or not value.strip():
        return f"'{value}' is not a list of fonts; write it like {example}"
    last = value.split(",")[-1].strip().strip("'").lower()
    if last not in GENERIC_FONTS:
        return (
            f"'{value}' must end with a font every device has (serif or sans-serif), like {example}"
        )
    return None


def language_tag(value: str) -> str | None:
    """A BCP 47 language tag (en, es, pt-BR): it goes into the email's lang attribute."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}", value):
        return f"'{value}' is not a language code; write it like en, es or pt-BR"
    return None


def text_direction(value: str) -> str | None:
    """A word for the dir attribute. Only its characters are checked here: a word other than
    ltr or rtl is the a11y/lang check's finding, with its explanation."""
    if not re.fullmatch(r"[A-Za-z]{1,12}", value):
        return f"'{value}' is not a text direction; write ltr or rtl"
    return None


def url_value(value: str) -> str | None:
    """A UTM value: it goes into every link to the clinic's site, so plain characters only."""
    if not re.fullmatch(r"(?:[A-Za-z0-9._~-]|\{issue\})+", value):
        return (
            f"'{value}' may hold only letters, digits, '-', '_', '.', '~' (and {{issue}}); "
            "write it like spring-newsletter"
        )
    return None


def domain_name(value: str) -> str | None:
    """A host name like newsletter.example.com (List-Id, extra UTM domains)."""
    if len(value) > 253 or not re.fullmatch(
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}", value
    ):
        return f"'{value}' is not a domain name; write it like newsletter.example.com"
    return None


def slug(value: str) -> str | None:
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
        return f"'{value}' must be lowercase letters, digits and dashes, like chronic-pain"
    return None


def _no_such_day(text: str) -> str:
    """'2027-02-30' is written right but is no day: say which part is wrong."""
    year, month, _day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return f"'{text}' is not a date: there is no month {month}; write it as YYYY-MM-DD"
    import calendar

    last = calendar.monthrange(year, month)[1]
    name = calendar.month_name[month]
    return f"'{text}' is not a date: {name} {year} has {last} days"


def image_ref(value: str) -> str | None:
    """An https URL, or a path relative to content/ such as images/migraine.jpg."""
    from .confine import relative_ref_problem

    if value.startswith(("http://", "https://")):
        return https_url(value)
    if re.match(r"^[A-Za-z]:[\\/]|^\\\\", value) or "\\" in value:
        name = re.split(r"[\\/]", value)[-1]
        return (
            f"'{value}' is a path on your computer, which readers cannot see; copy the file "
            f"into content/images/ and write: images/{name}"
        )
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return f"'{value}' must be an https:// address or a path inside content/"
    problem = relative_ref_problem(value)
    if problem:
        return f"'{value}' {problem}"
    return None


def content_file(value: str) -> str | None:
    """A file inside content/, written relative to it, such as subscribers.csv."""
    parts = Path(value).parts
    if not value.strip() or value.startswith(("/", "\\")) or ".." in parts or ":" in value:
        return f"'{value}' must be a file inside content/, written like subscribers.csv"
    return None


# ---------------------------------------------------------------- loading


def describe(tp: Any) -> str:
    """A type as a clinic's marketing person would name it."""
    origin = typing.get_origin(tp)
    if tp is str:
        return "text"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if tp is bool:
        return "true or false"
    if tp is dt.date:
        return "a date (YYYY-MM-DD)"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a set of fields (name: value lines)"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(tp) if a is not type(None))
    if isinstance(tp, type):
        if issubclass(tp, dict):
            return "a set of fields (name: value lines)"
        if issubclass(tp, list | tuple):
            return "a list"
        if issubclass(tp, dt.datetime | dt.date):
            return "a date"
        if issubclass(tp, bytes):
            return "binary data"
    return "something else"


class _Invalid(Exception):
    """A value of the wrong kind. Messages start with a verb ("must be...") or a quoted value."""

    def __init__(self, message: str) -> None:
        self.message = message

    def about(self, name: str) -> str:
        joiner = ": " if self.message.startswith("'") else " "
        return f"{name}{joiner}{self.message}"


def _convert(value: Any, tp: Any, path: Path, line: int, problems: Problems) -> Any:
    """Convert one YAML value to `tp`; raise _Invalid for a single, local type error."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], path, line, problems)
    if value is None:
        raise _Invalid(f"is empty; it must be {describe(tp)}")
    if tp is Any:
        return value
    if tp is str:
        if isinstance(value, bool):
            raise _Invalid(
                f'was read as {str(value).lower()}; put the text in quotes, like "{value}"'
            )
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise _Invalid(f"must be text, not {describe(type(value))}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _Invalid("must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("must be a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("must be a number")
        return float(value)
    if tp is dt.date:
        text = str(value)
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise _Invalid(_no_such_day(text)) from None
        raise _Invalid(f"'{text}' is not a valid date; write it as YYYY-MM-DD")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise _Invalid(f"'{value}' is not allowed; use {describe(tp)}")
        return value
    if origin in (list, tuple):
        if isinstance(value, str) and typing.get_args(tp)[0] is str:
            value = [value]  # a single tag or symptom written without '- '
        if not isinstance(value, list):
            raise _Invalid("must be a list: one item per line, each starting with '- '")
        item_type = typing.get_args(tp)[0]
        lines = value.item_lines if isinstance(value, YamlList) else [line] * len(value)
        items = []
        for item, item_line in zip(value, lines, strict=True):
            try:
                items.append(_convert(item, item_type, path, item_line, problems))
            except _Invalid as exc:
                problems.add(path, item_line, exc.about("this list item"))
        return tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid("must be a set of 'name: value' lines")
        val_type = typing.get_args(tp)[1]
        return {str(k): _convert(v, val_type, path, line, problems) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, YamlMap):
            raise _Invalid(f"must be {describe(tp)}, each on its own indented line")
        return load_into(tp, value, path, problems)  # type: ignore[arg-type]
    raise TypeError(f"schema type {tp!r} is not supported")  # a bug in a schema, not user input


def field_docs(cls: type) -> list[tuple[str, str, str, bool]]:
    """(name, type description, doc, required) for every field of a schema, for docs and tests."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        rows.append((f.name, describe(hints[f.name]), f.metadata.get("doc", ""), required))
    return rows


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A schema's resolved field types: resolving them is most of a small file's load time."""
    return typing.get_type_hints(cls)


def load_into(cls: type[T], data: Any, path: Path, problems: Problems, line: int = 1) -> T | None:
    """Build `cls` from YAML data; add problems and return None when it cannot be built."""
    if not isinstance(data, YamlMap):
        if data is None:
            problems.add(path, line, f"is empty; it needs these fields: {_required_names(cls)}")
        else:
            problems.add(path, line, "must be a set of 'name: value' lines")
        return None
    hints = _type_hints(cls)  # type: ignore[arg-type]
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    before = len(problems.errors)
    values: dict[str, Any] = {}
    suggested: set[str] = set()  # a typo's suggestion replaces the "missing" message
    for key, value in data.items():
        key_line = data.key_lines.get(key, data.line)
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "known fields: " + ", ".join(fields)
            suggested.update(close)
            problems.add(path, key_line, f"unknown field '{key}'; {hint}")
            continue
        f = fields[key]
        try:
            converted = _convert(value, hints[key], path, key_line, problems)
        except _Invalid as exc:
            problems.add(path, key_line, exc.about(f"'{key}'"))
            continue
        converted, text_issue = _clean_text(converted, bool(f.metadata.get("multiline")))
        if text_issue:
            problems.add(path, key_line, f"'{key}' {text_issue}")
            continue
        check: Check | None = f.metadata.get("check")
        if check is not None and converted is not None:
            for item in converted if isinstance(converted, tuple) else (converted,):
                message = check(item) if isinstance(item, str) else None
                if message:
                    problems.add(path, key_line, f"'{key}': {message}")
        values[key] = converted
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in values and name not in data and name not in suggested:
            problems.add(path, data.line, f"'{name}' is missing; add a line '{name}: ...'")
    if len(problems.errors) > before:
        return None
    obj = cls(**values)
    # Schemas that declare `line` / `lines` (init=False) learn where they were written.
    if hasattr(obj, "line"):
        object.__setattr__(obj, "line", data.line)
    if hasattr(obj, "lines"):
        object.__setattr__(obj, "lines", dict(data.key_lines))
    return obj


def _required_names(cls: type) -> str:
    return ", ".join(name for name, _, _, required in field_docs(cls) if required)
