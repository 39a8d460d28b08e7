"""The resident process (newsletters/entry.py, newsletters/resident.py) with real processes: a
command answered by a fork of it behaves exactly as in-process, is never answered by old code,
and the client never hangs when the resident process or the command dies."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletters import entry

from .conftest import ROOT, copy_sample

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "fork"), reason="no fork: always in-process"
)

CLIENT = "import sys; from newsletters.entry import main; sys.argv[0] = 'newsletter'; main()"
PATIENCE = 120.0  # seconds to wait for a background process on a busy machine (not a timing test)


class Resident:
    """A private folder for the resident process of one test, and helpers to drive it."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env

    def run(
        self, *args: str, cwd: Path, resident: bool = True, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, NEWSLETTER_RESIDENT="1" if resident else "0")
        return subprocess.run(
            [sys.executable, "-c", CLIENT, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            **kwargs,  # type: ignore[arg-type]
        )

    def popen(self, *args: str, cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            [sys.executable, "-c", CLIENT, *args],
            cwd=cwd,
            env=dict(self.env, NEWSLETTER_RESIDENT="1"),
            text=True,
            **kwargs,
        )

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.folder.glob("*.log")))

    def served(self) -> int:
        return self.logs().count("served a command")

    def pids(self) -> list[int]:
        return [int(n) for n in re.findall(r"started pid (\d+)", self.logs())]

    def wait_for(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + PATIENCE
        while self.logs().count(text) < count:
            assert time.monotonic() < deadline, f"no {text!r} in the log: {self.logs()}"
            time.sleep(0.05)

    def warm(self, cwd: Path) -> None:
        """Run a command (in-process, it starts the resident process) and wait until the
        resident process listens."""
        before = self.logs().count("started pid")
        assert self.run("--help", cwd=cwd).returncode == 0
        self.wait_for("started pid", before + 1)


@pytest.fixture
def resident(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resident]:
    # A short path: a Unix socket's path holds about 100 bytes, pytest's tmp_path may not fit.
    folder = Path(tempfile.mkdtemp(prefix="nlr-"))
    env = dict(os.environ, NEWSLETTER_RESIDENT_DIR=str(folder), NEWSLETTER_RESIDENT_IDLE="120")
    env.pop("COLUMNS", None)
    helper = Resident(folder, env)
    try:
        yield helper
    finally:
        for pid in helper.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + PATIENCE
        while any(alive(pid) for pid in helper.pids()) and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def clinic(resident: Resident, tmp_path: Path) -> Path:
    """A copy of the sample project, and the resident process started and listening."""
    project = copy_sample(tmp_path / "clinic")
    resident.warm(project)
    return project


def same_result(
    one: subprocess.CompletedProcess[str], other: subprocess.CompletedProcess[str]
) -> None:
    assert (one.returncode, one.stdout, one.stderr) == (
        other.returncode,
        other.stdout,
        other.stderr,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ---------------------------------------------------------------- which commands go there


@pytest.mark.parametrize(
    ("args", "served"),
    [
        ([], True),
        (["--help"], True),
        (["--version"], True),
        (["build"], True),
        (["-C", "send", "build", "2026-11"], True),
        (["--project", "x", "--out", "setup", "lint", "--all"], True),
        (["--out=dist", "preview"], True),
        (["send", "--to", "a@example.org"], False),
        (["setup"], False),
        (["unsubscribes", "fetch"], False),
        (["unsubscribe-server"], False),
        (["--", "build"], False),
        (["some-new-command"], False),
    ],
)
def test_only_commands_that_never_prompt_go_to_the_resident_process(
    args: list[str], served: bool
) -> None:
    assert entry.served(args) is served


def test_a_served_command_imports_only_small_modules_in_the_client(
    resident: Resident, tmp_path: Path
) -> None:
    """`newsletter --help` answered by the resident process costs little more than Python's
    start: the client loads the package's light __init__, the client and four small C-backed
    modules, and none of click, Jinja2, premailer... (tests/test_startup.py checks the
    in-process path)."""
    modules = tmp_path / "modules.txt"
    probe = (  # as pip's `newsletter` script, which imports re first
        "import os, re, sys\n"
        "def record():\n"
        "    with open(os.environ['PROBE_OUT'], 'w') as out:\n"
        "        out.write('\\n'.join(sorted(sys.modules)))\n"
        "try:\n"
        "    if sys.argv[1:]:\n"
        "        from newsletters.entry import main\n"
        "        sys.argv[0] = 'newsletter'\n"
        "        main()\n"
        "finally:\n"
        "    record()\n"
    )
    env = dict(resident.env, NEWSLETTER_RESIDENT="1", PROBE_OUT=str(modules))
    resident.warm(tmp_path)
    subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, check=True)
    bare = set(modules.read_text().split())
    before = resident.served()
    result = subprocess.run(
        [sys.executable, "-c", probe, "--help"], env=env, cwd=tmp_path, capture_output=True
    )
    assert result.returncode == 0
    assert b"Usage: newsletter" in result.stdout
    assert resident.served() == before + 1
    added = set(modules.read_text().split()) - bare
    small = {"__future__", "newsletters", "newsletters.entry", "_socket", "struct", "_struct"}
    assert added <= small | {"signal", "zlib"}, sorted(added)


# ---------------------------------------------------------------- behaviour as in-process


def test_a_second_command_is_answered_by_the_resident_process_as_in_process(
    resident: Resident, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path / "clinic")
    first = resident.run("build", "2026-11", cwd=project)
    assert first.returncode == 0, first.stderr
    assert resident.served() == 0  # nothing answered: it ran here and started one
    resident.wait_for("started pid")
    in_process = files(project / "dist")
    shutil.rmtree(project / "dist")

    second = resident.run("build", "2026-11", cwd=project)
    assert resident.served() == 1
    same_result(second, first)
    assert files(project / "dist") == in_process


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("build", "--help"),
        ("--version",),
        ("lint", "2026-11"),
        ("build", "2099-01"),  # no such issue: exit 1, problems on stderr
        ("build", "--no-such-option"),  # a command-line mistake: exit 2
        ("plan", "--today", "2026-11-15"),
        ("--bogus",),  # a mistake before any command: exit 2
        ("list",),
    ],
)
def test_output_and_exit_status_are_those_of_an_in_process_run(
    resident: Resident, clinic: Path, args: tuple[str, ...]
) -> None:
    project = clinic
    before = resident.served()
    served = resident.run(*args, cwd=project)
    assert resident.served() == before + 1
    in_process = resident.run(*args, cwd=project, resident=False)
    same_result(served, in_process)
    assert {0, 1, 2} >= {served.returncode}


