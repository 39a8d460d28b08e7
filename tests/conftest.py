"""Shared test fixtures: the sample project, the CLI runner, golden files, and no network."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff before committing).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
            raise AssertionError(f"a test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def private_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The per-user cache (newsletters/usercache.py) of this test session, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSLETTER_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture(autouse=True, scope="session")
def no_resident_process() -> Iterator[None]:
    """The suite's many `newsletter` subprocesses run in-process: no background process is
    started or used (newsletters/entry.py), except by tests/test_resident.py's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSLETTER_RESIDENT", "0")
        yield


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Builds, previews and tests never leave the machine; loopback is allowed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _loopback_only)
        yield


@pytest.fixture(autouse=True)
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own file keychain; the real one is never touched."""
    import keyring

    from .keyring_backend import VARIABLE, FileKeyring

    path = tmp_path / "keyring.json"
    monkeypatch.setenv(VARIABLE, str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


def copy_sample(target: Path) -> Path:
    """A private copy of the sample project (content/ and templates/) at `target`."""
    for part in ("content", "templates"):
        shutil.copytree(ROOT / part, target / part)
    return target


def claim_sample(root: Path) -> Path:
    """The sample at `root` with its placeholders replaced (benchmarks/synthetic.py owns how),
    as a clinic ready to export and send has it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_synthetic", ROOT / "benchmarks" / "synthetic.py"
    )
    assert spec is not None and spec.loader is not None
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    result: Path = synthetic.claim_sample(root)
    return result


OPT_OUTS_BY_WEBSITE = "  website_handles_opt_outs: true\n"


def sending_clinic(root: Path, send_lines: str = OPT_OUTS_BY_WEBSITE) -> Path:
    """A claimed copy of the sample at `root` whose clinic.yaml ends with a `send:` block of
    `send_lines`: a list send refuses placeholders and needs to know how opt-outs come back."""
    claim_sample(copy_sample(root))
    with (root / "content" / "clinic.yaml").open("a", encoding="utf-8") as clinic:
        clinic.write("\nsend:\n" + send_lines)
    return root


def sample_issues() -> dict[str, str]:
    """The sample project's issue for each layout (layout -> issue name), read from content/."""
    found = {}
    for path in sorted((ROOT / "content" / "issues").glob("*.yaml")):
        match = re.search(r"^layout:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
        found[match.group(1) if match else "digest"] = path.stem
    return found


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """The sample's issues built in memory, by layout (BuiltIssue values)."""
    from newsletters.pipeline import build

    _, issues, _ = build(ROOT, list(sample_issues().values()))
    return {issue.issue.meta.layout: issue for issue in issues}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (skipped where it is missing)."""
    from newsletters.screenshots import BrowserMissing, launch

    try:
        with launch() as chromium:
            yield chromium
    except BrowserMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the sample project that a test may change."""
    return copy_sample(tmp_path / "project")
