"""The README's field tables, made from the schemas so the docs never drift from the code.

    python scripts/field_tables.py           # print them
    python scripts/field_tables.py --write   # replace the "### Every field" part of README.md
tests/test_docs.py checks that every field named here is documented in README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from newsletters import model
from newsletters.schema import field_docs

SECTIONS = [
    (model.Clinic, "clinic.yaml"),
    (model.Sender, "`sender`"),
    (model.Logo, "`logo`"),
    (model.Link, "`cta` (in clinic.yaml, an issue or an article)"),
    (model.SocialLink, "`social` items"),
    (model.Condition, "`conditions` items"),
    (model.Theme, "`theme`"),
    (model.ArticleMeta, "Article front matter"),
    (model.Source, "`sources` items"),
    (model.IssueMeta, "Issue files"),
    (model.ExportSettings, "`export`"),
    (model.LintSettings, "`lint`"),
    (model.SendSettings, "`send`"),
    (model.Testimonial, "`testimonials` items (article)"),
    (model.LintAllow, "`lint_allow` items (article or issue)"),
    (model.Compliance, "`compliance`"),
]


START = "### Every field\n"


def tables() -> str:
    out = []
    for cls, title in SECTIONS:
        out.append(f"#### {title}\n\n| field | kind | required | meaning |\n|---|---|---|---|\n")
        for name, kind, doc, required in field_docs(cls):
            cell = doc.replace("|", "\\|")
            out.append(f"| `{name}` | {kind} | {'yes' if required else 'no'} | {cell} |\n")
        out.append("\n")
    return "".join(out)


def main() -> None:
    if "--write" not in sys.argv:
        print(tables(), end="")
        return
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index(START) + len(START)
    end = text.index("\n## ", start) + 1
    readme.write_text(text[:start] + "\n" + tables() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
