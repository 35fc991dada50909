"""A local WFS 2.0 playing the IGN Géoplateforme (GeoServer) for the PatriNat layers.

    with WfsServer() as wfs:
        wfs.add_layer("patrinat_znieff1:znieff1", "ZNIEFF de type 1", [site("830005", 3.1, 45.8)])
        env = {"PATRIMOINE_WFS_URL": wfs.wfs_url}

``GET /wfs/ows`` (parameter names case-insensitive, as OGC KVP requires):

``REQUEST=GetCapabilities``
    a WFS 2.0 document in the Géoplateforme's shape (wfs/ows/xlink/fes namespaces, one
    ``FeatureType`` per layer with ``Name``, ``Title``, ``DefaultCRS``
    ``urn:ogc:def:crs:EPSG::2154`` and ``ows:WGS84BoundingBox``).
``REQUEST=GetFeature``
    ``TYPENAMES`` (or ``TYPENAME``), ``OUTPUTFORMAT=application/json``, ``BBOX`` read as
    GeoServer reads it (``urn:ogc:def:crs:EPSG::4326`` lat/lon, ``EPSG:4326`` lon/lat, no
    CRS: the native Lambert-93), features kept when they intersect it; ``SRSNAME`` as
    GeoServer (``EPSG:4326`` lon/lat, the URN lat/lon, default native EPSG:2154); ``COUNT``
    capped at ``count_max`` (a bigger value is ignored, as the real service does),
    ``STARTINDEX``; ``numberMatched``/``numberReturned``/``totalFeatures``/``crs`` members.
errors
    an ``ows:ExceptionReport`` (HTTP 400) for an unknown ``TYPENAMES``, a bad ``SERVICE``,
    ``REQUEST`` or ``OUTPUTFORMAT``; :meth:`WfsServer.fail_layer` forces one for a layer
    (HTTP 200 by default, which GeoServer does too). Transport faults come from the route:
    ``wfs.route(WFS_PATH).fail_times(1)``.

Switches for the tests: ``swap_axes`` (answer lat/lon whatever was asked),
``ignore_srsname`` (answer in Lambert-93), ``crs_member``, ``report_number_matched``,
``number_matched_delta``, ``page_overlap`` (pages after the first start that many features
early, as an unstable ordering does).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from .base import BaseServer, RecordedRequest, Reply, Request

WFS_PATH = "/wfs/ows"
COUNT_MAX = 5000
NATIVE_CRS = "urn:ogc:def:crs:EPSG::2154"
_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
_FROM_L93 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
_LATLON_URNS = ("urn:ogc:def:crs:epsg::4326", "urn:x-ogc:def:crs:epsg:4326")
_LONLAT_NAMES = ("epsg:4326", "crs:84", "urn:ogc:def:crs:ogc:1.3:crs84")
_L93_NAMES = ("epsg:2154", "urn:ogc:def:crs:epsg::2154", "urn:x-ogc:def:crs:epsg:2154")


def site(
    id_mnhn: str,
    lon: float,
    lat: float,
    *,
    half_side: float = 0.002,
    nom: str | None = None,
    fid: str | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """A square site in the uniform PatriNat schema (sources.md §7.1), lon/lat WGS84."""
    w, e, s, n = lon - half_side, lon + half_side, lat - half_side, lat + half_side
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    feature: dict[str, Any] = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]],
        },
        "properties": {
            "id_mnhn": id_mnhn,
            "id_local": id_mnhn,
            "nom_site": nom or f"Site synthétique {id_mnhn}",
            "date_crea": "2004-06-01",
            "modif_adm": "2019-03-12",
            "modif_geo": "2021-11-05",
            "url_fiche": f"https://inpn.mnhn.fr/espace/protege/{id_mnhn}",
            "surf_off": round((2 * half_side * 111.0) ** 2 * 70.0, 2),
            "acte_deb": None,
            "acte_fin": None,
            "gest_site": None,
            **properties,
        },
    }
    if fid is not None:
        feature["id"] = fid
    return feature


@dataclass
class _Layer:
    name: str
    title: str
    features: list[dict[str, Any]]
    geometries: Any  # numpy array of shapely geometries, for a vectorised intersects
    default_crs: str
    fault: tuple[int, str, str] | None = None  # (status, exceptionCode, text)


class WfsServer(BaseServer):
    """The Géoplateforme WFS for the layers a test registers."""

    def __init__(self) -> None:
        super().__init__()
        self._layers: dict[str, _Layer] = {}
        self._state = threading.RLock()
        self.count_max = COUNT_MAX
        self.swap_axes = False
        """Answer lat/lon whatever ``SRSNAME`` asked (a misconfigured or non-GeoServer WFS)."""
        self.ignore_srsname = False
        """Answer in the native Lambert-93, as a service ignoring ``SRSNAME`` would."""
        self.crs_member = True
        self.report_number_matched = True
        """False: ``totalFeatures: "unknown"`` and no ``numberMatched`` (counting disabled)."""
        self.number_matched_delta = 0
        """Added to the announced ``numberMatched``/``totalFeatures`` (a layer that changed)."""
        self.page_overlap = 0
        """Pages after the first start that many features early (unstable ordering)."""
        self.add_route(WFS_PATH, self._handle, conditional=False)

    @property
    def wfs_url(self) -> str:
        return f"{self.url}{WFS_PATH}"

    # -- layers -------------------------------------------------------------------------
    def add_layer(
        self,
        name: str,
        title: str,
        features: Iterable[dict[str, Any]],
        *,
        default_crs: str = NATIVE_CRS,
    ) -> None:
        """Offer ``name`` (``ns:local``) with ``features`` (GeoJSON, lon/lat WGS84).

        Features without an ``id`` get GeoServer's ``{local}.{n}``.
        """
        local = name.rpartition(":")[2]
        stored = []
        for number, feature in enumerate(features, start=1):
            copy = {"type": "Feature", **feature}
            copy.setdefault("id", f"{local}.{number}")
            copy.setdefault("geometry_name", "geom")
            stored.append(copy)
        geometries = np.array([shape(f["geometry"]) for f in stored], dtype=object)
        with self._state:
            self._layers[name] = _Layer(name, title, stored, geometries, default_crs)

    def remove_layer(self, name: str) -> None:
        with self._state:
            self._layers.pop(name, None)

    def fail_layer(
        self, name: str, text: str, *, code: str = "NoApplicableCode", status: int = 200
    ) -> None:
        """Answer GetFeature on ``name`` with an ``ows:ExceptionReport`` (until re-added)."""
        with self._state:
            self._layers[name].fault = (status, code, text)

    def getfeature_requests(self, type_name: str | None = None) -> list[dict[str, str]]:
        """The GetFeature queries received (upper-cased parameter names), in order."""
        found = []
        for request in self.requests_to(WFS_PATH):
            params = _params(urlsplit(request.path).query)
            if params.get("REQUEST", "").lower() != "getfeature":
                continue
            if type_name is None or _type_names(params) == type_name:
                found.append(params)
        return found

    def capabilities_requests(self) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests_to(WFS_PATH)
            if _params(urlsplit(r.path).query).get("REQUEST", "").lower() == "getcapabilities"
        ]

    # -- answering ----------------------------------------------------------------------
    def _handle(self, request: Request) -> Reply:
        params = _params(request.raw_query)
        if params.get("SERVICE", "").upper() != "WFS":
            return exception_report(
                "MissingParameterValue", "service", "Could not determine service"
            )
        operation = params.get("REQUEST", "").lower()
        if operation == "getcapabilities":
            return Reply(
                200,
                self.capabilities_document().encode("utf-8"),
                {"Content-Type": "application/xml"},
            )
        if operation == "getfeature":
            return self._get_feature(params)
        return exception_report(
            "OperationNotSupported", "request", f"No such operation WFS {params.get('REQUEST')}"
        )

    def capabilities_document(self) -> str:
        with self._state:
            layers = list(self._layers.values())
        href = quoteattr(f"{self.wfs_url}?")
        operations = "".join(
            f'<ows:Operation name="{op}"><ows:DCP><ows:HTTP><ows:Get xlink:href={href}/>'
            f"<ows:Post xlink:href={href}/></ows:HTTP></ows:DCP></ows:Operation>"
            for op in ("GetCapabilities", "DescribeFeatureType", "GetFeature")
        )
        types = "".join(_feature_type_xml(layer) for layer in layers)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<wfs:WFS_Capabilities version="2.0.0"'
            ' xmlns:wfs="http://www.opengis.net/wfs/2.0"'
            ' xmlns:ows="http://www.opengis.net/ows/1.1"'
            ' xmlns:xlink="http://www.w3.org/1999/xlink"'
            ' xmlns:fes="http://www.opengis.net/fes/2.0"'
            ' xmlns:gml="http://www.opengis.net/gml/3.2"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://www.opengis.net/wfs/2.0'
            ' http://schemas.opengis.net/wfs/2.0/wfs.xsd">'
            "<ows:ServiceIdentification><ows:Title>Service WFS de la Géoplateforme (banc d'essai)"
            "</ows:Title><ows:Abstract>Données vecteur de la Géoplateforme</ows:Abstract>"
            "<ows:ServiceType>WFS</ows:ServiceType>"
            "<ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion>"
            "<ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints>"
            "</ows:ServiceIdentification>"
            "<ows:ServiceProvider><ows:ProviderName>IGN</ows:ProviderName></ows:ServiceProvider>"
            f"<ows:OperationsMetadata>{operations}"
            '<ows:Constraint name="CountDefault"><ows:NoValues/>'
            f"<ows:DefaultValue>{self.count_max}</ows:DefaultValue></ows:Constraint>"
            "</ows:OperationsMetadata>"
            f"<wfs:FeatureTypeList>{types}</wfs:FeatureTypeList>"
            "<fes:Filter_Capabilities><fes:Spatial_Capabilities><fes:GeometryOperands>"
            '<fes:GeometryOperand name="gml:Envelope"/></fes:GeometryOperands>'
            '<fes:SpatialOperators><fes:SpatialOperator name="BBOX"/>'
            '<fes:SpatialOperator name="Intersects"/></fes:SpatialOperators>'
            "</fes:Spatial_Capabilities></fes:Filter_Capabilities>"
            "</wfs:WFS_Capabilities>"
        )

    def _get_feature(self, params: Mapping[str, str]) -> Reply:
        type_name = _type_names(params)
        with self._state:
            layer = self._layers.get(type_name)
        if layer is None:
            return exception_report(
                "InvalidParameterValue", "typeName", f"Feature type {type_name} unknown"
            )
        if layer.fault is not None:
            status, code, text = layer.fault
            return exception_report(code, "", text, status)
        output = params.get("OUTPUTFORMAT", "application/json").lower()
        if output not in ("application/json", "json", "application/geo+json"):
            return exception_report(
                "InvalidParameterValue", "outputFormat", f"Unsupported {output}"
            )
        try:
            selected = self._select(layer, params.get("BBOX"))
            count = min(int(params.get("COUNT", self.count_max)), self.count_max)
            start = int(params.get("STARTINDEX", "0"))
        except ValueError as exc:
            return exception_report("InvalidParameterValue", "", str(exc))
        if count > 0 and start > 0:
            start = max(0, start - self.page_overlap)
        page = selected[start : start + max(count, 0)]
        srs = "" if self.ignore_srsname else params.get("SRSNAME", "").lower()
        features = [_in_srs(f, srs, self.swap_axes) for f in page]
        matched = len(selected) + self.number_matched_delta
        body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
        if self.report_number_matched:
            body.update(totalFeatures=matched, numberMatched=matched)
        else:
            body["totalFeatures"] = "unknown"
        body["numberReturned"] = len(features)
        body["timeStamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if self.crs_member:
            name = (
                "urn:ogc:def:crs:EPSG::4326"
                if srs in (*_LATLON_URNS, *_LONLAT_NAMES)
                else NATIVE_CRS
            )
            body["crs"] = {"type": "name", "properties": {"name": name}}
        return Reply.json(body, content_type="application/json;charset=UTF-8")

    def _select(self, layer: _Layer, bbox: str | None) -> list[dict[str, Any]]:
        if not bbox:
            return list(layer.features)
        box = shapely.box(*bbox_lonlat(bbox))
        hits = shapely.intersects(layer.geometries, box)
        return [f for f, hit in zip(layer.features, hits, strict=True) if hit]


def bbox_lonlat(raw: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a KVP BBOX, read as GeoServer reads its CRS."""
    parts = raw.split(",")
    crs = parts[4].strip().lower() if len(parts) > 4 else ""
    a, b, c, d = (float(v) for v in parts[:4])
    if crs in _LATLON_URNS:
        return b, a, d, c
    if crs in _LONLAT_NAMES:
        return a, b, c, d
    if crs in ("", *_L93_NAMES):
        xs, ys = _FROM_L93.transform([a, c, a, c], [b, b, d, d])
        return min(xs), min(ys), max(xs), max(ys)
    raise ValueError(f"Unsupported BBOX CRS {crs}")


