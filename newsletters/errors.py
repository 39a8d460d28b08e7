"""Problems found in a user's project, and the one exception that carries them.

`Problem` is the one finding type of the program: a load error, a build warning, a check's
finding (with its `rule` id) and what the preview shows are all Problems, printed by one
formatter (`Problem.format`) and written to JSON by one function (`Problem.as_json`).

    Exception
     └── NewsletterError            a user's mistake: one or more Problems, each path:line: message
          └── NotAProject           the folder has no content/clinic.yaml

Every stage appends to a `Problems` list instead of stopping at the first mistake, so one run
reports everything. Only the CLI turns a NewsletterError into printed lines and exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

# "note": a closing line under a run's problems (what to do next), never counted as a problem.
Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, where it is, and what to do about it.

    `path`/`line` point where the cause is (a source file's line, else the template); `rule` is
    the id of the check that found it (None for load and build problems); `element` describes
    the output element a check looked at, `excerpt` the sentence or value concerned.
    """

    path: Path | None
    line: int | None
    message: str
    severity: Severity = "error"
    rule: str | None = None
    hint: str | None = None  # what to do, when the message does not already say it
    element: str | None = None
    excerpt: str | None = None

    def location(self, relative_to: Path | None = None) -> str:
        """`path:line` (or just the path, or ""), the path as short as it can be."""
        if self.path is None:
            return ""
        where = display_path(self.path, relative_to)
        return f"{where}:{self.line}" if self.line is not None else where

    def text(self) -> str:
        """The message with the element it concerns and the hint."""
        text = self.message + (f" (in {self.element})" if self.element else "")
        return text + (f"; {self.hint}" if self.hint else "")

    def format(self, relative_to: Path | None = None) -> str:
        """The one line a person reads: `path:line: error [rule] message`, or for problems
        that no check found, `path:line: message` (`warning: ` before a warning's)."""
        where = self.location(relative_to)
        if self.rule is not None:
            label = f"{self.severity} [{self.rule}] "
        else:
            label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{self.text()}" if where else f"{label}{self.text()}"

    def as_json(self, root: Path) -> dict[str, Any]:
        """The stable JSON of a problem (`lint --format json`, the preview): paths relative to
        the project `root` with forward slashes, absolute when outside it."""
        path = None
        if self.path is not None:
            try:
                path = self.path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                path = self.path.as_posix()
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "path": path,
            "line": self.line,
            "element": self.element,
            "excerpt": self.excerpt,
        }


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """A path as short as it can be while still naming the same file from the current folder."""
    base = relative_to if relative_to is not None else Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())  # outside the folder: "../../x" would be harder to find


class Problems:
    """An ordered collection of problems that stages add to."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, path: Path | None, line: int | None, message: str) -> None:
        self._items.append(Problem(path, line, message))

    def warn(self, path: Path | None, line: int | None, message: str) -> None:
        self._items.append(Problem(path, line, message, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self._items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self._items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise NewsletterError(self.errors)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class NewsletterError(Exception):
    """A user's mistake: the project cannot be built as it is."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class NotAProject(NewsletterError):
    """The folder is not a newsletter project."""
