"""No stage of a build can open a network connection, whatever the templates' CSS asks for.

cssutils fetches `@import` URLs with urllib and no timeout, even under premailer's
allow_network=False (shared/email-notes.md). Here the template's CSS imports stylesheets and
names remote images in every place CSS can go, and every socket is refused and recorded while
the whole `newsletter build` (load, render, compile, inline, checks, write) runs.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli

from .conftest import copy_sample

IMPORTED = "http://fonts.network.invalid/imported.css"
IMPORTED_TOO = "https://cdn.network.invalid/more.css"
IMAGE = "https://images.network.invalid/dot.png"


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every connection or name lookup refused (OSError) and recorded, for the test's length."""
    tried: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            tried.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"the test refuses {what}")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    yield tried


def test_the_guard_sees_cssutils_fetching_an_import(attempts: list[str]) -> None:
    """The check below can fail: cssutils' own default parser does try to fetch."""
    import cssutils

    cssutils.parseString(f'@import url("{IMPORTED}");\np {{ color: red }}')
    assert attempts, "cssutils no longer fetches @import: the test below proves less"


def test_a_build_never_reaches_the_network(tmp_path: Path, attempts: list[str]) -> None:
    root = copy_sample(tmp_path / "project")
    base = root / "templates" / "base.mjml.j2"
    template = base.read_text(encoding="utf-8")
    remote_css = (
        f'@import url("{IMPORTED}");\n      @import "{IMPORTED_TOO}" screen;\n'
        f'      .nl-prose p {{ background-image: url("{IMAGE}"); }}\n'
    )
    for opening in ("<mj-style>", '<mj-style inline="inline">'):
        assert opening in template  # every such block gets the remote CSS
        template = template.replace(opening, f"{opening}\n      {remote_css}")
    template = template.replace("<mj-raw>", f'<mj-raw><style>@import url("{IMPORTED}");</style>', 1)
    base.write_text(template, encoding="utf-8")
    clinic = root / "content" / "clinic.yaml"
    clinic.write_text(
        clinic.read_text(encoding="utf-8").replace(
            "theme:\n", f"theme:\n  web_font_url: {IMPORTED_TOO}\n", 1
        ),
        encoding="utf-8",
    )

    result = CliRunner().invoke(cli, ["-C", str(root), "build", "--all"])

    assert attempts == []
    assert result.exit_code == 0, result.output
    assert result.exception is None
    for issue in ("2026-10", "2026-11"):
        html = (root / "dist" / issue / "email.html").read_text(encoding="utf-8")
        assert IMAGE in html  # the CSS really went through the inliner
        assert IMPORTED in html  # kept as text, never fetched
