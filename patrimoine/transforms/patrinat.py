"""PatriNat natural areas (ZNIEFF, Natura 2000…) from the WFS extract into the published table.

Input: the GeoJSON FeatureCollection :mod:`patrimoine.sources.wfs` writes, one feature per
site and layer, in lon/lat WGS84, each tagged with ``_couche`` (the catalog's layer key) and
``_type_wfs``. Attributes follow the uniform PatriNat schema (sources.md §7.1): ``id_mnhn``,
``nom_site``, ``date_crea``, ``modif_adm``, ``modif_geo``, ``url_fiche``, ``surf_off``,
``gest_site``; the Natura 2000 layers name their sites ``sitecode`` / ``sitename``.

Per feature: the geometry is cleaned (axes, validity, grid: :func:`areas.cleaned`, notes
reported under the site's identifier) and measured against the communes' contours. Only a
site with a share inside the territory > 0 is published: the WFS bbox is a coarse filter,
and a site that merely touches the border overlaps by nothing (reported
``site_contigu_au_territoire``; one wholly elsewhere just counts as out of territory).

Duplicates: a site returned twice (two pages, two layers) is published once, the copy with
the latest ``modif_geo``/``modif_adm`` kept (``site_en_double``). Natura 2000 SIC/ZSC and ZPS
have distinct site codes (FR83 01… / FR83 10…); should one code come from both layers, it is
still one site: published once with ``directive = "Habitats;Oiseaux"`` (reported
``site_deux_directives``), never twice under one key.

``territory=None`` (national export) keeps every site, with no commune and a share of 0:
the published suite then quarantines them all, as it should outside any territory.

Identifier: ``sitecode`` when the feature has one (Natura 2000), else ``id_mnhn``.

The geometry is published whole (not clipped, see :mod:`patrimoine.areas`) as the compact
text of its RFC 7946 GeoJSON, normalised first (ring start, orientation, order of parts), so
an identical re-export stages the same text and a moved vertex is a modification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from patrimoine.areas import (
    WGS84,
    AreaInTerritory,
    TerritoryAreas,
    cleaned,
    geodesic_area,
    repaired,
    rfc7946,
)
from patrimoine.catalog import DatasetEntry
from patrimoine.errors import SchemaError
from patrimoine.territory import Territory
from patrimoine.transforms.dates import iso_date
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.result import KEY, LINE, SourceRecords, TransformResult
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean

FIELDS: dict[str, SourceField] = {
    "identifiant": SourceField(("sitecode", "id_mnhn"), REQUIRED),
    "nom": SourceField(("nom_site", "sitename", "nom"), BLOCKING),
    "url_fiche": SourceField(("url_fiche", "url"), WARNING),
    "surf_off": SourceField(("surf_off",), WARNING),
    "date_crea": SourceField(("date_crea",), WARNING),
    "modif_adm": SourceField(("modif_adm",), WARNING),
    "modif_geo": SourceField(("modif_geo",), WARNING),
    "gest_site": SourceField(("gest_site",), WARNING),
}
"""Feature properties read, by canonical name (compared case-insensitively)."""

GEOMETRY = "geometrie"
"""Source-record column: the GeoJSON type of a non-empty served geometry, else empty."""

DIRECTIVES = {"sic": "Habitats", "zsc": "Habitats", "zps": "Oiseaux"}
"""Natura 2000 layer key → directive (Habitats: SIC/ZSC, Oiseaux: ZPS)."""

SHARE_DECIMALS = 4
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return clean(str(value))


def _lookup(folded: Mapping[str, Any], field: SourceField) -> str:
    """The first non-empty value among the field's spellings (``folded``: lower-case keys)."""
    for alias in field.aliases:
        text = _text(folded.get(alias.lower()))
        if text:
            return text
    return ""


def _day(value: str) -> date | None:
    """An ISO date, also from a timestamp (``2021-11-05T00:00:00Z``)."""
    return iso_date(value[:10]) if len(value) >= 10 else iso_date(value)


def _last_modified(values: Mapping[str, str]) -> date | None:
    """The latest of the administrative and geometric modification dates."""
    days = [_day(values.get(name, "")) for name in ("modif_adm", "modif_geo")]
    return max((d for d in days if d is not None), default=None)


def _number(value: str) -> float | None:
    return float(value.replace(",", ".")) if _NUMBER.match(value) else None


def geometry_text(geometry: Polygon | MultiPolygon) -> str:
    """The published geometry: compact RFC 7946 JSON of the normalised polygons."""
    normal = shapely.normalize(geometry)
    return json.dumps(rfc7946(normal), separators=(",", ":"))


def _served_geometry_type(value: Any) -> str:
    """``Polygon``/``MultiPolygon``… when the served geometry has coordinates, else ``""``."""
    if not isinstance(value, Mapping):
        return ""
    coordinates = value.get("coordinates") or value.get("geometries")
    return str(value.get("type") or "") if coordinates else ""


@dataclass
class _Site:
    """One site to publish, from its kept copy."""

    index: int
    key: str
    values: dict[str, str]
    layers: list[str]
    geometry: Polygon | MultiPolygon
    measure: AreaInTerritory | None
    updated: date | None


