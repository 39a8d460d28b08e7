"""Stage 4: mjml-python (MRML) compiles MJML to responsive HTML.

MRML does not validate (unknown tags compile silently), so the tests validate the templates;
here a compile failure is reported against the layout that produced it.
"""

from __future__ import annotations

from .errors import Problems
from .paths import ProjectPaths


def compile_mjml(mjml: str, paths: ProjectPaths, layout: str, problems: Problems) -> str | None:
    import mjml as mrml

    def include(path: str) -> str:
        return (paths.templates / path).read_text(encoding="utf-8")

    try:
        # fonts={}: no automatic Google Fonts link; a theme's web font is declared by the template.
        return str(mrml.mjml2html(mjml, fonts={}, include_loader=include))
    except (ValueError, OSError) as exc:
        problems.add(
            paths.layout(layout),
            None,
            f"the template produced MJML that cannot be compiled ({exc}); check the mj- tags "
            "you changed last",
        )
        return None
