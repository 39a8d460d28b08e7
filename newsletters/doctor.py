"""`newsletter doctor`: is the sender's domain set up so inboxes accept the newsletter?

Gmail and Yahoo (since February 2024) and Microsoft's consumer mail (since May 2025) reject or
junk bulk mail without SPF, DKIM and DMARC. Doctor reads the DNS records behind the clinic's
From and Reply-To addresses and says, in plain words, what is missing and whom to ask:

    SPF    (RFC 7208) a TXT record at the sender's domain that allows the SMTP server
    DMARC  (RFC 7489) a TXT record at _dmarc.<domain>, and its policy
    DKIM   (RFC 6376) the selector's public key published, and matching the private key
    MX     (RFC 5321 5.1, RFC 7505) where replies to the Reply-To address go

DNS is asked with dnspython, through the system's resolver or `--dns-server HOST[:PORT]`.
The SPF evaluation covers what senders publish (ip4, ip6, a, mx, include, redirect, all and
the 10-lookup limit); macros, exists and ptr are reported as not checkable.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import NewsletterError, Problem, Severity

if TYPE_CHECKING:
    from .model import Project

SMTP_HOST_VARIABLE = "NEWSLETTER_SMTP_HOST"
LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
TIMEOUT_SECONDS = 5.0


class DnsFailure(Exception):
    """The DNS server did not answer (timeout, refused, server failure)."""


@dataclass
class Report:
    """What doctor found: checks that passed (one line each) and problems to fix."""

    passed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


# ---------------------------------------------------------------- DNS


def parse_server(value: str) -> tuple[str, int]:
    """HOST[:PORT], [IPv6]:PORT or a bare IPv6 address -> (IP address, port)."""
    text = value.strip()
    port = 53
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", text)
    if match:
        host, port_text = match.group(1), match.group(2)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"'{value}': the port must be a number from 1 to 65535")
        port = int(port_text)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host or ""):
        raise ValueError(
            f"'{value}' is not a DNS server; write it like 192.0.2.53 or 192.0.2.53:5353"
        )
    try:
        return str(socket.getaddrinfo(host, port, proto=socket.IPPROTO_UDP)[0][4][0]), port
    except OSError:
        raise ValueError(f"'{value}': cannot find the address of {host}") from None


class Dns:
    """The few lookups doctor needs; 'does not exist' is an answer, a timeout is DnsFailure."""

    def __init__(self, server: str | None = None) -> None:
        import dns.resolver

        if server is None:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                raise NewsletterError(
                    "this computer has no DNS server configured; give one with --dns-server"
                ) from None
            self.server = "the system's DNS server"
        else:
            address, port = parse_server(server)
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [address]
            self.resolver.port = port
            self.server = server
        self.resolver.lifetime = TIMEOUT_SECONDS
        self.resolver.timeout = TIMEOUT_SECONDS
        self._cache: dict[tuple[str, str], list[str] | None] = {}

    def query(self, name: str, kind: str) -> list[str] | None:
        """The records' text, [] when the name exists without such a record, None when the
        name does not exist."""
        key = (name.lower().rstrip("."), kind)
        if key not in self._cache:
            self._cache[key] = self._ask(name, kind)
        return self._cache[key]

    def _ask(self, name: str, kind: str) -> list[str] | None:
        import dns.exception
        import dns.name
        import dns.resolver

        try:
            answer = self.resolver.resolve(name, kind, search=False)
        except (dns.resolver.NXDOMAIN, dns.name.NameTooLong, dns.name.LabelTooLong):
            return None
        except (dns.name.EmptyLabel, dns.name.BadEscape, dns.name.IDNAException):
            return None  # not a valid DNS name (e.g. a mistyped SPF include): nothing there
        except dns.resolver.NoAnswer:
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
            raise DnsFailure(f"{self.server} did not answer for {name} ({kind}): {exc}") from None
        except dns.exception.DNSException as exc:
            raise DnsFailure(f"asking {self.server} for {name} ({kind}) failed: {exc}") from None
        if kind == "TXT":
            return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
        if kind == "MX":
            return [f"{r.preference} {r.exchange.to_text(omit_final_dot=True)}" for r in answer]
        return [r.to_text() for r in answer]

    def txt(self, name: str) -> list[str]:
        return self.query(name, "TXT") or []

    def addresses(self, name: str) -> list[str]:
        return (self.query(name, "A") or []) + (self.query(name, "AAAA") or [])


# ---------------------------------------------------------------- SPF


@dataclass
class SpfResult:
    """The SPF verdict for one IP address, with what explains it."""

    result: str  # pass, fail, softfail, neutral, none, permerror, unknown
    reason: str
    includes: list[str] = field(default_factory=list)  # every include:/redirect= domain seen


class _SpfError(Exception):
    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result, self.reason = result, reason


def spf_records(dns: Dns, domain: str) -> list[str]:
    return [t for t in dns.txt(domain) if re.match(r"^v=spf1(\s|$)", t, re.I)]


def check_spf(dns: Dns, domain: str, ip: str) -> SpfResult:
    """RFC 7208 check_host() for the mechanisms senders publish."""
    state = {"lookups": 0}
    includes: list[str] = []
    try:
        result, reason = _check_host(dns, domain, ipaddress.ip_address(ip), state, includes)
    except _SpfError as exc:
        result, reason = exc.result, exc.reason
    return SpfResult(result, reason, includes)


_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


def _count(state: dict[str, int]) -> None:
    state["lookups"] += 1
    if state["lookups"] > LOOKUP_LIMIT:
        raise _SpfError(
            "permerror",
            f"the SPF record needs more than {LOOKUP_LIMIT} DNS lookups (RFC 7208 4.6.4), so "
            "receivers treat it as broken",
        )


def _check_host(
    dns: Dns,
    domain: str,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    state: dict[str, int],
    includes: list[str],
) -> tuple[str, str]:
    records = spf_records(dns, domain)
    if not records:
        return "none", f"{domain} publishes no SPF record"
    if len(records) > 1:
        raise _SpfError("permerror", f"{domain} publishes {len(records)} SPF records; keep one")
    redirect = None
    for term in records[0].split()[1:]:
        if "%" in term:
            raise _SpfError("unknown", f"'{term}' uses SPF macros, which doctor cannot check")
        if term.lower().startswith("redirect="):
            redirect = term.split("=", 1)[1]
            continue
        if re.match(r"^[A-Za-z][\w.-]*=", term):
            continue  # exp= and unknown modifiers
        qualifier = "pass"
        if term[0] in _QUALIFIERS:
            qualifier, term = _QUALIFIERS[term[0]], term[1:]
        if _matches(dns, domain, term, ip, state, includes):
            return qualifier, f"'{term}' in the SPF record of {domain}"
    if redirect:
        _count(state)
        includes.append(redirect)
        return _check_host(dns, redirect, ip, state, includes)
    return "neutral", f"nothing in the SPF record of {domain} matches"


def _matches(
    dns: Dns,
    domain: str,
    term: str,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    state: dict[str, int],
    includes: list[str],
) -> bool:
    name, _, argument = term.partition(":")
    name = name.lower()
    if name == "all":
        return True
    if name in ("ip4", "ip6"):
        try:
            return ip in ipaddress.ip_network(argument, strict=False)
        except ValueError:
            raise _SpfError("permerror", f"'{term}' is not a valid address range") from None
    if name == "include":
        _count(state)
        includes.append(argument)
        result, _ = _check_host(dns, argument, ip, state, includes)
        if result == "none":
            raise _SpfError("permerror", f"include:{argument} has no SPF record")
        return result == "pass"
    base, v4, v6 = _cidr(term, domain)
    if name == "a":
        _count(state)
        return _in_any(ip, dns.addresses(base), v4, v6)
    if name == "mx":
        _count(state)
        hosts = [m.split()[1] for m in dns.query(base, "MX") or []]
        return any(_in_any(ip, dns.addresses(h), v4, v6) for h in hosts[:10])
    if name in ("exists", "ptr"):
        _count(state)
        raise _SpfError("unknown", f"'{term}' ({name}) is not something doctor can check")
    raise _SpfError("permerror", f"'{term}' is not an SPF mechanism")


def _cidr(term: str, domain: str) -> tuple[str, int, int]:
    """a[:domain][/v4][//v6] and mx likewise."""
    match = re.fullmatch(r"[a-zA-Z]+(?::([^/]+))?(?:/(\d+))?(?://(\d+))?", term)
    if not match:
        raise _SpfError("permerror", f"'{term}' is not a valid SPF mechanism")
    return match.group(1) or domain, int(match.group(2) or 32), int(match.group(3) or 128)


def _in_any(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, addresses: list[str], v4: int, v6: int
) -> bool:
    for address in addresses:
        try:
            network = ipaddress.ip_network(
                f"{address}/{v4 if ':' not in address else v6}", strict=False
            )
        except ValueError:
            continue
        if ip.version == network.version and ip in network:
            return True
    return False


def organizational(domain: str) -> str:
    """The last two labels: enough to tell one provider from another (no public suffix list,
    so example.co.uk-style domains compare on three labels)."""
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


# ---------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Setup:
    """What doctor checks, taken from clinic.yaml and the environment."""

    domain: str  # of the From address
    reply_domain: str
    smtp_host: str | None
    dkim_domain: str | None
    dkim_selector: str | None
    private_key: bytes | None = field(repr=False)
    clinic_yaml: Path
    lines: Mapping[str, int]


def sender_of(project: Project, env: Mapping[str, str] | None = None) -> Setup:
    from .delivery.signing import private_key_from

    env = os.environ if env is None else env
    clinic = project.clinic
    reply = clinic.reply_to or clinic.sender.email
    return Setup(
        domain=clinic.sender.email.rsplit("@", 1)[1].lower(),
        reply_domain=reply.rsplit("@", 1)[1].lower(),
        smtp_host=env.get(SMTP_HOST_VARIABLE, "").strip().strip("[]") or None,
        dkim_domain=(clinic.send.dkim_domain or "").strip().lower() or None,
        dkim_selector=(clinic.send.dkim_selector or "").strip() or None,
        private_key=private_key_from(clinic, env),
        clinic_yaml=project.paths.clinic_file,
        lines={**clinic.lines},
    )


def diagnose(sender: Setup, dns: Dns) -> Report:
    """Every check; a DNS server that does not answer stops the run with one problem."""
    report = Report()
    for check in (_spf, _dmarc, _dkim, _mx):
        try:
            check(sender, dns, report)
        except DnsFailure as exc:
            report.problems.append(
                Problem(
                    None,
                    None,
                    f"{exc}; check your connection or --dns-server (the remaining checks were "
                    "not run)",
                    rule=f"doctor/{check.__name__.strip('_')}",
                )
            )
            break
    return report


def _problem(report: Report, sender: Setup, key: str, message: str, severity: Severity) -> None:
    """A finding at clinic.yaml's `key` line; the message's first word names the check
    ("SPF: ...") and becomes its rule id, doctor/spf."""
    check, _, text = message.partition(": ")
    report.problems.append(
        Problem(
            sender.clinic_yaml,
            sender.lines.get(key),
            text,
            severity,
            rule=f"doctor/{check.lower()}",
        )
    )


def _spf(sender: Setup, dns: Dns, report: Report) -> None:
    domain = sender.domain
    records = spf_records(dns, domain)
    if not records:
        _problem(
            report,
            sender,
            "sender",
            f"SPF: {domain} has no SPF record, so inboxes cannot tell your provider may send "
            "for you; ask your email provider for the SPF record to publish and have whoever "
            f"runs your DNS add it as a TXT record at {domain}",
            "error",
        )
        return
    if len(records) > 1:
        _problem(
            report,
            sender,
            "sender",
            f"SPF: {domain} has {len(records)} SPF records and receivers ignore them all "
            "(RFC 7208 3.2); ask whoever runs your DNS to merge them into one",
            "error",
        )
        return
    record = records[0]
    if re.search(r"(^|\s)\+?all(\s|$)", record):
        _problem(
            report,
            sender,
            "sender",
            f"SPF: the record of {domain} ends in '+all', which lets anyone send as you; ask "
            "whoever runs your DNS to end it with '~all' or '-all'",
            "error",
        )
    host = sender.smtp_host
    if host is None:
        _problem(
            report,
            sender,
            "sender",
            f"SPF: {domain} has a record, but {SMTP_HOST_VARIABLE} is not set, so doctor cannot "
            "tell whether it allows your SMTP server",
            "warning",
        )
        return
    if host.lower() in ("localhost", "127.0.0.1", "::1"):
        report.passed.append(f"SPF: {domain} has a record (the SMTP server is this computer)")
        return
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = dns.addresses(host)
    if not addresses:
        _problem(
            report,
            sender,
            "sender",
            f"SPF: cannot find the address of the SMTP server {host}; check {SMTP_HOST_VARIABLE}",
            "warning",
        )
        return
    results = {address: check_spf(dns, domain, address) for address in addresses}
    passed = [a for a, r in results.items() if r.result == "pass"]
    shown = f"{host} ({', '.join(addresses)})" if addresses != [host] else host
    if passed:
        report.passed.append(f"SPF: {domain} allows the SMTP server {shown}")
        return
    first = next(iter(results.values()))
    provider = organizational(host)
    vouched = [d for d in first.includes if organizational(d) == provider]
    if vouched:
        report.passed.append(
            f"SPF: {domain} includes {vouched[0]}, your SMTP provider's list of servers"
        )
        return
    if first.result in ("permerror", "unknown"):
        _problem(report, sender, "sender", f"SPF: {first.reason}", "error")
        return
    _problem(
        report,
        sender,
        "sender",
        f"SPF: the record of {domain} does not allow the SMTP server {shown} (result: "
        f"{first.result}); inboxes may reject your newsletter: ask your email provider which "
        f"'include:' to add, and have whoever runs your DNS add it to the TXT record at {domain}",
        "error",
    )


def _dmarc(sender: Setup, dns: Dns, report: Report) -> None:
    domain = sender.domain
    names = [f"_dmarc.{domain}"]
    org = organizational(domain)
    if org != domain:
        names.append(f"_dmarc.{org}")  # RFC 7489 6.6.3: fall back to the organizational domain
    for name in names:
        records = [t for t in dns.txt(name) if re.match(r"^v=DMARC1\s*(;|$)", t, re.I)]
        if records:
            break
    else:
        _problem(
            report,
            sender,
            "sender",
            f"DMARC: {domain} has no DMARC record; Gmail, Yahoo and Microsoft require one from "
            f"bulk senders: ask whoever runs your DNS to publish a TXT record at _dmarc.{domain} "
            "such as 'v=DMARC1; p=none; rua=mailto:dmarc-reports@" + domain + "'",
            "error",
        )
        return
    if len(records) > 1:
        _problem(
            report,
            sender,
            "sender",
            f"DMARC: {name} has {len(records)} DMARC records and receivers ignore them all; "
            "keep one",
            "error",
        )
        return
    tags = dict(
        (part.split("=", 1)[0].strip().lower(), part.split("=", 1)[1].strip())
        for part in records[0].split(";")
        if "=" in part
    )
    policy = tags.get("p", "").lower()
    if policy not in ("none", "quarantine", "reject"):
        _problem(
            report,
            sender,
            "sender",
            f"DMARC: the record at {name} has no valid policy (p=none, quarantine or reject); "
            "ask whoever runs your DNS to fix it",
            "error",
        )
        return
    if policy == "none":
        _problem(
            report,
            sender,
            "sender",
            f"DMARC: {domain} has a record with policy 'none': enough for Gmail and Yahoo, but "
            "mail that fails the checks is still delivered; once its reports look clean, ask for "
            "p=quarantine",
            "warning",
        )
    else:
        report.passed.append(f"DMARC: {domain} has a record with policy '{policy}'")
    if sender.dkim_domain and organizational(sender.dkim_domain) != organizational(domain):
        _problem(
            report,
            sender,
            "send",
            f"DMARC: DKIM signs as {sender.dkim_domain} but the From address is at {domain}; "
            "DMARC passes only when they belong to the same domain: set send: dkim_domain to "
            f"{domain} (and publish its key)",
            "warning",
        )


def _dkim(sender: Setup, dns: Dns, report: Report) -> None:
    if not (sender.dkim_domain and sender.dkim_selector):
        _problem(
            report,
            sender,
            "send",
            "DKIM: clinic.yaml has no send: dkim_domain and dkim_selector, so this program does "
            "not sign; if your SMTP provider signs for you, doctor cannot see it: ask the provider "
            "to confirm DKIM signing for your domain",
            "warning",
        )
        return
    name = f"{sender.dkim_selector}._domainkey.{sender.dkim_domain}"
    records = [t for t in dns.txt(name) if "p=" in t]
    if not records:
        _problem(
            report,
            sender,
            "send",
            f"DKIM: no key is published at {name}; ask whoever runs your DNS to add the TXT "
            "record 'v=DKIM1; k=rsa; p=<your public key>' there",
            "error",
        )
        return
    tags = dict(
        (part.split("=", 1)[0].strip().lower(), "".join(part.split("=", 1)[1].split()))
        for part in records[0].split(";")
        if "=" in part
    )
    published = tags.get("p", "")
    if not published:
        _problem(
            report,
            sender,
            "send",
            f"DKIM: the key at {name} is empty (revoked): publish the current public key",
            "error",
        )
        return
    if sender.private_key is None:
        _problem(
            report,
            sender,
            "send",
            f"DKIM: a key is published at {name}, but there is no private key here to compare "
            "it with (NEWSLETTER_DKIM_PRIVATE_KEY or the keychain)",
            "warning",
        )
        return
    match = _same_key(published, sender.private_key)
    if match is None:
        _problem(
            report,
            sender,
            "send",
            f"DKIM: the key published at {name} cannot be read; ask whoever runs your DNS to "
            "copy the public key again, in one piece",
            "error",
        )
    elif not match:
        _problem(
            report,
            sender,
            "send",
            f"DKIM: the key published at {name} does not match your private key, so every "
            "signature will fail; publish the public key of the private key you sign with "
            "(or use the private key that belongs to the published one)",
            "error",
        )
    else:
        report.passed.append(f"DKIM: the key at {name} matches your private key")


def _same_key(published: str, private_pem: bytes) -> bool | None:
    """True when the published public key is the private key's; None when unreadable."""
    from dkim.crypto import parse_pem_private_key, parse_public_key

    try:
        public = parse_public_key(base64.b64decode(published))
        private = parse_pem_private_key(private_pem)
    except Exception:  # dkimpy raises several types for a damaged key: all mean unreadable
        return None
    return bool(
        public["modulus"] == private["modulus"]
        and public["publicExponent"] == private["publicExponent"]
    )


def _mx(sender: Setup, dns: Dns, report: Report) -> None:
    domain = sender.reply_domain
    key = "reply_to" if "reply_to" in sender.lines else "sender"
    records = dns.query(domain, "MX")
    if records is None:
        _problem(
            report,
            sender,
            key,
            f"MX: the domain {domain} of your reply address does not exist in DNS, so replies "
            "bounce; check the address in clinic.yaml",
            "error",
        )
        return
    hosts = sorted((int(r.split()[0]), r.split()[1]) for r in records if len(r.split()) == 2)
    if any(host in (".", "") for _, host in hosts):
        _problem(
            report,
            sender,
            key,
            f"MX: {domain} says it accepts no mail (null MX, RFC 7505), so replies bounce; use "
            "a reply address that receives mail",
            "error",
        )
        return
    if not hosts:
        if dns.addresses(domain):
            _problem(
                report,
                sender,
                key,
                f"MX: {domain} has no MX record; replies go to its web server's address, which "
                "rarely accepts mail: ask whoever runs your DNS to add the MX records of your "
                "mailbox provider",
                "warning",
            )
        else:
            _problem(
                report,
                sender,
                key,
                f"MX: {domain} has no MX record, so replies to your newsletter bounce; ask "
                "whoever runs your DNS to add the MX records of your mailbox provider",
                "error",
            )
        return
    report.passed.append(f"MX: replies to {domain} go to {hosts[0][1]}")


def run_doctor(root: Path, dns_server: str | None, env: Mapping[str, str] | None = None) -> Report:
    """Load the project and check its sender's DNS: what `newsletter doctor` runs."""
    from .errors import Problems
    from .load import load_project

    problems = Problems()
    project = load_project(root, problems)  # articles with mistakes do not stop doctor
    if project is None:
        raise NewsletterError(problems.errors)
    try:
        dns = Dns(dns_server)
    except ValueError as exc:
        raise NewsletterError(f"--dns-server {exc}") from None
    return diagnose(sender_of(project, env), dns)
