"""`newsletter build --screenshots`: pictures a person looks at before sending."""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import screenshots
from newsletters.__main__ import cli

from .conftest import sample_issues

ROOT = Path(__file__).resolve().parents[1]


SAMPLES = sample_issues()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def first_pixel(path: Path) -> tuple[int, int, int]:
    """The top-left pixel's RGB (for any PNG filter, the first pixel is stored as is)."""
    data = path.read_bytes()
    offset, idat = 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    return raw[1], raw[2], raw[3]


@pytest.mark.browser
def test_build_writes_desktop_phone_and_dark_screenshots(tmp_path: Path) -> None:
    if not screenshots.CHROMIUM.is_file():
        pytest.skip("needs Chromium at /usr/bin/chromium")
    result = CliRunner().invoke(
        cli,
        ["-C", str(ROOT), "build", SAMPLES["spotlight"], "--out", str(tmp_path), "--screenshots"],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / SAMPLES["spotlight"] / "screenshots"
    assert sorted(p.name for p in folder.iterdir()) == ["dark.png", "desktop.png", "phone.png"]
    sizes = {p.stem: png_size(p) for p in folder.iterdir()}
    assert sizes["desktop"][0] == 800
    assert sizes["phone"][0] == 375 and sizes["dark"][0] == 375
    assert all(height > 1500 for _, height in sizes.values())  # the whole email, not a window
    assert f"Screenshots of {SAMPLES['spotlight']}:" in result.output
    # the page background of each scheme: dark mode really is dark
    assert first_pixel(folder / "desktop.png") == (0xEE, 0xF2, 0xF5)
    assert first_pixel(folder / "dark.png") == (0x0D, 0x11, 0x17)


def test_without_playwright_one_line_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    result = CliRunner().invoke(
        cli,
        ["-C", str(ROOT), "build", SAMPLES["spotlight"], "--out", str(tmp_path), "--screenshots"],
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    python = sys.executable
    assert lines == [
        "error: screenshots need Playwright and Chromium: run "
        f"`{python} -m pip install playwright`, then `{python} -m playwright install chromium`, "
        "then try again"
    ]
    assert not (tmp_path / SAMPLES["spotlight"] / "screenshots").exists()


def test_without_screenshots_option_no_browser_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    result = CliRunner().invoke(
        cli, ["-C", str(ROOT), "build", SAMPLES["spotlight"], "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "KB" in result.output
