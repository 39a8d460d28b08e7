"""Test sends, dry runs, list sends and the journal's status: what `newsletter send` runs.

A list send never loses and never repeats a message: each reader's row is committed as
`sending` before the message is handed over (the commit runs while the envelope is sent; the
message's end waits for it) and as `sent`/`failed` after the reply ('sent' in the same
commit as the next reader's `sending`; journal.py says when commits reach the disk). Temporary
refusals are retried with exponential backoff; the pace is set by a simple pacer (one message every
1/rate seconds).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..built import BuiltIssue
from ..errors import NewsletterError, Problem, display_path
from ..model import Project
from .journal import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    Journal,
    Row,
)
from .lock import is_locked, issue_lock
from .message import (
    MessageTemplate,
    Personal,
    compose,
    message_id,
    sender_domain,
    unsubscribe_token,
    unsubscribe_url,
)
from .recipients import (
    Recipient,
    RecipientList,
    Suppression,
    address_problem,
    read_list,
    read_suppression,
)
from .signing import DkimKey, key_for
from .transport import provider

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 2.0


@dataclass(frozen=True)
class Prepared:
    """An issue built in memory and cleared to be sent (or, for a proof, marked as a draft
    with its open problems)."""

    project: Project
    built: BuiltIssue
    open_problems: tuple[Problem, ...] = ()
    dkim: DkimKey | None = None  # the clinic's DKIM key, when it signs

    @property
    def folder(self) -> Path:
        return self.project.paths.issue_out(self.built.issue.id)

    @property
    def sender(self) -> str:
        return self.project.clinic.sender.email

    def template(self, subject_prefix: str = "") -> MessageTemplate:
        """The issue's message with the values all readers share (finish.issue_values)."""
        from ..finish import issue_values

        clinic, issue = self.project.clinic, self.built.issue
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return compose(
            clinic,
            issue,
            self.built.html_template,
            self.built.text_template,
            date=now,
            issue_values=issue_values(self.project, issue),
            subject_prefix=subject_prefix,
            dkim=self.dkim,
        )

    @functools.cached_property
    def _domain(self) -> str:
        """The sender's domain as Message-IDs spell it: once per issue, not once per reader."""
        return sender_domain(self.project.clinic)

    def personal(self, address: str, first_name: str, token: str, salt: str = "") -> Personal:
        from ..finish import greeting_name

        clinic = self.project.clinic
        mailto = clinic.send.unsubscribe_mailto
        return Personal(
            address=address,
            first_name=greeting_name(clinic, first_name),
            unsubscribe_url=unsubscribe_url(clinic, token),
            message_id=message_id(self.built.issue.id, address, self._domain, salt),
            mailto=f"mailto:{mailto}?subject=unsubscribe%20{token}" if mailto else None,
        )


def prepare(
    root: Path, issue_name: str | None, out: Path | None = None, proof: bool = False
) -> Prepared:
    """Build the issue in memory. A list send is refused while it has open problems (check
    errors, placeholders); a `proof` (test send) goes out marked as a draft instead."""
    from ..draft import mark_draft, open_problems, refuse
    from ..pipeline import Policy, build_and_check

    names = [issue_name] if issue_name else []
    checked = build_and_check(root, names, policy=Policy.REPORT, out=out)
    project, built = checked.project, checked.issues[0]
    problems = open_problems(project, built, checked.findings[0])
    if problems and not proof:
        raise refuse(built, problems, "a list send")
    folder = Prepared(project, built).folder
    for linked in (folder.parent, folder):
        if linked.is_symlink():
            why = "is a symbolic link; remove it (the send journal is kept here)"
            raise NewsletterError([Problem(linked, None, why)])
    _check_send_settings(project)
    dkim = key_for(project.clinic)
    if problems:
        return Prepared(project, mark_draft(project, built, problems), tuple(problems), dkim)
    return Prepared(project, built, dkim=dkim)


def _check_send_settings(project: Project) -> None:
    clinic = project.clinic
    url = unsubscribe_url(clinic, "TOKEN")
    where = project.paths.clinic_file
    if not url.isascii() or "TOKEN" not in url:
        raise NewsletterError(
            [
                Problem(
                    where,
                    clinic.lines.get("send"),
                    "send: unsubscribe_url_template must be a plain https:// address "
                    "containing {token}",
                )
            ]
        )
    if not clinic.send.rate > 0:
        raise NewsletterError(
            [Problem(where, clinic.lines.get("send"), "send: rate must be more than 0")]
        )


