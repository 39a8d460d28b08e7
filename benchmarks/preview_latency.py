"""Measure the preview's save-to-reload time on this machine (not a test: no timing asserts).

    .venv/bin/python benchmarks/preview_latency.py [ROUNDS]

Saves an article's title ROUNDS times in a temporary copy of the sample project, waits each time
until the open page shows it, and prints what the page reported: from the file's modification
time to the email frame's `load` event in Chromium, as measured by the server (/api/stats).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from newsletters.preview import PreviewServer

REPO = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "content", root / "content")
        shutil.copytree(REPO / "templates", root / "templates")
        article = root / "content/articles/migraine.md"
        original = article.read_text(encoding="utf-8")
        server = PreviewServer(root, port=0, log=lambda message: None)
        server.warm_up()
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page()
                page.goto(server.url + "issue/2026-11")
                email = page.frame_locator("#email-frame").locator("body")
                expect(email).to_contain_text("Migraine")
                for n in range(rounds):
                    title = f"Migraine edit number {n}"
                    article.write_text(
                        original.replace("Migraine: more than a bad headache", title),
                        encoding="utf-8",
                    )
                    expect(email).to_contain_text(title, timeout=10_000)
                    page.wait_for_function(
                        f"fetch('/api/stats').then(r => r.json())"
                        f".then(s => s.reload_ms.length > {n})",
                        timeout=10_000,
                    )
                browser.close()
            with urllib.request.urlopen(server.url + "api/stats") as response:
                stats = json.load(response)
        finally:
            server.close()
    samples = sorted(stats["reload_ms"])
    print(
        f"save -> reload, {len(samples)} saves: median {stats['median_reload_ms']:.0f} ms, "
        f"min {samples[0]:.0f} ms, max {samples[-1]:.0f} ms"
    )
    print(f"rebuild of the open page: median {stats['median_rebuild_ms']:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
