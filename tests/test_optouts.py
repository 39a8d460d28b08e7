"""Issue 16 part 2: opt-outs by one click and by mail come back, and list sends skip them.

Real components: aiosmtpd for the sends, Dovecot (IMAP, TLS with a generated certificate) for
the opt-out mailbox, and `newsletter unsubscribe-server` (waitress) as its own process.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.optouts.imap import recognise
from newsletters.optouts.token import make_token, read_token
from newsletters.optouts.webapp import OptOutApp, ServiceDatabase, collect_key

from . import test_send
from .conftest import ROOT, claim_sample, copy_sample, sending_clinic
from .servers import Dovecot, dovecot
from .test_send import Recorder

server = test_send.server  # aiosmtpd on a free port, shared with the send tests
SECRET = "opt-out-secret-0123456789abcdef"
MAILBOX = "optout@ketamineclinicwtx.com"
READERS = ["ana@example.com", "ben@example.com", "cy@example.com", "dee@example.com"]


def cli_run(root: Path, env: dict[str, str], *args: str) -> Any:
    clean = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    return CliRunner().invoke(cli, ["-C", str(root), *args], env={**clean, **env})


# ---------------------------------------------------------------- the token


def test_token_carries_the_address_and_cannot_be_forged() -> None:
    token = make_token(SECRET, "Ana@Example.com", "2026-11")
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)
    assert read_token(SECRET, token) == ("ana@example.com", "2026-11")
    assert read_token("another-secret-0123456789", token) is None
    signature = token.split(".")[1]
    forged = make_token("x" * 20, "ben@example.com", "2026-11").split(".")[0]
    assert read_token(SECRET, f"{forged}.{signature}") is None
    for hostile in ("", ".", "a.b", token + "x", "../" + token, token.replace(".", "..")):
        assert read_token(SECRET, hostile) is None


# ---------------------------------------------------------------- the one-click app (WSGI)


def call(app: OptOutApp, method: str, path: str, body: bytes = b"", **headers: str) -> Any:
    import io

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    if "?" in path:
        environ["PATH_INFO"], environ["QUERY_STRING"] = path.split("?", 1)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    got["body"] = b"".join(app(environ, start_response))
    return got


def test_get_shows_a_button_and_never_unsubscribes(tmp_path: Path) -> None:
    database = ServiceDatabase(tmp_path / "service.sqlite")
    app = OptOutApp(SECRET, database, "Clinic <b>")
    path = "/u/" + make_token(SECRET, "ana@example.com", "2026-11")
    for _ in range(3):  # link scanners fetch every link, sometimes more than once
        page = call(app, "GET", path)
        assert page["status"] == "200 OK"
        assert b'<form method="post">' in page["body"] and b"<button" in page["body"]
        assert b"Clinic &lt;b&gt;" in page["body"]
        assert b"ana@example.com" not in page["body"]  # masked: a***@example.com
    assert database.since(0) == []
    done = call(app, "POST", path, b"List-Unsubscribe=One-Click")
    assert done["status"] == "200 OK"
    assert [o["address"] for o in database.since(0)] == ["ana@example.com"]
    assert "default-src 'none'" in done["headers"]["Content-Security-Policy"]


def test_bad_tokens_methods_and_keys_are_refused(tmp_path: Path) -> None:
    database = ServiceDatabase(tmp_path / "service.sqlite")
    app = OptOutApp(SECRET, database)
    wrong = "/u/" + make_token("not-the-secret-0123456789", "ana@example.com")
    assert call(app, "POST", wrong)["status"] == "400 Bad Request"
    assert call(app, "POST", "/u/<script>")["status"] == "404 Not Found"
    assert call(app, "GET", "/../../etc/passwd")["status"] == "404 Not Found"
    good = "/u/" + make_token(SECRET, "ana@example.com")
    assert call(app, "DELETE", good)["status"].startswith("405")
    assert call(app, "POST", good, b"x" * 100_000)["status"] == "200 OK"  # body is not kept
    assert call(app, "GET", "/opt-outs")["status"] == "401 Unauthorized"
    assert call(app, "GET", "/opt-outs", Authorization="Bearer " + SECRET)["status"].startswith(
        "401"
    )
    ok = call(app, "GET", "/opt-outs?after=0", Authorization="Bearer " + collect_key(SECRET))
    assert ok["status"] == "200 OK" and b"ana@example.com" in ok["body"]


# ---------------------------------------------------------------- recognising mails


def mail(sender: str, subject: str, body: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_mails_are_recognised_by_token_by_words_and_as_bounces() -> None:
    token = make_token(SECRET, "ana@example.com", "2026-11")
    by_token = recognise(mail("Other <other@example.org>", f"unsubscribe {token}", ""), SECRET)
    assert [(o.address, o.how, o.issue) for o in by_token] == [
        ("ana@example.com", "mail", "2026-11")
    ]
    by_hand = recognise(
        mail("Ben <ben@example.com>", "Re: news", "Please unsubscribe me.\n"), SECRET
    )
    assert [(o.address, o.how) for o in by_hand] == [("ben@example.com", "mail")]
    quoted = mail(
        "Cy <cy@example.com>", "Re: news", "Thanks!\n\nOn Monday you wrote:\n> Unsubscribe"
    )
    assert recognise(quoted, SECRET) == []
    question = mail("Dee <dee@example.com>", "Appointment", "Can I move my visit?")
    assert recognise(question, SECRET) == []
    away = mail(
        "Dee <dee@example.com>", "Out of office", "unsubscribe", Auto_Submitted="auto-replied"
    )
    assert recognise(away, SECRET) == []
    forged = mail(
        "x@example.com",
        "unsubscribe " + make_token("wrong-secret-012345678", "ana@example.com"),
        "",
    )
    assert [o.address for o in recognise(forged, SECRET)] == ["x@example.com"]  # the sender only
    dsn = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: optout@ketamineclinicwtx.com\r\n"
        b"Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nGone.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n"
        b"\r\nFinal-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\nFinal-Recipient: rfc822; later@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n"
        b"--b--\r\n"
    )
    assert [(o.address, o.how) for o in recognise(dsn, SECRET)] == [("gone@example.com", "bounce")]


# ---------------------------------------------------------------- end to end


@pytest.fixture
def mailbox() -> Iterator[Dovecot]:
    with dovecot(user=MAILBOX) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    """`newsletter unsubscribe-server --port 0` as its own process; yields its address."""
    root = claim_sample(copy_sample(tmp_path / "service-project"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env |= {"NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletters", "-C", str(root), "unsubscribe-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening at (http://127\.0\.0\.1:\d+/)", line)
    assert match, line + (process.stdout.read() if process.poll() is not None else "")
    try:
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def request(url: str, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def list_unsubscribe(message: email.message.EmailMessage) -> tuple[str, str]:
    """(the https link's path, the mailto: address) from a received message's header."""
    links = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    https = next(u for u in links if u.startswith("https://"))
    mailto = next(u for u in links if u.startswith("mailto:"))
    return urllib.parse.urlsplit(https).path, mailto


def test_opt_outs_by_one_click_and_by_mail_are_skipped_by_the_next_send(
    tmp_path: Path, server: tuple[Controller, Recorder], mailbox: Dovecot, service: str
) -> None:
    controller, recorder = server
    root = sending_clinic(
        tmp_path / "clinic",
        f"  unsubscribe_mailto: {MAILBOX}\n"
        "  imap_host: 127.0.0.1\n"
        f"  imap_port: {mailbox.tls_port}\n"
        "  imap_security: tls\n"
        "  one_click_url: https://optout.ketamineclinicwtx.com/\n",
    )
    readers = tmp_path / "readers.csv"
    readers.write_text("email\n" + "\n".join(READERS) + "\n", encoding="utf-8")
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(controller.port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
        "NEWSLETTER_IMAP_PASSWORD": mailbox.password,
        "SSL_CERT_FILE": str(mailbox.cert),  # trust the test's own certificate authority
    }
    first = cli_run(root, env, "send", "2026-11", "--list", str(readers), "--confirm")
    assert first.exit_code == 0, first.output
    assert "never been collected" in first.output
    assert sorted(r.recipients[0] for r in recorder.received) == READERS
    by_reader = {r.recipients[0]: r.message for r in recorder.received}

    # Ana clicks her mail program's unsubscribe (RFC 8058 one-click POST).
    path, _ = list_unsubscribe(by_reader["ana@example.com"])
    assert path.startswith("/u/")
    status, _ = request(service, "GET", path)  # a link scanner first: nothing happens
    assert status == 200
    status, body = request(service, "POST", path, b"List-Unsubscribe=One-Click")
    assert status == 200 and b"unsubscribed" in body
    # Ben's mail program writes to the mailto: address with the token in the subject.
    _, mailto = list_unsubscribe(by_reader["ben@example.com"])
    to, _, query = mailto.removeprefix("mailto:").partition("?")
    subject = urllib.parse.parse_qs(query)["subject"][0]
    assert to == MAILBOX and subject.startswith("unsubscribe ")
    mailbox.append(mail("Ben B <ben.personal@example.org>", subject, ""))
    # Cy writes by hand; Dee asks a question and has an auto-reply: neither is an opt-out.
    mailbox.append(mail("Cy <cy@example.com>", "stop", "Please remove me from the list.\nCy"))
    mailbox.append(mail("Dee <dee@example.com>", "Question", "Can I book for Tuesday?"))
    mailbox.append(
        mail("dee@example.com", "Out of office", "unsubscribe", Auto_Submitted="auto-replied")
    )

    fetched = cli_run(root, env, "unsubscribes", "fetch", "--from", service)
    assert fetched.exit_code == 0, fetched.output
    assert f"{service}: 1 opt-outs, 1 new" in fetched.output
    assert "2 opt-outs, 2 new; 2 other mails left for you to read" in fetched.output
    flags = b" ".join(mailbox.flags())
    assert flags.count(b"$NewsletterHandled") == 2

    listed = cli_run(root, env, "unsubscribes", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    import json

    found = {o["address"]: o for o in json.loads(listed.output)["opt_outs"]}
    assert found["ana@example.com"]["how"] == "one-click"
    assert found["ana@example.com"]["issue"] == "2026-11"
    assert found["ben@example.com"]["how"] == "mail"
    assert found["ben@example.com"]["issue"] == "2026-11"
    assert found["cy@example.com"]["how"] == "mail"
    assert "dee@example.com" not in found

    again = cli_run(root, env, "unsubscribes", "fetch", "--from", service)
    assert "0 new" in again.output  # handled mails and collected clicks are not counted twice

    recorder.received.clear()
    second = cli_run(root, env, "send", "2026-10", "--list", str(readers), "--confirm")
    assert second.exit_code == 0, second.output
    assert "never been collected" not in second.output
    assert [r.recipients[0] for r in recorder.received] == ["dee@example.com"]


def test_a_list_send_refuses_to_start_without_a_way_back(
    tmp_path: Path, server: tuple[Controller, Recorder]
) -> None:
    controller, recorder = server
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    readers = tmp_path / "readers.csv"
    readers.write_text("email\nana@example.com\n", encoding="utf-8")
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(controller.port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
    }
    result = cli_run(root, env, "send", "2026-11", "--list", str(readers), "--confirm")
    assert result.exit_code == 1
    assert "content/clinic.yaml" in result.output
    assert "say how opt-outs come back" in result.output
    assert recorder.received == []


def test_stale_collection_warns_before_a_send(tmp_path: Path) -> None:
    import datetime as dt

    from newsletters.load import load_checked
    from newsletters.optouts.collect import staleness_warnings
    from newsletters.optouts.store import Store, store_path

    root = sending_clinic(tmp_path / "clinic", "  one_click_url: https://optout.example.com/\n")
    project = load_checked(root)
    with Store(store_path(root)) as store:
        store.mark_collected("https://optout.example.com/")
    assert staleness_warnings(project) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert "last collected 3 days ago" in staleness_warnings(project, later)[0]


def test_suppression_file_is_imported_as_opt_outs_by_hand(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    (root / "content" / "suppressed.txt").write_text("# gone\nGone@Example.com\n", "utf-8")
    result = cli_run(root, {}, "unsubscribes", "list")
    assert result.exit_code == 0, result.output
    assert "by hand" in result.output and "gone@example.com" in result.output
    assert "1 opted out." in result.output


def test_fetch_refuses_plain_http_and_plain_imap_off_this_computer(tmp_path: Path) -> None:
    root = sending_clinic(
        tmp_path / "clinic",
        f"  unsubscribe_mailto: {MAILBOX}\n  imap_host: imap.example.com\n  imap_security: none\n",
    )
    env = {"NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET, "NEWSLETTER_IMAP_PASSWORD": "pw"}
    result = cli_run(root, env, "unsubscribes", "fetch", "--from", "http://optout.example.com/")
    assert result.exit_code == 1
    assert "plain http would send the clinic's key unencrypted" in result.output
    clinic = root / "content" / "clinic.yaml"
    clinic.write_text(clinic.read_text().replace("imap_security: none", "imap_security: none\n"))
    result = cli_run(root, env, "unsubscribes", "fetch")
    assert result.exit_code == 1
    assert "unencrypted" in result.output and "Traceback" not in result.output


def test_a_wrong_mailbox_password_is_said_plainly(tmp_path: Path, mailbox: Dovecot) -> None:
    root = sending_clinic(
        tmp_path / "clinic",
        f"  unsubscribe_mailto: {MAILBOX}\n  imap_host: 127.0.0.1\n"
        f"  imap_port: {mailbox.port}\n  imap_security: starttls\n",
    )
    env = {
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
        "NEWSLETTER_IMAP_PASSWORD": "not-the-Pa55word",
        "SSL_CERT_FILE": str(mailbox.cert),
    }
    result = cli_run(root, env, "unsubscribes", "fetch")
    assert result.exit_code == 1
    assert "the password was refused" in result.output
    assert "not-the-Pa55word" not in result.output


def test_collecting_with_another_secret_is_refused_plainly(tmp_path: Path, service: str) -> None:
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    env = {"NEWSLETTER_UNSUBSCRIBE_SECRET": "a-different-secret-0123456789"}
    result = cli_run(root, env, "unsubscribes", "fetch", "--from", service)
    assert result.exit_code == 1
    assert "the clinic's secret does not match the service's" in result.output
    assert "Traceback" not in result.output


def test_a_dry_run_says_what_a_real_send_will_need(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    readers = tmp_path / "readers.csv"
    readers.write_text("email\nana@example.com\n", encoding="utf-8")
    env = {"NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET}
    result = cli_run(root, env, "send", "2026-11", "--list", str(readers))
    assert result.exit_code == 0, result.output
    assert "content/clinic.yaml" in result.output
    assert "warning: send: say how opt-outs come back" in result.output
    assert "Nothing was sent." in result.output


# ---------------------------------------------------------------- personal data stays out of git


def test_a_new_projects_gitignore_keeps_readers_addresses_out_of_git(tmp_path: Path) -> None:
    """What git itself ignores in a project made by `newsletter init`: the opt-out record
    (with SQLite's -wal/-shm files), the one-click service's database, the suppression file,
    subscriber CSVs and the outputs; never the content a clinic shares."""
    root = tmp_path / "clinic"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    personal = [
        "opt-outs.sqlite",
        "opt-outs.sqlite-wal",
        "opt-outs.sqlite-shm",
        "opt-out-service.sqlite",
        "content/suppressed.txt",
        "subscribers.csv",
        "content/lists/november.csv",
        "dist/2026-11/send-journal.sqlite",
        "dist/.test-addresses",
    ]
    shared = ["content/clinic.yaml", "content/articles/example-article.md", "templates/x.mjml"]
    for name in personal + shared:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).touch()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    checked = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "--no-index", *personal, *shared],
        capture_output=True,
        text=True,
    )
    assert sorted(checked.stdout.split()) == sorted(personal)


@pytest.mark.parametrize("kind", ["symlink", "not-a-database"])
def test_an_unusable_opt_out_record_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    root = sending_clinic(tmp_path / "clinic", "  website_handles_opt_outs: true\n")
    record = root / "opt-outs.sqlite"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours\n", encoding="utf-8")
    if kind == "symlink":
        record.symlink_to(elsewhere)
    else:
        record.write_bytes(b"this is not SQLite\n" * 100)
    result = cli_run(root, {}, "unsubscribes", "list")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "opt-outs.sqlite" in result.output
    assert ("symbolic link" if kind == "symlink" else "not an opt-out record") in result.output
    assert elsewhere.read_text(encoding="utf-8") == "not yours\n"


@pytest.mark.parametrize("planted", ["symlink", "not-a-database"])
def test_the_service_refuses_a_planted_record_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    """A link named opt-out-service.sqlite made the service write wherever it pointed; a file
    that is not SQLite ended in a traceback."""
    root = claim_sample(copy_sample(tmp_path / "p"))
    record = root / "opt-out-service.sqlite"
    elsewhere = tmp_path / "elsewhere.sqlite"
    if planted == "symlink":
        record.symlink_to(elsewhere)
    else:
        record.write_bytes(b"this is not a database\n" * 200)
    monkeypatch.setenv("NEWSLETTER_UNSUBSCRIBE_SECRET", SECRET)
    result = CliRunner().invoke(cli, ["-C", str(root), "unsubscribe-server", "--port", "0"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "opt-out-service.sqlite" in result.output and "Traceback" not in result.output
    assert not elsewhere.exists()
