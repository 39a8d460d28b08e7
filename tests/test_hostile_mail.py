"""Opt-outs against the hostile world (red team, session 2): mail in the opt-out mailbox as
real mail programs and mail servers write it (HTML-only replies, quoted copies in HTML,
delivery reports that bracket the address), a one-click request with a huge body, JSON nested
too deep from the preview's test-send button or a collected service. A reader who asked to
leave is found; words in a quoted copy are not a request; hostile requests get a plain no."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from newsletters.optouts.imap import recognise
from newsletters.optouts.token import make_token

from .test_optouts import service  # noqa: F401  (the unsubscribe-server process)

SECRET = "opt-out-secret-0123456789abcdef"


def _html_mail(body: str) -> bytes:
    return (
        "From: Ben <ben@example.com>\r\nSubject: Re: news\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()


def test_an_html_only_reply_asking_to_leave_is_an_opt_out() -> None:
    asked = _html_mail("<html><head><style>p{}</style></head><body><p>Please unsubscribe me.</p>")
    assert [(o.address, o.how) for o in recognise(asked, SECRET)] == [("ben@example.com", "mail")]


def test_unsubscribe_inside_a_quoted_html_copy_is_not_a_request() -> None:
    for quote in (
        "<blockquote type=cite><p>Unsubscribe</p></blockquote>",
        '<div class="gmail_quote"><p>Unsubscribe</p></div>',
        '<div id="divRplyFwdMsg"><p>Unsubscribe</p></div>',
    ):
        mail = _html_mail(f"<p>Thanks, see you Monday.</p>{quote}")
        assert recognise(mail, SECRET) == [], quote
    styled = _html_mail("<style>.unsubscribe{color:red}</style><p>See you Monday</p>")
    assert recognise(styled, SECRET) == []


def test_a_delivery_report_with_a_bracketed_recipient_is_a_bounce() -> None:
    dsn = (
        b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n"
        b"\r\nFinal-Recipient: rfc822; <Gone@Example.com> \r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b--\r\n"
    )
    assert [(o.address, o.how) for o in recognise(dsn, SECRET)] == [("Gone@Example.com", "bounce")]


def test_the_one_click_service_refuses_a_huge_body_at_once(service: str) -> None:  # noqa: F811
    """A POST announcing a gigabyte is answered 413 from its headers, not buffered to disk."""
    token = make_token(SECRET, "ana@example.com", "2026-11")
    host, port = service.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(
            f"POST /u/{token} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000000000\r\n\r\nList-Unsubscribe=One-Click".encode()
        )
        reply = conn.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:80]


def test_a_test_send_request_nested_too_deep_is_not_understood(tmp_path: Path) -> None:
    from newsletters.preview.testsend import send_test

    outcome = send_test(tmp_path, "2026-11", b"[" * 4000)
    assert (outcome.status, outcome.lines) == (400, ("The request was not understood.",))


def test_a_collected_answer_nested_too_deep_is_one_plain_error() -> None:
    from newsletters.errors import NewsletterError
    from newsletters.optouts.collect import _parse

    with pytest.raises(NewsletterError, match="not from a newsletter opt-out service"):
        _parse(b'{"opt_outs": ' + b"[" * 5000, "https://optout.example.com/")
