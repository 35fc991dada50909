"""Synthetic PatriNat sites (ZNIEFF 1, Natura 2000) drawn over the real contours of Clermont
Auvergne Métropole, in the attribute schema the Géoplateforme WFS serves (sources.md §7.1).

SYNTHETIC: the identifiers look real (9 digits beginning with 83 for Auvergne ZNIEFF, FR83…
for Natura 2000) but the sites, names and shapes are invented; they are laid out from the
simplified IGN contours the offline snapshot ships (``tests.servers.real_contours()``), so
where each one falls is known exactly. Traps, by identifier:

ZNIEFF type 1 (layer key ``znieff1``):

- ``STRADDLING`` across the territory's eastern border (share strictly between 0 and 1);
- ``TOUCHING`` against that border from outside, meeting it at one vertex (not published);
- ``OUTSIDE`` in the bbox but in none of the communes (dropped by share; a real WFS bbox
  query still returns it);
- ``BOWTIE`` self-intersecting inside Clermont-Ferrand (repaired into its two triangles);
- ``TWICE`` served twice by the layer (published once);
- ``MULTI`` a MultiPolygon with one part in Chamalières and one in Royat;
- ``PLAIN`` a square wholly inside Orcines.

Natura 2000 (``sic`` → directive Habitats, ``zps`` → directive Oiseaux): ``SIC_PUYS``
(Orcines and Saint-Genès-Champanelle), ``SIC_COURNON`` (inside Cournon-d'Auvergne),
``ZPS_STRADDLING`` (across the eastern border), ``ZPS_MULTI`` (MultiPolygon, Aulnat and
Lempdes), ``BOTH_LAYERS`` (one code served by both layers: published once, both directives).

:func:`mirror_files` records what the stand-in WFS answers for the territory's extent, so the
offline snapshot (``scripts/make_snapshot.py``) serves these layers at the Géoplateforme's
address; :func:`readme_section` documents them in the snapshot README.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import shapely
from shapely.geometry import Polygon, box, mapping, shape

from patrimoine.areas import geodesic_area
from patrimoine.catalog import load_entry
from patrimoine.config import PROJECT_DIR
from patrimoine.sources import wfs
from patrimoine.territory import Commune as TerritoryCommune
from patrimoine.territory import Territory, commune_from_feature
from tests.servers import real_contours
from tests.servers.wfs import WfsServer

if TYPE_CHECKING:
    from tests.samples.merimee import Commune

ZNIEFF_TYPE = "patrinat_znieff1:znieff1"
SIC_TYPE = "patrinat_sic:sic"
ZPS_TYPE = "patrinat_zps:zps"

STRADDLING = "830020001"
TOUCHING = "830020002"
OUTSIDE = "830020003"
BOWTIE = "830020004"
TWICE = "830020005"
MULTI = "830020006"
PLAIN = "830020007"
ZNIEFF_PUBLISHED = (STRADDLING, BOWTIE, TWICE, MULTI, PLAIN)

SIC_PUYS = "FR8301052"
SIC_COURNON = "FR8301035"
ZPS_STRADDLING = "FR8312003"
ZPS_MULTI = "FR8310011"
BOTH_LAYERS = "FR8301038"
NATURA_PUBLISHED = (BOTH_LAYERS, SIC_COURNON, SIC_PUYS, ZPS_MULTI, ZPS_STRADDLING)

ORCINES, CLERMONT, CHAMALIERES, ROYAT = "63263", "63113", "63075", "63308"
COURNON, AULNAT, LEMPDES, SAINT_GENES = "63124", "63019", "63193", "63345"
CEYRAT, GERZAT = "63070", "63164"

CONTOURS = {code: shape(c) for code, c in real_contours().items()}
UNION = shapely.unary_union(list(CONTOURS.values()))


def _square(lon: float, lat: float, half: float) -> Polygon:
    return box(lon - half, lat - half, lon + half, lat + half)


def _inside(code: str, half: float = 0.002) -> Polygon:
    """A small square around a point surely inside the commune (checked)."""
    point = CONTOURS[code].representative_point()
    square = _square(point.x, point.y, half)
    assert CONTOURS[code].contains(square), code
    return square


def _east_vertex() -> tuple[float, float]:
    """The territory's easternmost vertex: east of it, nothing is in the territory."""
    lon, lat = max(UNION.exterior.coords, key=lambda xy: xy[0])
    return lon, lat


