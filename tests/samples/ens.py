"""Synthetic espaces naturels sensibles (ENS) of the Puy-de-Dôme (63), drawn over the real
contours of Clermont Auvergne Métropole, in the ENS exchange schema of Auvergne-Rhône-Alpes
(sources.md §7.3: identifiant, nom, date_delib, diffusion_carto, surface_off, lien, source,
millesime, commentaire).

SYNTHETIC: no open ENS file of the Puy-de-Dôme was found; identifiers follow the schema's
pattern (``fr-ENS063-000001``) but the sites, names and shapes are invented, laid out with
the helpers of :mod:`tests.samples.patrinat` over the simplified IGN contours. The sample
file is GeoJSON in Lambert-93 with a ``crs`` member, as a département's GIS exports it;
:func:`ens_csv` gives the same sites as a ``;`` CSV with a WKT column. Traps, by identifier:

- ``STRADDLING`` across the territory's eastern border (share strictly between 0 and 1);
- ``TOUCHING`` against that border from outside, meeting it at one vertex (not published);
- ``OUTSIDE`` in the département, wholly outside the territory (not published);
- ``BOWTIE`` self-intersecting inside Clermont-Ferrand (repaired into its two triangles);
- ``TWICE`` given twice by the file (published once);
- ``YEAR_ONLY`` ``date_delib`` is only a year, ``2009`` (published ``2009-01-01``);
- ``HIDDEN`` ``diffusion_carto`` ``false``: in the CSV, not in the GeoJSON (``hors_carte``);
- ``MULTI`` a MultiPolygon with one part in Chamalières and one in Royat, ``diffusion_carto``
  written ``oui`` and ``surface_off`` with a decimal comma (``"12,5"``);
- ``PLAIN`` a square wholly inside Orcines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from tests.samples.patrinat import (
    CEYRAT,
    CHAMALIERES,
    CLERMONT,
    CONTOURS,
    ORCINES,
    ROYAT,
    _east_vertex,
    _hectares,
    _inside,
    _multi,
    _rounded,
    _square,
)

if TYPE_CHECKING:
    from tests.samples.merimee import Commune

DEPARTEMENT = "63"
STRADDLING = "fr-ENS063-000001"
TOUCHING = "fr-ENS063-000002"
OUTSIDE = "fr-ENS063-000003"
BOWTIE = "fr-ENS063-000004"
TWICE = "fr-ENS063-000005"
YEAR_ONLY = "fr-ENS063-000006"
HIDDEN = "fr-ENS063-000007"
MULTI = "fr-ENS063-000008"
PLAIN = "fr-ENS063-000009"
ORDER = (STRADDLING, TOUCHING, OUTSIDE, BOWTIE, TWICE, YEAR_ONLY, HIDDEN, MULTI, PLAIN, TWICE)
"""Features in file order (``TWICE`` twice)."""
PUBLISHED = (BOWTIE, HIDDEN, MULTI, PLAIN, STRADDLING, TWICE, YEAR_ONLY)
MAPPED = tuple(i for i in PUBLISHED if i != HIDDEN)
SAMPLE_FILE = "ens-63.geojson"
LAMBERT_93_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}


@cache
def geometries() -> dict[str, Any]:
    """Identifier → GeoJSON geometry (lon/lat) of every synthetic site."""
    east_lon, east_lat = _east_vertex()
    x, y = CONTOURS[CLERMONT].representative_point().coords[0]
    d = 0.0025
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]
        ],
    }
    found: dict[str, Any] = {
        STRADDLING: mapping(_square(east_lon, east_lat, 0.005)),
        TOUCHING: mapping(shapely.box(east_lon, east_lat - 0.005, east_lon + 0.009, east_lat)),
        OUTSIDE: mapping(_square(east_lon + 0.15, east_lat - 0.1, 0.004)),
        BOWTIE: bowtie,
        TWICE: mapping(_inside(CEYRAT, 0.0025)),
        YEAR_ONLY: mapping(_inside(ROYAT, 0.0015)),
        HIDDEN: mapping(_inside(ORCINES, 0.0015)),
        MULTI: _multi(CHAMALIERES, ROYAT),
        PLAIN: mapping(_square(*_offset(ORCINES, 0.012), 0.003)),
    }
    return {k: json.loads(json.dumps(_rounded(v))) for k, v in found.items()}


def _offset(code: str, dlat: float) -> tuple[float, float]:
    """A point of the commune north of its representative point (checked inside)."""
    point = CONTOURS[code].representative_point()
    lon, lat = point.x, point.y + dlat
    assert CONTOURS[code].contains(_square(lon, lat, 0.003)), code
    return lon, lat


def properties(identifier: str, **changes: Any) -> dict[str, Any]:
    """The AURA schema attributes of a synthetic site."""
    values: dict[str, Any] = {
        "identifiant": identifier,
        "nom": f"ENS synthétique {identifier[-3:]} (site de test)",
        "date_delib": "2013-11-22",
        "diffusion_carto": True,
        "surface_off": _hectares(geometries()[identifier]),
        "lien": f"https://exemple.puy-de-dome.fr/ens/{identifier}.pdf",
        "source": "Orthophoto",
        "millesime": 2013,
        "commentaire": "SYNTHÉTIQUE : site inventé pour les tests de patrimoine",
    }
    traps: dict[str, dict[str, Any]] = {
        YEAR_ONLY: {"date_delib": "2009"},
        HIDDEN: {"diffusion_carto": False, "commentaire": "Station d'espèce sensible"},
        MULTI: {"diffusion_carto": "oui", "surface_off": "12,5", "source": "PCI Vecteur"},
    }
    return {**values, **traps.get(identifier, {}), **changes}


def features() -> list[dict[str, Any]]:
    """The sites as lon/lat GeoJSON features, in file order."""
    shapes = geometries()
    return [{"type": "Feature", "geometry": shapes[i], "properties": properties(i)} for i in ORDER]


@cache
def _to_lambert() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def lambert(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A lon/lat GeoJSON geometry in Lambert-93 metres (centimetres kept)."""
    transformer = _to_lambert()

    def project(xy: Any) -> Any:
        xs, ys = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([xs, ys])

    moved = shapely.transform(shape(geometry), project)
    return dict(_centimetres(mapping(moved)))


