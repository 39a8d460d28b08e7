"""A list send flushes the journal once per message: 'sent' rides on the next commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsletters.delivery.journal import PENDING, SENDING, SENT, Journal


def states_seen_by_another_process(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, state FROM recipients"))
    finally:
        db.close()


def test_sent_is_committed_with_the_next_readers_sending(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        journal.add([("a@example.org", 2), ("b@example.org", 3), ("c@example.org", 4)])
        journal.mark_sending("a@example.org")
        journal.mark_sent("a@example.org", "250 OK")
        # Not yet on disk: a kill here leaves 'a' unknown, never sent twice unasked.
        assert states_seen_by_another_process(path)["a@example.org"] == SENDING
        journal.mark_sending("b@example.org")
        assert states_seen_by_another_process(path) == {
            "a@example.org": SENT,
            "b@example.org": SENDING,
            "c@example.org": PENDING,
        }
        journal.mark_sent("b@example.org", "250 OK")
        assert journal.states()["b@example.org"] == SENT  # reads see their own run's marks
        journal.mark_sending("c@example.org")
        journal.mark_sent("c@example.org", "250 OK")
    assert set(states_seen_by_another_process(path).values()) == {SENT}  # closing records it
    with Journal(path) as journal:
        assert [row.reply for row in journal.rows()] == ["250 OK"] * 3
        assert [row.attempts for row in journal.rows()] == [1, 1, 1]


def test_a_flush_started_in_the_background_is_waited_for_by_every_other_use(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        journal.add([("a@example.org", 2), ("b@example.org", 3)])
        journal.start_sending("a@example.org")
        journal.wait()
        assert states_seen_by_another_process(path)["a@example.org"] == SENDING
        journal.mark_sent("a@example.org", "250 OK")
        journal.start_sending("b@example.org")
        journal.mark("b@example.org", PENDING, "451 later")  # waits for b's 'sending' first
        journal.start_sending("b@example.org")
    with Journal(path) as journal:
        rows = {row.key: row for row in journal.rows()}
    assert (rows["a@example.org"].state, rows["a@example.org"].reply) == (SENT, "250 OK")
    assert (rows["b@example.org"].state, rows["b@example.org"].attempts) == (SENDING, 2)
