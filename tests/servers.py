"""Real servers for tests, on loopback and free ports: aiosmtpd (SMTP, plain or STARTTLS with
AUTH), a TLS certificate, Dovecot (IMAP)."""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

DOVECOT = "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(handler: Any, **options: Any) -> Iterator[Controller]:
    """aiosmtpd with `handler` on a free loopback port, stopped afterwards; `options` go to
    aiosmtpd's Controller (TLS, AUTH)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@contextmanager
def starttls_smtp(
    folder: Path, handler: Any, authenticator: Any
) -> Iterator[tuple[Controller, Path]]:
    """An SMTP relay as providers run them: STARTTLS and a login required, with a certificate
    made in `folder` (its cert.pem is yielded for the client to trust)."""
    cert, key = make_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with smtp_server(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    ) as controller:
        yield controller, cert


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    # A name of its own: two test certificates trusted together must not share a subject.
    unique = f"newsletters test {x509.random_serial_number():x}"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unique)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass(frozen=True)
class Dovecot:
    """A running Dovecot: one mailbox `user`/`password`, plain IMAP on `port`, TLS on `tls_port`."""

    port: int
    tls_port: int
    user: str
    password: str
    cert: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def append(self, message: bytes) -> None:
        """Put a message in the mailbox the way a mail client saves one: IMAP APPEND."""
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=self.client_context())
        try:
            conn.login(self.user, self.password)
            status, _ = conn.append("INBOX", None, None, message)
            assert status == "OK"
        finally:
            conn.logout()

    def flags(self) -> list[bytes]:
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=self.client_context())
        try:
            conn.login(self.user, self.password)
            conn.select("INBOX")
            _, data = conn.fetch("1:*", "(FLAGS)")
            return [d for d in data if isinstance(d, bytes)]
        finally:
            conn.logout()


@contextmanager
def dovecot(user: str = "optout", password: str = "mailbox-pw-4711") -> Iterator[Dovecot]:
    """Start Dovecot with its own configuration in a new folder, as an unprivileged mail user.

    The folder is made under the system's temporary folder and opened for traversal, because
    the mail user (nobody, when the tests run as root) must reach its home inside it.
    """
    if not os.path.exists(DOVECOT):
        pytest.fail("Dovecot is missing: run scripts/test (it installs dovecot-imapd)")
    folder = Path(tempfile.mkdtemp(prefix="newsletters-dovecot-"))
    folder.chmod(0o711)
    as_root = os.getuid() == 0
    account = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.getuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    cert, key = make_certificate(folder / "tls")
    for name in ("run", "home", "state"):
        (folder / name).mkdir(exist_ok=True)
    if as_root:
        os.chown(folder / "home", account.pw_uid, account.pw_gid)
    (folder / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
    port, tls_port = free_port(), free_port()
    (folder / "dovecot.conf").write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {account.pw_name}
default_internal_group = {group}
default_login_user = {account.pw_name}
first_valid_uid = {account.pw_uid}
last_valid_uid = {account.pw_uid}
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            if process.poll() is not None:
                log = folder / "dovecot.log"
                pytest.fail("Dovecot stopped: " + (log.read_text() if log.exists() else ""))
            try:
                socket.create_connection(("127.0.0.1", tls_port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Dovecot(port, tls_port, user, password, cert)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
