"""`BuiltIssue`: one issue built in memory, the value every later stage starts from.

It lives in its own module so that the checks (`lint/`), export, archive, send and preview can
name it without importing the pipeline that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import merge
from .model import Issue


@dataclass(frozen=True)
class BuiltIssue:
    """One issue built in memory and finished (finish.py): checked by stage 7, written by
    stage 8; export, archive and send start from it."""

    issue: Issue
    mjml: str
    html_template: str  # links tagged, merge placeholders left: for export, archive, send
    text_template: str
    html: str  # with the clinic's own links: complete on its own
    text: str
    images: tuple[tuple[Path, str], ...]  # (file in content/, path under dist/<issue>/)

    @property
    def meta(self) -> dict[str, Any]:
        m = self.issue.meta
        return {
            "issue": self.issue.id,
            "subject": m.subject,
            "preheader": m.preheader,
            "date": m.date.isoformat(),
            "layout": m.layout,
            "featured": m.featured,
            "articles": list(self.issue.article_slugs),
            "html_bytes": len(self.html.encode("utf-8")),
            "text_bytes": len(self.text.encode("utf-8")),
            "merge_tags": merge.used(self.html_template + self.text_template),
        }
