"""The `newsletter` command's entry point: a thin client of the per-user resident process.

Importing click, Jinja2, premailer and the checks costs a cold command most of its time. This
module imports only what Python has loaded before it runs (os, sys) and three small C modules,
and asks the resident process (newsletters/resident.py), which has imported everything once, to
run the command in a fresh fork of itself. It hands over the arguments, the folder, the whole
environment, the umask and its terminal (file descriptors 0, 1 and 2, over a Unix socket), so
the fork reads and writes the user's terminal as this process would; the fork's exit status
becomes this process's, and Ctrl+C or a kill reaches the fork.

When no resident process answers (the first run, after an upgrade or an edited source file, on
Windows, with NEWSLETTER_RESIDENT=0, or for a command that may prompt), the command runs here,
in-process, exactly as `python -m newsletters` runs it; and a resident process is started in the
background for next time. It is never needed for a correct result.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

ENABLED = "NEWSLETTER_RESIDENT"  # "0" (or "off", "no", "false"): every command runs in-process
FOLDER = "NEWSLETTER_RESIDENT_DIR"  # the private folder of the socket (default: see folder())
IDLE = "NEWSLETTER_RESIDENT_IDLE"  # seconds without a command before the resident process exits
PROTOCOL = b"newsletters-resident-1"

# Commands that may run in the resident process's fork. The fork has no controlling terminal
# (so no /dev/tty for a password prompt) and may not reach the macOS keychain, so commands that
# prompt or read secrets (send, setup, unsubscribes, unsubscribe-server) always run in-process.
# A command not listed here, new ones included, runs in-process: safe by default.
SERVED = frozenset(
    {
        "archive",
        "build",
        "doctor",
        "export",
        "init",
        "lint",
        "list",
        "new",
        "plan",
        "preview",
        "templates",
    }
)
_GLOBAL_OPTIONS_WITH_VALUE = frozenset({"-C", "--project", "--out"})

# Replies from the resident process: one byte of kind, a signed 32-bit number (network order).
CHILD, EXITED, KILLED, REFUSED = b"P", b"X", b"S", b"R"
REPLY_SIZE = 5

# Signals that reach the command: the terminal sends them to this process only (the fork is in
# the resident process's session), so they are passed on to the fork's process group.
FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")


def main() -> None:
    """`newsletter ...`: answered by the resident process if one is warm, else in-process."""
    args = sys.argv[1:]
    if wanted(args):
        place = socket_path()
        if place is not None:
            code = ask(place[0], place[1], args)
            if code is not None:
                sys.exit(code)
            start_resident(place[1])
    from .__main__ import main as in_process

    in_process()


def wanted(args: list[str]) -> bool:
    """Whether this command may go to the resident process on this system."""
    if os.environ.get(ENABLED, "").strip().lower() in ("0", "off", "no", "false"):
        return False
    if sys.platform == "win32" or not hasattr(os, "fork"):
        return False
    return served(args)


def served(args: list[str]) -> bool:
    """Whether the command named in `args` is one that may run in the fork (SERVED); no
    command (help, --version, a usage mistake) may too. Global options are skipped the way
    the `newsletter` group parses them."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif arg == "--":
            return False
        elif not arg.startswith("-") or arg == "-":
            return arg in SERVED
    return True


# ---------------------------------------------------------------- where and which process


