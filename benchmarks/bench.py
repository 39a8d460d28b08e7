"""The speed targets of issue 18, each measured beside its peer or limit in the same run.

    python benchmarks/bench.py                 # every target, ~4-5 minutes; writes RESULTS.md
    python benchmarks/bench.py --quick         # fewer runs, 10,000 readers: a smoke run
    python benchmarks/bench.py --only warm --output /tmp/RESULTS.md

Products and peers run on this machine at the same time, interleaved (product first on even
rounds, peer first on odd ones) so that drift in the machine's load hits both alike; each
target is judged on the median of the per-round ratios. Public tools only: node's `mjml` CLI
(`npm install --prefix /tmp/mjml-bench mjml`, or set NEWSLETTER_BENCH_MJML to its path).
Nothing falls back: a part that cannot run the product's own code stops the run with an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import ISSUE_ID, REPO, make_library, make_project, slug  # noqa: E402

PARTS = ("cold", "warm", "all", "send", "start")
SAMPLE_ISSUE = "2026-11"

# The limits of issue 18 (2-core machine).
COLD_VS_NODE = 0.45  # cold `newsletter build` / node `mjml` CLI on the same MJML
WARM_VS_PEER = 4.0  # rebuild with checks on save / Markdown + Jinja2 + mjml-python
ALL_VS_PEER = 10.0  # `build --all`, `lint --all` over 60 issues / the 60 compiles
SEND_VS_TRANSPORT = 0.8  # list send through the CLI / the transport alone, messages per second
SEND_GROWTH_MB = 10.0  # memory growth after the first 10% of a 100,000-reader send
HELP_MS = 60.0
FIRST_PAGE_MS = 300.0

WARM_SIZES = (6, 50)
LIBRARY_ISSUES, LIBRARY_ARTICLES = 60, 6
SECRET = "benchmark-secret-0123456789"


class BenchError(Exception):
    """The benchmark cannot measure the product: the run stops with this message."""


# ---------------------------------------------------------------- measuring


@dataclass
class Pairs:
    """Interleaved runs of a product and its peer, in milliseconds."""

    product: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.product, self.peer, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def interleave(rounds: int, product: Callable[[], float], peer: Callable[[], float]) -> Pairs:
    """`rounds` paired runs; each callable returns its own duration in milliseconds."""
    pairs = Pairs()
    for index in range(rounds):
        if index % 2:
            pairs.peer.append(peer())
            pairs.product.append(product())
        else:
            pairs.product.append(product())
            pairs.peer.append(peer())
    return pairs


def timed(action: Callable[[], object]) -> float:
    begin = time.perf_counter()
    action()
    return (time.perf_counter() - begin) * 1000


def run_process(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure stops the benchmark with the command's own last words."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BenchError(f"{' '.join(command[:4])}... exited {result.returncode}: {last}")
    return result


def timed_process(command: list[str], **kwargs: Any) -> float:
    begin = time.perf_counter()
    run_process(command, **kwargs)
    return (time.perf_counter() - begin) * 1000


def newsletter_command() -> list[str]:
    """The installed `newsletter` script beside this Python, as a user runs it."""
    script = Path(sys.executable).parent / "newsletter"
    if not script.is_file():
        raise BenchError(f"no `newsletter` script beside {sys.executable}: pip install -e .")
    return [str(script)]


def write_bytecode() -> str:
    """The package's .pyc files, as `pip install` writes them. Without this, a source checkout
    run under PYTHONDONTWRITEBYTECODE (or from a read-only folder) compiles every one of the
    package's modules again in every timed process, which no installed copy does."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("newsletters")
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders or not all(compileall.compile_dir(f, quiet=1) for f in folders):
        raise BenchError("could not write the package's .pyc files (see above)")
    if (REPO / "send.py").is_file():
        compileall.compile_file(REPO / "send.py", quiet=1)
    return f"- the package's .pyc files written first, as `pip install` does ({folders[0]})"


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}"


