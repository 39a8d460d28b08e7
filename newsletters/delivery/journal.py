"""The send journal: what happened to each reader, written before and after the provider replies.

    pending --(committed before the message is handed over)--> sending --> sent | failed
                                                                  \\--> pending (temporary refusal)

A row left in `sending` when a run starts was handed over (or about to be) when the previous
run died, so nobody knows whether the provider has it: it is reported as *unknown* and only
sent again when the user asks. SQLite in WAL mode; a lock file next to it (lock.py) stops two
sends of one issue at once.

What reaches the disk when, so that nobody gets the issue twice:
- A killed send (Ctrl+C, kill -9, a crash of the program): the computer keeps every write the
  program made, flushed or not, so the next run sees each reader's last state and at most one
  reader is unknown.
- A power cut or a crash of the computer loses writes not yet flushed to the disk. Where the
  computer has a boot identity (boot.py), a list send (`expect`) flushes once every WINDOW
  readers: that flush first records the next WINDOW readers as in flight, and each reader's
  'sending' is then written without a flush of its own. A later run under another boot finds
  the in-flight readers still pending and reports them unknown: up to WINDOW readers unknown,
  none sent twice. Without a boot identity every commit is flushed (synchronous=FULL), and
  `start_sending` has a helper thread do it while the transport sends the envelope; `wait`
  (send.py's `before_hand_over`) holds the message's end until it is done.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..dbtx import immediate
from ..errors import NewsletterError, Problem
from . import boot

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recipients (
    key      TEXT PRIMARY KEY,          -- the address, lower-cased
    address  TEXT NOT NULL,
    line     INTEGER NOT NULL,          -- line in the list when first added
    state    TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply    TEXT NOT NULL DEFAULT '',  -- the provider's last reply or the error
    updated  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inflight (
    key      TEXT PRIMARY KEY,          -- a reader a list send may hand over before its next flush
    boot     TEXT NOT NULL              -- the computer's start it was recorded under (boot.py)
);
"""
WINDOW = 20  # readers recorded as in flight by one disk flush of a list send (see `expect`)
_INTERRUPTED = (
    "the send stopped and the computer has started again since (after a power cut or a crash "
    "its last writes may be lost), so the journal cannot tell whether this reader got the message"
)


_SENDING = "UPDATE recipients SET state='sending', attempts=attempts+1, updated=? WHERE key=?"
# A reader's 'sending' and the previous reader's 'sent' as one statement (one commit):
# ?1 the reader, ?2 the time, ?3 the one sent, ?4 its reply, ?5 when it was accepted.
_SENDING_AND_SENT = """
UPDATE recipients SET
    state = CASE key WHEN ?1 THEN 'sending' ELSE 'sent' END,
    attempts = attempts + (key = ?1),
    reply = CASE key WHEN ?1 THEN reply ELSE ?4 END,
    updated = CASE key WHEN ?1 THEN ?2 ELSE ?5 END
WHERE key IN (?1, ?3)
"""


@dataclass(frozen=True)
class Row:
    key: str
    address: str
    line: int
    state: str
    attempts: int
    reply: str
    updated: str


def summary(path: Path) -> tuple[dict[str, int], str | None] | None:
    """Read-only, for `newsletter list`: recipients per state and the latest time recorded.

    None when the issue was never sent; ({}, None) when the file cannot be read as a journal.
    """
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            counts = dict(db.execute("SELECT state, COUNT(*) FROM recipients GROUP BY state"))
            (last,) = db.execute("SELECT MAX(updated) FROM recipients").fetchone()
            interrupted = _interrupted(db) if counts.get(PENDING) else 0
        finally:
            db.close()
    except sqlite3.Error:
        return {}, None
    if interrupted:  # what the next open of the journal records (Journal._settle_interrupted)
        counts[PENDING] -= interrupted
        counts[SENDING] = counts.get(SENDING, 0) + interrupted
    return {str(k): int(v) for k, v in counts.items()}, last


def _interrupted(db: sqlite3.Connection) -> int:
    """Readers still pending that a send recorded as in flight under another start of the
    computer: it stopped with them, so any of them may have been handed over."""
    try:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM inflight JOIN recipients USING (key) "
            "WHERE state = 'pending' AND boot IS NOT ?",
            (boot.boot_id(),),
        ).fetchone()
    except sqlite3.OperationalError:  # a journal from before the in-flight record
        return 0
    return int(count)


def _unusable(path: Path, exc: Exception) -> NewsletterError:
    """A journal that cannot be opened or read: stop, and say why nothing was sent."""
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        why = "it is damaged or is not a send journal"
    else:
        why = str(exc).lower() or type(exc).__name__
    return NewsletterError(
        [
            Problem(
                path,
                None,
                f"the send journal cannot be used ({why}); nothing was sent. It records who "
                "already has this issue: restore it from a backup rather than deleting it",
            )
        ]
    )


