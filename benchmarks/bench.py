"""Where the time goes: every stage of a build, cold starts, node MJML, and a 10,000-message send.

    python benchmarks/bench.py                  # everything, ~2-3 minutes; writes RESULTS.md
    python benchmarks/bench.py --quick          # fewer runs, 1,000 messages: a smoke run
    python benchmarks/bench.py --date 2026-11-24 --output /tmp/RESULTS.md

Synthetic projects of 1, 6, 25 and 100 articles (benchmarks/synthetic.py) are built in one
warm process, stage by stage, with the package's own functions; times are medians over
repeated runs, with min and max. Optional parts are skipped with a message when missing:
the lint checks (newsletters.lint), node's `mjml` CLI (set NEWSLETTER_BENCH_MJML to its path,
or install it with `npm install --prefix /tmp/mjml-bench mjml`), and the send (to a minimal
SMTP sink; the project's newsletters.delivery when present, else a stand-in sender).
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import ISSUE_ID, REPO, make_project  # noqa: E402

SIZES = (1, 6, 25, 100)
TARGET_SIZE = 6
PARTS = ("warm", "cold", "send")
REBUILD = "whole warm rebuild"  # with nothing remembered but the compiled templates

# The targets of issue 9, on a 2-core machine.
WARM_REBUILD_MS = 15.0
CHECKS_MS = 10.0
COLD_VS_NODE = 0.5
HELP_MS = 150.0
LINEAR_TOLERANCE = 1.15  # per-article cost at 100 may be at most 15% above the cost at 25
SEND_RATE = 500.0
SEND_MEMORY_GROWTH_MB = 10.0
CONNECTIONS = 2  # SMTP connections of the stand-in sender (relays such as SES allow many)


# ---------------------------------------------------------------- measuring


@dataclass
class Timing:
    name: str
    runs: list[float]  # milliseconds

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def row(self) -> str:
        return (
            f"| {self.name} | {self.median:.2f} | {min(self.runs):.2f} | {max(self.runs):.2f} "
            f"| {len(self.runs)} |"
        )


def measure(name: str, action: Callable[[], object], budget_s: float, lo: int, hi: int) -> Timing:
    """Run `action` once to warm up, then repeatedly within a time budget (lo..hi runs)."""
    action()
    runs: list[float] = []
    started = time.perf_counter()
    while len(runs) < hi and (len(runs) < lo or time.perf_counter() - started < budget_s):
        begin = time.perf_counter()
        action()
        runs.append((time.perf_counter() - begin) * 1000)
    return Timing(name, runs)


def timed_process(command: list[str], cwd: Path | None = None) -> float:
    begin = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return (time.perf_counter() - begin) * 1000


def newsletter_command() -> list[str]:
    """The installed `newsletter` script beside this Python, as a user runs it."""
    script = Path(sys.executable).parent / "newsletter"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "newsletters"]


@dataclass
class Report:
    quick: bool
    sections: list[str] = field(default_factory=list)
    targets: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, target, got, ok
    notes: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        print(text, flush=True)

    def section(self, title: str, lines: list[str]) -> None:
        self.sections.append("\n".join([f"## {title}", "", *lines, ""]))
        self.say("\n".join([f"\n## {title}", *lines]))

    def target(self, what: str, target: str, got: str, ok: bool | None) -> None:
        verdict = "SKIPPED" if ok is None else ("PASS" if ok else "MISS")
        self.targets.append((what, target, got, verdict))

    def skip(self, what: str, why: str) -> None:
        self.notes.append(f"- {what}: skipped ({why})")
        self.say(f"[skipped] {what}: {why}")


TABLE_HEAD = ["| stage | median ms | min ms | max ms | runs |", "|---|---:|---:|---:|---:|"]


# ---------------------------------------------------------------- lint (optional)


def find_lint() -> tuple[Callable[..., Any] | None, str]:
    """The checks of the lint issue, if `newsletters.lint` exists: a function taking some of
    (project, built, issue, problems) by name. Returns (callable, how it was found or why not)."""
    try:
        import newsletters.lint as lint
    except ImportError as exc:
        return None, f"newsletters.lint is not importable here: {exc}"
    for name in ("bench_hook", "run_checks", "lint_built", "lint_issue", "check_built"):
        candidate = getattr(lint, name, None)
        if callable(candidate) and not inspect.isclass(candidate):
            return candidate, f"newsletters.lint.{name}"
    return None, "newsletters.lint has none of bench_hook, run_checks, lint_built, lint_issue"


def call_lint(check: Callable[..., Any], project: Any, built: Any) -> Any:
    from newsletters.errors import Problems

    available = {"project": project, "built": built, "issue": built.issue, "problems": Problems()}
    params = inspect.signature(check).parameters
    kwargs = {name: available[name] for name in params if name in available}
    return check(**kwargs)


# ---------------------------------------------------------------- warm stages


def warm_stages(root: Path, out_dir: Path, report: Report) -> dict[str, Timing]:
    """Each stage of `pipeline.build` on its own, with the functions the pipeline calls."""
    from newsletters import finish, markdown, merge, pipeline, render
    from newsletters.compile import compile_mjml
    from newsletters.errors import Problems
    from newsletters.inline import inline_css
    from newsletters.load import load_project

    project = load_project(root, Problems())
    assert project is not None, "the synthetic project does not load"
    issue = project.issues[ISSUE_ID]
    layout = issue.meta.layout
    env = (
        render.shared_environment(project.templates_dir)
        if hasattr(render, "shared_environment")
        else render.environment(project.templates_dir)
    )
    context = render.build_context(project, issue, Problems())
    mjml_raw = env.get_template(f"layouts/{layout}.mjml.j2").render(context)
    mjml, css = render.extract_inline_css(mjml_raw)
    compiled = compile_mjml(mjml, project.templates_dir, layout, Problems())
    assert compiled is not None
    html_template = inline_css(compiled, css)
    values = finish.clinic_values(project, issue)
    _, [built], _ = pipeline.build(root, [ISSUE_ID])

    def markdown_only() -> None:
        """Every article parsed and rendered afresh (the pipeline remembers unchanged ones)."""
        problems = Problems()
        for slug in issue.article_slugs:
            article = project.articles[slug]
            ctx = markdown.Context(
                path=article.path,
                first_line=article.body_line,
                website=project.clinic.website,
                image_url=lambda ref: render.image_url(project.clinic, ref),
                image_exists=lambda ref: (project.content_dir / ref).is_file(),
            )
            markdown.render(article.body, ctx, problems)

    forget = getattr(render, "_markdown_cache", {}).clear

    def rebuild_afresh() -> None:
        forget()
        rebuild()

    def jinja_mjml() -> None:
        render.extract_inline_css(env.get_template(f"layouts/{layout}.mjml.j2").render(context))

    def plain_text() -> None:
        text = render.tidy_text(env.get_template(f"layouts/{layout}.txt.j2").render(context))
        merge.substitute(text, values, escape=False)

    # The pipeline's own finishing helpers, whichever this version has.
    strip = getattr(pipeline, "strip_article_markers", lambda html: html)
    size_warnings = getattr(pipeline, "_size_warnings", lambda issue, html: [])
    local_images = getattr(pipeline, "_local_images", lambda project, html: ())

    def finish() -> None:
        html = strip(merge.substitute(html_template, values, escape=True))
        size_warnings(issue, html)
        local_images(project, html)

    def rebuild() -> None:
        _, items, _ = pipeline.build(root, [ISSUE_ID])
        pipeline.write_issue(items[0], out_dir)

    budget, lo, hi = (0.3, 3, 10) if report.quick else (1.0, 7, 60)
    stages = [
        ("load", lambda: load_project(root, Problems())),
        ("markdown (articles)", markdown_only),
        (
            "context (incl. markdown)",
            lambda: (forget(), render.build_context(project, issue, Problems())),
        ),
        ("jinja2 (MJML template)", jinja_mjml),
        ("mjml compile", lambda: compile_mjml(mjml, project.templates_dir, layout, Problems())),
        ("inline (premailer)", lambda: inline_css(compiled, css)),
        ("plain text", plain_text),
        ("finish (merge, size, images)", finish),
        ("write", lambda: pipeline.write_issue(built, out_dir)),
    ]
    timings = {name: measure(name, action, budget, lo, hi) for name, action in stages}
    check, _ = find_lint()
    if check is not None:
        try:
            timings["lint (checks)"] = measure(
                "lint (checks)", lambda: call_lint(check, project, built), budget, lo, hi
            )
        except Exception as exc:  # the lint module is another helper's work in progress
            report.skip("lint", f"calling it failed: {type(exc).__name__}: {exc}")
    timings["whole warm rebuild"] = measure(REBUILD, rebuild_afresh, budget, lo, hi)
    timings["same, Markdown remembered"] = measure(
        "same, Markdown remembered", rebuild, budget, lo, hi
    )
    return timings


# ---------------------------------------------------------------- cold processes


def sample_project(dest: Path) -> Path:
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copytree(REPO / "templates", dest / "templates")
    return dest


def find_mjml_cli() -> list[str] | None:
    """node's `mjml` CLI: $NEWSLETTER_BENCH_MJML, /tmp/mjml-bench, or `mjml` on PATH."""
    if shutil.which("node") is None:
        return None
    candidates = [
        os.environ.get("NEWSLETTER_BENCH_MJML", ""),
        "/tmp/mjml-bench/node_modules/.bin/mjml",
        shutil.which("mjml") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return [candidate]
    return None


def cold_runs(report: Report, work: Path) -> dict[str, Any]:
    runs = 5 if report.quick else 15
    project = sample_project(work / "sample")
    build = [*newsletter_command(), "-C", str(project), "build"]  # the newest issue
    timed_process(build)  # once first: OS file cache, compiled templates, .pyc files
    [built] = sorted((project / "dist").iterdir())
    helps = [timed_process([*newsletter_command(), "--help"]) for _ in range(runs)]
    builds = [timed_process(build) for _ in range(runs)]
    result: dict[str, Any] = {
        "help": Timing("`newsletter --help`", helps),
        "build": Timing(f"`newsletter build` ({built.name})", builds),
    }
    mjml_cli = find_mjml_cli()
    if mjml_cli is None:
        report.skip(
            "node mjml CLI",
            "node or the npm package mjml not found; set NEWSLETTER_BENCH_MJML to the mjml "
            "binary, e.g. after `npm install --prefix /tmp/mjml-bench mjml`",
        )
        return result
    source = built / "email.mjml"
    target = work / "node-mjml.html"
    node = [*mjml_cli, str(source), "-o", str(target)]
    version = subprocess.run([*mjml_cli, "--version"], capture_output=True, text=True).stdout
    timed_process(node)  # once first, like the build
    paired_build, paired_node = [], []
    for index in range(runs):  # alternate which goes first, so drift hits both alike
        if index % 2:
            paired_node.append(timed_process(node))
            paired_build.append(timed_process(build))
        else:
            paired_build.append(timed_process(build))
            paired_node.append(timed_process(node))
    result["paired_build"] = Timing("`newsletter build` (paired)", paired_build)
    result["node"] = Timing("node `mjml` CLI, same MJML (paired)", paired_node)
    result["ratios"] = [b / n for b, n in zip(paired_build, paired_node, strict=True)]
    result["node_version"] = " ".join(version.split())
    return result


# ---------------------------------------------------------------- sending


SINK_SCRIPT = r"""
# A minimal SMTP sink: real SMTP on a socket (greeting, EHLO, MAIL, RCPT, DATA, RSET, QUIT) with
# as little work per message as the protocol allows. aiosmtpd spends ~1.5 ms of CPU parsing each
# 47 KB message, which would make this a benchmark of the sink rather than of our sender.
import asyncio, resource, socket, sys

count = 0
first = None

async def session(reader, writer):
    global count, first
    writer.write(b"220 sink ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            data = await reader.readuntil(b"\r\n.\r\n")
            count += 1
            if first is None:
                first = data[:-5]
            writer.write(b"250 OK queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:  # MAIL, RCPT, RSET, NOOP
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=2**24)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.buffer.write(b"%d\n" % port)
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.buffer.read)  # until the benchmark closes stdin
    server.close()

asyncio.run(main())
usage = resource.getrusage(resource.RUSAGE_SELF)
sys.stdout.buffer.write(b"%d %f\n" % (count, usage.ru_utime + usage.ru_stime))
sys.stdout.buffer.write(first or b"")
sys.stdout.flush()
"""


@contextmanager
def smtp_sink() -> Iterator[tuple[int, Callable[[], tuple[int, float, bytes]]]]:
    """A minimal SMTP sink in its own process (its own core): yields its port and a function
    that stops it and returns how many messages it accepted, its CPU seconds, and the first."""
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert sink.stdin is not None and sink.stdout is not None
    port = int(sink.stdout.readline())

    def finish() -> tuple[int, float, bytes]:
        assert sink.stdin is not None and sink.stdout is not None
        sink.stdin.close()
        count, cpu = sink.stdout.readline().split()
        first = sink.stdout.read()
        sink.wait(timeout=30)
        return int(count), float(cpu), first

    try:
        yield port, finish
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
        sink.stdin.close()
        sink.stdout.close()


def send_worker(root: str, port: int, count: int, mode: str) -> None:
    """Runs in its own process (so its peak memory is the sender's alone): build the issue,
    then send `count` personalised messages; print JSON numbers."""
    import resource

    from newsletters import pipeline

    project, [built], _ = pipeline.build(Path(root), [ISSUE_ID])
    rss_after: dict[str, float] = {}

    def progress(sent: int) -> None:
        if sent in (count // 10, count):
            rss_after[str(sent)] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    begin = time.perf_counter()
    how = (
        journal_send(Path(root), port, count, progress)
        if mode == "journal"
        else delivery_send(project, built, port, count, progress)
    )
    if how is None:
        begin = time.perf_counter()
        minimal_send(built, port, count, progress)
        how = f"the benchmark's stand-in (smtplib, {CONNECTIONS} connections, MIME frame made once)"
    seconds = time.perf_counter() - begin
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_after": rss_after,
                "how": how,
            }
        )
    )


