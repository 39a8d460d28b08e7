#!/usr/bin/env python3
"""Refresh newsletters/data/caniemail.json from caniemail's feature files.

    python scripts/refresh-caniemail.py [CHECKOUT]

CHECKOUT is a local clone of https://github.com/hteumeuleu/caniemail (cloned into a temporary
folder when omitted: the only step of the project that uses the network, run by hand). Only the
features newsletters/compat.py detects and the clients it reports are kept, with the newest
test result per client, so the shipped file stays small and its diff reviewable. Run it, read
the diff, commit it with the data's date in the message.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletters.compat import CLIENTS, FEATURES  # noqa: E402

OUT = ROOT / "newsletters" / "data" / "caniemail.json"
LICENCE = ROOT / "newsletters" / "data" / "caniemail-LICENSE.txt"
REPO = "https://github.com/hteumeuleu/caniemail"


def _object(front: str, key: str) -> dict[str, object]:
    """caniemail's front matter holds JavaScript-like objects: bare keys, trailing commas."""
    start = re.search(rf"^{key}:\s*\{{", front, re.M)
    if start is None:
        return {}
    depth, i, quoted = 0, start.end() - 1, False
    for i in range(start.end() - 1, len(front)):
        char = front[i]
        if char == '"' and front[i - 1] != "\\":
            quoted = not quoted
        elif not quoted:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                break
    text = front[start.end() - 1 : i + 1]
    text = re.sub(r"(?m)^(\s*)([A-Za-z0-9_.-]+)\s*:", r'\1"\2":', text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return dict(json.loads(text))


def _field(front: str, key: str) -> str:
    match = re.search(rf'^{key}:\s*"?(.*?)"?\s*$', front, re.M)
    return match.group(1) if match else ""


def feature(path: Path) -> dict[str, object]:
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.S)
    front = match.group(1) if match else ""
    stats = _object(front, "stats")
    notes = _object(front, "notes_by_num")
    support = {}
    for family, platform, _ in CLIENTS:
        versions = stats.get(family, {}).get(platform)  # type: ignore[attr-defined]
        if not versions:
            continue
        latest = str(list(versions.values())[-1])
        flag = latest.split()[0]
        numbers = re.findall(r"#(\d+)", latest)
        support[f"{family}.{platform}"] = {
            "support": flag,
            "notes": [str(notes[n]) for n in numbers if n in notes],
        }
    return {
        "title": _field(front, "title"),
        "last_test_date": _field(front, "last_test_date"),
        "url": f"https://www.caniemail.com/features/{path.stem}/",
        "support": support,
    }


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            checkout = Path(argv[0])
        else:
            checkout = Path(tmp) / "caniemail"
            subprocess.run(["git", "clone", "--depth=1", REPO, str(checkout)], check=True)
        commit = subprocess.run(
            ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        licence_text = (checkout / "LICENSE").read_text(encoding="utf-8")
        licence = licence_text.splitlines()[0].strip()
        data = {
            "source": REPO,
            "commit": commit[0],
            "date": commit[1],
            "licence": licence,
            "attribution": "Data from caniemail.com by Rémi Parmentier and contributors.",
            "features": {f: feature(checkout / "_features" / f"{f}.md") for f in sorted(FEATURES)},
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    LICENCE.write_text(
        f"caniemail data ({OUT.relative_to(ROOT)}) comes from {REPO}\n"
        f"at commit {data['commit']} ({data['date']}), under the licence below.\n"
        f"{data['attribution']}\n\n{licence_text}",
        encoding="utf-8",
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) from {data['commit']} ({data['date']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
