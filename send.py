"""The only code that talks to an email provider.

Everything else (who gets what, the journal, the messages themselves) lives in
`newsletters.delivery` and hands finished RFC 5322 bytes to a `Transport`. SMTP is the first
transport because every major provider (Amazon SES, SendGrid, Mailgun, Postmark, Brevo,
Microsoft 365, Google Workspace) offers an SMTP relay; an HTTP API transport is another class
with the same two methods, raising the same errors.

What a transport must tell the caller, because "never lose, never repeat" depends on it:

    DeliveryError
     ├── TransientError        not accepted this time (4xx, connection lost before hand-over):
     │    │                    safe to try again later, the provider does not have the message
     │    └── ConnectionFailed could not reach the provider at all
     ├── PermanentError        refused for good (5xx): record it, never retry
     ├── UnknownOutcome        handed over, but the reply never came: the provider may have it
     └── TransportUnavailable  the settings are wrong (login refused, TLS broken): stop the run
          └── SenderRefused    the sender address itself refused (5xx to MAIL FROM): stop

A caller that must record something durably before a message can arrive (the list send's
journal: "this reader may now have it") passes `before_hand_over`. The transport calls it
when everything but the message's end has gone out (SMTP: MAIL, RCPT, DATA and the content
up to its final CRLF.CRLF), so the caller's disk flush runs while the envelope travels; the
provider can only have the message after the call returns, and never if it raises. A caller
with work to do meanwhile (the list send renders the next reader's message) passes
`while_replying`, called once the message's end has gone out, before its reply is read.

Settings come only from the environment and the password is never printed or written.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

ENV_PREFIX = "NEWSLETTER_SMTP_"
SECURITY_MODES = ("starttls", "tls", "none")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class DeliveryError(Exception):
    """A provider did not confirm a message; `reply` is what it said, for the journal."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class TransientError(DeliveryError):
    """Not accepted this time; the provider does not have it. Try again after a pause."""


class ConnectionFailed(TransientError):
    """The provider could not be reached."""


class PermanentError(DeliveryError):
    """Refused for good (5xx): record it and move on."""


class UnknownOutcome(DeliveryError):
    """The message was handed over but no reply came: the provider may or may not have it."""


class TransportUnavailable(DeliveryError):
    """The transport cannot work with these settings (login refused, TLS broken): stop."""


class SenderRefused(TransportUnavailable):
    """The provider refused the sender address itself (5xx to MAIL FROM): no reader is at
    fault and no reader can be sent to until the sender or the account is fixed."""


class SettingsError(Exception):
    """An environment variable is missing or wrong; the message names it."""


class Transport(Protocol):
    """Hands one finished message to a provider. Implementations reuse their connection."""

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        before_hand_over: Callable[[], None] | None = None,
        while_replying: Callable[[], None] | None = None,
    ) -> str:
        """Deliver `message` (CRLF line endings) and return the provider's reply.

        `before_hand_over`, when given, is called exactly once per attempt that gets as far as
        the message's end, after everything else has been sent and before the provider can
        have the message (for SMTP: before the final CRLF.CRLF of DATA). If it raises, the
        message is not completed (the connection is abandoned, so the provider discards what
        it got) and that exception propagates unchanged. Not called when the provider refuses
        earlier (sender, recipient, DATA).

        `while_replying`, when given, is called once per attempt right after the message's end
        has gone out, before the provider's reply is read: the caller's work overlaps the
        provider's. It should not raise; if it does, the exception propagates and the reply is
        never read, so the message's fate is unknown.
        """
        ...

    def close(self) -> None:
        """Say goodbye to the provider; safe to call twice."""
        ...


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to reach an SMTP relay. `password` never appears in a repr."""

    host: str
    port: int
    security: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read NEWSLETTER_SMTP_*; raise SettingsError naming the first variable to fix."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        host = get("HOST")
        if host is None:
            raise SettingsError(
                f"{ENV_PREFIX}HOST is not set: set it to your provider's SMTP server, "
                "e.g. email-smtp.us-east-1.amazonaws.com"
            )
        security = (get("SECURITY") or "starttls").lower()
        if security not in SECURITY_MODES:
            raise SettingsError(
                f"{ENV_PREFIX}SECURITY must be one of starttls, tls or none, not '{security}'"
            )
        if security == "none" and host.lower().strip("[]") not in LOCAL_HOSTS:
            raise SettingsError(
                f"{ENV_PREFIX}SECURITY=none sends passwords and emails unencrypted; it is only "
                f"allowed for localhost: use starttls or tls for {host}"
            )
        port_text = get("PORT")
        if port_text is None:
            port = DEFAULT_PORTS[security]
        elif re.fullmatch(r"\d{1,5}", port_text) and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise SettingsError(f"{ENV_PREFIX}PORT must be a port number like 587")
        user, password = get("USER"), env.get(ENV_PREFIX + "PASSWORD") or None
        if user and not password:
            raise SettingsError(f"{ENV_PREFIX}PASSWORD is not set but {ENV_PREFIX}USER is")
        if password and not user:
            raise SettingsError(f"{ENV_PREFIX}USER is not set but {ENV_PREFIX}PASSWORD is")
        return cls(host=host, port=port, security=security, user=user, password=password)


def _plain(exc: BaseException, host: str, port: int) -> str:
    """A failed connection in words a clinic can act on, never `[Errno 111]`."""
    from newsletters.plainwords import connection_problem

    return connection_problem(exc, host, port)


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _refusal(code: int, message: bytes | str, what: str) -> DeliveryError:
    """Only a 5xx reply is the provider's final no; anything that is not a refusal code (smtplib's
    -1 for an unreadable reply, a stray 2xx/3xx) says nothing about the reader, who stays to
    send rather than being lost as failed."""
    reply = _reply_text(code, message)
    if 500 <= code < 600:
        return PermanentError(f"{what}: {reply}")
    if 400 <= code < 500:
        return TransientError(f"{what}: {reply}")
    return TransientError(f"{what}: {_not_understood(code, message)}")


def _not_understood(code: int, message: bytes | str) -> str:
    shown = _reply_text(code, message) if code != -1 else _reply_text(0, message)[2:]
    shown = shown[:80]
    return (
        f"the server's answer is not one a mail server gives here ({shown!r}); check the "
        "server name and the port are your provider's mail server"
    )


def dot_stuffed(message: bytes) -> bytes:
    """RFC 5321 4.5.2: a line starting with "." gets another. bytes.replace, not a regex: the
    regex took ~0.8 ms of every 78 KB message, most of the transport's own CPU."""
    return (b"." if message.startswith(b".") else b"") + message.replace(b"\n.", b"\n..")


