"""The per-issue send lock: a file in dist/<issue>/ that one send holds while it runs.

Apart from the journal so that a build, which only asks whether a send is running before it
replaces the issue's folder, does not import SQLite.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import NewsletterError, Problem, display_path

LOCK_NAME = "send.lock"


@contextmanager
def issue_lock(folder: Path, issue_id: str) -> Iterator[None]:
    """Hold the issue's send lock, or fail at once with a message saying what to do."""
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        from ..confine import describe_os_error

        raise NewsletterError(
            [Problem(path, None, f"cannot take the send lock: {describe_os_error(exc)}")]
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NewsletterError(
                [
                    Problem(
                        None,
                        None,
                        f"another send of {issue_id} is running (it holds {display_path(path)}); "
                        "wait for it to finish, or stop it, then run this again",
                    )
                ]
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same if we are killed


def is_locked(folder: Path) -> bool:
    path = folder / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