def transport_from_env(
    env: Mapping[str, str] | None = None, project: Project | None = None
) -> provider.Transport:
    """The SMTP transport from clinic.yaml's send: block and the keychain, env vars winning."""
    from ..smtpsettings import smtp_environment

    try:
        return provider.transport_from_env(smtp_environment(project, env))
    except provider.SettingsError as exc:
        raise NewsletterError(str(exc)) from None


# ---------------------------------------------------------------- delivery with retries


class Pacer:
    """At most `rate` starts per second (None: no limit)."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.clock, self.sleep = clock, sleep
        self.next = clock()

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next > now:
            self.sleep(self.next - now)
            now = self.next
        self.next = max(self.next, now - self.interval) + self.interval


@dataclass
class Retry:
    """How hard to try one message: attempts and exponential backoff between them."""

    attempts: int = MAX_ATTEMPTS
    backoff: float = BACKOFF_SECONDS
    sleep: Callable[[float], None] = time.sleep


def send_one(
    transport: provider.Transport,
    sender: str,
    recipient: str,
    message: bytes,
    retry: Retry,
    before_attempt: Callable[[], None] = lambda: None,
    after_refusal: Callable[[str], None] = lambda reply: None,
    before_hand_over: Callable[[], None] | None = None,
    while_replying: Callable[[], None] | None = None,
) -> str:
    """Hand over one message, retrying temporary failures; return the provider's reply.

    Raises PermanentError, UnknownOutcome, TransportUnavailable, or the last TransientError.
    `before_hand_over` goes to the transport (see send.py): each attempt's last step before
    the provider can have the message.
    """
    for attempt in range(1, retry.attempts + 1):
        before_attempt()
        try:
            return transport.send(
                sender,
                recipient,
                message,
                before_hand_over=before_hand_over,
                while_replying=while_replying,
            )
        except provider.TransientError as exc:
            after_refusal(exc.reply)
            if attempt == retry.attempts:
                raise
            retry.sleep(retry.backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def deliver(
    transport: provider.Transport,
    sender: str,
    messages: Iterable[tuple[str, bytes]],
    rate: float | None = None,
    retry: Retry | None = None,
) -> DeliveryStats:
    """Send pre-built (recipient, message) pairs over one transport: the benchmark's hook.

    No journal: this measures the transport and the message path. `messages` may be a
    generator, so memory stays flat however many there are.
    """
    retry = retry or Retry()
    pacer = Pacer(rate)
    stats = DeliveryStats()
    start = time.perf_counter()
    for recipient, message in messages:
        pacer.wait()
        try:
            send_one(transport, sender, recipient, message, retry)
            stats.sent += 1
        except provider.DeliveryError:
            stats.failed += 1
    stats.seconds = time.perf_counter() - start
    return stats


def personalised(
    prepared: Prepared, readers: Iterable[tuple[str, str]], secret: str
) -> Iterator[tuple[str, bytes]]:
    """(address, message) for each (address, first name), rendered one at a time."""
    template = prepared.template()
    for address, first_name in readers:
        token = unsubscribe_token(secret, address, prepared.built.issue.id)
        yield address, template.render(prepared.personal(address, first_name, token))


# ---------------------------------------------------------------- test sends


TEST_RETRY = Retry(attempts=2, backoff=1.0)  # someone is waiting at the screen


def check_test_addresses(addresses: Iterable[str]) -> None:
    """Refuse a mistyped --to before anything connects."""
    bad = [f"--to {a}: {problem}" for a in addresses if (problem := address_problem(a))]
    if bad:
        raise NewsletterError([Problem(None, None, b) for b in bad])


def test_send(
    prepared: Prepared,
    addresses: Iterable[str],
    transport: provider.Transport,
    env: Mapping[str, str] | None = None,
    retry: Retry | None = None,
) -> list[tuple[str, str, bool]]:
    """The issue to a few people, marked as a test, with sample personal values.

    Returns (address, reply, delivered) for each. Every test gets a fresh Message-ID, or
    mail programs would hide the second test of the day as a duplicate of the first.
    """
    addresses = list(addresses)
    check_test_addresses(addresses)
    env = os.environ if env is None else env
    settings = prepared.project.clinic.send
    template = prepared.template(settings.test_subject_prefix)
    from ..secrets import UNSUBSCRIBE_SECRET, get_secret, scope

    secret = get_secret(UNSUBSCRIBE_SECRET, scope(prepared.project.clinic), env) or ""
    salt = f"test {time.time_ns()}"
    results = []
    for address in addresses:
        issue_id = prepared.built.issue.id
        token = unsubscribe_token(secret, address, issue_id) if secret else "sample-token"
        message = template.render(
            prepared.personal(address, settings.sample_first_name, token, salt)
        )
        try:
            reply = send_one(transport, prepared.sender, address, message, retry or TEST_RETRY)
            results.append((address, reply, True))
        except provider.TransportUnavailable as exc:
            raise NewsletterError(exc.reply) from None
        except provider.DeliveryError as exc:
            results.append((address, exc.reply, False))
    return results


# ---------------------------------------------------------------- list sends


@dataclass(frozen=True)
class ListPlan:
    """What a list send would do, before it does anything."""

    prepared: Prepared
    recipients: RecipientList
    suppression_file: Path
    suppression: Suppression
    to_send: tuple[Recipient, ...]  # new or pending in the journal
    already_sent: tuple[Recipient, ...]
    failed_before: tuple[Recipient, ...]
    unknown: tuple[Recipient, ...]  # left in 'sending' by a run that stopped
    secret: str

    @property
    def journal_path(self) -> Path:
        return self.prepared.project.paths.journal(self.prepared.built.issue.id)


def plan_list(
    prepared: Prepared, list_path: Path, env: Mapping[str, str] | None = None
) -> ListPlan:
    from ..compliance import sponsored_send_refusal
    from ..optouts.collect import suppressed, unsubscribe_secret

    refusal = sponsored_send_refusal(prepared.project, prepared.built.issue, dt.date.today())
    if refusal:
        where = prepared.project.paths.clinic_file
        line = prepared.project.clinic.lines.get("compliance")
        raise NewsletterError([Problem(where, line, message) for message in refusal])
    secret = unsubscribe_secret(prepared.project, env)
    suppression = read_suppression(suppression_path(prepared.project))
    recipients = read_list(list_path, suppressed(prepared.project, suppression))
    journal_path = prepared.project.paths.journal(prepared.built.issue.id)
    states: dict[str, str] = {}
    if journal_path.exists():
        with Journal(journal_path) as journal:
            states = journal.states()
    by_state: dict[str, list[Recipient]] = {PENDING: [], SENT: [], FAILED: [], SENDING: []}
    for r in recipients.recipients:
        by_state[states.get(r.key, PENDING)].append(r)
    return ListPlan(
        prepared=prepared,
        recipients=recipients,
        suppression_file=suppression.path,
        suppression=suppression,
        to_send=tuple(by_state[PENDING]),
        already_sent=tuple(by_state[SENT]),
        failed_before=tuple(by_state[FAILED]),
        unknown=tuple(by_state[SENDING]),
        secret=secret,
    )


def suppression_path(project: Project) -> Path:
    """The suppression file clinic.yaml names: a path inside content/, or NewsletterError."""
    from ..confine import Refused, inside

    try:
        return inside(project.content_dir, project.clinic.send.suppression_file)
    except Refused as exc:
        where = project.paths.clinic_file
        raise NewsletterError(
            [
                Problem(
                    where,
                    project.clinic.lines.get("send"),
                    f"send: suppression_file {exc.reason}; nothing was sent",
                )
            ]
        ) from None


def plan_lines(plan: ListPlan, retry_unknown: bool = False) -> list[str]:
    """What the plan means, one fact a line, every skipped row with its CSV line."""
    r = plan.recipients
    name = display_path(r.path)
    sending = len(plan.to_send) + (len(plan.unknown) if retry_unknown else 0)
    lines = [f"{plan.prepared.built.issue.id} to {name}: {sending} to send"]
    if plan.already_sent:
        lines.append(f"  already sent (journal): {len(plan.already_sent)}")
    if plan.failed_before:
        lines.append(f"  failed before (journal, not retried): {len(plan.failed_before)}")
    if plan.unknown:
        verb = "will be sent again (--retry-unknown)" if retry_unknown else "skipped"
        lines.append(f"  unknown (handed over when a send stopped): {len(plan.unknown)}, {verb}")
    suppression = display_path(plan.suppression_file)
    lines.append(
        f"  opted out (newsletter unsubscribes list, with {suppression}): {len(r.suppressed)}"
    )
    for s in plan.suppression.unusable:
        lines.append(f"    {suppression}:{s.line}: {s.reason}: {s.address}")
    lines.append(f"  invalid: {len(r.invalid)}")
    lines += [f"    {name}:{s.line}: {s.reason}" for s in r.invalid]
    lines.append(f"  duplicates: {len(r.duplicates)}")
    lines += [f"    {name}:{s.line}: {s.address}: {s.reason}" for s in r.duplicates]
    from ..compliance import list_without_baa

    warning = list_without_baa(
        plan.prepared.project.clinic, r.path, "smtp", "your SMTP provider", can_sign=True
    )
    if warning:
        lines.append(f"  warning: {warning}")
    return lines


def _safe_name(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", address.lower())


def write_outbox(plan: ListPlan, retry_unknown: bool = False) -> tuple[Path, int]:
    """The dry run: every message a real send would send, as .eml files in dist/<issue>/outbox/.

    Written to a new folder first, so a failed run leaves the previous outbox as it was.
    """
    from ..write import replace_folder

    template = plan.prepared.template()
    target = plan.prepared.project.paths.outbox(plan.prepared.built.issue.id)
    files: dict[str, bytes | Path] = {}
    for r in _sending(plan, retry_unknown):
        token = unsubscribe_token(plan.secret, r.address, plan.prepared.built.issue.id)
        message = template.render(plan.prepared.personal(r.address, r.first_name, token))
        files[f"{r.line:06d}-{_safe_name(r.address)}.eml"] = message
    replace_folder(target, files)  # a failed run leaves the previous outbox as it was
    return target, len(files)


def _sending(plan: ListPlan, retry_unknown: bool) -> list[Recipient]:
    chosen = list(plan.to_send) + (list(plan.unknown) if retry_unknown else [])
    return sorted(chosen, key=lambda r: r.line)


@dataclass
class SendSummary:
    sent: int = 0
    failed: list[tuple[Recipient, str]] = field(default_factory=list)
    deferred: list[tuple[Recipient, str]] = field(default_factory=list)
    unknown: list[tuple[Recipient, str]] = field(default_factory=list)
    carried_unknown: int = 0  # of `unknown`, those left by an earlier, stopped send
    skipped: int = 0
    left: int = 0  # still pending in the journal when the run ended: the next run sends them
    seconds: float = 0.0
    stopped: str | None = None  # why the run stopped early, if it did


def send_list(
    plan: ListPlan,
    transport: provider.Transport,
    *,
    rate: float | None = None,
    retry_unknown: bool = False,
    retry: Retry | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> SendSummary:
    """Send the plan under the issue's lock, recording every step in the journal."""
    prepared = plan.prepared
    retry = retry or Retry()
    pacer = Pacer(rate if rate is not None else prepared.project.clinic.send.rate)
    summary = SendSummary()
    start = time.perf_counter()
    try:
        with issue_lock(prepared.folder, prepared.built.issue.id), Journal(plan.journal_path) as j:
            recipients = plan.recipients.recipients
            j.add((r.address, r.line) for r in recipients)
            states = j.states()  # again, under the lock: another run may have moved on
            if retry_unknown:
                j.release_unknown(r.key for r in recipients if states[r.key] == SENDING)
                states = j.states()
            todo = [r for r in recipients if states[r.key] == PENDING]
            summary.skipped = len(recipients) - len(todo) + _skipped_rows(plan.recipients)
            summary.unknown = [(r, "unknown since an earlier send stopped")
                               for r in recipients if states[r.key] == SENDING]  # fmt: skip
            summary.carried_unknown = len(summary.unknown)
            del states  # one dict per reader: not kept through the run beside the one at its end
            j.expect(r.key for r in todo)  # how often the journal flushes (see journal.py)
            template = prepared.template()
            streak: list[Recipient] = []  # readers just refused with the same, not-personal reply
            last_refusal: str | None = None

            def message_for(r: Recipient) -> bytes:
                token = unsubscribe_token(plan.secret, r.address, prepared.built.issue.id)
                return template.render(prepared.personal(r.address, r.first_name, token))

            made: dict[str, bytes] = {}  # the next reader's message, made while a reply travels

            def make_next(following: Recipient) -> None:
                try:
                    made[following.key] = message_for(following)
                except Exception:  # made again in its turn, where its error belongs
                    made.pop(following.key, None)

            for place, r in enumerate(todo):
                # One thread: the next reader's message is rendered while the provider answers
                # this one (send.py's while_replying), not by a helper thread, whose hand-offs
                # cost more than the render (docs/benchmarks.md).
                message = made.pop(r.key, None) or message_for(r)
                following = todo[place + 1] if place + 1 < len(todo) else None
                pacer.wait()
                try:
                    reply = send_one(
                        transport,
                        prepared.sender,
                        r.address,
                        message,
                        retry,
                        # 'sending' is committed while the envelope travels (or just after);
                        # the message's end waits for it (send.py's before_hand_over).
                        before_attempt=lambda key=r.key: j.start_sending(key),  # type: ignore[misc]
                        after_refusal=lambda reply, key=r.key: j.mark(key, PENDING, reply),  # type: ignore[misc]
                        before_hand_over=j.wait,
                        while_replying=partial(make_next, following) if following else None,
                    )
                except provider.PermanentError as exc:
                    j.mark(r.key, FAILED, exc.reply)
                    summary.failed.append((r, exc.reply))
                    streak = [*streak, r] if _same_refusal(last_refusal, exc.reply, r) else [r]
                    last_refusal = _refusal_key(exc.reply, r)
                    if last_refusal is not None and len(streak) >= SAME_REFUSAL_LIMIT:
                        for held in streak:  # not these readers' fault: they stay pending
                            j.mark(held.key, PENDING, exc.reply)
                        summary.failed = summary.failed[: -len(streak)]
                        summary.stopped = (
                            f"the provider refused {len(streak)} readers in a row with the same "
                            f"reply ({exc.reply}); that points at the sender or the account, not "
                            "the readers, so they are left pending: fix it, then run the same "
                            "command again"
                        )
                        break
                    progress(1)
                    continue
                except provider.UnknownOutcome as exc:
                    j.mark(r.key, SENDING, exc.reply)  # stays 'sending': reported as unknown
                    summary.unknown.append((r, exc.reply))
                except provider.TransportUnavailable as exc:
                    j.mark(r.key, PENDING, exc.reply)
                    summary.stopped = exc.reply
                    break
                except provider.TransientError as exc:
                    summary.deferred.append((r, exc.reply))  # left pending by after_refusal
                    if isinstance(exc, provider.ConnectionFailed):
                        summary.stopped = exc.reply
                        break
                else:
                    j.mark_sent(r.key, reply)  # committed with the next reader's 'sending'
                    summary.sent += 1
                streak, last_refusal = [], None
                progress(1)
            states = j.states()  # records the last 'sent' too
            summary.left = sum(states[r.key] == PENDING for r in recipients)
    finally:
        transport.close()  # the pre-flight may have connected before the lock was refused
    summary.seconds = time.perf_counter() - start
    return summary