def journal_send(root: Path, port: int, count: int, progress: Callable[[int], None]) -> str | None:
    """What `newsletter send --list readers.csv --confirm` does, through its library: read the
    CSV and suppression file, take the issue's lock, record each reader in the SQLite journal
    before and after the hand-over (synchronous=FULL), send over one SMTP connection."""
    try:
        from newsletters.delivery import run
    except ImportError as exc:
        print(f"no newsletters.delivery ({exc})", file=sys.stderr)
        return None
    readers = root / "readers.csv"
    readers.write_text(
        "email,first_name\n" + "".join(f"reader{i}@example.org,Reader {i}\n" for i in range(count)),
        encoding="utf-8",
    )
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": "benchmark-secret-0123456789",
    }
    plan = run.plan_list(run.prepare(root, ISSUE_ID), readers, env)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress(done)

    summary = run.send_list(plan, run.transport_from_env(env), rate=0, progress=step)
    if summary.sent != count:
        raise RuntimeError(f"sent {summary.sent} of {count} messages")
    return "`newsletter send --list --confirm`'s path: CSV, lock, SQLite journal, one connection"


def delivery_send(
    project: Any, built: Any, port: int, count: int, progress: Callable[[int], None]
) -> str | None:
    """The project's own send path, when it exists (issue 7): `newsletters.delivery.message`
    makes each reader's message from the issue's MIME template and `run.deliver` hands them to
    send.py's SMTP transport, over one connection, without the journal. None (and a line on
    stderr) when it is missing or its interface is not the one this adapter knows."""
    from email.utils import formatdate

    try:
        from newsletters import finish
        from newsletters.delivery import message as mime
        from newsletters.delivery import run
    except ImportError as exc:
        print(f"no newsletters.delivery ({exc}); using the stand-in", file=sys.stderr)
        return None
    clinic, issue = project.clinic, built.issue
    try:
        template = mime.compose(
            clinic,
            issue,
            built.html_template,
            built.text_template,
            date=formatdate(localtime=False),
            issue_values=finish.issue_values(project, issue),
        )
        transport = run.transport_from_env(
            {
                "NEWSLETTER_SMTP_HOST": "127.0.0.1",
                "NEWSLETTER_SMTP_PORT": str(port),
                "NEWSLETTER_SMTP_SECURITY": "none",
            }
        )
        domain = mime.sender_domain(clinic)
        secret = "benchmark-secret-0123456789"

        def messages() -> Iterator[tuple[str, bytes]]:
            for index in range(count):
                address = f"reader{index}@example.org"
                person = mime.Personal(
                    address=address,
                    first_name=f"Reader {index}",
                    unsubscribe_url=mime.unsubscribe_url(
                        clinic, mime.unsubscribe_token(secret, address)
                    ),
                    message_id=mime.message_id(issue.id, address, domain),
                )
                yield address, template.render(person)
                if index:
                    progress(index)  # the previous message was handed over

        stats = run.deliver(transport, clinic.sender.email, messages())
        progress(count)
    except (AttributeError, TypeError, ValueError) as exc:
        print(f"newsletters.delivery differs ({exc!r}); using the stand-in", file=sys.stderr)
        return None
    if stats.sent != count:
        raise RuntimeError(
            f"newsletters.delivery sent {stats.sent} of {count} ({stats.failed} failed)"
        )
    return "the project's sender: newsletters.delivery (message.compose, run.deliver, send.py SMTP)"


