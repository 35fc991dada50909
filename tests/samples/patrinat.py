"""Synthetic PatriNat sites (protected areas, ZNIEFF 1 and 2, Natura 2000, INPG) drawn over the
real contours of Clermont Auvergne Métropole, in the attribute schema the Géoplateforme WFS
serves (sources.md §7.1).

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

ZNIEFF type 2 (``znieff2``): ``Z2_WEST`` (a wide square across the western border),
``Z2_PONT`` (inside Pont-du-Château), ``Z2_HOLE`` (a square with a hole in Romagnat: the hole
is not counted in its area).

Géologie (``inpg``): ``GEO_DURTOL`` (inside Durtol), ``GEO_COMMA`` (``surf_off`` served as the
text ``"1,25"``: read as 1.25 ha), ``GEO_OUTSIDE`` (in the bbox, in no commune: not published),
``GEO_CEBAZAT`` (inside Cébazat).

Espaces protégés (eight layers; ``apg``, ``rnn`` and ``rb`` are offered but empty here):
``EP_APB`` (APB in Pérignat-lès-Sarliève), ``EP_RNR`` (across Beaumont and Aubière),
``EP_PN_CORE`` and ``EP_PN_ADHESION`` (one national-park layer: the core, and the aire
d'adhésion around it with a hole where the core is, ``zone = "adh"``, published apart with
their own type), ``EP_PNR`` (a wide square across the western border), ``EP_APB_CEN`` (one
code served by the ``apb`` and ``cen`` layers: published once with both types), ``EP_CEN``
(a Conservatoire site in Châteaugay).

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

Z2_TYPE = "patrinat_znieff2:znieff2"
INPG_TYPE = "patrinat_inpg:inpg"

Z2_WEST = "830020101"
Z2_PONT = "830020102"
Z2_HOLE = "830020103"
ZNIEFF2_PUBLISHED = (Z2_WEST, Z2_PONT, Z2_HOLE)

GEO_DURTOL = "AUV0101"
GEO_COMMA = "AUV0102"
GEO_OUTSIDE = "AUV0103"
GEO_CEBAZAT = "AUV0104"
INPG_PUBLISHED = (GEO_DURTOL, GEO_COMMA, GEO_CEBAZAT)

EP_APB = "FR3800901"
EP_RNR = "FR9300201"
EP_PN_CORE = "FR3300011"
EP_PN_ADHESION = "FR3400011"
EP_PNR = "FR8000020"
EP_APB_CEN = "FR3800902"
EP_CEN = "FR1500301"
PROTECTED_PUBLISHED = (EP_APB, EP_RNR, EP_PN_CORE, EP_PN_ADHESION, EP_PNR, EP_APB_CEN, EP_CEN)

PROTECTED_TYPES = {
    "apb": ("patrinat_apb:apb", "Arrêtés de protection de biotope"),
    "apg": ("patrinat_apg:apg", "Arrêtés de protection de géotope"),
    "rnn": ("patrinat_rnn:rnn", "Réserves naturelles nationales"),
    "rnr": ("patrinat_rnr:rnr", "Réserves naturelles régionales"),
    "pn": ("patrinat_pn:parc_national", "Parcs nationaux"),
    "pnr": ("patrinat_pnr:pnr", "Parcs naturels régionaux"),
    "rb": ("patrinat_rb:reserve_biologique", "Réserves biologiques"),
    "cen": ("patrinat_cen:cen", "Sites des Conservatoires d'espaces naturels"),
}
"""Protected-area layer key → (type name, title) as the stand-in offers them."""

ORCINES, CLERMONT, CHAMALIERES, ROYAT = "63263", "63113", "63075", "63308"
COURNON, AULNAT, LEMPDES, SAINT_GENES = "63124", "63019", "63193", "63345"
CEYRAT, GERZAT = "63070", "63164"
PONT, ROMAGNAT, DURTOL, BLANZAT, CEBAZAT = "63284", "63307", "63141", "63042", "63063"
PERIGNAT, BEAUMONT, AUBIERE, LE_CENDRE, CHATEAUGAY = "63272", "63032", "63014", "63069", "63099"

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


def _west_vertex() -> tuple[float, float]:
    """The territory's westernmost vertex: west of it, nothing is in the territory."""
    lon, lat = min(UNION.exterior.coords, key=lambda xy: xy[0])
    return lon, lat


def _holed(code: str, outer: float, inner: float) -> dict[str, Any]:
    """A square around a point of the commune with a square hole in its middle."""
    point = CONTOURS[code].representative_point()
    hole = _square(point.x, point.y, inner)
    return dict(mapping(_square(point.x, point.y, outer).difference(hole)))


