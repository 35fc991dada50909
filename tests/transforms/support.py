"""The harness the per-dataset transform tests share: write a file, transform it like the
pipeline does, read the output by column name.

Each test module subclasses :class:`Run` with its own accessors (by reference, by
identifier…); the way a file is written and transformed stays the same for every dataset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms import TransformStats
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import TransformResult


@dataclass
class Run:
    """A transform's output: published rows by column name, its stats and raw result."""

    rows: list[dict[str, Any]]
    stats: TransformStats
    result: TransformResult

    @property
    def source(self) -> dict[str, dict[str, str]]:
        """The source records by key (``_key``), canonical names."""
        columns = self.result.source.columns
        return {r[0]: dict(zip(columns, r, strict=True)) for r in self.result.source.rows}


R = TypeVar("R", bound=Run)


def transform(
    run: type[R],
    path: Path,
    entry: DatasetEntry,
    territory: Territory | None,
    supplements: Mapping[str, Path] | None = None,
) -> R:
    """Transform ``path`` through the registry, as the transform stage does."""
    stats = TransformStats()
    result = get_transform(entry)(path, entry, territory, stats, supplements)
    rows = [dict(zip(entry.column_names, r, strict=True)) for r in result.rows]
    return run(rows, stats, result)


def quoted_line(row: Mapping[str, str], header: Sequence[str]) -> str:
    """The row as a data line of a data.gouv.fr ``|`` file: every field quoted, ``""`` when
    empty."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="|", quoting=csv.QUOTE_ALL, lineterminator="").writerow(
        [row.get(column, "") for column in header]
    )
    return buffer.getvalue()


def write_lines(
    path: Path,
    header: Sequence[str],
    lines: Sequence[Mapping[str, str] | str],
    columns: Sequence[str] | None = None,
) -> Path:
    """Write an unquoted ``|`` header then the lines (rows quoted, strings as they are).

    ``columns`` orders the rows' values when the header line is spelt otherwise (a producer's
    renamed columns, values in place); it is the header by default.
    """
    order = header if columns is None else columns
    body = [x if isinstance(x, str) else quoted_line(x, order) for x in lines]
    path.write_text("\n".join(["|".join(header), *body]) + "\n", encoding="utf-8")
    return path