def test_exit_statuses_one_and_two_come_back(resident: Resident, clinic: Path) -> None:
    """The parametrised comparison above cannot pass by both runs failing the same way."""
    project = clinic
    assert resident.run("build", "2099-01", cwd=project).returncode == 1
    assert resident.run("build", "--no-such-option", cwd=project).returncode == 2
    assert resident.served() == 2


def test_the_command_writes_to_the_users_terminal(resident: Resident, tmp_path: Path) -> None:
    """The client's terminal itself is passed: on a terminal the problems are painted, as
    in-process; the bytes on the terminal are the same."""
    project = copy_sample(tmp_path / "clinic")
    article = project / "content/articles/migraine.md"
    article.write_text(article.read_text().replace("title:", "title: CLICK HERE NOW", 1))
    resident.warm(project)

    def on_terminal(resident_on: bool) -> tuple[int, bytes]:
        main, other = pty.openpty()
        env = dict(resident.env, NEWSLETTER_RESIDENT="1" if resident_on else "0", TERM="xterm")
        process = subprocess.Popen(
            [sys.executable, "-c", CLIENT, "lint", "2026-11"],
            cwd=project,
            env=env,
            stdin=other,
            stdout=other,
            stderr=other,
        )
        os.close(other)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        os.close(main)
        return process.wait(timeout=PATIENCE), seen

    before = resident.served()
    served = on_terminal(True)
    assert resident.served() == before + 1
    assert served == on_terminal(False)
    assert b"\x1b[" in served[1]  # painted: the command saw a terminal


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_the_fork_reads_the_clients_stdin(resident: Resident, clinic: Path) -> None:
    """The fork's standard input is the client's own (the same pipe), not a copy or
    /dev/null: a command reading stdin reads what the user types or pipes in."""
    project = clinic
    read_end, write_end = os.pipe()
    process = resident.popen(
        "preview", "2026-11", "--port", "0", cwd=project, stdin=read_end, stdout=subprocess.PIPE
    )
    os.close(read_end)
    try:
        assert process.stdout is not None
        assert "http://" in process.stdout.readline()
        fork = int(re.findall(r"served a command in fork (\d+)", resident.logs())[-1])
        assert os.readlink(f"/proc/{fork}/fd/0") == f"pipe:[{os.fstat(write_end).st_ino}]"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=PATIENCE)
        os.close(write_end)
    assert process.returncode == 0


