"""What a declared chart shows, computed from published rows: pure and sorted, so the same
rows always give the same picture (an unchanged night renders identical bytes)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from patrimoine.catalog import ChartSpec, DatasetEntry
from patrimoine.territory import Territory

MISSING = "non renseigné"
OTHERS = "autres"
DEFAULT_TOP = 20
"""Categories shown by a category chart (the rest summed in one « autres » bar)."""
DEFAULT_TOP_SERIES = 8
"""Series stacked or drawn at most (one colour each; the rest in « autres »)."""

_CENTURY = re.compile(r"\b(\d{1,2})\s*(?:e|er|ème)\s+(?:s\.|siècle)", re.IGNORECASE)


@dataclass(frozen=True)
class ChartData:
    """Bars (or points) along ``labels``; one value list per series, same length."""

    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    xlabel: str
    ylabel: str

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for _, values in self.series for v in values)


def slug(text: str) -> str:
    """File-name part of a French title: « Protections par décennie » → protections-par-decennie."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    if len(text) > 60:
        text = text[:61].rsplit("-", 1)[0]
    return text or "graphique"


def french_number(value: float, decimals: int = 0) -> str:
    """1 234,5 as French writes it (no-break space, decimal comma)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def cell_values(column_type: str, value: Any) -> list[str]:
    """The categories of one cell: list columns (JSON arrays, ``;``-joined text) give several."""
    if value is None or value == "":
        return [MISSING]
    if isinstance(value, list):
        items = [str(v).strip() for v in value]
    elif column_type == "array" and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = [value]
        items = [str(v).strip() for v in (parsed if isinstance(parsed, list) else [parsed])]
    elif isinstance(value, bool):
        items = ["oui" if value else "non"]
    elif isinstance(value, str):
        items = [v.strip() for v in value.split(";")]
    else:
        items = [str(value)]
    unique = sorted({v for v in items if v})
    return unique or [MISSING]


def century_label(century: int) -> str:
    return f"{century}{'er' if century == 1 else 'e'} s."


def _years(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, datetime | date):
        return [value.year]
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [int(value)]
    text = str(value)
    if re.fullmatch(r"\d{4}(-\d{2}-\d{2}.*)?", text):
        return [int(text[:4])]
    return []


LAST_YEAR = 2100
"""Later years are typing errors (validation warns about them): off the charts, so that one
bad date does not stretch the axis over centuries. A constant, not today: reproducible."""


def period_keys(value: Any, period: str) -> list[int]:
    """Start year of the period(s) of one cell; text like « 2e moitié 19e siècle;20e siècle »
    gives one key per century it names."""
    if period == "century" and isinstance(value, str) and not _years(value):
        centuries = sorted({int(m) for m in _CENTURY.findall(value) if 0 < int(m) <= 21})
        return [100 * (c - 1) + 1 for c in centuries]
    keys = []
    for year in _years(value):
        if not 0 < year <= LAST_YEAR:
            continue
        if period == "decade":
            keys.append(year // 10 * 10)
        elif period == "century":
            keys.append(100 * ((year - 1) // 100) + 1)
        else:
            keys.append(year)
    return sorted(set(keys))


def _period_label(key: int, period: str) -> str:
    if period == "century":
        return century_label((key - 1) // 100 + 1)
    return f"{key}"  # a decade by its first year: « 1840 » stands for 1840–1849


def _period_range(keys: set[int], period: str) -> list[int]:
    """Every period between the first and the last one, empty ones included."""
    if not keys:
        return []
    step = {"year": 1, "decade": 10, "century": 100}[period]
    return list(range(min(keys), max(keys) + 1, step))


class _Table:
    """Index of the published columns of a dataset's rows."""

    def __init__(self, entry: DatasetEntry, territory: Territory) -> None:
        self.names = entry.column_names
        self.types = {c.name: c.type for c in entry.columns}
        self.titles = {c.name: c.title for c in entry.columns}
        self.territory = territory

    def get(self, row: Sequence[Any], column: str) -> Any:
        return row[self.names.index(column)]

    def categories(self, row: Sequence[Any], column: str, labels: str | None) -> list[str]:
        values = cell_values(self.types[column], self.get(row, column))
        if labels == "communes":
            communes = (self.territory.commune(v) for v in values)
            values = sorted({c.nom if c else v for c, v in zip(communes, values, strict=True)})
        return values


