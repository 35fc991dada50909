"""Geographic files the collectivité names in a setting, one per département.

Some layers have no national service (the espaces naturels sensibles are a policy of each
département): the files come from wherever each Conseil départemental publishes them. The
catalog entry names the setting and the snapshot's samples::

    [source]
    kind = "configured_file"
    setting = "ens_sources"                       # PATRIMOINE_ENS_SOURCES
    offline = { "63" = "inputs/ens-63.geojson" }  # --offline, when the setting is empty

The setting maps département codes to a path or an http(s) URL (``63=https://…;42=/data/
x.csv``, see :func:`patrimoine.config._departement_locations`). Only the territory's
départements are read; a territory département without a location while another has one is
a warning (its sites are simply missing), no location at all for the territory is
:class:`NotConfigured` (the dataset is « non configuré », the run still succeeds), and a
location that cannot be read fails the dataset naming the setting and the département.

Each file is a GeoJSON FeatureCollection or a CSV whose geometry is in a column
(``geometrie``, ``geom``, ``the_geom``, ``wkt`` or ``geometry``: WKT, EWKT or GeoJSON text;
``;`` or ``,`` separated; UTF-8 with or without BOM, or Windows-1252). Coordinates are WGS84
lon/lat, or Lambert-93 (EPSG:2154) when a GeoJSON ``crs`` member or an EWKT ``SRID`` says
so, or when they are plainly metres; any other declared EPSG code is reprojected too.

The result is one FeatureCollection in lon/lat (axis order and validity are left to
:func:`patrimoine.areas.cleaned`, in the transform), each feature tagged with
``_departement``; its ``_patrimoine`` member lists the départements without a file, for
the report. A geometry text that cannot be read is kept as ``{"type": "illisible"}`` so
the transform reports it (``geometrie_illisible``) with the site's identifier.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from patrimoine.areas import to_wgs84
from patrimoine.catalog import DatasetEntry
from patrimoine.config import ENV_PREFIX, Settings
from patrimoine.errors import (
    CatalogError,
    NotConfigured,
    PipelineError,
    SchemaError,
    SourceError,
)
from patrimoine.http import HttpClient
from patrimoine.sources.datagouv_resource import ExtractResult
from patrimoine.sources.supplements import is_url, local_copy
from patrimoine.sources.wfs import declared_epsg
from patrimoine.territory import Territory
from patrimoine.transforms.reader import header_key, sniff_delimiter
from patrimoine.transforms.sites import SOURCE_LINE, read_document

log = logging.getLogger(__name__)

DEPARTEMENT = "_departement"
"""Feature property: the département whose file the feature comes from."""
NOTES = "_patrimoine"
"""Member of the merged collection: what the report must say about the files."""
MISSING = "departements_sans_fichier"
GEOMETRY_COLUMNS = ("geometrie", "geom", "the_geom", "wkt", "geometry")
"""Header keys (:func:`header_key`) of a CSV column holding the geometry, in order."""
UNREADABLE = {"type": "illisible"}
LAMBERT_93 = 2154
_SRID = re.compile(r"^\s*SRID=(\d+)\s*;", re.IGNORECASE)
COORDINATE_DECIMALS = 8


@dataclass(frozen=True)
class Location:
    """Where one département's file comes from this run."""

    departement: str
    where: str

    @property
    def public(self) -> str:
        """What the metadata sheet says: the URL, or a local file's name only."""
        return self.where if is_url(self.where) else f"fichier {Path(self.where).name}"


def _setting(entry: DatasetEntry, settings: Settings) -> str:
    name = entry.source.get("setting")
    if not isinstance(name, str) or not hasattr(settings, name):
        raise CatalogError(
            f'{entry.name} : [source] kind = "configured_file" doit nommer un réglage connu '
            "(« setting », par exemple ens_sources)"
        )
    return name


def variable(entry: DatasetEntry) -> str:
    """The environment variable of the entry's setting (``PATRIMOINE_ENS_SOURCES``)."""
    return ENV_PREFIX + str(entry.source.get("setting", "")).upper()


def _offline(entry: DatasetEntry, settings: Settings) -> dict[str, str]:
    raw = entry.source.get("offline", {})
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise CatalogError(
            f'{entry.name} : [source] offline attend {{ "63" = "inputs/fichier.geojson" }}'
        )
    return {str(code): str(settings.snapshot_dir / path) for code, path in raw.items()}


