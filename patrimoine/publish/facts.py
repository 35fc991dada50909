"""The metadata sheet's figures, computed from the published rows as the catalog declares.

A catalog entry says what its description counts (``[metadata.facts]``); nothing here knows
a dataset. Empty values (None, "") never count, so a fact reads the same on SQLite and
PostgreSQL staging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from patrimoine.catalog import DatasetEntry, FactSpec


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _matches(spec: FactSpec, value: Any) -> bool:
    if not _present(value):
        return False
    if spec.equals is not None:
        return str(value) == spec.equals
    if spec.contains is not None:
        return spec.contains in str(value)
    return True


def compute(entry: DatasetEntry, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Each declared fact's value; ``None`` for a min/max over no value."""
    position = {name: i for i, name in enumerate(entry.column_names)}
    figures: dict[str, Any] = {}
    for spec in entry.metadata.facts:
        values = [row[position[spec.column]] for row in rows]
        if spec.kind == "count":
            figures[spec.name] = sum(1 for v in values if _matches(spec, v))
        elif spec.kind == "distinct":
            figures[spec.name] = len({v for v in values if _matches(spec, v)})
        elif spec.kind == "sum":
            figures[spec.name] = sum(v for v in values if _present(v))
        else:
            present = [v for v in values if _present(v)]
            chosen = (min if spec.kind == "min" else max)(present) if present else None
            figures[spec.name] = chosen
    return figures
