"""What a transform hands to the pipeline: published rows and the raw territory records."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
