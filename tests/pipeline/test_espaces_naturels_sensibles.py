"""Espaces naturels sensibles end to end: a département's file by URL (a real local HTTP
server) or by path, the territory from geo.api, the pipeline; not configured, the dataset
is « non configuré » and the others run; unreadable, it fails naming the setting.

Then every check of the two suites is shown failing at its level on what a département's
file could hold, through the transform and validation stages after a first refresh; the
meta-test fails when a suite gains a check without a case.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry, load_entry
from patrimoine.cli.status import format_status
from patrimoine.cli.summary import exit_code, format_outcome
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import refresh_many
from patrimoine.status import dataset_status
from patrimoine.validation import BLOCKING, ROW, WARNING
from tests.conftest import make_settings
from tests.samples import ens as samples
from tests.samples import patrinat
from tests.servers import CLERMONT_EPCI_SIREN, UpstreamServer, clermont_communes, upstream_env
from tests.servers.wfs import WfsServer
from tests.validation.support import Check, assert_every_check_covered, check, failed
from tests.validation.support import transform_and_validate as run_stages

NAME = "espaces-naturels-sensibles"
ZNIEFF = "znieff-type-1"
ENTRY: DatasetEntry = load_entry(PROJECT_DIR / "catalog" / f"{NAME}.toml", PROJECT_DIR)
SAMPLE_PATH = "/cd63/opendata/ens.geojson"


@dataclass
class Run:
    root: Path
    upstream: UpstreamServer
    wfs: WfsServer

    def settings(self, **extra: str) -> Settings:
        env = {**upstream_env(self.upstream), "PATRIMOINE_WFS_URL": self.wfs.wfs_url}
        return make_settings(self.root, **env, **extra)

    @property
    def sample_url(self) -> str:
        return f"{self.upstream.url}{SAMPLE_PATH}"


def start(root: Path) -> Iterator[Run]:
    with UpstreamServer() as upstream, WfsServer() as wfs:
        upstream.add_epci(
            CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole"
        )
        upstream.add_static(SAMPLE_PATH, samples.ens_geojson(), content_type="application/json")
        patrinat.fill_wfs(wfs)
        yield Run(root, upstream, wfs)
    assert not upstream.errors, upstream.errors


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    yield from start(tmp_path)


def portal(settings: Settings) -> dict[str, bytes]:
    folder = settings.portal_dir / NAME
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def csv_rows(settings: Settings) -> dict[str, dict[str, str]]:
    text = portal(settings)[f"{NAME}.csv"].decode("utf-8")
    return {r["identifiant"]: r for r in csv.DictReader(io.StringIO(text))}


def mapped(settings: Settings) -> dict[str, dict[str, Any]]:
    collection = json.loads(portal(settings)[f"{NAME}.geojson"])
    return {f["properties"]["identifiant"]: f for f in collection["features"]}


def test_a_file_served_by_url_publishes_polygons_csv_and_sheet(run: Run) -> None:
    settings = run.settings(PATRIMOINE_ENS_SOURCES=f"63={run.sample_url}")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    files = portal(settings)
    assert set(files) == {f"{NAME}.csv", f"{NAME}.geojson", "changelog.csv", "metadata.json"}
    rows = csv_rows(settings)
    assert sorted(rows) == sorted(samples.PUBLISHED)
    assert "geometrie" not in rows[samples.PLAIN]
    assert rows[samples.HIDDEN]["hors_carte"] == "true"
    assert rows[samples.YEAR_ONLY]["date_deliberation"] == "2009-01-01"
    assert rows[samples.MULTI]["codes_insee"] == "63075;63308"
    # The département asked not to map HIDDEN: in the CSV, not on the map.
    features = mapped(settings)
    assert sorted(features) == sorted(samples.MAPPED)
    for feature in features.values():
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert 0 < feature["properties"]["part_dans_territoire"] <= 1
    sheet = json.loads(files["metadata.json"])
    assert sheet["attribution"] == "Conseil départemental (espaces naturels sensibles)"
    assert sheet["licence"]["nom"] == "Licence Ouverte 2.0"
    assert "contours des communes" in sheet["description"]
    assert "dont 1 que le département demande de ne pas cartographier" in sheet["description"]
    assert sheet["source"]["url"] == f"63={run.sample_url}"
    assert any(samples.YEAR_ONLY in remark for remark in outcome.remarks)
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error


def test_a_local_csv_publishes_the_same_sites(run: Run) -> None:
    path = run.root / "ens63.csv"
    path.write_bytes(samples.ens_csv(encoding="cp1252"))
    settings = run.settings(PATRIMOINE_ENS_SOURCES=f"63={path}")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert sorted(csv_rows(settings)) == sorted(samples.PUBLISHED)
    assert sorted(mapped(settings)) == sorted(samples.MAPPED)
    assert json.loads(portal(settings)["metadata.json"])["source"]["url"] == "63=fichier ens63.csv"


def test_not_configured_is_reported_and_the_others_still_run(run: Run) -> None:
    settings = run.settings()
    outcomes = refresh_many(settings, [NAME, ZNIEFF])
    assert [(o.dataset, o.status) for o in outcomes] == [
        (NAME, "unconfigured"),
        (ZNIEFF, "updated"),
    ], [o.error for o in outcomes]
    unconfigured = outcomes[0]
    assert unconfigured.ok and exit_code(outcomes) == 0
    assert "PATRIMOINE_ENS_SOURCES" in (unconfigured.error or "")
    line = format_outcome(unconfigured)
    assert line.startswith(f"  {NAME} : non configuré en ")
    assert "renseignez PATRIMOINE_ENS_SOURCES" in line
    assert portal(settings) == {}  # nothing staged nor published
    status = dataset_status(stages.engine_for(settings), ENTRY)
    assert not status.late
    text = "\n".join(format_status(status, "ENS"))
    assert "dernier run : " in text and ": non configuré — " in text
    assert "PATRIMOINE_ENS_SOURCES" in text


def test_not_configured_after_a_publication_leaves_it_online(run: Run) -> None:
    configured = run.settings(PATRIMOINE_ENS_SOURCES=f"63={run.sample_url}")
    (first,) = refresh_many(configured, [NAME])
    assert first.status == "updated", first.error
    before = portal(configured)
    (later,) = refresh_many(run.settings(), [NAME])
    assert later.status == "unconfigured"
    assert portal(configured) == before


def test_an_unreadable_url_fails_naming_the_setting(run: Run) -> None:
    settings = run.settings(PATRIMOINE_ENS_SOURCES=f"63={run.upstream.url}/cd63/absent.geojson")
    outcomes = refresh_many(settings, [NAME, ZNIEFF])
    assert [o.status for o in outcomes] == ["failed", "updated"]
    error = outcomes[0].error or ""
    assert "étape extraction" in error and "PATRIMOINE_ENS_SOURCES" in error
    assert "département 63" in error
    assert exit_code(outcomes) == 1


def test_offline_publishes_the_snapshot_sample(run: Run, tmp_path: Path) -> None:
    """The snapshot's sample (written here from the generator, as make_snapshot does)."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(PROJECT_DIR / "snapshot", snapshot)
    for name, body in samples.snapshot_inputs([]).items():
        (snapshot / "inputs" / name).write_bytes(body)
    offline = make_settings(
        tmp_path, PATRIMOINE_OFFLINE="true", PATRIMOINE_SNAPSHOT_DIR=str(snapshot)
    )
    (outcome,) = refresh_many(offline, [NAME])
    assert outcome.status == "updated", outcome.error
    assert sorted(csv_rows(offline)) == sorted(samples.PUBLISHED)


