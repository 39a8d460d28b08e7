"""An SMTP server that answers what no mail server should (red team, session 2): a reply
without a code (a web server or a proxy on the port, a broken relay), or a stray one. Only a
5xx is the provider's final no: anything else leaves the reader to send, never lost as
failed, and an answer not understood after the message was handed over is 'unknown', never
sent twice by a plain rerun. The server is a real aiosmtpd whose handler replies raw text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsletters.delivery import run

from .servers import smtp_server
from .test_hostile_send import READERS, FaultySmtp, project, subscribers  # noqa: F401
from .test_send import NO_RETRY_WAIT, journal_states, smtp_env


@pytest.fixture
def faulty() -> Any:
    handler = FaultySmtp()
    with smtp_server(handler) as controller:
        yield controller, handler


def _send(project: Path, tmp_path: Path, controller: Any) -> run.SendSummary:  # noqa: F811
    listing = subscribers(tmp_path, *READERS[:2])
    prepared = run.prepare(project, "2026-11")
    plan = run.plan_list(prepared, listing, smtp_env(controller))
    transport = run.transport_from_env(smtp_env(controller))
    return run.send_list(plan, transport, rate=1e6, retry=NO_RETRY_WAIT)


@pytest.mark.parametrize("reply", ["hello there", "354 go ahead", "600 what"])
def test_a_reply_that_is_no_refusal_code_before_the_message_loses_nobody(
    faulty: Any,
    project: Path,  # noqa: F811
    tmp_path: Path,
    reply: str,
) -> None:
    controller, handler = faulty
    handler.refuse_rcpt = {a: reply for a in READERS}
    summary = _send(project, tmp_path, controller)
    assert summary.failed == [] and summary.sent == 0
    assert set(journal_states(project).values()) == {"pending"}
    assert all("not one a mail server gives" in why for _, why in summary.deferred)
    handler.refuse_rcpt = {}
    again = _send(project, tmp_path, controller)
    assert again.sent == 2 and len(handler.received) == 2


def test_an_answer_not_understood_after_the_message_is_unknown_not_failed(
    faulty: Any,
    project: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    controller, handler = faulty
    handler.refuse_data = "hello there"
    summary = _send(project, tmp_path, controller)
    assert summary.failed == [] and summary.sent == 0
    assert [r.address for r, _ in summary.unknown] == list(READERS[:2])
    handler.refuse_data = None
    again = _send(project, tmp_path, controller)
    assert again.sent == 0 and handler.received == []  # a plain rerun never sends twice


def test_a_send_that_leaves_readers_unknown_exits_1_and_says_what_to_do(
    faulty: Any,
    project: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A script or scheduled job must not read "unknown" as success; a later run that only
    reports the same, older unknowns is not a new failure."""
    from .test_send import invoke

    controller, handler = faulty
    listing = subscribers(tmp_path, *READERS[:2])
    handler.refuse_data = "hello there"
    args = ("--list", str(listing), "--confirm", "--rate", "1000")
    first = invoke(project, smtp_env(controller), *args)
    assert first.exit_code == 1, first.output
    assert "unknown: 2" in first.output and "--retry-unknown" in first.output
    handler.refuse_data = None
    again = invoke(project, smtp_env(controller), *args)
    assert again.exit_code == 0, again.output
    assert handler.received == []
