"""`newsletter send` against a real SMTP server (aiosmtpd on a free 127.0.0.1 port)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.delivery import run
from newsletters.delivery.lock import issue_lock
from newsletters.delivery.message import message_id, unsubscribe_token
from newsletters.delivery.transport import provider

from .conftest import OPT_OUTS_BY_WEBSITE, claim_sample, copy_sample
from .servers import free_port, smtp_server, starttls_smtp

__all__ = ["free_port"]  # the send tests' helpers are imported by the other delivery tests

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-secret-0123456789abcdef"
PASSWORD = "pw-Zq8!never-print-me"
SENDER = "news@ketamineclinicwtx.com"
DOMAIN = "ketamineclinicwtx.com"
SUBJECT = "Café notes: when does pain become chronic?"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler that records what it accepted and can be told how to answer."""

    received: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # answers for the next messages, in order
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> answer
    hang_after: int | None = None  # accept this many, then hang on the next one
    hung: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0]
        if rcpt in self.refuse:
            return self.refuse[rcpt]
        if self.replies:
            return self.replies.pop(0)
        if self.hang_after is not None and len(self.received) >= self.hang_after:
            self.hang_after = None
            self.hung.set()
            while not self.release.is_set():  # the sender is killed while we wait
                await asyncio.sleep(0.01)
            return "451 never mind"  # the in-flight message was lost with the sender
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 OK queued"

    def count(self, address: str) -> int:
        return sum(address in r.recipients for r in self.received)


@pytest.fixture
def server() -> Iterator[tuple[Controller, Recorder]]:
    recorder = Recorder()
    with smtp_server(recorder) as controller:
        yield controller, recorder
        recorder.release.set()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "clinic"
    claim_sample(copy_sample(root))
    issue = root / "content" / "issues" / "2026-11.yaml"
    text = issue.read_text(encoding="utf-8")
    lines = [
        f'subject: "{SUBJECT}"' if ln.startswith("subject:") else ln for ln in text.split("\n")
    ]
    issue.write_text("\n".join(lines), encoding="utf-8")
    (root / "content" / "suppressed.txt").write_text(
        "# unsubscribed and bounced\nGone@Example.com\n", encoding="utf-8"
    )
    with (root / "content" / "clinic.yaml").open("a", encoding="utf-8") as clinic:
        clinic.write("\nsend:\n" + OPT_OUTS_BY_WEBSITE)
    return root


SUBSCRIBERS = """email,first_name,plan
ana@example.com,Ana,gold
not-an-address,Bob,
carl@example.com,,
ANA@example.com,Ana again,
gone@example.com,Gone,
"dora@example.com","Dora",silver
,Nobody,
"""


@pytest.fixture
def subscribers(tmp_path: Path) -> Path:
    path = tmp_path / "subscribers.csv"
    path.write_text(SUBSCRIBERS, encoding="utf-8")
    return path


def authenticator(logins: list[bytes]) -> Any:
    """An aiosmtpd authenticator accepting clinic/PASSWORD and recording each login tried."""
    from aiosmtpd.smtp import AuthResult

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append(data.login)
        ok = data.login == b"clinic" and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: answer 535 (else it hangs)

    return check


def smtp_env(controller: Controller, **extra: str) -> dict[str, str]:
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(controller.port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
    }
    env.update(extra)
    return env


def invoke(project: Path, env: dict[str, str], *args: str) -> Any:
    """`newsletter send`; a list send names its issue (2026-11), as it must."""
    clean = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    if "--list" in args and args[0].startswith("-"):
        args = ("2026-11", *args)
    return CliRunner().invoke(cli, ["-C", str(project), "send", *args], env={**clean, **env})


def test_a_list_send_must_name_its_issue(project: Path, subscribers: Path) -> None:
    clean = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    result = CliRunner().invoke(
        cli, ["-C", str(project), "send", "--list", str(subscribers)], env=clean
    )
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: name the issue to send to a list, e.g. newsletter send 2026-11 --list FILE"
    )
    assert not (project / "dist").exists()


def journal_states(project: Path) -> dict[str, str]:
    path = project / "dist" / "2026-11" / "send-journal.sqlite"
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, state FROM recipients"))