def test_two_projects_at_once(resident: Resident, tmp_path: Path) -> None:
    one = copy_sample(tmp_path / "one")
    two = copy_sample(tmp_path / "two")
    article = two / "content/articles/migraine.md"
    article.write_text(article.read_text().replace("Migraine", "Head pain"))
    base = two / "templates/base.mjml.j2"  # another clinic's template CSS, too
    base.write_text(base.read_text().replace("border-radius: 4px;", "border-radius: 9px;"))
    expected = {}
    for project in (one, two):
        assert resident.run("build", "2026-11", cwd=project, resident=False).returncode == 0
        expected[project] = files(project / "dist")
        shutil.rmtree(project / "dist")
    resident.warm(one)
    before = resident.served()
    running = [
        resident.popen("build", "2026-11", cwd=project, stdout=subprocess.PIPE)
        for project in (one, two)
    ]
    assert [p.wait(timeout=PATIENCE) for p in running] == [0, 0]
    for process in running:
        assert process.stdout is not None
        process.stdout.close()
    assert resident.served() == before + 2
    for project in (one, two):
        assert files(project / "dist") == expected[project]
    assert expected[one] != expected[two]


# ---------------------------------------------------------------- never stale


def test_an_edited_source_file_is_never_answered_by_the_old_process(
    resident: Resident, tmp_path: Path
) -> None:
    """A copy of the package, first on the path: touching one of its files changes the key, so
    the old process is not asked, and it exits."""
    copy = tmp_path / "site" / "newsletters"
    shutil.copytree(ROOT / "newsletters", copy, ignore=shutil.ignore_patterns("__pycache__"))
    resident.env["PYTHONPATH"] = str(copy.parent)
    project = copy_sample(tmp_path / "clinic")
    resident.warm(project)
    assert resident.run("--help", cwd=project).returncode == 0
    assert resident.served() == 1
    [old] = resident.pids()

    edited = copy / "terminal.py"
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    result = resident.run("--help", cwd=project)
    assert result.returncode == 0
    assert resident.served() == 1  # answered in-process, not by the old process
    resident.wait_for("stopped: the code changed on disk")
    resident.wait_for("started pid", 2)  # a new one, for the edited code
    assert len(set(resident.pids())) == 2
    deadline = time.monotonic() + PATIENCE
    while alive(old):
        assert time.monotonic() < deadline, "the old process is still running"
        time.sleep(0.05)
    again = resident.run("--help", cwd=project)
    assert resident.served() == 2
    same_result(again, result)