def minimal_send(built: Any, port: int, count: int, progress: Callable[[int], None]) -> None:
    """What a list send does per reader: fill the merge tags, make a multipart/alternative
    message (text then HTML, UTF-8, quoted-printable, RFC 8058 headers), hand it to the SMTP
    server over CONNECTIONS connections. Stands in until newsletters.delivery exists.

    The MIME frame and the common headers are written once; per reader only four ASCII headers
    and the two bodies are made. (Building each message with email.message.EmailMessage costs
    ~5 ms, header parsing most of it: at most ~200 messages/s.)"""
    import binascii
    import hashlib
    import hmac
    import smtplib
    import threading
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate

    from newsletters import merge

    policy = SMTP.clone(max_line_length=998)
    secret = b"benchmark-secret"
    domain = "ketamineclinicwtx.example"
    sender = f"news@{domain}"
    subject = built.issue.meta.subject
    boundary = "==newsletter-" + hashlib.sha256(built.html_template.encode()).hexdigest()[:24]

    common = EmailMessage(policy=policy)  # folded and RFC 2047-encoded once
    common["From"] = f"Ketamine Clinic of West Texas <{sender}>"
    common["Subject"] = subject
    common["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    common["MIME-Version"] = "1.0"
    common["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    shared = b"".join(policy.fold_binary(name, value) for name, value in common.items())

    def part(kind: str, body: str) -> bytes:
        encoded = binascii.b2a_qp(body.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
        return (
            (
                f'--{boundary}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            ).encode()
            + encoded
            + b"\r\n"
        )

    def message_for(index: int) -> tuple[str, bytes]:
        address = f"reader{index}@example.org"
        token = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
        unsubscribe = f"https://www.{domain}/newsletter/unsubscribe?t={token}"
        values = {
            "unsubscribe_url": unsubscribe,
            "web_version_url": f"https://www.{domain}/newsletter/{built.issue.id}/",
            "preferences_url": f"https://www.{domain}/newsletter/preferences?t={token}",
            "first_name": f"Reader {index}",
        }
        personal = (  # ASCII and short: no folding or encoding needed (RFC 5322)
            f"To: {address}\r\n"
            f"Date: {formatdate(localtime=False)}\r\n"
            f"Message-ID: <{built.issue.id}.{token}@{domain}>\r\n"
            f"List-Unsubscribe: <{unsubscribe}>\r\n"
        ).encode()
        return address, (
            personal
            + shared
            + b"\r\n"
            + part("plain", merge.substitute(built.text_template, values, escape=False))
            + part("html", merge.substitute(built.html_template, values, escape=True))
            + f"--{boundary}--\r\n".encode()
        )

    sent = 0
    lock = threading.Lock()

    def connection(first: int) -> None:
        """One SMTP connection sending every CONNECTIONS-th message: while one waits for the
        server's reply, another builds its next message."""
        nonlocal sent
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for index in range(first, count, CONNECTIONS):
                address, message = message_for(index)
                smtp.sendmail(sender, [address], message)
                with lock:
                    sent += 1
                    progress(sent)

    threads = [threading.Thread(target=connection, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if sent != count:
        raise RuntimeError(f"sent {sent} of {count} messages")


def send_benchmark(
    root: Path, count: int, report: Report, mode: str = "journal"
) -> dict[str, Any] | None:
    with smtp_sink() as (port, finish):
        worker = subprocess.run(
            [sys.executable, __file__, "--send-worker", str(root), str(port), str(count), mode],
            capture_output=True,
            text=True,
        )
        received, sink_cpu, first = finish()
    if worker.returncode != 0:
        report.skip("send", f"the sender failed: {worker.stderr.strip().splitlines()[-1:]}")
        return None
    data: dict[str, Any] = json.loads(worker.stdout.strip().splitlines()[-1])
    data["received"] = received
    data["sink_cpu_seconds"] = sink_cpu
    data["count"] = count
    data["first_message"] = describe_message(first)
    return data


def describe_message(raw: bytes) -> str:
    """Proof that what the sink got is a real newsletter: its parts and a personal field."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    kinds = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
    text = message.get_body(("plain",))
    number = str(message["To"]).removeprefix("reader").split("@")[0]  # reader<N>@example.org
    personal = text is not None and f"Reader {number}," in text.get_content()
    return (
        f"{message.get_content_type()} with {', '.join(kinds)}; "
        f"List-Unsubscribe {'present' if message['List-Unsubscribe'] else 'MISSING'}; "
        f"first name {'filled in' if personal else 'MISSING'}"
    )


# ---------------------------------------------------------------- the report


def machine() -> list[str]:
    import mjml  # noqa: F401  (mjml-python)

    versions = {}
    for name in ("jinja2", "mjml-python", "premailer", "markdown-it-py", "pyyaml"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = "?"
    return [
        f"- CPU cores: {os.cpu_count()} ({platform.processor() or platform.machine()})",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}",
        "- " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        "- load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]


def run(args: argparse.Namespace) -> Report:
    report = Report(quick=args.quick)
    sizes = (1, 6, 25) if args.quick else SIZES
    if "warm" not in args.only:
        sizes = ()
    rebuilds: dict[int, Timing] = {}
    compiles: dict[int, Timing] = {}
    checks: Timing | None = None
    with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as tmp:
        work = Path(tmp)
        lint, found = find_lint()
        report.say(f"lint: {found}")
        if lint is None:
            report.skip("lint (checks)", found)
        for size in sizes:
            root = make_project(work / f"synthetic-{size}", size)
            timings = warm_stages(root, work / f"out-{size}", report)
            rebuilds[size] = timings[REBUILD]
            compiles[size] = timings["mjml compile"]
            if size == TARGET_SIZE:
                checks = timings.get("lint (checks)")
            parts = [
                t
                for name, t in timings.items()
                if name not in (REBUILD, "same, Markdown remembered")
            ]
            stage_sum = sum(
                t.median
                for t in parts
                if t.name not in ("markdown (articles)", "lint (checks)")  # in context / apart
            )
            ratio = rebuilds[size].median / compiles[size].median
            report.section(
                f"Warm process: {size} article{'s' if size != 1 else ''}",
                [
                    *TABLE_HEAD,
                    *(t.row() for t in timings.values()),
                    "",
                    f"Sum of the stage medians (without markdown, counted in context, and "
                    f"lint): {stage_sum:.2f} ms. Whole warm rebuild / MJML compile alone: "
                    f"**{ratio:.0f}x** ({rebuilds[size].median:.2f} ms / "
                    f"{compiles[size].median:.3f} ms).",
                ],
            )

        cold = cold_runs(report, work) if "cold" in args.only else {}
        cold_lines = ["| process | median ms | min ms | max ms | runs |", TABLE_HEAD[1]]
        for key in ("help", "build", "paired_build", "node"):
            if key in cold:
                cold_lines.append(cold[key].row())
        if "ratios" in cold:
            ratios = cold["ratios"]
            cold_lines += [
                "",
                f"node mjml: {cold['node_version']}. Cold `newsletter build` / node `mjml` CLI, "
                f"paired alternating runs: median **{statistics.median(ratios):.2f}** "
                f"(min {min(ratios):.2f}, max {max(ratios):.2f}). The node CLI only compiles; "
                "the build also loads, renders, inlines and writes.",
            ]
        if cold:
            report.section("Cold processes (sample issue, fresh process each run)", cold_lines)

        send = bare = None
        if args.send_count and "send" in args.only:
            send_root = make_project(work / "send", TARGET_SIZE)
            report.say(f"sending {args.send_count} messages to a local SMTP sink...")
            send = send_benchmark(send_root, args.send_count, report)
            bare = send_benchmark(
                make_project(work / "bare", TARGET_SIZE), args.send_count, report, "transport"
            )
        if send is not None:
            rate = send["count"] / send["seconds"]
            after = send["rss_after"]
            first = after.get(str(send["count"] // 10), 0.0)
            growth = after.get(str(send["count"]), 0.0) - first
            send["rate"], send["growth"] = rate, growth
            report.section(
                f"Sending {send['count']:,} personalised messages ({TARGET_SIZE}-article issue) "
                "to a minimal SMTP sink on loopback",
                [
                    f"- sender: {send['how']}",
                    *(
                        [
                            f"- for comparison, the transport alone (no CSV, lock or journal): "
                            f"{bare['count'] / bare['seconds']:.0f} messages/s"
                        ]
                        if bare
                        else []
                    ),
                    f"- {send['seconds']:.1f} s: **{rate:.0f} messages/s**; "
                    f"the sink accepted {send['received']:,}",
                    f"- the sending process used {send['cpu_seconds']:.1f} s of CPU: "
                    f"{1000 * send['cpu_seconds'] / send['count']:.2f} ms per message, "
                    f"{send['count'] / max(send['cpu_seconds'], 1e-9):.0f} messages per "
                    "CPU-second",
                    f"- the sink (one process) used {send['sink_cpu_seconds']:.1f} s of "
                    f"CPU: {1000 * send['sink_cpu_seconds'] / send['count']:.2f} ms per message",
                    f"- the first message as received: {send['first_message']}",
                    f"- peak memory of the sending process (ru_maxrss): {send['peak_rss_mb']:.1f} "
                    f"MB; after {send['count'] // 10:,} messages {first:.1f} MB, growth to the "
                    f"end {growth:+.1f} MB",
                ],
            )

    # Linear growth: per-article cost of the whole warm rebuild.
    lines = ["| articles | rebuild median ms | per article ms |", "|---:|---:|---:|"]
    for size, timing in rebuilds.items():
        lines.append(f"| {size} | {timing.median:.2f} | {timing.median / size:.3f} |")
    linear_ok: bool | None = None
    linear_got = "not measured"
    if 25 in rebuilds and 100 in rebuilds:
        per25, per100 = rebuilds[25].median / 25, rebuilds[100].median / 100
        marginal = (rebuilds[100].median - rebuilds[25].median) / 75
        linear_ok = per100 <= per25 * LINEAR_TOLERANCE
        linear_got = f"{per25:.3f} ms/article at 25, {per100:.3f} at 100"
        lines += [
            "",
            f"Per article: {per25:.3f} ms at 25, {per100:.3f} ms at 100 "
            f"(marginal cost from 25 to 100: {marginal:.3f} ms per article). "
            + ("Linear." if linear_ok else "**Superlinear: something grows faster than n.**"),
        ]
    if rebuilds:
        report.section("Growth with the number of articles", lines)

    # Targets.
    warm = rebuilds.get(TARGET_SIZE)
    if warm is not None:
        report.target(
            f"warm rebuild, {TARGET_SIZE} articles (no checks)",
            f"<= {WARM_REBUILD_MS:.0f} ms median",
            f"{warm.median:.2f} ms",
            warm.median <= WARM_REBUILD_MS,
        )
    if checks is not None:
        report.target(
            f"lint checks, {TARGET_SIZE} articles",
            f"<= {CHECKS_MS:.0f} ms median",
            f"{checks.median:.2f} ms",
            checks.median <= CHECKS_MS,
        )
    else:
        report.target(f"lint checks, {TARGET_SIZE} articles", "<= 10 ms", "not measured", None)
    if "ratios" in cold:
        ratio = statistics.median(cold["ratios"])
        report.target(
            "cold `newsletter build` vs node `mjml` CLI",
            f"<= {COLD_VS_NODE:.2f}x",
            f"{ratio:.2f}x ({cold['paired_build'].median:.0f} / {cold['node'].median:.0f} ms)",
            ratio <= COLD_VS_NODE,
        )
    else:
        report.target(
            "cold `newsletter build` vs node `mjml` CLI",
            "<= 0.50x",
            "not measured" if not cold else "node mjml not found",
            None,
        )
    if cold:
        report.target(
            "`newsletter --help`",
            f"<= {HELP_MS:.0f} ms median",
            f"{cold['help'].median:.0f} ms",
            cold["help"].median <= HELP_MS,
        )
    report.target(
        "100-article cost linear",
        f"per article at 100 <= {LINEAR_TOLERANCE:.2f}x per article at 25",
        linear_got,
        linear_ok,
    )
    if send is not None:
        report.target(
            f"send {send['count']:,} messages",
            f">= {SEND_RATE:.0f} msg/s",
            f"{send['rate']:.0f} msg/s",
            send["rate"] >= SEND_RATE,
        )
        report.target(
            "send memory flat",
            f"growth after the first 10% <= {SEND_MEMORY_GROWTH_MB:.0f} MB",
            f"{send['growth']:+.1f} MB (peak {send['peak_rss_mb']:.0f} MB)",
            send["growth"] <= SEND_MEMORY_GROWTH_MB,
        )
    else:
        report.target("send 10,000 messages", ">= 500 msg/s, memory flat", "not measured", None)
    return report


def write_results(report: Report, args: argparse.Namespace, machine_lines: list[str]) -> str:
    targets = [
        "| target | goal | measured | verdict |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | **{d}** |" for a, b, c, d in report.targets),
    ]
    parts = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/bench.py{' --quick' if args.quick else ''}` "
        f"on {args.date}. Times in milliseconds: median, min and max over the runs shown. "
        "The machine is shared, so compare numbers from the same run.",
        "",
        "## Machine",
        "",
        *machine_lines,
        "",
        "## Targets",
        "",
        *targets,
        "",
        *(["## Skipped", "", *report.notes, ""] if report.notes else []),
        *report.sections,
    ]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="date in RESULTS.md")
    parser.add_argument(
        "--output", type=Path, default=HERE / "RESULTS.md", help="default: benchmarks/RESULTS.md"
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller send")
    parser.add_argument("--send-count", type=int, default=None, help="messages (default 10000)")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable); default: all of " + ", ".join(PARTS),
    )
    parser.add_argument("--send-worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.send_worker:
        root, port, count, mode = args.send_worker
        send_worker(root, int(port), int(count), mode)
        return 0
    args.only = args.only or list(PARTS)
    if args.send_count is None:
        args.send_count = 1000 if args.quick else 10_000
    machine_lines = machine()
    started = time.perf_counter()
    report = run(args)
    text = write_results(report, args, machine_lines)
    args.output.write_text(text, encoding="utf-8")
    print("\n## Targets")
    for what, goal, got, verdict in report.targets:
        print(f"{verdict:8} {what}: {got} (goal {goal})")
    print(f"\nwrote {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
