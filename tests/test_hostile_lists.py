"""Subscriber lists as clinics really export them (red team, session 2): Excel's UTF-16
'Unicode Text', European Excel's `;`, a `sep=` line, Outlook and Mailchimp headings, cells
with display names, `mailto:` and international domains. Every reader in such a file is found;
what cannot be read is one plain line at the line where it is."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from newsletters.compliance import list_headings
from newsletters.delivery.recipients import read_list, read_suppression
from newsletters.errors import NewsletterError

ROWS = [("ana@example.com", "Ana"), ("José@example.com", "José"), ("bo@example.com", "Bø")]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("heading", "sep", "encoding", "prefix"),
    [
        ("email{s}first_name", "\t", "utf-16", b""),  # Excel "Unicode Text": UTF-16, BOM, tabs
        ("email{s}first_name", ";", "utf-8-sig", b""),  # European Excel "CSV UTF-8"
        ("E-mail Address{s}First Name", ",", "utf-8", b""),  # Outlook contacts export
        ("Email Address{s}First Name", ";", "utf-8", b"sep=;\r\n"),  # Excel's sep= line
        ("E-Mail-Adresse{s}Vorname", ";", "utf-8", b""),  # German Excel
        ("Adresse e-mail{s}Prénom", ";", "utf-8", b""),  # French Excel
    ],
)
def test_every_reader_of_a_spreadsheet_export_is_found(
    tmp_path: Path, heading: str, sep: str, encoding: str, prefix: bytes
) -> None:
    lines = [heading.format(s=sep)] + [f"{a}{sep}{n}" for a, n in ROWS] + ["", f"{sep}"]
    text = "\r\n".join(lines) + "\r\n"
    path = _write(tmp_path, prefix + text.encode(encoding))
    found = read_list(path)
    assert [(r.address, r.first_name, r.line) for r in found.recipients] == [
        ("ana@example.com", "Ana", 2 + bool(prefix)),
        ("bo@example.com", "Bø", 4 + bool(prefix)),
    ]
    # A Unicode local part is skipped with a reason a person can act on, at its own line.
    assert [(s.line, s.address) for s in found.invalid] == [(3 + bool(prefix), "José@example.com")]
    assert "letters outside a-z before the @" in found.invalid[0].reason


def test_cells_with_display_names_mailto_spaces_and_international_domains(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        (
            "email,first_name\n"
            '"Ana Pérez <Ana@Example.com>",Ana\n'
            "mailto:bo@example.com ,Bo\n"
            "\u00a0cy@bücher.de\u00a0,Cy\n"
            "ANA@example.com,Ana again\n"
            '"=HYPERLINK(""http://evil.example"",""x"")",Eve\n'
        ).encode("utf-8"),
    )
    found = read_list(path)
    assert [r.address for r in found.recipients] == [
        "Ana@Example.com",
        "bo@example.com",
        "cy@xn--bcher-kva.de",
    ]
    assert [(s.line, s.reason) for s in found.duplicates] == [(5, "same address as line 2")]
    assert [s.line for s in found.invalid] == [6]


def test_an_international_domain_opted_out_in_either_spelling_is_suppressed(
    tmp_path: Path,
) -> None:
    suppression = tmp_path / "unsubscribes.txt"
    suppression.write_text("mailto:Cy@Bücher.de\n", encoding="utf-8")
    addresses = read_suppression(suppression).addresses
    assert addresses == frozenset({"cy@xn--bcher-kva.de"})
    path = _write(tmp_path, "email\ncy@xn--bcher-kva.de\ncy@bücher.de\n".encode())
    found = read_list(path, addresses)
    assert found.recipients == ()
    assert [s.line for s in found.suppressed] == [2]
    assert [s.line for s in found.duplicates] == [3]


def test_a_windows_1252_list_is_refused_at_its_first_bad_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "email;first_name\nana@example.com;Ana\nb@example.com;José\n".encode("cp1252")
    )
    with pytest.raises(NewsletterError) as caught:
        read_list(path)
    [problem] = caught.value.problems
    assert problem.line == 3
    assert "save it from your spreadsheet as CSV UTF-8" in problem.message


def test_the_health_column_check_reads_semicolon_and_utf16_lists(tmp_path: Path) -> None:
    for data in (
        b"email;first_name;diagnosis\n",
        codecs.BOM_UTF16_LE + "email\tdiagnosis\n".encode("utf-16-le"),
    ):
        path = _write(tmp_path, data)
        assert "diagnosis" in list_headings(path)


def test_a_hundred_thousand_rows_are_read_whole(tmp_path: Path) -> None:
    lines = ["Email;First Name"] + [f"reader{i}@example.com;R{i}" for i in range(100_000)]
    path = _write(tmp_path, ("\r\n".join(lines) + "\r\n").encode("utf-16"))
    found = read_list(path)
    assert len(found.recipients) == 100_000
    assert found.recipients[-1].line == 100_001


@pytest.mark.parametrize(
    "text",
    [
        "sep=;\rName, first;Email\rAna;ana@example.com\r",  # old Mac Excel: lines end with \r
        '"Name, first";"Email"\r\nAna;ana@example.com\r\n',  # a comma inside a heading
        "Name, first;Email\nAna;ana@example.com\n",
    ],
)
def test_the_separator_is_the_one_that_finds_the_email_column(tmp_path: Path, text: str) -> None:
    found = read_list(_write(tmp_path, text.encode("utf-8")))
    assert [r.address for r in found.recipients] == ["ana@example.com"]
