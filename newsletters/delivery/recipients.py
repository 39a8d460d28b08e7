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
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(_rows(path, handle))
    except UnicodeDecodeError:
        raise NewsletterError(
            [Problem(path, None, "is not UTF-8 text; save it from your spreadsheet as CSV UTF-8")]
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


def _rows(path: Path, handle: object) -> list[tuple[int, str, str]]:
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
    for row in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        address = row[email_at].strip() if email_at < len(row) else ""
        name = row[name_at].strip() if name_at is not None and name_at < len(row) else ""
        found.append((line, address, " ".join(name.split())))
    return found


def read_suppression(path: Path) -> frozenset[str]:
    """Lower-cased addresses never to send to. No file means nobody is suppressed."""
    if not path.is_file():
        return frozenset()
    found: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            for cell in row:
                cell = cell.strip().strip("<>").lower()
                if "@" in cell and not cell.startswith("#"):
                    found.add(cell)
    return frozenset(found)
