"""Project-level commands that are not the build: create a project, list its content."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import NewsletterError
from .model import Project

STARTER_PARTS = ("content", "templates")


def starter_root() -> Path:
    """The sample project: shipped inside the wheel, or the source tree in a checkout."""
    packaged = Path(__file__).parent / "starter"
    if (packaged / "content" / "clinic.yaml").is_file():
        return packaged
    source_tree = Path(__file__).parent.parent
    if (source_tree / "content" / "clinic.yaml").is_file():
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
        gitignore.write_text("dist/\n", encoding="utf-8")
    return created


def list_lines(project: Project) -> list[str]:
    """One line per issue (newest first), then one per article."""
    lines = ["Issues:"]
    issues = sorted(project.issues.values(), key=lambda i: (i.meta.date, i.id), reverse=True)
    for issue in issues:
        count = len(issue.article_slugs)
        lines.append(
            f"  {issue.id}  {issue.meta.date.isoformat()}  {issue.meta.layout:<9}  "
            f"{count} article{'s' if count != 1 else ''}  {issue.meta.subject}"
        )
    if not issues:
        lines.append("  (none yet: add content/issues/YYYY-MM.yaml)")
    lines.append("Articles:")
    for slug, article in sorted(project.articles.items()):
        reviewed = (
            article.meta.reviewed_on.isoformat() if article.meta.reviewed_on else "not reviewed"
        )
        lines.append(
            f"  {slug:<22}  {article.meta.condition:<14}  {reviewed:<12}  {article.meta.title}"
        )
    if not project.articles:
        lines.append("  (none yet: add content/articles/SLUG.md)")
    return lines