def _series_labels(table: _Table, rows: Sequence[Sequence[Any]], spec: ChartSpec) -> dict[str, str]:
    """Display name of each split value: ``nom (identifiant)`` from the ``label`` column."""
    if spec.split is None or spec.label is None:
        return {}
    names: dict[str, str] = {}
    for row in rows:
        for value in table.categories(row, spec.split, None):
            label = table.get(row, spec.label)
            if value not in names and isinstance(label, str) and label.strip():
                names[value] = f"{label.strip()} ({value})"
    return names


def chart_data(
    entry: DatasetEntry, spec: ChartSpec, rows: Sequence[Sequence[Any]], territory: Territory
) -> ChartData:
    """Sums (or counts) per period or category and per series, in a stable order."""
    table = _Table(entry, territory)
    by_period = spec.kind.endswith("_by_period")
    cells: dict[tuple[Any, str], float] = defaultdict(float)
    for row in rows:
        if spec.value is not None:
            raw = table.get(row, spec.value)
            if raw is None or isinstance(raw, bool):
                continue
            amount = float(raw)
        else:
            amount = 1.0
        keys: list[Any]
        if by_period:
            assert spec.period is not None
            keys = [k for k in period_keys(table.get(row, spec.column), spec.period)]
            if spec.since is not None:
                keys = [
                    k for k in keys if k + (99 if spec.period == "century" else 0) >= spec.since
                ]
        else:
            keys = table.categories(row, spec.column, spec.labels)
        splits = table.categories(row, spec.split, None) if spec.split else [""]
        for key in keys:
            for split in splits:
                cells[(key, split)] += amount

    series_totals: dict[str, float] = defaultdict(float)
    key_totals: dict[Any, float] = defaultdict(float)
    for (key, split), amount in cells.items():
        series_totals[split] += amount
        key_totals[key] += amount

    top_series = spec.top if (spec.top and by_period) else DEFAULT_TOP_SERIES
    ranked = sorted(series_totals, key=lambda s: (-series_totals[s], s))
    kept, dropped = ranked[:top_series], ranked[top_series:]
    if len(dropped) == 1:
        kept, dropped = ranked, []
    kept = sorted(kept, key=lambda s: (s == MISSING, s))

    if by_period:
        assert spec.period is not None
        keys_order: list[Any] = _period_range(set(key_totals), spec.period)
        labels = [_period_label(k, spec.period) for k in keys_order]
    else:
        top = spec.top or DEFAULT_TOP
        ordered = sorted(key_totals, key=lambda k: (-key_totals[k], k == MISSING, k))
        keys_order = ordered[:top]
        labels = list(keys_order)
        if len(ordered) > top:
            rest = ordered[top:]
            for (key, split), amount in list(cells.items()):
                if key in rest:
                    cells[(OTHERS, split)] += amount
            keys_order.append(OTHERS)
            labels.append(f"{len(rest)} {OTHERS}")

    names = _series_labels(table, rows, spec)
    series = [(names.get(s, s), tuple(cells.get((k, s), 0.0) for k in keys_order)) for s in kept]
    if dropped:
        series.append(
            (
                f"{len(dropped)} {OTHERS}",
                tuple(sum(cells.get((k, s), 0.0) for s in dropped) for k in keys_order),
            )
        )
    what = table.titles[spec.value] if spec.value else "Nombre de lignes"
    return ChartData(
        labels=tuple(labels),
        series=tuple(series),
        xlabel=spec.xlabel or table.titles[spec.column],
        ylabel=spec.ylabel or what,
    )
