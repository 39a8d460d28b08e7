"""Results remembered within one process, keyed by everything they depend on.

The preview rebuilds an issue on every save and `build --all` reads many issues in one run;
most of their inputs did not change. A `Memo` keeps the result of pure work (parsing a file's
text, a check over a text) under a key holding the inputs themselves, so an entry can never
answer for other inputs: nothing goes stale and nothing needs invalidating. What is read from
disk is still read on every run; only the work on what was read is skipped.

Bounded by entries and by the characters of the texts in their keys (a hostile project of huge
files cannot grow memory without limit); the oldest entries go first. Thread-safe (the
preview's server threads). Values must be immutable, or never changed by whoever gets them.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import partial, wraps
from typing import Generic, ParamSpec, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")

MAX_ENTRIES = 4096
MAX_CHARS = 8 * 1024 * 1024  # of key text per memo: a few hundred articles, several times over


_EVERY: weakref.WeakSet[Memo[object, object]] = weakref.WeakSet()  # for forget_everything()


def forget_everything() -> None:
    """Empty every memo of this process: the resident process (resident.py) warms up on the
    sample project and must not hand the sample's own results to the commands it forks."""
    for memo in list(_EVERY):
        memo.clear()


class Memo(Generic[K, V]):
    """A bounded map from inputs to a result made from them alone."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_CHARS) -> None:
        _EVERY.add(self)  # type: ignore[arg-type]
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._chars = 0
        self._max_entries = max_entries
        self._max_chars = max_chars
        self._lock = threading.Lock()

    def get(self, key: K, size: int, make: Callable[[], V]) -> V:
        """The value remembered for `key`, else `make()` remembered; `size` counts toward the
        bound (the characters of the key's texts). `make` runs outside the lock."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = make()
        if size > self._max_chars:
            return value  # bigger than the whole memo: not kept
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, size)
                self._chars += size
                while len(self._entries) > self._max_entries or self._chars > self._max_chars:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._chars -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


def remembered(
    max_entries: int = MAX_ENTRIES, max_chars: int = MAX_CHARS
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Remember a pure function of hashable positional arguments (texts, tuples of words) in a
    `Memo`; its size is the length of its string arguments."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        memo: Memo[tuple[object, ...], R] = Memo(max_entries, max_chars)

        @wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if kwargs:
                return function(*args, **kwargs)
            size = sum(len(a) for a in args if isinstance(a, str))
            return memo.get(args, size, partial(function, *args))

        call.memo = memo  # type: ignore[attr-defined]
        return call

    return decorate
