"""The planner: suggestions, the coverage plan, the listing, reading level, colour.

The fixture library (tests/fixtures/planner/) has a known history: issues in 2025-09 and every
month from 2026-05 to 2026-09, plus one planned for 2026-11 that names a missing article.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters import planner, status, tables
from newsletters.__main__ import cli
from newsletters.delivery.journal import FAILED, SENT, Journal
from newsletters.errors import Problems
from newsletters.load import load_project
from newsletters.model import Project

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "planner"
TODAY = "2026-09-20"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A copy of the fixture library with the sample templates, so its issues can build."""
    root = tmp_path / "library"
    shutil.copytree(FIXTURE / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


def load(root: Path) -> Project:
    problems = Problems()
    project = load_project(root, problems)
    assert project is not None, [p.format() for p in problems]
    return project


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- suggestions


def test_suggestion_follows_the_history(library: Path) -> None:
    suggestion = planner.suggest(load(library), (2026, 10))
    assert suggestion.history == ("2025-09", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09")
    assert suggestion.recent == ("2026-09", "2026-08", "2026-07")
    assert suggestion.left_out == (
        "crps-101",
        "fibro-101",
        "migraine-triggers",
        "pain-basics",
        "pain-sleep",
    )
    # Depression never covered (no article), neuropathy waited since May, fibromyalgia since
    # July; chronic pain and migraine both since August, in clinic.yaml's order; CRPS last.
    assert [w.condition.key for w in suggestion.waiting] == [
        "depression",
        "neuropathy",
        "fibromyalgia",
        "chronic-pain",
        "migraine",
        "crps",
    ]
    assert suggestion.picks == ("neuropathy-101", "fibro-exercise", "pain-new", "migraine-101")
    assert suggestion.featured == "neuropathy-101"
    assert [w.pick for w in suggestion.waiting] == [
        None,
        "neuropathy-101",
        "fibro-exercise",
        "pain-new",
        "migraine-101",
        None,
    ]


def test_suggestion_takes_a_second_round_and_prefers_unused_articles(library: Path) -> None:
    # For December the planned November issue counts: migraine was just covered.
    suggestion = planner.suggest(load(library), (2026, 12))
    assert suggestion.recent == ("2026-11", "2026-09", "2026-08")
    assert suggestion.picks == ("neuropathy-101", "fibro-exercise", "pain-new", "fibro-101")


def test_suggestion_respects_the_count(library: Path) -> None:
    assert planner.suggest(load(library), (2026, 10), count=2).picks == (
        "neuropathy-101",
        "fibro-exercise",
    )


def test_suggestion_ignores_issues_after_the_month(library: Path) -> None:
    # The November issue uses migraine-101; for October it is still a candidate.
    assert "migraine-101" in planner.suggest(load(library), (2026, 10)).picks


def test_suggestion_without_history_takes_conditions_in_clinic_order(library: Path) -> None:
    suggestion = planner.suggest(load(library), (2025, 1))
    assert suggestion.history == ()
    assert suggestion.picks == ("pain-basics", "migraine-101", "fibro-101", "neuropathy-101")


# ---------------------------------------------------------------- reading level and time


# ---------------------------------------------------------------- medical review


@pytest.mark.parametrize(
    ("reviewed", "status", "due"),
    [
        (None, "missing", None),
        ("2025-09-19", "overdue", "2026-09-19"),
        ("2025-09-20", "due", "2026-09-20"),
        ("2025-10-20", "due", "2026-10-20"),
        ("2025-10-21", "ok", "2026-10-21"),
    ],
)
def test_review_status(library: Path, reviewed: str | None, status: str, due: str | None) -> None:
    path = library / "content" / "articles" / "pain-new.md"
    text = path.read_text().replace("reviewed_on: 2026-01-15", f"reviewed_on: {reviewed}")
    path.write_text(text if reviewed else text.replace("reviewed_on: None\n", ""))
    review = planner.review_of(load(library), "pain-new", dt.date(2026, 9, 20))
    assert (review.status, review.due_on) == (
        status,
        dt.date.fromisoformat(due) if due else None,
    )


# ---------------------------------------------------------------- plan

PLAN_TEXT = """\
Conditions covered, Oct 2025 to Sep 2026
(F featured, + in the issue, . not covered)

                    2025        2026
  condition         Oct Nov Dec Jan Feb Mar Apr May Jun Jul Aug Sep  last
  Chronic pain      .   .   .   .   .   .   .   +   .   +   F   .   Aug 2026
  Migraine          .   .   .   .   .   .   .   .   F   .   +   .   Aug 2026
  Fibromyalgia      .   .   .   .   .   .   .   .   .   F   .   .   Jul 2026
  Neuropathy        .   .   .   .   .   .   .   F   .   .   .   .   May 2026
  CRPS              .   .   .   .   .   .   .   .   +   .   .   F   Sep 2026
  Depression        .   .   .   .   .   .   .   .   .   .   .   .   never

Never covered: Depression.
No article yet about: Depression (newsletter new article SLUG --condition KEY).

Medical reviews to do (every article is reviewed once a year):
  crps-101                  never reviewed
  neuropathy-101            overdue since 2026-08-01 (reviewed 2025-08-01)
  migraine-101              due 2026-10-10 (reviewed 2025-10-10)
"""


def test_plan_text(library: Path) -> None:
    code, out, err = run("-C", str(library), "plan", "--today", TODAY)
    assert (code, err) == (0, "")
    assert out == PLAN_TEXT


def test_plan_json(library: Path) -> None:
    code, out, _ = run("-C", str(library), "plan", "--today", TODAY, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert out == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert sorted(data) == ["conditions", "months", "never_covered", "reviews", "today"]
    assert data["today"] == TODAY
    assert data["months"][0] == "2025-10" and data["months"][-1] == "2026-09"
    assert len(data["months"]) == 12
    by_key = {c["key"]: c for c in data["conditions"]}
    assert list(by_key) == [
        "chronic-pain",
        "migraine",
        "fibromyalgia",
        "neuropathy",
        "crps",
        "depression",
    ]
    assert by_key["crps"] == {
        "key": "crps",
        "name": "CRPS",
        "articles": ["crps-101"],
        "last_covered": "2026-09",
        "last_issue": "2026-09",
        "months": {
            "2026-06": {"issues": ["2026-06"], "articles": ["crps-101"], "featured": False},
            "2026-09": {"issues": ["2026-09"], "articles": ["crps-101"], "featured": True},
        },
    }
    assert by_key["depression"]["last_covered"] is None
    assert data["never_covered"] == ["depression"]
    assert data["reviews"] == [
        {
            "slug": "crps-101",
            "title": "Article crps-101",
            "reviewed_on": None,
            "due_on": None,
            "status": "missing",
        },
        {
            "slug": "neuropathy-101",
            "title": "Article neuropathy-101",
            "reviewed_on": "2025-08-01",
            "due_on": "2026-08-01",
            "status": "overdue",
        },
        {
            "slug": "migraine-101",
            "title": "Article migraine-101",
            "reviewed_on": "2025-10-10",
            "due_on": "2026-10-10",
            "status": "due",
        },
    ]


def test_plan_months_window_and_older_history(library: Path) -> None:
    # 13 months reach back to September 2025, whose issue featured CRPS.
    code, out, _ = run(
        "-C", str(library), "plan", "--today", TODAY, "--months", "13", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    crps = next(c for c in data["conditions"] if c["key"] == "crps")
    assert data["months"][0] == "2025-09"
    assert crps["months"]["2025-09"]["featured"] is True


@pytest.mark.parametrize("months", ["1", "12", "13", "30"])
def test_plan_fits_80_columns(library: Path, months: str) -> None:
    long_name = library / "content" / "clinic.yaml"
    long_name.write_text(
        long_name.read_text().replace(
            "name: Chronic pain", "name: Chronic pain after surgery or injury"
        )
    )
    code, out, _ = run("-C", str(library), "plan", "--today", TODAY, "--months", months)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Chronic pain aft…" in out


def test_plan_blocks_keep_every_month(library: Path) -> None:
    code, out, _ = run("-C", str(library), "plan", "--today", TODAY, "--months", "30")
    assert code == 0
    header_months = sum(
        len(re.findall(r"\b[A-Z][a-z]{2}\b", line))
        for line in out.splitlines()
        if line.startswith("  condition")
    )
    assert header_months == 30


@pytest.mark.parametrize("command", ["plan", "list"])
def test_plan_and_list_run_on_a_broken_project_and_show_what_is_broken(
    library: Path, command: str
) -> None:
    """A half-written article or issue never stops planning: it is shown, the rest is planned."""
    (library / "content" / "articles" / "pain-new.md").write_text("no front matter\n")
    (library / "content" / "issues" / "2026-12.yaml").write_text('subject: "Half\n')
    code, out, err = run("-C", str(library), command, "--today", TODAY)
    assert code == 0
    assert err.replace(f"{library.resolve()}/", "").splitlines() == [
        "content/articles/pain-new.md:1: no front matter: start the file with a line '---', "
        "the fields, then '---'",
        "content/issues/2026-12.yaml:1: this double quote is never closed: end the value with "
        '" on this line (a value may not run over several lines)',
        "2 files with problems (above): what they hold is left out below until they are fixed.",
    ]
    assert out.startswith("Issues (newest first):" if command == "list" else "Conditions covered")


def test_plan_stops_only_without_a_readable_clinic_file(library: Path) -> None:
    (library / "content" / "clinic.yaml").write_text("name: [unclosed\n")
    code, out, err = run("-C", str(library), "plan", "--today", TODAY)
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == "Planning failed: 1 problem to fix."


# ---------------------------------------------------------------- list


@pytest.fixture
def worked_library(library: Path) -> Path:
    """September built and exported twice; August sent (a journal with four recipients)."""
    september = library / "dist" / "2026-09"
    (september / "export" / "mailchimp").mkdir(parents=True)
    (september / "export" / "sendgrid").mkdir()
    (september / "export" / "notes.txt").write_text("not a platform")
    (september / "meta.json").write_text("{}")
    august = library / "dist" / "2026-08"
    august.mkdir(parents=True)
    (august / "meta.json").write_text("{}")
    with Journal(august / "send-journal.sqlite") as journal:  # the real journal, as send writes it
        journal.add((address, line) for line, address in enumerate("abcd", start=2))
        for key, state in (("a", SENT), ("b", SENT), ("c", FAILED), ("d", SENT)):
            journal.mark(key, state, "250 OK" if state == SENT else "550 no such user")
    with sqlite3.connect(august / "send-journal.sqlite") as db:  # fixed times, for the listing
        db.execute("UPDATE recipients SET updated = '2026-08-06T09:00:00+00:00'")
        db.execute("UPDATE recipients SET updated = '2026-08-07T10:00:00+00:00' WHERE key = 'd'")
    db.close()
    return library


LIST_TEXT = """\
Issues (newest first):
  2026-11  2 articles   1 problem; not built; not sent
    2026-11-05  The 2026-11 issue
  2026-09  1 article    built; exported: mailchimp, sendgrid; not sent
    2026-09-05  The 2026-09 issue
  2026-08  2 articles   built; sent 2026-08-07 (1 failed, 3 sent)
    2026-08-05  The 2026-08 issue
  2026-07  2 articles   not built; not sent
    2026-07-05  The 2026-07 issue
  2026-06  2 articles   not built; not sent
    2026-06-05  The 2026-06 issue
  2026-05  2 articles   not built; not sent
    2026-05-05  The 2026-05 issue
  2025-09  1 article    not built; not sent
    2025-09-03  The 2025-09 issue

Articles:
  article               condition     last use reviewed    read   grade
  crps-101              crps          2026-09  never!      1 min   12.6
  fibro-101             fibromyalgia  2026-07  2026-01-15  1 min   12.3
  fibro-exercise        fibromyalgia  never    2026-01-15  1 min    9.7
  migraine-101          migraine      2026-11  2025-10-10~ 1 min    6.4
  migraine-triggers     migraine      2026-08  2026-01-15  1 min    3.7
  neuropathy-101        neuropathy    2026-05  2025-08-01! 1 min    4.8
  pain-basics           chronic-pain  2026-08  2026-01-15  1 min    0.8
  pain-new              chronic-pain  never    2026-01-15  1 min    1.5
  pain-sleep            chronic-pain  2026-07  2026-01-15  1 min    0.0
  reviewed: ~ due within 30 days, ! overdue or never done. grade: US school year
"""


def test_list_text(worked_library: Path) -> None:
    code, out, err = run("-C", str(worked_library), "list", "--today", TODAY)
    assert (code, err) == (0, "")
    assert out == LIST_TEXT
    assert max(len(line) for line in out.splitlines()) <= 80


def test_list_json(worked_library: Path) -> None:
    code, out, _ = run("-C", str(worked_library), "list", "--today", TODAY, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert out == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    issues = {i["id"]: i for i in data["issues"]}
    assert list(issues)[:3] == ["2026-11", "2026-09", "2026-08"]
    assert issues["2026-11"]["problems"] == [
        "content/issues/2026-11.yaml:6: no article 'sleep-guide'; "
        "add content/articles/sleep-guide.md or fix the name"
    ]
    assert issues["2026-09"] == {
        "id": "2026-09",
        "date": "2026-09-05",
        "subject": "The 2026-09 issue",
        "layout": "digest",
        "articles": ["crps-101"],
        "problems": [],
        "built": True,
        "exported": ["mailchimp", "sendgrid"],
        "sent": None,
    }
    assert issues["2026-08"]["sent"] == {
        "counts": {"failed": 1, "sent": 3},
        "last_at": "2026-08-07",
    }
    articles = {a["slug"]: a for a in data["articles"]}
    assert articles["migraine-101"] == {
        "slug": "migraine-101",
        "title": "Article migraine-101",
        "condition": "migraine",
        "last_issue": "2026-11",
        "reviewed_on": "2025-10-10",
        "review_due": "2026-10-10",
        "review": "due",
        "reading_minutes": 1,
        "reading_grade": 6.4,
    }
    assert articles["pain-new"]["last_issue"] is None
    assert articles["crps-101"]["review"] == "missing"


def test_list_truncates_a_long_subject_to_80_columns(library: Path) -> None:
    path = library / "content" / "issues" / "2026-09.yaml"
    path.write_text(path.read_text().replace("The 2026-09 issue", "Long subject " * 10))
    code, out, _ = run("-C", str(library), "list", "--today", TODAY)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" in out


# ---------------------------------------------------------------- the send journal


def test_send_summary_without_a_journal(tmp_path: Path) -> None:
    assert status.send_summary(tmp_path / "send-journal.sqlite") is None


def test_send_summary_of_an_unreadable_journal(tmp_path: Path) -> None:
    path = tmp_path / "send-journal.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    assert status.send_summary(path) == status.JournalSummary((), None)


# ---------------------------------------------------------------- colour


class FakeTerminal:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "env", "wanted"),
    [
        (True, {"TERM": "xterm"}, True),
        (True, {"TERM": "xterm", "NO_COLOR": "1"}, False),
        (True, {"TERM": "xterm", "NO_COLOR": ""}, True),  # no-color.org: empty means unset
        (True, {"TERM": "dumb"}, False),
        (False, {"TERM": "xterm"}, False),
    ],
)
def test_colour_wanted(tty: bool, env: dict[str, str], wanted: bool) -> None:
    assert tables.colour_wanted(FakeTerminal(tty), env) is wanted  # type: ignore[arg-type]


def run_in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the real command with its output on a pseudo-terminal; return what it printed."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletters", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the command has finished
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = process.wait()
    assert process.stderr is not None
    errors = process.stderr.read()
    process.stderr.close()
    assert code == 0, errors
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(library: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    args = ["-C", str(library), "plan", "--today", TODAY]
    coloured = run_in_terminal(args, env)
    assert "\x1b[" in coloured
    plain = run_in_terminal(args, env | {"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert plain.replace("\r\n", "\n") == PLAN_TEXT
    piped = CliRunner().invoke(cli, args, color=False)
    assert "\x1b[" not in piped.stdout
