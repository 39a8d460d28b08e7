"""Each YAML and front matter mistake a coordinator makes, reported in plain words at the line
where it was typed, with the fix, and counted once (no false second problem)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli

ISSUE = "content/issues/2026-11.yaml"
CLINIC = "content/clinic.yaml"
MIGRAINE = "content/articles/migraine.md"


def change(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def build(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["-C", str(root), "build", *args])
    text = result.stderr.replace(f"{root.resolve()}/", "")
    return result.exit_code, text.splitlines()


MISTAKES = {
    "tab": (
        CLINIC,
        "\n  name: Ketamine Clinic of West Texas\n",
        "\n\tname: Ketamine Clinic of West Texas\n",
        f"{CLINIC}:16: a tab is here; YAML takes only spaces (to indent and after ':'): replace "
        "the tab with spaces",
    ),
    "second-colon": (
        ISSUE,
        "subject: When does pain become chronic?",
        "subject: Chronic pain: when does it start?",
        f"{ISSUE}:2: a second ':' is inside this value, and YAML reads 'word: ' as a new field; "
        'put the value in double quotes: subject: "Chronic pain: when does it start?"',
    ),
    "curly-quotes": (
        ISSUE,
        "subject: When does pain become chronic?",
        "subject: “Chronic pain: when does it start?”",
        f"{ISSUE}:2: Word's curly quotes (“ ” ‘ ’) do not quote anything in YAML; type straight "
        'quotes instead: subject: "Chronic pain: when does it start?"',
    ),
    "apostrophe-in-single-quotes": (
        ISSUE,
        "subject: When does pain become chronic?",
        "subject: 'Don't let pain become chronic'",
        f"{ISSUE}:2: an apostrophe ends the single-quoted value early; use double quotes: "
        'subject: "Don\'t let pain become chronic" (or write the apostrophe twice: '
        "subject: 'Don''t let pain become chronic')",
    ),
    "hash-colour": (
        CLINIC,
        '  primary: "#1F5F8B"',
        "  primary: #B5462E",
        f"{CLINIC}:69: 'primary' is empty because '#' starts a comment in YAML; put the value in "
        'quotes: primary: "#B5462E"',
    ),
    "hash-subject": (
        ISSUE,
        "subject: When does pain become chronic?",
        "subject: #1 tip for chronic pain",
        f"{ISSUE}:2: 'subject' is empty because '#' starts a comment in YAML; put the value in "
        'quotes: subject: "#1 tip for chronic pain"',
    ),
    "unclosed-quote-in-front-matter": (
        MIGRAINE,
        'title: "Migraine: more than a bad headache"',
        'title: "Migraine: more than a bad headache',
        f'{MIGRAINE}:2: this double quote is never closed: end the value with " on this line '
        "(a value may not run over several lines)",
    ),
    "unclosed-quote-in-issue": (
        ISSUE,
        "subject: When does pain become chronic?",
        'subject: "When does pain become chronic?',
        f'{ISSUE}:2: this double quote is never closed: end the value with " on this line '
        "(a value may not run over several lines)",
    ),
    "indented-too-far": (
        ISSUE,
        "featured: chronic-pain\n",
        "featured: chronic-pain\n  layout: digest\n",
        f"{ISSUE}:6: this line is indented more than the line above it, so YAML reads it as part "
        "of that value; start it in the same column as the other fields",
    ),
}


QUOTED = {
    "curly": ("subject: “When does pain become chronic?”", "is wrapped in Word's curly quotes"),
    "straight-inside": (
        "subject: '\"When does pain become chronic?\"'",
        "is wrapped in quote marks that readers will see",
    ),
    "stray": (
        'subject: When does pain become chronic?"',
        'ends with a stray quote mark (") that readers will see',
    ),
}


@pytest.mark.parametrize("case", QUOTED)
def test_quote_marks_readers_would_see_are_a_warning(project: Path, case: str) -> None:
    new, words = QUOTED[case]
    change(project, ISSUE, "subject: When does pain become chronic?", new)
    code, lines = build(project, "2026-11")
    assert code == 0
    assert lines[0].startswith(f"{ISSUE}:2: warning: 'subject' {words}")


def test_raw_html_pasted_into_markdown_is_a_warning(project: Path) -> None:
    change(
        project,
        MIGRAINE,
        "Migraine affects over a billion",
        '<span style="x">Migraine</span> affects over a billion',
    )
    code, lines = build(project, "2026-11")
    assert code == 0
    assert lines[0] == (
        f"{MIGRAINE}:23: warning: raw HTML (<span>) is shown to readers as text, not as "
        "formatting; use Markdown instead (**bold**, *italic*, [link](https://...))"
    )


MESSAGES = {
    "condition-display-name": (
        MIGRAINE,
        "condition: migraine",
        "condition: Migraine",
        f"{MIGRAINE}:3: unknown condition 'Migraine'; write its key: condition: migraine",
    ),
    "condition-typo": (
        MIGRAINE,
        "condition: migraine",
        "condition: migrane",
        f"{MIGRAINE}:3: unknown condition 'migrane'; did you mean 'migraine'?",
    ),
    "condition-unknown": (
        MIGRAINE,
        "condition: migraine",
        "condition: back-pain",
        f"{MIGRAINE}:3: unknown condition 'back-pain'; use one of: chronic-pain, migraine, "
        "fibromyalgia, neuropathy, crps (or add it to clinic.yaml's conditions)",
    ),
    "image-typo": (
        MIGRAINE,
        "image: images/migraine.png",
        "image: images/migriane.png",
        f"{MIGRAINE}:7: image 'images/migriane.png' not found in content/; did you mean "
        "'images/migraine.png'?",
    ),
    "windows-path": (
        MIGRAINE,
        "image: images/migraine.png",
        "image: C:\\Users\\Maria\\Pictures\\back-pain.jpg",
        f"{MIGRAINE}:7: 'image': 'C:\\Users\\Maria\\Pictures\\back-pain.jpg' is a path on your "
        "computer, which readers cannot see; copy the file into content/images/ and write: "
        "images/back-pain.jpg",
    ),
    "no-such-day": (
        ISSUE,
        "date: 2026-11-05",
        "date: 2026-11-31",
        f"{ISSUE}:4: 'date': '2026-11-31' is not a date: November 2026 has 30 days",
    ),
    "date-in-another-month": (
        ISSUE,
        "date: 2026-11-05",
        "date: 2026-12-05",
        f"{ISSUE}:4: the date 2026-12-05 is not in 2026-11, the month of the file's name; fix the "
        "date, or rename the file to 2026-12.yaml",
    ),
    "featured-placeholder": (
        ISSUE,
        "featured: chronic-pain",
        "featured: TODO-choose-an-article",
        f"{ISSUE}:5: 'featured' is still the placeholder 'TODO-choose-an-article'; write the name "
        "of an article in content/articles/ (without .md), e.g. featured: chronic-pain",
    ),
}


@pytest.mark.parametrize("mistake", [*MISTAKES, *MESSAGES])
def test_each_mistake_is_one_problem_in_plain_words_with_the_fix(
    project: Path, mistake: str
) -> None:
    """The YAML mistakes, then the content ones (MESSAGES, below): exact text, file and line."""
    name, old, new, expected = {**MISTAKES, **MESSAGES}[mistake]
    change(project, name, old, new)
    code, lines = build(project, "2026-11")
    assert code == 1
    assert lines == [expected, "Build failed: 1 problem to fix."]
