"""The resident process: commands answered by a fresh fork of a process that imported them once.

Started in the background by newsletters/entry.py (never by a command of its own) as
`python -P -m newsletters.resident NAME`, one per user and version of the code. It imports every
module the served commands need (click, the CLI, Jinja2, markdown-it, MJML, premailer and
cssutils through newsletters/inline.py, lxml, PyYAML, Pillow, the checks), then waits on a Unix
socket in the user's private folder. It holds no project state and no threads: each request is
run by a new fork that takes the client's arguments, folder, environment, umask and terminal,
runs the normal click main, and exits; so nothing carries over between commands or projects.

It refuses a request whose key (entry.key: interpreter, package files, installed
distributions) differs from the one it computed before importing anything, and exits when its
key no longer matches the files on disk, or after NEWSLETTER_RESIDENT_IDLE seconds (default
600) without a command.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING

from . import entry

if TYPE_CHECKING:
    import socket
    from typing import TextIO

IDLE_SECONDS = 600.0
CHECK_SECONDS = 5.0  # how often the key is checked against the files on disk

# What the served commands import, loaded once here so each fork starts with them.
PRELOAD = (
    "newsletters.__main__",
    "newsletters.pipeline",
    "newsletters.load",
    "newsletters.render",
    "newsletters.markdown",
    "newsletters.compile",
    "newsletters.inline",
    "newsletters.finish",
    "newsletters.write",
    "newsletters.lint",
    "newsletters.scope",
    "newsletters.terminal",
    "newsletters.cliout",
    "newsletters.confine",
    "newsletters.export",
    "newsletters.archive",
    "newsletters.planner",
    "newsletters.status",
    "newsletters.preview",
    "newsletters.preview.workspace",
    "newsletters.preview.pages",
    "newsletters.preview.watch",
    "newsletters.preview.emailcopy",
    "newsletters.preview.server",
    "newsletters.preview.simulate",
    "newsletters.preview.testsend",
    "newsletters.compat",
    "watchfiles",
    "lxml.html",
    "PIL.Image",
    "yaml",
)


def main(argv: list[str]) -> int:
    """Serve the commands of clients whose key names `argv[0]`; 0 when it ends normally."""
    place = entry.folder()
    if place is None or len(argv) != 1:
        return 2
    key_bytes = _current_key()  # before importing what the key describes
    if key_bytes is None or entry.name_of(key_bytes) != argv[0]:
        return 0  # the client runs another copy of the code: it will start its own
    name = argv[0]
    lock = _lock(os.path.join(place, name + ".lock"))
    if lock is None:
        return 0  # one is already running (or starting) for this version
    log_path = os.path.join(place, name + ".log")
    log = _open_log(log_path)
    _preload()
    import gc

    gc.collect()
    gc.freeze()  # the forks' collections skip what is shared, and so do not copy its pages
    path = os.path.join(place, name + ".sock")
    listener = _listen(path)
    idle = _idle_seconds()
    _log(log, f"started pid {os.getpid()}, idle limit {idle:g} s")
    try:
        why = Server(listener, key_bytes, (log, log_path), lock).serve(idle)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
    _log(log, f"stopped: {why}")
    log.close()
    os.close(lock)
    return 0


def _open_log(path: str) -> TextIO:
    """The process's log (start, each fork, stop: no arguments, no environment), appended to
    the previous process's, and started afresh when it grows past 64 KB."""
    try:
        fresh = os.path.getsize(path) > 1 << 16
    except OSError:
        fresh = True
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    flags |= os.O_TRUNC if fresh else 0
    return open(os.open(path, flags, 0o600), "w", encoding="utf-8")


def _lock(path: str) -> int | None:
    """An exclusive lock held while this process lives, or None when another holds it."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _preload() -> None:
    """Import what the commands need; one that fails to import is left for the command to
    report, as it would in-process."""
    import importlib

    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except Exception:  # the command reports it in its own words
            continue
    try:
        from .inline import _import_premailer

        _import_premailer()
    except Exception:  # the command reports it in its own words
        pass
    _warm_up()


def _warm_up() -> None:
    """Work done once here rather than in every fork (only speed depends on it: a step that
    fails is skipped). What it leaves behind depends on no project and no environment."""
    for step in (_help, _compat_tables, _preview_pages, _sample_build):
        with contextlib.suppress(Exception):
            step()


def _help() -> None:
    """click's first help is slow; this process's stdout is /dev/null."""
    from .__main__ import cli

    cli.main(["--help"], prog_name="newsletter", standalone_mode=False)


def _compat_tables() -> None:
    """The caniemail table and its 30 regular expressions, which the preview's report reads."""
    from . import compat

    compat.data()
    compat._patterns()


