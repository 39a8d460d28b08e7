"""Project-level commands that are not the build: create a project, list its content."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import NewsletterError
from .paths import CLINIC_FILE, CONTENT, OUT, TEMPLATES, ProjectPaths

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


STARTER_FILES = Path(__file__).parent / "starter_files"  # the clean project's own files


def init_project(target: Path, sample: bool = False) -> list[Path]:
    """Create a project in `target`; never overwrite anything.

    A clean project: the templates, clinic.yaml with placeholders (errors before export or
    send), one example article and a starter logo. With `sample`, the demo clinic instead.
    The templates are also recorded as installed (`pristine_templates`): the base of the
    3-way merge that brings a later version's template fixes (`newsletter templates update`).
    """
    source, new = ProjectPaths.of(starter_root()), ProjectPaths.of(target)
    existing = [target / part for part in STARTER_PARTS if (target / part).exists()]
    if existing:
        names = ", ".join(str(p) for p in existing)
        raise NewsletterError(f"{names} already exists; choose an empty folder for the new project")
    target.mkdir(parents=True, exist_ok=True)
    if sample:
        shutil.copytree(source.content, new.content)
    else:
        for folder in (new.articles, new.issues, new.images):
            folder.mkdir(parents=True)
        shutil.copyfile(STARTER_FILES / CLINIC_FILE, new.clinic_file)
        shutil.copyfile(STARTER_FILES / "example-article.md", new.article("example-article"))
        shutil.copyfile(STARTER_FILES / "logo.png", new.in_content("images/logo.png"))
    shutil.copytree(source.templates, new.templates)
    shutil.copytree(source.templates, new.pristine_templates)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(gitignore_text(), encoding="utf-8")
    return [new.content, new.templates]


def gitignore_text() -> str:
    """The new project's .gitignore: the outputs (send journals, remembered test addresses
    included), and the files that hold readers' addresses, which must not travel with a
    shared or published copy of the project."""
    from .optouts.store import STORE_NAME
    from .optouts.webapp import SERVICE_DB_NAME

    return (
        f"{OUT}/\n"
        "# Personal data: who opted out, who subscribes. Keep it off shared repositories.\n"
        f"{STORE_NAME}*\n"
        f"{SERVICE_DB_NAME}*\n"
        f"{CONTENT}/suppressed.txt\n"
        "/*.csv\n"
        f"/{CONTENT}/**/*.csv\n"
    )
