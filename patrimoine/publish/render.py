"""Published files from staged rows: CSV, GeoJSON, changelog and the French metadata sheet.

Everything here is a pure function of the staged rows and their history, so an unchanged
night renders identical bytes and the publisher writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from patrimoine import __version__
from patrimoine.catalog import DatasetEntry
from patrimoine.publish import facts as declared_facts
from patrimoine.staging.history import ADDED, MODIFIED, REMOVED, Change
from patrimoine.territory import Territory
from patrimoine.times import paris

CHANGELOG_COLUMNS = (
    "date",
    "identifiant",
    "type_de_changement",
    "colonne",
    "ancienne_valeur",
    "nouvelle_valeur",
)


@dataclass(frozen=True)
class RenderedFile:
    name: str
    title: str
    format: str
    mime: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def cell_text(value: Any) -> str:
    """A value as the CSV files write it (ISO dates, true/false, repr of floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


GEOMETRY_TYPE = "geojson"
"""TableSchema type of a column holding a site's geometry (RFC 7946 JSON text)."""


def csv_positions(entry: DatasetEntry) -> list[int]:
    """Columns of the CSV: every published column but geometries (they go to the GeoJSON)."""
    return [i for i, c in enumerate(entry.columns) if c.type != GEOMETRY_TYPE]


def rows_to_csv(entry: DatasetEntry, rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 (no BOM), comma separator, header of TableSchema names, LF line ends."""
    keep = csv_positions(entry)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([entry.column_names[i] for i in keep])
    for row in rows:
        writer.writerow([cell_text(row[i]) for i in keep])
    return buffer.getvalue().encode("utf-8")


def _json_value(column_type: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if column_type in ("array", "object") and isinstance(value, str) and value:
        return json.loads(value)
    return value


def has_points(entry: DatasetEntry) -> bool:
    """Whether the entry declares coordinate columns (``[geometry]``), hence a GeoJSON file."""
    return "latitude" in entry.geometry and "longitude" in entry.geometry


def has_map(entry: DatasetEntry) -> bool:
    """Whether the dataset has a GeoJSON file: points, or a geometry column (``shape``)."""
    return has_points(entry) or "shape" in entry.geometry


def _geometry_of(entry: DatasetEntry, row: Sequence[Any]) -> tuple[Any, tuple[str, ...]]:
    """The row's GeoJSON geometry (None: off the map) and the columns it was built from."""
    names = entry.column_names
    shape = entry.geometry.get("shape")
    if shape:
        text = row[names.index(shape)]
        return (json.loads(text) if text else None), (shape,)
    lat_col, lon_col = entry.geometry["latitude"], entry.geometry["longitude"]
    lat, lon = row[names.index(lat_col)], row[names.index(lon_col)]
    point = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return point, (lat_col, lon_col)


def rows_to_geojson(entry: DatasetEntry, rows: Sequence[Sequence[Any]]) -> bytes:
    """One Feature per mapped row (a point, or the site's polygons, as RFC 7946 says);
    rows flagged by ``geometry.suspect`` stay off the map."""
    names = entry.column_names
    types = {c.name: c.type for c in entry.columns}
    suspect = entry.geometry.get("suspect")
    i_out = names.index(suspect) if suspect in names else None
    features = []
    for row in rows:
        geometry, used = _geometry_of(entry, row)
        if geometry is None or (i_out is not None and row[i_out]):
            continue
        props = {
            n: _json_value(types[n], v)
            for n, v in zip(names, row, strict=True)
            if n not in used and types[n] != GEOMETRY_TYPE
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    collection = {"type": "FeatureCollection", "features": features}
    return (json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def changelog_csv(changes: Sequence[Change]) -> bytes:
    """Every publication's changes, newest first, one line per record or changed column."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHANGELOG_COLUMNS)
    for change in changes:
        writer.writerow(
            [
                paris(change.at).isoformat(timespec="seconds"),
                change.key,
                change.change,
                change.column,
                cell_text(change.old) if change.change == MODIFIED else "",
                cell_text(change.new) if change.change == MODIFIED else "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def last_changes(changes: Sequence[Change]) -> dict[str, Any] | None:
    """What the latest publication changed, for the metadata sheet."""
    if not changes:
        return None
    run = changes[0].run_id
    latest = [c for c in changes if c.run_id == run]
    records: dict[str, set[str]] = {ADDED: set(), REMOVED: set(), MODIFIED: set()}
    columns: Counter[str] = Counter()
    for change in latest:
        if change.change in records:
            records[change.change].add(change.key)
        if change.change == MODIFIED:
            columns[change.column] += 1
    return {
        "date": paris(latest[0].at).isoformat(timespec="seconds"),
        "ajouts": len(records[ADDED]),
        "suppressions": len(records[REMOVED]),
        "modifications": len(records[MODIFIED]),
        "colonnes_modifiees": sorted(columns),
        "identifiants": sorted(set().union(*records.values()))[:20],
    }


def _last_changes_text(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "aucun changement enregistré"
    day = datetime.fromisoformat(summary["date"]).strftime("%d/%m/%Y")
    parts = [
        f"{summary[key]} {word}{'s' if summary[key] > 1 else ''}"
        for key, word in (
            ("ajouts", "ajout"),
            ("suppressions", "suppression"),
            ("modifications", "modification"),
        )
        if summary[key]
    ]
    columns = summary["colonnes_modifiees"]
    detail = f" (colonnes : {', '.join(columns)})" if columns else ""
    return f"le {day} : {', '.join(parts) or 'structure modifiée'}{detail}"


def facts(
    entry: DatasetEntry,
    rows: Sequence[Sequence[Any]],
    territory: Territory,
    changes: Sequence[Change] = (),
) -> dict[str, Any]:
    """The description's placeholders: the generic ones and those the catalog declares."""
    figures: dict[str, Any] = {
        "territoire": territory.label,
        "nb_communes": len(territory.communes),
        "nb_lignes": len(rows),
        "derniers_changements": _last_changes_text(last_changes(changes)),
        **declared_facts.compute(entry, rows),
    }
    for spec in entry.metadata.facts:
        value = figures[spec.name]
        if spec.kind == "sum" and isinstance(value, int):
            # 2 720 342 as French writes it (narrow no-break spaces); counts and years stay bare.
            figures[spec.name] = f"{value:,}".replace(",", "\u202f")
        elif spec.kind in ("min", "max") and isinstance(value, date):
            figures[spec.name] = value.strftime("%d/%m/%Y")
        elif spec.kind in ("min", "max") and value is None:
            figures[spec.name] = "non renseignée"
    return figures


def _temporal_coverage(entry: DatasetEntry, figures: dict[str, Any]) -> dict[str, Any] | None:
    temporal = entry.metadata.temporal
    if temporal is None:
        return None
    start, end = figures.get(temporal.start), figures.get(temporal.end)
    return {
        "debut": None if start is None else str(start),
        "fin": None if end is None else str(end),
        "description": temporal.description,
    }


def metadata_sheet(
    entry: DatasetEntry,
    territory: Territory,
    figures: dict[str, Any],
    files: Sequence[RenderedFile],
    source: dict[str, Any],
    changes: Sequence[Change] = (),
) -> dict[str, Any]:
    """The metadata sheet (French keys), without the update timestamp.

    The timestamp is added by the publisher only when the content changed, so that an
    unchanged run produces an identical sheet.
    """
    meta = entry.metadata
    return {
        "titre": meta.title.format(**figures),
        "description": meta.description.strip().format(**figures),
        "mots_cles": list(meta.keywords),
        "licence": {"nom": meta.licence, "id": meta.licence_id, "url": meta.licence_url},
        "attribution": meta.attribution,
        "frequence": {"id": meta.frequency, "libelle": meta.frequency_label},
        "couverture_temporelle": _temporal_coverage(entry, figures),
        "couverture_spatiale": {
            "territoire": territory.label,
            "identifiant": territory.key,
            "communes": [{"code_insee": c.code, "nom": c.nom} for c in territory.communes],
        },
        "nombre_de_lignes": figures["nb_lignes"],
        "derniers_changements": last_changes(changes),
        "colonnes": [
            {"nom": c.name, "type": c.type, "titre": c.title, "description": c.description}
            for c in entry.columns
        ],
        "ressources": [
            {
                "fichier": f.name,
                "titre": f.title,
                "format": f.format,
                "taille": len(f.content),
                "sha256": f.sha256,
            }
            for f in files
        ],
        "source": source,
        "producteur": f"patrimoine {__version__}",
    }


def render(
    entry: DatasetEntry,
    rows: Sequence[Sequence[Any]],
    territory: Territory,
    source: dict[str, Any],
    changes: Sequence[Change] = (),
    *,
    pictures: bool = False,
    map_tiles_url: str | None = None,
    map_tiles_attribution: str | None = None,
) -> tuple[list[RenderedFile], dict[str, Any]]:
    """Every file of a dataset and its metadata sheet; ``map_tiles_url`` and
    ``map_tiles_attribution`` (the settings of the same names) put a background under the
    interactive map only, never under the PNG one."""
    figures = facts(entry, rows, territory, changes)
    title = entry.metadata.title.format(**figures)
    files = [
        RenderedFile(
            f"{entry.name}.csv", f"{title} (CSV)", "csv", "text/csv", rows_to_csv(entry, rows)
        )
    ]
    if has_map(entry):
        files.append(
            RenderedFile(
                f"{entry.name}.geojson",
                f"{title} (GeoJSON)",
                "geojson",
                "application/geo+json",
                rows_to_geojson(entry, rows),
            )
        )
    files.append(
        RenderedFile(
            "changelog.csv",
            f"{title} (historique des changements)",
            "csv",
            "text/csv",
            changelog_csv(changes),
        )
    )
    # The map and the charts the catalog declares, drawn from the same rows: identical rows
    # give identical bytes, so an unchanged night rewrites no picture.
    if pictures:
        from patrimoine.visuals import Tiles, render_dataset

        tiles = Tiles.of(map_tiles_url, map_tiles_attribution)
        files += render_dataset(entry, rows, territory, tiles=tiles)
    return files, metadata_sheet(entry, territory, figures, files, source, changes)
