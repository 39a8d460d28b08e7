"""One SQLite write transaction, taken at once (BEGIN IMMEDIATE), rolled back on any error.

The send journal and the opt-out record both commit each change on its own; a batch of rows
goes in through this, all or nothing, with the write lock held from the start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
