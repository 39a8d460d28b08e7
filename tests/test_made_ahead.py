"""Messages rendered ahead by a helper thread keep their order, their errors and their bound."""

from __future__ import annotations

import threading

import pytest

from newsletters.delivery.ahead import made_ahead


def test_results_come_in_order_paired_with_their_items() -> None:
    assert list(made_ahead(lambda n: n * n, range(200))) == [(n, n * n) for n in range(200)]


def test_an_error_is_raised_at_its_item_after_the_ones_before() -> None:
    def make(n: int) -> int:
        if n == 5:
            raise ValueError("not a safe header value")
        return n

    seen = []
    with pytest.raises(ValueError, match="safe header"):
        for n, _ in made_ahead(make, range(10)):
            seen.append(n)
    assert seen == [0, 1, 2, 3, 4]


def test_stopping_early_stops_the_helper_within_its_bound() -> None:
    made: list[int] = []
    before = threading.active_count()
    for n, _ in made_ahead(made.append, range(10_000), depth=2):
        if n == 3:
            break
    assert threading.active_count() == before  # the helper has finished
    assert len(made) <= 4 + 2 + 1  # what was sent, the queue, the one in hand