SAME_REFUSAL_LIMIT = 3
# Refusals about one mailbox or its domain (RFC 3463 enhanced codes 5.1.x address and 5.2.x
# mailbox, or the usual wording without them): each such reader is at fault. Anything else
# repeated word for word (relay denied, sender not allowed, account suspended) is not.
_PERSONAL = re.compile(
    r"\b5\.[12]\.\d{1,3}\b|no such (user|mailbox|recipient)|(user|mailbox|recipient|address)"
    r" (unknown|not found|unavailable|disabled|does not exist|rejected)|unknown (user|recipient)"
    r"|does not exist|mailbox (full|is full)|over quota|invalid (recipient|mailbox|address)",
    re.I,
)


def _refusal_key(reply: str, reader: Recipient) -> str | None:
    """A refusal with the reader's address taken out, or None when it is about the reader."""
    if _PERSONAL.search(reply):
        return None
    text = re.sub(re.escape(reader.address), "<reader>", reply, flags=re.I)
    return re.sub(r"[^\s<>]+@[^\s<>]+", "<address>", text)


def _same_refusal(previous: str | None, reply: str, reader: Recipient) -> bool:
    key = _refusal_key(reply, reader)
    return previous is not None and key == previous


def _skipped_rows(recipients: RecipientList) -> int:
    return len(recipients.invalid) + len(recipients.duplicates) + len(recipients.suppressed)


