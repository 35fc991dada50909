"""Natural sites as polygons: the part every natural-area transform shares.

A *site* is one feature of a FeatureCollection (a WFS extract, a configured ENS file) with
an identifier, attributes and a polygon geometry. This module cleans each geometry (axes,
validity, grid: :func:`areas.cleaned`), measures it against the communes' contours, keeps
only the sites with a share inside the territory > 0 (the bbox of a WFS query, or a
département-wide file, is only a coarse filter; a site that merely touches the border
overlaps by nothing and is reported ``site_contigu_au_territoire``), and publishes a site
once when several layers or pages return it (the copy modified last is kept).

The family modules (:mod:`patrinat`, :mod:`ens`) map their attributes to the published
columns; :func:`measured_columns` gives the columns every natural-area table shares.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from patrimoine.areas import (
    GEOMETRY_REPAIRED,
    WGS84,
    AreaInTerritory,
    TerritoryAreas,
    cleaned,
    geodesic_area,
    repaired,
    rfc7946,
)
from patrimoine.errors import SchemaError
from patrimoine.territory import Territory
from patrimoine.transforms.dates import iso_date
from patrimoine.transforms.fields import SourceField
from patrimoine.transforms.result import KEY, LINE, SourceRecords
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean

GEOMETRY = "geometrie"
"""Source-record column: the GeoJSON type of a non-empty served geometry, else empty."""
GEOMETRY_VALID = "geometrie_valide"
"""Source-record column: ``true``/``false`` whether the served geometry was valid as served
(``false``: self-intersecting, overlapping parts…, repaired before publication), empty when
there is none. The source suite reports the invalid ones to tell the producer."""

LAYER = "_couche"
"""Feature property the WFS source adds: the catalog's layer key."""
SOURCE_LINE = "_ligne_source"
"""Feature property a file source adds: the record's line in the producer's own file (a
CSV line, a feature's rank), so a remark points where the producer can look."""

SHARE_DECIMALS = 4
SITE_TWICE = "site_en_double"
SITE_TOUCHING = "site_contigu_au_territoire"
SITE_SEVERAL_LAYERS = "site_plusieurs_couches"
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def text(value: Any) -> str:
    """A property as clean text (``None`` → ``""``, booleans lower-case)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return clean(str(value))


def lookup(folded: Mapping[str, Any], source_field: SourceField) -> str:
    """The first non-empty value among the field's spellings (``folded``: lower-case keys)."""
    for alias in source_field.aliases:
        found = text(folded.get(alias.lower()))
        if found:
            return found
    return ""


def day(value: str) -> date | None:
    """An ISO date, also from a timestamp (``2021-11-05T00:00:00Z``)."""
    return iso_date(value[:10]) if len(value) >= 10 else iso_date(value)


def number(value: str) -> float | None:
    """A decimal with a point or a comma, else ``None``."""
    return float(value.replace(",", ".")) if _NUMBER.match(value) else None


def geometry_text(geometry: Polygon | MultiPolygon) -> str:
    """The published geometry: compact RFC 7946 JSON of the normalised polygons.

    Normalised first (ring start, orientation, order of parts), so an identical re-export
    stages the same text and a moved vertex is a modification.
    """
    normal = shapely.normalize(geometry)
    return json.dumps(rfc7946(normal), separators=(",", ":"))


def served_geometry_type(value: Any) -> str:
    """``Polygon``/``MultiPolygon``… when the served geometry has coordinates, else ``""``."""
    if not isinstance(value, Mapping):
        return ""
    coordinates = value.get("coordinates") or value.get("geometries")
    return str(value.get("type") or "") if coordinates else ""


def read_document(path: Path) -> dict[str, Any]:
    """A GeoJSON FeatureCollection file, whole (a source may add its own members)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path.name} : GeoJSON illisible ({exc})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SchemaError(f"{path.name} : ce n'est pas une FeatureCollection GeoJSON")
    return document


def read_collection(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection file."""
    features = read_document(path).get("features") or []
    return [f for f in features if isinstance(f, dict)]


def missing_fields(
    features: Sequence[Mapping[str, Any]], fields: Mapping[str, SourceField]
) -> set[str]:
    """Fields no feature carries under any spelling (absent columns, for the source suite)."""
    seen = {str(k).lower() for f in features for k in (f.get("properties") or {})}
    return {
        name
        for name, source_field in fields.items()
        if not any(alias.lower() in seen for alias in source_field.aliases)
    }


@dataclass
class Site:
    """One site to publish, from its kept copy."""

    index: int
    key: str
    values: dict[str, str]
    layers: list[str]
    geometry: Polygon | MultiPolygon
    measure: AreaInTerritory | None
    updated: date | None
    properties: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    """Where the producer finds the record (its file's line, else its rank here)."""


@dataclass
class Sites:
    """The sites to publish (in source order) and the records the source suite reads."""

    sites: list[Site]
    source: SourceRecords


Updated = Callable[[Mapping[str, str]], date | None]
"""The last modification date of a site from its values (the newer copy wins)."""
LayerNote = Callable[[Sequence[str], str], str]
"""The remark for a key seen again in another layer (kept layers, new layer)."""