class SmtpTransport:
    """SMTP over one reused connection; reconnects after a drop or a 421.

    The SMTP transaction is driven step by step (MAIL, RCPT, DATA, content) so that a failure
    before the content is sent (safe to retry) is told apart from one after it (UnknownOutcome).
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=self._context()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._context())
                conn.ehlo()
            if s.user and s.password:
                conn.login(s.user, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            self._abandon(conn)
            raise TransportUnavailable(
                f"{where} refused the login: the password (or the user name {s.user}) was "
                f"refused ({_reply_text(exc.smtp_code, exc.smtp_error)}); run `newsletter "
                "setup` again, or check NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPNotSupportedError:
            self._abandon(conn)
            raise TransportUnavailable(
                f"{where} does not offer a secure connection (STARTTLS) or a login there; "
                "check the security setting and the port your provider documents"
            ) from None
        except ssl.SSLError as exc:
            self._abandon(conn)
            raise TransportUnavailable(_plain(exc, s.host, s.port)) from None
        except smtplib.SMTPResponseException as exc:
            self._abandon(conn)
            if 400 <= exc.smtp_code < 500:
                raise ConnectionFailed(
                    f"{where}: {_reply_text(exc.smtp_code, exc.smtp_error)}"
                ) from None
            raise TransportUnavailable(
                f"{where}: {_reply_text(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._abandon(conn)
            raise ConnectionFailed(_plain(exc, s.host, s.port)) from None
        return conn

    def check(self) -> None:
        """Connect, say hello, secure the line and log in, sending no message: the pre-flight.

        The connection is kept for the first message. Raises TransportUnavailable or
        ConnectionFailed with a plain-words reason.
        """
        if self._conn is None:
            self._conn = self._connect()

    @staticmethod
    def _abandon(conn: smtplib.SMTP | None) -> None:
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _drop(self) -> None:
        self._abandon(self._conn)
        self._conn = None

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        before_hand_over: Callable[[], None] | None = None,
        while_replying: Callable[[], None] | None = None,
    ) -> str:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            code, reply = conn.mail(sender)
            if code == 250:
                code, reply = conn.rcpt(recipient)
                if code in (250, 251):
                    code, reply = conn.docmd("DATA")
                    if code != 354:
                        raise self._refused(code, reply, "DATA")
                else:
                    raise self._refused(code, reply, "recipient")
            elif 500 <= code < 600:
                self._refused(code, reply, "sender")  # reset the connection for the next run
                raise SenderRefused(
                    f"{self.settings.host} refused the sender {sender}: "
                    f"{_reply_text(code, reply)}; check sender.email in clinic.yaml and that "
                    "your provider lets this account send from it"
                )
            else:
                raise self._refused(code, reply, "sender")
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()
            raise TransientError("the connection was lost before the message was sent") from None
        content = dot_stuffed(message)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        if before_hand_over is not None:
            # All but the final CRLF.CRLF: without it no server can take the message as whole.
            try:
                conn.send(memoryview(content)[:-2])
            except (smtplib.SMTPServerDisconnected, OSError):
                self._drop()
                raise TransientError(
                    "the connection was lost before the message was complete"
                ) from None
            try:
                before_hand_over()
            except BaseException:
                self._drop()  # the message stays unfinished: the server discards it
                raise
            content = b"\r\n"
        # From here on the provider may have the message.
        try:
            conn.send(content + b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError):
            raise self._lost_reply() from None
        if while_replying is not None:
            while_replying()  # the caller's own errors are its own, not a lost connection
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError):
            raise self._lost_reply() from None
        if code == 250:
            return _reply_text(code, reply)
        if not 400 <= code < 600:
            self._drop()
            raise UnknownOutcome(
                f"{_not_understood(code, reply)}; the message was handed over, so it may "
                "have arrived"
            )
        if code == 421:
            self._drop()
        raise _refusal(code, reply, "message")

    def _lost_reply(self) -> UnknownOutcome:
        """The connection died once the message was handed over: the provider may have it."""
        self._drop()
        return UnknownOutcome(
            "the connection was lost after the message was handed over, before the reply"
        )

    def _refused(self, code: int, reply: bytes, what: str) -> DeliveryError:
        """A refusal before the content was sent: reset (or drop) so the next one starts clean."""
        if code == 421 or not 400 <= code < 600:
            self._drop()  # closing, or a conversation out of step: start afresh
        elif self._conn is not None:
            try:
                self._conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
        return _refusal(code, reply, what)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                self._abandon(conn)


def transport_from_env(env: Mapping[str, str] | None = None) -> Transport:
    """The transport the environment describes (SMTP for now)."""
    return SmtpTransport(SmtpSettings.from_env(env))
