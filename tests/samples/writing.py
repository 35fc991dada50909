"""The one delimited-file writer behind every sample generator's ``write_*_csv``.

Producers differ only in separator, quoting, header spelling and BOM; keeping the writing in
one place means the snapshot's files and the tests' files are written the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import _QuotingType


@dataclass(frozen=True)
class Layout:
    """How a producer writes its file: separator, quoting of the lines, whether the header
    is quoted like them (or joined as is), a leading UTF-8 BOM. Lines end with LF."""

    delimiter: str = "|"
    quoting: _QuotingType = csv.QUOTE_ALL
    quote_header: bool = False
    bom: bool = False

    def write(
        self,
        rows: Iterable[Mapping[str, str]],
        out: IO[str] | Path,
        columns: Sequence[str],
        header: Sequence[str] | None = None,
    ) -> int:
        """Write the header line then ``rows`` (their ``columns``, ``""`` when missing);
        return the number of data rows.

        ``header`` spells the header line (``columns`` by default). A
        :class:`~pathlib.Path` is written in UTF-8; a text stream should have ``newline=""``.
        """
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8", newline="") as handle:
                return self.write(rows, handle, columns, header)
        if self.bom:
            out.write("\ufeff")
        names = columns if header is None else header
        writer = csv.writer(
            out, delimiter=self.delimiter, quoting=self.quoting, lineterminator="\n"
        )
        if self.quote_header:
            writer.writerow(names)
        else:
            out.write(self.delimiter.join(names) + "\n")
        count = 0
        for row in rows:
            writer.writerow([row.get(column, "") for column in columns])
            count += 1
        return count

    def content(
        self,
        rows: Iterable[Mapping[str, str]],
        columns: Sequence[str],
        header: Sequence[str] | None = None,
    ) -> bytes:
        """:meth:`write` into UTF-8 bytes."""
        buffer = io.StringIO(newline="")
        self.write(rows, buffer, columns, header)
        return buffer.getvalue().encode("utf-8")


DATAGOUV = Layout()
"""data.gouv.fr's ``|`` exports: unquoted header, every field quoted."""
