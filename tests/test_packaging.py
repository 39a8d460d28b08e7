"""Issue 16 part 1: each platform's package, read the way its importer reads it."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.export import PLATFORMS, export
from newsletters.packaging import PACKAGING, PUBLISHED, flat_names, point_images

from .conftest import claim_sample, copy_sample

REPO = Path(__file__).resolve().parent.parent
BASE = "https://www.ketamineclinicwtx.com/newsletter/"
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    root = claim_sample(copy_sample(tmp_path_factory.mktemp("clinic")))
    result, _ = export(root, ["2026-11"], list(PLATFORMS))
    return {item.platform: item.files for item in result}


def image_refs(html: str) -> set[str]:
    """Every image address the HTML makes a mail client load: img src, CSS url(), background."""
    tree = lxml.html.fromstring(html)
    refs = {str(src) for src in tree.xpath("//img/@src | //*/@background")}
    refs |= set(re.findall(r"url\(\s*['\"]?([^'\")]+)", html))
    return refs


def unzip(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_mailchimp_zip_is_flat_with_every_image_beside_the_html(
    packages: dict[str, dict[str, bytes]],
) -> None:
    files = unzip(packages["mailchimp"]["2026-11-mailchimp.zip"])
    assert all("/" not in name and "\\" not in name for name in files)
    html_files = [n for n in files if n.endswith(".html")]
    assert html_files == ["email.html"]
    others = set(files) - {"email.html"}
    # Nothing the importer would reject: only the HTML and images.
    assert others and all(n.lower().endswith(IMAGE_TYPES) for n in others)
    refs = image_refs(files["email.html"].decode())
    local = {r for r in refs if not r.startswith(("https:", "http:", "data:", "cid:"))}
    # Every local image the HTML uses is in the zip under the relative name the HTML uses...
    assert local and local <= set(files)
    # ...no image still points at images_base_url (Mailchimp would not host it)...
    assert not [r for r in refs if r.startswith(BASE)]
    # ...and the bytes are the project's files.
    dark = (REPO / "content/images/logo-dark.png").read_bytes() + b"clinic's own"
    assert files["logo-dark.png"] == dark
    assert "logo.plate.png" in files  # the logo as the email shows it (logo.py), made at build
    assert others == local  # nothing unused travels


def test_mailchimp_folder_html_keeps_absolute_addresses_for_pasting(
    packages: dict[str, dict[str, bytes]],
) -> None:
    html = packages["mailchimp"]["email.html"].decode()
    assert f'src="{BASE}images/logo.plate.png"' in html
    readme = packages["mailchimp"]["README.txt"].decode()
    assert "inside 2026-11-mailchimp.zip" in readme
    assert "README.txt" not in unzip(packages["mailchimp"]["2026-11-mailchimp.zip"])


def test_campaign_monitor_images_zip_matches_the_relative_paths(
    packages: dict[str, dict[str, bytes]],
) -> None:
    files = packages["campaign-monitor"]
    images = unzip(files["2026-11-campaign-monitor-images.zip"])
    refs = image_refs(files["email.html"].decode())
    local = {r for r in refs if not r.startswith(("https:", "http:", "data:"))}
    assert local and local == set(images)
    assert all(name.startswith("images/") for name in images)
    assert (
        images["images/logo-dark.png"]
        == (REPO / "content/images/logo-dark.png").read_bytes() + b"clinic's own"
    )


@pytest.mark.parametrize("platform", sorted(n for n, p in PACKAGING.items() if p.kind == PUBLISHED))
def test_other_platforms_use_absolute_addresses_and_say_publish_first(
    packages: dict[str, dict[str, bytes]], platform: str
) -> None:
    files = packages[platform]
    refs = image_refs(files["email.html"].decode())
    assert refs and all(r.startswith("https://") for r in refs)
    # Each image the email loads from images_base_url is in to-publish/ at the same place.
    published = {n.removeprefix("to-publish/") for n in files if n.startswith("to-publish/")}
    wanted = {r.removeprefix(BASE) for r in refs if r.startswith(BASE)}
    assert wanted and wanted == published
    readme = files["README.txt"].decode()
    assert f"publish the 7 files in to-publish/ at {BASE}" in readme
    assert "cannot be checked offline" in readme
    bundle = unzip(files[f"2026-11-{platform}.zip"])
    assert set(bundle) == {"email.html", "email.txt", "README.txt"}
    meta = json.loads(files["meta.json"])
    assert meta["package"] == PUBLISHED
    assert set(meta["files"]) == set(files)


def test_flat_names_never_collide() -> None:
    names = flat_names(["images/a/logo.png", "images/b/logo.png", "images/logo.png"])
    assert len(set(names.values())) == 3
    assert all("/" not in n for n in names.values())
    assert flat_names(["images/email.html"])["images/email.html"] != "email.html"


def test_point_images_replaces_whole_addresses_only() -> None:
    html = f'<img src="{BASE}images/a.png"><img src="{BASE}images/a.png.webp">'
    out = point_images(html, BASE, {"images/a.png": "a.png"})
    assert out == f'<img src="a.png"><img src="{BASE}images/a.png.webp">'


def test_export_prints_next_steps_and_takes_any_case(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "p"))
    result = CliRunner().invoke(cli, ["-C", str(root), "export", "--platform", "SendGrid"])
    assert result.exit_code == 0, result.output
    assert "Next steps for SendGrid" in result.output
    assert "Subject:   When does pain become chronic?" in result.output
    assert "Preheader: " in result.output
    assert "cannot be checked offline" in result.output
    readme = (root / "dist/2026-11/export/sendgrid/README.txt").read_text()
    assert readme.splitlines()[0] == "Next steps for SendGrid (Marketing Campaigns) (2026-11):"
    assert readme.strip() in result.output.replace("\r", "")


@pytest.mark.parametrize("typed", ["Constant Contact", "constant-contact", "HUBSPOT"])
def test_unsupported_platform_points_to_html(tmp_path: Path, typed: str) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "export", "--platform", typed])
    assert result.exit_code == 2
    assert "use --platform html" in result.output
    assert "Traceback" not in result.output


def test_unknown_platform_lists_the_choices(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "export", "--platform", "mailchump"])
    assert result.exit_code == 2
    assert "mailchimp" in result.output and "use html" in result.output


def test_a_second_export_leaves_no_stale_files(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "p"))
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(root), "export", "--platform", "brevo"]).exit_code == 0
    stale = root / "dist/2026-11/export/brevo/to-publish/images/old.png"
    stale.write_bytes(b"x")
    assert runner.invoke(cli, ["-C", str(root), "export", "--platform", "brevo"]).exit_code == 0
    assert not stale.exists()


def test_mailchimp_is_told_about_images_it_does_not_host(tmp_path: Path) -> None:
    root = claim_sample(copy_sample(tmp_path / "p"))
    article = root / "content/articles/migraine.md"
    picture = root / "content/images/migraine.png"
    (root / "content/images/migraine.webp").write_bytes(picture.read_bytes())
    article.write_text(article.read_text().replace("images/migraine.png", "images/migraine.webp"))
    result, _ = export(root, ["2026-11"], ["mailchimp"])
    told = "images/migraine.webp: Mailchimp hosts JPG, PNG and GIF"
    assert any(told in note for note in result[0].notes)


@pytest.fixture(scope="module")
def odd_name_packages(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, dict[str, bytes]]]:
    """The sample with an article picture named the way people name files: spaces,
    parentheses, an accent."""
    root = claim_sample(copy_sample(tmp_path_factory.mktemp("odd")))
    article = root / "content/articles/chronic-pain.md"
    text = article.read_text(encoding="utf-8")
    assert "image: images/chronic-pain.png" in text
    odd = root / "content/images/Café photo (1).png"
    odd.write_bytes((root / "content/images/chronic-pain.png").read_bytes() + b"odd one")
    article.write_text(
        text.replace("image: images/chronic-pain.png", 'image: "images/Café photo (1).png"'),
        encoding="utf-8",
    )
    result, _ = export(root, ["2026-11"], ["mailchimp", "campaign-monitor", "brevo"])
    return root, {item.platform: item.files for item in result}


def test_an_image_with_spaces_and_brackets_travels_in_every_package(
    odd_name_packages: tuple[Path, dict[str, dict[str, bytes]]],
) -> None:
    root, packages = odd_name_packages
    picture = (root / "content/images/Café photo (1).png").read_bytes()
    safe = re.compile(r"[A-Za-z0-9._/-]+")  # Mailchimp: no spaces or special characters

    flat = unzip(packages["mailchimp"]["2026-11-mailchimp.zip"])
    refs = image_refs(flat["email.html"].decode())
    assert not [r for r in refs if r.startswith(BASE)]  # Mailchimp would host none of those
    local = {r for r in refs if not r.startswith("https:")}
    assert local == set(flat) - {"email.html"}  # every image the HTML loads is beside it
    assert all(safe.fullmatch(name) for name in flat)
    assert picture in flat.values()

    monitor = packages["campaign-monitor"]
    images = unzip(monitor["2026-11-campaign-monitor-images.zip"])
    local = {r for r in image_refs(monitor["email.html"].decode()) if not r.startswith("https:")}
    assert local == set(images) and all(safe.fullmatch(name) for name in images)
    assert picture in images.values()

    brevo = packages["brevo"]
    assert brevo["to-publish/images/Café photo (1).png"] == picture
    wanted = {r for r in image_refs(brevo["email.html"].decode()) if r.startswith(BASE)}
    assert f"{BASE}images/Caf%C3%A9%20photo%20%281%29.png" in wanted  # one token, decodes back
