"""The five WFS natural-area datasets end to end: a local WFS, geo.api, the pipeline.

The entries are those of catalog/ (``znieff-type-1`` pages by 5, so its layer comes in two
pages; ``espaces-proteges`` reads eight layers); the WFS is the stand-in, pointed at by
``PATRIMOINE_WFS_URL``.

Then every check of the two datasets' suites is shown failing at its level on what a WFS
could serve (a missing attribute, a malformed code, a site without geometry, a truncated
layer, a national export), driven through the transform and validation stages after a
first successful refresh; the meta-test fails when a suite gains a check without a case.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely

from patrimoine import stages
from patrimoine.catalog import DatasetEntry, load_entry
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import refresh_many
from patrimoine.validation import BLOCKING, ROW, WARNING
from tests.conftest import make_settings
from tests.samples import patrinat as samples
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    make_commune,
    upstream_env,
)
from tests.servers.wfs import WfsServer
from tests.validation.support import Check, assert_every_check_covered, check, failed
from tests.validation.support import transform_and_validate as run_stages

ZNIEFF, NATURA = "znieff-type-1", "natura-2000"
ZNIEFF2, GEOLOGY, PROTECTED = "znieff-type-2", "patrimoine-geologique", "espaces-proteges"
NAMES = list(samples.PUBLISHED)
ATTRIBUTION = "© PatriNat (OFB-MNHN-CNRS-IRD)"
ENTRIES: dict[str, DatasetEntry] = {
    name: load_entry(PROJECT_DIR / "catalog" / f"{name}.toml", PROJECT_DIR) for name in NAMES
}


@dataclass
class Run:
    settings: Settings
    upstream: UpstreamServer
    wfs: WfsServer


def start(root: Path) -> Iterator[Run]:
    """A territory on geo.api, the sample layers on a WFS, settings pointing at both."""
    with UpstreamServer() as upstream, WfsServer() as wfs:
        upstream.add_epci(
            CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole"
        )
        samples.fill_wfs(wfs)
        settings = make_settings(root, **upstream_env(upstream), PATRIMOINE_WFS_URL=wfs.wfs_url)
        yield Run(settings, upstream, wfs)
    assert not upstream.errors, upstream.errors
    assert not wfs.errors, wfs.errors


@pytest.fixture
def natural(tmp_path: Path) -> Iterator[Run]:
    yield from start(tmp_path)


def portal(settings: Settings, name: str) -> dict[str, bytes]:
    folder = settings.portal_dir / name
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def csv_rows(settings: Settings, name: str) -> list[dict[str, str]]:
    text = portal(settings, name)[f"{name}.csv"].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def features(settings: Settings, name: str) -> dict[str, dict[str, Any]]:
    collection = json.loads(portal(settings, name)[f"{name}.geojson"])
    assert collection["type"] == "FeatureCollection"
    return {f["properties"]["identifiant"]: f for f in collection["features"]}


# --- End to end -----------------------------------------------------------------------------


def test_every_dataset_publishes_polygons_csv_and_sheet(natural: Run) -> None:
    settings = natural.settings
    outcomes = refresh_many(settings, NAMES)
    assert [(o.dataset, o.status) for o in outcomes] == [(n, "updated") for n in NAMES], [
        o.error for o in outcomes
    ]

    for name, expected in samples.PUBLISHED.items():
        files = portal(settings, name)
        assert set(files) == {f"{name}.csv", f"{name}.geojson", "changelog.csv", "metadata.json"}
        # GeoJSON: one Feature per site, its polygons as RFC 7946 says, the other columns.
        mapped = features(settings, name)
        assert sorted(mapped) == sorted(expected)
        for feature in mapped.values():
            geometry = feature["geometry"]
            assert geometry["type"] in ("Polygon", "MultiPolygon")
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            for rings in polygons:
                assert shapely.is_ccw(shapely.linearrings(rings[0]))
            assert shapely.from_geojson(json.dumps(geometry)).is_valid
            assert "geometrie" not in feature["properties"]
            assert 0 < feature["properties"]["part_dans_territoire"] <= 1
        # CSV: the attributes, not the geometry.
        rows = csv_rows(settings, name)
        assert sorted(r["identifiant"] for r in rows) == sorted(expected)
        assert "geometrie" not in rows[0] and "codes_insee" in rows[0]
        # The sheet: source, licence, method.
        sheet = json.loads(files["metadata.json"])
        assert ATTRIBUTION in json.dumps(sheet, ensure_ascii=False)
        assert sheet["licence"]["nom"] == "Licence Ouverte 2.0"
        assert "contours des communes" in sheet["description"]
        assert "Dernière modification d'un site selon l'INPN" in sheet["description"] or (
            "Dernière modification d'un espace selon l'INPN" in sheet["description"]
        )
        assert sheet["source"]["ressource"].startswith("patrinat_")  # the layers read

    znieff = {r["identifiant"]: r for r in csv_rows(settings, ZNIEFF)}
    assert samples.TOUCHING not in znieff and samples.OUTSIDE not in znieff
    assert znieff[samples.MULTI]["codes_insee"] == "63075;63308"
    assert 0 < float(znieff[samples.STRADDLING]["part_dans_territoire"]) < 1
    natura = {r["identifiant"]: r for r in csv_rows(settings, NATURA)}
    assert natura[samples.BOTH_LAYERS]["directive"] == "Habitats;Oiseaux"
    assert natura[samples.ZPS_MULTI]["directive"] == "Oiseaux"
    assert natura[samples.SIC_COURNON]["directive"] == "Habitats"
    protected = {r["identifiant"]: r for r in csv_rows(settings, PROTECTED)}
    assert protected[samples.EP_PN_CORE]["type_espace"] == "Parc national (cœur)"
    assert protected[samples.EP_PN_ADHESION]["type_espace"] == "Parc national (aire d'adhésion)"
    assert protected[samples.EP_APB_CEN]["type_espace"] == (
        "Arrêté de protection de biotope;Site d'un Conservatoire d'espaces naturels"
    )
    assert protected[samples.EP_APB_CEN]["couche"] == "apb;cen"
    geology = {r["identifiant"]: r for r in csv_rows(settings, GEOLOGY)}
    assert samples.GEO_OUTSIDE not in geology
    assert geology[samples.GEO_COMMA]["surface_officielle_ha"] == "1.25"
    sheet = json.loads(portal(settings, PROTECTED)["metadata.json"])
    assert sheet["source"]["ressource"].split(",") == [
        type_name for type_name, _ in samples.PROTECTED_TYPES.values()
    ]


def test_second_run_unchanged_then_a_moved_vertex_is_one_modification(natural: Run) -> None:
    settings = natural.settings
    first = refresh_many(settings, [ZNIEFF])
    assert first[0].status == "updated", first[0].error
    (again,) = refresh_many(settings, [ZNIEFF])
    assert again.status == "unchanged", again.error

    layer = samples.znieff_layer()
    (plain,) = [f for f in layer if f["properties"]["id_mnhn"] == samples.PLAIN]
    plain["geometry"] = samples.moved_vertex(plain["geometry"])
    natural.wfs.add_layer(samples.ZNIEFF_TYPE, "ZNIEFF de type 1 (synthétique)", layer)
    (moved,) = refresh_many(settings, [ZNIEFF])
    assert moved.status == "updated", moved.error
    assert (moved.diff["added"], moved.diff["removed"], moved.diff["changed"]) == (0, 0, 1)
    text = portal(settings, ZNIEFF)["changelog.csv"].decode("utf-8")
    changes = [r for r in csv.DictReader(io.StringIO(text)) if r["type_de_changement"] != "ajout"]
    # One site modified: its geometry, and the areas measured from it (30 m on one vertex).
    assert {r["identifiant"] for r in changes} == {samples.PLAIN}
    assert {r["type_de_changement"] for r in changes} == {"modification"}
    columns = {r["colonne"] for r in changes}
    assert "geometrie" in columns
    assert columns <= {"geometrie", "surface_ha", "surface_dans_territoire_ha"}


def test_broken_layers_fail_their_dataset_only_and_keep_the_last_publication(
    natural: Run,
) -> None:
    settings = natural.settings
    first = refresh_many(settings, NAMES)
    assert all(o.status == "updated" for o in first), [o.error for o in first]
    before = {name: portal(settings, name) for name in NAMES}

    wfs = natural.wfs
    wfs.remove_layer(samples.SIC_TYPE)  # renamed upstream: no longer offered
    wfs.fail_layer(samples.Z2_TYPE, "Erreur interne du serveur de données")  # ExceptionReport
    wfs.fail_layer(samples.INPG_TYPE, "Service indisponible", status=503)  # fails after retries
    outcomes = {o.dataset: o for o in refresh_many(settings, NAMES)}

    for name, layer in ((NATURA, "sic"), (ZNIEFF2, "znieff2"), (GEOLOGY, "inpg")):
        outcome = outcomes[name]
        assert (outcome.status, outcome.stage) == ("failed", "extract"), (name, outcome.error)
        assert layer in (outcome.error or ""), (name, outcome.error)
        assert portal(settings, name) == before[name]  # nothing partial: the last good stays
    assert "Erreur interne du serveur de données" in (outcomes[ZNIEFF2].error or "")
    assert "introuvable" in (outcomes[NATURA].error or "")
    assert len(wfs.getfeature_requests(samples.INPG_TYPE)) > 2  # retried, then given up
    for name in (ZNIEFF, PROTECTED):
        assert outcomes[name].status == "unchanged", (name, outcomes[name].error)


OVERSEAS_EPCI = "200000971"
"""A made-up EPCI of Guadeloupe (two square communes), far from the first territory."""


def _square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def test_another_territory_publishes_exactly_the_sites_that_intersect_it(
    tmp_path: Path,
) -> None:
    """Overseas, with its own layers: only the sites over its communes, areas geodesic."""
    communes = [
        make_commune(
            "97101",
            "Les Abymes",
            code_epci=OVERSEAS_EPCI,
            code_departement="971",
            code_region="01",
            contour=_square(-61.50, 16.27, 0.02),
        ),
        make_commune(
            "97120",
            "Pointe-à-Pitre",
            code_epci=OVERSEAS_EPCI,
            code_departement="971",
            code_region="01",
            contour=_square(-61.46, 16.28, 0.02),
        ),
    ]
    sites = {
        "971000001": _square(-61.50, 16.27, 0.005),  # inside Les Abymes
        "971000002": _square(-61.48, 16.27, 0.004),  # across the two communes
        "971000003": _square(-61.44, 16.28, 0.004),  # straddles the territory's edge
        "971000004": _square(-61.51, 16.2965, 0.003),  # in the bbox's corner, in no commune
        "971000005": _square(-61.20, 16.00, 0.004),  # far away: outside the bbox too
        **{k: v for k, v in samples.geometries().items() if k == samples.PLAIN},  # Orcines
    }
    with UpstreamServer() as upstream, WfsServer() as wfs:
        upstream.add_epci(OVERSEAS_EPCI, communes, nom="Communauté d'agglomération de test")
        features = [samples.znieff_feature(k, g) for k, g in sites.items()]
        wfs.add_layer(samples.ZNIEFF_TYPE, "ZNIEFF de type 1 (synthétique)", features)
        settings = make_settings(
            tmp_path,
            **upstream_env(upstream),
            PATRIMOINE_WFS_URL=wfs.wfs_url,
            PATRIMOINE_TERRITORY=f"epci:{OVERSEAS_EPCI}",
        )
        (outcome,) = refresh_many(settings, [ZNIEFF])
    assert outcome.status == "updated", outcome.error
    extract = json.loads((settings.cache_dir / ZNIEFF / f"{ZNIEFF}.geojson").read_text())
    served = sorted(f["properties"]["id_mnhn"] for f in extract["features"])
    assert served == ["971000001", "971000002", "971000003", "971000004"]  # in the bbox
    rows = {r["identifiant"]: r for r in csv_rows(settings, ZNIEFF)}
    assert sorted(rows) == ["971000001", "971000002", "971000003"]  # over its communes
    assert rows["971000001"]["codes_insee"] == "97101"
    assert rows["971000002"]["codes_insee"] == "97101;97120"
    assert rows["971000002"]["communes"] == "Les Abymes;Pointe-à-Pitre"
    assert 0 < float(rows["971000003"]["part_dans_territoire"]) < 1
    assert float(rows["971000001"]["part_dans_territoire"]) == 1.0
    # Geodesic: a 0.01° square at 16.27° N is about 1.1 km × 1.07 km.
    assert 115 < float(rows["971000001"]["surface_ha"]) < 125
    sheet = json.loads(portal(settings, ZNIEFF)["metadata.json"])
    assert sheet["couverture_spatiale"]["identifiant"] == f"epci:{OVERSEAS_EPCI}"


# --- Every check of the suites, failing -----------------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """A first successful refresh of both datasets, for the row count to compare with."""
    for run in start(tmp_path_factory.mktemp("natural")):
        outcomes = refresh_many(run.settings, NAMES)
        assert all(o.status == "updated" for o in outcomes), [o.error for o in outcomes]
        stages.resolve_territory_stage(run.settings)
        yield run


Layers = dict[str, list[dict[str, Any]]]
Edit = Callable[[Layers], None]


def layers(name: str) -> Layers:
    """The dataset's sample layers with every served geometry valid (the clean sample)."""
    return {k: samples.made_valid(v) for k, v in samples.dataset_layers(name).items()}