def _outside_in_bbox(half: float = 0.003, skip: int = 0) -> Polygon:
    """A square inside the territory's bbox that meets none of its communes."""
    west, south, east, north = UNION.bounds
    steps = 40
    for i in range(steps):
        for j in range(steps):
            lon = west + (east - west) * (i + 0.5) / steps
            lat = south + (north - south) * (j + 0.5) / steps
            square = _square(lon, lat, half)
            if UNION.distance(square) > 0.005:
                if skip == 0:
                    return square
                skip -= 1
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
        Z2_WEST: mapping(_square(*_west_vertex(), 0.01)),
        Z2_PONT: mapping(_inside(PONT, 0.004)),
        Z2_HOLE: _holed(ROMAGNAT, 0.003, 0.001),
        GEO_DURTOL: mapping(_inside(DURTOL, 0.001)),
        GEO_COMMA: mapping(_inside(BLANZAT, 0.001)),
        GEO_OUTSIDE: mapping(_outside_in_bbox(0.002, skip=3)),
        GEO_CEBAZAT: mapping(_inside(CEBAZAT, 0.001)),
        EP_APB: mapping(_inside(PERIGNAT, 0.002)),
        EP_RNR: mapping(_across(BEAUMONT, AUBIERE)),
        EP_PN_CORE: mapping(_inside(SAINT_GENES, 0.002)),
        EP_PN_ADHESION: _holed(SAINT_GENES, 0.006, 0.002),
        EP_PNR: mapping(_square(*_west_vertex(), 0.015)),
        EP_APB_CEN: mapping(_inside(LE_CENDRE, 0.002)),
        EP_CEN: mapping(_inside(CHATEAUGAY, 0.002)),
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


def znieff2_layer() -> list[dict[str, Any]]:
    """The ZNIEFF 2 layer (uniform schema, like type 1)."""
    shapes = geometries()
    return [znieff_feature(i, shapes[i]) for i in ZNIEFF2_PUBLISHED]


def inpg_layer() -> list[dict[str, Any]]:
    """The geological heritage layer; ``GEO_COMMA``'s official surface is French text."""
    shapes = geometries()
    ids = (GEO_DURTOL, GEO_COMMA, GEO_OUTSIDE, GEO_CEBAZAT)
    found = [znieff_feature(i, shapes[i]) for i in ids]
    for feature in found:
        identifier = feature["properties"]["id_mnhn"]
        feature["properties"].update(
            nom_site=f"Site géologique synthétique {identifier}",
            url_fiche=f"https://inpn.mnhn.fr/site/inpg/{identifier}",
        )
    found[1]["properties"]["surf_off"] = "1,25"
    return found


def protected_layers() -> dict[str, list[dict[str, Any]]]:
    """Protected-area layer key → features: every one of the eight layers, some empty."""
    shapes = geometries()

    def site(identifier: str, **changes: Any) -> dict[str, Any]:
        feature = znieff_feature(identifier, shapes[identifier], **changes)
        feature["properties"]["nom_site"] = changes.get(
            "nom_site", f"Espace protégé synthétique {identifier}"
        )
        feature["properties"]["url_fiche"] = f"https://inpn.mnhn.fr/espace/protege/{identifier}"
        return feature

    park = "Parc national synthétique"
    return {
        "apb": [site(EP_APB), site(EP_APB_CEN)],
        "apg": [],
        "rnn": [],
        "rnr": [site(EP_RNR)],
        "pn": [
            site(EP_PN_CORE, nom_site=park, zone="coeur"),
            site(EP_PN_ADHESION, nom_site=f"{park} [Aire D'Adhésion]", zone="adh"),
        ],
        "pnr": [site(EP_PNR)],
        "rb": [],
        "cen": [site(EP_APB_CEN), site(EP_CEN)],
    }


TYPE_NAMES = {
    "znieff1": ZNIEFF_TYPE,
    "znieff2": Z2_TYPE,
    "sic": SIC_TYPE,
    "zps": ZPS_TYPE,
    "inpg": INPG_TYPE,
    **{key: type_name for key, (type_name, _) in PROTECTED_TYPES.items()},
}