def test_a_request_for_other_code_is_refused_and_the_process_stops(
    resident: Resident, tmp_path: Path
) -> None:
    """Defence in depth: a client whose key differs (the socket's name is the key's hash, so
    only a collision or a hand-made request gets here) is refused, and the process exits."""
    import socket

    resident.warm(tmp_path)
    [path] = resident.folder.glob("*.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(path))
        payload = entry.request(b"another version of the code", ["--version"])
        socket.send_fds(client, [payload], [0, 1, 2])
        replies = b""
        while chunk := client.recv(64):
            replies += chunk
    kinds = [replies[i : i + 1] for i in range(0, len(replies), entry.REPLY_SIZE)]
    assert kinds[:2] == [entry.CHILD, entry.REFUSED]  # the client then runs it itself
    resident.wait_for("stopped: asked to stop")


# ---------------------------------------------------------------- signals and deaths


def preview(resident: Resident, project: Path) -> tuple[subprocess.Popen[str], str]:
    process = resident.popen(
        "preview", "2026-11", "--port", "0", cwd=project, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "http://" in line, line
    url = line.split()[2]
    with urllib.request.urlopen(url, timeout=PATIENCE) as response:
        assert "2026-11" in response.read().decode("utf-8")
    return process, url


def refuses(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=PATIENCE).close()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("resident_killed", [False, True])
def test_ctrl_c_stops_the_command_as_in_process(
    resident: Resident, clinic: Path, resident_killed: bool
) -> None:
    """Ctrl+C reaches the fork, which ends as in-process (the preview catches it: exit 0).
    With the resident process killed mid-command, the fork keeps running (it holds the
    connection too) and still reports how it ended: the client neither hangs nor loses it."""
    project = clinic
    process, url = preview(resident, project)
    assert resident.served() == 1
    if resident_killed:
        [server] = resident.pids()
        os.kill(server, signal.SIGKILL)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=PATIENCE)
    assert process.returncode == 0
    assert "Preview stopped." in out
    assert refuses(url)


def test_a_kill_reaches_the_command_and_the_client_dies_of_it(
    resident: Resident, clinic: Path
) -> None:
    project = clinic
    process, url = preview(resident, project)
    process.terminate()
    process.communicate(timeout=PATIENCE)
    assert process.returncode == -signal.SIGTERM
    assert refuses(url)


def test_a_killed_resident_process_is_replaced_and_the_command_still_runs(
    resident: Resident, clinic: Path
) -> None:
    project = clinic
    expected = resident.run("lint", "2026-11", cwd=project, resident=False)
    [server] = resident.pids()
    os.kill(server, signal.SIGKILL)
    result = resident.run("lint", "2026-11", cwd=project)
    same_result(result, expected)
    assert resident.served() == 0
    resident.wait_for("started pid", 2)  # started again for next time
    same_result(resident.run("lint", "2026-11", cwd=project), expected)
    assert resident.served() == 1


def test_a_command_killed_outright_gives_the_client_its_death(
    resident: Resident, clinic: Path
) -> None:
    project = clinic
    process, _ = preview(resident, project)
    fork = int(re.findall(r"served a command in fork (\d+)", resident.logs())[-1])
    os.kill(fork, signal.SIGKILL)
    process.communicate(timeout=PATIENCE)
    assert process.returncode == -signal.SIGKILL


# ---------------------------------------------------------------- the private folder, idle


def test_the_socket_folder_is_private(resident: Resident, clinic: Path) -> None:
    assert resident.folder.stat().st_mode & 0o777 == 0o700
    [sock] = resident.folder.glob("*.sock")
    assert sock.stat().st_mode & 0o077 == 0
    assert sock.stat().st_uid == os.getuid()


@pytest.mark.parametrize("kind", ["open to others", "symbolic link"])
def test_an_unsafe_folder_is_not_used(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "real"
    target.mkdir(mode=0o700)
    folder = tmp_path / "resident"
    if kind == "symbolic link":
        folder.symlink_to(target)
    else:
        folder.mkdir()
        folder.chmod(0o755)
    project = copy_sample(tmp_path / "clinic")
    env = dict(os.environ, NEWSLETTER_RESIDENT="1", NEWSLETTER_RESIDENT_DIR=str(folder))
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, "--version"], cwd=project, env=env, capture_output=True
    )
    assert result.returncode == 0
    assert list(target.iterdir()) == []  # no socket, lock or log through the link
    assert list(folder.iterdir()) == []


def test_the_resident_process_exits_when_idle(resident: Resident, tmp_path: Path) -> None:
    resident.env["NEWSLETTER_RESIDENT_IDLE"] = "1"
    resident.warm(tmp_path)
    resident.wait_for("stopped: idle for 1 s")
    assert list(resident.folder.glob("*.sock")) == []


def test_nothing_goes_to_the_resident_process_when_turned_off(
    resident: Resident, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path / "clinic")
    assert resident.run("--help", cwd=project, resident=False).returncode == 0
    assert resident.run("build", cwd=project, resident=False).returncode == 0
    assert list(resident.folder.iterdir()) == []


def test_the_package_still_runs_as_python_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsletters", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 0
    assert result.stdout.startswith("newsletter, version")
