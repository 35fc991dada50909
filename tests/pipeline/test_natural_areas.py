"""ZNIEFF 1 and Natura 2000 end to end: a local WFS, geo.api for the territory, the pipeline.

The entries are those of catalog/ (``znieff-type-1`` pages by 5, so its layer comes in two
pages); the WFS is the stand-in, pointed at by ``PATRIMOINE_WFS_URL``.

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
from tests.servers import CLERMONT_EPCI_SIREN, UpstreamServer, clermont_communes, upstream_env
from tests.servers.wfs import WfsServer
from tests.validation.support import Check, assert_every_check_covered, check, failed
from tests.validation.support import transform_and_validate as run_stages

ZNIEFF, NATURA = "znieff-type-1", "natura-2000"
NAMES = [ZNIEFF, NATURA]
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


def test_both_datasets_publish_polygons_csv_and_sheet(natural: Run) -> None:
    settings = natural.settings
    outcomes = refresh_many(settings, NAMES)
    assert [(o.dataset, o.status) for o in outcomes] == [
        (ZNIEFF, "updated"),
        (NATURA, "updated"),
    ], [o.error for o in outcomes]

    for name, expected in ((ZNIEFF, samples.ZNIEFF_PUBLISHED), (NATURA, samples.NATURA_PUBLISHED)):
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

    znieff = {r["identifiant"]: r for r in csv_rows(settings, ZNIEFF)}
    assert samples.TOUCHING not in znieff and samples.OUTSIDE not in znieff
    assert znieff[samples.MULTI]["codes_insee"] == "63075;63308"
    assert 0 < float(znieff[samples.STRADDLING]["part_dans_territoire"]) < 1
    natura = {r["identifiant"]: r for r in csv_rows(settings, NATURA)}
    assert natura[samples.BOTH_LAYERS]["directive"] == "Habitats;Oiseaux"
    assert natura[samples.ZPS_MULTI]["directive"] == "Oiseaux"
    assert natura[samples.SIC_COURNON]["directive"] == "Habitats"


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
    return {"znieff1": samples.znieff_layer()} if name == ZNIEFF else samples.natura_layers()


def first_feature(name: str, data: Layers) -> dict[str, Any]:
    return data["znieff1"][-2] if name == ZNIEFF else data["sic"][1]  # MULTI, SIC_COURNON


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


def keep_one(data: Layers) -> None:
    for key in data:
        data[key] = data[key][:1] if key in ("znieff1", "sic") else []


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
        key_prop = "id_mnhn" if name == ZNIEFF else "sitecode"
        name_prop = "nom_site" if name == ZNIEFF else "sitename"
        bad_code = "83002006" if name == ZNIEFF else "FR830103"
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


@pytest.mark.parametrize("name", NAMES)
def test_every_check_of_the_suites_has_a_failing_case(name: str) -> None:
    assert_every_check_covered(
        ENTRIES[name], [c for case in CASES if case.name == name for c in case.checks], __file__
    )
