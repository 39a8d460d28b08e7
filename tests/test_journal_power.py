"""A list send flushes its journal once per window of readers (journal.WINDOW), not once per
reader: a killed send still leaves at most one reader unknown, and a power cut (modelled by the
journal's files as the disk may hold them: everything written, or only what was last flushed)
never lets a handed-over reader be sent again unasked. Real aiosmtpd server on loopback."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletters.delivery import boot, journal, run
from newsletters.delivery.journal import PENDING, SENDING, SENT, WINDOW, Journal

from .servers import smtp_server
from .test_hostile_send import project  # noqa: F401  (a fixture)
from .test_send import Recorder, smtp_env

READERS = [f"reader{i:02d}@example.com" for i in range(2 * WINDOW + 5)]
OTHER_BOOT = "linux:00000000-0000-4000-8000-000000000000"


@pytest.fixture
def readers(tmp_path: Path) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text("email,first_name\n" + "".join(f"{a},R{i}\n" for i, a in enumerate(READERS)))
    return path


@pytest.fixture
def this_boot(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A boot identity on any system the suite runs on, so the windowed path is the one tested."""
    current = boot.boot_id() or f"linux:{uuid.uuid4()}"
    monkeypatch.setattr(boot, "boot_id", lambda: current)
    yield current


def journal_file(project: Path) -> Path:  # noqa: F811
    return project / "dist" / "2026-11" / "send-journal.sqlite"


def snapshot(path: Path, into: Path) -> Path:
    """The journal's files as they are now (the main file and its write-ahead log)."""
    into.mkdir(parents=True)
    for name in (path.name, path.name + "-wal"):
        if (path.parent / name).exists():
            shutil.copyfile(path.parent / name, into / name)
    return into / path.name


class Snapshots(Recorder):
    """At each message's arrival, the journal's files: a power cut right then, with every write
    made so far on the disk."""

    def __init__(self, path: Path, where: Path) -> None:
        super().__init__()
        self.path, self.where = path, where
        self.at_arrival: list[tuple[str, Path]] = []

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0]
        taken = snapshot(self.path, self.where / f"arrival-{len(self.at_arrival)}")
        self.at_arrival.append((rcpt, taken))
        return await super().handle_DATA(smtp, session, envelope)


def states_after(path: Path, monkeypatch: pytest.MonkeyPatch, boot_now: str) -> dict[str, str]:
    """What a new run sees in these files when the computer's boot is `boot_now`."""
    with monkeypatch.context() as m:
        m.setattr(boot, "boot_id", lambda: boot_now)
        with Journal(path) as j:
            return j.states()


