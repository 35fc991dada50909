"""The WFS stand-in answers like the Géoplateforme's GeoServer: KVP, BBOX, COUNT, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pyproj import Transformer

from .wfs import COUNT_MAX, WfsServer, site

LAYER = "patrinat_znieff2:znieff2"
INSIDE = site("830007463", 3.1, 45.8)
FAR = site("530000001", -3.5, 48.1)


@pytest.fixture
def wfs() -> Iterator[WfsServer]:
    with WfsServer() as server:
        server.add_layer(LAYER, "ZNIEFF de type 2", [INSIDE, FAR])
        yield server
    assert not server.errors, server.errors


def get(server: WfsServer, **params: str) -> httpx.Response:
    return httpx.get(server.wfs_url, params=params, timeout=5)


def features(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["features"]
    return found


def test_parameter_names_are_case_insensitive_and_bbox_urn_is_lat_lon(wfs: WfsServer) -> None:
    bbox = "45.7,3.0,45.9,3.2,urn:ogc:def:crs:EPSG::4326"
    answer = get(
        wfs, service="WFS", Request="GetFeature", typeNames=LAYER, bbox=bbox, srsName="EPSG:4326"
    )
    body = answer.json()
    assert [f["properties"]["id_mnhn"] for f in features(answer)] == ["830007463"]
    assert body["numberMatched"] == body["totalFeatures"] == body["numberReturned"] == 1
    assert body["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::4326"
    assert body["features"][0]["id"] == "znieff2.1"
    ring = body["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == pytest.approx([3.098, 45.798])  # EPSG:4326 short form: lon/lat
    # the same numbers as lon/lat (EPSG:4326 short form) select nothing
    lonlat = get(
        wfs,
        SERVICE="WFS",
        REQUEST="GetFeature",
        TYPENAMES=LAYER,
        BBOX="45.7,3.0,45.9,3.2,EPSG:4326",
    )
    assert features(lonlat) == []


def test_bbox_without_crs_is_lambert_93_and_default_output_is_native(wfs: WfsServer) -> None:
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    (x0, x1), (y0, y1) = to_l93.transform([3.05, 3.15], [45.75, 45.85])
    answer = get(
        wfs, SERVICE="WFS", REQUEST="GetFeature", TYPENAMES=LAYER, BBOX=f"{x0},{y0},{x1},{y1}"
    )
    [feature] = features(answer)
    assert answer.json()["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::2154"
    x, y = feature["geometry"]["coordinates"][0][0]
    assert 600_000 < x < 800_000 and 6_400_000 < y < 6_600_000
    urn = get(
        wfs,
        SERVICE="WFS",
        REQUEST="GetFeature",
        TYPENAMES=LAYER,
        SRSNAME="urn:ogc:def:crs:EPSG::4326",
    )
    assert features(urn)[0]["geometry"]["coordinates"][0][0] == pytest.approx([45.798, 3.098])


def test_count_above_the_cap_is_ignored_and_startindex_pages(wfs: WfsServer) -> None:
    wfs.add_layer(LAYER, "ZNIEFF de type 2", [site(f"83{n:07d}", 3.1, 45.8) for n in range(5003)])
    big = get(wfs, SERVICE="WFS", REQUEST="GetFeature", TYPENAMES=LAYER, COUNT="100000")
    assert len(features(big)) == COUNT_MAX and big.json()["numberMatched"] == 5003
    rest = get(
        wfs, SERVICE="WFS", REQUEST="GetFeature", TYPENAMES=LAYER, COUNT="5000", STARTINDEX="5000"
    )
    assert [f["id"] for f in features(rest)] == ["znieff2.5001", "znieff2.5002", "znieff2.5003"]


def test_errors_are_ows_exception_reports(wfs: WfsServer) -> None:
    unknown = get(wfs, SERVICE="WFS", REQUEST="GetFeature", TYPENAMES="patrinat_x:x")
    assert unknown.status_code == 400
    assert unknown.headers["Content-Type"] == "application/xml"
    assert b"<ows:ExceptionReport" in unknown.content
    assert b'exceptionCode="InvalidParameterValue" locator="typeName"' in unknown.content
    assert get(wfs, SERVICE="WMS", REQUEST="GetMap").status_code == 400
    wfs.fail_layer(LAYER, "Timeout")
    forced = get(wfs, SERVICE="WFS", REQUEST="GetFeature", TYPENAMES=LAYER)
    assert forced.status_code == 200 and b"<ows:ExceptionText>Timeout" in forced.content


def test_capabilities_document_lists_the_layers(wfs: WfsServer) -> None:
    answer = get(wfs, SERVICE="WFS", VERSION="2.0.0", REQUEST="GetCapabilities")
    text = answer.text
    assert answer.status_code == 200 and text.startswith("<?xml")
    assert 'xmlns:wfs="http://www.opengis.net/wfs/2.0"' in text
    assert f"<wfs:Name>{LAYER}</wfs:Name>" in text
    assert "<wfs:DefaultCRS>urn:ogc:def:crs:EPSG::2154</wfs:DefaultCRS>" in text
    assert "<ows:WGS84BoundingBox><ows:LowerCorner>-3.502 45.798</ows:LowerCorner>" in text