def _read(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SchemaError(f"{path.name} : ce n'est pas une FeatureCollection GeoJSON")
    features = document.get("features") or []
    return [f for f in features if isinstance(f, dict)]


def _missing(features: Sequence[dict[str, Any]], fields: Mapping[str, SourceField]) -> set[str]:
    """Fields no feature carries under any spelling (absent columns, for the source suite)."""
    seen = {str(k).lower() for f in features for k in (f.get("properties") or {})}
    return {
        name
        for name, field in fields.items()
        if not any(alias.lower() in seen for alias in field.aliases)
    }


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by identifier; ``territory=None`` keeps every site."""
    features = _read(path)
    stats.read = len(features)
    missing = _missing(features, fields)
    if features and "identifiant" in missing:
        raise SchemaError(
            f"{entry.name} : aucune entité ne porte d'identifiant "
            f"({' ou '.join(fields['identifiant'].aliases)})"
        )
    present = [name for name in fields if name not in missing]
    measurer = TerritoryAreas(territory) if territory is not None else None
    union = _territory_union(territory) if territory is not None else None
    envelope = measurer.envelope if measurer is not None else (-90.0, 90.0, -180.0, 180.0)

    sites: dict[str, _Site] = {}
    source_rows: dict[str, list[str]] = {}
    for index, feature in enumerate(features):
        line = index + 1
        properties = feature.get("properties") or {}
        folded = {str(k).lower(): v for k, v in properties.items()}
        values = {name: _lookup(folded, fields[name]) for name in present}
        key = values.get("identifiant", "")
        label = key or f"entité {line}"
        layer = _text(properties.get("_couche"))
        record = [key or f"ligne {line}", str(line), *(values[n] for n in present)]
        record.append(_served_geometry_type(feature.get("geometry")))

        if measurer is not None:
            clean_geometry = measurer.clean(feature.get("geometry"), WGS84)
        else:
            clean_geometry = cleaned(feature.get("geometry"), envelope, WGS84)
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
                stats.problem("site_contigu_au_territoire", line, label)
            continue
        if not key:
            source_rows.setdefault(record[0], record)  # quarantined by the source suite
            continue
        updated = _last_modified(values)
        previous = sites.get(key)
        if previous is None:
            sites[key] = _Site(index, key, values, [layer], geometry, measure, updated)
            source_rows[key] = record
            continue
        directives = {DIRECTIVES.get(x) for x in previous.layers}
        if layer not in previous.layers:
            previous.layers.append(layer)
        if DIRECTIVES.get(layer) and DIRECTIVES.get(layer) not in directives:
            stats.problem("site_deux_directives", line, key)  # one site, not a copy
        else:
            stats.duplicates += 1
            stats.problem("site_en_double", line, key)
        if (updated or date.min) > (previous.updated or date.min):
            layers = previous.layers
            sites[key] = _Site(index, key, values, layers, geometry, measure, updated)
            source_rows[key] = record

    source = SourceRecords(columns=[KEY, LINE, *present, GEOMETRY], rows=list(source_rows.values()))
    rows = [_row(entry, site, territory) for site in sites.values()]
    rows.sort(key=lambda r: str(r[0]))
    stats.kept = len(rows)
    return TransformResult(rows=rows, source=source)


def _territory_union(territory: Territory) -> BaseGeometry | None:
    """The communes' contours as one prepared shape, to tell a site touching the border."""
    shapes = [repaired(c.contour)[0] for c in territory.communes if c.contour]
    found = [s for s in shapes if s is not None]
    if not found:
        return None
    union = shapely.unary_union(found)
    shapely.prepare(union)
    return union


def _row(entry: DatasetEntry, site: _Site, territory: Territory | None) -> tuple[Any, ...]:
    values = site.values
    measure = site.measure
    communes = measure.communes if measure is not None else ()
    names = []
    for code in communes:
        commune = territory.commune(code) if territory is not None else None
        names.append(commune.nom if commune is not None else code)
    area_m2 = measure.area_m2 if measure is not None else geodesic_area(site.geometry)
    share = measure.share if measure is not None else None
    directives = sorted({DIRECTIVES[x] for x in site.layers if x in DIRECTIVES})
    row: dict[str, Any] = {
        "identifiant": site.key,
        "nom": values.get("nom") or None,
        "couche": ";".join(sorted(site.layers)) or None,
        "directive": ";".join(directives) or None,
        "url_fiche": values.get("url_fiche") or None,
        "surface_officielle_ha": _number(values.get("surf_off", "")),
        "date_creation": _day(values.get("date_crea", "")),
        "date_modification": _last_modified(values),
        "gestionnaire": values.get("gest_site") or None,
        "codes_insee": ";".join(communes) or None,
        "communes": ";".join(names) or None,
        "surface_ha": round(area_m2 / 10_000, 2),
        # No territory (national export): nothing is inside, so the suites trip.
        "surface_dans_territoire_ha": round(measure.inside_ha, 2) if measure is not None else 0.0,
        # Rounded, but never to 0: a published site is inside by definition.
        "part_dans_territoire": (
            max(round(share, SHARE_DECIMALS), 10.0**-SHARE_DECIMALS) if share is not None else 0.0
        ),
        "geometrie": geometry_text(site.geometry),
    }
    return tuple(row[name] for name in entry.column_names)


__all__: Sequence[str] = ["DIRECTIVES", "FIELDS", "GEOMETRY", "geometry_text", "transform"]
