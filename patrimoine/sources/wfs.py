"""Natural-heritage layers (INPN / PatriNat) from an OGC WFS 2.0, in the territory's bbox.

The IGN Géoplateforme (``PATRIMOINE_WFS_URL``) serves the PatriNat layers with no key. A
catalog entry names its layers by keyword, never by type name, because the names vary
between observations (``patrinat_pn:parc_national`` / ``patrinat_pn2:pn``,
``PROTECTEDAREAS.ZPS:zps``)::

    [source]
    kind = "wfs"
    keywords = ["znieff1"]                     # one layer, written as ``_couche = "znieff1"``

    [source]
    kind = "wfs"
    layers = [                                 # several layers in one dataset
        { key = "apb", keywords = ["apb"] },
        { key = "pn", keywords = ["parc_national", "pn"] },
    ]
    page_size = 5000                           # optional, at most 5000 (the service's cap)

Each feature of the written FeatureCollection carries ``_couche`` (the layer ``key``: the
type of protection for the transform) and ``_type_wfs`` (the type name actually read).

CRS and axis order, decided once here:

* ``SRSNAME=EPSG:4326``: GeoServer's documented convention reads the short form as
  longitude/latitude, the order GeoJSON (RFC 7946) requires. Lambert-93 (the layers'
  native CRS) is not requested because it only covers metropolitan France.
* ``BBOX=lat_min,lon_min,lat_max,lon_max,urn:ogc:def:crs:EPSG::4326``: the URN is strict
  latitude/longitude in WFS 2.0 on every compliant server; a BBOX without a CRS would be
  read in the layer's native Lambert-93.
* Servers disagree about the short form, so every page is verified against the bbox the
  service just filtered on: a ``crs`` member naming another CRS (``SRSNAME`` ignored) is
  reprojected with pyproj; a page whose geometries all fall outside the bbox but inside
  it once swapped is swapped back (with a warning); anything else fails, so nothing is
  ever published in the sea.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
import httpx
from defusedxml import DefusedXmlException
from pyproj import Transformer
from pyproj.exceptions import CRSError

from patrimoine.catalog import DatasetEntry, declared_table
from patrimoine.config import Settings
from patrimoine.errors import CatalogError, HTTPStatusError, SourceError
from patrimoine.http import HttpClient
from patrimoine.sources.datagouv_resource import ExtractResult
from patrimoine.territory import Territory
from patrimoine.transforms.text import fold

log = logging.getLogger(__name__)

WFS_VERSION = "2.0.0"
COUNT_MAX = 5000
"""The Géoplateforme ignores a larger COUNT (sources.md §7.1): never ask for more."""
MAX_PAGES = 2000
"""10 million features: beyond, the service is looping, not paging."""
CAPABILITIES_PARAMS = {"SERVICE": "WFS", "VERSION": WFS_VERSION, "REQUEST": "GetCapabilities"}
OUTPUT_SRS = "EPSG:4326"
BBOX_CRS = "urn:ogc:def:crs:EPSG::4326"
AXIS_TOLERANCE = 0.01
"""Degrees (about 1 km) of slack in the bbox check, for rounding and reprojection."""
PREFERRED_NAMESPACE = "patrinat_"
"""Namespaces of the harmonised PatriNat schema, preferred over older ``PROTECTEDAREAS.*``."""
DATE_PROPERTIES = ("modif_geo", "modif_adm", "date_maj", "date_modif")
"""Per-site modification dates; the latest one dates the layer (no service gives more)."""
LAYER_KEYS = frozenset({"key", "keywords", "label", "zones"})

_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_EPSG = re.compile(r"(?:EPSG[:/](?:[\d.]*[:/])?|epsg\.xml#)(\d+)\s*$", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")

Bbox = tuple[float, float, float, float]
"""(lat_min, lat_max, lon_min, lon_max), the order of :meth:`Territory.extent`."""
Remap = Callable[[list[float], list[float]], tuple[list[float], list[float]]]


# ========================================================================================
# GetCapabilities
# ========================================================================================
@dataclass(frozen=True)
class FeatureType:
    """One layer offered by the service, as GetCapabilities describes it."""

    name: str
    title: str
    default_crs: str | None
    wgs84_bbox: tuple[float, float, float, float] | None
    """(lon_min, lat_min, lon_max, lat_max): OWS WGS84BoundingBox corners are lon/lat."""
    abstract: str = ""

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]

    @property
    def local_name(self) -> str:
        return self.name.rpartition(":")[2]


def capabilities(client: HttpClient, base_url: str) -> list[FeatureType]:
    """The layers the service offers (WFS 2.0 GetCapabilities, parsed without entities)."""
    url = _full_url(base_url, CAPABILITIES_PARAMS)
    body, _ = client.get_bytes(base_url, CAPABILITIES_PARAMS)
    root = _parse_xml(body, url, "la réponse à GetCapabilities")
    report = exception_text(root)
    if report is not None:
        raise SourceError(
            f"le service WFS a refusé GetCapabilities (ExceptionReport) : {report}", url=url
        )
    if _local(root.tag) != "WFS_Capabilities":
        raise SourceError(
            f"réponse inattendue à GetCapabilities : élément racine « {_local(root.tag)} » "
            "au lieu de WFS_Capabilities",
            url=url,
            hint="vérifiez PATRIMOINE_WFS_URL : l'adresse ne semble pas être un service WFS",
        )
    elements = [el for el in root.iter() if _local(el.tag) == "FeatureType"]
    types = [t for t in map(_type, elements) if t is not None]
    log.info("Service WFS : %d couches proposées (%s)", len(types), base_url)
    return types


def _type(element: Element) -> FeatureType | None:
    children = {_local(child.tag): child for child in element}
    name = _text(children.get("Name"))
    if not name:
        return None
    # WFS 2.0 says DefaultCRS; 1.1 servers answering a 2.0 request still say DefaultSRS
    crs = _text(children.get("DefaultCRS")) or _text(children.get("DefaultSRS")) or None
    return FeatureType(
        name=name,
        title=_text(children.get("Title")),
        default_crs=crs,
        wgs84_bbox=_wgs84_bbox(children.get("WGS84BoundingBox")),
        abstract=_text(children.get("Abstract")),
    )


def _wgs84_bbox(element: Element | None) -> tuple[float, float, float, float] | None:
    if element is None:
        return None
    corners = {_local(child.tag): _text(child).split() for child in element}
    try:
        lon_min, lat_min = (float(v) for v in corners["LowerCorner"])
        lon_max, lat_max = (float(v) for v in corners["UpperCorner"])
    except (KeyError, ValueError):
        return None
    return (lon_min, lat_min, lon_max, lat_max)


# ========================================================================================
# Type names by keyword
# ========================================================================================
STRENGTH_FULL, STRENGTH_BOTH, STRENGTH_LOCAL, STRENGTH_NAMESPACE, STRENGTH_TITLE = 5, 4, 3, 2, 1


def _namespace_word(feature_type: FeatureType) -> str:
    """``patrinat_znieff1`` → ``znieff1``; ``PROTECTEDAREAS.ZPS`` → ``zps``."""
    word = feature_type.namespace.rsplit(".", 1)[-1]
    if word.casefold().startswith(PREFERRED_NAMESPACE):
        word = word[len(PREFERRED_NAMESPACE) :]
    return fold(word)


def match_strength(feature_type: FeatureType, keyword: str) -> int:
    """How well ``keyword`` names ``feature_type`` (0: not at all).

    Whole words only, after folding case, accents and ``_``/``-``/``.``: ``znieff1`` must
    not pick ``znieff1_mer``, nor ``pn`` pick ``pnr``. From strongest to weakest: the full
    type name; both the local name and the namespace word (``patrinat_pnm:pnm`` beats
    ``patrinat_rnc:pnm`` for ``pnm``); the local name; the namespace word; a phrase of
    whole words of the title.
    """
    wanted = fold(keyword)
    if not wanted:
        return 0
    local, namespace = fold(feature_type.local_name), _namespace_word(feature_type)
    if wanted == fold(feature_type.name):
        return STRENGTH_FULL
    if wanted == local and wanted == namespace:
        return STRENGTH_BOTH
    if wanted == local:
        return STRENGTH_LOCAL
    if wanted == namespace:
        return STRENGTH_NAMESPACE
    if f" {wanted} " in f" {fold(feature_type.title)} ":
        return STRENGTH_TITLE
    return 0


def resolve_type_name(
    types: Sequence[FeatureType],
    keywords: Sequence[str],
    *,
    layer: str | None = None,
    url: str | None = None,
) -> str:
    """The type name the keywords designate, the same one on every run.

    Rule: the first keyword (in the catalog's order) that matches any offered layer wins;
    among that keyword's matches, the strongest (:func:`match_strength`), then a
    ``patrinat_`` namespace (the harmonised schema), then the alphabetical order.
    """
    if not [k for k in keywords if fold(k)]:
        raise CatalogError(f"couche WFS « {layer or '?'} » : aucun mot-clé")
    ranked: list[tuple[int, int, int, str, str]] = []
    for index, keyword in enumerate(keywords):
        for feature_type in types:
            strength = match_strength(feature_type, keyword)
            if strength:
                legacy = 0 if feature_type.namespace.startswith(PREFERRED_NAMESPACE) else 1
                name = feature_type.name
                ranked.append((index, -strength, legacy, name.casefold(), name))
    if ranked:
        return min(ranked)[-1]
    wanted = layer or keywords[0]
    close = close_candidates(types, keywords)
    nearby = f"couches proches : {', '.join(close)}" if close else "aucune couche proche"
    raise SourceError(
        f"couche WFS « {wanted} » introuvable : le service ne la propose pas "
        f"(mots-clés : {', '.join(keywords)} ; {nearby} ; {len(types)} couches proposées)",
        url=url,
        hint="si la couche a été renommée, ajoutez son nouveau nom aux mots-clés de la "
        "couche dans le catalogue (source.layers) ; les autres jeux sont mis à jour",
    )


def close_candidates(
    types: Sequence[FeatureType], keywords: Sequence[str], limit: int = 5
) -> list[str]:
    """Offered type names that look like the keywords, to help fix the catalog."""
    words: dict[str, set[str]] = {}
    for feature_type in types:
        for word in (fold(feature_type.local_name), _namespace_word(feature_type)):
            words.setdefault(word, set()).add(feature_type.name)
    found: set[str] = set()
    for keyword in map(fold, keywords):
        for word in difflib.get_close_matches(keyword, list(words), n=limit, cutoff=0.6):
            found |= words[word]
        found |= {name for word, names in words.items() if keyword in word for name in names}
    return sorted(found, key=str.casefold)[:limit]


# ========================================================================================
# GetFeature
# ========================================================================================
@dataclass(frozen=True)
class FeatureCollectionResult:
    """Every feature of one layer in the bbox, once each, in lon/lat WGS84."""

    type_name: str
    features: list[dict[str, Any]]
    number_matched: int | None
    pages: int
    duplicates: int
    """Features received again on a later page (unstable ordering), kept once."""
    axis_swapped: bool
    """The service answered lat/lon: the coordinates were swapped back."""
    reprojected_from: int | None
    """EPSG code of the ``crs`` member when the service ignored ``SRSNAME``."""
    url: str
    """The first GetFeature request."""


def getfeature_params(type_name: str, bbox: Bbox, count: int, start: int) -> dict[str, str]:
    """One page's query; fixed formatting so the offline mirror finds the same URL."""
    lat_min, lat_max, lon_min, lon_max = bbox
    corners = ",".join(f"{v:.6f}" for v in (lat_min, lon_min, lat_max, lon_max))
    return {
        "SERVICE": "WFS",
        "VERSION": WFS_VERSION,
        "REQUEST": "GetFeature",
        "TYPENAMES": type_name,
        "OUTPUTFORMAT": "application/json",
        "SRSNAME": OUTPUT_SRS,
        "BBOX": f"{corners},{BBOX_CRS}",
        "COUNT": str(count),
        "STARTINDEX": str(start),
    }


@dataclass
class _Paging:
    """What the pages of one layer told so far."""

    type_name: str
    bbox: Bbox
    matched: int | None = None
    axis: str | None = None
    reprojected_from: int | None = None


def get_features(
    client: HttpClient,
    base_url: str,
    type_name: str,
    bbox: Bbox,
    *,
    page_size: int = COUNT_MAX,
) -> FeatureCollectionResult:
    """All features of ``type_name`` intersecting ``bbox``, paged by ``COUNT``/``STARTINDEX``.

    A page is the last one only when it is empty, or shorter than ``COUNT`` while
    ``numberMatched`` (if given) says nothing remains: a full page is never the end, and a
    service capping below ``COUNT`` is still read to the end. ``STARTINDEX`` advances by
    what each page really returned.
    """
    _check_bbox(bbox)
    count = max(1, min(page_size, COUNT_MAX))
    state = _Paging(type_name, bbox)
    features: dict[str, dict[str, Any]] = {}
    start, pages, received = 0, 0, 0
    first_url = _full_url(base_url, getfeature_params(type_name, bbox, count, 0))
    while True:
        pages += 1
        if pages > MAX_PAGES:
            raise SourceError(
                f"couche WFS « {type_name} » : plus de {MAX_PAGES} pages, la pagination "
                "du service ne progresse pas",
                url=first_url,
            )
        params = getfeature_params(type_name, bbox, count, start)
        url = _full_url(base_url, params)
        page = _read_page(client, base_url, params, url, state)
        new = 0
        for feature in page:
            key = _feature_key(feature)
            if key not in features:
                features[key] = feature
                new += 1
        received += len(page)
        announced = f" sur {state.matched} annoncées" if state.matched is not None else ""
        log.info(
            "Couche WFS %s : page %d (à partir de %d) : %d entités reçues, %d au total%s",
            type_name,
            pages,
            start,
            len(page),
            len(features),
            announced,
        )
        if not page:
            break
        if len(page) >= count and new == 0:
            raise SourceError(
                f"couche WFS « {type_name} » : la page à partir de {start} ne contient que "
                "des entités déjà reçues (STARTINDEX ignoré par le service ?)",
                url=url,
            )
        start += len(page)
        more_announced = state.matched is not None and len(features) < state.matched
        if len(page) < count and not more_announced:
            break
    _check_total(state, len(features), first_url)
    duplicates = received - len(features)
    if duplicates:
        log.warning(
            "Couche WFS %s : %d entité(s) reçue(s) sur deux pages, gardée(s) une seule fois "
            "(ordre du service instable entre les pages)",
            type_name,
            duplicates,
        )
    return FeatureCollectionResult(
        type_name=type_name,
        features=sorted(features.values(), key=_natural_id),
        number_matched=state.matched,
        pages=pages,
        duplicates=duplicates,
        axis_swapped=state.axis == "latlon",
        reprojected_from=state.reprojected_from,
        url=first_url,
    )


def _check_bbox(bbox: Bbox) -> None:
    lat_min, lat_max, lon_min, lon_max = bbox
    if not (-90 <= lat_min < lat_max <= 90 and -180 <= lon_min < lon_max <= 180):
        raise ValueError(f"bbox must be (lat_min, lat_max, lon_min, lon_max), got {bbox}")


def _read_page(
    client: HttpClient, base_url: str, params: dict[str, str], url: str, state: _Paging
) -> list[dict[str, Any]]:
    """One page's features, counts checked, in lon/lat WGS84."""
    body, content_type = _fetch(client, base_url, params, state.type_name)
    document = parse_feature_page(body, content_type, state.type_name, url)
    features: list[dict[str, Any]] = [f for f in document["features"] if isinstance(f, dict)]
    returned = _count_member(document, "numberReturned")
    if returned is not None and returned != len(features):
        raise SourceError(
            f"couche WFS « {state.type_name} » : page incohérente, {len(features)} entités "
            f"pour {returned} annoncées (numberReturned)",
            url=url,
            transient=True,
        )
    matched = _count_member(document, "numberMatched", "totalFeatures")
    if matched is not None:
        if state.matched is not None and matched != state.matched:
            raise SourceError(
                f"couche WFS « {state.type_name} » modifiée pendant la lecture : "
                f"numberMatched est passé de {state.matched} à {matched}",
                url=url,
                transient=True,
                hint="rien n'est publié : relancez plus tard",
            )
        state.matched = matched
    return _in_lonlat(features, document, url, state)


def _fetch(
    client: HttpClient, base_url: str, params: dict[str, str], type_name: str
) -> tuple[bytes, str]:
    """The page's body; an HTTP error keeps its class (and retry policy) and names the layer."""
    try:
        return client.get_bytes(base_url, params)
    except HTTPStatusError as exc:
        if exc.status_code == 400:
            exc.cause += " (requête refusée : couche inconnue ou paramètre invalide)"
            exc.hint = (
                "le service ne reconnaît pas la couche ou la requête : l'ExceptionReport est "
                "lisible à l'URL ci-dessus ; vérifiez les mots-clés de la couche dans le catalogue"
            )
        exc.cause = f"couche WFS « {type_name} » : {exc.cause}"
        raise
    except SourceError as exc:
        exc.cause = f"couche WFS « {type_name} » : {exc.cause}"
        raise


def parse_feature_page(body: bytes, content_type: str, type_name: str, url: str) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of one page, or an error naming the layer.

    OGC services answer an ``ExceptionReport`` in XML where JSON was asked, with HTTP 400
    or even 200, so the body is looked at before it is parsed as JSON.
    """
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<" or "xml" in content_type.lower():
        root = _parse_xml(body, url, f"la réponse pour la couche « {type_name} »")
        report = exception_text(root)
        if report is not None:
            raise SourceError(
                f"le service WFS a renvoyé une erreur pour la couche « {type_name} » "
                f"(ExceptionReport) : {report}",
                url=url,
                hint="vérifiez que la couche est toujours proposée (GetCapabilities) ; "
                "si elle l'est, le service est en difficulté : relancez plus tard",
            )
        raise SourceError(
            f"couche WFS « {type_name} » : réponse XML « {_local(root.tag)} » au lieu du "
            "GeoJSON demandé (OUTPUTFORMAT=application/json)",
            url=url,
        )
    try:
        document = json.loads(body)
    except ValueError:
        raise SourceError(
            f"couche WFS « {type_name} » : la réponse n'est pas du JSON valide", url=url
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(document.get("features"), list)
    ):
        raise SourceError(
            f"couche WFS « {type_name} » : la réponse n'est pas une FeatureCollection GeoJSON",
            url=url,
        )
    return document


def _check_total(state: _Paging, distinct: int, url: str) -> None:
    if state.matched is None or state.matched == distinct:
        return
    raise SourceError(
        f"couche WFS « {state.type_name} » incomplète : {distinct} entités distinctes reçues "
        f"pour {state.matched} annoncées (numberMatched)",
        url=url,
        transient=True,
        hint="rien n'est publié : la couche a pu changer pendant la lecture, relancez plus tard",
    )


def _count_member(document: dict[str, Any], *names: str) -> int | None:
    """An integer count member; ``"unknown"`` (counting disabled) and the like are None."""
    for name in names:
        value = document.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _feature_key(feature: dict[str, Any]) -> str:
    """The feature id; without one, the content itself (so exact repeats still collapse)."""
    fid = feature.get("id")
    if isinstance(fid, str | int) and not isinstance(fid, bool) and str(fid):
        return f"id:{fid}"
    content = json.dumps([feature.get("properties"), feature.get("geometry")], sort_keys=True)
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def _natural_id(feature: dict[str, Any]) -> list[Any]:
    """``znieff1.9`` before ``znieff1.10``: a stable order whatever the pages' order."""
    text = str(feature.get("id", ""))
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text)]