def _centimetres(node: Any) -> Any:
    if isinstance(node, float):
        return round(node, 2)
    if isinstance(node, list | tuple):
        return [_centimetres(v) for v in node]
    if isinstance(node, dict):
        return {k: _centimetres(v) for k, v in node.items()}
    return node


def ens_geojson(
    members: Sequence[dict[str, Any]] | None = None, *, in_lambert: bool = True
) -> bytes:
    """The file a département's GIS exports: Lambert-93 with a ``crs`` member by default."""
    found = list(members) if members is not None else features()
    if in_lambert:
        found = [{**f, "geometry": lambert(f["geometry"])} for f in found]
    collection: dict[str, Any] = {"type": "FeatureCollection", "name": "ens_63"}
    if in_lambert:
        collection["crs"] = LAMBERT_93_CRS
    collection["features"] = found
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def ens_csv(
    members: Sequence[dict[str, Any]] | None = None,
    *,
    geometry_column: str | None = "geometrie",
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
) -> bytes:
    """The same sites as a CSV export: the AURA columns, then a WKT column (lon/lat)."""
    found = list(members) if members is not None else features()
    header = list(properties(PLAIN))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*header, *([geometry_column] if geometry_column else [])])
    for feature in found:
        values = feature["properties"]
        cells = ["" if values.get(h) is None else _cell(values.get(h)) for h in header]
        if geometry_column:
            cells.append(shape(feature["geometry"]).wkt if feature["geometry"] else "")
        writer.writerow(cells)
    return buffer.getvalue().encode(encoding)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- Offline snapshot ---------------------------------------------------------------------


def snapshot_inputs(communes: Sequence[Commune]) -> dict[str, bytes]:
    """``inputs/ens-63.geojson``: the sample an offline run reads when no file is set."""
    return {SAMPLE_FILE: ens_geojson()}


def readme_section(communes: Sequence[Commune]) -> str:
    """The snapshot README's section on the ENS sample (English, traps by identifier)."""
    return "\n".join(
        [
            "## Espaces naturels sensibles (`espaces-naturels-sensibles`)",
            "",
            f"`inputs/{SAMPLE_FILE}`: what an offline run reads when `PATRIMOINE_ENS_SOURCES` "
            "is empty (catalog `[source] offline`), written by `tests/samples/ens.py`. There "
            "is no national ENS layer; the file stands for the Conseil départemental du "
            "Puy-de-Dôme's export, in the ENS exchange schema of Auvergne-Rhône-Alpes, as "
            "GeoJSON in **Lambert-93** (EPSG:2154, `crs` member). **Every site is "
            "SYNTHETIC**: schema-shaped identifiers, invented names, small squares over the "
            "real commune contours.",
            "",
            "| identifier | trap / expected outcome |",
            "|---|---|",
            f"| `{STRADDLING}` | across the eastern border: published, share < 1 |",
            f"| `{TOUCHING}` | meets the border at one vertex: **not published** |",
            f"| `{OUTSIDE}` | in the département, outside the territory: **not published** |",
            f"| `{BOWTIE}` | self-intersecting: repaired, published |",
            f"| `{TWICE}` | given twice: published once |",
            f"| `{YEAR_ONLY}` | `date_delib` = `2009`: published `2009-01-01` (reported) |",
            f"| `{HIDDEN}` | `diffusion_carto` = false: in the CSV (`hors_carte`), "
            "**not in the GeoJSON** |",
            f"| `{MULTI}` | MultiPolygon over Chamalières and Royat; `oui`, `12,5` |",
            f"| `{PLAIN}` | a plain square in Orcines |",
            "",
        ]
    )


def extract_bytes(body: bytes | None = None, *, missing: Sequence[str] = ()) -> bytes:
    """What the configured_file source writes for this one département's file (``body``:
    the sample GeoJSON by default): lon/lat features tagged ``_departement``."""
    from patrimoine.sources import configured_file

    read = configured_file.read_features(body if body is not None else ens_geojson(), "ens")
    tagged = [
        {**f, "properties": {**f["properties"], configured_file.DEPARTEMENT: DEPARTEMENT}}
        for f in read
    ]
    collection = {
        "type": "FeatureCollection",
        configured_file.NOTES: {configured_file.MISSING: list(missing)},
        "features": tagged,
    }
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")
