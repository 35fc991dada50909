"""The WFS source against a local Géoplateforme stand-in, over real HTTP."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import DatasetEntry, Metadata
from patrimoine.config import Settings
from patrimoine.errors import CatalogError, HTTPStatusError, NotInSnapshot, SourceError
from patrimoine.http import HttpClient, MirrorTransport
from patrimoine.sources import SOURCES, wfs
from patrimoine.sources.wfs import (
    FeatureType,
    capabilities,
    get_features,
    getfeature_params,
    layer_specs,
    resolve_type_name,
)
from patrimoine.territory import Commune, Territory
from tests.conftest import make_settings
from tests.servers import Reply, clermont_communes
from tests.servers.wfs import WFS_PATH, WfsServer, site

TERRITORY = Territory(
    "epci:246300701",
    "Clermont Auvergne Métropole",
    tuple(Commune(c["code"], c["nom"], "63", contour=c["contour"]) for c in clermont_communes()),
)
BBOX = TERRITORY.extent()
ZNIEFF1 = "patrinat_znieff1:znieff1"


def grid(count: int, prefix: str = "83") -> list[dict[str, Any]]:
    """``count`` small synthetic sites spread over the territory (lon 3.0–3.2, lat 45.72–45.82)."""
    columns = 80
    return [
        site(
            f"{prefix}{number:07d}",
            3.0 + 0.0025 * (number % columns),
            45.72 + 0.0015 * (number // columns),
            half_side=0.0005,
        )
        for number in range(count)
    ]


OUTSIDE = [site("530000001", -3.5, 48.1), site("930000002", 6.9, 43.7)]  # Bretagne, Alpes


@pytest.fixture
def server() -> Iterator[WfsServer]:
    with WfsServer() as stand_in:
        yield stand_in
    assert not stand_in.errors, stand_in.errors


@pytest.fixture
def settings(tmp_path: Path, server: WfsServer) -> Settings:
    return make_settings(tmp_path, PATRIMOINE_WFS_URL=server.wfs_url)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(settings: Settings, sleeps: list[float]) -> Iterator[HttpClient]:
    with HttpClient(settings, sleep=sleeps.append) as http_client:
        yield http_client


def entry(source: dict[str, Any], name: str = "espaces-proteges") -> DatasetEntry:
    return DatasetEntry(
        name=name,
        source={"kind": "wfs", **source},
        transform="espaces_naturels",
        business_key=("identifiant",),
        schema_path=Path("unused.json"),
        source_suite_path=Path("unused.source.json"),
        published_suite_path=Path("unused.published.json"),
        metadata=Metadata("t", "d", "l", "lov2", "https://l", "a", "annual", "annuelle"),
    )


# ---------------------------------------------------------------------------------------
# GetCapabilities and type names
# ---------------------------------------------------------------------------------------
NAMES = (
    (ZNIEFF1, "ZNIEFF de type 1"),
    ("patrinat_znieff1_mer:znieff1_mer", "ZNIEFF de type 1 en mer"),
    ("PROTECTEDAREAS.ZPS:zps", "Zones de protection spéciale"),
    ("patrinat_pn2:pn", "Parcs nationaux"),
    ("patrinat_pnr:pnr", "Parcs naturels régionaux"),
    ("patrinat_rnc:pnm", "Réserves naturelles de Corse"),
    ("patrinat_pnm:pnm", "Parcs naturels marins"),
    ("PROTECTEDAREAS.INPG:inpg", "Inventaire du patrimoine géologique"),
    ("patrinat_inpg:inpg", "Inventaire du patrimoine géologique"),
    ("patrinat_apb:apb", "Arrêtés de protection de biotope"),
)


def test_capabilities_gives_name_title_crs_and_wgs84_bbox(
    server: WfsServer, client: HttpClient
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", [site("830020591", 3.05, 45.75)])
    server.add_layer("PROTECTEDAREAS.ZPS:zps", "Zones de protection spéciale", [])
    types = capabilities(client, server.wfs_url)
    assert [t.name for t in types] == [ZNIEFF1, "PROTECTEDAREAS.ZPS:zps"]
    znieff = types[0]
    assert znieff.title == "ZNIEFF de type 1"
    assert znieff.default_crs == "urn:ogc:def:crs:EPSG::2154"
    assert znieff.wgs84_bbox == pytest.approx((3.048, 45.748, 3.052, 45.752))
    assert types[1].wgs84_bbox is None  # an empty layer has no extent
    request = server.capabilities_requests()[0]
    assert "VERSION=2.0.0" in request.path and "SERVICE=WFS" in request.path


def test_type_names_resolved_by_keyword_in_both_naming_variants(
    server: WfsServer, client: HttpClient
) -> None:
    for name, title in NAMES:
        server.add_layer(name, title, [])
    types = capabilities(client, server.wfs_url)
    assert resolve_type_name(types, ["znieff1"]) == ZNIEFF1  # not znieff1_mer
    assert resolve_type_name(types, ["zps"]) == "PROTECTEDAREAS.ZPS:zps"
    assert resolve_type_name(types, ["parc_national", "pn"]) == "patrinat_pn2:pn"  # not pnr
    assert resolve_type_name(types, ["pnm"]) == "patrinat_pnm:pnm"  # not patrinat_rnc:pnm
    assert resolve_type_name(types, ["rnc"]) == "patrinat_rnc:pnm"
    assert resolve_type_name(types, ["inpg"]) == "patrinat_inpg:inpg"  # harmonised schema
    assert resolve_type_name(types, ["PROTECTEDAREAS.INPG:inpg"]) == "PROTECTEDAREAS.INPG:inpg"
    assert resolve_type_name(types, ["Arrêtés de protection"]) == "patrinat_apb:apb"  # title
    # the other observed variant of the national parks, and both offered at once
    other = [FeatureType("patrinat_pn:parc_national", "Parcs nationaux", None, None)]
    assert resolve_type_name(other, ["parc_national", "pn"]) == "patrinat_pn:parc_national"
    both = [*types, *other]
    assert resolve_type_name(both, ["parc_national", "pn"]) == "patrinat_pn:parc_national"
    assert resolve_type_name(list(reversed(both)), ["parc_national", "pn"]) == (
        "patrinat_pn:parc_national"
    )


def test_a_missing_layer_is_named_with_close_candidates(
    server: WfsServer, client: HttpClient
) -> None:
    for name, title in NAMES:
        server.add_layer(name, title, [])
    types = capabilities(client, server.wfs_url)
    with pytest.raises(SourceError) as caught:
        resolve_type_name(types, ["rnr"], layer="reserves-regionales")
    message = str(caught.value)
    assert "couche WFS « reserves-regionales » introuvable" in message
    assert "mots-clés : rnr" in message and "patrinat_pnr:pnr" in message
    assert "catalogue" in message and not caught.value.transient


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "page HTML"),
        (b'{"error": "maintenance"}', "n'est pas un document XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><wfs:WFS_Capabilities>&b;</wfs:WFS_Capabilities>',
            "DTD ou entités interdites",
        ),
        (
            b'<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1">'
            b'<ows:Exception exceptionCode="NoApplicableCode"><ows:ExceptionText>Service '
            b"indisponible</ows:ExceptionText></ows:Exception></ows:ExceptionReport>",
            re.escape("refusé GetCapabilities (ExceptionReport) : NoApplicableCode : Service"),
        ),
    ],
)
def test_capabilities_that_are_not_a_wfs_document_fail_in_french(
    server: WfsServer, client: HttpClient, body: bytes, expected: str
) -> None:
    server.route(WFS_PATH).set_responder(Reply(200, body, {"Content-Type": "text/html"}))
    with pytest.raises(SourceError, match=expected):
        capabilities(client, server.wfs_url)


# ---------------------------------------------------------------------------------------
# GetFeature: errors naming the layer
# ---------------------------------------------------------------------------------------
def test_exception_reports_name_the_layer(server: WfsServer, client: HttpClient) -> None:
    with pytest.raises(HTTPStatusError) as caught:  # GeoServer: HTTP 400, not retried
        get_features(client, server.wfs_url, "patrinat_rnr:rnr", BBOX)
    assert caught.value.status_code == 400 and not caught.value.transient
    assert "couche WFS « patrinat_rnr:rnr »" in str(caught.value)
    assert "TYPENAMES=patrinat_rnr%3Arnr" in str(caught.value)  # the URL shows the report
    assert len(server.getfeature_requests()) == 1

    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(3))
    server.fail_layer(ZNIEFF1, "java.lang.OutOfMemoryError", status=200)
    with pytest.raises(SourceError) as caught_200:
        get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    message = str(caught_200.value)
    assert f"erreur pour la couche « {ZNIEFF1} » (ExceptionReport)" in message
    assert "NoApplicableCode : java.lang.OutOfMemoryError" in message


def test_transient_failure_is_retried_but_a_404_is_not(
    server: WfsServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(20))
    server.route(WFS_PATH).fail_times(1, 503)
    assert len(get_features(client, server.wfs_url, ZNIEFF1, BBOX).features) == 20
    assert len(server.getfeature_requests()) == 2 and len(sleeps) == 1

    server.clear_requests()
    server.route(WFS_PATH).status(404)
    with pytest.raises(HTTPStatusError) as caught:
        get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    assert caught.value.status_code == 404 and f"« {ZNIEFF1} »" in str(caught.value)
    assert len(server.getfeature_requests()) == 1 and len(sleeps) == 1


# ---------------------------------------------------------------------------------------
# GetFeature: paging
# ---------------------------------------------------------------------------------------
def test_a_layer_of_5200_features_is_read_in_two_pages(
    server: WfsServer, client: HttpClient
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", [*OUTSIDE, *grid(5200)])
    result = get_features(client, server.wfs_url, ZNIEFF1, BBOX, page_size=20_000)
    assert len(result.features) == 5200 and result.number_matched == 5200
    assert result.pages == 2 and result.duplicates == 0
    ids = {f["properties"]["id_mnhn"] for f in result.features}
    assert len(ids) == 5200 and not ids & {"530000001", "930000002"}  # bbox filter
    requests = server.getfeature_requests(ZNIEFF1)
    assert [(r["STARTINDEX"], r["COUNT"]) for r in requests] == [("0", "5000"), ("5000", "5000")]
    first = requests[0]
    assert first["SRSNAME"] == "EPSG:4326" and first["OUTPUTFORMAT"] == "application/json"
    lat_min, lat_max, lon_min, lon_max = BBOX
    assert first["BBOX"] == (
        f"{lat_min:.6f},{lon_min:.6f},{lat_max:.6f},{lon_max:.6f},urn:ogc:def:crs:EPSG::4326"
    )


def test_a_full_page_is_never_the_end(server: WfsServer, client: HttpClient) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(5000))
    result = get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    assert len(result.features) == 5000 and result.pages == 2
    assert [r["STARTINDEX"] for r in server.getfeature_requests()] == ["0", "5000"]


def test_a_service_capping_below_count_is_still_read_to_the_end(
    server: WfsServer, client: HttpClient
) -> None:
    server.count_max = 40  # short pages, but numberMatched says more remain
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(100))
    result = get_features(client, server.wfs_url, ZNIEFF1, BBOX, page_size=50)
    assert len(result.features) == 100
    assert [r["STARTINDEX"] for r in server.getfeature_requests()] == ["0", "40", "80"]


def test_number_matched_mismatch_is_a_transient_error(
    server: WfsServer, client: HttpClient
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(30))
    server.number_matched_delta = 3
    with pytest.raises(SourceError) as caught:
        get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    assert caught.value.transient
    assert "30 entités distinctes reçues pour 33 annoncées (numberMatched)" in str(caught.value)
    assert [r["STARTINDEX"] for r in server.getfeature_requests()] == ["0", "30"]


def test_a_feature_on_two_pages_is_kept_once(
    server: WfsServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(250))
    server.page_overlap = 1  # each later page starts one feature early
    with caplog.at_level(logging.INFO, logger="patrimoine.sources.wfs"):
        result = get_features(client, server.wfs_url, ZNIEFF1, BBOX, page_size=100)
    assert len(result.features) == 250 and result.duplicates == 1
    assert len({f["id"] for f in result.features}) == 250
    assert [f["id"] for f in result.features[:3]] == ["znieff1.1", "znieff1.2", "znieff1.3"]
    assert "gardée(s) une seule fois" in caplog.text
    assert "Couche WFS patrinat_znieff1:znieff1 : page 3 (à partir de 200)" in caplog.text


def test_without_number_matched_a_short_page_ends_the_layer(
    server: WfsServer, client: HttpClient
) -> None:
    server.report_number_matched = False  # totalFeatures: "unknown"
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(120))
    result = get_features(client, server.wfs_url, ZNIEFF1, BBOX, page_size=50)
    assert len(result.features) == 120 and result.number_matched is None
    assert result.pages == 3


# ---------------------------------------------------------------------------------------
# GetFeature: CRS and axis order
# ---------------------------------------------------------------------------------------
def _first_ring(feature: dict[str, Any]) -> list[list[float]]:
    ring: list[list[float]] = feature["geometry"]["coordinates"][0]
    return ring


def test_lat_lon_answers_are_detected_and_put_back(
    server: WfsServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    sites = grid(10)
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", sites)
    server.swap_axes = True
    with caplog.at_level(logging.WARNING, logger="patrimoine.sources.wfs"):
        result = get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    assert result.axis_swapped
    assert _first_ring(result.features[0]) == _first_ring(sites[0])  # lon first again
    assert "latitude/longitude" in caplog.text


def test_a_crs_member_in_lambert_93_is_reprojected(server: WfsServer, client: HttpClient) -> None:
    sites = grid(5)
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", sites)
    server.ignore_srsname = True  # native EPSG:2154, announced by the crs member
    result = get_features(client, server.wfs_url, ZNIEFF1, BBOX)
    assert result.reprojected_from == 2154 and not result.axis_swapped
    for got, sent in zip(_first_ring(result.features[0]), _first_ring(sites[0]), strict=True):
        assert got == pytest.approx(sent, abs=1e-7)


def test_coordinates_outside_the_bbox_either_way_fail(
    server: WfsServer, client: HttpClient
) -> None:
    server.add_layer(ZNIEFF1, "ZNIEFF de type 1", grid(5))
    server.ignore_srsname = True
    server.crs_member = False  # metres with no crs member: no safe reading
    with pytest.raises(SourceError, match="hors de l'emprise demandée, même en inversant"):
        get_features(client, server.wfs_url, ZNIEFF1, BBOX)


# ---------------------------------------------------------------------------------------
# extract(): the catalog entry, the file
# ---------------------------------------------------------------------------------------
PROTECTED = {
    "layers": [
        {"key": "apb", "keywords": ["apb"]},
        {"key": "pn", "keywords": ["parc_national", "pn"]},
    ]
}


def test_extract_writes_one_collection_with_the_layer_of_each_feature(
    server: WfsServer, settings: Settings, client: HttpClient
) -> None:
    server.add_layer(
        "patrinat_apb:apb",
        "Arrêtés de protection de biotope",
        [
            *grid(3, prefix="FR38"),
            *OUTSIDE,
        ],
    )
    parks = [site("FR3300004", 3.1, 45.8, half_side=0.05, modif_geo="2024-02-01", zone="coeur")]
    server.add_layer("patrinat_pn2:pn", "Parcs nationaux", parks)
    dataset = entry(PROTECTED)
    assert SOURCES["wfs"] is wfs.extract
    result = SOURCES["wfs"](client, settings, dataset, TERRITORY)
    assert result.path == settings.cache_dir / "espaces-proteges" / "espaces-proteges.geojson"
    raw = result.path.read_bytes()
    assert result.sha256 == hashlib.sha256(raw).hexdigest() and result.size == len(raw)
    assert result.url == server.wfs_url and not result.not_modified
    assert result.resource_id == "patrinat_apb:apb,patrinat_pn2:pn"
    assert result.resource_modified == "2024-02-01"
    collection = json.loads(raw)
    assert collection["type"] == "FeatureCollection"
    layers = [
        (f["properties"]["_couche"], f["properties"]["_type_wfs"]) for f in collection["features"]
    ]
    assert layers == [("apb", "patrinat_apb:apb")] * 3 + [("pn", "patrinat_pn2:pn")]
    assert collection["features"][3]["properties"]["zone"] == "coeur"
    assert [c["couche"] for c in collection["couches"]] == ["apb", "pn"]
    assert collection["couches"][1] == {
        "couche": "pn",
        "type_wfs": "patrinat_pn2:pn",
        "titre": "Parcs nationaux",
        "entites": 1,
        "modifiee": "2024-02-01",
    }
    again = SOURCES["wfs"](client, settings, dataset, TERRITORY)
    assert again.sha256 == result.sha256  # same data, same bytes


def test_extract_fails_whole_when_one_layer_is_missing(
    server: WfsServer, settings: Settings, client: HttpClient
) -> None:
    server.add_layer("patrinat_apb:apb", "Arrêtés de protection de biotope", grid(3))
    with pytest.raises(SourceError, match="couche WFS « pn » introuvable"):
        wfs.extract(client, settings, entry(PROTECTED), TERRITORY)
    assert not (settings.cache_dir / "espaces-proteges").exists()
    assert server.getfeature_requests() == []  # resolved before anything is fetched


def test_single_layer_shape_and_catalog_errors() -> None:
    single = layer_specs(entry({"keywords": ["znieff1"]}, name="znieff-type-1"))
    assert [(s.key, s.keywords) for s in single] == [("znieff1", ("znieff1",))]
    assert (single[0].label, single[0].zones) == (None, ())
    labelled = {"keywords": ["pn"], "label": "Cœur", "zones": {"adh": "Aire d'adhésion "}}
    (park,) = layer_specs(entry({"layers": [labelled]}))
    assert (park.label, park.zones) == ("Cœur", (("adh", "Aire d'adhésion"),))
    bad: list[tuple[dict[str, Any], str]] = [
        ({"keywords": ["a"], "layers": [{"keywords": ["b"]}]}, "soit « keywords »"),
        ({}, "soit « keywords »"),
        ({"layers": []}, "liste non vide"),
        ({"layers": [{"keywords": ["a"], "typo": 1}]}, "clé\\(s\\) inconnue\\(s\\) typo"),
        ({"layers": [{"keywords": []}]}, "liste de mots non vides"),
        ({"layers": [{"keywords": ["a"]}, {"key": "a", "keywords": ["b"]}]}, "même clé"),
        ({"layers": [{"keywords": ["a"], "label": " "}]}, "« label » doit être"),
        ({"layers": [{"keywords": ["a"], "zones": {"adh": ""}}]}, "« zones » associe"),
        ({"layers": [{"keywords": ["a"], "zones": ["adh"]}]}, "« zones » associe"),
    ]
    for source, message in bad:
        with pytest.raises(CatalogError, match=message):
            layer_specs(entry(source))


def test_offline_mirror_replays_the_same_requests(tmp_path: Path, settings: Settings) -> None:
    base = "https://data.geopf.fr/wfs/ows"
    page = {"type": "FeatureCollection", "features": [site("830020591", 3.05, 45.75, fid="z.1")]}
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / "page.json").write_text(json.dumps(page), encoding="utf-8")
    params = getfeature_params(ZNIEFF1, BBOX, 5000, 0)
    url = f"{base}?" + "&".join(f"{k}={v}" for k, v in reversed(params.items()))
    manifest = {"entries": [{"url": url, "file": "page.json", "content_type": "application/json"}]}
    (tmp_path / "snap" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with HttpClient(settings, transport=MirrorTransport(tmp_path / "snap")) as offline:
        result = get_features(offline, base, ZNIEFF1, BBOX)
        assert [f["id"] for f in result.features] == ["z.1"]
        with pytest.raises(NotInSnapshot):
            capabilities(offline, base)