# ========================================================================================
# CRS and axis order
# ========================================================================================
def _in_lonlat(
    features: list[dict[str, Any]], document: dict[str, Any], url: str, state: _Paging
) -> list[dict[str, Any]]:
    """The page in lon/lat WGS84, or an error: never coordinates outside the bbox."""
    epsg = declared_epsg(document, url)
    if epsg is not None and epsg != 4326:
        if state.reprojected_from is None:
            log.warning(
                "Couche WFS %s : le service a répondu en EPSG:%d malgré SRSNAME=%s ; "
                "reprojection en WGS84",
                state.type_name,
                epsg,
                OUTPUT_SRS,
            )
        state.reprojected_from = epsg
        features = _remapped(features, _to_wgs84(epsg, url))
    axis = axis_order(features, state.bbox, state.type_name, url)
    if axis is None:
        return features
    if state.axis is not None and axis != state.axis:
        raise SourceError(
            f"couche WFS « {state.type_name} » : ordre des axes différent d'une page à "
            "l'autre (longitude/latitude puis latitude/longitude)",
            url=url,
        )
    if axis == "latlon" and state.axis is None:
        log.warning(
            "Couche WFS %s : coordonnées reçues en latitude/longitude ; remises en "
            "longitude/latitude (elles tombaient hors de l'emprise demandée)",
            state.type_name,
        )
    state.axis = axis
    return _remapped(features, _swap) if axis == "latlon" else features


