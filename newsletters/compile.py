"""Stage 4: mjml-python (MRML) compiles MJML to responsive HTML.

MRML does not validate (unknown tags compile silently), so the tests validate the templates;
here a compile failure is reported against the layout that produced it.
"""

from __future__ import annotations

import re

from .errors import Problems
from .paths import ProjectPaths

# What node MJML's mergeOutlookConditionnals removes: an Outlook block closed and the same
# block opened again, with only whitespace between. MRML leaves them (70 against 41).
_ADJACENT_OUTLOOK = re.compile(r"<!\[endif\]-->\s*<!--\[if mso \| IE\]>")


def merge_outlook_conditionals(html: str) -> str:
    """One conditional comment where MRML writes several in a row: smaller, same meaning."""
    return _ADJACENT_OUTLOOK.sub("", html)


def compile_mjml(mjml: str, paths: ProjectPaths, layout: str, problems: Problems) -> str | None:
    import mjml as mrml

    def include(path: str) -> str:
        return (paths.templates / path).read_text(encoding="utf-8")

    try:
        # fonts={}: no automatic Google Fonts link; a theme's web font is declared by the template.
        html = str(mrml.mjml2html(mjml, fonts={}, include_loader=include))
    except (ValueError, OSError) as exc:
        problems.add(
            paths.layout(layout),
            None,
            f"the template produced MJML that cannot be compiled ({exc}); check the mj- tags "
            "you changed last",
        )
        return None
    return html
