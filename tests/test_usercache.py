"""The per-user cache never answers for other inputs, survives damage and concurrent writers,
and a build that uses it writes the same bytes as one that cannot."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newsletters import usercache

from .conftest import copy_sample

RULES = "premailer-rules"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(usercache.ENV_VARIABLE, str(folder))
    usercache.folder.cache_clear()
    yield folder
    usercache.folder.cache_clear()


def test_a_value_comes_back_only_for_its_own_key(cache: Path) -> None:
    usercache.store_json("kind", ["css", 1], {"rules": [1, 2]})
    assert usercache.load_json("kind", ["css", 1]) == {"rules": [1, 2]}
    assert usercache.load_json("kind", ["css", 2]) is None
    assert usercache.load_json("other", ["css", 1]) is None


def test_an_entry_renamed_over_another_key_is_not_believed(cache: Path) -> None:
    """The key is stored beside the value: a file at the wrong name answers nothing."""
    usercache.store_json("kind", "a", "value of a")
    usercache.store_json("kind", "b", "value of b")
    files = {json.loads(p.read_text())["value"]: p for p in (cache / "kind").glob("*.json")}
    files["value of a"].replace(files["value of b"])
    assert usercache.load_json("kind", "b") is None
    assert usercache.load_json("kind", "a") is None  # moved away


def test_damaged_entries_and_unusable_folders_are_skipped(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    usercache.store_json("kind", "k", [1])
    [entry] = (cache / "kind").glob("*.json")
    entry.write_text('{"key": ', encoding="utf-8")  # half-written
    assert usercache.load_json("kind", "k") is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(usercache.ENV_VARIABLE, str(blocker / "cache"))
    usercache.folder.cache_clear()
    usercache.store_json("kind", "k", [1])  # no exception
    assert usercache.load_json("kind", "k") is None


def test_concurrent_writers_leave_one_whole_entry(cache: Path) -> None:
    value = {"rules": ["x" * 1000] * 50}

    def write() -> None:
        for _ in range(20):
            usercache.store_json("kind", "same", value)
            assert usercache.load_json("kind", "same") in (None, value)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert usercache.load_json("kind", "same") == value
    assert [p.name for p in (cache / "kind").iterdir() if p.name.startswith(".new-")] == []


BUILD = """
import sys
from pathlib import Path
from newsletters import pipeline
_, [built], _ = pipeline.build(Path(sys.argv[1]))
sys.stdout.write(built.html_template)
"""


def build_html(root: Path, cache: Path) -> str:
    """A fresh process, as a user's build, with `cache` as its per-user cache."""
    env_run = subprocess.run(
        [sys.executable, "-c", BUILD, str(root)],
        capture_output=True,
        text=True,
        check=True,
        env={**_env(), usercache.ENV_VARIABLE: str(cache)},
    )
    return env_run.stdout


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_the_next_run_reads_the_rules_and_writes_the_same_bytes(
    tmp_path: Path, cache: Path
) -> None:
    root = copy_sample(tmp_path / "project")
    first = build_html(root, cache)
    [entry] = (cache / RULES).glob("*.json")
    stored = json.loads(entry.read_text(encoding="utf-8"))
    assert ".nl-prose p" in stored["key"]  # keyed by the template's CSS itself
    assert build_html(root, cache) == first  # from the cache
    entry.write_text("damaged", encoding="utf-8")
    assert build_html(root, cache) == first  # parsed again, and stored again
    assert json.loads(entry.read_text(encoding="utf-8"))["value"] == stored["value"]


def test_an_edited_template_css_is_never_answered_from_the_cache(
    tmp_path: Path, cache: Path
) -> None:
    root = copy_sample(tmp_path / "project")
    build_html(root, cache)
    base = root / "templates" / "base.mjml.j2"
    base.write_text(
        base.read_text(encoding="utf-8").replace(
            "font-size: 30px; line-height: 1.2;", "font-size: 31px; line-height: 1.2;"
        ),
        encoding="utf-8",
    )
    html = build_html(root, cache)
    assert "font-size:31px; line-height:1.2" in html
    assert "font-size:30px; line-height:1.2" not in html
    assert len(list((cache / RULES).glob("*.json"))) == 2
