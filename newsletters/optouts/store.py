"""The one record of who opted out: opt-outs.sqlite in the project folder.

One row per address, the first opt-out kept (when, how, from which issue, where it was read);
later ones for the same address change nothing. A list send never reaches an address here.
Collection times are kept too, so a send can warn when opt-outs were not collected lately.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ..dbtx import immediate
from ..errors import NewsletterError, Problem

STORE_NAME = "opt-outs.sqlite"
ONE_CLICK, MAIL, BY_HAND, BOUNCE = "one-click", "mail", "by hand", "bounce"
HOW = (ONE_CLICK, MAIL, BY_HAND, BOUNCE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS opt_outs (
    key     TEXT PRIMARY KEY,   -- the address, lower-cased
    address TEXT NOT NULL,
    at      TEXT NOT NULL,      -- when the reader opted out (UTC, ISO 8601)
    how     TEXT NOT NULL CHECK (how IN ('one-click', 'mail', 'by hand', 'bounce')),
    issue   TEXT NOT NULL DEFAULT '',
    source  TEXT NOT NULL DEFAULT ''  -- the mailbox, service or file it was read from
);
CREATE TABLE IF NOT EXISTS collected (
    source TEXT PRIMARY KEY,    -- 'mailbox imap.example.com' or the service's URL
    at     TEXT NOT NULL,       -- the last time it was read completely
    cursor TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class OptOut:
    address: str
    at: str
    how: str
    issue: str
    source: str


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def store_path(root: Path) -> Path:
    return root / STORE_NAME


class Store:
    """The project's opt-out record. Every method commits at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_symlink():  # a copied project must not make the record write elsewhere
            why = "is a symbolic link; the opt-out record must be a file here: move it here"
            raise NewsletterError([Problem(path, None, why)])
        try:
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise NewsletterError(
                [Problem(path, None, f"the opt-out record cannot be opened ({exc})")]
            ) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.OperationalError as exc:
            self._db.close()
            raise NewsletterError(
                [Problem(path, None, f"the opt-out record cannot be used ({exc})")]
            ) from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise NewsletterError(
                [Problem(path, None, f"is not an opt-out record this program can read ({exc})")]
            ) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def add(self, entries: Iterable[OptOut]) -> int:
        """Record opt-outs; returns how many addresses were new."""
        before = self.count()
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO opt_outs (key, address, at, how, issue, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                ((e.address.lower(), e.address, e.at, e.how, e.issue, e.source) for e in entries),
            )
        return self.count() - before

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM opt_outs").fetchone()[0])

    def keys(self) -> frozenset[str]:
        return frozenset(k for (k,) in self._db.execute("SELECT key FROM opt_outs"))

    def all(self) -> list[OptOut]:
        rows = self._db.execute(
            "SELECT address, at, how, issue, source FROM opt_outs ORDER BY at, key"
        )
        return [OptOut(*row) for row in rows]

    def mark_collected(self, source: str, cursor: str = "") -> None:
        self._db.execute(
            "INSERT INTO collected (source, at, cursor) VALUES (?, ?, ?) "
            "ON CONFLICT(source) DO UPDATE SET at = excluded.at, cursor = excluded.cursor",
            (source, now(), cursor),
        )

    def cursor(self, source: str) -> str:
        row = self._db.execute("SELECT cursor FROM collected WHERE source = ?", (source,))
        found = row.fetchone()
        return str(found[0]) if found else ""

    def last_collected(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT source, at FROM collected"))

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate(self._db)
