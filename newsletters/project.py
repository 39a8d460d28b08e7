"""Project-level commands that are not the build: create a project, list its content."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import NewsletterError
from .paths import CONTENT, OUT, TEMPLATES, ProjectPaths

STARTER_PARTS = (CONTENT, TEMPLATES)


def starter_root() -> Path:
    """The sample project: shipped inside the wheel, or the source tree in a checkout."""
    packaged = Path(__file__).parent / "starter"
    if ProjectPaths.of(packaged).clinic_file.is_file():
        return packaged
    source_tree = Path(__file__).parent.parent
    if ProjectPaths.of(source_tree).clinic_file.is_file():
        return source_tree
    raise NewsletterError(
        "the starter files are missing from this installation; reinstall newsletters"
    )


def init_project(target: Path) -> list[Path]:
    """Copy the starter content and templates into `target`; never overwrite anything."""
    source = starter_root()
    existing = [target / part for part in STARTER_PARTS if (target / part).exists()]
    if existing:
        names = ", ".join(str(p) for p in existing)
        raise NewsletterError(f"{names} already exists; choose an empty folder for the new project")
    target.mkdir(parents=True, exist_ok=True)
    created = []
    for part in STARTER_PARTS:
        shutil.copytree(source / part, target / part)
        created.append(target / part)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(f"{OUT}/\n", encoding="utf-8")
    return created
