"""Scaffolds: `newsletter new article` and `newsletter new issue`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.errors import NewsletterError, Problems
from newsletters.load import load_project
from newsletters.model import ArticleMeta, IssueMeta, Project
from newsletters.pipeline import build
from newsletters.scaffold import NEEDED_TO_SEND
from newsletters.schema import field_docs
from newsletters.yamlfile import YamlMap, parse_yaml, read_front_matter

from .conftest import copy_sample

REPO = Path(__file__).resolve().parent.parent
PLANNER_FIXTURE = Path(__file__).parent / "fixtures" / "planner"


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample project (the repository's content/ and templates/), as cwd."""
    root = tmp_path / "sample"
    copy_sample(root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the planner's fixture library, as cwd."""
    root = tmp_path / "library"
    shutil.copytree(PLANNER_FIXTURE / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    monkeypatch.chdir(root)
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def load(root: Path) -> Project:
    problems = Problems()
    project = load_project(root, problems)
    assert project is not None, [p.format() for p in problems]
    return project


def comments(text: str) -> str:
    """The text of every comment line, joined with single spaces (as wrapped text reads)."""
    found = [line.lstrip("# ").rstrip() for line in text.splitlines() if line.startswith("#")]
    return " ".join(found)


# ---------------------------------------------------------------- new article


def test_new_article_has_every_field_documented_from_the_schema(sample: Path) -> None:
    code, out, err = run(sample, "new", "article", "sleep-and-pain", "--condition", "migraine")
    assert (code, err) == (0, "")
    path = sample / "content" / "articles" / "sleep-and-pain.md"
    assert "content/articles/sleep-and-pain.md" in out
    text = path.read_text()
    parsed = read_front_matter(path, Problems())
    assert parsed is not None and isinstance(parsed.meta, YamlMap)
    docs = field_docs(ArticleMeta)
    assert list(parsed.meta) == [name for name, *_ in docs]
    described = comments(text.split("---")[1])
    for name, kind, doc, required in docs:
        need = "required" if required else NEEDED_TO_SEND.get(name, "optional")
        assert f"{name} ({kind}, {need}): {doc}" in described
    # What the checks need before sending is never called optional.
    assert "reviewed_on (a date (YYYY-MM-DD), needed before sending: a medical review" in described
    assert parsed.meta["condition"] == "migraine"
    assert parsed.meta["title"].startswith("TODO")
    assert "TODO" in parsed.body


def test_new_article_parses_as_written_and_builds_once_filled(sample: Path) -> None:
    assert run(sample, "new", "article", "sleep-and-pain", "--condition", "migraine")[0] == 0
    article = sample / "content" / "articles" / "sleep-and-pain.md"
    project = load(sample)  # the placeholders are ordinary text: the file loads as written
    assert project.articles["sleep-and-pain"].meta.summary.startswith("TODO")

    article.write_text(
        article.read_text()
        .replace("TODO: the article's headline", "Sleep and migraine")
        .replace(
            "TODO: two or three sentences that make people want to read on.",
            "Poor sleep and migraine often go together. Here is what may help.",
        )
        .replace("reviewed_on:\n", "reviewed_on: 2026-11-01\n")
        .split("---\nTODO")[0]
        + "---\nMany people with migraine sleep badly. A steady bedtime may help.\n"
    )
    assert "TODO" not in re.sub(r"(?m)^#.*$", "", article.read_text())

    code, out, _ = run(sample, "new", "issue", "--today", "2026-11-24")
    assert code == 0 and "sleep-and-pain" in out
    issue = sample / "content" / "issues" / "2026-12.yaml"
    issue.write_text(
        issue.read_text()
        .replace("TODO: a subject line of 30 to 50 characters", "Sleep, migraine and you")
        .replace(
            "TODO: the inbox preview after the subject, 40 to 130 characters long",
            "Why a steady bedtime may help people who live with migraine.",
        )
        .replace("TODO: a short welcome, two or three sentences.", "Welcome to December.")
    )
    assert "TODO" not in re.sub(r"(?m)^#.*$", "", issue.read_text())

    _, built, problems = build(sample, ["2026-12"])
    assert [b.issue.id for b in built] == ["2026-12"]
    assert problems.errors == []
    assert built[0].issue.meta.featured == "sleep-and-pain"
    assert "Sleep and migraine" in built[0].html
    assert "A steady bedtime may help." in built[0].text


def test_new_article_with_a_title(sample: Path) -> None:
    run(sample, "new", "article", "sleep", "--condition", "migraine", "--title", 'Sleep: a "reset"')
    assert load(sample).articles["sleep"].meta.title == 'Sleep: a "reset"'


def test_new_article_refuses_to_overwrite(sample: Path) -> None:
    path = sample / "content" / "articles" / "migraine.md"
    before = path.read_bytes()
    code, out, err = run(sample, "new", "article", "migraine", "--condition", "migraine")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "Error: content/articles/migraine.md already exists; edit it, or choose another name"
    ]
    assert path.read_bytes() == before


def test_new_article_names_the_closest_condition(sample: Path) -> None:
    code, _, err = run(sample, "new", "article", "sleep", "--condition", "migrane")
    assert code == 1
    assert "no condition 'migrane'; did you mean 'migraine'?" in err
    assert len(err.strip().splitlines()) == 1
    assert not (sample / "content" / "articles" / "sleep.md").exists()


def test_new_article_lists_conditions_when_none_is_close(sample: Path) -> None:
    code, _, err = run(sample, "new", "article", "sleep", "--condition", "asthma")
    assert code == 1
    assert "known: chronic-pain, migraine, fibromyalgia, neuropathy, crps" in err


@pytest.mark.parametrize("name", ["Sleep", "sleep_pain", "sleep-", "sleep pain", "sleep--pain"])
def test_new_article_refuses_a_bad_name(sample: Path, name: str) -> None:
    code, _, err = run(sample, "new", "article", name, "--condition", "migraine")
    assert code == 1
    assert "lowercase letters, digits and dashes" in err
    assert sorted(p.name for p in (sample / "content" / "articles").iterdir()) == [
        "chronic-pain.md",
        "crps.md",
        "diabetic-neuropathy.md",
        "fibromyalgia.md",
        "migraine.md",
    ]


def test_new_article_outside_a_project(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "new", "article", "sleep", "--condition", "migraine")
    assert code == 1
    assert "is not a newsletter project" in err


# ---------------------------------------------------------------- new issue


def test_new_issue_suggests_from_the_history(library: Path) -> None:
    code, out, err = run(library, "new", "issue", "--today", "2026-09-20")
    assert (code, err) == (0, "")
    assert "neuropathy-101, fibro-exercise, pain-new, migraine-101" in out
    path = library / "content" / "issues" / "2026-10.yaml"
    issue = load(library).issues["2026-10"]
    assert issue.meta.featured == "neuropathy-101"
    assert issue.meta.articles == ("fibro-exercise", "pain-new", "migraine-101")
    assert str(issue.meta.date) == "2026-10-01"
    text = path.read_text()
    assert text.startswith(
        "# The October 2026 issue, drafted by 'newsletter new issue' on 2026-09-20."
    )
    expected_lines = [
        "#   Depression         never covered                      -> no article to suggest",
        "#   Neuropathy         last covered 2026-05 (5 months ago) -> neuropathy-101 (featured)",
        "#   Fibromyalgia       last covered 2026-07 (3 months ago) -> fibro-exercise",
        "#   Chronic pain       last covered 2026-08 (2 months ago) -> pain-new",
        "#   Migraine           last covered 2026-08 (2 months ago) -> migraine-101",
        "#   CRPS               last covered 2026-09 (1 month ago) -> no article to suggest",
        "featured: neuropathy-101  # Neuropathy: last covered 2026-05 (5 months ago)",
        "  - fibro-exercise  # Fibromyalgia: last covered 2026-07 (3 months ago)",
        "  - pain-new  # Chronic pain: last covered 2026-08 (2 months ago)",
        "  - migraine-101  # Migraine: last covered 2026-08 (2 months ago)",
    ]
    lines = text.splitlines()
    for line in expected_lines:
        assert line in lines
    said = comments(text)
    assert (
        "Articles used in the last 3 issues (2026-09, 2026-08, 2026-07) are left out: crps-101, "
        "fibro-101, migraine-triggers, pain-basics, pain-sleep." in said
    )
    assert "newsletter new article SLUG --condition depression" in said


def test_new_issue_has_every_field_documented_from_the_schema(library: Path) -> None:
    run(library, "new", "issue", "--today", "2026-09-20")
    text = (library / "content" / "issues" / "2026-10.yaml").read_text()
    data = parse_yaml(text, Path("x.yaml"), Problems())
    docs = field_docs(IssueMeta)
    assert list(data) == [name for name, *_ in docs]
    described = comments(text)
    for name, kind, doc, required in docs:
        assert f"{name} ({kind}, {'required' if required else 'optional'}): {doc}" in described


def test_new_issue_is_deterministic(library: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(library, other)
    run(library, "new", "issue", "2026-12", "--today", "2026-09-20")
    run(other, "new", "issue", "2026-12", "--today", "2026-09-20")
    first = (library / "content" / "issues" / "2026-12.yaml").read_text()
    assert first == (other / "content" / "issues" / "2026-12.yaml").read_text()
    assert "featured: neuropathy-101" in first


def test_new_issue_defaults_to_next_month(library: Path) -> None:
    code, out, _ = run(library, "new", "issue", "--today", "2026-12-31")
    assert code == 0
    assert "content/issues/2027-01.yaml" in out
    assert (library / "content" / "issues" / "2027-01.yaml").is_file()


def test_new_issue_with_fewer_articles(library: Path) -> None:
    run(library, "new", "issue", "--today", "2026-09-20", "--articles", "2")
    issue = load(library).issues["2026-10"]
    assert issue.article_slugs == ("neuropathy-101", "fibro-exercise")


def test_new_issue_refuses_to_overwrite(sample: Path) -> None:
    path = sample / "content" / "issues" / "2026-11.yaml"
    before = path.read_bytes()
    code, out, err = run(sample, "new", "issue", "2026-11", "--today", "2026-10-01")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "Error: content/issues/2026-11.yaml already exists; edit it, or choose another name"
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "december", "January"])
def test_new_issue_refuses_a_bad_month_as_a_command_line_mistake(sample: Path, month: str) -> None:
    code, _, err = run(sample, "new", "issue", month)
    assert code == 2  # a command-line mistake, as promised for every command
    assert err.strip().splitlines()[-1] == (
        f"Error: Invalid value for '[YYYY-MM]': '{month}' is not a month; write it as YYYY-MM, "
        "like 2027-01"
    )
    assert not (sample / "content" / "issues" / f"{month}.yaml").exists()