def _in_srs(feature: dict[str, Any], srs: str, swap: bool) -> dict[str, Any]:
    """A copy of the stored (lon/lat) feature in the answer's CRS and axis order."""
    geometry = feature["geometry"]
    if srs in _LATLON_URNS:
        geometry = _mapped(geometry, lambda xs, ys: (ys, xs))
    elif srs not in _LONLAT_NAMES:  # GeoServer's default: the native CRS
        geometry = _mapped(geometry, lambda xs, ys: tuple(map(list, _TO_L93.transform(xs, ys))))
    if swap:
        geometry = _mapped(geometry, lambda xs, ys: (ys, xs))
    return {**feature, "geometry": geometry}


def _mapped(geometry: dict[str, Any], fn: Any) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, list) and node and isinstance(node[0], int | float):
            xs, ys = fn([node[0]], [node[1]])
            return [xs[0], ys[0]]
        if (
            isinstance(node, list)
            and node
            and all(isinstance(p, list) and p and isinstance(p[0], int | float) for p in node)
        ):
            xs, ys = fn([p[0] for p in node], [p[1] for p in node])
            return [[x, y] for x, y in zip(xs, ys, strict=True)]
        return [walk(child) for child in node] if isinstance(node, list) else node

    return {**geometry, "coordinates": walk(geometry.get("coordinates"))}


