"""A real DNS server for the tests: Debian's dnsmasq on 127.0.0.1 and a free port, serving only
the records a test gives it (no upstream, no /etc/hosts), stopped when the test ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


@dataclass
class Zone:
    """Records to serve. `local` domains answer 'does not exist' for anything not listed."""

    local: Sequence[str]
    txt: dict[str, list[str]] = field(default_factory=dict)  # name -> records
    mx: list[tuple[str, str, int]] = field(default_factory=list)  # (domain, host, preference)
    hosts: dict[str, str] = field(default_factory=dict)  # name -> IPv4 address

    def config(self, port: int, folder: Path) -> str:
        lines = [
            f"port={port}",
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "keep-in-foreground",
            f"pid-file={folder / 'dnsmasq.pid'}",
            "log-facility=-",
            "log-queries",
        ]
        lines += [f"local=/{domain}/" for domain in self.local]
        for name, records in self.txt.items():
            for record in records:
                # One TXT record of several strings, each at most 255 bytes (RFC 1035 3.3).
                chunks = [record[i : i + 255] for i in range(0, len(record), 255)] or [""]
                quoted = ",".join('"' + c.replace('"', '\\"') + '"' for c in chunks)
                lines.append(f"txt-record={name},{quoted}")
        lines += [f"mx-host={domain},{host},{pref}" for domain, host, pref in self.mx]
        lines += [f"host-record={name},{address}" for name, address in self.hosts.items()]
        return "\n".join(lines) + "\n"


def _free_port() -> int:
    """A port free for both UDP and TCP right now (dnsmasq serves both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def _answers(port: int) -> bool:
    import dns.exception
    import dns.message
    import dns.query

    query = dns.message.make_query("ready.invalid", "A")
    try:
        dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
    except (OSError, dns.exception.Timeout):
        return False
    return True


@contextmanager
def dns_server(zone: Zone, folder: Path) -> Iterator[str]:
    """Serve `zone`; yields '127.0.0.1:PORT' for --dns-server."""
    folder.mkdir(parents=True, exist_ok=True)
    for _attempt in range(5):  # another process may take the port between pick and bind
        port = _free_port()
        conf = folder / "dnsmasq.conf"
        conf.write_text(zone.config(port, folder), encoding="utf-8")
        log = (folder / "dnsmasq.log").open("wb")
        process = subprocess.Popen(
            [DNSMASQ, f"--conf-file={conf}"], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline and not _answers(port):
            time.sleep(0.05)
        if process.poll() is None and _answers(port):
            try:
                yield f"127.0.0.1:{port}"
            finally:
                process.terminate()
                process.wait(timeout=10)
                log.close()
            return
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        log.close()
    raise RuntimeError(f"dnsmasq did not start: {(folder / 'dnsmasq.log').read_text()}")
