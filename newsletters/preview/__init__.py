"""`newsletter preview`: the email in a browser, rebuilt and reloaded as files are saved.

server.py     http.server + Server-Sent Events; the only routes there are
workspace.py  builds in memory, the last good build of every page, findings
watch.py      watchfiles on content/ and templates/
emailcopy.py  the preview's copy of an email: local images, no remote loads, light/dark
pages.py      the pages, from Jinja2 templates in assets/
"""

from __future__ import annotations

from pathlib import Path

from .server import PreviewServer

__all__ = ["PreviewServer", "open_preview"]


def open_preview(
    root: Path,
    issue: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    checks: bool = True,
) -> PreviewServer:
    """A preview server bound to host:port, with every issue built once (errors are printed).

    Raises NewsletterError when ISSUE names no issue of the project.
    """
    if issue is not None and issue.endswith(".yaml"):
        issue = Path(issue).stem
    server = _listen(root, host, port, issue, checks)
    project, _ = server.workspace.project()
    if issue is not None and project is not None and issue not in project.issues:
        from ..errors import NewsletterError, Problems
        from ..load import select_issues

        server.close()
        problems = Problems()
        select_issues(project, [issue], problems)
        raise NewsletterError(problems.errors)
    server.warm_up()
    return server


PORT_TRIES = 20  # a busy port: the next ones are tried, then the error says what to do


def _listen(root: Path, host: str, port: int, issue: str | None, checks: bool) -> PreviewServer:
    """A server on `port`, or on the next free one when it is busy (another preview...)."""
    import errno

    last = port if port == 0 else min(port + PORT_TRIES - 1, 65535)
    for candidate in range(port, last + 1):
        try:
            return PreviewServer(root, host=host, port=candidate, issue=issue, checks=checks)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or candidate == last:
                raise
    raise AssertionError("unreachable")