def locations(entry: DatasetEntry, settings: Settings, territory: Territory) -> list[Location]:
    """The territory's départements that have a file this run; warns about the others.

    Raises :class:`NotConfigured` when none has one.
    """
    name = _setting(entry, settings)
    configured = dict(getattr(settings, name) or ())
    if not configured and settings.offline:
        configured = _offline(entry, settings)
    wanted = territory.departements
    found = [Location(code, configured[code]) for code in wanted if code in configured]
    if not found:
        elsewhere = f" (donné pour {', '.join(sorted(configured))} seulement)" if configured else ""
        raise NotConfigured(
            f"aucun fichier pour le(s) département(s) "
            f"{', '.join(wanted)} du territoire dans {variable(entry)}{elsewhere}",
            hint=(
                f"pour publier ce jeu, renseignez {variable(entry)} "
                f"({'=…;'.join(wanted)}=chemin ou URL d'un GeoJSON ou d'un CSV)"
            ),
        )
    for code in missing_departements(found, territory):
        log.warning(
            "%s : aucun fichier pour le département %s du territoire dans %s : ses sites "
            "manqueront",
            entry.name,
            code,
            variable(entry),
        )
    return found


def missing_departements(found: Sequence[Location], territory: Territory) -> list[str]:
    given = {location.departement for location in found}
    return [code for code in territory.departements if code not in given]


def extract(
    client: HttpClient, settings: Settings, entry: DatasetEntry, territory: Territory
) -> ExtractResult:
    """Every département's file of the territory, merged into one lon/lat FeatureCollection."""
    found = locations(entry, settings, territory)
    folder = settings.cache_dir / entry.name
    features: list[dict[str, Any]] = []
    for location in found:
        path = _fetch(client, entry, location, folder / "sources" / location.departement)
        try:
            read = read_features(path.read_bytes(), path.name)
        except PipelineError as exc:
            raise _named(exc, entry, location) from None
        log.info(
            "%s : %d entité(s) lue(s) pour le département %s (%s)",
            entry.name,
            len(read),
            location.departement,
            location.public,
        )
        for feature in read:
            properties = {**feature["properties"], DEPARTEMENT: location.departement}
            features.append({**feature, "properties": properties})
    collection = {
        "type": "FeatureCollection",
        NOTES: {MISSING: missing_departements(found, territory)},
        "features": features,
    }
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out = folder / f"{entry.name}.geojson"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    return ExtractResult(
        path=out,
        url=" ; ".join(f"{loc.departement}={loc.public}" for loc in found),
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        not_modified=False,
    )


def _fetch(client: HttpClient, entry: DatasetEntry, location: Location, folder: Path) -> Path:
    """The département's file on disk; fails naming the setting and the département."""
    try:
        path = local_copy(client, location.where, folder, f"{entry.name}.geojson")
    except SourceError as exc:
        raise _named(exc, entry, location) from None
    if path is None:
        raise SourceError(
            f"fichier du département {location.departement} introuvable : {location.where}",
            hint=_hint(entry, location),
        )
    return path


def _hint(entry: DatasetEntry, location: Location) -> str:
    return (
        f"corrigez {variable(entry)} pour le département {location.departement} "
        "(chemin ou URL d'un GeoJSON ou d'un CSV avec une colonne de géométrie)"
    )


def _named(exc: PipelineError, entry: DatasetEntry, location: Location) -> PipelineError:
    """``exc`` saying which département and setting it is about (transient kept)."""
    exc.cause = f"département {location.departement} ({variable(entry)}) : {exc.cause}"
    exc.hint = f"{_hint(entry, location)} ; {exc.hint}" if exc.hint else _hint(entry, location)
    return exc


