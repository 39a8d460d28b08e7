"""Which start of the computer this is, so the send journal can tell two kinds of interruption
apart: a send killed on its own (the computer kept every write it had made, even unflushed ones)
and a send the computer stopped with (a power cut or a crash may have lost its last writes).

None where the system gives no such identity: the journal then flushes every reader to disk.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LINUX_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")  # a new random UUID at every boot
MACOS_SYSCTL = "/usr/sbin/sysctl"  # `kern.bootsessionuuid`: a new UUID at every boot


@functools.cache
def boot_id() -> str | None:
    """'linux:<uuid>' or 'darwin:<uuid>', the same until the computer starts again; None when
    the system does not say (Windows, a container without /proc, anything unexpected)."""
    return identity(sys.platform)


def identity(platform: str) -> str | None:
    """boot_id, read afresh, for a value of sys.platform."""
    try:
        if platform.startswith("linux"):
            text = LINUX_BOOT_ID.read_text("ascii", errors="replace")
        elif platform == "darwin":
            text = subprocess.run(
                [MACOS_SYSCTL, "-n", "kern.bootsessionuuid"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout
        else:
            return None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    text = text.strip()
    prefix = "darwin" if platform == "darwin" else "linux"
    return f"{prefix}:{text.lower()}" if _UUID.fullmatch(text) else None
