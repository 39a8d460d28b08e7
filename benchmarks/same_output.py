"""Prove that a speed change changed no output byte.

    python benchmarks/same_output.py save /tmp/before     # before the change
    python benchmarks/same_output.py compare /tmp/before  # after it: exit 1 on any difference

Builds the sample issue and synthetic issues of 1, 6, 25 and 100 articles with the
`newsletter build` command (a fresh process each, as a user runs it) and records the SHA-256
of every file written under dist/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import REPO, make_project

SIZES = (1, 6, 25, 100)


def newsletter_command() -> list[str]:
    script = Path(sys.executable).parent / "newsletter"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "newsletters"]


def build_hashes(work: Path) -> dict[str, str]:
    projects = {"sample": work / "sample"}
    shutil.copytree(REPO / "content", projects["sample"] / "content")
    shutil.copytree(REPO / "templates", projects["sample"] / "templates")
    for size in SIZES:
        projects[f"synthetic-{size}"] = make_project(work / f"synthetic-{size}", size)
    hashes = {}
    for name, root in projects.items():
        subprocess.run(
            [*newsletter_command(), "-C", str(root), "build"], check=True, capture_output=True
        )
        for path in sorted((root / "dist").rglob("*")):
            if path.is_file():
                rel = f"{name}/{path.relative_to(root / 'dist')}"
                hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print(__doc__)
        return 2
    action, folder = argv[0], Path(argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        hashes = build_hashes(Path(tmp))
    record = folder / "hashes.json"
    if action == "save":
        folder.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"saved {len(hashes)} file hashes to {record}")
        return 0
    before = json.loads(record.read_text(encoding="utf-8"))
    changed = sorted(k for k in before.keys() | hashes.keys() if before.get(k) != hashes.get(k))
    for name in changed:
        print(f"DIFFERENT: {name}")
    print(f"{len(hashes)} files compared, {len(changed)} different")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