# -- reading one file -------------------------------------------------------------------------
def decode(body: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (an Excel export)."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def read_features(body: bytes, name: str) -> list[dict[str, Any]]:
    """The features of one file (GeoJSON or CSV, told by its content), in lon/lat."""
    text = decode(body)
    if not text.strip():
        raise SchemaError(f"fichier « {name} » vide")
    if text.lstrip().startswith("{"):
        return _geojson_features(text, name)
    return _csv_features(text, name)


def _geojson_features(text: str, name: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"fichier « {name} » : GeoJSON illisible ({exc})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SchemaError(f"fichier « {name} » : ce n'est pas une FeatureCollection GeoJSON")
    declared = declared_epsg(document, name)
    features = []
    for rank, feature in enumerate(document.get("features") or [], start=1):
        if not isinstance(feature, dict):
            continue
        properties = feature.get("properties")
        geometry = _lonlat_mapping(feature.get("geometry"), declared)
        found = dict(properties) if isinstance(properties, dict) else {}
        features.append(
            {"type": "Feature", "geometry": geometry, "properties": {**found, SOURCE_LINE: rank}}
        )
    return features


def _csv_features(text: str, name: str) -> list[dict[str, Any]]:
    first = text.splitlines()[0]
    delimiter = sniff_delimiter(first)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    keys = [header_key(h) for h in header]
    column = next((keys.index(k) for k in GEOMETRY_COLUMNS if k in keys), None)
    if column is None:
        raise SchemaError(
            f"le fichier CSV « {name} » n'a pas de colonne de géométrie : il faut une colonne "
            "geometrie, geom, the_geom ou wkt (texte WKT ou GeoJSON), ou un fichier GeoJSON",
            hint="le schéma ENS ne décrit que les attributs : demandez au producteur un export "
            "avec la géométrie",
        )
    features = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SchemaError(
                f"fichier « {name} », ligne {line} : {len(row)} champs au lieu de "
                f"{len(header)} (fichier tronqué ou mal formé)"
            )
        properties: dict[str, Any] = {
            h: v for i, (h, v) in enumerate(zip(header, row, strict=True)) if i != column
        }
        properties[SOURCE_LINE] = line  # the CSV's own line, header included
        features.append(
            {
                "type": "Feature",
                "geometry": _geometry_text(row[column]),
                "properties": properties,
            }
        )
    return features


def _geometry_text(value: str) -> dict[str, Any] | None:
    """A CSV cell (WKT, EWKT or GeoJSON text) as a lon/lat GeoJSON geometry."""
    text = value.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            return _lonlat_mapping(json.loads(text), None)
        except json.JSONDecodeError:
            return dict(UNREADABLE)
    srid = _SRID.match(text)
    declared = int(srid.group(1)) if srid else None
    try:
        geometry = shapely.from_wkt(text[srid.end() :] if srid else text)
    except (ShapelyError, ValueError):
        return dict(UNREADABLE)
    return _lonlat(geometry, declared)


def _lonlat_mapping(value: Any, declared: int | None) -> dict[str, Any] | None:
    """A GeoJSON geometry reprojected to lon/lat; one that cannot be read is left as is."""
    if not isinstance(value, Mapping):
        return None
    try:
        geometry = shape(value)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError, ShapelyError):
        return dict(value)
    return _lonlat(geometry, declared)


def in_metres(geometry: BaseGeometry) -> bool:
    """Coordinates no lon/lat can have: a projected CRS (Lambert-93 in France)."""
    if geometry.is_empty:
        return False
    x_min, y_min, x_max, y_max = (float(v) for v in geometry.bounds)
    return max(abs(x_min), abs(x_max)) > 180 or max(abs(y_min), abs(y_max)) > 90


def _lonlat(geometry: BaseGeometry | None, declared: int | None) -> dict[str, Any] | None:
    if geometry is None:
        return None
    if geometry.is_empty:
        return {"type": geometry.geom_type, "coordinates": []}
    epsg = declared or (LAMBERT_93 if in_metres(geometry) else 4326)
    if epsg != 4326:
        geometry = to_wgs84(geometry, f"EPSG:{epsg}")
    return dict(_rounded(mapping(geometry)))


def _rounded(node: Any) -> Any:
    if isinstance(node, float):
        return round(node, COORDINATE_DECIMALS)
    if isinstance(node, list | tuple):
        return [_rounded(v) for v in node]
    if isinstance(node, dict):
        return {k: _rounded(v) for k, v in node.items()}
    return node


def read_merged(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The merged collection this source writes: its features and its notes."""
    document = read_document(path)
    notes = document.get(NOTES)
    features = [f for f in document.get("features") or [] if isinstance(f, dict)]
    return features, dict(notes) if isinstance(notes, dict) else {}


__all__ = [
    "DEPARTEMENT",
    "MISSING",
    "NOTES",
    "Location",
    "decode",
    "extract",
    "in_metres",
    "locations",
    "read_features",
    "read_merged",
    "variable",
]