def summary_lines(summary: SendSummary) -> list[str]:
    lines = [
        f"Sent {summary.sent}, failed {len(summary.failed)}, still to send {summary.left}, "
        f"skipped {summary.skipped}, in {summary.seconds:.1f} s"
    ]
    lines += [f"  failed: {r.address} (line {r.line}): {reply}" for r, reply in summary.failed]
    if summary.deferred:
        lines.append(
            f"  not accepted for now: {len(summary.deferred)}; run the same command again "
            "later to retry them"
        )
        lines += [f"    {r.address} (line {r.line}): {reply}" for r, reply in summary.deferred]
    if summary.unknown:
        lines.append(
            f"  unknown: {len(summary.unknown)} handed over without a reply, so they may have "
            "arrived; add --retry-unknown to send them again (they may get it twice)"
        )
        lines += [f"    {r.address} (line {r.line})" for r, _ in summary.unknown]
    if summary.left:
        lines.append(
            f"Next: run the same command again to send the {summary.left} still to send "
            "(nobody gets it twice)."
        )
    return lines


def preflight(transport: provider.Transport) -> None:
    """Before the first message of a list send: connect, secure, log in, send nothing.

    A wrong password or server stops the run here, with nothing sent.
    """
    check = getattr(transport, "check", None)
    if check is None:
        return
    try:
        check()
    except provider.DeliveryError as exc:
        transport.close()
        raise NewsletterError(f"{exc.reply}. Nothing was sent.") from None


