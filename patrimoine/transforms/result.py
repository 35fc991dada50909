"""What a transform hands to the pipeline: published rows and the raw territory records."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patrimoine.transforms.fields import SourceField
    from patrimoine.transforms.reader import Columns

KEY = "_key"
"""Column of the source records holding the business key the record publishes under."""
LINE = "_ligne"
"""Column of the source records holding the line of the upstream file."""


@dataclass
class SourceRecords:
    """The territory's records as read upstream (canonical names, raw text), for the source
    suite: what the producer sent, before any cleaning hides it."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def write_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows(self.rows)


@dataclass
class TransformResult:
    rows: Sequence[Sequence[Any]]
    """Published rows, in the TableSchema's column order."""
    source: SourceRecords


def source_records(
    cols: Columns, rows: Sequence[int], keys: Sequence[str], fields: Mapping[str, SourceField]
) -> SourceRecords:
    """The records ``rows`` of ``cols`` as read (the fields the file has), under their key.

    ``keys`` is indexed like ``cols``; a record without a key is named by its line, so the
    source suite can still point at it.
    """
    present = [name for name in fields if name not in cols.missing]
    names = [keys[i] or f"ligne {cols.lines[i]}" for i in rows]
    lines = [str(cols.lines[i]) for i in rows]
    columns = [[cols[name][i] for i in rows] for name in present]
    records = [list(r) for r in zip(names, lines, *columns, strict=True)]
    return SourceRecords(columns=[KEY, LINE, *present], rows=records)