def test_new_issue_without_a_fresh_article_does_not_build_until_one_is_chosen(
    sample: Path,
) -> None:
    # Every sample article was used in November: nothing can be suggested for December.
    code, out, _ = run(sample, "new", "issue", "--today", "2026-11-24")
    assert code == 0 and "with: no articles (see the comments in the file)" in out
    path = sample / "content" / "issues" / "2026-12.yaml"
    featured = (
        "featured: TODO-choose-an-article  # no article was free to suggest: write its slug here"
    )
    assert featured in path.read_text()
    with pytest.raises(NewsletterError) as caught:
        build(sample, ["2026-12"])
    messages = [p.format(sample) for p in caught.value.problems]
    line = path.read_text().splitlines().index(featured)
    assert messages[0].startswith(
        f"content/issues/2026-12.yaml:{line + 1}: 'featured' is still the placeholder 'TODO"
    )


def test_new_issue_on_a_broken_project_reports_every_problem(sample: Path) -> None:
    (sample / "content" / "articles" / "crps.md").write_text("---\ntitle: x\n---\nText.\n")
    code, _, err = run(sample, "new", "issue", "--today", "2026-11-24")
    assert code == 1
    assert "content/articles/crps.md:2: 'condition' is missing" in err
    assert "content/articles/crps.md:2: 'summary' is missing" in err
    assert err.strip().endswith("New issue failed: 2 problems to fix.")
    assert not (sample / "content" / "issues" / "2026-12.yaml").exists()


def test_the_scaffolds_own_words_do_not_trip_the_health_checks(sample: Path) -> None:
    import json

    assert run(sample, "new", "article", "sleep-and-pain", "--condition", "migraine")[0] == 0
    issue = sample / "content" / "issues" / "2026-12.yaml"
    issue.write_text(
        "subject: Sleep and pain\npreheader: How sleep and pain are linked, and what may help.\n"
        "date: 2026-12-03\nfeatured: sleep-and-pain\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["-C", str(sample), "lint", "2026-12", "--format", "json"])
    findings = json.loads(result.stdout)["issues"][0]["findings"]
    rules = {f["rule"] for f in findings if f["path"] == "content/articles/sleep-and-pain.md"}
    assert "hygiene/placeholder" in rules  # the TODOs are caught...
    assert not {r for r in rules if r.startswith("health/")}  # ...its advice is not a claim