F = TypeVar("F", bound=Callable[..., Any])


def _written(method: F) -> F:
    """A journal that stops working mid-send (disk full, file removed) stops the run with a
    message: what was handed over stays recorded as 'sending', so a resume reports it."""

    @functools.wraps(method)
    def wrapper(self: Journal, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise NewsletterError(
                [
                    Problem(
                        self.path,
                        None,
                        f"the send journal cannot be written ({str(exc).lower()}); the send "
                        "stopped. Fix it, then run the same command again: a reader handed "
                        "over just before is reported as unknown",
                    )
                ]
            ) from None

    return wrapper  # type: ignore[return-value]


def _guarded(method: F) -> F:
    """`_written`, after any commit `start_sending` left running: one statement at a time."""
    written = _written(method)

    @functools.wraps(method)
    def wrapper(self: Journal, *args: Any, **kwargs: Any) -> Any:
        self.wait()
        return written(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


_clock: tuple[int, str] = (-1, "")  # the last second written, and how


def _now() -> str:
    """The time, to the second, as ISO 8601: formatted once a second (twice a reader before)."""
    global _clock
    second = int(time.time())
    if second != _clock[0]:
        _clock = (second, dt.datetime.fromtimestamp(second, dt.UTC).isoformat())
    return _clock[1]


class Journal:
    """One issue's journal. Every state change is committed before the run goes on, except
    'sent', which is committed with the next change (see mark_sent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._settled: list[tuple[str, str, str]] = []  # (reply, time, key) to record as sent
        self._flusher: ThreadPoolExecutor | None = None  # commits 'sending' for start_sending
        self._flushing: Future[None] | None = None  # that commit, until `wait` has seen it end
        self._boot: str | None = None  # set by `expect`: 'sending' is then flushed per window
        self._keys: list[str] = []  # `expect`'s readers, in order
        self._place = 0  # where the current window starts in _keys
        self._window: frozenset[str] = frozenset()  # recorded as in flight, on disk
        self._next: str | None = None  # start_sending's reader, committed by `wait`
        if path.is_symlink() or path.parent.is_symlink():
            raise _unusable(path, OSError("it is a symbolic link; the journal must be a file here"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Used by one thread at a time: the flusher only while the caller waits for it.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(path, exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute("SELECT key, address, line, state, attempts, reply, updated "
                             "FROM recipients LIMIT 1").fetchall()  # fmt: skip
            self._settle_interrupted()
        except sqlite3.Error as exc:
            self._db.close()
            raise _unusable(path, exc) from None

    def _settle_interrupted(self) -> None:
        """Record as unknown the readers a send left in flight when the computer stopped
        (see `_interrupted`). Safe beside a send running elsewhere: it writes 'sending' over."""
        if _interrupted(self._db):
            with self._transaction():
                current = boot.boot_id()
                self._db.execute(
                    "UPDATE recipients SET state = 'sending', reply = ?, updated = ? "
                    "WHERE state = 'pending' "
                    "AND key IN (SELECT key FROM inflight WHERE boot IS NOT ?)",
                    (_INTERRUPTED, _now(), current),
                )
                self._db.execute("DELETE FROM inflight WHERE boot IS NOT ?", (current,))

    def close(self) -> None:
        try:
            self._next = None  # never waited for, so never handed over: nothing to record
            if self._boot is not None:
                self._end_window()
            else:
                self._record_settled()
        finally:
            if self._flusher is not None:
                self._flusher.shutdown(wait=True)  # a failed flush was raised already
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded
    def add(self, entries: Iterable[tuple[str, int]]) -> None:
        """Add readers as pending; readers already in the journal keep their state."""
        now = _now()
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO recipients (key, address, line, state, updated) "
                "VALUES (?, ?, ?, 'pending', ?)",
                ((address.lower(), address, line, now) for address, line in entries),
            )

    @_guarded
    def states(self) -> dict[str, str]:
        self._record_settled()
        return dict(self._db.execute("SELECT key, state FROM recipients").fetchall())

    @_guarded
    def rows(self, state: str | None = None) -> list[Row]:
        self._record_settled()
        sql = "SELECT key, address, line, state, attempts, reply, updated FROM recipients"
        args: tuple[str, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            args = (state,)
        return [Row(*r) for r in self._db.execute(sql + " ORDER BY line, key", args)]

    @_guarded
    def counts(self) -> dict[str, int]:
        self._record_settled()
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM recipients GROUP BY state"))
        return {state: found.get(state, 0) for state in (SENT, PENDING, SENDING, FAILED)}

    @_guarded
    def mark_sending(self, key: str) -> None:
        """Committed before the message is handed over: a kill from here on leaves 'unknown'."""
        self._commit_sending(key)

    @_guarded
    def expect(self, keys: Iterable[str]) -> None:
        """The readers a list send will hand over, in this order. Where the computer has a
        boot identity, 'sending' is from now on written without a disk flush of its own, and
        the first reader outside the window on disk flushes a new window: itself and the next
        WINDOW - 1 (see the module's docstring)."""
        current = boot.boot_id()
        if current is None:
            return
        self._boot, self._keys, self._place = current, list(keys), 0
        self._db.execute("PRAGMA synchronous=NORMAL")

    @_guarded
    def start_sending(self, key: str) -> None:
        """mark_sending, committed while the caller goes on: the caller must `wait` before the
        message can reach the provider (send.py's before_hand_over). Any other use of the
        journal waits for that commit first. After `expect` the commit has no flush of its own
        most of the time: `wait` does it then, after the envelope, as the message's end waits."""
        if self._boot is not None:
            self._next = key
            return
        if self._flusher is None:
            from concurrent.futures import ThreadPoolExecutor

            self._flusher = ThreadPoolExecutor(1, thread_name_prefix="journal-flush")
        self._flushing = self._flusher.submit(self._commit_sending, key)

    def wait(self) -> None:
        """Return once the commit `start_sending` began is on disk; raise its error if it
        failed (NewsletterError, as every journal error)."""
        key, self._next = self._next, None
        if key is not None:
            self._commit_sending(key)
        flushing, self._flushing = self._flushing, None
        if flushing is not None:
            flushing.result()

    @_written
    def _commit_sending(self, key: str) -> None:
        """One statement when it can be (SQLite commits it on its own): the whole commit is
        then one call that runs without Python's GIL, so a flush started by start_sending
        does not wait on the sending thread between statements."""
        now, settled = _now(), self._settled
        if self._boot is not None and key not in self._window:
            self._flush_window(key, now)
        elif not settled:
            self._db.execute(_SENDING, (now, key))
        elif len(settled) == 1 and settled[0][2] != key:
            reply, then, sent = settled[0]
            self._db.execute(_SENDING_AND_SENT, (key, now, sent, reply, then))
            settled.clear()
        else:
            with self._transaction():
                self._db.execute(_SENDING, (now, key))

    def _flush_window(self, key: str, now: str) -> None:
        """One commit, flushed to the disk: the new window in flight (`key` and the readers
        after it), the reader's 'sending' and the 'sent' readers not yet recorded."""
        start = self._find(key)
        window = [key] if start is None else self._keys[start : start + WINDOW]
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            with self._transaction():
                self._db.execute("DELETE FROM inflight")
                self._db.executemany(
                    "INSERT INTO inflight (key, boot) VALUES (?, ?)",
                    ((k, self._boot) for k in window),
                )
                self._db.execute(_SENDING, (now, key))
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._window = frozenset(window)

    def _find(self, key: str) -> int | None:
        """`key`'s place in the expected order, searched from the current window on: readers
        come in order, so this is a step or two (no index of 100,000 readers kept in memory)."""
        keys = self._keys
        for place in range(self._place, len(keys)):
            if keys[place] == key:
                self._place = place
                return place
        return None

    @_guarded
    def _end_window(self) -> None:
        """The end of a list send: everything recorded, flushed, and nobody left in flight."""
        self._db.execute("PRAGMA synchronous=FULL")
        with self._transaction():
            self._db.execute("DELETE FROM inflight")
        self._boot, self._window = None, frozenset()

    @_guarded
    def mark(self, key: str, state: str, reply: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE recipients SET state=?, reply=?, updated=? WHERE key=?",
                (state, reply, _now(), key),
            )

    @_guarded
    def mark_sent(self, key: str, reply: str) -> None:
        """The provider accepted the message: recorded with the journal's next commit (the next
        reader's 'sending', any other mark, or closing), so a list send flushes the disk once
        per message instead of twice. A kill before that commit leaves this reader 'sending',
        reported unknown and never sent again unasked: what a kill between the reply and its
        own commit always did."""
        self._settled.append((reply, _now(), key))

    @_guarded
    def _record_settled(self) -> None:
        if self._settled:
            with self._transaction():
                pass  # the transaction itself records them

    @_guarded
    def release_unknown(self, keys: Iterable[str]) -> None:
        """The user asked to send the unknown ones again: make them pending."""
        with self._transaction():
            self._db.executemany(
                "UPDATE recipients SET state='pending', updated=? WHERE key=? AND state='sending'",
                ((_now(), key) for key in keys),
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One commit (one disk flush), which also records the messages settled as sent."""
        with immediate(self._db):
            if self._settled:
                self._db.executemany(
                    "UPDATE recipients SET state='sent', reply=?, updated=? WHERE key=?",
                    self._settled,
                )
            yield
        self._settled.clear()