def test_a_power_cut_at_any_moment_never_repeats_a_reader(
    project: Path,  # noqa: F811
    readers: Path,
    tmp_path: Path,
    this_boot: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = journal_file(project)
    flushed: list[tuple[int, Path]] = []  # (messages arrived so far, files at that flush)
    handler = Snapshots(path, tmp_path / "snapshots")
    flush = Journal._flush_window

    def flush_and_snapshot(self: Journal, key: str, now: str) -> None:
        flush(self, key, now)
        taken = snapshot(path, tmp_path / "snapshots" / f"flush-{len(flushed)}")
        flushed.append((len(handler.at_arrival), taken))

    monkeypatch.setattr(Journal, "_flush_window", flush_and_snapshot)
    with smtp_server(handler) as controller:
        prepared = run.prepare(project, "2026-11")
        plan = run.plan_list(prepared, readers, smtp_env(controller))
        summary = run.send_list(plan, run.transport_from_env(smtp_env(controller)), rate=1e6)
    assert summary.sent == len(READERS)
    assert [handler.count(a) for a in READERS] == [1] * len(READERS)
    assert len(flushed) == 3  # one flush per WINDOW readers, not one per reader

    for arrived, (reader, files) in enumerate(handler.at_arrival, start=1):
        handed_over = READERS[:arrived]
        assert reader == handed_over[-1]
        # Killed right then (the computer kept every write): only this reader is unknown.
        killed = states_after(snapshot(files, tmp_path / f"k{arrived}"), monkeypatch, this_boot)
        assert [killed[a] for a in READERS] == (
            [SENT] * (arrived - 1) + [SENDING] + [PENDING] * (len(READERS) - arrived)
        )
        # A power cut right then, the disk holding every write, or only up to the last flush.
        last_flush = [taken for count, taken in flushed if count < arrived][-1]
        for i, disk in enumerate((files, last_flush)):
            copy = snapshot(disk, tmp_path / f"p{arrived}-{i}")
            after = states_after(copy, monkeypatch, OTHER_BOOT)
            assert all(after[a] in (SENT, SENDING) for a in handed_over), (arrived, i, after)
            assert sum(state == SENDING for state in after.values()) <= WINDOW
            unknown = [a for a in READERS if after[a] == SENDING]
            assert unknown and unknown[-1] in READERS[: (arrived - 1) // WINDOW * WINDOW + WINDOW]


def test_the_end_of_a_send_leaves_nothing_in_flight(
    project: Path,  # noqa: F811
    readers: Path,
    this_boot: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finished send is on the disk whole: a power cut after it changes nothing."""
    with smtp_server(Recorder()) as controller:
        prepared = run.prepare(project, "2026-11")
        plan = run.plan_list(prepared, readers, smtp_env(controller))
        run.send_list(plan, run.transport_from_env(smtp_env(controller)), rate=1e6)
    path = journal_file(project)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM inflight").fetchone() == (0,)
    assert set(states_after(path, monkeypatch, OTHER_BOOT).values()) == {SENT}


def write_interrupted(path: Path, under: str) -> None:
    """A journal as a send leaves it when the computer stops: eight readers, the first six in
    flight, of which the first was recorded as sent and the second as failed."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(boot, "boot_id", lambda: under)
        j = Journal(path)
        j.add((a, n) for n, a in enumerate(READERS[:8], start=2))
        j.expect(READERS[:6])
        j.mark_sending(READERS[0])
        j.mark_sent(READERS[0], "250 OK")
        j.mark_sending(READERS[1])
        j.mark(READERS[1], journal.FAILED, "550 no such user")
        j._db.close()  # the computer stops: no end of the send


@pytest.fixture
def interrupted(tmp_path: Path) -> Path:
    path = tmp_path / "send-journal.sqlite"
    write_interrupted(path, OTHER_BOOT)
    return path


def test_readers_in_flight_under_another_boot_are_unknown_everywhere(
    interrupted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = interrupted
    monkeypatch.setattr(boot, "boot_id", lambda: "linux:11111111-1111-4111-8111-111111111111")
    # `newsletter list` reads without writing, and already counts them as unknown.
    counts, _ = journal.summary(path) or ({}, None)
    assert counts == {SENT: 1, journal.FAILED: 1, SENDING: 4, PENDING: 2}
    with Journal(path) as j:
        rows = {row.key: row for row in j.rows()}
    expected = [SENT, journal.FAILED] + [SENDING] * 4 + [PENDING] * 2
    assert [rows[a].state for a in READERS[:8]] == expected
    assert "the computer has started again since" in rows[READERS[2]].reply
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM inflight").fetchone() == (0,)


def test_readers_in_flight_under_this_boot_stay_as_recorded(
    interrupted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same boot: the program was killed, the computer kept its writes, the states are exact."""
    monkeypatch.setattr(boot, "boot_id", lambda: OTHER_BOOT)
    counts, _ = journal.summary(interrupted) or ({}, None)
    assert counts == {SENT: 1, journal.FAILED: 1, PENDING: 6}
    with Journal(interrupted) as j:
        assert j.counts() == {SENT: 1, PENDING: 6, SENDING: 0, journal.FAILED: 1}


def test_without_a_boot_identity_every_reader_is_flushed_and_old_windows_are_unknown(
    interrupted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boot, "boot_id", lambda: None)
    with Journal(interrupted) as j:
        assert j.counts()[SENDING] == 4  # cannot tell a kill from a power cut: the safe side
        j.expect(READERS[:6])
        assert j._boot is None  # every commit flushed, as before windows existed
        assert j._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_journal_from_before_windows_opens_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "send-journal.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(journal._SCHEMA.split("CREATE TABLE IF NOT EXISTS inflight")[0])
        db.execute("INSERT INTO recipients VALUES ('a@example.org', 'a@example.org', 2, "
                   "'pending', 0, '', '2026-11-01T00:00:00+00:00')")  # fmt: skip
    assert journal.summary(path) == ({PENDING: 1}, "2026-11-01T00:00:00+00:00")
    with Journal(path) as j:
        assert j.states() == {"a@example.org": PENDING}


def test_the_boot_identity_is_read_from_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "boot_id"
    monkeypatch.setattr(boot, "LINUX_BOOT_ID", fake)
    for text, expected in (
        ("6F1C2A53-5B7E-4E1A-9C3D-2B8F0E6A7D41\n", "linux:6f1c2a53-5b7e-4e1a-9c3d-2b8f0e6a7d41"),
        ("not a uuid\n", None),
        ("6f1c2a53-5b7e-4e1a-9c3d-2b8f0e6a7d41\nmore\n", None),
        ("", None),
    ):
        fake.write_text(text)
        assert boot.identity("linux") == expected
    fake.unlink()
    assert boot.identity("linux") is None  # no such file: a container without /proc
    assert boot.identity("win32") is None  # no identity: every reader flushed


def test_this_computer_has_a_boot_identity_that_stays() -> None:
    if not Path("/proc/sys/kernel/random/boot_id").exists():
        pytest.skip("no Linux boot identity here")
    assert boot.identity("linux") == boot.identity("linux") == boot.boot_id()
    assert (boot.boot_id() or "").startswith("linux:")
