"""One copy per identifier across the whole national file: the latest update wins.

Producers re-export a record with a later update date without removing the older copy,
sometimes in another commune. Resolving on the whole file first (then selecting the
territory) keeps a record that moved away from being published from its stale copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from patrimoine.transforms.stats import TransformStats


def latest_per_key(
    keys: Sequence[str], updates: Sequence[date | None], stats: TransformStats
) -> tuple[list[int], dict[int, list[int]]]:
    """Row indexes to keep (one per key, plus the rows without a key, which the source
    suite names by their line), and for each kept row the copies it displaced.

    Ties keep the first copy; a missing date loses against any date.
    """
    best: dict[str, int] = {}
    displaced: dict[str, list[int]] = {}
    without_key: list[int] = []
    for i, key in enumerate(keys):
        if not key:
            without_key.append(i)
            continue
        previous = best.get(key)
        if previous is None:
            best[key] = i
            continue
        stats.duplicates += 1
        if (updates[i] or date.min) > (updates[previous] or date.min):
            best[key] = i
            displaced.setdefault(key, []).append(previous)
        else:
            displaced.setdefault(key, []).append(i)
    kept = sorted([*best.values(), *without_key])
    return kept, {best[k]: sorted(v) for k, v in displaced.items()}
