"""Who gets the issue: the subscriber CSV, the suppression file, and what counts as an address.

A CSV is what clinics export from their practice software or a spreadsheet, so the reader is
forgiving about headings (`Email`, `First Name`, a byte-order mark) and strict about addresses:
every row that cannot be sent to is reported with its line, never silently dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import NewsletterError, Problem
from ..schema import text_problem

# ASCII addresses only: a message's To header and SMTP envelope carry the address unencoded.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}")


def address_problem(address: str) -> str | None:
    """Why `address` cannot be sent to, or None when it can."""
    if not address:
        return "has no email address"
    if len(address) > 254:
        return f"'{address[:40]}...' is too long to be an email address"
    if not _ADDRESS.fullmatch(address):
        return f"'{address}' is not an email address"
    return None


@dataclass(frozen=True)
class Recipient:
    """One reader to send to: the address as written, and where it came from."""

    address: str
    first_name: str
    line: int

    @property
    def key(self) -> str:
        """The address compared without case: what duplicates and suppression match on."""
        return self.address.lower()


@dataclass(frozen=True)
class Skipped:
    """A row that will not be sent to, and why."""

    line: int
    address: str
    reason: str


@dataclass(frozen=True)
class RecipientList:
    path: Path
    recipients: tuple[Recipient, ...]
    invalid: tuple[Skipped, ...]
    duplicates: tuple[Skipped, ...]
    suppressed: tuple[Skipped, ...]


def _heading(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


_FIRST_NAME_HEADINGS = ("first_name", "firstname", "first", "given_name", "fname")


def read_list(path: Path, suppressed: frozenset[str] = frozenset()) -> RecipientList:
    """Read a subscriber CSV; raise NewsletterError only when the file as a whole is unusable."""
    from ..confine import MAX_LIST_BYTES, Refused, regular_file

    try:
        regular_file(path, MAX_LIST_BYTES)
    except Refused as exc:
        raise NewsletterError([Problem(path, None, f"cannot be used: it {exc.reason}")]) from None
    reader_state: list[int] = [1]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(_rows(path, handle, reader_state))
    except UnicodeDecodeError:
        raise NewsletterError(
            [Problem(path, None, "is not UTF-8 text; save it from your spreadsheet as CSV UTF-8")]
        ) from None
    except csv.Error as exc:
        why = str(exc)
        if "field larger than field limit" in why:
            why = "a cell is far too long (more than 128 KB); check the file is the right one"
        elif "NUL" in why:
            why = "it holds a NUL character; export the list again as CSV UTF-8"
        raise NewsletterError(
            [Problem(path, reader_state[0], f"cannot be read as CSV: {why}")]
        ) from None
    except OSError as exc:
        raise NewsletterError([Problem(path, None, f"cannot be read: {exc.strerror}")]) from None
    recipients: list[Recipient] = []
    invalid: list[Skipped] = []
    duplicates: list[Skipped] = []
    dropped: list[Skipped] = []
    seen: dict[str, int] = {}
    for line, address, first_name in rows:
        problem = address_problem(address)
        if problem is None and first_name and text_problem(first_name, multiline=False):
            problem = "the first name holds a line break or control character; retype it"
        if problem:
            invalid.append(Skipped(line, address, problem))
            continue
        key = address.lower()
        if key in seen:
            duplicates.append(Skipped(line, address, f"same address as line {seen[key]}"))
            continue
        seen[key] = line
        if key in suppressed:
            dropped.append(Skipped(line, address, "opted out (newsletter unsubscribes list)"))
            continue
        recipients.append(Recipient(address, first_name, line))
    return RecipientList(path, tuple(recipients), tuple(invalid), tuple(duplicates), tuple(dropped))


def _rows(path: Path, handle: object, state: list[int]) -> list[tuple[int, str, str]]:
    reader = csv.reader(handle)  # type: ignore[arg-type]
    header = next(reader, None)
    if header is None:
        raise NewsletterError(
            [Problem(path, 1, "is empty; the first line must name the columns: email,first_name")]
        )
    headings = [_heading(h) for h in header]
    if "email" not in headings:
        alternatives = [i for i, h in enumerate(headings) if h in ("e_mail", "email_address")]
        if not alternatives:
            raise NewsletterError(
                [
                    Problem(
                        path,
                        1,
                        "has no 'email' column; the first line must name the columns, "
                        "e.g. email,first_name",
                    )
                ]
            )
        email_at = alternatives[0]
    else:
        email_at = headings.index("email")
    name_at = next((headings.index(h) for h in _FIRST_NAME_HEADINGS if h in headings), None)
    found = []
    start = reader.line_num + 1
    state[0] = start
    for row in reader:
        line, start = start, reader.line_num + 1
        state[0] = start
        if not any(cell.strip() for cell in row):
            continue
        address = row[email_at].strip() if email_at < len(row) else ""
        name = row[name_at].strip() if name_at is not None and name_at < len(row) else ""
        found.append((line, address, " ".join(name.split())))
    return found


@dataclass(frozen=True)
class Suppression:
    """The addresses never to send to, and the lines that hold an @ but no usable address."""

    path: Path
    addresses: frozenset[str]
    unusable: tuple[Skipped, ...] = ()
    exists: bool = True


# What may surround an address on a suppression line: separators of CSV, TSV and lists,
# the brackets of `Name <address>`, quotes, a `mailto:` prefix, a comment.
_SEPARATORS = re.compile(r"[\s,;<>\"'()\[\]|]+")


def suppression_addresses(line: str) -> list[str]:
    """Every address on one line of a suppression file, lower-cased, in order."""
    found = []
    for token in _SEPARATORS.split(line):
        token = re.sub(r"^mailto:", "", token, flags=re.I).strip(".:#!?*")
        if "@" in token and address_problem(token) is None:
            found.append(token.lower())
    return found


def read_suppression(path: Path) -> Suppression:
    """Lower-cased addresses never to send to. No file means nobody is suppressed.

    Forgiving about the form (one address a line, `Name <address>`, CSV or TSV cells, inline
    `# comments`: every address on a line counts, comments included, so nobody who opted out
    is missed) and strict about completeness: a file that exists but cannot be read whole, or
    is not UTF-8, stops the send (NewsletterError)."""
    from ..confine import MAX_LIST_BYTES, Refused, read_bytes

    if not path.exists() and not path.is_symlink():
        return Suppression(path, frozenset(), (), exists=False)
    try:
        data = read_bytes(path, MAX_LIST_BYTES)
    except Refused as exc:
        raise NewsletterError(
            [
                Problem(
                    path,
                    None,
                    f"the suppression file cannot be read: it {exc.reason}; nothing was sent",
                )
            ]
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise NewsletterError(
            [
                Problem(
                    path,
                    bad_line,
                    "the suppression file is not UTF-8 text; save it as UTF-8 "
                    "(CSV UTF-8 in a spreadsheet); nothing was sent",
                )
            ]
        ) from None
    found: set[str] = set()
    unusable: list[Skipped] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "@" not in line:
            continue
        addresses = suppression_addresses(line)
        if addresses:
            found.update(addresses)
        else:
            shown = " ".join(line.split())[:60]
            unusable.append(Skipped(number, shown, "holds an @ but no address this program reads"))
    return Suppression(path, frozenset(found), tuple(unusable))