@dataclass
class Target:
    what: str
    product: str
    peer: str
    ratio: str
    limit: str
    ok: bool

    def row(self) -> str:
        verdict = "PASS" if self.ok else "MISS"
        return (
            f"| {self.what} | {self.product} | {self.peer} | {self.ratio} | {self.limit} "
            f"| **{verdict}** |"
        )


@dataclass
class Report:
    quick: bool
    targets: list[Target] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def section(self, title: str, lines: list[str]) -> None:
        self.sections.append("\n".join([f"## {title}", "", *lines, ""]))
        print("\n".join([f"\n## {title}", *lines]), flush=True)

    def pairs_target(self, what: str, pairs: Pairs, peer_name: str, limit: float) -> None:
        self.targets.append(
            Target(
                what,
                f"{ms(pairs.product)} ms",
                f"{peer_name}: {ms(pairs.peer)} ms",
                f"{pairs.ratio:.2f}x",
                f"<= {limit:g}x",
                pairs.ratio <= limit,
            )
        )


def pairs_lines(label: str, pairs: Pairs, peer_name: str) -> list[str]:
    r = pairs.ratios
    return [
        f"| {label} | {ms(pairs.product)} | {peer_name} | {ms(pairs.peer)} | "
        f"{pairs.ratio:.2f} | {min(r):.2f}-{max(r):.2f} | {len(r)} |"
    ]


PAIRS_HEAD = [
    "| product | median ms | peer | median ms | ratio (median of rounds) | range | rounds |",
    "|---|---:|---|---:|---:|---|---:|",
]


# ---------------------------------------------------------------- cold build vs node mjml


def find_mjml_cli() -> list[str]:
    """node's `mjml` CLI: $NEWSLETTER_BENCH_MJML, /tmp/mjml-bench, or `mjml` on PATH."""
    candidates = [
        os.environ.get("NEWSLETTER_BENCH_MJML", ""),
        "/tmp/mjml-bench/node_modules/.bin/mjml",
        shutil.which("mjml") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and shutil.which("node"):
            return [candidate]
    raise BenchError(
        "node's mjml CLI not found: `npm install --prefix /tmp/mjml-bench mjml`, or set "
        "NEWSLETTER_BENCH_MJML to the mjml binary (or leave out the cold part: --only ...)"
    )


@contextmanager
def resident_process() -> Iterator[dict[str, str]]:
    """The environment of product runs answered by a warm resident process (newsletters/
    resident.py) in a private folder, as a user's second command finds it; stopped at the end.
    A run that is not answered by it stops the benchmark: the number would be another one."""
    folder = Path(tempfile.mkdtemp(prefix="nlr-"))  # short: a socket's path holds ~100 bytes
    env = dict(os.environ, NEWSLETTER_RESIDENT="1", NEWSLETTER_RESIDENT_DIR=str(folder))

    def log() -> str:
        return "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.log"))

    try:
        run_process([*newsletter_command(), "--version"], env=env)  # starts it
        deadline = time.monotonic() + 60
        while "started pid" not in log():
            if time.monotonic() > deadline:
                raise BenchError(f"the resident process did not start (log: {log()!r})")
            time.sleep(0.05)
        run_process([*newsletter_command(), "--version"], env=env)
        if "served a command" not in log():
            raise BenchError(f"the resident process did not answer (log: {log()!r})")
        yield env
    finally:
        for pid in re.findall(r"started pid (\d+)", log()):
            with suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGTERM)
        shutil.rmtree(folder, ignore_errors=True)


IN_PROCESS = dict(os.environ, NEWSLETTER_RESIDENT="0")


