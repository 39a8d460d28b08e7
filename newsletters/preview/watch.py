"""Watching content/ and templates/ with watchfiles; rapid saves arrive as one change.

The folders are watched again whenever they are replaced (cloud sync, Finder's "Replace", a
`git checkout`): a watch on a deleted folder would otherwise go quiet while the page still
says "Live". Editors' temporary files are never a change.
"""

from __future__ import annotations

import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

QUIET_MS = 50  # a change is handled once no other file changed for this long (coalesces saves)
MAX_WAIT_MS = 1000  # ... or after this long, even if files keep changing
CHECK_MS = 500  # how often the watched folders are checked for having been replaced

# Files editors and sync tools write next to the real one while saving (besides watchfiles'
# defaults: .swp, ~, .#x, .DS_Store...): vim's 4913 probe, Word's ~$x, LibreOffice's lock,
# Emacs' #x#, macOS' ._x, gedit's .goutputstream-, sed -i's sedXXXXXX, Chrome's .crswap,
# Kate's .kate-swp, and .tmp/.part/.crdownload downloads.
TEMPORARY = re.compile(
    r"^(?:4913|~\$.*|\.~lock\..*#|#.*#|\._.*|\.goutputstream-.*|sed[A-Za-z0-9]{6})$"
    r"|\.(?:tmp|temp|part|crdownload|crswap|kate-swp|bak|swx|swo)$"
    r"|\.tmp[.\d]*$",
    re.IGNORECASE,
)


def is_temporary(path: str | Path) -> bool:
    """An editor's or sync tool's scratch file, not something the user saved."""
    from watchfiles import DefaultFilter

    name = Path(path).name
    if TEMPORARY.search(name):
        return True
    return any(re.search(rx, name) for rx in DefaultFilter.ignore_entity_patterns)


def _keep(change: object, path: str) -> bool:
    return not is_temporary(path)


def _identity(folders: list[Path]) -> tuple[tuple[int, int] | None, ...]:
    found: list[tuple[int, int] | None] = []
    for folder in folders:
        try:
            info = os.stat(folder)
            found.append((info.st_dev, info.st_ino))
        except OSError:
            found.append(None)
    return tuple(found)


def watch_project(
    root: Path,
    on_change: Callable[[set[Path], float], None],
    stop: threading.Event,
    log: Callable[[str], None],
    on_dead: Callable[[str], None] | None = None,
) -> None:
    """Call on_change(paths, time of the latest save) until `stop` is set. Never raises.

    When content/ or templates/ is replaced, the watch starts again on the new folder and the
    replacement counts as a change. When watching fails for good, `on_dead` says why (the
    pages then stop saying "Live").
    """
    from watchfiles import watch

    from ..paths import ProjectPaths

    folders = list(ProjectPaths.of(root).watched)
    while not stop.is_set():
        present = [f for f in folders if f.is_dir()]
        identity = _identity(folders)
        if not present:
            stop.wait(CHECK_MS / 1000)
            continue
        try:
            for changes in watch(
                *present,
                watch_filter=_keep,
                stop_event=stop,
                debounce=MAX_WAIT_MS,
                step=QUIET_MS,
                rust_timeout=CHECK_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                replaced = _identity(folders) != identity
                paths = {Path(name) for _, name in changes}
                if replaced:
                    paths |= {f for f in folders if f.is_dir()}
                if paths:
                    try:
                        on_change(paths, saved_at(paths))
                    except Exception as exc:
                        log("".join(traceback.format_exception(exc)).rstrip())
                if replaced:
                    log(
                        f"{time.strftime('%H:%M:%S')} a watched folder was replaced; watching "
                        "the new one"
                    )
                    break  # watch the new folders
        except Exception as exc:  # the watcher itself failed: the server keeps serving
            message = f"watching files stopped ({exc}); restart the preview to see new changes"
            log(f"preview: {message}")
            if on_dead is not None:
                on_dead(message)
            return


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