def declared_epsg(document: dict[str, Any], url: str) -> int | None:
    """EPSG code of a GeoJSON 2008 ``crs`` member (CRS84 is 4326), None when absent."""
    crs = document.get("crs")
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    if name.strip().upper().endswith("CRS84"):
        return 4326
    match = _EPSG.search(name)
    if match is None:
        raise SourceError(f"système de coordonnées de la réponse non reconnu : {name}", url=url)
    return int(match.group(1))


@functools.lru_cache(maxsize=8)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _to_wgs84(epsg: int, url: str) -> Remap:
    try:
        transformer = _transformer(epsg)
    except CRSError:
        raise SourceError(f"système de coordonnées inconnu : EPSG:{epsg}", url=url) from None

    def remap(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        lons, lats = transformer.transform(xs, ys)
        return list(lons), list(lats)

    return remap


def _swap(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    return ys, xs


def axis_order(features: list[dict[str, Any]], bbox: Bbox, type_name: str, url: str) -> str | None:
    """``"lonlat"``, ``"latlon"`` or None (no geometry) for a page filtered on ``bbox``.

    Every geometry the service returns intersects the bbox, so its envelope must overlap
    it. All overlapping as received: lon/lat (also when the bbox is its own mirror image
    and both readings fit). None overlapping as received but all once swapped: lat/lon.
    Anything else has no safe reading and fails.
    """
    lat_min, lat_max, lon_min, lon_max = bbox
    t = AXIS_TOLERANCE
    total = as_is = swapped = 0
    for feature in features:
        envelope = _envelope(feature.get("geometry"))
        if envelope is None:
            continue
        x_min, y_min, x_max, y_max = envelope
        total += 1
        if _overlap(x_min, x_max, lon_min - t, lon_max + t) and _overlap(
            y_min, y_max, lat_min - t, lat_max + t
        ):
            as_is += 1
        if _overlap(y_min, y_max, lon_min - t, lon_max + t) and _overlap(
            x_min, x_max, lat_min - t, lat_max + t
        ):
            swapped += 1
    if total == 0:
        return None
    if as_is == total:
        return "lonlat"
    if swapped == total and as_is == 0:
        return "latlon"
    raise SourceError(
        f"couche WFS « {type_name} » : {total - as_is} géométrie(s) sur {total} hors de "
        "l'emprise demandée, même en inversant latitude et longitude : système de "
        "coordonnées ou ordre des axes incohérent, rien n'est publié",
        url=url,
        hint="le service renvoie des géométries hors de la zone demandée : signalez-le à "
        "l'IGN (Géoplateforme) ; la dernière version publiée reste en ligne",
    )


def _overlap(low: float, high: float, range_low: float, range_high: float) -> bool:
    return low <= range_high and high >= range_low


def _positions(node: Any) -> Iterator[tuple[float, float]]:
    if _is_position(node):
        yield float(node[0]), float(node[1])
    elif isinstance(node, list):
        for child in node:
            yield from _positions(child)


def _geometry_positions(geometry: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(geometry, dict):
        return
    if geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            yield from _geometry_positions(part)
        return
    yield from _positions(geometry.get("coordinates"))


def _envelope(geometry: Any) -> tuple[float, float, float, float] | None:
    points = list(_geometry_positions(geometry))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _is_position(node: Any) -> bool:
    return (
        isinstance(node, list)
        and len(node) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node[:2])
    )


def _remapped(features: list[dict[str, Any]], remap: Remap) -> list[dict[str, Any]]:
    return [{**f, "geometry": _remap_geometry(f.get("geometry"), remap)} for f in features]


def _remap_geometry(geometry: Any, remap: Remap) -> Any:
    if not isinstance(geometry, dict):
        return geometry
    if geometry.get("type") == "GeometryCollection":
        parts = [_remap_geometry(g, remap) for g in geometry.get("geometries") or []]
        return {**geometry, "geometries": parts}
    return {**geometry, "coordinates": _remap_coordinates(geometry.get("coordinates"), remap)}


def _remap_coordinates(node: Any, remap: Remap) -> Any:
    """Positions remapped a ring at a time (pyproj is fast on lists, slow point by point)."""
    if _is_position(node):
        xs, ys = remap([float(node[0])], [float(node[1])])
        return [xs[0], ys[0], *node[2:]]
    if isinstance(node, list) and node and all(_is_position(p) for p in node):
        xs, ys = remap([float(p[0]) for p in node], [float(p[1]) for p in node])
        return [[x, y, *p[2:]] for x, y, p in zip(xs, ys, node, strict=True)]
    if isinstance(node, list):
        return [_remap_coordinates(child, remap) for child in node]
    return node


# ========================================================================================
# Catalog entry → one FeatureCollection file
# ========================================================================================
@dataclass(frozen=True)
class LayerSpec:
    """One layer of a dataset: ``key`` goes to ``_couche``, ``keywords`` find the type.

    ``label`` is the French type of area the transform publishes for the layer's sites;
    ``zones`` (word prefix → label) overrides it for the sites whose ``zone`` attribute or
    name says so (a national park's aire d'adhésion, in the same layer as its core).
    """

    key: str
    keywords: tuple[str, ...]
    label: str | None = None
    zones: tuple[tuple[str, str], ...] = ()


def layer_specs(entry: DatasetEntry) -> list[LayerSpec]:
    """The layers an entry declares (``source.layers`` or a single ``source.keywords``)."""
    source = entry.source
    where = f"{entry.name} [source]"
    if ("layers" in source) == ("keywords" in source):
        raise CatalogError(
            f"{where} : déclarez soit « keywords » (une couche), soit « layers » (plusieurs)"
        )
    if "keywords" in source:
        raw: list[Any] = [{"keywords": source["keywords"], "key": source.get("key")}]
    elif isinstance(source["layers"], list) and source["layers"]:
        raw = source["layers"]
    else:
        raise CatalogError(f"{where} : « layers » doit être une liste non vide de couches")
    specs: list[LayerSpec] = []
    for number, layer in enumerate(raw, start=1):
        specs.append(_layer_spec(layer, f"{where} couche {number}"))
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise CatalogError(f"{where} : deux couches ont la même clé ({', '.join(keys)})")
    return specs


def _layer_spec(layer: Any, where: str) -> LayerSpec:
    layer = declared_table(layer, LAYER_KEYS, where, "{ key = …, keywords = […] }")
    keywords = layer.get("keywords")
    if isinstance(keywords, str):
        keywords = [keywords]
    if (
        not isinstance(keywords, list)
        or not keywords
        or not all(isinstance(k, str) and fold(k) for k in keywords)
    ):
        raise CatalogError(f"{where} : « keywords » doit être une liste de mots non vides")
    key = layer.get("key")
    if key is None:
        key = keywords[0]
    if not isinstance(key, str) or not key.strip():
        raise CatalogError(f"{where} : « key » doit être un texte non vide")
    label = layer.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise CatalogError(f"{where} : « label » doit être un texte non vide")
    zones = layer.get("zones", {})
    if not isinstance(zones, dict) or not all(
        isinstance(k, str) and fold(k) and isinstance(v, str) and v.strip()
        for k, v in zones.items()
    ):
        raise CatalogError(f"{where} : « zones » associe un mot à un libellé non vide")
    return LayerSpec(
        key.strip(),
        tuple(keywords),
        label.strip() if label else None,
        tuple((k, v.strip()) for k, v in zones.items()),
    )


def _page_size(entry: DatasetEntry) -> int:
    value = entry.source.get("page_size", COUNT_MAX)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= COUNT_MAX:
        raise CatalogError(f"{entry.name} [source] : page_size entre 1 et {COUNT_MAX}")
    return value


def extract(
    client: HttpClient, settings: Settings, entry: DatasetEntry, territory: Territory
) -> ExtractResult:
    """Every declared layer in the territory's bbox, as one GeoJSON FeatureCollection.

    The bbox is only a coarse upstream filter: the precise intersection with the
    communes' contours belongs to the transform. Any layer failing fails the whole
    dataset and no file is written, so nothing partial can be published.
    """
    specs = layer_specs(entry)
    page_size = _page_size(entry)
    base_url = settings.wfs_url
    types = capabilities(client, base_url)
    caps_url = _full_url(base_url, CAPABILITIES_PARAMS)
    resolved = [
        (spec, resolve_type_name(types, spec.keywords, layer=spec.key, url=caps_url))
        for spec in specs
    ]
    names = [type_name for _, type_name in resolved]
    if len(set(names)) != len(names):
        raise CatalogError(
            f"{entry.name} [source] : deux couches désignent le même type WFS "
            f"({', '.join(f'{s.key} → {n}' for s, n in resolved)}) : précisez les mots-clés"
        )
    titles = {t.name: t.title for t in types}
    bbox = territory.extent()
    features: list[dict[str, Any]] = []
    layers: list[dict[str, Any]] = []
    for spec, type_name in resolved:
        log.info("Couche « %s » : type WFS %s", spec.key, type_name)
        result = get_features(client, base_url, type_name, bbox, page_size=page_size)
        for feature in result.features:
            properties = dict(feature.get("properties") or {})
            properties["_couche"] = spec.key
            properties["_type_wfs"] = type_name
            features.append({**feature, "properties": properties})
        layers.append(
            {
                "couche": spec.key,
                "type_wfs": type_name,
                "titre": titles.get(type_name, ""),
                "entites": len(result.features),
                "modifiee": latest_date(result.features),
            }
        )
    dest = settings.cache_dir / entry.name / f"{entry.name}.geojson"
    members = {"service": base_url, "emprise": _bbox_member(bbox), "couches": layers}
    sha256, size = write_collection(dest, members, features)
    dates = [str(layer["modifiee"]) for layer in layers if layer["modifiee"]]
    log.info(
        "%s : %d entités de %d couche(s) écrites dans %s",
        entry.name,
        len(features),
        len(layers),
        dest,
    )
    return ExtractResult(
        path=dest,
        url=base_url,
        sha256=sha256,
        size=size,
        not_modified=False,
        resource_id=",".join(names),
        resource_modified=max(dates) if dates else None,
    )


def _bbox_member(bbox: Bbox) -> list[float]:
    """The requested bbox in GeoJSON order (west, south, east, north)."""
    lat_min, lat_max, lon_min, lon_max = bbox
    return [round(v, 6) for v in (lon_min, lat_min, lon_max, lat_max)]


def latest_date(features: Sequence[dict[str, Any]]) -> str | None:
    """The latest ISO date among the sites' modification dates, if the layer has any."""
    latest: str | None = None
    for feature in features:
        properties = feature.get("properties") or {}
        for name in DATE_PROPERTIES:
            value = properties.get(name)
            match = _ISO_DATE.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(match.group(1)).isoformat()
                latest = day if latest is None or day > latest else latest
    return latest


def write_collection(
    dest: Path, members: dict[str, Any], features: Sequence[dict[str, Any]]
) -> tuple[str, int]:
    """Write the FeatureCollection through ``.part`` (never half a file); (sha256, size)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    size = 0

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    head = dumps({"type": "FeatureCollection", **members})
    chunks = [head[:-1] + ',"features":[']
    try:
        with part.open("wb") as out:
            for index, feature in enumerate(features):
                chunks.append(("," if index else "") + dumps(feature))
                if len(chunks) >= 256:
                    size += _flush(out, digest, chunks)
            chunks.append("]}\n")
            size += _flush(out, digest, chunks)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        raise
    os.replace(part, dest)
    return digest.hexdigest(), size


def _flush(out: Any, digest: Any, chunks: list[str]) -> int:
    data = "".join(chunks).encode("utf-8")
    chunks.clear()
    out.write(data)
    digest.update(data)
    return len(data)


# ========================================================================================
# XML helpers
# ========================================================================================
def _parse_xml(body: bytes, url: str, what: str) -> Element:
    """Parse without DTD nor entities (defusedxml): a hostile body cannot expand or fetch."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            f"{what} est une page HTML et non un document XML (service en maintenance ?)",
            url=url,
        )
    try:
        return safe_xml.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise SourceError(
            f"{what} est un XML refusé (DTD ou entités interdites)", url=url
        ) from None
    except ParseError:
        raise SourceError(f"{what} n'est pas un document XML lisible", url=url) from None


def exception_text(root: Element) -> str | None:
    """``code (locator) : text`` of an OWS ``ExceptionReport``, None for any other root."""
    if not _local(root.tag).endswith("ExceptionReport"):
        return None
    parts = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag not in ("Exception", "ServiceException"):
            continue
        code = element.get("exceptionCode") or element.get("code") or ""
        locator = element.get("locator")
        texts = [_text(t) for t in element.iter() if _local(t.tag) == "ExceptionText"]
        if tag == "ServiceException":
            texts.append(_text(element))
        label = f"{code} ({locator})" if code and locator else code or locator or ""
        message = " ".join(t for t in texts if t)
        parts.append(" : ".join(p for p in (label, message) if p))
    return " ; ".join(p for p in parts if p) or "(sans message)"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _full_url(base_url: str, params: dict[str, str]) -> str:
    return str(httpx.URL(base_url).copy_merge_params(params))