def _preview_pages() -> None:
    """The preview pages' Jinja2 environment, its templates compiled."""
    from .preview import pages

    environment = pages._environment()
    for name in ("page.html.j2", "index.html.j2", "404.html.j2", "empty.html.j2"):
        environment.get_template(name)


def _current_key() -> bytes | None:
    try:
        return entry.key(entry.package_folder())
    except OSError:  # a file vanished mid-update: not the same code
        return None


def _sample_build() -> None:
    """Build the bundled sample issue in memory, with a scratch per-user cache: the first build
    in a process pays for lazy set-ups (premailer's and cssutils' parsers, the checks' colour
    and text tables) that a fork then finds done, and premailer's own caches, keyed by the
    CSS text, hold the default templates' styles. The caches that depend on the environment
    (the per-user cache's folder, the logo plates' folder, the temporary folder) or on a path
    (the templates folder's Jinja2 environment) are emptied afterwards, and so are the
    in-process memos (memo.py): they would answer the sample's own articles from here."""
    import shutil
    import tempfile

    from . import build, logo, memo, render, usercache
    from .project import starter_root

    scratch = tempfile.mkdtemp(prefix="newsletters-warm-")
    previous = os.environ.get(usercache.ENV_VARIABLE)
    os.environ[usercache.ENV_VARIABLE] = scratch
    try:
        build(starter_root())
    finally:
        if previous is None:
            del os.environ[usercache.ENV_VARIABLE]
        else:
            os.environ[usercache.ENV_VARIABLE] = previous
        shutil.rmtree(scratch, ignore_errors=True)
        usercache.folder.cache_clear()
        memo.forget_everything()  # the sample's own articles must not be answered from here
        logo.plates_folder.cache_clear()
        render._environment_for.cache_clear()
        tempfile.tempdir = None


def _listen(path: str) -> socket.socket:
    import socket

    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a previous process's, which no longer holds the lock
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(32)
    listener.setblocking(False)  # the spare polls it together with its pair
    return listener


def _idle_seconds() -> float:
    try:
        value = float(os.environ.get(entry.IDLE, ""))
    except ValueError:
        return IDLE_SECONDS
    return value if value > 0 else IDLE_SECONDS


def _log(log: TextIO, line: str) -> None:
    log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
    log.flush()