def dataset_layers(name: str) -> dict[str, list[dict[str, Any]]]:
    """Layer key → sample features, for one natural-area dataset of the catalog."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {
        "znieff-type-1": {"znieff1": znieff_layer()},
        "znieff-type-2": {"znieff2": znieff2_layer()},
        "natura-2000": natura_layers(),
        "patrimoine-geologique": {"inpg": inpg_layer()},
        "espaces-proteges": protected_layers(),
    }
    return found[name]


PUBLISHED = {
    "znieff-type-1": ZNIEFF_PUBLISHED,
    "znieff-type-2": ZNIEFF2_PUBLISHED,
    "natura-2000": NATURA_PUBLISHED,
    "patrimoine-geologique": INPG_PUBLISHED,
    "espaces-proteges": PROTECTED_PUBLISHED,
}
"""Dataset → the identifiers its sample publishes."""


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
    """Offer every sample layer on a :class:`WfsServer` (ZNIEFF 1, Natura 2000 as given)."""
    layers = natura if natura is not None else natura_layers()
    server.add_layer(ZNIEFF_TYPE, "ZNIEFF de type 1 (synthétique)", znieff or znieff_layer())
    server.add_layer(SIC_TYPE, "Natura 2000 Directive Habitats (synthétique)", layers["sic"])
    server.add_layer(ZPS_TYPE, "Natura 2000 Directive Oiseaux (synthétique)", layers["zps"])
    server.add_layer(Z2_TYPE, "ZNIEFF de type 2 (synthétique)", znieff2_layer())
    server.add_layer(INPG_TYPE, "Inventaire du patrimoine géologique (synthétique)", inpg_layer())
    protected = protected_layers()
    for key, (type_name, title) in PROTECTED_TYPES.items():
        server.add_layer(type_name, f"{title} (synthétique)", protected[key])


def made_valid(features: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The features with every invalid geometry replaced by its repair (for a clean run)."""
    found = []
    for feature in features:
        geometry = feature.get("geometry")
        if geometry and geometry.get("coordinates") and not shape(geometry).is_valid:
            polygons = shapely.make_valid(shape(geometry))
            feature = {**feature, "geometry": _rounded(mapping(polygons))}
        found.append(feature)
    return found


def bowtie_over(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A self-intersecting polygon (a bow tie) over the middle of ``geometry``: invalid."""
    x, y = shape(geometry).representative_point().coords[0]
    d = 0.0005
    ring = [[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]
    return {"type": "Polygon", "coordinates": [_rounded(ring)]}


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
NATURAL_DATASETS = tuple(PUBLISHED)
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
    offered = ", ".join(f"`{t}`" for t in TYPE_NAMES.values())
    rows = [
        (STRADDLING, "znieff1", "across the eastern border: published, share < 1"),
        (TOUCHING, "znieff1", "meets the border at one vertex: **not published**"),
        (OUTSIDE, "znieff1", "in the bbox, in no commune: **not published**"),
        (BOWTIE, "znieff1", "self-intersecting: repaired, published"),
        (TWICE, "znieff1", "served twice (once per page): published once"),
        (MULTI, "znieff1", "MultiPolygon over Chamalières and Royat"),
        (PLAIN, "znieff1", "a plain square in Orcines"),
        (SIC_PUYS, "sic", "across Orcines and Saint-Genès-Champanelle"),
        (SIC_COURNON, "sic", "inside Cournon-d'Auvergne"),
        (ZPS_STRADDLING, "zps", "across the eastern border: share < 1"),
        (ZPS_MULTI, "zps", "MultiPolygon over Aulnat and Lempdes"),
        (BOTH_LAYERS, "sic, zps", "in both layers: published once, `Habitats;Oiseaux`"),
        (Z2_WEST, "znieff2", "wide square across the western border: share < 1"),
        (Z2_PONT, "znieff2", "inside Pont-du-Château"),
        (Z2_HOLE, "znieff2", "square with a hole in Romagnat: the hole is not in its area"),
        (GEO_DURTOL, "inpg", "inside Durtol"),
        (GEO_COMMA, "inpg", "`surf_off` served as the text `1,25`: 1.25 ha"),
        (GEO_OUTSIDE, "inpg", "in the bbox, in no commune: **not published**"),
        (GEO_CEBAZAT, "inpg", "inside Cébazat"),
        (EP_APB, "apb", "inside Pérignat-lès-Sarliève"),
        (EP_RNR, "rnr", "across Beaumont and Aubière"),
        (EP_PN_CORE, "pn", "national park core (`zone = coeur`)"),
        (EP_PN_ADHESION, "pn", "its aire d'adhésion around it (`zone = adh`): its own type"),
        (EP_PNR, "pnr", "wide square across the western border"),
        (EP_APB_CEN, "apb, cen", "in both layers: published once with both types"),
        (EP_CEN, "cen", "a Conservatoire site in Châteaugay"),
    ]
    return "\n".join(
        [
            "## Natural areas (`" + "`, `".join(NATURAL_DATASETS) + "`)",
            "",
            f"`{MIRROR_DIR}/`: the IGN Géoplateforme WFS (`{MIRROR_WFS_URL}`) as the stand-in "
            "`tests/servers/wfs.py` answers it, recorded by `tests/samples/patrinat.py` "
            f"(`mirror_files`): GetCapabilities (layers {offered}) and {len(pages)} GetFeature "
            "pages for the territory's extent (`Territory.extent()` of the geo.api answer "
            "above). `znieff-type-1` has `page_size = 5` in its catalog entry, so its layer "
            "comes in two pages; the `apg`, `rnn` and `rb` layers are offered empty. **Every "
            "site is SYNTHETIC**: real-looking identifiers, invented names and small squares "
            "laid out over the real commune contours.",
            "",
            "| identifier | layer | trap / expected outcome |",
            "|---|---|---|",
            *(f"| `{identifier}` | {layer} | {what} |" for identifier, layer, what in rows),
            "",
        ]
    )