def cold(report: Report, work: Path) -> None:
    """A fresh `newsletter` process per build: answered by the warm resident process (the
    target), and in-process with NEWSLETTER_RESIDENT=0 (shown beside it, the first command
    after an upgrade or on Windows)."""
    rounds = 5 if report.quick else 15
    mjml_cli = find_mjml_cli()
    version = " ".join(run_process([*mjml_cli, "--version"]).stdout.split())
    sample = work / "sample"
    for part in ("content", "templates"):
        shutil.copytree(REPO / part, sample / part)
    projects = [
        (f"sample issue {SAMPLE_ISSUE}", sample, SAMPLE_ISSUE),
        ("six-article issue", make_project(work / "cold-6", 6), ISSUE_ID),
    ]
    lines = [*PAIRS_HEAD]
    with resident_process() as env:
        for label, root, issue in projects:
            build = [*newsletter_command(), "-C", str(root), "build", issue]
            timed_process(build, env=env)  # once first: OS file cache, per-user caches
            mjml = root / "dist" / issue / "email.mjml"
            node = [*mjml_cli, str(mjml), "-o", str(work / "n.html")]
            timed_process(node)
            served = partial(timed_process, build, env=env)
            pairs = interleave(rounds, served, partial(timed_process, node))
            lines += pairs_lines(f"`newsletter build` ({label})", pairs, "node `mjml` CLI")
            report.pairs_target(f"cold build, {label}", pairs, "node mjml", COLD_VS_NODE)
            alone = partial(timed_process, build, env=IN_PROCESS)
            pairs = interleave(rounds, alone, partial(timed_process, node))
            lines += pairs_lines(
                f"`NEWSLETTER_RESIDENT=0 newsletter build` ({label})", pairs, "node `mjml` CLI"
            )
        helps = [timed_process([*newsletter_command(), "--help"], env=env) for _ in range(rounds)]
    floor = [timed_process([sys.executable, "-c", "pass"]) for _ in range(rounds)]
    helps_alone = [
        timed_process([*newsletter_command(), "--help"], env=IN_PROCESS) for _ in range(rounds)
    ]
    report.targets.append(
        Target(
            "`newsletter --help`",
            f"{ms(helps)} ms",
            "limit",
            "-",
            f"< {HELP_MS:g} ms",
            statistics.median(helps) < HELP_MS,
        )
    )
    lines += [
        "",
        f"node mjml: {version}. Each round is a fresh process for each side; the node CLI only "
        "compiles the MJML the build wrote, the build also loads, renders, compiles, inlines, "
        "runs the checks and writes. `newsletter` is the installed command: a thin client "
        "answered by a warm resident process (docs/architecture.md); the "
        "`NEWSLETTER_RESIDENT=0` rows run the whole command in the fresh process instead, as "
        "the first command after an upgrade does. `newsletter --help`: median of "
        f"{len(helps)} runs {ms(helps)} ms (min {min(helps):.1f}, max {max(helps):.1f}); "
        f"with NEWSLETTER_RESIDENT=0 {ms(helps_alone)} ms; Python's own start "
        f"(`python -c pass`, the floor) {ms(floor)} ms.",
    ]
    report.section("Cold processes", lines)


# ---------------------------------------------------------------- warm rebuild on save


class Peer:
    """What a minimal pipeline needs for the same issue: markdown-it-py renders the articles,
    Jinja2 renders the layout, mjml-python compiles it. No checks, no inlining, no writing."""

    def __init__(self, root: Path, issue_ids: list[str]) -> None:
        import mjml
        from markdown_it import MarkdownIt

        from newsletters import render
        from newsletters.errors import Problems
        from newsletters.load import load_project

        problems = Problems()
        project = load_project(root, problems)
        if project is None or problems.errors:
            raise BenchError(f"the synthetic project does not load: {problems.errors[:1]}")
        self.env = render.environment(project.templates_dir)
        self.markdown = MarkdownIt("commonmark")
        self.mjml2html = mjml.mjml2html
        self.jobs = []
        for issue_id in issue_ids:
            issue = project.issues[issue_id]
            bodies = [project.articles[s].body for s in issue.article_slugs]
            context = render.build_context(project, issue, Problems())
            template = self.env.get_template(f"layouts/{issue.meta.layout}.mjml.j2")
            self.jobs.append((bodies, template, context))

    def run(self) -> float:
        begin = time.perf_counter()
        for bodies, template, context in self.jobs:
            for body in bodies:
                self.markdown.render(body)
            self.mjml2html(template.render(context), fonts={})
        return (time.perf_counter() - begin) * 1000


