"""`newsletter archive`: web versions, the index and the Atom feed as a static folder."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.archive import build_archive, write_archive
from newsletters.errors import NewsletterError

from .conftest import copy_sample

REPO = Path(__file__).resolve().parent.parent
BASE = "https://www.ketamineclinicwtx.example/newsletter/"
ATOM = "{http://www.w3.org/2005/Atom}"


def make_project(root: Path) -> Path:
    """The sample clinic with a second, later issue."""
    copy_sample(root)
    first = (root / "content/issues/2026-11.yaml").read_text()
    second = (
        first.replace("date: 2026-11-05", "date: 2026-12-03")
        .replace("When does pain become chronic?", "'Winter & pain: what to know'")
        .replace("featured: chronic-pain", "featured: migraine")
    )
    (root / "content/issues/2026-12.yaml").write_text(second)
    return root


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("clinic"))
    result = CliRunner().invoke(cli, ["-C", str(root), "archive"])
    assert result.exit_code == 0, result.output
    assert f"publish it at {BASE}" in result.output
    return root / "dist/archive"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links_of(path: Path) -> list[str]:
    parser = Links()
    parser.feed(path.read_text())
    return parser.links


def test_folder_layout(archive_dir: Path) -> None:
    names = sorted(str(p.relative_to(archive_dir)) for p in archive_dir.rglob("*") if p.is_file())
    pages = [n for n in names if not n.startswith("images/")]
    assert pages == [
        "2026-10/index.html",
        "2026-11/index.html",
        "2026-12/index.html",
        "feed.xml",
        "index.html",
    ]
    # the plated logo the emails show (logo.py), next to the other images
    assert "images/logo.plate.png" in names and "images/migraine.png" in names


def test_index_lists_issues_newest_first(archive_dir: Path) -> None:
    index = (archive_dir / "index.html").read_text()
    assert index.index("2026-12/index.html") < index.index("2026-11/index.html")
    assert "Winter &amp; pain: what to know" in index
    assert '<html lang="en" dir="ltr">' in index


def test_every_local_link_resolves(archive_dir: Path) -> None:
    pages = [archive_dir / "index.html", *archive_dir.glob("*/index.html")]
    checked = 0
    for page in pages:
        for link in links_of(page):
            parts = urlsplit(link)
            if parts.scheme or link.startswith("#"):
                continue
            target = (page.parent / parts.path).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page}: {link}"
            checked += 1
    assert checked >= 12  # index -> issues, feed; issues -> index, feed, images


def test_web_version_has_nothing_personal(archive_dir: Path) -> None:
    page = (archive_dir / "2026-11/index.html").read_text()
    assert "__NL_MERGE_" not in page
    assert "Hello there," in page
    assert "/newsletter/unsubscribe" not in page
    assert ">Unsubscribe<" not in page
    assert 'href="https://www.ketamineclinicwtx.example/">Subscribe to this newsletter</a>' in page
    assert 'href="../index.html">All issues of' in page
    assert f'<link rel="canonical" href="{BASE}2026-11/">' in page
    assert "nl-article" not in page
    # The same finishing as the email (finish.py): the clinic's links carry the issue's UTM.
    assert (
        '/conditions/crps?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2026-11"'
        in page
    )
    assert 'src="../images/logo.plate.png"' in page


def test_feed_parses_with_absolute_links(archive_dir: Path) -> None:
    feed = ET.parse(archive_dir / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == BASE
    assert feed.findtext(f"{ATOM}updated") == "2026-12-03T00:00:00Z"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == BASE + "feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Winter & pain: what to know",
        "When does pain become chronic?",
        "Migraine: more than a bad headache",
    ]
    for entry, issue in zip(entries, ("2026-12", "2026-11", "2026-10"), strict=True):
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href") == f"{BASE}{issue}/"
        assert entry.findtext(f"{ATOM}id") == f"{BASE}{issue}/"
        # The absolute link names a page the folder holds.
        relative = link.get("href", "").removeprefix(BASE)
        assert (archive_dir / relative / "index.html").is_file()


def test_archive_base_url_setting_wins_and_mismatch_is_warned(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    clinic = root / "content/clinic.yaml"
    clinic.write_text(
        clinic.read_text() + "\nexport:\n  archive_base_url: https://news.example.org/archive\n"
    )
    _, archive, problems = build_archive(root, tmp_path / "out")
    assert archive.base_url == "https://news.example.org/archive/"
    feed = ET.fromstring(archive.files["feed.xml"])
    assert feed.findtext(f"{ATOM}id") == "https://news.example.org/archive/"
    assert any("web_version_url" in p.message for p in problems.warnings)
    target = write_archive(archive)
    assert target == tmp_path / "out/archive"
    assert (target / "2026-12/index.html").is_file()


def test_archive_needs_a_base_url(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    clinic = root / "content/clinic.yaml"
    clinic.write_text(
        clinic.read_text().replace(
            "web_version_url: https://www.ketamineclinicwtx.example/newsletter/{issue}/",
            "web_version_url: https://www.ketamineclinicwtx.example/view?issue={issue}",
        )
    )
    with pytest.raises(NewsletterError) as caught:
        build_archive(root)
    assert "archive_base_url" in str(caught.value)
    result = CliRunner().invoke(cli, ["-C", str(root), "archive"])
    assert result.exit_code == 1
    assert "clinic.yaml:" in result.output and "archive_base_url" in result.output
    assert not (root / "dist").exists()
