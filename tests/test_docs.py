"""The README documents every field of every schema (the tables come from the schemas)."""

from __future__ import annotations

import pytest

import scripts.field_tables as tables
from newsletters.schema import field_docs

from .conftest import ROOT

SECTIONS = tables.SECTIONS


@pytest.mark.parametrize("cls", [cls for cls, _ in SECTIONS], ids=lambda c: c.__name__)
def test_every_field_is_documented(cls: type) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _, doc, _ in field_docs(cls):
        assert doc, f"{cls.__name__}.{name} has no doc in its spec()"
        assert f"| `{name}` |" in readme, f"README.md does not document {cls.__name__}.{name}"


def test_every_lint_rule_is_in_the_readme() -> None:
    from newsletters.lint import RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [rule for rule in RULES if f"| `{rule}` |" not in readme]
    assert missing == [], f"document these rules in the README's Checks table: {missing}"