FIRST = {ZNIEFF: ("znieff1", -2), NATURA: ("sic", 1), ZNIEFF2: ("znieff2", 1)}
"""The published feature a case alters (MULTI, SIC_COURNON, Z2_PONT; else the first one)."""
BAD_CODES = {
    ZNIEFF: "83002006",
    ZNIEFF2: "8300201",
    NATURA: "FR830103",
    GEOLOGY: "AUV01",
    PROTECTED: "FR380090",
}
"""A truncated identifier per dataset: it fails the dataset's identifier pattern."""


def first_feature(name: str, data: Layers) -> dict[str, Any]:
    key, index = FIRST.get(name, (next(iter(data)), 0))
    return data[key][index]


def drop_property(*names: str) -> Edit:
    def edit(data: Layers) -> None:
        for members in data.values():
            for feature in members:
                for prop in names:
                    feature["properties"].pop(prop, None)

    return edit


def set_first(name: str, **values: Any) -> Edit:
    def edit(data: Layers) -> None:
        first_feature(name, data)["properties"].update(values)

    return edit


def empty_geometry(name: str) -> Edit:
    def edit(data: Layers) -> None:
        first_feature(name, data)["geometry"] = {"type": "Polygon", "coordinates": []}

    return edit


def invalid_geometry(name: str) -> Edit:
    def edit(data: Layers) -> None:
        feature = first_feature(name, data)
        feature["geometry"] = samples.bowtie_over(feature["geometry"])

    return edit