PEER_NAME = "Markdown+Jinja2+MJML"


class OnSave:
    """One save of an article, then the preview's Workspace rebuilding the issue's page."""

    def __init__(self, root: Path) -> None:
        from newsletters.preview.workspace import Target as Page
        from newsletters.preview.workspace import Workspace

        self.workspace = Workspace(root, checks=True, log=lambda message: None)
        self.page = Page("issue", ISSUE_ID)
        self.article = root / "content" / "articles" / f"{slug(2)}.md"  # shown in full
        self.original = self.article.read_text(encoding="utf-8")
        self.saves = 0

    def __call__(self) -> float:
        self.saves += 1
        marker = "Talk with a qualified clinician"
        edited = self.original.replace(marker, f"{marker} ({self.saves})")
        self.article.write_text(edited, encoding="utf-8")
        begin = time.perf_counter()
        self.workspace.invalidate()
        view = self.workspace.view(self.page)
        took = (time.perf_counter() - begin) * 1000
        if view.built is None or view.errors or f"({self.saves})" not in view.built.text:
            raise BenchError(f"the preview's rebuild failed: {view.errors[:1]}")
        return took


def warm(report: Report, work: Path) -> None:
    """The preview's own rebuild after a save: load, Markdown of the saved article, render,
    compile, inline, finish and the checks, through the preview's Workspace."""
    rounds = 10 if report.quick else 40
    lines = [*PAIRS_HEAD]
    for size in WARM_SIZES:
        root = make_project(work / f"warm-{size}", size)
        rebuild_on_save = OnSave(root)
        peer = Peer(root, [ISSUE_ID])
        rebuild_on_save(), peer.run()  # warm: templates compiled, modules imported
        pairs = interleave(rounds, rebuild_on_save, peer.run)
        lines += pairs_lines(
            f"rebuild with checks on save, {size} articles", pairs, "Markdown + Jinja2 + MJML"
        )
        report.pairs_target(
            f"warm rebuild with checks, {size} articles",
            pairs,
            PEER_NAME,
            WARM_VS_PEER,
        )
    lines += [
        "",
        "Product: the preview's Workspace after one article is saved (load, that article's "
        "Markdown, render, compile, inline, finish, checks). Peer: markdown-it-py renders every "
        "article, Jinja2 the layout, mjml-python compiles it, all warm in the same process.",
    ]
    report.section("Warm rebuild on save (one process)", lines)


# ---------------------------------------------------------------- build --all, lint --all


def whole_library(report: Report, work: Path) -> None:
    rounds = 1 if report.quick else 3
    issues = 12 if report.quick else LIBRARY_ISSUES
    root, names = make_library(work / "library", issues, LIBRARY_ARTICLES)
    peer = Peer(root, names)
    peer.run()
    lines = [*PAIRS_HEAD]
    with resident_process() as env:
        for command in ("build", "lint"):
            argv = [*newsletter_command(), "-C", str(root), command, "--all"]
            out = run_process(argv, env=env).stdout
            if command == "lint" and "no findings" not in out:
                found = out[-300:]
                raise BenchError(f"lint --all found problems in the synthetic library: {found}")
            pairs = interleave(rounds, partial(timed_process, argv, env=env), peer.run)
            lines += pairs_lines(f"`newsletter {command} --all`", pairs, f"{issues} compiles")
            report.pairs_target(
                f"`{command} --all`, {issues} issues", pairs, f"{issues} compiles", ALL_VS_PEER
            )
            alone = partial(timed_process, argv, env=IN_PROCESS)
            pairs = interleave(rounds, alone, peer.run)
            lines += pairs_lines(
                f"`NEWSLETTER_RESIDENT=0 newsletter {command} --all`", pairs, f"{issues} compiles"
            )
    lines += [
        "",
        f"{issues} monthly issues of {LIBRARY_ARTICLES} articles each, none shared. Product: the "
        "whole command in a fresh process (start-up, load, every issue built, checked and, for "
        "build, written), answered by a warm resident process as a user's second command is; "
        "the `NEWSLETTER_RESIDENT=0` rows run it all in the fresh process. A build of issues "
        "whose `dist/` folders already hold exactly the same files compares them and leaves "
        "them alone instead of rewriting them (every issue is still built and checked). Peer: "
        "the same issues through Markdown + Jinja2 + mjml-python in one warm process (the "
        "'compiles').",
    ]
    report.section(f"All {issues} issues", lines)


