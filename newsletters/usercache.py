"""The per-user cache: work that depends only on its inputs, kept between runs for speed.

Nothing here is needed for correctness. An entry is found by the hash of everything its value
depends on (the input text, the options, the library versions) and stores that key beside the
value, so an entry can never answer for other inputs: it is never stale, only unused. Entries
are written to a temporary file and renamed into place, so two processes (two builds, a build
and a preview, two projects) can share the folder safely. A cache that cannot be read or
written is skipped silently; the build then does the work itself.

Where: $NEWSLETTER_CACHE_DIR, else the platform's per-user cache folder (XDG_CACHE_HOME or
~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) + /newsletters.
Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1  # raise when the layout of entries changes: old entries are then never read
ENV_VARIABLE = "NEWSLETTER_CACHE_DIR"


def cache_root() -> Path:
    """The cache folder for this user (not created here)."""
    chosen = os.environ.get(ENV_VARIABLE)
    if chosen:
        return Path(chosen)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "newsletters"


@functools.cache
def folder(kind: str) -> Path | None:
    """The folder for one kind of entry, created private to the user; None if impossible."""
    try:
        path = cache_root() / kind
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
    except (OSError, RuntimeError):  # no home folder, read-only disk: work without a cache
        return None


def _entry(kind: str, key: object) -> tuple[Path, str] | None:
    where = folder(kind)
    if where is None:
        return None
    text = json.dumps([FORMAT, key], sort_keys=True, ensure_ascii=False)
    return where / (hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json"), text


def load_json(kind: str, key: object) -> Any:
    """The value stored for exactly this key, or None."""
    entry = _entry(kind, key)
    if entry is None:
        return None
    path, text = entry
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, half-written by a crashed disk, not ours
        return None
    if not isinstance(stored, dict) or stored.get("key") != text:
        return None
    return stored.get("value")


def store_json(kind: str, key: object, value: object) -> None:
    """Keep `value` (plain JSON data) for `key`; any failure leaves the cache as it was."""
    entry = _entry(kind, key)
    if entry is None:
        return
    path, text = entry
    with contextlib.suppress(OSError, ValueError, TypeError):
        data = json.dumps({"key": text, "value": value}, ensure_ascii=False)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