def folder() -> str | None:
    """The private per-user folder of the resident's socket, or None when it is not safe: it
    must be a real folder (not a symbolic link) owned by this user and closed to others (0700).
    $NEWSLETTER_RESIDENT_DIR, else $XDG_RUNTIME_DIR/newsletters, else <tmp>/newsletters-<uid>."""
    configured = os.environ.get(FOLDER, "")
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if configured:
        path = configured
    elif runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        path = os.path.join(runtime, "newsletters")
    else:
        base = os.environ.get("TMPDIR", "") or "/tmp"
        path = os.path.join(base, f"newsletters-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    is_folder = (info.st_mode & 0o170000) == 0o040000
    if not is_folder or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return path


def package_folder() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def key(package: str) -> bytes:
    """What the answering code depends on: the interpreter, the environment variables that
    change how Python starts, the size and modification time of every file of the package
    (templates and data included), and the installed distributions (their names carry their
    versions) with their folders' modification times. Any change gives another key, so an
    upgrade or an edited file is never answered by a process that imported the old code."""
    parts = [sys.executable, sys.version, package]
    parts += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("PYTHON"))
    stack = [package]
    while stack:
        current = stack.pop()
        with os.scandir(current) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    info = entry.stat()
                    parts.append(f"{entry.path} {info.st_size} {info.st_mtime_ns}")
    for place in sys.path:
        if place.endswith(("site-packages", "dist-packages")) and os.path.isdir(place):
            parts.append(f"{place} {os.stat(place).st_mtime_ns}")
            with os.scandir(place) as entries:
                parts += sorted(e.name for e in entries if e.name.endswith(".dist-info"))
    return "\n".join(parts).encode("utf-8", "surrogateescape")


def name_of(key_bytes: bytes) -> str:
    """The socket's file name for a key: each version of the code has its own process."""
    import zlib

    return f"{zlib.crc32(key_bytes):08x}{zlib.adler32(key_bytes):08x}"


def socket_path() -> tuple[str, bytes] | None:
    """(the socket's path, the key), or None when there is no safe folder for it."""
    place = folder()
    if place is None:
        return None
    try:
        key_bytes = key(package_folder())
    except OSError:  # a file that vanished or cannot be read: no key, so run in-process
        return None
    path = os.path.join(place, name_of(key_bytes) + ".sock")
    if len(os.fsencode(path)) > 100:  # sun_path holds 104 (macOS) or 108 (Linux) bytes
        return None
    return path, key_bytes


def peer_uid(sock: object) -> int | None:
    """The user id of the process at the other end of a Unix socket, where the system says."""
    import _socket
    import struct

    getsockopt: Callable[..., bytes] = sock.getsockopt  # type: ignore[attr-defined]
    if hasattr(_socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
        return int(struct.unpack("3i", getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12))[1])
    if hasattr(_socket, "LOCAL_PEERCRED"):  # macOS, BSD: struct xucred {version, uid, ...}
        data = getsockopt(0, _socket.LOCAL_PEERCRED, 76)
        return int(struct.unpack("2I", data[:8])[1])
    return None


# ---------------------------------------------------------------- the client


def request(key_bytes: bytes, args: list[str]) -> bytes:
    """The request: fields separated by NUL bytes (which no argument, path or environment
    entry can hold), after its length."""
    import struct

    streams = [sys.stdin, sys.stdout, sys.stderr]
    codecs = [f"{s.encoding}:{s.errors}" if s is not None else "" for s in streams]
    umask = os.umask(0o022)
    os.umask(umask)
    fields = [
        PROTOCOL,
        key_bytes,
        os.fsencode(os.getcwd()),
        str(umask).encode(),
        ",".join(codecs).encode(),
        os.fsencode(sys.argv[0] if sys.argv else "newsletter"),
        str(len(args)).encode(),
        *(os.fsencode(a) for a in args),
        *(os.fsencode(k) + b"=" + os.fsencode(v) for k, v in os.environ.items()),
    ]
    body = b"\0".join(fields)
    return struct.pack("!I", len(body)) + body


