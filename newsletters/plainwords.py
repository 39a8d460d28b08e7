"""Network failures in plain words: what a clinic's coordinator can check, without [Errno 111]."""

from __future__ import annotations

import socket
import ssl


def connection_problem(exc: BaseException, host: str, port: int) -> str:
    """One sentence for a failed connection to host:port, saying what to check."""
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"the server name {host} was not found; check its spelling and your internet"
    if isinstance(exc, ConnectionRefusedError):
        return f"nothing answers at {where}; check the server name and the port"
    if isinstance(exc, TimeoutError | socket.timeout):
        return (
            f"{where} did not answer in time; check the server name and the port, or whether "
            "a firewall blocks it"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or "not valid"
        return (
            f"the secure connection to {where} failed: the server's certificate could not be "
            f"trusted ({why}); check the server name"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"the secure connection to {where} failed; check the security setting "
            "(tls or starttls) and the port"
        )
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return f"{where} closed the connection; check the port and the security setting"
    if isinstance(exc, OSError) and exc.strerror:
        return f"could not reach {where}: {exc.strerror.lower()}; check the server name and port"
    return f"could not reach {where}; check the server name and the port"