# --- Every check of the suites, failing -----------------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    for run in start(tmp_path_factory.mktemp("ens")):
        settings = run.settings(PATRIMOINE_ENS_SOURCES=f"63={run.sample_url}")
        (outcome,) = refresh_many(settings, [NAME])
        assert outcome.status == "updated", outcome.error
        yield settings


Features = list[dict[str, Any]]
Edit = Callable[[Features], None]
WARNING_FIELDS = ("date_delib", "surface_off", "lien", "source", "millesime", "commentaire")


def drop(*names: str) -> Edit:
    def edit(members: Features) -> None:
        for feature in members:
            for name in names:
                feature["properties"].pop(name, None)

    return edit


def set_plain(**values: Any) -> Edit:
    def edit(members: Features) -> None:
        members[-2]["properties"].update(values)  # PLAIN

    return edit


def empty_geometry(members: Features) -> None:
    members[-2]["geometry"] = {"type": "Polygon", "coordinates": []}


def invalid_geometry(members: Features) -> None:
    members[-2]["geometry"] = patrinat.bowtie_over(members[-2]["geometry"])


def clean_features() -> Features:
    """The sample sites with every geometry valid as given (the clean sample)."""
    return patrinat.made_valid(samples.features())


def keep_one(members: Features) -> None:
    del members[1:]


