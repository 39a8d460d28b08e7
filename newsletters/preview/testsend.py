"""The preview's "Send a test" button: the issue to a few addresses, from the issue page.

Offered only when the preview listens on loopback. A request must carry the page's session
token (a random value made when the preview starts, written only into its own pages), come
from the preview's own origin (Origin header) to one of its loopback names (Host header, checked
for every request by the server), and be JSON (which a cross-site form cannot send without a
preflight the preview never answers). The addresses typed are remembered in
dist/.test-addresses for next time. An issue with open problems (check errors, placeholders)
still goes out as a draft proof, marked the one way draft.py marks every proof.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import NewsletterError
from ..paths import ProjectPaths

MAX_BODY = 4096
MAX_ADDRESSES = 5
REMEMBERED = ".test-addresses"


@dataclass(frozen=True)
class Outcome:
    status: int  # HTTP status for the page
    ok: bool
    lines: tuple[str, ...]
    draft: bool = False

    def json(self) -> bytes:
        return json.dumps({"ok": self.ok, "lines": list(self.lines), "draft": self.draft}).encode()


def allowed_origin(origin: str | None, host: str | None) -> bool:
    """The request comes from a page of this preview: Origin is http://<the Host it asked>."""
    return bool(origin and host and origin == f"http://{host}")


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def remembered(root: Path) -> str:
    path = ProjectPaths.of(root).out / REMEMBERED
    try:
        text = path.read_text(encoding="utf-8")[:1000]
    except (OSError, UnicodeDecodeError):
        return ""
    return " ".join(text.split())


def _remember(root: Path, addresses: list[str]) -> None:
    from ..write import write_atomic

    with contextlib.suppress(OSError):  # remembering is a convenience; the test went out
        write_atomic(ProjectPaths.of(root).out / REMEMBERED, ", ".join(addresses) + "\n")


def parse_addresses(text: str) -> list[str]:
    return [a for a in re.split(r"[\s,;]+", text.strip()) if a]


def send_test(root: Path, issue: str, body: bytes, env: Mapping[str, str] | None = None) -> Outcome:
    """Parse the request body, send the test, and say what happened in plain lines."""
    from ..delivery import run

    try:
        data = json.loads(body[:MAX_BODY])
        to = str(data["to"]) if isinstance(data, dict) else ""
    except (ValueError, KeyError, UnicodeDecodeError, RecursionError):  # [[[[... nests
        return Outcome(400, False, ("The request was not understood.",))
    addresses = parse_addresses(to)
    if not addresses:
        return Outcome(400, False, ("Type at least one email address.",))
    if len(addresses) > MAX_ADDRESSES:
        return Outcome(400, False, (f"At most {MAX_ADDRESSES} addresses for a test.",))
    try:
        run.check_test_addresses(addresses)
        prepared = run.prepare(root, issue, proof=True)  # open problems: marked as a draft
        draft_lines = prepared.open_problems
        transport = run.transport_from_env(env, project=prepared.project)
        try:
            results = run.test_send(prepared, addresses, transport, env)
        finally:
            transport.close()
    except NewsletterError as exc:
        return Outcome(200, False, tuple(p.format(root) for p in exc.problems))
    _remember(root, addresses)
    lines = [
        f"{'Sent' if ok else 'Not sent'} to {address}: {reply}" for address, reply, ok in results
    ]
    if draft_lines:
        lines.append(
            f"Marked as a draft: {len(draft_lines)} open problem(s) to fix before the list send."
        )
    return Outcome(200, all(ok for _, _, ok in results), tuple(lines), bool(draft_lines))
