"""Read delimited source files whose headers drift, as records keyed by canonical names."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from patrimoine.errors import SchemaError
from patrimoine.transforms.stats import TransformStats

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

DELIMITERS = ("|", ";", ",", "\t")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter is the candidate that splits the header most (Mérimée: ``|``)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise SchemaError("en-tête non reconnu : aucun séparateur (| ; , tab) trouvé")
    return best


def resolve_header(
    header: Sequence[str], fields: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, int | None]:
    """Map canonical names to column positions; fail naming the missing required columns."""
    position = {name.strip().lower(): i for i, name in enumerate(header)}
    resolved: dict[str, int | None] = {}
    for canonical, aliases in fields.items():
        resolved[canonical] = next(
            (position[a.lower()] for a in aliases if a.lower() in position), None
        )
    missing = [fields[f][0] for f in required if resolved[f] is None]
    if missing:
        known = sum(v is not None for v in resolved.values())
        hint = "" if known else " ; en-tête non reconnu (format de fichier inattendu)"
        raise SchemaError(f"colonne(s) absente(s) du fichier source : {', '.join(missing)}{hint}")
    return resolved


def read_records(
    path: Path,
    fields: Mapping[str, Sequence[str]],
    required: Sequence[str],
    stats: TransformStats,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, record)``; skip empty rows; reject rows of the wrong width.

    A row with a different number of fields means a broken file: the whole dataset fails
    rather than publish a partial table.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise SchemaError("fichier source vide")
        delimiter = sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        positions = resolve_header(header, fields, required)
        width = len(header)
        items = [(name, pos) for name, pos in positions.items()]
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"')
        for line, row in enumerate(reader, start=2):
            if not any(row):
                stats.empty_rows += 1
                continue
            if len(row) != width:
                raise SchemaError(
                    f"ligne {line} : {len(row)} champs au lieu de {width} "
                    "(fichier tronqué ou mal formé)"
                )
            stats.read += 1
            yield line, {name: (row[pos] if pos is not None else "") for name, pos in items}
