"""The preview's watcher and port: editors' scratch files are no change; a busy port is
skipped for the next free one."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from newsletters.preview import open_preview
from newsletters.preview.watch import is_temporary, watch_project

from .conftest import copy_sample

SCRATCH = [
    "4913",
    ".2026-11.yaml.swp",
    "migraine.md~",
    ".#migraine.md",
    "#migraine.md#",
    "~$migraine.docx",
    ".~lock.migraine.md#",
    "._migraine.md",
    "migraine.md.tmp",
    ".goutputstream-ABC123",
    "sedXy12Ab",
]


@pytest.mark.parametrize("name", SCRATCH)
def test_editor_scratch_files_are_temporary(name: str) -> None:
    assert is_temporary(name)


@pytest.mark.parametrize("name", ["migraine.md", "2026-11.yaml", "clinic.yaml", "logo.png"])
def test_real_files_are_not_temporary(name: str) -> None:
    assert not is_temporary(name)


def test_scratch_files_never_reach_the_rebuild(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "project")
    seen: list[set[Path]] = []
    real = threading.Event()
    stop = threading.Event()

    def on_change(paths: set[Path], saved: float) -> None:
        seen.append(paths)
        if any(p.name == "migraine.md" for p in paths):
            real.set()

    watcher = threading.Thread(
        target=watch_project, args=(root, on_change, stop, lambda message: None), daemon=True
    )
    watcher.start()
    try:
        articles = root / "content" / "articles"
        # Write scratch files until the watcher is surely running, then one real save.
        for _ in range(3):
            for name in SCRATCH:
                (articles / name).write_text("scratch", encoding="utf-8")
            threading.Event().wait(0.3)
        migraine = articles / "migraine.md"
        migraine.write_text(migraine.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert real.wait(timeout=30)
    finally:
        stop.set()
        watcher.join(timeout=10)
    changed = {p.name for paths in seen for p in paths}
    assert changed == {"migraine.md"}


def test_a_busy_port_is_skipped_for_the_next_free_one(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "project")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        try:
            server = open_preview(root, host="127.0.0.1", port=port, checks=False)
        except OSError:
            pytest.skip("the next ports are taken by other programs")
        try:
            assert port < server.port < port + 20
        finally:
            server.close()
