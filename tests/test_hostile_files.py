"""Hostile and broken input (issue 13): values validated for where they go, broken files and
full disks as clean messages, output folders replaced as a whole, everything printed cleaned.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.terminal import clean

from .conftest import claim_sample, copy_sample
from .test_hostile import FEATURED, ISSUE, append, run, set_field


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample with its placeholders replaced: export and list sends refuse placeholders."""
    return claim_sample(copy_sample(tmp_path / "project"))


ISSUE_FILE = "content/issues/2026-11.yaml"


def set_nested(project: Path, section: str, field: str, value: str) -> None:
    """Set `section.field` in clinic.yaml (adding the section when it is not there)."""
    path = project / "content/clinic.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    if f"{section}:" not in lines:
        lines += [f"{section}:", f"  {field}: {value}"]
    else:
        start = lines.index(f"{section}:") + 1
        end = start
        while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
            end += 1
        block = [ln for ln in lines[start:end] if not ln.strip().startswith(f"{field}:")]
        lines[start:end] = [f"  {field}: {value}", *block]
    path.write_text("\n".join(lines), encoding="utf-8")


def replace_in(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- header values


@pytest.mark.parametrize(
    ("relative", "field", "value"),
    [
        (ISSUE_FILE, "subject", '"Hello\\r\\nBcc: everyone@example.com"'),
        (ISSUE_FILE, "subject", '"Hello\\nthere"'),
        (ISSUE_FILE, "preheader", '"A line\\u2028another"'),
        ("content/clinic.yaml", "name", '"Clinic\\r\\nX-Evil: 1"'),
        ("content/clinic.yaml", "reply_to", '"care@example.com\\r\\nBcc: x@example.com"'),
        (FEATURED, "title", '"Title\\u001b[2J"'),
    ],
)
def test_line_breaks_and_controls_in_one_line_fields_are_refused(
    project: Path, relative: str, field: str, value: str
) -> None:
    set_field(project, relative, field, value)
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert f"{relative}:" in result.output and f"'{field}'" in result.output, result.output


@pytest.mark.parametrize(
    ("section", "field"),
    [("sender", "name"), ("send", "list_id"), ("send", "test_subject_prefix")],
)
def test_line_breaks_in_sender_and_send_settings_are_refused(
    project: Path, section: str, field: str
) -> None:
    set_nested(project, section, field, '"Name\\r\\nBcc: all@example.com"')
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/clinic.yaml:" in result.output and f"'{field}'" in result.output


def test_folded_one_line_field_is_accepted(project: Path) -> None:
    replace_in(project, ISSUE_FILE, "subject: When", "subject: >\n  When")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0, result.output
    meta = json.loads((project / "dist" / ISSUE / "meta.json").read_text(encoding="utf-8"))
    assert meta["subject"] == "When does pain become chronic?"


@pytest.mark.parametrize(
    "subject", ["=?utf-8?q?This_cures_migraine?=", "Hi =?UTF-8?B?Y3VyZWQ=?= now"]
)
def test_encoded_word_subject_is_refused(project: Path, subject: str) -> None:
    set_field(project, ISSUE_FILE, "subject", json.dumps(subject))
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/issues/2026-11.yaml:" in result.output and "encoded-word" in result.output


@pytest.mark.parametrize(
    "url",
    [
        "https://fonts.example.com/x.css);} body{display:none}",
        "https://fonts.example.com/x.css') ; @import url('https://evil.example/",
        'https://fonts.example.com/x"onload="alert(1)',
        "https://fonts.example.com/a b.css",
        "https://fonts.example.com/x.css\\\\",
    ],
)
def test_web_font_url_cannot_end_its_css(project: Path, url: str) -> None:
    set_nested(project, "theme", "web_font_url", json.dumps(url))
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "'web_font_url'" in result.output


def test_a_real_web_font_url_is_accepted(project: Path) -> None:
    url = "https://fonts.googleapis.com/css2?family=Inter:wght@400;700&display=swap"
    set_nested(project, "theme", "web_font_url", json.dumps(url))
    assert run(project, "build", ISSUE).exit_code == 0


@pytest.mark.parametrize(
    "url", ["https://www.example.com@evil.example/", "https://exa mple.com/", "https://x/"]
)
def test_odd_https_addresses_are_refused(project: Path, url: str) -> None:
    set_field(project, "content/clinic.yaml", "website", json.dumps(url))
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1 and "'website'" in result.output


# ---------------------------------------------------------------- links and raw HTML


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](smb://server/share)",
        "[x](ms-word:ofe|u|https://evil.example/doc)",
        "[x](ftp://files.example.com/a)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[x](//evil.example/)",
    ],
)
def test_unsafe_link_schemes_are_findings(project: Path, link: str) -> None:
    append(project, FEATURED, f"\nSee {link} here.\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/articles/chronic-pain.md:" in result.output and "link" in result.output


@pytest.mark.parametrize(
    "html",
    ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "<b>bold</b>",
     "<div>\nblock\n</div>", "<!-- a comment -->"],
)  # fmt: skip
def test_raw_html_is_a_finding_and_never_passes_through(project: Path, html: str) -> None:
    append(project, FEATURED, f"\nText {html} more.\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/articles/chronic-pain.md:" in result.output and "raw HTML" in result.output


def test_angle_brackets_in_prose_are_not_html(project: Path) -> None:
    append(project, FEATURED, "\nScores <3 and a > b are fine; so is 2<x.\n")
    assert run(project, "build", ISSUE).exit_code == 0


# ---------------------------------------------------------------- YAML and text files


def test_deeply_nested_yaml_is_a_clean_error(project: Path) -> None:
    path = project / ISSUE_FILE
    path.write_text(path.read_text(encoding="utf-8") + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/issues/2026-11.yaml" in result.output


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x85"])
def test_control_characters_in_files_are_a_clean_error(project: Path, char: str) -> None:
    append(project, ISSUE_FILE, f"\n# a comment with {char} in it\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "content/issues/2026-11.yaml:" in result.output and "control character" in (
        result.output
    )


def test_python_type_names_never_reach_messages(project: Path) -> None:
    set_field(project, ISSUE_FILE, "subject", "{a: 1}")
    set_field(project, FEATURED, "title", "[1, 2]")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "class" not in result.output and "newsletters." not in result.output


# ---------------------------------------------------------------- terminal


def test_clean_shows_control_characters_as_question_marks() -> None:
    assert clean("a\x1b[2Jb\x1b]0;title\x07c\rd\u202ee") == "a?[2Jb?]0;title?c?d?e"
    assert clean("ok\n\ttab") == "ok\n\ttab"
    assert clean("\x1b[1mbold\x1b[0m\x1b]8;;x\x07", keep_colour=True) == (
        "\x1b[1mbold\x1b[0m?]8;;x?"
    )


def test_escape_sequences_in_names_and_arguments_are_not_printed(project: Path) -> None:
    (project / "content/articles/\x1b]0;pwned\x07x.md").write_text("x", encoding="utf-8")
    result = run(project, "build", "\x1b[2J2026-11")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "?]0;pwned?x.md" in result.output


# ---------------------------------------------------------------- output folders


def test_dist_being_a_file_is_a_clean_error(project: Path) -> None:
    (project / "dist").write_text("in the way", encoding="utf-8")
    for command in (["build", ISSUE], ["export", ISSUE, "--platform", "html"], ["archive"]):
        result = run(project, *command)
        assert result.exit_code in (1, 2), result.output
        assert "dist" in result.output
    assert (project / "dist").read_text(encoding="utf-8") == "in the way"


def test_dist_issue_being_a_file_is_a_clean_error(project: Path) -> None:
    (project / "dist").mkdir()
    (project / "dist" / ISSUE).write_text("in the way", encoding="utf-8")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "dist/2026-11: is in the way" in result.output
    assert (project / "dist" / ISSUE).read_text(encoding="utf-8") == "in the way"


@pytest.mark.parametrize("where", ["content", "content/articles", "templates", ".", ".."])
def test_out_cannot_point_into_the_project_sources(project: Path, where: str) -> None:
    result = run(project, "build", ISSUE, "--out", str(project / where))
    assert result.exit_code == 2
    assert "--out" in result.output
    assert not (project / where / ISSUE).exists()


def test_a_rebuild_replaces_the_folder_and_keeps_other_files(project: Path) -> None:
    assert run(project, "build", ISSUE).exit_code == 0
    folder = project / "dist" / ISSUE
    (folder / "images" / "stale.png").write_bytes(b"old")
    (folder / "send-journal.sqlite").write_bytes(b"journal")
    (folder / "export").mkdir()
    (folder / "export" / "keep.txt").write_text("kept", encoding="utf-8")
    assert run(project, "build", ISSUE).exit_code == 0
    assert not (folder / "images" / "stale.png").exists()  # build output: replaced
    assert (folder / "send-journal.sqlite").read_bytes() == b"journal"
    assert (folder / "export" / "keep.txt").read_text(encoding="utf-8") == "kept"
    assert [p.name for p in (project / "dist").iterdir()] == [ISSUE]  # no temp folders left


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for the test (needs root and permission to mount)."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> None:
    """Leave no free space on the disk (unbuffered writes, smaller and smaller)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_full_disk_during_a_build_keeps_the_old_output_whole(
    project: Path, small_disk: Path
) -> None:
    assert run(project, "build", ISSUE, "--out", str(small_disk)).exit_code == 0
    folder = small_disk / ISSUE
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    _fill(small_disk)
    set_field(project, ISSUE_FILE, "subject", "A new subject for this month")
    result = run(project, "build", ISSUE, "--out", str(small_disk))
    assert result.exit_code == 1
    assert "the disk is full" in result.output
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before  # never a new email.html beside the old meta.json
    assert sorted(p.name for p in small_disk.iterdir()) == [ISSUE, "filler"]


def test_full_disk_during_export_and_dry_run_is_a_clean_error(
    project: Path, small_disk: Path
) -> None:
    _fill(small_disk)
    result = run(project, "export", ISSUE, "--platform", "all", "--out", str(small_disk))
    assert result.exit_code == 1
    assert "the disk is full" in result.output


def test_read_only_output_is_a_clean_error(project: Path, small_disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run(project, "build", ISSUE, "--out", str(small_disk))
    assert result.exit_code == 1
    assert "permission denied" in result.output or "read-only" in result.output


def test_failed_build_leaves_no_temporary_folder(project: Path) -> None:
    assert run(project, "build", ISSUE).exit_code == 0
    append(project, FEATURED, "\n![x](images/missing.png)\n")
    assert run(project, "build", ISSUE).exit_code == 1
    assert [p.name for p in (project / "dist").iterdir()] == [ISSUE]


def test_cli_runner_output_is_clean_for_export_notes(project: Path) -> None:
    result = CliRunner().invoke(
        __import__("newsletters.__main__", fromlist=["cli"]).cli,
        ["-C", str(project), "export", ISSUE, "--platform", "mailgun"],
    )
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- checks see what readers see


@pytest.mark.parametrize(
    ("relative", "field", "value"),
    [
        (ISSUE_FILE, "subject", '"Ketamine c\\u200bures pain for good"'),
        (ISSUE_FILE, "subject", '"Ketamine ｃｕｒｅｓ pain for good"'),
        (
            ISSUE_FILE,
            "preheader",
            '"A guaran\\u00adteed way to feel better this winter, for all of you"',
        ),
    ],
)
def test_hidden_characters_do_not_hide_a_health_claim(
    project: Path, relative: str, field: str, value: str
) -> None:
    set_field(project, relative, field, value)
    result = run(project, "lint", ISSUE)
    assert result.exit_code == 1
    assert "health/absolute-claim" in result.output, result.output


def test_character_references_do_not_hide_a_health_claim(project: Path) -> None:
    append(project, FEATURED, "\nKetamine c&#117;res every kind of pain.\n")
    result = run(project, "lint", ISSUE)
    assert result.exit_code == 1
    assert "health/absolute-claim" in result.output


# ---------------------------------------------------------------- symbolic links among outputs


def test_dist_that_is_a_symbolic_link_is_not_written_through(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "dist").symlink_to(elsewhere)
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    assert "dist: is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_export_folder_that_is_a_symbolic_link_is_not_written_through(
    project: Path, tmp_path: Path
) -> None:
    assert run(project, "build", ISSUE).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "dist" / ISSUE / "export").symlink_to(elsewhere)
    result = run(project, "export", ISSUE, "--platform", "html")
    assert result.exit_code == 1
    assert "is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_command_line_mistakes_never_print_escape_sequences(project: Path) -> None:
    for args in (
        ["export", "--platform", "\x1b[2J"],
        ["send", "--list", "/nonexistent\x1b]0;x\x07.csv"],
        ["build", "--out", str(project / "out") + "\x1b[2J"],  # a legal (odd) folder name
        ["send", "--status", "\x1b[2J"],
    ):
        result = CliRunner().invoke(
            __import__("newsletters.__main__", fromlist=["cli"]).cli, ["-C", str(project), *args]
        )
        assert "Traceback" not in result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args


# ---------------------------------------------------------------- image files

PNG = Path(__file__).resolve().parents[1] / "content" / "images" / "logo.png"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda png: png[: len(png) // 2], "is a damaged PNG file"),
        (lambda png: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "is an SVG file"),
        (lambda png: b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(40), "is a WebP file"),
        (lambda png: b"\x00\x00\x00\x1cftypheic" + bytes(40), "is an AVIF or HEIC file"),
        (lambda png: b"just some text, renamed\n", "is not a PNG, JPEG or GIF picture"),
    ],
)
@pytest.mark.parametrize("where", ["logo", "article"])
def test_an_image_inboxes_cannot_show_is_an_error_at_the_line_naming_it(
    project: Path, content: Callable[[bytes], bytes], expected: str, where: str
) -> None:
    (project / "content/images/odd.png").write_bytes(content(PNG.read_bytes()))
    if where == "logo":
        replace_in(project, "content/clinic.yaml", "src: images/logo.png", "src: images/odd.png")
        at = "content/clinic.yaml:"
    else:
        append(project, FEATURED, "\n![A chart](images/odd.png)\n")
        at = f"{FEATURED}:"
    result = run(project, "build", ISSUE)
    assert result.exit_code == 1
    lines = [ln for ln in clean(result.output).splitlines() if "odd.png" in ln]
    assert len(lines) == 1 and at in lines[0] and expected in lines[0], result.output


def test_a_jpeg_with_data_after_its_end_marker_is_accepted(project: Path) -> None:
    """Phone cameras append data after a JPEG's end marker; inboxes show such files."""
    from PIL import Image

    with Image.open(PNG) as image:
        image.convert("RGB").save(project / "content/images/photo.jpg", quality=90)
    with (project / "content/images/photo.jpg").open("ab") as handle:
        handle.write(b"\x00trailer from the camera" * 10)
    append(project, FEATURED, "\n![A chart](images/photo.jpg)\n")
    result = run(project, "build", ISSUE)
    assert result.exit_code == 0, result.output
    assert "photo.jpg" not in result.output