class Server:
    """The loop of the resident process. A spare fork waits ready on the listening socket, so
    a command does not wait for a fork of this large process (about 8 ms on a small VM), nor
    for this process to be scheduled: the spare accepts the connection itself, runs the
    command, and passes the connection here, over a private socket pair, so that this process
    can report a fork's death by a signal and hang up on a command whose client has gone; a new
    spare is forked meanwhile."""

    def __init__(
        self, listener: socket.socket, key_bytes: bytes, log: tuple[TextIO, str], lock: int
    ) -> None:
        self.listener = listener
        self.key = key_bytes
        self.log, self.log_path = log  # each spare appends the command it takes
        self.lock = lock
        self.children: dict[int, socket.socket] = {}  # fork's pid -> its client's connection
        self.hung_up: set[int] = set()  # forks whose client has gone
        self.spare: tuple[int, socket.socket] | None = None
        self.wake = (-1, -1)

    def serve(self, idle: float) -> str:
        import select
        import signal

        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        self.wake = (wake_read, wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        # A flag, not an exception: a signal that arrives during a fork is handled inside the
        # fork's Python callbacks (logging's), where an exception would be lost.
        stop: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda signum, frame: stop.append(signum))
        hangup = getattr(select, "POLLRDHUP", select.POLLIN)
        last = time.monotonic()
        checked = last
        accepting = True
        try:
            while not stop:
                now = time.monotonic()
                if now - checked >= CHECK_SECONDS:
                    checked = now
                    if accepting and _current_key() != self.key:
                        accepting = False  # finish the running commands, take no more
                        self.listener.close()
                        self._drop_spare()
                if not self.children:
                    if not accepting:
                        return "the code changed on disk"
                    if now - last >= idle:
                        return f"idle for {idle:g} s"
                if accepting and self.spare is None:
                    self._fork_spare()
                poller = select.poll()
                poller.register(wake_read, select.POLLIN)
                if self.spare is not None:
                    poller.register(self.spare[1].fileno(), select.POLLIN)
                clients = {
                    conn.fileno(): pid
                    for pid, conn in self.children.items()
                    if pid not in self.hung_up
                }
                for fd in clients:
                    poller.register(fd, hangup)
                wait = min(CHECK_SECONDS, max(0.05, idle - (now - last)))
                for fd, _ in poller.poll(wait * 1000):
                    if fd == wake_read:
                        os.read(wake_read, 512)
                    elif fd in clients:
                        self._client_gone(clients[fd])
                    elif self.spare is not None and fd == self.spare[1].fileno():
                        self._taken()
                if self._reap() or self.children:
                    last = time.monotonic()
            return "asked to stop"
        finally:
            self._drop_spare()
            signal.set_wakeup_fd(-1)
            os.close(wake_read)
            os.close(wake_write)

    def _fork_spare(self) -> None:
        """A fork that accepts one connection, runs its command and exits."""
        import socket

        ours, theirs = socket.socketpair()
        server = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the spare runs one command and exits
            code = 0
            try:
                ours.close()
                self._become_child(theirs)
                code = _spare(self.listener, theirs, self.key, server, self.log_path)
            finally:
                os._exit(code)
        theirs.close()
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also done in the fork: whichever runs first
        self.spare = (pid, ours)

    def _drop_spare(self) -> None:
        """Close the spare's pair: a waiting spare exits; one that has just taken a command
        finishes it and is reaped like any fork."""
        if self.spare is not None:
            self.spare[1].close()
            self.spare = None

    def _taken(self) -> None:
        """The spare took a connection (or ended): it becomes a running fork."""
        import socket

        assert self.spare is not None
        pid, ours = self.spare
        self.spare = None
        try:
            _, fds, _, _ = socket.recv_fds(ours, 16, 1)
        except OSError:
            fds = []
        ours.close()
        if fds:
            self.children[pid] = socket.socket(fileno=fds[0])

    def _become_child(self, keep: socket.socket) -> None:
        """In a fork: only the listener and its pair kept open, default signal handling, its
        own process group (the client sends signals to the group, as a terminal would)."""
        import signal

        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.close(self.wake[0])
        os.close(self.wake[1])
        for other in self.children.values():
            other.close()
        self.log.close()
        os.close(self.lock)  # the lock stays with the server alone
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)

    def _client_gone(self, pid: int) -> None:
        """The client closed its end (killed, or its terminal closed) while the command runs:
        the command is hung up on, as a terminal's hang-up would."""
        import signal
        import socket

        conn = self.children.get(pid)
        if conn is None:
            return
        try:
            if conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                return  # the request, not yet read by the fork
        except BlockingIOError:
            return
        except OSError:
            pass
        self.hung_up.add(pid)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGHUP)

    def _reap(self) -> int:
        """Send the status of each fork that ended; how many ended."""
        ended = 0
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if self.spare is not None and pid == self.spare[0]:
                self.spare[1].close()
                self.spare = None  # forked again at the next request
                continue
            ended += 1
            self.hung_up.discard(pid)
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            if os.WIFSIGNALED(status):
                _reply(conn, entry.KILLED, os.WTERMSIG(status))
            else:
                _reply(conn, entry.EXITED, os.waitstatus_to_exitcode(status))
            conn.close()
        return ended


def _spare(
    listener: socket.socket, pair: socket.socket, key_bytes: bytes, server: int, log_path: str
) -> int:
    """In the spare fork: format the help once (so the pages it touches are this fork's own
    before a client waits), accept one connection, tell the server, run its command."""
    import select
    import signal
    import socket

    with contextlib.suppress(Exception):
        _help()
    poller = select.poll()
    poller.register(listener.fileno(), select.POLLIN)
    poller.register(pair.fileno(), select.POLLIN)
    while True:
        events = dict(poller.poll())
        if pair.fileno() in events:
            return 0  # the server has stopped, or retired this spare
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return 0
        break
    listener.close()
    uid = entry.peer_uid(conn)
    if uid is not None and uid != os.getuid():
        return 0
    with contextlib.suppress(OSError):  # logged before the client can end
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        os.write(fd, f"{stamp} served a command in fork {os.getpid()}\n".encode())
        os.close(fd)
    conn.setblocking(True)
    with contextlib.suppress(OSError):  # if the server has gone, the command still runs
        socket.send_fds(pair, [b"c"], [conn.fileno()])
    pair.close()
    _reply(conn, entry.CHILD, os.getpid())
    try:
        conn.settimeout(10)
        request = _receive(conn)
        conn.settimeout(None)
    except (OSError, ValueError):
        return 1
    if request is None:
        _reply(conn, entry.REFUSED, 0)
        return 1
    if request.key != key_bytes:  # the client runs other code: this process is not its own
        _reply(conn, entry.REFUSED, 0)
        if os.getppid() == server:  # still this spare's server (never another process)
            with contextlib.suppress(OSError):
                os.kill(server, signal.SIGTERM)  # it stops; the client starts its own
        return 1
    return run(request, conn)