NO_RETRY_WAIT = run.Retry(sleep=lambda seconds: None)


# ---------------------------------------------------------------- list sends


def test_list_send_delivers_one_complete_message_per_reader(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    result = invoke(
        project, smtp_env(controller), "--list", str(subscribers), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 0, result.output
    assert "Sent 3, failed 0" in result.output
    assert sorted(r.recipients[0] for r in recorder.received) == [
        "ana@example.com",
        "carl@example.com",
        "dora@example.com",
    ]
    for got in recorder.received:
        address = got.recipients[0]
        assert got.sender == SENDER and got.recipients == [address]
        assert got.data.isascii()
        assert max(len(line) for line in got.data.split(b"\r\n")) <= 998
        msg = got.message
        assert msg["From"] == f"Ketamine Clinic of West Texas <{SENDER}>"
        assert msg["To"] == address
        assert msg["Reply-To"] == "care@ketamineclinicwtx.com"
        assert msg["Subject"] == SUBJECT
        assert b"Subject: =?utf-8?" in got.data  # non-ASCII subject encoded (RFC 2047)
        assert msg["Date"] and msg["Date"].datetime.tzinfo is not None
        assert msg["Message-ID"] == f"<{message_id('2026-11', address, DOMAIN)}>"
        assert msg["List-Id"] == "Ketamine Clinic of West Texas <newsletter.ketamineclinicwtx.com>"
        url = "https://www.ketamineclinicwtx.com/newsletter/unsubscribe?token=" + unsubscribe_token(
            SECRET, address, "2026-11"
        )
        assert msg["List-Unsubscribe"] == f"<{url}>"
        assert b"List-Unsubscribe: <https://" in got.data  # not RFC-2047 encoded
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
            assert len(msg.get_all(name) or []) == 1
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in parts)
        text, html = parts[0].get_content(), parts[1].get_content()
        name = {"ana@example.com": "Ana", "dora@example.com": "Dora"}.get(address, "there")
        assert f"Hello {name}," in text
        assert url in text and f'href="{url}"' in html
        assert "__NL_MERGE_" not in text + html
        assert "https://www.ketamineclinicwtx.com/newsletter/2026-11/" in html
    # The journal has them all as sent; a second run sends nobody again.
    assert journal_states(project) == {
        "ana@example.com": "sent",
        "carl@example.com": "sent",
        "dora@example.com": "sent",
    }
    again = invoke(project, smtp_env(controller), "--list", str(subscribers), "--confirm")
    assert again.exit_code == 0, again.output
    assert "already sent (journal): 3" in again.output and "Nothing to send." in again.output
    assert len(recorder.received) == 3


def test_dry_run_writes_outbox_and_reports_every_skipped_row(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    result = invoke(project, smtp_env(controller), "--list", str(subscribers))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 to send" in out
    assert "subscribers.csv:3: 'not-an-address' is not an email address" in out
    assert "subscribers.csv:8: has no email address" in out
    assert "subscribers.csv:5: ANA@example.com: same address as line 2" in out
    assert "suppressed.txt): 1" in out
    assert "Nothing was sent" in out
    assert recorder.received == []
    outbox = project / "dist" / "2026-11" / "outbox"
    names = sorted(p.name for p in outbox.iterdir())
    assert names == [
        "000002-ana@example.com.eml",
        "000004-carl@example.com.eml",
        "000007-dora@example.com.eml",
    ]
    msg = email.message_from_bytes((outbox / names[0]).read_bytes(), policy=email.policy.default)
    assert msg["To"] == "ana@example.com"
    assert not (project / "dist" / "2026-11" / "send-journal.sqlite").exists()


def test_suppressed_and_duplicate_addresses_are_sent_once_or_never(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    result = invoke(
        project, smtp_env(controller), "--list", str(subscribers), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 0, result.output
    assert recorder.count("ana@example.com") == 1
    assert recorder.count("ANA@example.com") == 0
    assert recorder.count("gone@example.com") == 0
    assert "skipped 4" in result.output  # invalid 2, duplicate 1, suppressed 1


def test_permanent_refusal_is_recorded_as_failed(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    recorder.refuse["carl@example.com"] = "550 5.1.1 mailbox unavailable"
    result = invoke(
        project, smtp_env(controller), "--list", str(subscribers), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 1
    assert "Sent 2, failed 1" in result.output
    assert "failed: carl@example.com (line 4): message: 550 5.1.1 mailbox unavailable" in (
        result.output
    )
    assert journal_states(project)["carl@example.com"] == "failed"
    status = invoke(project, {}, "--status", "2026-11")
    assert status.exit_code == 0, status.output
    assert "failed   1" in status.output and "550 5.1.1 mailbox unavailable" in status.output


def test_temporary_refusal_421_is_retried_and_delivered_once(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    recorder.replies = ["421 4.3.2 try again later"]
    prepared = run.prepare(project, "2026-11")
    plan = run.plan_list(prepared, subscribers, smtp_env(controller))
    transport = run.transport_from_env(smtp_env(controller))
    summary = run.send_list(plan, transport, rate=1e6, retry=NO_RETRY_WAIT)
    assert (summary.sent, summary.failed, summary.deferred) == (3, [], [])
    assert [recorder.count(a) for a in ("ana@example.com", "carl@example.com")] == [1, 1]
    assert len(recorder.received) == 3


def test_a_second_send_of_the_same_issue_is_refused_while_one_runs(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    with issue_lock(project / "dist" / "2026-11", "2026-11"):
        result = invoke(project, smtp_env(controller), "--list", str(subscribers), "--confirm")
    assert result.exit_code == 1
    assert "another send of 2026-11 is running" in result.output
    assert recorder.received == []


# ---------------------------------------------------------------- killed and resumed


def test_send_killed_with_sigkill_resumes_without_losing_or_repeating(
    server: tuple[Controller, Recorder], project: Path, tmp_path: Path
) -> None:
    controller, recorder = server
    addresses = [f"reader{i}@example.com" for i in range(8)]
    subscribers = tmp_path / "list.csv"
    subscribers.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    recorder.hang_after = 3  # accept three, then hold the fourth until the sender is dead
    env = {**os.environ, **smtp_env(controller)}
    command = [
        sys.executable,
        "-m",
        "newsletters",
        "-C",
        str(project),
        "send",
        "2026-11",
        "--list",
        str(subscribers),
        "--confirm",
        "--rate",
        "1000",
    ]
    with subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        try:
            hung = recorder.hung.wait(timeout=60)
            process.send_signal(signal.SIGKILL)
            output = process.communicate(timeout=30)[0]
        finally:
            recorder.release.set()
    assert hung, output
    assert process.returncode == -signal.SIGKILL
    states = journal_states(project)
    assert [states[a] for a in addresses[:3]] == ["sent"] * 3
    assert states[addresses[3]] == "sending"  # handed over when killed: unknown
    assert {states[a] for a in addresses[4:]} == {"pending"}

    # Resumed: everyone else exactly once; the unknown one reported, not sent.
    resumed = invoke(
        project, smtp_env(controller), "--list", str(subscribers), "--confirm", "--rate", "1000"
    )
    assert resumed.exit_code == 0, resumed.output
    assert "Sent 4, failed 0" in resumed.output
    assert "unknown: 1" in resumed.output and addresses[3] in resumed.output
    assert [recorder.count(a) for a in addresses] == [1, 1, 1, 0, 1, 1, 1, 1]
    status = invoke(project, {}, "--status", "2026-11")
    assert f"unknown: {addresses[3]}" in status.output

    # Asked for: the unknown one is sent; still exactly once per reader.
    retried = invoke(
        project,
        smtp_env(controller),
        "--list",
        str(subscribers),
        "--confirm",
        "--rate",
        "1000",
        "--retry-unknown",
    )
    assert retried.exit_code == 0, retried.output
    assert "Sent 1, failed 0" in retried.output
    assert [recorder.count(a) for a in addresses] == [1] * 8
    assert set(journal_states(project).values()) == {"sent"}


class LostReply:
    """A transport whose connection dies after the hand-over for one reader."""

    def __init__(self, lost: str) -> None:
        self.lost, self.sent = lost, []  # type: list[str]

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        before_hand_over: Callable[[], None] | None = None,
        while_replying: Callable[[], None] | None = None,
    ) -> str:
        if before_hand_over is not None:
            before_hand_over()
        if while_replying is not None:
            while_replying()
        if recipient == self.lost:
            raise provider.UnknownOutcome("connection lost after the message was handed over")
        self.sent.append(recipient)
        return "250 OK"

    def close(self) -> None:
        pass


def test_a_reply_lost_after_hand_over_is_unknown_not_resent(
    project: Path, subscribers: Path
) -> None:
    prepared = run.prepare(project, "2026-11")
    env = {"NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET}
    transport = LostReply("carl@example.com")
    summary = run.send_list(run.plan_list(prepared, subscribers, env), transport, rate=1e6)
    assert summary.sent == 2 and [r.address for r, _ in summary.unknown] == ["carl@example.com"]
    again = run.send_list(run.plan_list(prepared, subscribers, env), transport, rate=1e6)
    assert again.sent == 0 and transport.sent == ["ana@example.com", "dora@example.com"]


# ---------------------------------------------------------------- test sends


def test_test_send_marks_the_subject_and_uses_sample_values(
    server: tuple[Controller, Recorder], project: Path
) -> None:
    controller, recorder = server
    args = ("--to", "me@example.com", "--to", "boss@example.com")
    first = invoke(project, smtp_env(controller), *args)
    second = invoke(project, smtp_env(controller), *args[:2])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Sent: test of 2026-11 to me@example.com: 250 OK queued" in first.output
    assert [r.recipients for r in recorder.received] == [
        ["me@example.com"],
        ["boss@example.com"],
        ["me@example.com"],
    ]
    messages = [r.message for r in recorder.received]
    assert all(m["Subject"] == "[TEST] " + SUBJECT for m in messages)
    assert "Hello Sam," in messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == 3  # a repeated test is not hidden as a duplicate
    assert not (project / "dist" / "2026-11" / "send-journal.sqlite").exists()


def test_a_lint_error_blocks_a_list_send_but_a_test_goes_out_as_a_marked_draft(
    server: tuple[Controller, Recorder], project: Path, subscribers: Path
) -> None:
    controller, recorder = server
    issue = project / "content" / "issues" / "2026-11.yaml"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace(f'subject: "{SUBJECT}"', "subject: Your migraines can end"))
    env = smtp_env(controller)
    result = invoke(project, env, "--list", str(subscribers), "--confirm")
    assert result.exit_code == 1, result.output
    assert "2026-11.yaml:2: error [health/condition-subject]" in result.output
    assert "1 open problem, so a list send is refused; fix them first" in result.output
    assert recorder.received == []
    assert not (project / "dist" / "2026-11" / "send-journal.sqlite").exists()

    # A proof for the director still goes out, unmistakably a draft listing the problem.
    result = invoke(project, env, "2026-11", "--to", "director@example.com")
    assert result.exit_code == 0, result.output
    assert "This was a draft proof, marked [DRAFT]: its 1 open problem" in result.output
    [received] = recorder.received
    message = received.message
    assert message["Subject"] == "[TEST] [DRAFT] Your migraines can end"
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html_body, text_body = html_part.get_content(), text_part.get_content()
    assert "DRAFT - not ready to send: 1 open problem" in html_body
    assert "content/issues/2026-11.yaml:2: error [health/condition-subject]" in html_body
    assert text_body.replace("\r\n", "\n").startswith(
        "*** DRAFT - not ready to send: 1 open problem ***\n- content/issues/2026-11.yaml:2: "
    )
    assert not (project / "dist" / "2026-11" / "send-journal.sqlite").exists()


def test_test_send_refuses_a_bad_address(project: Path) -> None:
    result = invoke(project, {}, "--to", "nobody")
    assert result.exit_code == 1
    assert "--to nobody: 'nobody' is not an email address" in result.output


# ---------------------------------------------------------------- settings and secrets


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "NEWSLETTER_SMTP_HOST is not set"),
        (
            {"NEWSLETTER_SMTP_HOST": "smtp.example.com", "NEWSLETTER_SMTP_SECURITY": "none"},
            "NEWSLETTER_SMTP_SECURITY=none sends passwords and emails unencrypted",
        ),
        (
            {"NEWSLETTER_SMTP_HOST": "smtp.example.com", "NEWSLETTER_SMTP_SECURITY": "ssl"},
            "NEWSLETTER_SMTP_SECURITY must be one of starttls, tls or none",
        ),
        (
            {"NEWSLETTER_SMTP_HOST": "smtp.example.com", "NEWSLETTER_SMTP_PORT": "x"},
            "NEWSLETTER_SMTP_PORT must be a port number",
        ),
        (
            {"NEWSLETTER_SMTP_HOST": "smtp.example.com", "NEWSLETTER_SMTP_USER": "u"},
            "NEWSLETTER_SMTP_PASSWORD is not set",
        ),
    ],
)
def test_smtp_settings_errors_name_the_variable(
    project: Path, env: dict[str, str], message: str
) -> None:
    result = invoke(project, env, "--to", "me@example.com")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_list_send_needs_the_unsubscribe_secret(project: Path, subscribers: Path) -> None:
    result = invoke(project, {}, "--list", str(subscribers))
    assert result.exit_code == 1
    assert "no unsubscribe secret" in result.output
    assert "NEWSLETTER_UNSUBSCRIBE_SECRET" in result.output


def test_the_password_never_appears_in_output_journal_or_outbox(
    project: Path, subscribers: Path
) -> None:

    recorder = Recorder()
    check = authenticator([])
    with smtp_server(recorder, authenticator=check, auth_require_tls=False) as controller:
        env = smtp_env(controller, NEWSLETTER_SMTP_USER="clinic", NEWSLETTER_SMTP_PASSWORD=PASSWORD)
        outputs = [
            invoke(project, env, "--to", "me@example.com"),
            invoke(project, env, "--list", str(subscribers)),
            invoke(project, env, "--list", str(subscribers), "--confirm", "--rate", "1000"),
            invoke(project, env, "--status"),
        ]
        wrong = {**env, "NEWSLETTER_SMTP_PASSWORD": "wrong-" + PASSWORD}
        refused = invoke(project, wrong, "--to", "me@example.com")
    assert all(r.exit_code == 0 for r in outputs), [r.output for r in outputs]
    assert len(recorder.received) == 4  # the test, then three readers
    assert refused.exit_code == 1 and "refused the login" in refused.output
    for result in [*outputs, refused]:
        assert PASSWORD not in result.output
    for path in (project / "dist").rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_starttls_and_auth_with_a_generated_certificate(project: Path, tmp_path: Path) -> None:
    import ssl

    logins: list[bytes] = []
    recorder = Recorder()
    with starttls_smtp(tmp_path, recorder, authenticator(logins)) as (controller, cert_file):
        settings = provider.SmtpSettings(
            "127.0.0.1", controller.port, "starttls", "clinic", PASSWORD
        )
        assert PASSWORD not in repr(settings)
        client_context = ssl.create_default_context(cafile=str(cert_file))
        transport = provider.SmtpTransport(settings, ssl_context=client_context)
        prepared = run.prepare(project, "2026-11")
        results = run.test_send(prepared, ["me@example.com"], transport, {}, NO_RETRY_WAIT)
        transport.close()
        untrusted = provider.SmtpTransport(settings)  # the system's CAs do not know this one
        with pytest.raises(provider.TransportUnavailable, match="secure connection"):
            untrusted.send(SENDER, "me@example.com", b"Subject: x\r\n\r\nx\r\n")
    assert results == [("me@example.com", "250 OK queued", True)]
    assert logins == [b"clinic"] and recorder.received[0].recipients == ["me@example.com"]


def test_the_pacer_spaces_messages_by_the_rate() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = run.Pacer(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]


def test_a_list_without_an_email_column_is_one_clear_error(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,phone\nAna,555\n", encoding="utf-8")
    result = invoke(project, {"NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET}, "--list", str(path))
    assert result.exit_code == 1
    assert "people.csv:1: has no 'email' column" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b".",
        b"..\r\n",
        b".a\r\n.b\r\n",
        b"x\r\n.\r\n",
        b"a\n.b\r\n..c",
        b"no dots\r\n",
        b"\r\n.",
    ],
)
def test_dot_stuffing_doubles_every_leading_dot(message: bytes) -> None:
    import re

    from send import dot_stuffed

    assert dot_stuffed(message) == re.sub(rb"(?m)^\.", b"..", message)