# ---------------------------------------------------------------- sending

SINK_SCRIPT = r"""
# A minimal SMTP sink: real SMTP on a socket (greeting, EHLO, MAIL, RCPT, DATA, RSET, QUIT) with
# as little work per message as the protocol allows, so the benchmark measures the sender.
import asyncio, resource, sys

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
    """A minimal SMTP sink in its own process: yields its port and a function that stops it
    and returns how many messages it accepted, its CPU seconds, and the first message."""
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE
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


def smtp_env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
    }


def transport_worker(root: str, port: int, count: int) -> None:
    """send.py's SmtpTransport alone: one real message of the issue, made by the product,
    handed over `count` times on one connection. Prints JSON numbers."""
    from newsletters.delivery import run
    from newsletters.delivery.message import unsubscribe_token
    from newsletters.delivery.transport import provider as send

    prepared = run.prepare(Path(root), ISSUE_ID)
    address = "reader0@example.org"
    token = unsubscribe_token(SECRET, address, ISSUE_ID)
    message = prepared.template().render(prepared.personal(address, "Reader 0", token))
    transport = send.SmtpTransport(send.SmtpSettings("127.0.0.1", port, "none"))
    begin = time.perf_counter()
    for index in range(count):
        transport.send(prepared.sender, f"reader{index}@example.org", message)
    transport.close()
    print(json.dumps({"seconds": time.perf_counter() - begin, "bytes": len(message)}))


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def send_part(report: Report, work: Path, readers: int, transport_count: int | None = None) -> None:
    transport_count = transport_count or max(2000, readers // 10)
    from newsletters.yamledit import set_keys

    root = make_project(work / "send", 6)
    clinic = root / "content" / "clinic.yaml"  # a list send must know how opt-outs come back
    clinic.write_text(
        set_keys(clinic.read_text("utf-8"), "send", {"website_handles_opt_outs": True}, clinic),
        "utf-8",
    )
    csv = work / "readers.csv"
    with csv.open("w", encoding="utf-8") as out:
        out.write("email,first_name\n")
        out.writelines(f"reader{i}@example.org,Reader {i}\n" for i in range(readers))

    def transport_alone() -> tuple[float, int]:
        """send.py's transport alone to a fresh sink: (messages per second, message bytes)."""
        with smtp_sink() as (port, finish):
            worker = run_process(
                [sys.executable, __file__, "--transport-worker", str(root), str(port),
                 str(transport_count)],
                env=smtp_env(port),
            )  # fmt: skip
            received, _, _ = finish()
        alone = json.loads(worker.stdout.strip().splitlines()[-1])
        if received != transport_count:
            raise BenchError(f"the sink got {received} of {transport_count} from the transport")
        return transport_count / alone["seconds"], int(alone["bytes"])

    # The peer runs just before and just after the product, which takes a minute or more: on a
    # shared machine one peer run alone moved the ratio by 0.1-0.2 from one run to the next.
    before, message_bytes = transport_alone()

    with smtp_sink() as (port, finish):
        command = [*newsletter_command(), "-C", str(root), "send", ISSUE_ID, "--list", str(csv)]
        begin = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--confirm", "--rate", "1000000"],
            env=smtp_env(port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        samples: list[tuple[float, float]] = []

        def sample() -> None:
            while process.poll() is None:
                value = rss_mb(process.pid)
                if value is not None:
                    samples.append((time.perf_counter() - begin, value))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        stdout, stderr = process.communicate()
        seconds = time.perf_counter() - begin
        sampler.join()
        received, sink_cpu, first = finish()
    if process.returncode != 0 or received != readers:
        raise BenchError(f"the list send failed (sink got {received}): {stderr.strip()[-300:]}")
    after, _ = transport_alone()
    transport_rate = 2 / (1 / before + 1 / after)  # the same messages, twice: total / total time
    rate = readers / seconds
    ratio = rate / transport_rate
    early = [mb for t, mb in samples if t <= seconds * 0.1] or [samples[0][1]]
    peak = max(mb for _, mb in samples)
    growth = peak - max(early)
    report.targets.append(
        Target(
            f"list send, {readers:,} readers, whole CLI",
            f"{rate:.0f} msg/s",
            f"SmtpTransport alone: {transport_rate:.0f} msg/s",
            f"{ratio:.2f}",
            f">= {SEND_VS_TRANSPORT:g}",
            ratio >= SEND_VS_TRANSPORT,
        )
    )
    report.targets.append(
        Target(
            f"list send memory, {readers:,} readers",
            f"+{growth:.1f} MB after the first 10% (peak {peak:.0f} MB)",
            "limit",
            "-",
            f"<= {SEND_GROWTH_MB:g} MB",
            growth <= SEND_GROWTH_MB,
        )
    )
    report.section(
        f"List send of {readers:,} readers to a minimal SMTP sink on loopback",
        [
            f"- product: `newsletter send {ISSUE_ID} --list readers.csv --confirm` (6-article "
            "issue): start-up, build, checks, CSV and suppression, lock, SQLite journal, one "
            f"message per reader, send.py's SmtpTransport; {seconds:.1f} s, **{rate:.0f} "
            "messages/s**",
            f"- peer: send.py's SmtpTransport alone, the same real message ({message_bytes:,} "
            f"bytes) {transport_count:,} times on one connection, just before and just after "
            f"the product: {before:.0f} and {after:.0f} messages/s, together "
            f"{transport_rate:.0f} messages/s. Ratio **{ratio:.2f}**",
            f"- the sink accepted {received:,}; it used {sink_cpu:.1f} s of CPU; the first "
            f"message: {describe_message(first)}",
            f"- memory of the sending process (VmRSS every 0.2 s): {max(early):.1f} MB in the "
            f"first 10% of the run, peak {peak:.1f} MB, growth {growth:+.1f} MB",
            f"- the command's own summary: {stdout.strip().splitlines()[-1]}",
        ],
    )


def describe_message(raw: bytes) -> str:
    """Proof that what the sink got is a real newsletter: its parts and a personal field."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    kinds = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
    text = message.get_body(("plain",))
    number = str(message["To"]).removeprefix("reader").split("@")[0]  # reader<N>@example.org
    content = text.get_content() if text is not None else ""
    personal = isinstance(content, str) and f"Reader {number}," in content
    return (
        f"{message.get_content_type()} with {', '.join(kinds)}; "
        f"List-Unsubscribe {'present' if message['List-Unsubscribe'] else 'MISSING'}; "
        f"first name {'filled in' if personal else 'MISSING'}"
    )


# ---------------------------------------------------------------- preview start


def first_page(report: Report, work: Path) -> None:
    """From starting `newsletter preview ISSUE` to the issue's page fully received: answered
    by the warm resident process (the target), and in-process with NEWSLETTER_RESIDENT=0."""
    runs = 3 if report.quick else 7
    root = work / "preview"
    for part in ("content", "templates"):
        shutil.copytree(REPO / part, root / part)
    with resident_process() as env:
        times = [page_after_start(root, env) for _ in range(runs)]
    alone = [page_after_start(root, IN_PROCESS) for _ in range(runs)]
    report.targets.append(
        Target(
            "preview: first page served after start",
            f"{ms(times)} ms",
            "limit",
            "-",
            f"<= {FIRST_PAGE_MS:g} ms",
            statistics.median(times) <= FIRST_PAGE_MS,
        )
    )
    report.section(
        "Preview start",
        [
            f"`newsletter preview {SAMPLE_ISSUE} --port 0`, from starting the process to the "
            f"issue's page received: median {ms(times)} ms over {runs} starts "
            f"(min {min(times):.0f}, max {max(times):.0f}); with NEWSLETTER_RESIDENT=0 "
            f"{ms(alone)} ms (min {min(alone):.0f}, max {max(alone):.0f})."
        ],
    )


def page_after_start(root: Path, env: dict[str, str]) -> float:
    begin = time.perf_counter()
    process = subprocess.Popen(
        [*newsletter_command(), "-C", str(root), "preview", SAMPLE_ISSUE, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "http://" not in line:
            raise BenchError(f"the preview did not start: {line!r}")
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read().decode("utf-8")
        elapsed = (time.perf_counter() - begin) * 1000
        if SAMPLE_ISSUE not in page:
            raise BenchError("the preview's first page does not show the issue")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    return elapsed


# ---------------------------------------------------------------- the report


def machine() -> list[str]:
    from importlib.metadata import version

    names = ("jinja2", "mjml-python", "premailer", "cssutils", "markdown-it-py", "lxml", "click")
    return [
        f"- CPU cores: {os.cpu_count()} ({platform.machine()}); "
        f"Python {platform.python_version()}, {platform.platform()}",
        "- " + ", ".join(f"{name} {version(name)}" for name in names),
    ]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_results(report: Report, args: argparse.Namespace, lines: list[str]) -> str:
    command = "python benchmarks/bench.py" + (" --quick" if args.quick else "")
    if sorted(args.only) != sorted(PARTS):
        command += "".join(f" --only {part}" for part in args.only)
    return (
        "\n".join(
            [
                "# Benchmark results",
                "",
                f"Written by `{command}` on {args.date}, every number from this one run. "
                "Ratios are medians of interleaved rounds (see docs/benchmarks.md).",
                "",
                "## Machine",
                "",
                *lines,
                "",
                "## Targets (issue 18)",
                "",
                "| target | product | peer or limit | ratio | limit | verdict |",
                "|---|---|---|---|---|---|",
                *(t.row() for t in report.targets),
                "",
                *report.sections,
            ]
        ).rstrip()
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="date in RESULTS.md")
    parser.add_argument(
        "--output", type=Path, default=HERE / "RESULTS.md", help="default: benchmarks/RESULTS.md"
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs, 10,000 readers")
    parser.add_argument("--readers", type=int, default=None, help="list size (default 100,000)")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    parser.add_argument("--transport-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.transport_worker:
        root, port, count = args.transport_worker
        transport_worker(root, int(port), int(count))
        return 0
    args.only = args.only or list(PARTS)
    readers = args.readers or (10_000 if args.quick else 100_000)
    started = time.perf_counter()
    lines = [*machine(), f"- load average (1, 5, 15 min) at the start: {load()}"]
    report = Report(quick=args.quick)
    steps: dict[str, Callable[[Path], None]] = {
        "cold": lambda work: cold(report, work),
        "warm": lambda work: warm(report, work),
        "all": lambda work: whole_library(report, work),
        "send": lambda work: send_part(report, work, readers),
        "start": lambda work: first_page(report, work),
    }
    try:
        lines.append(write_bytecode())
        with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as tmp:
            for part in PARTS:
                if part in args.only:
                    print(f"[{part}] load {load()}", flush=True)
                    (Path(tmp) / part).mkdir()
                    steps[part](Path(tmp) / part)
    except BenchError as exc:
        print(f"benchmark stopped: {exc}", file=sys.stderr)
        return 1
    lines.append(f"- load average at the end: {load()}")
    lines.append(f"- the whole run took {time.perf_counter() - started:.0f} s")
    args.output.write_text(write_results(report, args, lines), encoding="utf-8")
    print("\n## Targets")
    for target in report.targets:
        print(f"{'PASS' if target.ok else 'MISS':5} {target.what}: {target.product} vs "
              f"{target.peer} = {target.ratio} (limit {target.limit})")  # fmt: skip
    print(f"\nwrote {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
