"""Read delimited source files whose headers drift, as records keyed by canonical names."""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from patrimoine.errors import SchemaError
from patrimoine.transforms.fields import REQUIRED, SourceField
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


def header_key(name: str) -> str:
    """A header name without case, accents, spaces or punctuation (``Année d'obtention`` →
    ``annee_d_obtention``): the producer's spelling of a column changes more than its words
    (``code id`` / ``code_id``, ``Identifiant origine``)."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def resolve_header(
    header: Sequence[str], fields: Mapping[str, SourceField]
) -> dict[str, int | None]:
    """Map canonical names to column positions; fail naming the missing required columns.

    An alias matches a header ignoring case, then ignoring accents, spaces and punctuation
    too (the first spelling of the file wins); declared aliases are tried in order.
    """
    position = {name.strip().lower(): i for i, name in enumerate(header)}
    loose: dict[str, int] = {}
    for i, name in enumerate(header):
        loose.setdefault(header_key(name), i)
    resolved: dict[str, int | None] = {}
    for canonical, spec in fields.items():
        exact = (position[a.lower()] for a in spec.aliases if a.lower() in position)
        fuzzy = (loose[k] for k in map(header_key, spec.aliases) if k in loose)
        resolved[canonical] = next(exact, None)
        if resolved[canonical] is None:
            resolved[canonical] = next(fuzzy, None)
    missing = [
        spec.label for f, spec in fields.items() if spec.level == REQUIRED and resolved[f] is None
    ]
    if missing:
        known = sum(v is not None for v in resolved.values())
        hint = "" if known else " ; en-tête non reconnu (format de fichier inattendu)"
        raise SchemaError(f"colonne(s) absente(s) du fichier source : {', '.join(missing)}{hint}")
    return resolved


@dataclass
class Columns:
    """The wanted fields of a file, column by column, with each row's line number."""

    lines: list[int]
    values: dict[str, list[str]]
    missing: frozenset[str] = frozenset()
    """Canonical fields the file does not have (their values read as "")."""

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, name: str) -> list[str]:
        return self.values[name]


def read_columns(
    path: Path,
    fields: Mapping[str, SourceField],
    stats: TransformStats,
) -> Columns:
    """Read the wanted fields column-wise; skip empty rows; reject rows of the wrong width.

    Columns rather than records: transforms then work a column at a time with cached
    helpers, which is several times faster on the national files than a dict per row. A row
    with a different number of fields means a broken file: the whole dataset fails rather
    than publish a partial table.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise SchemaError("fichier source vide")
        delimiter = sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        positions = resolve_header(header, fields)
        present = [(name, pos) for name, pos in positions.items() if pos is not None]
        pick = itemgetter(*(pos for _, pos in present))
        width = len(header)
        lines: list[int] = []
        picked: list[tuple[str, ...]] = []
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"')
        next_line = 2  # the header is line 1
        for row in reader:
            # The physical line where the record starts, not a record count: a quoted field
            # may span lines (ODS exports), and "ligne N" must be the line people find.
            line = next_line
            next_line = reader.line_num + 2
            if len(row) != width:
                if not any(row):
                    stats.empty_rows += 1
                    continue
                raise SchemaError(
                    f"ligne {line} : {len(row)} champs au lieu de {width} "
                    "(fichier tronqué ou mal formé)"
                )
            selected = pick(row)
            if len(present) == 1:
                selected = (selected,)
            if not any(selected) and not any(row):
                stats.empty_rows += 1
                continue
            lines.append(line)
            picked.append(selected)
    stats.read = len(lines)
    transposed = list(zip(*picked, strict=True)) if picked else [() for _ in present]
    values = {name: list(col) for (name, _), col in zip(present, transposed, strict=True)}
    missing = frozenset(name for name, pos in positions.items() if pos is None)
    for name in missing:
        values[name] = [""] * len(lines)
    return Columns(lines=lines, values=values, missing=missing)