def _feature_type_xml(layer: _Layer) -> str:
    prefix, _, _local = layer.name.rpartition(":")
    namespace = f' xmlns:{prefix}="http://{prefix}"' if prefix else ""
    bounds = shapely.total_bounds(layer.geometries) if len(layer.geometries) else None
    bbox = ""
    if bounds is not None and np.isfinite(bounds).all():
        west, south, east, north = (float(v) for v in bounds)
        bbox = (
            f"<ows:WGS84BoundingBox><ows:LowerCorner>{west} {south}</ows:LowerCorner>"
            f"<ows:UpperCorner>{east} {north}</ows:UpperCorner></ows:WGS84BoundingBox>"
        )
    return (
        f"<wfs:FeatureType{namespace}>"
        f"<wfs:Name>{escape(layer.name)}</wfs:Name>"
        f"<wfs:Title>{escape(layer.title)}</wfs:Title>"
        f"<wfs:Abstract>{escape(layer.title)} (PatriNat, OFB-MNHN-CNRS-IRD)</wfs:Abstract>"
        "<ows:Keywords><ows:Keyword>features</ows:Keyword>"
        f"<ows:Keyword>{escape(_local)}</ows:Keyword></ows:Keywords>"
        f"<wfs:DefaultCRS>{escape(layer.default_crs)}</wfs:DefaultCRS>"
        "<wfs:OtherCRS>urn:ogc:def:crs:EPSG::4326</wfs:OtherCRS>"
        "<wfs:OtherCRS>urn:ogc:def:crs:EPSG::3857</wfs:OtherCRS>"
        "<wfs:OutputFormats><wfs:Format>application/gml+xml; version=3.2</wfs:Format>"
        "<wfs:Format>application/json</wfs:Format></wfs:OutputFormats>"
        f"{bbox}"
        f'<wfs:MetadataURL xlink:href="https://inpn.mnhn.fr/telechargement/cartes-et-information-geographique"/>'
        "</wfs:FeatureType>"
    )


def exception_report(code: str, locator: str, text: str, status: int = 400) -> Reply:
    """An OWS 1.1 ``ExceptionReport`` as GeoServer sends it."""
    locator_attr = f" locator={quoteattr(locator)}" if locator else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ows:ExceptionReport xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0"'
        ' xsi:schemaLocation="http://www.opengis.net/ows/1.1'
        ' http://schemas.opengis.net/ows/1.1.0/owsAll.xsd">'
        f"<ows:Exception exceptionCode={quoteattr(code)}{locator_attr}>"
        f"<ows:ExceptionText>{escape(text)}</ows:ExceptionText>"
        "</ows:Exception></ows:ExceptionReport>"
    )
    return Reply(status, body.encode("utf-8"), {"Content-Type": "application/xml"})


def _params(raw_query: str) -> dict[str, str]:
    """KVP parameters with upper-cased names: OGC names are case-insensitive."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params.setdefault(key.upper(), value)
    return params


def _type_names(params: Mapping[str, str]) -> str:
    return params.get("TYPENAMES") or params.get("TYPENAME") or ""