def countdown(
    seconds: float,
    show: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Wait before a retry, saying each second how long is left (a Retry's sleep)."""
    remaining = seconds
    while remaining > 0:
        show(f"waiting {int(remaining + 0.999)} s before trying again...")
        step = min(1.0, remaining)
        sleep(step)
        remaining -= step
    show("")


# ---------------------------------------------------------------- status


def status_lines(root: Path, issue_name: str | None, out: Path | None = None) -> list[str]:
    """The journal of an issue's list send, for `newsletter send --status` (read from `out`)."""
    from ..errors import Problems
    from ..load import find_project, load_project
    from ..paths import ProjectPaths

    paths = ProjectPaths.of(find_project(root), out)
    if issue_name is None:
        problems = Problems()
        project = load_project(root, problems, out)
        newest = project.newest_issue() if project else None
        if newest is None:
            raise NewsletterError(problems.errors or "no issues yet; name one, e.g. 2026-11")
        issue_name = newest.id
    from ..confine import issue_name_problem

    problem = issue_name_problem(issue_name)
    if problem:
        raise NewsletterError(problem)
    folder, path = paths.issue_out(issue_name), paths.journal(issue_name)
    if not path.exists():
        return [f"No list send of {issue_name} has started (no {display_path(path)})."]
    with Journal(path) as journal:
        counts = journal.counts()
        failed, in_flight = journal.rows(FAILED), journal.rows(SENDING)
    running = is_locked(folder)
    lines = [f"Journal of {issue_name}: {display_path(path)}"
             + (" (a send is running now)" if running else "")]  # fmt: skip
    label = "sending now" if running else "unknown"
    for state, name in ((SENT, "sent"), (PENDING, "pending"), (FAILED, "failed")):
        lines.append(f"  {name:<8} {counts[state]}")
    lines.append(f"  {label:<8} {counts[SENDING]}")
    lines += [_row_line("failed", row) for row in failed]
    if not running:
        lines += [_row_line("unknown", row) for row in in_flight]
    return lines


def _row_line(label: str, row: Row) -> str:
    reply = f": {row.reply}" if row.reply else ""
    return f"{label}: {row.address} (line {row.line}, {row.attempts} attempts){reply}"