class Request:
    """A client's request: its key, folder, umask, stdio encodings, argv, environment and its
    file descriptors 0, 1 and 2 (received here as new descriptors)."""

    def __init__(self, fields: list[bytes], fds: list[int]) -> None:
        self.key = fields[1]
        self.cwd = fields[2]
        self.umask = int(fields[3])
        self.codecs = fields[4].decode("ascii").split(",")
        count = int(fields[6])
        self.argv = [os.fsdecode(a) for a in [fields[5], *fields[7 : 7 + count]]]
        self.env: dict[str, str] = {}
        for item in fields[7 + count :]:
            name, sep, value = item.partition(b"=")
            if sep:
                self.env[os.fsdecode(name)] = os.fsdecode(value)
        self.fds = fds
        if len(self.codecs) != 3 or len(self.argv) != count + 1:
            raise ValueError("malformed request")


def _receive(conn: socket.socket) -> Request | None:
    import socket
    import struct

    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return None
    try:
        while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
            more = conn.recv(1 << 16)
            if not more:
                raise ValueError("truncated request")
            data += more
        fields = data[4:].split(b"\0")
        if fields[0] != entry.PROTOCOL:
            raise ValueError("another protocol")
        return Request(fields, fds)
    except (ValueError, IndexError, OSError):
        for fd in fds:
            os.close(fd)
        return None


def _reply(conn: socket.socket, kind: bytes, number: int) -> None:
    import struct

    with contextlib.suppress(OSError):  # the client is gone; its command still ends normally
        conn.sendall(kind + struct.pack("!i", number))


# ---------------------------------------------------------------- in the fork


def run(request: Request, conn: socket.socket) -> int:
    """Become the client's process (terminal, folder, environment, umask, argv), run the
    command as `python -m newsletters` would, and return its exit status."""
    try:
        _take_over(request)
    except (OSError, ValueError, LookupError):
        _reply(conn, entry.REFUSED, 0)  # the client runs the command itself
        return 1
    code = _run_main()
    import atexit

    # What Python does at exit, in its order: wait for the threads that are not daemons, run
    # the atexit functions, flush the standard streams.
    threading = sys.modules.get("threading")
    if threading is not None:
        with contextlib.suppress(Exception):
            getattr(threading, "_shutdown")()  # noqa: B009 - private, as the interpreter calls it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as Python does when the last flush fails
    _reply(conn, entry.EXITED, code)  # the client may exit now; the status is known
    return code


def _take_over(request: Request) -> None:
    import locale

    for target, fd in enumerate(request.fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request.cwd)
    os.umask(request.umask)
    os.environ.clear()
    os.environ.update(request.env)
    time.tzset()
    if "tempfile" in sys.modules:
        import tempfile

        tempfile.tempdir = None  # found again from this environment's TMPDIR when needed
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_CTYPE, "")
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        stream = _stream(fd, request.codecs[fd])
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    sys.argv = request.argv


def _stream(fd: int, codec: str) -> TextIO:
    """A text stream on `fd` made as Python makes sys.stdin/stdout/stderr at start-up:
    line-buffered on a terminal (stderr always), with the client's encoding and error mode."""
    import io

    encoding, _, errors = codec.partition(":")
    raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED")) and fd != 0
    buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
    return io.TextIOWrapper(
        buffered,
        encoding=encoding or "utf-8",
        errors=errors or "strict",
        newline="\n",
        line_buffering=fd != 0 and (fd == 2 or raw.isatty()),
        write_through=unbuffered,
    )


def _run_main() -> int:
    """newsletters.__main__.main with Python's own handling of how it ends."""
    import signal
    import traceback

    try:
        from .__main__ import main as command

        command()
    except SystemExit as stop:
        if stop.code is None:
            return 0
        if isinstance(stop.code, int):
            return stop.code
        print(stop.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        traceback.print_exc()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)  # as Python ends on an uncaught Ctrl+C
        return 130
    except BaseException:  # printed as Python prints it, exit 1
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
