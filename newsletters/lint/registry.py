"""Rules and the registry every rule module adds itself to.

A rule is a function that receives the `Context` of one built issue and yields `Hit`s; the
registry turns each hit into a `Problem` (errors.py, the program's one finding type) with its
rule id and default severity, so ids and severities live in one place (the decorator) and
docs/reference/rules.md is generated from `RULES`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem, Severity

if TYPE_CHECKING:
    from .context import Context


@dataclass(frozen=True)
class Hit:
    """What a rule reports; the registry adds the rule id and, by default, the severity."""

    message: str
    path: Path | None = None
    line: int | None = None
    element: str | None = None
    excerpt: str | None = None
    severity: Severity | None = None


Check = Callable[["Context"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A check with a stable id; its docstring (example and fix) is documented."""

    id: str
    severity: str  # "error", "warning", or "error/warning" for rules with two thresholds
    summary: str
    check: Check

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.check) or ""

    def run(self, ctx: Context) -> list[Problem]:
        from ..merge import readable  # findings quote the email: no run's placeholder spelling

        default: Severity = "warning" if self.severity == "warning" else "error"
        return [
            Problem(
                path=hit.path,
                line=hit.line,
                rule=self.id,
                severity=hit.severity or default,
                message=readable(hit.message),
                element=readable(hit.element) if hit.element else hit.element,
                excerpt=readable(hit.excerpt) if hit.excerpt else hit.excerpt,
            )
            for hit in self.check(ctx)
        ]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, summary: str) -> Callable[[Check], Check]:
    """Register a check under a stable id such as `law/postal-address`."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, severity, summary, check)
        return check

    return register