def keep_one(data: Layers) -> None:
    first = next(iter(data))
    for key in data:
        data[key] = data[key][:1] if key == first else []


WARNING_FIELDS = ("url_fiche", "surf_off", "date_crea", "modif_adm", "modif_geo", "gest_site")


@dataclass(frozen=True)
class Case:
    """An alteration of the served layers and the checks it trips, all of them."""

    name: str
    label: str
    checks: tuple[Check, ...]
    edit: Edit
    territory_filter: bool = True


def cases() -> list[Case]:
    found: list[Case] = []
    for name in NAMES:
        source, published = f"{name}.source", f"{name}.published"
        key_prop = "sitecode" if name == NATURA else "id_mnhn"
        name_prop = "sitename" if name == NATURA else "nom_site"
        bad_code = BAD_CODES[name]
        found += [
            Case(
                name,
                "attributs secondaires retirés",
                tuple(check(source, "column_to_exist", f, WARNING) for f in WARNING_FIELDS),
                drop_property(*WARNING_FIELDS),
            ),
            Case(
                name,
                "nom retiré",
                (
                    check(source, "column_to_exist", "nom", BLOCKING),
                    check(published, "column_values_to_not_be_null", "nom", ROW),
                ),
                drop_property(name_prop),
            ),
            Case(
                name,
                "identifiant vide",
                (check(source, "column_values_to_not_be_null", "identifiant", ROW),),
                set_first(name, **{key_prop: ""}),
            ),
            Case(
                name,
                "géométrie vide",
                (check(source, "column_values_to_not_be_null", "geometrie", WARNING),),
                empty_geometry(name),
            ),
            Case(
                name,
                "contour invalide",
                (check(source, "column_values_to_be_in_set", "geometrie_valide", WARNING),),
                invalid_geometry(name),
            ),
            Case(
                name,
                "couche tronquée",
                (check(source, "table_row_count_to_be_between", None, WARNING),),
                keep_one,
            ),
            Case(
                name,
                "code tronqué",
                (check(published, "column_values_to_match_regex", "identifiant", ROW),),
                set_first(name, **{key_prop: bad_code}),
            ),
            Case(
                name,
                "export national",
                (
                    check(published, "column_values_to_not_be_null", "codes_insee", ROW),
                    check(published, "column_values_to_be_between", "part_dans_territoire", ROW),
                ),
                lambda data: None,
                territory_filter=False,
            ),
        ]
    return found


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}:{c.label}" for c in CASES])
def test_checks_fail_at_their_level(baseline: Run, case: Case) -> None:
    data = layers(case.name)
    case.edit(data)
    validated = run_stages(
        baseline.settings,
        case.name,
        f"{case.name}.geojson",
        samples.extract_bytes(data),
        territory_filter=case.territory_filter,
    )
    for expected in case.checks:
        problem = failed(validated.report, expected)
        if expected.expectation.startswith("expect_column_values"):
            assert problem.unexpected_count >= 1  # names the records
    assert len(validated.report.problems) == len(case.checks)  # and nothing else


@pytest.mark.parametrize("name", NAMES)
def test_clean_sample_passes_every_check(baseline: Run, name: str) -> None:
    validated = run_stages(
        baseline.settings, name, f"{name}.geojson", samples.extract_bytes(layers(name))
    )
    assert validated.report.problems == []


def test_the_samples_invalid_contour_is_reported_by_the_source_suite(baseline: Run) -> None:
    """The snapshot's bow tie: repaired and published, and named for the producer."""
    body = samples.extract_bytes(samples.dataset_layers(ZNIEFF))
    validated = run_stages(baseline.settings, ZNIEFF, f"{ZNIEFF}.geojson", body)
    (problem,) = validated.report.problems
    assert (problem.column, problem.level) == ("geometrie_valide", WARNING)
    assert problem.sample_keys == [samples.BOWTIE]


@pytest.mark.parametrize("name", NAMES)
def test_every_check_of_the_suites_has_a_failing_case(name: str) -> None:
    assert_every_check_covered(
        ENTRIES[name], [c for case in CASES if case.name == name for c in case.checks], __file__
    )