@dataclass(frozen=True)
class Case:
    label: str
    checks: tuple[Check, ...]
    edit: Edit
    territory_filter: bool = True


SOURCE, PUBLISHED = f"{NAME}.source", f"{NAME}.published"
CASES = [
    Case(
        "attributs secondaires retirés",
        tuple(check(SOURCE, "column_to_exist", f, WARNING) for f in WARNING_FIELDS),
        drop(*WARNING_FIELDS),
    ),
    Case(
        "nom retiré",
        (
            check(SOURCE, "column_to_exist", "nom", BLOCKING),
            check(PUBLISHED, "column_values_to_not_be_null", "nom", ROW),
        ),
        drop("nom"),
    ),
    Case(
        "diffusion_carto retiré",
        (check(SOURCE, "column_to_exist", "diffusion_carto", BLOCKING),),
        drop("diffusion_carto"),
    ),
    Case(
        "identifiant vide",
        (check(SOURCE, "column_values_to_not_be_null", "identifiant", ROW),),
        set_plain(identifiant=""),
    ),
    Case(
        "géométrie vide",
        (check(SOURCE, "column_values_to_not_be_null", "geometrie", WARNING),),
        empty_geometry,
    ),
    Case(
        "contour invalide",
        (check(SOURCE, "column_values_to_be_in_set", "geometrie_valide", WARNING),),
        invalid_geometry,
    ),
    Case(
        "fichier tronqué",
        (check(SOURCE, "table_row_count_to_be_between", None, WARNING),),
        keep_one,
    ),
    Case(
        "identifiant mal formé",
        (check(PUBLISHED, "column_values_to_match_regex", "identifiant", ROW),),
        set_plain(identifiant="fr-ENS63-000009"),
    ),
    Case(
        "source de géométrie hors liste",
        (check(PUBLISHED, "column_values_to_be_in_set", "source_geometrie", WARNING),),
        set_plain(source="Cadastre"),
    ),
    Case(
        "export sans territoire",
        (
            check(PUBLISHED, "column_values_to_not_be_null", "codes_insee", ROW),
            check(PUBLISHED, "column_values_to_be_between", "part_dans_territoire", ROW),
        ),
        lambda members: None,
        territory_filter=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_checks_fail_at_their_level(baseline: Settings, case: Case) -> None:
    members = clean_features()
    case.edit(members)
    body = samples.extract_bytes(samples.ens_geojson(members))
    validated = run_stages(
        baseline, NAME, f"{NAME}.geojson", body, territory_filter=case.territory_filter
    )
    for expected in case.checks:
        problem = failed(validated.report, expected)
        if expected.expectation.startswith("expect_column_values"):
            assert problem.unexpected_count >= 1
    assert len(validated.report.problems) == len(case.checks)


def test_clean_sample_passes_every_check(baseline: Settings) -> None:
    body = samples.extract_bytes(samples.ens_geojson(clean_features()))
    validated = run_stages(baseline, NAME, f"{NAME}.geojson", body)
    assert validated.report.problems == []


def test_the_samples_invalid_contour_is_reported_by_the_source_suite(baseline: Settings) -> None:
    """The snapshot's self-intersecting site: repaired and published, and reported."""
    validated = run_stages(baseline, NAME, f"{NAME}.geojson", samples.extract_bytes())
    (problem,) = validated.report.problems
    assert problem.column == "geometrie_valide" and problem.level == WARNING
    assert problem.sample_keys == [samples.BOWTIE]


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    assert_every_check_covered(ENTRY, [c for case in CASES for c in case.checks], __file__)
