"""Issue 16 part 3: `newsletter setup`, the keychain, and list sends that say what happened."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.delivery import run
from newsletters.load import load_checked
from newsletters.secrets import get_secret
from newsletters.smtpsettings import smtp_environment

from .conftest import claim_sample, copy_sample, sending_clinic
from .servers import dovecot, free_port, starttls_smtp
from .test_send import PASSWORD, Recorder, authenticator


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[Controller, Recorder, Path]]:
    """aiosmtpd with STARTTLS required and AUTH (clinic / PASSWORD), its certificate trusted."""
    recorder = Recorder()
    with starttls_smtp(tmp_path / "tls", recorder, authenticator([])) as (controller, cert):
        yield controller, recorder, cert


def run_cli(root: Path, answers: list[str], *args: str, **env: str) -> Any:
    clean = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    return CliRunner().invoke(
        cli, ["-C", str(root), *args], input="\n".join(answers) + "\n", env={**clean, **env}
    )


def smtp_answers(port: int, password: str = PASSWORD) -> list[str]:
    # SendGrid's preset, then our own server: host, security, port, user, password.
    return ["4", "127.0.0.1", "starttls", str(port), "clinic", password]


def test_setup_checks_the_login_and_keeps_settings_and_secrets_apart(
    tmp_path: Path, relay: tuple[Controller, Recorder, Path], test_keyring: Path
) -> None:
    controller, recorder, cert = relay
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    clinic = root / "content" / "clinic.yaml"
    before = clinic.read_text(encoding="utf-8")
    answers = [*smtp_answers(controller.port, "wrong-Pa55"), "y"]
    answers += [*smtp_answers(controller.port)[1:], ""]  # try again; no opt-out mailbox
    result = run_cli(root, answers, "setup", SSL_CERT_FILE=str(cert))
    assert result.exit_code == 0, result.output
    assert "Which service sends your newsletter?" in result.output
    assert "7. Brevo" in result.output
    assert "That did not work: 127.0.0.1:" in result.output
    assert "the password (or the user name clinic) was refused" in result.output
    assert "The server accepted the login." in result.output
    assert recorder.received == []  # the check sends nothing
    after = clinic.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # every comment and line kept
    assert 'smtp_host: "127.0.0.1"' in after and f"smtp_port: {controller.port}" in after
    assert PASSWORD not in after and PASSWORD not in result.output
    stored = json.loads(test_keyring.read_text())
    assert PASSWORD in stored.values()
    assert any(len(v) >= 32 for k, v in stored.items() if k.endswith("unsubscribe_secret"))
    assert "Next: newsletter send --to" in result.output

    # The settings are kept: a test send needs no environment variable now.
    sent = run_cli(root, [], "send", "--to", "me@example.com", SSL_CERT_FILE=str(cert))
    assert sent.exit_code == 0, sent.output
    assert [r.recipients for r in recorder.received] == [["me@example.com"]]

    # Running setup again keeps the secret and the saved password (Enter).
    secret = get_secret("unsubscribe_secret", "news@ketamineclinicwtx.com", {})
    again = run_cli(root, ["4", "", "", "", "", "", ""], "setup", SSL_CERT_FILE=str(cert))
    assert again.exit_code == 0, again.output
    assert "already in the keychain" in again.output
    assert get_secret("unsubscribe_secret", "news@ketamineclinicwtx.com", {}) == secret
    assert clinic.read_text(encoding="utf-8") == after


def test_nothing_answering_is_said_plainly_and_nothing_is_saved(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    before = (root / "content" / "clinic.yaml").read_bytes()
    port = free_port()  # nothing listens there
    result = run_cli(root, [*smtp_answers(port), "n"], "setup")
    assert result.exit_code == 1
    assert f"nothing answers at 127.0.0.1:{port}; check the server name and the port" in (
        result.output
    )
    assert "Errno" not in result.output and "Traceback" not in result.output
    assert "nothing was saved" in result.output
    assert (root / "content" / "clinic.yaml").read_bytes() == before


def test_setup_checks_the_opt_out_mailbox(
    tmp_path: Path, relay: tuple[Controller, Recorder, Path]
) -> None:
    controller, _, cert = relay
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    with dovecot(user="optout@ketamineclinicwtx.com") as mailbox:
        bundle = tmp_path / "both.pem"
        bundle.write_text(cert.read_text() + mailbox.cert.read_text())
        answers = [*smtp_answers(controller.port), "optout@ketamineclinicwtx.com"]
        answers += ["127.0.0.1", str(mailbox.tls_port), "", "nope", "y"]
        answers += ["127.0.0.1", str(mailbox.tls_port), "", mailbox.password]
        result = run_cli(root, answers, "setup", SSL_CERT_FILE=str(bundle))
    assert result.exit_code == 0, result.output
    assert "the password was refused" in result.output
    assert "The mailbox accepted the login." in result.output
    text = (root / "content" / "clinic.yaml").read_text()
    assert 'imap_host: "127.0.0.1"' in text
    assert 'unsubscribe_mailto: "optout@ketamineclinicwtx.com"' in text
    assert load_checked(root).clinic.send.imap_port == mailbox.tls_port


def test_environment_variables_override_the_kept_settings(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    with (root / "content" / "clinic.yaml").open("a") as f:
        f.write("\nsend:\n  smtp_host: smtp.example.com\n  smtp_user: kept\n")
    project = load_checked(root)
    from newsletters.secrets import set_secret

    set_secret("smtp_password", "from-keychain", project.clinic.sender.email)
    kept = smtp_environment(project, {})
    assert kept["NEWSLETTER_SMTP_HOST"] == "smtp.example.com"
    assert kept["NEWSLETTER_SMTP_PASSWORD"] == "from-keychain"
    env = {"NEWSLETTER_SMTP_HOST": "ci.example.com", "NEWSLETTER_SMTP_PASSWORD": "from-env"}
    assert smtp_environment(project, env)["NEWSLETTER_SMTP_HOST"] == "ci.example.com"
    assert smtp_environment(project, env)["NEWSLETTER_SMTP_PASSWORD"] == "from-env"


def test_a_list_send_checks_the_login_before_the_first_message(
    tmp_path: Path, relay: tuple[Controller, Recorder, Path]
) -> None:
    controller, recorder, cert = relay
    root = sending_clinic(tmp_path / "clinic")
    readers = tmp_path / "readers.csv"
    readers.write_text("email\nana@example.com\nben@example.com\n")
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(controller.port),
        "NEWSLETTER_SMTP_USER": "clinic",
        "NEWSLETTER_SMTP_PASSWORD": "not-it",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": "s" * 32,
        "SSL_CERT_FILE": str(cert),
    }
    result = run_cli(root, [], "send", "2026-11", "--list", str(readers), "--confirm", **env)
    assert result.exit_code == 1
    assert "was refused" in result.output and "Nothing was sent." in result.output
    assert recorder.received == []
    assert not (root / "dist" / "2026-11" / "send-journal.sqlite").exists()


def test_the_retry_wait_counts_down() -> None:
    shown: list[str] = []
    slept: list[float] = []
    run.countdown(2.5, shown.append, slept.append)
    assert shown == [
        "waiting 3 s before trying again...",
        "waiting 2 s before trying again...",
        "waiting 1 s before trying again...",
        "",
    ]
    assert sum(slept) == 2.5


def test_the_summary_says_what_is_left_and_what_to_do() -> None:
    summary = run.SendSummary(sent=3, left=2, skipped=1)
    lines = run.summary_lines(summary)
    assert lines[0].startswith("Sent 3, failed 0, still to send 2, skipped 1")
    assert lines[-1] == (
        "Next: run the same command again to send the 2 still to send (nobody gets it twice)."
    )


def test_setup_keeps_the_dkim_key_in_the_keychain_and_sends_sign_with_it(
    tmp_path: Path, relay: tuple[Controller, Recorder, Path], test_keyring: Path
) -> None:
    """One keychain for every secret: the DKIM key setup keeps signs the next send, with no
    NEWSLETTER_DKIM_PRIVATE_KEY set."""
    import dkim

    from .test_doctor import new_key

    controller, recorder, cert = relay
    root = claim_sample(copy_sample(tmp_path / "clinic"))
    with (root / "content" / "clinic.yaml").open("a", encoding="utf-8") as f:
        f.write("\nsend:\n  dkim_domain: ketamineclinicwtx.com\n  dkim_selector: news2026\n")
    private, public = new_key()
    key_file = tmp_path / "dkim.pem"
    key_file.write_text(private, encoding="ascii")
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello\n", encoding="ascii")
    answers = [*smtp_answers(controller.port), "", str(not_a_key), str(key_file)]
    result = run_cli(root, answers, "setup", SSL_CERT_FILE=str(cert))
    assert result.exit_code == 0, result.output
    assert "not an RSA private key" in result.output
    assert private not in result.output
    assert "BEGIN" not in (root / "content" / "clinic.yaml").read_text(encoding="utf-8")
    stored = json.loads(test_keyring.read_text())
    assert stored["newsletters\nnews@ketamineclinicwtx.com:dkim_private_key"] == private

    sent = run_cli(root, [], "send", "--to", "me@example.com", SSL_CERT_FILE=str(cert))
    assert sent.exit_code == 0, sent.output
    data = recorder.received[0].data
    assert data.startswith(b"DKIM-Signature:")
    record = f"v=DKIM1; k=rsa; p={public}".encode()
    assert dkim.verify(data, dnsfunc=lambda name, timeout=5: record)