def _several_layers(_: Sequence[str], __: str) -> str:
    return SITE_SEVERAL_LAYERS


def collect(
    features: Sequence[dict[str, Any]],
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    *,
    updated: Updated,
    layer_note: LayerNote = _several_layers,
) -> Sites:
    """Clean, measure, filter and deduplicate the features; ``territory=None`` keeps all.

    ``fields`` must have an ``identifiant``; the fields no feature carries are left out
    of the source records, so the source suite reports them as absent columns.
    """
    stats.read = len(features)
    missing = missing_fields(features, fields)
    present = [name for name in fields if name not in missing]
    measurer = TerritoryAreas(territory) if territory is not None else None
    union = _territory_union(territory) if territory is not None else None
    envelope = measurer.envelope if measurer is not None else (-90.0, 90.0, -180.0, 180.0)

    kept: dict[str, Site] = {}
    source_rows: dict[str, list[str]] = {}
    for index, feature in enumerate(features):
        properties = dict(feature.get("properties") or {})
        line = _source_line(properties.pop(SOURCE_LINE, None), index + 1)
        folded = {str(k).lower(): v for k, v in properties.items()}
        values = {name: lookup(folded, fields[name]) for name in present}
        key = values.get("identifiant", "")
        label = key or f"entité {line}"
        layer = text(properties.get(LAYER))
        record = [key or f"ligne {line}", str(line), *(values[n] for n in present)]
        served = served_geometry_type(feature.get("geometry"))
        record.append(served)

        if measurer is not None:
            clean_geometry = measurer.clean(feature.get("geometry"), WGS84)
        else:
            clean_geometry = cleaned(feature.get("geometry"), envelope, WGS84)
        valid = GEOMETRY_REPAIRED not in clean_geometry.notes
        record.append(str(valid).lower() if served else "")
        for note in clean_geometry.notes:
            stats.problem(note, line, label)
        geometry = clean_geometry.geometry
        if geometry is None:
            # Served in the bbox but nothing to place: kept for the source suite only.
            source_rows.setdefault(record[0], record)
            continue
        measure = measurer.measure(geometry) if measurer is not None else None
        if measure is not None and not measure.inside:
            stats.out_of_territory += 1
            if union is not None and union.intersects(geometry):
                stats.problem(SITE_TOUCHING, line, label)
            continue
        if not key:
            source_rows.setdefault(record[0], record)  # quarantined by the source suite
            continue
        when = updated(values)
        site = Site(index, key, values, [layer] if layer else [], geometry, measure, when)
        site.properties, site.line = properties, line
        previous = kept.get(key)
        if previous is None:
            kept[key] = site
            source_rows[key] = record
            continue
        if layer and layer not in previous.layers:
            stats.problem(layer_note(previous.layers, layer), line, key)  # one site, not a copy
            previous.layers.append(layer)
        else:
            stats.duplicates += 1
            stats.problem(SITE_TWICE, line, key)
        if (when or date.min) > (previous.updated or date.min):
            site.layers = previous.layers
            kept[key] = site
            source_rows[key] = record

    columns = [KEY, LINE, *present, GEOMETRY, GEOMETRY_VALID]
    source = SourceRecords(columns=columns, rows=list(source_rows.values()))
    return Sites(sites=list(kept.values()), source=source)


def _source_line(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _territory_union(territory: Territory) -> BaseGeometry | None:
    """The communes' contours as one prepared shape, to tell a site touching the border."""
    shapes = [repaired(c.contour)[0] for c in territory.communes if c.contour]
    found = [s for s in shapes if s is not None]
    if not found:
        return None
    union = shapely.unary_union(found)
    shapely.prepare(union)
    return union


def measured_columns(site: Site, territory: Territory | None) -> dict[str, Any]:
    """The columns every natural-area table shares: communes, areas, share, geometry."""
    measure = site.measure
    communes = measure.communes if measure is not None else ()
    names = []
    for code in communes:
        commune = territory.commune(code) if territory is not None else None
        names.append(commune.nom if commune is not None else code)
    area_m2 = measure.area_m2 if measure is not None else geodesic_area(site.geometry)
    share = measure.share if measure is not None else None
    return {
        "codes_insee": ";".join(communes) or None,
        "communes": ";".join(names) or None,
        "surface_ha": round(area_m2 / 10_000, 2),
        # No territory (national export): nothing is inside, so the suites trip.
        "surface_dans_territoire_ha": round(measure.inside_ha, 2) if measure is not None else 0.0,
        # Rounded, but never to 0: a published site is inside by definition.
        "part_dans_territoire": (
            max(round(share, SHARE_DECIMALS), 10.0**-SHARE_DECIMALS) if share is not None else 0.0
        ),
        GEOMETRY: geometry_text(site.geometry),
    }


__all__: Sequence[str] = [
    "GEOMETRY",
    "GEOMETRY_VALID",
    "LAYER",
    "SOURCE_LINE",
    "Site",
    "Sites",
    "collect",
    "day",
    "geometry_text",
    "lookup",
    "measured_columns",
    "missing_fields",
    "number",
    "read_collection",
    "read_document",
    "served_geometry_type",
    "text",
]
