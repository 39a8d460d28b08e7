"""Commands that install extras into the environment `newsletter` itself runs in, so every
printed hint works as shown whether the tool came from pipx, uv tool or a virtualenv."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def add_package(package: str, prefix: str | None = None, executable: str | None = None) -> str:
    """The command that adds `package` to this installation of newsletters."""
    where = Path(prefix or sys.prefix).as_posix()
    if "/pipx/venvs/" in where + "/":
        return f"pipx inject newsletters {package}"
    if "/uv/tools/" in where + "/":  # uv's tool environments have no pip of their own
        return f"uv pip install --python {_python(executable)} {package}"
    return f"{_python(executable)} -m pip install {package}"


def run_module(module_args: str, executable: str | None = None) -> str:
    """`python -m ...` with this installation's own Python (always on hand, unlike scripts
    that pipx and uv keep off the PATH)."""
    return f"{_python(executable)} -m {module_args}"


def _python(executable: str | None) -> str:
    return shlex.quote(executable or sys.executable)
