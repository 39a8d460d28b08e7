"""Who gets the issue: the subscriber CSV, the suppression file, and what counts as an address.

A CSV is what clinics export from their practice software or a spreadsheet, so the reader is
forgiving about headings (`Email`, `First Name`, a byte-order mark) and strict about addresses:
every row that cannot be sent to is reported with its line, never silently dropped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
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
        local = address.rpartition("@")[0]
        if local and not local.isascii():
            return (
                f"'{address}' has letters outside a-z before the @, which most mail servers "
                "cannot deliver; ask the reader for another address"
            )
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
    from ..confine import MAX_LIST_BYTES, Refused, read_bytes

    try:
        data = read_bytes(path, MAX_LIST_BYTES)
    except Refused as exc:
        raise NewsletterError([Problem(path, None, f"cannot be used: it {exc.reason}")]) from None
    text = _decode_list(path, data)
    reader_state: list[int] = [1]
    try:
        rows = _rows(path, text, reader_state)
    except csv.Error as exc:
        why = str(exc)
        if "field larger than field limit" in why:
            why = "a cell is far too long (more than 128 KB); check the file is the right one"
        elif "NUL" in why:
            why = "it holds a NUL character; export the list again as CSV UTF-8"
        raise NewsletterError(
            [Problem(path, reader_state[0], f"cannot be read as CSV: {why}")]
        ) from None
    recipients: list[Recipient] = []
    invalid: list[Skipped] = []
    duplicates: list[Skipped] = []
    dropped: list[Skipped] = []
    seen: dict[str, int] = {}
    for line, written, first_name in rows:
        address = clean_address(written)
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


def _decode_list(path: Path, data: bytes) -> str:
    """The list's text: UTF-8 (with or without a byte-order mark) or Excel's 'Unicode Text'
    (UTF-16 with a byte-order mark); any other encoding is refused at its first bad line
    rather than guessed, so no name is silently garbled."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    return _utf8(
        path,
        data,
        "is not UTF-8 text (a spreadsheet's older Windows or Mac encoding?); "
        "save it from your spreadsheet as CSV UTF-8",
    )


def _utf8(path: Path, data: bytes, message: str) -> str:
    """The text of a UTF-8 file (a byte-order mark dropped), or `message` at its first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = len(re.split(rb"\r\n|\r|\n", data[: exc.start]))
        raise NewsletterError([Problem(path, bad_line, message)]) from None


def _dialect(text: str) -> tuple[str, int]:
    """The separator (`,`, or `;` from European Excel, or a tab) and how many leading lines
    to skip: Excel may write a `sep=;` line before the headings. Of the separators on the
    heading line, the one that yields an email heading wins (`Name, first;Email` is `;`)."""
    lines = re.split(r"\r\n|\r|\n", text, maxsplit=2)  # old Mac Excel ends lines with \r
    declared = re.fullmatch(r"\s*sep=(.)\s*", lines[0], flags=re.I)
    if declared:
        return declared.group(1), 1
    counts = {sep: lines[0].count(sep) for sep in (",", ";", "\t")}
    ranked = sorted((sep for sep in counts if counts[sep]), key=lambda sep: -counts[sep])
    for sep in ranked:
        if _email_column(next(csv.reader([lines[0]], delimiter=sep), [])) is not None:
            return sep, 0
    return (ranked[0] if ranked else ","), 0


def _email_column(header: list[str]) -> int | None:
    """Where the addresses are: an `email` heading, else the first heading that names them."""
    headings = [_heading(h) for h in header]
    if "email" in headings:
        return headings.index("email")
    return next((i for i, h in enumerate(header) if _EMAIL_HEADING.fullmatch(_compact(h))), None)


def _compact(heading: str) -> str:
    """A heading reduced to its letters, accents dropped: 'E-mail Address' -> 'emailaddress'."""
    plain = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


# Headings practice software, Outlook, Google Contacts, Mailchimp and non-English Excel use.
_EMAIL_HEADING = re.compile(
    r"(primary|work|home|personal|contact)?e?mail(address(es)?|adresse?|value)*"
    r"|courriel|correo(electronico)?|adressee?mail|emailadresse"
)
_FIRST_NAME_COMPACT = frozenset(
    ("firstname", "first", "givenname", "fname", "forename", "prenom", "vorname", "nombre")
)


def column_headings(path: Path) -> list[str]:
    """The headings of a subscriber list, or [] when it cannot be read (read_list reports that)."""
    from ..confine import MAX_LIST_BYTES, Refused, read_bytes

    try:
        text = _decode_list(path, read_bytes(path, MAX_LIST_BYTES))
        delimiter, skip = _dialect(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for _ in range(skip):
            next(reader, None)
        return next(reader, [])
    except (Refused, NewsletterError, csv.Error):
        return []


def _rows(path: Path, text: str, state: list[int]) -> list[tuple[int, str, str]]:
    delimiter, skip = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for _ in range(skip):
        next(reader, None)
    header = next(reader, None)
    if header is None:
        raise NewsletterError(
            [Problem(path, 1, "is empty; the first line must name the columns: email,first_name")]
        )
    headings = [_heading(h) for h in header]
    email_at = _email_column(header)
    if email_at is None:
        raise NewsletterError(
            [
                Problem(
                    path,
                    reader.line_num or 1,
                    "has no 'email' column; the first line must name the columns, "
                    "e.g. email,first_name",
                )
            ]
        )
    name_at = next((headings.index(h) for h in _FIRST_NAME_HEADINGS if h in headings), None)
    if name_at is None:
        name_at = next(
            (i for i, h in enumerate(header) if _compact(h) in _FIRST_NAME_COMPACT), None
        )
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


def clean_address(written: str) -> str:
    """The address a cell or --to means, in the form SMTP carries: surrounding spaces, a
    `mailto:` prefix and a `Name <address>` display name dropped, an international domain
    (bücher.de) written as the DNS spells it (xn--bcher-kva.de). Anything else is left as
    written for address_problem to judge."""
    address = written.strip()
    bracketed = re.fullmatch(r"[^<>]*<\s*([^<>]*?)\s*>", address)
    if bracketed:
        address = bracketed.group(1)
    address = re.sub(r"^mailto:", "", address, flags=re.I).strip()
    local, at, domain = address.rpartition("@")
    if at and local and not domain.isascii():
        with contextlib.suppress(UnicodeError):
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
    return address


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
        token = clean_address(token.strip(".:#!?*"))
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
    text = _utf8(
        path,
        data,
        "the suppression file is not UTF-8 text; save it as UTF-8 "
        "(CSV UTF-8 in a spreadsheet); nothing was sent",
    )
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
