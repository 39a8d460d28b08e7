"""What DKIM signing adds to each message of a send (issue 17).

    python benchmarks/dkim_sign.py [N]      # N messages each way (default 40)

Builds the sample issue, then renders N personalised messages through
`MessageTemplate.render` (the one place messages are serialised) without a key and with a
2048-bit RSA key, interleaved, and prints the median time per message of each. Needs the test
extras (cryptography) to make the throwaway key.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletters.delivery import run
from newsletters.delivery.signing import DkimKey
from newsletters.pipeline import build

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for part in ("content", "templates"):
            shutil.copytree(ROOT / part, root / part)
        project, built, _ = build(root)
        plain = run.Prepared(project, built[0])
        signed = dataclasses.replace(plain, dkim=DkimKey("example.com", "bench", pem))
        templates = {"unsigned": plain.template(), "signed": signed.template()}
        times: dict[str, list[float]] = {name: [] for name in templates}
        for i in range(count):
            person = plain.personal(f"reader{i}@example.com", "Ana", f"token{i}")
            for name, template in templates.items():
                start = time.perf_counter()
                template.render(person)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name}: {statistics.median(values) * 1000:.2f} ms per message (median of {count})")


if __name__ == "__main__":
    main()
