"""Watching content/ and templates/ with watchfiles; rapid saves arrive as one change."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

QUIET_MS = 50  # a change is handled once no other file changed for this long (coalesces saves)
MAX_WAIT_MS = 1000  # ... or after this long, even if files keep changing


def watch_project(
    root: Path,
    on_change: Callable[[set[Path], float], None],
    stop: threading.Event,
    log: Callable[[str], None],
) -> None:
    """Call on_change(paths, time of the latest save) until `stop` is set. Never raises."""
    from watchfiles import watch

    from ..paths import ProjectPaths

    folders = [folder for folder in ProjectPaths.of(root).watched if folder.is_dir()]
    if not folders:
        return
    try:
        for changes in watch(
            *folders,
            stop_event=stop,
            debounce=MAX_WAIT_MS,
            step=QUIET_MS,
            rust_timeout=500,
            raise_interrupt=False,
        ):
            paths = {Path(name) for _, name in changes}
            try:
                on_change(paths, saved_at(paths))
            except Exception as exc:
                log("".join(traceback.format_exception(exc)).rstrip())
    except Exception as exc:  # the watcher itself failed: the server keeps serving
        log(f"preview: watching files stopped ({exc}); restart the preview to see new changes")


def saved_at(paths: set[Path]) -> float:
    """When the user saved: the newest modification time, else now (a file was deleted)."""
    now = time.time()
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    newest = max(times, default=now)
    return newest if now - 10 < newest <= now else now
