"""Where a project's files are: the one place that joins the project's folder names.

Like mkdocs' config or pelican's settings, the paths are configuration: `ProjectPaths` is made
once from the project's folder and the output folder (`--out`, default dist/), carried by the
`Project` (`project.paths`), and every stage asks it instead of joining literals.

    <root>/content/clinic.yaml            clinic_file
    <root>/content/articles/<slug>.md     article(slug)
    <root>/content/issues/<name>.yaml     issue_file(name)
    <root>/content/images/                images
    <root>/templates/layouts/<l>.mjml.j2  layout(l)
    <root>/.newsletter/pristine/templates/ pristine_templates: as installed (templates update)
    <out>/<issue>/                        issue_out(issue): email.html, email.txt, meta.json...
    <out>/<issue>/export/<platform>/      export_dir(issue, platform)
    <out>/<issue>/outbox/                 outbox(issue): the dry run's messages
    <out>/<issue>/send-journal.sqlite     journal(issue)
    <out>/archive/                        archive
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONTENT = "content"
TEMPLATES = "templates"
OUT = "dist"
CLINIC_FILE = "clinic.yaml"
JOURNAL_NAME = "send-journal.sqlite"
OUTBOX_NAME = "outbox"


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of one project; `out` is where outputs are written and read."""

    root: Path
    out: Path

    @classmethod
    def of(cls, root: Path, out: Path | None = None) -> ProjectPaths:
        return cls(root, out if out is not None else root / OUT)

    # ------------------------------------------------------------ sources

    @property
    def content(self) -> Path:
        return self.root / CONTENT

    @property
    def clinic_file(self) -> Path:
        return self.content / CLINIC_FILE

    @property
    def articles(self) -> Path:
        return self.content / "articles"

    @property
    def issues(self) -> Path:
        return self.content / "issues"

    @property
    def images(self) -> Path:
        return self.content / "images"

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES

    @property
    def layouts(self) -> Path:
        return self.templates / "layouts"

    @property
    def pristine_templates(self) -> Path:
        """The templates as `init` (or the last `templates update`) wrote them."""
        return self.root / ".newsletter" / "pristine" / TEMPLATES

    @property
    def watched(self) -> tuple[Path, Path]:
        """What the preview watches for changes: the sources."""
        return self.content, self.templates

    def article(self, slug: str) -> Path:
        return self.articles / f"{slug}.md"

    def issue_file(self, name: str) -> Path:
        return self.issues / f"{name}.yaml"

    def layout(self, name: str, suffix: str = ".mjml.j2") -> Path:
        return self.layouts / f"{name}{suffix}"

    def in_content(self, relative: str) -> Path:
        """A file clinic.yaml names relative to content/ (images, the suppression list)."""
        return self.content / relative

    # ------------------------------------------------------------ outputs

    def issue_out(self, issue_id: str) -> Path:
        return self.out / issue_id

    def export_root(self, issue_id: str) -> Path:
        return self.issue_out(issue_id) / "export"

    def export_dir(self, issue_id: str, platform: str) -> Path:
        return self.export_root(issue_id) / platform

    def built_file(self, issue_id: str, name: str) -> Path:
        """One of the files `newsletter build` writes: email.html, email.txt, email.mjml."""
        return self.issue_out(issue_id) / name

    def meta(self, issue_id: str) -> Path:
        """meta.json of a built issue: its presence means the issue was built."""
        return self.issue_out(issue_id) / "meta.json"

    def outbox(self, issue_id: str) -> Path:
        return self.issue_out(issue_id) / OUTBOX_NAME

    def journal(self, issue_id: str) -> Path:
        return self.issue_out(issue_id) / JOURNAL_NAME

    def screenshots(self, issue_id: str) -> Path:
        return self.issue_out(issue_id) / "screenshots"

    @property
    def archive(self) -> Path:
        return self.out / "archive"