def _outside_in_bbox(half: float = 0.003) -> Polygon:
    """A square inside the territory's bbox that meets none of its communes."""
    west, south, east, north = UNION.bounds
    steps = 40
    for i in range(steps):
        for j in range(steps):
            lon = west + (east - west) * (i + 0.5) / steps
            lat = south + (north - south) * (j + 0.5) / steps
            square = _square(lon, lat, half)
            if UNION.distance(square) > 0.005:
                return square
    raise AssertionError("no free spot in the bbox")


def _across(a: str, b: str) -> Polygon:
    """A square over a point of the border communes ``a`` and ``b`` share."""
    border = CONTOURS[a].boundary.intersection(CONTOURS[b].boundary)
    point = shapely.line_interpolate_point(shapely.line_merge(border), 0.5, normalized=True)
    if point.is_empty:
        point = border.representative_point()
    return _square(point.x, point.y, 0.002)


def geometries() -> dict[str, Any]:
    """Identifier → GeoJSON geometry (lon/lat) of every synthetic site."""
    east_lon, east_lat = _east_vertex()
    straddling = _square(east_lon, east_lat, 0.004)
    touching = box(east_lon, east_lat - 0.004, east_lon + 0.008, east_lat)  # corner on vertex
    x, y = CONTOURS[CLERMONT].representative_point().coords[0]
    d = 0.002
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]
        ],
    }
    found: dict[str, Any] = {
        STRADDLING: mapping(straddling),
        TOUCHING: mapping(touching),
        OUTSIDE: mapping(_outside_in_bbox()),
        BOWTIE: bowtie,
        TWICE: mapping(_inside(CEYRAT)),
        MULTI: _multi(CHAMALIERES, ROYAT),
        PLAIN: mapping(_inside(ORCINES, 0.004)),
        SIC_PUYS: mapping(_across(ORCINES, SAINT_GENES)),
        SIC_COURNON: mapping(_inside(COURNON, 0.003)),
        ZPS_STRADDLING: mapping(_square(east_lon, east_lat, 0.006)),
        ZPS_MULTI: _multi(AULNAT, LEMPDES),
        BOTH_LAYERS: mapping(_inside(GERZAT, 0.003)),
    }
    return {k: json.loads(json.dumps(_rounded(v))) for k, v in found.items()}


def _multi(a: str, b: str) -> dict[str, Any]:
    parts = [_inside(a), _inside(b)]
    return {"type": "MultiPolygon", "coordinates": [mapping(p)["coordinates"] for p in parts]}


def _rounded(node: Any) -> Any:
    if isinstance(node, float):
        return round(node, 7)
    if isinstance(node, list | tuple):
        return [_rounded(v) for v in node]
    if isinstance(node, dict):
        return {k: _rounded(v) for k, v in node.items()}
    return node


def _hectares(geometry: Mapping[str, Any]) -> float:
    return round(geodesic_area(shape(geometry)) / 10_000, 2)


