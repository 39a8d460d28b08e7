"""Print the README's field tables from the schemas, so the docs never drift from the code.

    python scripts/field_tables.py > /tmp/tables.md   # then paste into README.md
tests/test_docs.py checks that every field named here is documented in README.md.
"""

from __future__ import annotations

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
]


def main() -> None:
    for cls, title in SECTIONS:
        print(f"#### {title}\n")
        print("| field | kind | required | meaning |\n|---|---|---|---|")
        for name, kind, doc, required in field_docs(cls):
            cell = doc.replace("|", "\\|")
            print(f"| `{name}` | {kind} | {'yes' if required else 'no'} | {cell} |")
        print()


if __name__ == "__main__":
    main()
