"""Each reader's message made one step ahead, while the previous one is being sent.

A list send spends most of each message waiting: for the journal's disk flush and for the
provider's reply. Both waits release Python's GIL, so a helper thread can render the next
reader's message (merge values, quoted-printable) in the meantime. Only rendering moves to the
thread; the journal and the transport stay in the sending thread, in the same order, so the
journal's promises do not change. At most `depth` messages wait, so memory stays flat.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


def made_ahead(make: Callable[[T], U], items: Iterable[T], depth: int = 2) -> Iterator[tuple[T, U]]:
    """(item, make(item)) in the order of `items`, computed by a helper thread up to `depth`
    items ahead. An exception from `make` is raised here, at its item; stopping early (break,
    an exception in the caller) stops the helper."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, make(item))):
                    return
        except BaseException as exc:  # handed to the consumer, raised at this item
            put(exc)
            return
        put(_DONE)

    helper = threading.Thread(target=produce, name="render-ahead", daemon=True)
    helper.start()
    try:
        while True:
            entry = ready.get()
            if entry is _DONE:
                return
            if isinstance(entry, BaseException):
                raise entry
            yield entry  # type: ignore[misc]
    finally:
        stop.set()
        helper.join()