def znieff_feature(identifier: str, geometry: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A ZNIEFF 1 feature in the uniform PatriNat schema (synthetic values)."""
    properties: dict[str, Any] = {
        "id_mnhn": identifier,
        "id_local": identifier,
        "nom_site": f"Site synthétique {identifier} (ZNIEFF de test)",
        "date_crea": "2004-06-01",
        "modif_adm": "2019-03-12",
        "modif_geo": "2021-11-05",
        "url_fiche": f"https://inpn.mnhn.fr/zone/znieff/{identifier}",
        "surf_off": _hectares(geometry),
        "acte_deb": None,
        "acte_fin": None,
        "gest_site": None,
        **changes,
    }
    return {"type": "Feature", "geometry": dict(geometry), "properties": properties}


def natura_feature(identifier: str, geometry: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A Natura 2000 feature: ``sitecode``/``sitename`` and the uniform dates (synthetic)."""
    properties: dict[str, Any] = {
        "sitecode": identifier,
        "sitename": f"Site synthétique {identifier} (Natura 2000 de test)",
        "id_local": identifier,
        "date_crea": "2006-04-21",
        "modif_adm": "2020-01-15",
        "modif_geo": "2020-01-15",
        "url_fiche": f"https://inpn.mnhn.fr/site/natura2000/{identifier}",
        "surf_off": _hectares(geometry),
        "acte_deb": None,
        "acte_fin": None,
        "gest_site": "Syndicat mixte synthétique",
        **changes,
    }
    return {"type": "Feature", "geometry": dict(geometry), "properties": properties}


def znieff_layer() -> list[dict[str, Any]]:
    """The ZNIEFF 1 layer as the service serves it (``TWICE`` twice)."""
    shapes = geometries()
    ids = (STRADDLING, TOUCHING, OUTSIDE, BOWTIE, TWICE, MULTI, PLAIN, TWICE)
    return [znieff_feature(i, shapes[i]) for i in ids]


def natura_layers() -> dict[str, list[dict[str, Any]]]:
    """Layer key (``sic``, ``zps``) → features; ``BOTH_LAYERS`` is in both."""
    shapes = geometries()
    sic = (SIC_PUYS, SIC_COURNON, BOTH_LAYERS)
    zps = (ZPS_STRADDLING, ZPS_MULTI, BOTH_LAYERS)
    return {
        "sic": [natura_feature(i, shapes[i]) for i in sic],
        "zps": [natura_feature(i, shapes[i]) for i in zps],
    }


TYPE_NAMES = {"znieff1": ZNIEFF_TYPE, "sic": SIC_TYPE, "zps": ZPS_TYPE}


def extract_bytes(layers: Mapping[str, Sequence[dict[str, Any]]]) -> bytes:
    """The FeatureCollection the WFS extract writes for these layers (``_couche`` tagged)."""
    features = []
    for key, members in layers.items():
        for feature in members:
            properties = {**feature["properties"], "_couche": key, "_type_wfs": TYPE_NAMES[key]}
            features.append({**feature, "properties": properties})
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def fill_wfs(
    server: WfsServer,
    znieff: Iterable[dict[str, Any]] | None = None,
    natura: Mapping[str, Iterable[dict[str, Any]]] | None = None,
) -> None:
    """Offer the three layers (the samples unless given) on a :class:`WfsServer`."""
    layers = natura if natura is not None else natura_layers()
    server.add_layer(ZNIEFF_TYPE, "ZNIEFF de type 1 (synthétique)", znieff or znieff_layer())
    server.add_layer(SIC_TYPE, "Natura 2000 Directive Habitats (synthétique)", layers["sic"])
    server.add_layer(ZPS_TYPE, "Natura 2000 Directive Oiseaux (synthétique)", layers["zps"])


def moved_vertex(geometry: Mapping[str, Any], metres: float = 30.0) -> dict[str, Any]:
    """``geometry`` (a Polygon) with its first vertex (and the closing one) moved north."""
    ring = [list(p) for p in geometry["coordinates"][0]]
    shift = round(metres / 111_195.0, 7)
    ring[0][1] = round(ring[0][1] + shift, 7)
    ring[-1] = list(ring[0])
    return {"type": "Polygon", "coordinates": [ring, *geometry["coordinates"][1:]]}


# --- Offline snapshot ---------------------------------------------------------------------

MIRROR_WFS_URL = "https://data.geopf.fr/wfs/ows"
"""``Settings.wfs_url``'s default: the address an offline run asks."""
MIRROR_DIR = "data.geopf.fr/wfs/ows"
MIRROR_TIMESTAMP = "2026-11-26T05:00:00.000Z"
"""GetFeature's ``timeStamp``, fixed so the snapshot is reproducible."""
NATURAL_DATASETS = ("znieff-type-1", "natura-2000")
CAPABILITIES_TYPE = "application/xml"
FEATURES_TYPE = "application/json;charset=UTF-8"


def territory_of(communes: Sequence[Commune]) -> Territory:
    """The territory patrimoine builds from the snapshot's geo.api answer (same contours)."""
    members: list[TerritoryCommune] = [
        commune_from_feature({"properties": {"code": c.code, "nom": c.nom}, "geometry": c.contour})
        for c in communes
    ]
    return Territory(key="snapshot", label="snapshot", communes=tuple(members))


def _mirror_url(params: Mapping[str, str]) -> str:
    return str(httpx.URL(MIRROR_WFS_URL).copy_merge_params(dict(params)))


def mirror_files(communes: Sequence[Commune]) -> list[tuple[str, str, str, bytes]]:
    """(URL, file, content type, body) of every WFS request an offline run sends.

    The stand-in server answers, with the samples, GetCapabilities and each GetFeature
    page the source asks for the territory's extent and the catalog's ``page_size``
    (``znieff-type-1`` pages by 5: two pages); its own address is replaced by the
    Géoplateforme's and the timestamp is fixed.
    """
    bbox = territory_of(communes).extent()
    files: list[tuple[str, str, str, bytes]] = []
    with WfsServer() as server, httpx.Client(trust_env=False) as client:
        fill_wfs(server)
        answer = client.get(server.wfs_url, params=wfs.CAPABILITIES_PARAMS)
        answer.raise_for_status()
        body = answer.content.replace(server.wfs_url.encode(), MIRROR_WFS_URL.encode())
        capabilities = (
            _mirror_url(wfs.CAPABILITIES_PARAMS),
            f"{MIRROR_DIR}/capabilities.xml",
            CAPABILITIES_TYPE,
            body,
        )
        files.append(capabilities)
        for name in NATURAL_DATASETS:
            entry = load_entry(PROJECT_DIR / "catalog" / f"{name}.toml", PROJECT_DIR)
            count = min(wfs._page_size(entry), wfs.COUNT_MAX)
            for spec in wfs.layer_specs(entry):
                type_name = TYPE_NAMES[spec.key]
                start = 0
                while True:
                    params = wfs.getfeature_params(type_name, bbox, count, start)
                    answer = client.get(server.wfs_url, params=params)
                    answer.raise_for_status()
                    page = answer.json()
                    page["timeStamp"] = MIRROR_TIMESTAMP
                    local = type_name.rpartition(":")[2]
                    body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
                    path = f"{MIRROR_DIR}/getfeature/{local}-{start}.json"
                    files.append((_mirror_url(params), path, FEATURES_TYPE, body))
                    returned = len(page["features"])
                    start += returned
                    if not returned or (returned < count and start >= page["numberMatched"]):
                        break
    return files


def readme_section(communes: Sequence[Commune]) -> str:
    """The snapshot README's section on the WFS answers (English, traps by identifier)."""
    files = mirror_files(communes)
    pages = [path for _, path, _, _ in files if "/getfeature/" in path]
    return "\n".join(
        [
            "## ZNIEFF de type 1 and Natura 2000 (`znieff-type-1`, `natura-2000`)",
            "",
            f"`{MIRROR_DIR}/`: the IGN Géoplateforme WFS (`{MIRROR_WFS_URL}`) as the stand-in "
            "`tests/servers/wfs.py` answers it, recorded by `tests/samples/patrinat.py` "
            "(`mirror_files`): GetCapabilities (layers "
            f"`{ZNIEFF_TYPE}`, `{SIC_TYPE}`, `{ZPS_TYPE}`) and {len(pages)} GetFeature pages "
            "for the territory's extent (`Territory.extent()` of the geo.api answer above). "
            "`znieff-type-1` has `page_size = 5` in its catalog entry, so its layer comes in "
            "two pages. **Every site is SYNTHETIC**: real-looking identifiers, invented names "
            "and small squares laid out over the real commune contours.",
            "",
            "| identifier | layer | trap / expected outcome |",
            "|---|---|---|",
            f"| `{STRADDLING}` | znieff1 | across the eastern border: published, share < 1 |",
            f"| `{TOUCHING}` | znieff1 | meets the border at one vertex: **not published** |",
            f"| `{OUTSIDE}` | znieff1 | in the bbox, in no commune: **not published** |",
            f"| `{BOWTIE}` | znieff1 | self-intersecting: repaired, published |",
            f"| `{TWICE}` | znieff1 | served twice (once per page): published once |",
            f"| `{MULTI}` | znieff1 | MultiPolygon over Chamalières and Royat |",
            f"| `{PLAIN}` | znieff1 | a plain square in Orcines |",
            f"| `{SIC_PUYS}` | sic | across Orcines and Saint-Genès-Champanelle |",
            f"| `{SIC_COURNON}` | sic | inside Cournon-d'Auvergne |",
            f"| `{ZPS_STRADDLING}` | zps | across the eastern border: share < 1 |",
            f"| `{ZPS_MULTI}` | zps | MultiPolygon over Aulnat and Lempdes |",
            f"| `{BOTH_LAYERS}` | sic, zps | in both layers: published once, `Habitats;Oiseaux` |",
            "",
        ]
    )
