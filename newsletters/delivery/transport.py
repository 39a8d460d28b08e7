"""send.py, the only code that talks to an email provider, as this package imports it.

send.py lives at the repository's root (the project's layout). An installed wheel carries it
as `newsletters/_send.py` (hatch force-include in pyproject.toml), never as a top-level `send`
module that could clash with another package's; in a source checkout the repository's send.py
is loaded from its path under the same name. Either way `provider` is that one module.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

MODULE = "newsletters._send"


def _load() -> ModuleType:
    try:
        return importlib.import_module(MODULE)  # an installed wheel
    except ModuleNotFoundError:
        pass
    source = Path(__file__).resolve().parents[2] / "send.py"  # a source checkout
    spec = importlib.util.spec_from_file_location(MODULE, source)
    if spec is None or spec.loader is None or not source.is_file():
        raise ImportError(f"send.py is missing from this installation ({source})")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import send as provider
else:
    provider = _load()

__all__ = ["provider"]
