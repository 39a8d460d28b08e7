"""Pillow's answers kept per user (pixelcache.py): a cold build of unchanged images does not
load Pillow, writes the same bytes, and a changed file or a damaged entry is answered anew."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsletters import logo, pixelcache, usercache

from .conftest import copy_sample

BUILD_AND_REPORT = """
import sys
from newsletters.__main__ import cli
try:
    cli.main(sys.argv[1:], prog_name="newsletter", standalone_mode=False)
finally:
    print("PIL.Image loaded:", "PIL.Image" in sys.modules)
"""


def built_files(root: Path, cache: Path) -> tuple[dict[str, bytes], bool]:
    """Build the sample's 2026-11 in a fresh process with `cache` as the per-user cache and
    a temporary folder of its own (where the logo's plates are kept)."""
    (cache.parent / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, usercache.ENV_VARIABLE: str(cache), "TMPDIR": str(cache.parent / "tmp")}
    result = subprocess.run(
        [sys.executable, "-c", BUILD_AND_REPORT, "-C", str(root), "build", "2026-11"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    out = root / "dist" / "2026-11"
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return files, "PIL.Image loaded: True" in result.stdout


def test_an_unchanged_build_does_not_load_pillow_and_writes_the_same_bytes(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "clinic")
    cache = tmp_path / "cache"
    first, pillow_first = built_files(root, cache)
    again, pillow_again = built_files(root, cache)
    assert pillow_first and not pillow_again
    assert "images/logo.plate.png" in again  # the sample's logo gets its plate either way
    assert again == first

    # A damaged cache (entries overwritten, the plate's file gone) is answered anew.
    for entry in (cache / pixelcache.KIND).iterdir():
        entry.write_text('{"key": "x", "value": [1, 2]}', encoding="utf-8")
    plates = list((tmp_path / "tmp").glob("newsletters-plates-*/*.png"))
    assert plates
    for plate in plates:
        plate.unlink()
    repaired, pillow_repaired = built_files(root, cache)
    assert pillow_repaired and repaired == first


def test_a_changed_logo_is_measured_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(usercache.ENV_VARIABLE, str(tmp_path / "cache"))
    usercache.folder.cache_clear()
    try:
        sample = copy_sample(tmp_path / "clinic") / "content" / "images"
        dark, light = (sample / "logo.png").read_bytes(), (sample / "logo-dark.png").read_bytes()
        for data in (dark, light):
            assert (
                logo.measure(data) == logo.measure(data) == logo._measured(data, logo.DARK_CANVASES)
            )
        assert logo.measure(dark) != logo.measure(light)  # keyed by the bytes: never stale
        assert logo.measure(b"not an image") is None
        assert logo.measure(b"not an image") is None  # kept as unreadable, still None
    finally:
        usercache.folder.cache_clear()
