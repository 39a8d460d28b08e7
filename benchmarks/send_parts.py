"""Where a list send's time goes per message, beside the transport alone, in one process.

    python benchmarks/send_parts.py                # 3,000 messages, blocks of 500
    python benchmarks/send_parts.py --messages 10000

bench.py's list-send target compares two processes run one after the other; on a shared
machine their speed can drift twofold within minutes. Here one process alternates blocks of
messages to one SMTP sink: send.py's transport alone (one message, again and again), then the
list send's per-reader steps (render the reader's message, the journal's commits, the same
transport, the next reader rendered while the reply travels, as run.send_list does), so drift
hits both alike. It prints each side's rate, their ratio, and the time per message of
rendering, the journal and the rest within the list send's loop (rendering overlaps the
provider's reply, so the three add up to more than the loop's time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import SECRET, smtp_sink  # noqa: E402
from synthetic import ISSUE_ID, make_project  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="per side (default 3,000)")
    parser.add_argument("--block", type=int, default=500, help="messages per alternation")
    args = parser.parse_args(argv)

    from newsletters.delivery import run
    from newsletters.delivery.journal import Journal
    from newsletters.delivery.message import unsubscribe_token
    from newsletters.delivery.transport import provider

    with tempfile.TemporaryDirectory(prefix="newsletter-send-parts-") as tmp:
        root = make_project(Path(tmp) / "project", 6)
        prepared = run.prepare(root, ISSUE_ID)
        template = prepared.template()
        readers = [f"reader{i}@example.org" for i in range(args.messages)]
        journal = Journal(Path(tmp) / "send-journal.sqlite")
        journal.add((address, line) for line, address in enumerate(readers, start=2))
        journal.states()
        journal.expect(readers)
        token = unsubscribe_token(SECRET, readers[0], ISSUE_ID)
        same = template.render(prepared.personal(readers[0], "Reader", token))
        alone = render = committing = whole = 0.0
        made: dict[str, bytes] = {}  # the next reader's message, rendered while a reply travels
        clock = time.perf_counter

        def commit() -> None:
            nonlocal committing
            begin = clock()
            journal.wait()
            committing += clock() - begin

        with smtp_sink() as (port, finish):
            settings = provider.SmtpSettings("127.0.0.1", port, "none")
            with provider.SmtpTransport(settings) as transport:
                for start in range(0, args.messages, args.block):
                    block = readers[start : start + args.block]
                    begin = clock()
                    for address in block:
                        transport.send(prepared.sender, address, same)
                    alone += clock() - begin
                    begin = clock()
                    made.clear()

                    def make(address: str) -> None:
                        nonlocal render
                        started = clock()
                        token = unsubscribe_token(SECRET, address, ISSUE_ID)
                        made[address] = template.render(prepared.personal(address, "Reader", token))
                        render += clock() - started

                    for place, address in enumerate(block):
                        if address not in made:
                            make(address)
                        following = block[place + 1] if place + 1 < len(block) else None
                        journal.start_sending(address)
                        reply = transport.send(
                            prepared.sender,
                            address,
                            made.pop(address),
                            before_hand_over=commit,
                            while_replying=partial(make, following) if following else None,
                        )
                        journal.mark_sent(address, reply)
                    whole += clock() - begin
            finish()
        journal.close()
    count = args.messages
    print(f"transport alone: {count / alone:.0f} messages/s")
    print(f"list send's loop: {count / whole:.0f} messages/s (ratio {alone / whole:.2f})")
    per = {"render": render, "journal": committing, "whole loop": whole}
    parts = ", ".join(f"{k} {v / count * 1000:.3f} ms" for k, v in per.items())
    print(f"per message in the loop: {parts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
