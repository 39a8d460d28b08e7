"""The one finishing step (finish.py): the same links, UTM and greeting in every destination.

A real aiosmtpd server receives what `newsletter send` sends; the exports, archive and build
are the CLI's own output.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletters.__main__ import cli
from newsletters.export import PLATFORMS
from newsletters.yamledit import set_keys

from .conftest import claim_sample, copy_sample
from .servers import smtp_server

SECRET = "test-secret-0123456789abcdef"
UTM = re.compile(r"https?://[^\s\"'<>]*utm_[^\s\"'<>]*")


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        yield controller.port, inbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "clinic"
    return claim_sample(copy_sample(root))


def newsletter(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("NEWSLETTER_")}
    result = CliRunner().invoke(cli, ["-C", str(project), *args], env={**clean, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.output


def send_to_list(project: Path, port: int, rows: str) -> None:
    subscribers = project / "subscribers.csv"
    subscribers.write_text("email,first_name\n" + rows, encoding="utf-8")
    clinic = project / "content/clinic.yaml"  # a list send must know how opt-outs come back
    text = set_keys(
        clinic.read_text(encoding="utf-8"), "send", {"website_handles_opt_outs": True}, clinic
    )
    clinic.write_text(text, encoding="utf-8")
    env = {
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET,
    }
    newsletter(project, "send", "2026-11", "--list", str(subscribers), "--confirm", env=env)


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    text, html = (part.get_content() for part in message.iter_parts())
    return text, html


def test_a_sent_message_carries_the_mailchimp_exports_utm_links(
    project: Path, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    send_to_list(project, port, "ana@example.com,Ana\n")
    newsletter(project, "export", "2026-11", "--platform", "mailchimp")
    folder = project / "dist/2026-11/export/mailchimp"
    exported_html = (folder / "email.html").read_text(encoding="utf-8")
    exported_text = (folder / "email.txt").read_text(encoding="utf-8")
    (message,) = inbox.messages
    sent_text, sent_html = bodies(message)

    sent_links = UTM.findall(sent_html)
    assert len(sent_links) >= 10  # articles, conditions, the clinic's home page
    assert sent_links == UTM.findall(exported_html)  # same links, same order, same parameters
    assert UTM.findall(sent_text) == UTM.findall(exported_text)
    assert any("utm_content=migraine" in link for link in sent_links)
    assert all("utm_campaign=2026-11" in link for link in sent_links)
    # Merge-tag links never get UTM: the reader's unsubscribe link is as the clinic set it.
    assert not any("unsubscribe" in link for link in sent_links)


def test_utm_false_in_clinic_yaml_leaves_every_destination_untagged(
    project: Path, smtp: tuple[int, Inbox]
) -> None:
    clinic = project / "content/clinic.yaml"
    clinic.write_text(
        clinic.read_text(encoding="utf-8") + "\nexport:\n  utm: false\n", encoding="utf-8"
    )
    port, inbox = smtp
    send_to_list(project, port, "ana@example.com,Ana\n")
    newsletter(project, "build", "2026-11")
    newsletter(project, "export", "2026-11", "--platform", "all")
    newsletter(project, "archive")
    (message,) = inbox.messages
    documents = [*bodies(message)]
    documents += [p.read_text(encoding="utf-8") for p in (project / "dist").rglob("*.html")]
    documents += [p.read_text(encoding="utf-8") for p in (project / "dist").rglob("*.txt")]
    assert len(documents) > 20
    assert not any("utm_" in doc for doc in documents)


def test_fallback_first_name_reaches_every_destination(
    project: Path, smtp: tuple[int, Inbox]
) -> None:
    clinic = project / "content/clinic.yaml"
    clinic.write_text(
        clinic.read_text(encoding="utf-8") + "\nsend:\n  fallback_first_name: friend\n",
        encoding="utf-8",
    )
    newsletter(project, "build", "2026-11")
    for name in ("email.html", "email.txt"):
        built = (project / "dist/2026-11" / name).read_text(encoding="utf-8")
        assert "Hello friend," in built and "there" not in built

    newsletter(project, "export", "2026-11", "--platform", "all")
    exports = project / "dist/2026-11/export"
    for platform in PLATFORMS.values():
        folder = exports / platform.name
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        tag = meta["tags"]["first_name"]
        if platform.name == "mailgun":  # no fallback syntax: its note says so
            assert tag == "%recipient.first_name%"
        else:
            assert "friend" in tag and "there" not in tag, platform.name
        for name in ("email.html", "email.txt"):
            doc = (folder / name).read_text(encoding="utf-8")
            assert tag in doc and "there" not in doc, (platform.name, name)
            assert "there" not in " ".join(meta["notes"])
    eml = (exports / "eml/2026-11.eml").read_bytes()
    assert "Hello friend," in bodies(email.message_from_bytes(eml, policy=email.policy.default))[0]  # type: ignore[arg-type]

    newsletter(project, "archive")
    page = (project / "dist/archive/2026-11/index.html").read_text(encoding="utf-8")
    assert "Hello friend," in page

    port, inbox = smtp
    send_to_list(project, port, "ana@example.com,Ana\ncarl@example.com,\ndora@example.com,  \n")
    greetings = sorted(
        re.search(r"Hello ([^,]+),", bodies(m)[0]).group(1)  # type: ignore[union-attr]
        for m in inbox.messages
    )
    assert greetings == ["Ana", "friend", "friend"]
    for message in inbox.messages:
        assert "Hello there" not in bodies(message)[1]


@pytest.mark.parametrize("value", ['dear "friend"', "friend}}", "[friend]", "*|FNAME|*", "x'y"])
def test_a_fallback_that_would_break_a_platforms_tag_is_refused(project: Path, value: str) -> None:
    clinic = project / "content/clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    clinic.write_text(text + f"\nsend:\n  fallback_first_name: {json.dumps(value)}\n")
    line = text.count("\n") + 3
    result = CliRunner().invoke(cli, ["-C", str(project), "build"])
    assert result.exit_code == 1
    assert f"clinic.yaml:{line}: " in result.output
    assert "letters, digits, spaces, dots and hyphens" in result.output
    assert "Traceback" not in result.output


def test_the_zip_holds_the_tagged_links_too(project: Path) -> None:
    newsletter(project, "export", "2026-11", "--platform", "sendgrid")
    folder = project / "dist/2026-11/export/sendgrid"
    with zipfile.ZipFile(folder / "2026-11-sendgrid.zip") as archive:
        inside = archive.read("email.html").decode("utf-8")
    assert inside == (folder / "email.html").read_text(encoding="utf-8")
    assert "utm_content=crps" in inside
