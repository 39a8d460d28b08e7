"""Hostile input to `newsletter send` (issue 13): nobody who opted out is ever sent to, a
refused sender stops the run with every reader still pending, broken files are clean errors.

The SMTP server is a real aiosmtpd on a free loopback port whose handler injects faults: it
refuses the sender (5xx to MAIL FROM) until told to accept it, or answers every message with
the same 5xx.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from newsletters.delivery.recipients import read_suppression, suppression_addresses

from .servers import smtp_server
from .test_send import Received, invoke, journal_states, smtp_env

ISSUE = "2026-11"


@dataclass
class FaultySmtp:
    """An aiosmtpd handler with switchable faults."""

    refuse_sender: str | None = None  # reply to MAIL FROM while set
    refuse_data: str | None = None  # reply to every DATA while set
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 OK queued"


@pytest.fixture
def faulty() -> Any:
    handler = FaultySmtp()
    with smtp_server(handler) as controller:
        yield controller, handler


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from .conftest import sending_clinic

    return sending_clinic(tmp_path / "clinic")


def subscribers(tmp_path: Path, *addresses: str) -> Path:
    path = tmp_path / "list.csv"
    path.write_text("email,first_name\n" + "".join(f"{a},\n" for a in addresses), "utf-8")
    return path


READERS = ("ana@example.com", "ben@example.com", "cy@example.com", "dee@example.com")


# ---------------------------------------------------------------- sender refusal


def test_refused_sender_stops_the_run_and_leaves_readers_pending(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, handler = faulty
    handler.refuse_sender = "550 5.7.1 Sender address rejected: not owned by user"
    listing = subscribers(tmp_path, *READERS)
    env = smtp_env(controller)
    result = invoke(project, env, ISSUE, "--list", str(listing), "--confirm", "--rate", "1000")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "refused the sender news@ketamineclinicwtx.com" in result.output
    assert "550 5.7.1 Sender address rejected" in result.output
    assert set(journal_states(project).values()) == {"pending"}
    # the sender is fixed: the same command sends to everyone, once
    handler.refuse_sender = None
    result = invoke(project, env, ISSUE, "--list", str(listing), "--confirm", "--rate", "1000")
    assert result.exit_code == 0, result.output
    assert sorted(r.recipients[0] for r in handler.received) == sorted(READERS)
    assert set(journal_states(project).values()) == {"sent"}


def test_same_refusal_for_every_reader_stops_the_run(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, handler = faulty
    handler.refuse_data = "554 5.7.0 Your account is suspended"
    listing = subscribers(tmp_path, *READERS)
    env = smtp_env(controller)
    result = invoke(project, env, ISSUE, "--list", str(listing), "--confirm", "--rate", "1000")
    assert result.exit_code == 1
    assert "refused 3 readers in a row with the same reply" in result.output
    assert "554 5.7.0 Your account is suspended" in result.output
    assert "failed 0" in result.output
    assert set(journal_states(project).values()) == {"pending"}
    handler.refuse_data = None
    result = invoke(project, env, ISSUE, "--list", str(listing), "--confirm", "--rate", "1000")
    assert result.exit_code == 0, result.output
    assert len(handler.received) == len(READERS)


def test_personal_refusals_do_not_stop_the_run(faulty: Any, project: Path, tmp_path: Path) -> None:
    controller, handler = faulty
    handler.refuse_rcpt = {a: "550 5.1.1 User unknown" for a in READERS[:3]}
    listing = subscribers(tmp_path, *READERS)
    result = invoke(
        project, smtp_env(controller), ISSUE, "--list", str(listing), "--confirm", "--rate", "1000"
    )
    assert "Sent 1, failed 3" in result.output
    assert [r.recipients[0] for r in handler.received] == [READERS[3]]


def test_refused_sender_on_a_test_send_is_one_clean_line(faulty: Any, project: Path) -> None:
    controller, handler = faulty
    handler.refuse_sender = "553 sender not allowed"
    result = invoke(project, smtp_env(controller), ISSUE, "--to", "me@example.com")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "553 sender not allowed" in result.output


# ---------------------------------------------------------------- suppression


@pytest.mark.parametrize(
    "line",
    [
        "gone@example.com # unsubscribed 2026-10-02",
        "Gone Reader <gone@example.com>",
        '"Reader, Gone" <GONE@example.com>',
        "gone@example.com;2026-10-02;unsubscribed",
        "2026-10-02\tgone@example.com\tbounced",
        '"gone@example.com","Gone",unsubscribed',
        "mailto:gone@example.com",
        "  gone@example.com.  ",
        "# gone@example.com",
    ],
)
def test_every_suppression_form_is_honoured(
    faulty: Any, project: Path, tmp_path: Path, line: str
) -> None:
    controller, handler = faulty
    (project / "content/suppressed.txt").write_text(f"# list\n{line}\n", encoding="utf-8")
    listing = subscribers(tmp_path, "ana@example.com", "gone@example.com")
    result = invoke(
        project, smtp_env(controller), ISSUE, "--list", str(listing), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 0, result.output
    assert [r.recipients[0] for r in handler.received] == ["ana@example.com"]
    assert (
        "suppressed (content/suppressed.txt): 1" in result.output or "suppressed" in result.output
    )


def test_suppression_line_without_usable_address_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "suppressed.txt"
    path.write_text("ok@example.com\nbroken@@example\nname at example.com\nx@y\n", "utf-8")
    suppression = read_suppression(path)
    assert suppression.addresses == frozenset({"ok@example.com"})
    assert [s.line for s in suppression.unusable] == [2, 4]


def test_suppression_addresses_takes_every_address_on_a_line() -> None:
    assert suppression_addresses("a@example.com, B@Example.org;c@example.net") == [
        "a@example.com",
        "b@example.org",
        "c@example.net",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"gone@example.com\n\xff\xfe\n", "not UTF-8"),
        (None, "not a regular file"),
    ],
)
def test_unreadable_suppression_file_stops_the_send(
    faulty: Any, project: Path, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    import os

    controller, handler = faulty
    path = project / "content/suppressed.txt"
    if content is None:
        os.mkfifo(path)
    else:
        path.write_bytes(content)
    listing = subscribers(tmp_path, "ana@example.com")
    result = invoke(
        project, smtp_env(controller), ISSUE, "--list", str(listing), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 1
    assert expected in result.output and "nothing was sent" in result.output
    assert handler.received == []


def test_suppression_file_outside_content_is_refused(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, _ = faulty
    clinic = project / "content/clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    if "suppression_file:" in text:
        text = "\n".join(
            "  suppression_file: ../../etc/passwd" if "suppression_file:" in ln else ln
            for ln in text.split("\n")
        )
    else:
        text = text.replace("\nsend:\n", "\nsend:\n  suppression_file: ../../etc/passwd\n")
        if "suppression_file" not in text:
            text += "\nsend:\n  suppression_file: ../../etc/passwd\n"
    clinic.write_text(text, encoding="utf-8")
    listing = subscribers(tmp_path, "ana@example.com")
    result = invoke(project, smtp_env(controller), ISSUE, "--list", str(listing))
    assert result.exit_code == 1
    assert "suppression_file" in result.output and "'..' is not allowed" in result.output


# ---------------------------------------------------------------- broken files


def test_csv_cell_over_the_field_limit_is_a_clean_error(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, _ = faulty
    path = tmp_path / "list.csv"
    path.write_text('email,first_name\nana@example.com,Ana\n"' + "x" * 200_000 + '",\n', "utf-8")
    result = invoke(project, smtp_env(controller), ISSUE, "--list", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "list.csv:3: cannot be read as CSV" in result.output


def test_csv_first_name_with_control_characters_is_skipped(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, _ = faulty
    path = tmp_path / "list.csv"
    path.write_text("email,first_name\nana@example.com,\x1b]0;pwned\x07Ana\n", "utf-8")
    result = invoke(project, smtp_env(controller), ISSUE, "--list", str(path))
    assert "list.csv:2: the first name holds" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_corrupt_journal_is_a_clean_error(faulty: Any, project: Path, tmp_path: Path) -> None:
    controller, handler = faulty
    journal = project / "dist" / ISSUE / "send-journal.sqlite"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b"this is not a database" * 100)
    listing = subscribers(tmp_path, "ana@example.com")
    result = invoke(
        project, smtp_env(controller), ISSUE, "--list", str(listing), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "send journal cannot be used" in result.output
    assert handler.received == []
    status = invoke(project, smtp_env(controller), ISSUE, "--status")
    assert "Traceback" not in status.output


def test_dist_issue_being_a_file_is_a_clean_error(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    controller, _ = faulty
    (project / "dist").mkdir()
    (project / "dist" / ISSUE).write_text("in the way", encoding="utf-8")
    listing = subscribers(tmp_path, "ana@example.com")
    for extra in ((), ("--confirm", "--rate", "1000")):
        result = invoke(project, smtp_env(controller), ISSUE, "--list", str(listing), *extra)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output


def test_journal_rows_stay_untouched_by_a_build(faulty: Any, project: Path, tmp_path: Path) -> None:
    """A build replaces dist/<issue>/ as a whole but carries the send journal over."""
    from click.testing import CliRunner

    from newsletters.__main__ import cli

    controller, _ = faulty
    listing = subscribers(tmp_path, "ana@example.com")
    result = invoke(
        project, smtp_env(controller), ISSUE, "--list", str(listing), "--confirm", "--rate", "1000"
    )
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(cli, ["-C", str(project), "build", ISSUE]).exit_code == 0
    assert journal_states(project) == {"ana@example.com": "sent"}
    with sqlite3.connect(project / "dist" / ISSUE / "send-journal.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM recipients").fetchone() == (1,)


def test_full_disk_during_a_send_is_a_clean_stop(
    faulty: Any, project: Path, tmp_path: Path
) -> None:
    """dist/ on a small tmpfs that is full: the journal cannot be written, nothing is sent."""
    import os
    import shutil
    import subprocess

    from .test_hostile_files import _fill

    dist = project / "dist"
    dist.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(dist)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        controller, handler = faulty
        _fill(dist)
        listing = subscribers(tmp_path, *READERS)
        env = smtp_env(controller)
        for extra in ((), ("--confirm", "--rate", "1000")):  # the dry run, then the send
            result = invoke(project, env, ISSUE, "--list", str(listing), *extra)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            assert "full" in result.output
        assert handler.received == []
    finally:
        subprocess.run(["umount", "-l", str(dist)], check=False)
