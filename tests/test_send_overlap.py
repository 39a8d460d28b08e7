"""The reader's 'sending' is flushed while the envelope travels, and the message's end waits for
it (send.py's `before_hand_over`): never sent twice, even when the flush is slow, fails, or the
sender is killed while it runs. Real aiosmtpd servers on free loopback ports."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newsletters.delivery import boot, journal, run
from newsletters.delivery.transport import provider
from newsletters.errors import NewsletterError

from .servers import smtp_server
from .test_hostile_send import FaultySmtp, project  # noqa: F401  (a fixture)
from .test_send import SENDER, Recorder, invoke, journal_states, server, smtp_env  # noqa: F401

# Lines that start with a dot, one at the very end: the split before the final CRLF.CRLF must
# keep dot-stuffing exact.
MESSAGE = (
    b"From: news@ketamineclinicwtx.com\r\nTo: ana@example.com\r\nSubject: overlap\r\n\r\n"
    + b"".join(b"line %d\r\n.starts with a dot\r\n" % n for n in range(2000))
    + b"."
)


def transport_to(controller: Controller) -> Any:
    return provider.SmtpTransport(provider.SmtpSettings("127.0.0.1", controller.port, "none"))


# ---------------------------------------------------------------- send.py's hook


def test_the_message_ends_only_after_the_hook_returns(
    server: tuple[Controller, Recorder],  # noqa: F811
) -> None:
    controller, recorder = server
    seen: list[int] = []

    def slow_flush() -> None:
        time.sleep(0.3)  # everything but the end is on the wire: the server cannot have it yet
        seen.append(len(recorder.received))

    with transport_to(controller) as transport:
        reply = transport.send(SENDER, "ana@example.com", MESSAGE, before_hand_over=slow_flush)
        transport.send(SENDER, "ben@example.com", MESSAGE)  # the same bytes, without a hook
    assert reply.startswith("250") and seen == [0]
    assert [r.recipients for r in recorder.received] == [["ana@example.com"], ["ben@example.com"]]
    assert recorder.received[0].data == recorder.received[1].data
    assert (
        recorder.received[0].data.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n") + b"\n"
    )


class HeldReply(Recorder):
    """Answers each message only once the sender says it has moved on (`moved_on`), or after
    5 s: so a sender that waits for the reply first is seen, not deadlocked."""

    def __init__(self) -> None:
        super().__init__()
        self.moved_on = threading.Event()
        self.waited: list[bool] = []  # per message: did the sender move on before the reply?

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        for _ in range(500):
            if self.moved_on.is_set():
                break
            await asyncio.sleep(0.01)
        self.waited.append(self.moved_on.is_set())
        self.moved_on.clear()
        return await super().handle_DATA(smtp, session, envelope)


def test_work_while_replying_runs_after_the_end_and_before_the_reply() -> None:
    """The list send renders the next reader's message in this gap: the server already has the
    whole message, and the transport reads the reply only after the work is done."""
    handler = HeldReply()
    order: list[str] = []

    def next_message() -> None:
        order.append(f"work after {len(handler.waited)} replies")
        handler.moved_on.set()

    with smtp_server(handler) as controller, transport_to(controller) as transport:
        for reader in ("ana@example.com", "ben@example.com"):
            reply = transport.send(SENDER, reader, MESSAGE, while_replying=next_message)
            order.append(f"reply {reply[:3]}")
        handler.refuse["cy@example.com"] = "554 5.7.1 content refused"  # a refusal as the reply
        with pytest.raises(provider.PermanentError):
            transport.send(SENDER, "cy@example.com", MESSAGE, while_replying=next_message)
    assert handler.waited == [True, True, True]
    assert order == [
        "work after 0 replies", "reply 250", "work after 1 replies", "reply 250",
        "work after 2 replies",
    ]  # fmt: skip


class FlushFailed(Exception):
    """What the journal raises when its disk flush fails."""


def test_a_failing_hook_leaves_the_message_unfinished_and_propagates(
    server: tuple[Controller, Recorder],  # noqa: F811
) -> None:
    controller, recorder = server
    failure = FlushFailed("disk I/O error")

    def failing_flush() -> None:
        raise failure

    with transport_to(controller) as transport:
        with pytest.raises(FlushFailed) as raised:
            transport.send(SENDER, "ana@example.com", MESSAGE, before_hand_over=failing_flush)
        assert raised.value is failure
        transport.send(SENDER, "ben@example.com", MESSAGE)  # a new connection, a whole message
    assert [r.recipients for r in recorder.received] == [["ben@example.com"]]


def test_the_hook_is_not_called_when_the_provider_refuses_first() -> None:
    handler = FaultySmtp(refuse_rcpt={"ana@example.com": "550 5.1.1 no such user"})
    calls: list[str] = []

    def note() -> None:
        calls.append("called")

    with smtp_server(handler) as controller, transport_to(controller) as transport:
        with pytest.raises(provider.PermanentError):
            transport.send(
                SENDER, "ana@example.com", MESSAGE, before_hand_over=note, while_replying=note
            )
        handler.refuse_sender = "421 try later"
        with pytest.raises(provider.TransientError):
            transport.send(
                SENDER, "ben@example.com", MESSAGE, before_hand_over=note, while_replying=note
            )
    assert calls == [] and handler.received == []


@pytest.fixture
def closes_after_data() -> Iterator[int]:
    """A raw SMTP server that says 354 to DATA, then hangs up before the message's end."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"220 test ESMTP\r\n")
                for line in lines:
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        conn.sendall(b"250-test\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        break
                    else:
                        conn.sendall(b"250 OK\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(timeout=10)


def test_a_connection_lost_before_the_messages_end_is_temporary(closes_after_data: int) -> None:
    """Nothing can have arrived without the final CRLF.CRLF: the reader stays to send, not
    unknown. The message is large so the hang-up is seen while it is still being written."""
    settings = provider.SmtpSettings("127.0.0.1", closes_after_data, "none")
    calls: list[str] = []

    def note() -> None:
        calls.append("called")

    big = MESSAGE * 40
    with (
        provider.SmtpTransport(settings) as transport,
        pytest.raises(provider.TransientError, match="before the message was complete"),
    ):
        transport.send(SENDER, "ana@example.com", big, before_hand_over=note)
    assert calls == []


# ---------------------------------------------------------------- the list send


READERS = [f"reader{i}@example.com" for i in range(6)]


@pytest.fixture
def readers(tmp_path: Path) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text("email,first_name\n" + "".join(f"{a},R{i}\n" for i, a in enumerate(READERS)))
    return path


def journal_path(project: Path) -> Path:  # noqa: F811
    return project / "dist" / "2026-11" / "send-journal.sqlite"


def slowed_commits(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[str], None] = lambda key: None
) -> None:
    """Journal commits of 'sending' that run `before(key)` first, in the flushing thread."""
    commit = journal.Journal._commit_sending.__wrapped__  # type: ignore[attr-defined]

    def slow(self: journal.Journal, key: str) -> None:
        before(key)
        commit(self, key)

    monkeypatch.setattr(journal.Journal, "_commit_sending", journal._written(slow))


class DurableCheck(Recorder):
    """Records, when each message arrives, the reader's row as another process reads it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.state_on_arrival: dict[str, str] = {}

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        db = sqlite3.connect(self.path)
        try:
            rcpt = envelope.rcpt_tos[0]
            (state,) = db.execute("SELECT state FROM recipients WHERE key=?", (rcpt,)).fetchone()
            self.state_on_arrival[rcpt] = state
        finally:
            db.close()
        return await super().handle_DATA(smtp, session, envelope)


@pytest.fixture(params=["windowed", "every reader flushed"])
def flushing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the journal reaches the disk: a flush per window of readers where the computer
    has a boot identity, and a flush per reader by a helper thread where it has none."""
    if request.param == "every reader flushed":
        monkeypatch.setattr(boot, "boot_id", lambda: None)
    else:
        monkeypatch.setattr(boot, "boot_id", lambda: "linux:6f1c2a53-5b7e-4e1a-9c3d-2b8f0e6a7d41")
    return str(request.param)


def test_every_reader_is_durably_sending_before_the_server_has_the_message(
    project: Path,  # noqa: F811
    readers: Path,
    monkeypatch: pytest.MonkeyPatch,
    flushing: str,
) -> None:
    """A slow disk flush (50 ms): each message still arrives only after its 'sending' row is
    on disk, and the previous reader's 'sent' rides on the same commit."""
    slowed_commits(monkeypatch, lambda key: time.sleep(0.05))
    handler = DurableCheck(journal_path(project))
    with smtp_server(handler) as controller:
        prepared = run.prepare(project, "2026-11")
        plan = run.plan_list(prepared, readers, smtp_env(controller))
        summary = run.send_list(plan, run.transport_from_env(smtp_env(controller)), rate=1e6)
    assert summary.sent == len(READERS)
    assert handler.state_on_arrival == {a: "sending" for a in READERS}
    assert [handler.count(a) for a in READERS] == [1] * len(READERS)
    assert set(journal_states(project).values()) == {"sent"}


def test_a_failed_flush_stops_the_send_before_the_message_is_complete(
    project: Path,  # noqa: F811
    readers: Path,
    monkeypatch: pytest.MonkeyPatch,
    flushing: str,
) -> None:
    def fail_third(key: str) -> None:
        if key == READERS[2]:
            raise sqlite3.OperationalError("disk I/O error")

    slowed_commits(monkeypatch, fail_third)
    recorder = Recorder()
    with smtp_server(recorder) as controller:
        prepared = run.prepare(project, "2026-11")
        plan = run.plan_list(prepared, readers, smtp_env(controller))
        with pytest.raises(NewsletterError) as raised:
            run.send_list(plan, run.transport_from_env(smtp_env(controller)), rate=1e6)
        # Proof the server would have taken a third message: a new connection delivers one.
        with transport_to(controller) as transport:
            transport.send(SENDER, "late@example.com", MESSAGE)
    assert "the send journal cannot be written (disk i/o error)" in str(raised.value)
    assert [r.recipients for r in recorder.received] == [
        [READERS[0]],
        [READERS[1]],
        ["late@example.com"],
    ]
    states = journal_states(project)
    assert [states[a] for a in READERS] == ["sent", "sent"] + ["pending"] * 4


KILLED_SEND = """
import sys, threading
from pathlib import Path
from newsletters.delivery import journal

HELD, FLUSHED = sys.argv.pop(1), Path(sys.argv.pop(1))
commit = journal.Journal._commit_sending

def held(self, key):
    commit(self, key)  # on disk: from here on a kill leaves this reader unknown
    if key == HELD:
        FLUSHED.write_text("flushed")
        threading.Event().wait()  # the disk flush of this reader never returns

journal.Journal._commit_sending = held
from newsletters.__main__ import main
main()
"""


def test_a_message_that_cannot_be_made_stops_the_send_at_its_own_reader(
    project: Path,  # noqa: F811
    readers: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The next reader's message is made while the previous reply travels; when making it
    fails, the previous reader is still recorded as sent and the error comes at its own turn."""
    token = run.unsubscribe_token

    def broken_for_the_third(secret: str, address: str, issue: str = "") -> str:
        if address == READERS[2]:
            raise RuntimeError("cannot make this reader's message")
        return token(secret, address, issue)

    monkeypatch.setattr(run, "unsubscribe_token", broken_for_the_third)
    recorder = Recorder()
    with smtp_server(recorder) as controller:
        prepared = run.prepare(project, "2026-11")
        plan = run.plan_list(prepared, readers, smtp_env(controller))
        with pytest.raises(RuntimeError, match="cannot make this reader's message"):
            run.send_list(plan, run.transport_from_env(smtp_env(controller)), rate=1e6)
    assert [r.recipients for r in recorder.received] == [[READERS[0]], [READERS[1]]]
    states = journal_states(project)
    assert [states[a] for a in READERS] == ["sent", "sent"] + ["pending"] * 4


def test_killed_while_a_flush_is_held_never_sends_twice(
    server: tuple[Controller, Recorder],  # noqa: F811
    project: Path,  # noqa: F811
    readers: Path,
    tmp_path: Path,
) -> None:
    """kill -9 after the third reader's 'sending' is on disk, its envelope sent, its end held:
    the server never got it, at most that one reader is unknown, a rerun sends everyone else
    exactly once and --retry-unknown sends it."""
    controller, recorder = server
    flushed = tmp_path / "flushed"
    command = [sys.executable, "-c", KILLED_SEND, READERS[2], str(flushed),
               "-C", str(project), "send", "2026-11", "--list", str(readers), "--confirm",
               "--rate", "1000"]  # fmt: skip
    env = {**os.environ, **smtp_env(controller)}
    with subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        try:
            for _ in range(600):
                if flushed.exists() or process.poll() is not None:
                    break
                time.sleep(0.1)
            process.send_signal(signal.SIGKILL)
        finally:
            output = process.communicate(timeout=30)[0].decode()
    assert flushed.exists(), output
    assert process.returncode == -signal.SIGKILL
    states = journal_states(project)
    assert [states[a] for a in READERS] == ["sent", "sent", "sending"] + ["pending"] * 3
    assert [recorder.count(a) for a in READERS] == [1, 1, 0, 0, 0, 0]

    resumed = invoke(project, smtp_env(controller), "--list", str(readers), "--confirm")
    assert "Sent 3, failed 0" in resumed.output and "unknown: 1" in resumed.output
    assert [recorder.count(a) for a in READERS] == [1, 1, 0, 1, 1, 1]
    retried = invoke(
        project, smtp_env(controller), "--list", str(readers), "--confirm", "--retry-unknown"
    )
    assert "Sent 1, failed 0" in retried.output, retried.output
    assert [recorder.count(a) for a in READERS] == [1] * len(READERS)
    assert set(journal_states(project).values()) == {"sent"}
