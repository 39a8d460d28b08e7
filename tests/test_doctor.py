"""`newsletter doctor` against a real DNS server (dnsmasq on a free 127.0.0.1 port): a good
zone, and one broken zone per finding."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletters.__main__ import cli
from newsletters.doctor import parse_server

from .conftest import copy_sample
from .dnsserver import Zone, dns_server

DOMAIN = "ketamineclinicwtx.example"  # the sample's sender and reply-to domain
SMTP_HOST = "smtp.relay.example"
SMTP_IP = "192.0.2.10"
SELECTOR = "news2026"
CLINIC = "content/clinic.yaml"


def new_key() -> tuple[str, str]:
    """(private key PEM, public key base64 as published in DNS)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, base64.b64encode(public).decode()


@pytest.fixture(scope="module")
def keys() -> tuple[tuple[str, str], tuple[str, str]]:
    return new_key(), new_key()


def good_zone(public: str) -> Zone:
    return Zone(
        local=["example"],
        txt={
            DOMAIN: ["v=spf1 ip4:192.0.2.0/28 -all", "google-site-verification=abc"],
            f"_dmarc.{DOMAIN}": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@" + DOMAIN],
            f"{SELECTOR}._domainkey.{DOMAIN}": [f"v=DKIM1; k=rsa; p={public}"],
        },
        mx=[(DOMAIN, f"mx1.{DOMAIN}", 10)],
        hosts={SMTP_HOST: SMTP_IP, f"mx1.{DOMAIN}": "192.0.2.25"},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_sample(tmp_path / "clinic")
    with (root / CLINIC).open("a", encoding="utf-8") as handle:
        handle.write(f"\nsend:\n  dkim_domain: {DOMAIN}\n  dkim_selector: {SELECTOR}\n")
    return root


def doctor(project: Path, server: str, **env: str) -> Any:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    return CliRunner().invoke(
        cli, ["-C", str(project), "doctor", "--dns-server", server], env={**clean, **env}
    )


def run_with(project: Path, tmp_path: Path, zone: Zone, private: str | None, **env: str) -> Any:
    settings = {"NEWSLETTER_SMTP_HOST": SMTP_HOST, **env}
    if private is not None:
        settings["NEWSLETTER_DKIM_PRIVATE_KEY"] = private
    with dns_server(zone, tmp_path / "dns") as server:
        return doctor(project, server, **settings)


def test_a_good_zone_passes_every_check(project: Path, tmp_path: Path, keys: Any) -> None:
    (private, public), _ = keys
    result = run_with(project, tmp_path, good_zone(public), private)
    assert result.exit_code == 0, result.output
    assert f"ok: SPF: {DOMAIN} allows the SMTP server {SMTP_HOST} ({SMTP_IP})" in result.output
    assert f"ok: DMARC: {DOMAIN} has a record with policy 'quarantine'" in result.output
    assert f"ok: DKIM: the key at {SELECTOR}._domainkey.{DOMAIN} matches" in result.output
    assert f"ok: MX: replies to {DOMAIN} go to mx1.{DOMAIN}" in result.output
    assert "Doctor: 4 ok, 0 to fix, 0 to look at." in result.output


Edit = Callable[[Zone, str], None]


def spf(record: str) -> Edit:
    def apply(zone: Zone, other_public: str) -> None:
        zone.txt[DOMAIN] = [record]

    return apply


def no_record(name: str) -> Edit:
    def apply(zone: Zone, other_public: str) -> None:
        del zone.txt[name]

    return apply


def dmarc(record: str) -> Edit:
    def apply(zone: Zone, other_public: str) -> None:
        zone.txt[f"_dmarc.{DOMAIN}"] = [record]

    return apply


def other_dkim_key(zone: Zone, other_public: str) -> None:
    zone.txt[f"{SELECTOR}._domainkey.{DOMAIN}"] = [f"v=DKIM1; k=rsa; p={other_public}"]


def empty_dkim_key(zone: Zone, other_public: str) -> None:
    zone.txt[f"{SELECTOR}._domainkey.{DOMAIN}"] = ["v=DKIM1; k=rsa; p="]


def no_mx_but_address(zone: Zone, other_public: str) -> None:
    zone.mx.clear()
    zone.hosts[DOMAIN] = "192.0.2.80"


def no_mx(zone: Zone, other_public: str) -> None:
    zone.mx.clear()


def includes(zone: Zone, other_public: str) -> None:
    zone.txt[DOMAIN] = ["v=spf1 include:_spf.relay.example ~all"]
    zone.txt["_spf.relay.example"] = ["v=spf1 ip4:192.0.2.10 -all"]


def includes_provider_elsewhere(zone: Zone, other_public: str) -> None:
    """The provider's outgoing servers differ from its submission server, as is common."""
    zone.txt[DOMAIN] = ["v=spf1 include:_spf.relay.example ~all"]
    zone.txt["_spf.relay.example"] = ["v=spf1 ip4:198.51.100.0/24 -all"]


def redirect_with_a(zone: Zone, other_public: str) -> None:
    zone.txt[DOMAIN] = [f"v=spf1 redirect=spf.{DOMAIN}"]
    zone.txt[f"spf.{DOMAIN}"] = [f"v=spf1 mx a:{SMTP_HOST} -all"]


def too_many_lookups(zone: Zone, other_public: str) -> None:
    zone.txt[DOMAIN] = [f"v=spf1 include:s1.{DOMAIN} -all"]
    for i in range(1, 12):
        zone.txt[f"s{i}.{DOMAIN}"] = [f"v=spf1 include:s{i + 1}.{DOMAIN} -all"]
    zone.txt[f"s12.{DOMAIN}"] = ["v=spf1 ip4:192.0.2.10 -all"]


FINDINGS: list[tuple[str, Edit, int, str]] = [
    ("spf-missing", spf("v=DKIM-not-spf"), 1, f"[doctor/spf] {DOMAIN} has no SPF record"),
    (
        "spf-other-server",
        spf("v=spf1 ip4:198.51.100.7 -all"),
        1,
        f"the record of {DOMAIN} does not allow the SMTP server {SMTP_HOST} ({SMTP_IP}) "
        "(result: fail)",
    ),
    ("spf-plus-all", spf("v=spf1 ip4:192.0.2.10 +all"), 1, "'+all', which lets anyone send"),
    ("spf-too-many-lookups", too_many_lookups, 1, "more than 10 DNS lookups"),
    (
        "spf-include-nowhere",
        spf("v=spf1 include:nothing..example -all"),
        1,
        "include:nothing..example has no SPF record",
    ),
    (
        "spf-two-records",
        lambda z, o: z.txt.update({DOMAIN: ["v=spf1 -all", "v=spf1 a -all"]}),
        1,
        "has 2 SPF records",
    ),
    (
        "dmarc-missing",
        no_record(f"_dmarc.{DOMAIN}"),
        1,
        f"[doctor/dmarc] {DOMAIN} has no DMARC record",
    ),
    ("dmarc-none", dmarc("v=DMARC1; p=none"), 0, "policy 'none'"),
    ("dmarc-no-policy", dmarc("v=DMARC1; rua=mailto:x@" + DOMAIN), 1, "no valid policy"),
    (
        "dkim-missing",
        no_record(f"{SELECTOR}._domainkey.{DOMAIN}"),
        1,
        f"no key is published at {SELECTOR}._domainkey.{DOMAIN}",
    ),
    ("dkim-other-key", other_dkim_key, 1, "does not match your private key"),
    ("dkim-revoked", empty_dkim_key, 1, "is empty (revoked)"),
    (
        "mx-missing-with-address",
        no_mx_but_address,
        0,
        f"[doctor/mx] {DOMAIN} has no MX record; replies",
    ),
    ("mx-missing", no_mx, 1, f"[doctor/mx] {DOMAIN} has no MX record, so replies to your"),
]


@pytest.mark.parametrize(
    ("edit", "exit_code", "message"), [f[1:] for f in FINDINGS], ids=[f[0] for f in FINDINGS]
)
def test_each_broken_zone_is_named_in_plain_words(
    project: Path, tmp_path: Path, keys: Any, edit: Edit, exit_code: int, message: str
) -> None:
    (private, public), (_, other_public) = keys
    zone = good_zone(public)
    edit(zone, other_public)
    result = run_with(project, tmp_path, zone, private)
    assert result.exit_code == exit_code, result.output
    lines = [line for line in result.output.splitlines() if message in line]
    assert len(lines) == 1, result.output
    severity = "warning" if exit_code == 0 else "error"
    assert lines[0].startswith(f"{CLINIC}:") or lines[0].startswith(str(project / CLINIC)), lines[0]
    assert f": {severity} [doctor/" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("edit", [includes, includes_provider_elsewhere, redirect_with_a])
def test_spf_through_include_redirect_a_and_the_providers_list(
    project: Path, tmp_path: Path, keys: Any, edit: Edit
) -> None:
    (private, public), _ = keys
    zone = good_zone(public)
    edit(zone, "")
    result = run_with(project, tmp_path, zone, private)
    assert result.exit_code == 0, result.output
    assert "ok: SPF:" in result.output


def test_without_the_smtp_host_or_the_private_key_doctor_says_what_it_cannot_check(
    project: Path, tmp_path: Path, keys: Any
) -> None:
    (_, public), _ = keys
    with dns_server(good_zone(public), tmp_path / "dns") as server:
        result = doctor(project, server)
    assert result.exit_code == 0, result.output
    assert "NEWSLETTER_SMTP_HOST is not set" in result.output
    assert "no private key here to compare" in result.output


def test_dkim_not_configured_is_a_warning(tmp_path: Path, keys: Any) -> None:
    root = copy_sample(tmp_path / "plain")
    (_, public), _ = keys
    with dns_server(good_zone(public), tmp_path / "dns") as server:
        result = doctor(root, server, NEWSLETTER_SMTP_HOST=SMTP_HOST)
    assert result.exit_code == 0, result.output
    assert "[doctor/dkim] clinic.yaml has no send: dkim_domain and dkim_selector" in result.output


def test_a_dns_server_that_does_not_answer_is_one_clear_error(project: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never answers: a closed port would refuse
        port = silent.getsockname()[1]
        result = doctor(project, f"127.0.0.1:{port}", NEWSLETTER_SMTP_HOST=SMTP_HOST)
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} did not answer" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["127.0.0.1:99999", "not a server", "[::1]:x"])
def test_a_bad_dns_server_is_a_command_line_mistake(project: Path, value: str) -> None:
    result = CliRunner().invoke(cli, ["-C", str(project), "doctor", "--dns-server", value])
    assert result.exit_code == 2
    assert "--dns-server" in result.output


def test_parse_server_forms() -> None:
    assert parse_server("192.0.2.53") == ("192.0.2.53", 53)
    assert parse_server("192.0.2.53:5353") == ("192.0.2.53", 5353)
    assert parse_server("[::1]:5353") == ("::1", 5353)
    assert parse_server("::1") == ("::1", 53)


def test_dnsmasq_is_not_reachable_from_outside_loopback() -> None:
    """The fixture listens on 127.0.0.1 only (no network in tests)."""
    assert "listen-address=127.0.0.1" in Zone(local=["example"]).config(5353, Path("/tmp"))