def ask(path: str, key_bytes: bytes, args: list[str]) -> int | None:
    """Run the command in the resident process: its exit status, or None when no resident
    process took it (the caller then runs it in-process)."""
    import _socket
    import struct

    try:
        payload = request(key_bytes, args)
    except (OSError, ValueError):  # a deleted current folder, a closed stdin...
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            sock.connect(path)
            uid = peer_uid(sock)
            if uid is not None and uid != os.getuid():
                return None
            fds = struct.pack("3i", 0, 1, 2)
            sent = sock.sendmsg([payload], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
            if sent < len(payload):
                sock.sendall(payload[sent:])
        except OSError:
            return None
        return _await(sock)
    finally:
        sock.close()


def _await(sock: object) -> int | None:
    """Read the resident process's replies: the fork's pid, then how it ended. Signals this
    process receives meanwhile go to the fork's process group."""
    import signal as _signal
    import struct

    recv: Callable[[int], bytes] = sock.recv  # type: ignore[attr-defined]
    child = 0
    pending: list[int] = []

    def forward(signum: int, frame: object = None) -> None:
        if not child:
            pending.append(signum)
            return
        try:
            os.killpg(child, signum)
        except OSError:
            try:  # noqa: SIM105 - contextlib is not imported here, for speed
                os.kill(child, signum)
            except OSError:
                pass

    def suspend(signum: int, frame: object = None) -> None:
        """Ctrl+Z: stop the fork too, stop here, and wake both on `fg`."""
        forward(_signal.SIGSTOP)
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)
        _signal.signal(_signal.SIGTSTP, suspend)
        forward(_signal.SIGCONT)

    previous = {}
    for signame in FORWARDED:
        signum = getattr(_signal, signame, None)
        if signum is not None:
            previous[signum] = _signal.signal(signum, forward)
    if hasattr(_signal, "SIGTSTP"):
        previous[_signal.SIGTSTP] = _signal.signal(_signal.SIGTSTP, suspend)
    try:
        buffer = b""
        while True:
            try:
                data = recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            buffer += data
            while len(buffer) >= REPLY_SIZE:
                kind, number = buffer[:1], struct.unpack("!i", buffer[1:REPLY_SIZE])[0]
                buffer = buffer[REPLY_SIZE:]
                if kind == CHILD:
                    child = number
                    for signum in pending:
                        forward(signum)
                    pending.clear()
                elif kind == EXITED:
                    return int(number)
                elif kind == KILLED:
                    return _die_like(number)
                else:  # REFUSED: another version, or the fork could not start
                    return None
    finally:
        for signum, handler in previous.items():
            _signal.signal(signum, handler)
        if not child and pending:  # Ctrl+C before any fork took the command: as in-process
            os.kill(os.getpid(), pending[0])
    if not child:
        return None  # it ended before starting the command: run it here
    os.write(
        2,
        b"newsletter: the command stopped unexpectedly (its background process ended); "
        b"run it again\n",
    )
    return 1


def _die_like(signum: int) -> int:
    """The fork was killed by a signal: end this process by the same signal, as the shell
    expects (Ctrl+C ends the command with 130, a kill with 143...); 128 + the signal's number
    when that signal does not end a process."""
    import signal as _signal

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError:
            pass
    try:  # noqa: SIM105 - contextlib is not imported here, for speed
        _signal.signal(signum, _signal.SIG_DFL)
    except (OSError, ValueError):  # SIGKILL's and SIGSTOP's cannot be set
        pass
    os.kill(os.getpid(), signum)
    return 128 + signum


# ---------------------------------------------------------------- starting the resident


def start_resident(key_bytes: bytes) -> None:
    """Start the resident process in the background, detached from this terminal: a new
    session, stdio on /dev/null, the folder /, umask 077, and only the environment Python needs
    to start the same way (no secrets: each command's environment comes with its request)."""
    name = name_of(key_bytes)
    keep = ("PYTHON", "NEWSLETTER_RESIDENT", "LC_", "LANG", "HOME", "PATH", "TMPDIR", "TZ")
    env = {k: v for k, v in os.environ.items() if k.startswith(keep) or k == "XDG_RUNTIME_DIR"}
    argv = [sys.executable, "-P", "-m", "newsletters.resident", name]
    try:
        pid = os.fork()
    except OSError:
        return
    if pid == 0:  # pragma: no cover - runs in the fork, which execs or exits
        try:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                os.chdir("/")
                os.umask(0o077)
                os.execve(sys.executable, argv, env)
        finally:
            os._exit(0)
    try:  # noqa: SIM105 - contextlib is not imported here, for speed
        os.waitpid(pid, 0)
    except OSError:
        pass


if __name__ == "__main__":
    main()
