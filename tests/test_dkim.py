"""DKIM signing of SMTP sends: messages sent through a real SMTP server (aiosmtpd) carry
signatures that dkimpy verifies against the key published on a real DNS server (dnsmasq),
and that break when a covered header or the body changes."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dkim
import dns.resolver
import pytest
from aiosmtpd.controller import Controller

from .conftest import OPT_OUTS_BY_WEBSITE, copy_sample, sending_clinic
from .dnsserver import Zone, dns_server
from .servers import smtp_server
from .test_doctor import new_key
from .test_send import Recorder, invoke, smtp_env

DOMAIN = "ketamineclinicwtx.com"  # the claimed sample's domain
SELECTOR = "news2026"
COVERED = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


@pytest.fixture(scope="module")
def key() -> tuple[str, str]:
    return new_key()


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Recorder]]:
    recorder = Recorder()
    with smtp_server(recorder) as controller:
        yield controller, recorder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return sending_clinic(
        tmp_path / "clinic",
        f"  dkim_domain: {DOMAIN}\n  dkim_selector: {SELECTOR}\n{OPT_OUTS_BY_WEBSITE}",
    )


@pytest.fixture
def resolver(tmp_path: Path, key: tuple[str, str]) -> Iterator[Any]:
    """A dkimpy `dnsfunc` that asks the test's DNS server for the published key."""
    zone = Zone(
        local=["example"],
        txt={f"{SELECTOR}._domainkey.{DOMAIN}": [f"v=DKIM1; k=rsa; p={key[1]}"]},
    )
    with dns_server(zone, tmp_path / "dns") as server:
        host, port = server.split(":")
        ask = dns.resolver.Resolver(configure=False)
        ask.nameservers, ask.port, ask.lifetime = [host], int(port), 5.0

        def txt(name: bytes, timeout: int = 5) -> bytes:
            try:
                answer = ask.resolve(name.decode().rstrip("."), "TXT")
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                return b""
            return b"".join(b"".join(r.strings) for r in answer)

        yield txt


def send_test(project: Path, controller: Controller, private: str, *to: str) -> Any:
    args = [arg for address in to for arg in ("--to", address)]
    env = smtp_env(controller, NEWSLETTER_DKIM_PRIVATE_KEY=private)
    return invoke(project, env, *args)


def test_sent_messages_carry_a_signature_that_verifies_against_dns(
    project: Path, smtp: tuple[Controller, Recorder], key: tuple[str, str], resolver: Any
) -> None:
    controller, recorder = smtp
    result = send_test(project, controller, key[0], "ana@example.com")
    assert result.exit_code == 0, result.output
    (received,) = recorder.received
    data = received.data
    assert data.startswith(b"DKIM-Signature:")
    assert dkim.verify(data, dnsfunc=resolver)
    message = email.message_from_bytes(data, policy=email.policy.default)
    tags = dict(
        (part.split("=", 1)[0].strip(), re.sub(r"\s+", "", part.split("=", 1)[1]))
        for part in str(message["DKIM-Signature"]).split(";")
        if "=" in part
    )
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR
    signed = {h.lower() for h in tags["h"].split(":")}
    assert {h.lower() for h in COVERED} <= signed


@pytest.mark.parametrize("header", COVERED)
def test_changing_a_covered_header_breaks_the_signature(
    project: Path,
    smtp: tuple[Controller, Recorder],
    key: tuple[str, str],
    resolver: Any,
    header: str,
) -> None:
    controller, recorder = smtp
    assert send_test(project, controller, key[0], "ana@example.com").exit_code == 0
    data = recorder.received[0].data
    assert dkim.verify(data, dnsfunc=resolver)  # the same bytes verify before the change
    head, body = data.split(b"\r\n\r\n", 1)
    pattern = re.compile(rb"(?mi)^(" + re.escape(header.encode()) + rb":[ \t]*)(.)")
    assert pattern.search(head), header
    changed = pattern.sub(lambda m: m.group(1) + b"X" + m.group(2), head, count=1)
    assert not dkim.verify(changed + b"\r\n\r\n" + body, dnsfunc=resolver)


def test_changing_the_body_breaks_the_signature(
    project: Path, smtp: tuple[Controller, Recorder], key: tuple[str, str], resolver: Any
) -> None:
    controller, recorder = smtp
    assert send_test(project, controller, key[0], "ana@example.com").exit_code == 0
    data = recorder.received[0].data
    tampered = data.replace(b"chronic", b"chron1c", 1)
    assert tampered != data
    assert not dkim.verify(tampered, dnsfunc=resolver)


def test_a_list_send_signs_every_readers_message(
    project: Path,
    smtp: tuple[Controller, Recorder],
    key: tuple[str, str],
    resolver: Any,
    tmp_path: Path,
) -> None:
    controller, recorder = smtp
    readers = tmp_path / "readers.csv"
    readers.write_text("email,first_name\nana@example.com,Ana\nbo@example.com,Bo\n")
    env = smtp_env(controller, NEWSLETTER_DKIM_PRIVATE_KEY=key[0])
    result = invoke(project, env, "--list", str(readers), "--confirm")
    assert result.exit_code == 0, result.output
    assert sorted(r.recipients[0] for r in recorder.received) == [
        "ana@example.com",
        "bo@example.com",
    ]
    for received in recorder.received:
        assert dkim.verify(received.data, dnsfunc=resolver)
        to = email.message_from_bytes(received.data, policy=email.policy.default)["To"]
        assert to == received.recipients[0]


def test_a_selector_without_a_key_refuses_to_send(
    project: Path, smtp: tuple[Controller, Recorder]
) -> None:
    controller, recorder = smtp
    result = invoke(project, smtp_env(controller), "--to", "ana@example.com")
    assert result.exit_code == 1
    assert "dkim_selector is set but there is no private key" in result.output
    assert "NEWSLETTER_DKIM_PRIVATE_KEY" in result.output
    assert recorder.received == []


def test_a_damaged_key_is_refused_without_showing_it(
    project: Path, smtp: tuple[Controller, Recorder], key: tuple[str, str]
) -> None:
    controller, recorder = smtp
    damaged = key[0][:300] + "\n-----END PRIVATE KEY-----\n"  # cut short in a copy-paste
    result = send_test(project, controller, damaged, "ana@example.com")
    assert result.exit_code == 1
    assert "is not an RSA private key" in result.output
    assert damaged[40:80] not in result.output
    assert recorder.received == []


def test_a_key_written_on_one_line_with_backslash_n_works(
    project: Path, smtp: tuple[Controller, Recorder], key: tuple[str, str], resolver: Any
) -> None:
    controller, recorder = smtp
    one_line = key[0].strip().replace("\n", "\\n")
    assert send_test(project, controller, one_line, "ana@example.com").exit_code == 0
    assert dkim.verify(recorder.received[0].data, dnsfunc=resolver)


def test_without_dkim_settings_nothing_is_signed(
    tmp_path: Path, smtp: tuple[Controller, Recorder], key: tuple[str, str]
) -> None:
    controller, recorder = smtp
    root = copy_sample(tmp_path / "plain")
    assert send_test(root, controller, key[0], "ana@example.com").exit_code == 0
    assert b"DKIM-Signature" not in recorder.received[0].data
