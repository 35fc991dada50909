"""One copy per identifier across the national file: the latest update wins."""

from __future__ import annotations

from datetime import date

from patrimoine.transforms.dedupe import latest_per_key
from patrimoine.transforms.stats import TransformStats


def test_the_latest_copy_wins_and_the_others_are_listed() -> None:
    stats = TransformStats()
    keys = ["M1", "M2", "M1", "", "M1", "M2"]
    updates = [date(2024, 1, 1), None, date(2025, 6, 1), None, date(2025, 6, 1), date(2020, 1, 1)]
    kept, displaced = latest_per_key(keys, updates, stats)
    # M1: the 2025 copy at row 2 wins (row 4 ties it: the first stays); M2: a date beats none.
    assert kept == [2, 3, 5]  # row 3 has no key: kept for the source suite to name it
    assert displaced == {2: [0, 4], 5: [1]}
    assert stats.duplicates == 3
