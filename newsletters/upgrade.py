"""Template upgrades: take a new version's template fixes without losing the clinic's edits.

Three copies of each file under templates/: the pristine one (as `init` or the last update
wrote it, kept in .newsletter/pristine/templates/), the clinic's own (templates/), and the
new version's (shipped with the installed newsletters). A 3-way merge takes the new
version's changes where the clinic did not edit the same lines; where both did, the clinic's
file is left as it is and the merge with both sides marked is written next to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import NewsletterError, Problem
from .paths import ProjectPaths
from .project import starter_root

MINE = "<<<<<<< your version"
SPLIT = "======="
THEIRS = ">>>>>>> the new version"
MERGE_SUFFIX = ".merge"


@dataclass(frozen=True)
class FileUpgrade:
    """What an update does to one template file, and the text it would write."""

    name: str  # relative to templates/, with forward slashes
    state: str  # see STATES
    merged: str | None  # the new text of templates/<name> (None: left as it is)
    conflicts: tuple[int, ...] = ()  # lines of the .merge file where a conflict starts
    diff: str = ""  # what the new version changes, as a unified diff


STATES = {
    "same": "the new version does not change it",
    "take": "you have not edited it: the new version replaces it",
    "merge": "you and the new version changed different lines: both are kept",
    "conflict": "you and the new version changed the same lines: merge them by hand",
    "new": "new in this version: it is added",
    "unknown": "no record of the version you started from: compare and take it by hand",
    "removed": "the new version no longer has it: yours is kept",
}


def plan_upgrade(root: Path) -> list[FileUpgrade]:
    """Every template file the installed version ships or the project's record holds."""
    paths = ProjectPaths.of(root)
    shipped_dir = ProjectPaths.of(starter_root()).templates
    pristine_dir, mine_dir = paths.pristine_templates, paths.templates
    names = sorted(
        {_name(p, shipped_dir) for p in _files(shipped_dir)}
        | {_name(p, pristine_dir) for p in _files(pristine_dir)}
    )
    return [_plan(name, shipped_dir, pristine_dir, mine_dir) for name in names]


def _plan(name: str, shipped_dir: Path, pristine_dir: Path, mine_dir: Path) -> FileUpgrade:
    shipped = _read(shipped_dir / name)
    pristine = _read(pristine_dir / name)
    mine = _read(mine_dir / name)
    if shipped is None:
        return FileUpgrade(name, "removed", None)
    diff = "".join(
        difflib.unified_diff(
            (pristine or "").splitlines(keepends=True),
            shipped.splitlines(keepends=True),
            f"templates/{name} (the version you started from)",
            f"templates/{name} (the new version)",
        )
    )
    if pristine == shipped or mine == shipped:
        return FileUpgrade(name, "same", None, diff=diff)
    if mine is None:
        return FileUpgrade(name, "new", shipped, diff=diff)
    if pristine is None:
        return FileUpgrade(name, "unknown", None, diff=diff)
    if mine == pristine:
        return FileUpgrade(name, "take", shipped, diff=diff)
    merged, conflicts = merge3(pristine, mine, shipped)
    if conflicts:
        return FileUpgrade(name, "conflict", None, tuple(conflicts), diff)
    return FileUpgrade(name, "merge", merged, diff=diff)


def apply_upgrade(root: Path, plans: Sequence[FileUpgrade], accept: Sequence[str] = ()) -> None:
    """Write the merged files, record the new version as pristine for each file taken, and
    write <file>.merge beside each conflict. `accept` names files merged by hand: recorded as
    up to date with the new version as they are."""
    paths = ProjectPaths.of(root)
    shipped_dir = ProjectPaths.of(starter_root()).templates
    pristine_dir = paths.pristine_templates
    known = {plan.name for plan in plans}
    unknown = [name for name in accept if name.removeprefix("templates/") not in known]
    if unknown:
        raise NewsletterError(
            [Problem(None, None, f"no template '{n}'; name it as 'templates diff' shows it")
             for n in unknown]
        )  # fmt: skip
    accepted = {name.removeprefix("templates/") for name in accept}
    for plan in plans:
        target = paths.templates / plan.name
        if plan.name in accepted:
            _write(pristine_dir / plan.name, _read(shipped_dir / plan.name) or "")
            (target.parent / (target.name + MERGE_SUFFIX)).unlink(missing_ok=True)
            continue
        if plan.state == "conflict":
            merged, _ = merge3(
                _read(pristine_dir / plan.name) or "",
                _read(target) or "",
                _read(shipped_dir / plan.name) or "",
            )
            _write(target.parent / (target.name + MERGE_SUFFIX), merged)
            continue
        if plan.merged is not None:
            _write(target, plan.merged)
        if plan.state in ("same", "take", "merge", "new"):
            shipped = _read(shipped_dir / plan.name)
            if shipped is not None:
                _write(pristine_dir / plan.name, shipped)


def merge3(base: str, mine: str, theirs: str) -> tuple[str, list[int]]:
    """A line-based 3-way merge: (merged text, lines where a conflict's marker starts)."""
    base_lines = base.splitlines(keepends=True)
    ours = _hunks(base_lines, mine.splitlines(keepends=True))
    others = _hunks(base_lines, theirs.splitlines(keepends=True))
    out: list[str] = []
    conflicts: list[int] = []
    pos = 0
    while ours or others:
        first = min(h[0] for h in (ours[:1] + others[:1]))
        end = first
        group_a: list[tuple[int, int, list[str]]] = []
        group_b: list[tuple[int, int, list[str]]] = []
        grew = True
        while grew:
            grew = False
            for hunks, group in ((ours, group_a), (others, group_b)):
                while hunks and (hunks[0][0] < end or hunks[0][0] == first or
                                 (hunks[0][0] == end and (group_a or group_b))):  # fmt: skip
                    hunk = hunks.pop(0)
                    group.append(hunk)
                    end = max(end, hunk[1])
                    grew = True
        out.extend(base_lines[pos:first])
        mine_part = _apply(group_a, base_lines, first, end)
        theirs_part = _apply(group_b, base_lines, first, end)
        if not group_b or mine_part == theirs_part:
            out.extend(mine_part)
        elif not group_a:
            out.extend(theirs_part)
        else:
            conflicts.append(len(out) + 1)
            out.append(MINE + "\n")
            out.extend(_ended(mine_part))
            out.append(SPLIT + "\n")
            out.extend(_ended(theirs_part))
            out.append(THEIRS + "\n")
        pos = end
    out.extend(base_lines[pos:])
    return "".join(out), conflicts


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _apply(
    hunks: list[tuple[int, int, list[str]]], base: list[str], start: int, end: int
) -> list[str]:
    out: list[str] = []
    pos = start
    for i1, i2, lines in hunks:
        out.extend(base[pos:i1])
        out.extend(lines)
        pos = i2
    out.extend(base[pos:end])
    return out


def _ended(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(MERGE_SUFFIX)]


def _name(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None


def _write(path: Path, text: str) -> None:
    from .write import write_atomic

    write_atomic(path, text)
