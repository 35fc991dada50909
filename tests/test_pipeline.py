"""End-to-end refreshes (plain stages, no orchestrator) against real local HTTP servers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from patrimoine.samples.merimee import MERIMEE_HEADER, Commune, sample_rows, write_merimee_csv
from patrimoine.stages import engine_for, entry_for
from patrimoine.staging import ledger, tables
from tests.conftest import make_settings
from tests.servers import UpstreamServer, clermont_communes, make_commune, square, upstream_env

MERIMEE_ID = "5af120e5b595087cfabcde81"
NAME = "monuments-historiques"
AUBE_EPCI = "241000405"
AUBE = [
    Commune("10064", "Brienne-le-Château", "10", "Grand Est", 48.3934, 4.5266),
    Commune("10325", "Saint-Léger-sous-Brienne", "10", "Grand Est", 48.4000, 4.4900),
]
CLERMONT = [
    Commune("63113", "Clermont-Ferrand", "63", "Auvergne-Rhône-Alpes", 45.7772, 3.0870),
    Commune("63075", "Chamalières", "63", "Auvergne-Rhône-Alpes", 45.7745, 3.0672),
]


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = MERIMEE_HEADER) -> bytes:
    buffer = io.StringIO(newline="")
    write_merimee_csv(rows, buffer, header)
    return buffer.getvalue().encode("utf-8")


def aube_rows() -> list[dict[str, str]]:
    return sample_rows(AUBE, 3, seed=7, traps=False, ref_start=500)


def clermont_rows() -> list[dict[str, str]]:
    return sample_rows(CLERMONT, 3, seed=3, traps=False)


@pytest.fixture
def upstream(upstream: UpstreamServer) -> UpstreamServer:
    """The shared local upstream, serving two territories and a national Mérimée file."""
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    upstream.add_epci(
        AUBE_EPCI,
        [
            make_commune(
                c.code,
                c.nom,
                code_epci=AUBE_EPCI,
                code_departement="10",
                code_region="44",
                contour=square(c.lon, c.lat, 0.05),
            )
            for c in AUBE
        ],
        nom="CC de Brienne (test)",
    )
    upstream.add_datagouv_dataset(
        MERIMEE_ID,
        [
            ("geojson", "merimee.geojson", b"{}"),
            ("csv", "merimee.csv", csv_bytes(clermont_rows() + aube_rows())),
        ],
    )
    return upstream


def settings_for(tmp_path: Path, server: UpstreamServer, **extra: str) -> Settings:
    return make_settings(tmp_path, **upstream_env(server), **extra)


def published(settings: Settings) -> dict[str, bytes]:
    folder = settings.portal_dir / NAME
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def staged_refs(settings: Settings) -> list[str]:
    entry = entry_for(settings, NAME)
    return [r[0] for r in tables.read_rows(engine_for(settings), entry, tables.staged_name(entry))]


@pytest.fixture
def first_run(tmp_path: Path, upstream: UpstreamServer) -> Settings:
    settings = settings_for(tmp_path, upstream)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    return settings


def test_another_territory_publishes_exactly_its_notices(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY=f"epci:{AUBE_EPCI}")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    expected = sorted(r["Reference"] for r in aube_rows())
    files = published(settings)
    assert set(files) == {f"{NAME}.csv", f"{NAME}.geojson", "metadata.json"}
    lines = files[f"{NAME}.csv"].decode().splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == expected
    sheet = json.loads(files["metadata.json"])
    assert sheet["titre"] == "Monuments historiques – CC de Brienne (test)"
    assert f"{len(expected)} notices" in sheet["description"]
    assert sheet["licence"]["nom"] == "Licence Ouverte 2.0"
    assert sheet["attribution"] == "Ministère de la Culture (base Mérimée)"
    assert {c["code_insee"] for c in sheet["couverture_spatiale"]["communes"]} == {"10064", "10325"}
    geo = json.loads(files[f"{NAME}.geojson"])
    assert {f["properties"]["reference"] for f in geo["features"]} <= set(expected)
    assert all(f["properties"]["code_insee"] in ("10064", "10325") for f in geo["features"])


def test_second_run_is_unchanged_and_writes_nothing(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before = {p: p.stat().st_mtime_ns for p in (first_run.portal_dir / NAME).iterdir()}
    upstream.clear_requests()
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert outcome.diff["added"] == outcome.diff["removed"] == outcome.diff["changed"] == 0
    assert {p: p.stat().st_mtime_ns for p in (first_run.portal_dir / NAME).iterdir()} == before
    csv_requests = [r for r in upstream.requests if r.path_only.endswith("merimee.csv")]
    assert csv_requests and all(r.headers.get("If-None-Match") for r in csv_requests)
    runs = ledger.runs_of(engine_for(first_run), NAME)
    assert [r["status"] for r in runs] == ["updated", "unchanged"]
    assert runs[1]["source_checksum"] == runs[0]["source_checksum"]
    assert runs[1]["output_checksum"] == runs[0]["output_checksum"]


def test_changed_source_is_diffed_and_republished(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    rows = clermont_rows()
    rows[0] = dict(rows[0], Titre_editorial_de_la_notice="Titre corrigé")
    removed = rows.pop(1)["Reference"]
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(rows + aube_rows()))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "updated"
    assert (outcome.diff["added"], outcome.diff["removed"], outcome.diff["changed"]) == (0, 1, 1)
    assert removed not in staged_refs(first_run)
    assert "Titre corrigé" in published(first_run)[f"{NAME}.csv"].decode()


@pytest.mark.parametrize(
    ("header", "stage"),
    [
        (tuple(h for h in MERIMEE_HEADER if h != "Reference"), "extract"),
        (tuple(h.upper() + "_X" for h in MERIMEE_HEADER), "extract"),
    ],
)
def test_bad_header_fails_and_keeps_previous_data(
    first_run: Settings, upstream: UpstreamServer, header: tuple[str, ...], stage: str
) -> None:
    before_files, before_rows = published(first_run), staged_refs(first_run)
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(clermont_rows(), header))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed"
    assert "Reference" in (outcome.error or "")
    assert f"étape {stage}" in (outcome.error or "") and NAME in (outcome.error or "")
    assert published(first_run) == before_files
    assert staged_refs(first_run) == before_rows
    assert ledger.runs_of(engine_for(first_run), NAME)[-1]["status"] == "failed"


def test_truncated_download_is_retried_then_fails_without_damage(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before_files, before_rows = published(first_run), staged_refs(first_run)
    new = csv_bytes(clermont_rows()[:2])
    upstream.replace_file(MERIMEE_ID, "merimee.csv", new, keep_url=True)
    route = upstream.route(upstream.resource_url(MERIMEE_ID, "merimee.csv"))
    route.truncate(None, len(new) // 2)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed"
    assert "tronqué" in (outcome.error or "") or "interrompu" in (outcome.error or "")
    assert route.hits == first_run.http_retries + 1 + 1  # first run's download, then retries
    assert published(first_run) == before_files and staged_refs(first_run) == before_rows
    assert not list((first_run.cache_dir / NAME).glob("*.part"))


def test_server_error_is_retried_then_named(first_run: Settings, upstream: UpstreamServer) -> None:
    upstream.route(f"/api/1/datasets/{MERIMEE_ID}/").status(503, {"message": "maintenance"})
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "extract"
    assert "HTTP 503" in (outcome.error or "") and upstream.url in (outcome.error or "")


def test_unknown_epci_is_a_clear_territory_error(tmp_path: Path, upstream: UpstreamServer) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY="epci:200000000")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "territory"
    assert "EPCI inconnu" in (outcome.error or "") and "200000000" in (outcome.error or "")
    assert published(settings) == {}


def test_territory_comes_from_the_database_when_geo_api_is_down(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    upstream.route("/epcis/246300701/communes").status(502)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error


@pytest.mark.parametrize(
    ("field", "value", "column", "shown"),
    [
        ("Reference", "PA0009208X", "reference", "PA0009208X"),
        ("Titre_editorial_de_la_notice", "", "titre", None),
    ],
)
def test_blocking_validation_failure_publishes_nothing(
    first_run: Settings,
    upstream: UpstreamServer,
    field: str,
    value: str,
    column: str,
    shown: str | None,
) -> None:
    before_files, before_rows = published(first_run), staged_refs(first_run)
    rows = clermont_rows() + aube_rows()
    rows[0] = dict(rows[0], **{field: value})
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(rows))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "validate"
    assert f"« {column} »" in (outcome.error or "")
    assert published(first_run) == before_files and staged_refs(first_run) == before_rows
    details = json.loads(ledger.runs_of(engine_for(first_run), NAME)[-1]["details"])
    assert (shown or rows[0]["Reference"]) in json.dumps(details["validation"])


def test_mass_removal_is_held_back(first_run: Settings, upstream: UpstreamServer) -> None:
    before_files = published(first_run)
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(clermont_rows()[:1]))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "stage"
    assert "disparaîtraient" in (outcome.error or "")
    assert published(first_run) == before_files


def test_dry_run_stages_and_publishes_nothing(tmp_path: Path, upstream: UpstreamServer) -> None:
    settings = settings_for(tmp_path, upstream)
    (outcome,) = refresh_many(settings, [NAME], dry_run=True)
    assert outcome.status == "dry-run" and outcome.diff["added"] == len(clermont_rows())
    assert published(settings) == {}
    entry = entry_for(settings, NAME)
    assert not tables.table_exists(engine_for(settings), tables.staged_name(entry))


def test_postgres_staging_end_to_end(
    tmp_path: Path, upstream: UpstreamServer, pg_schema_url: str
) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_DATABASE_URL=pg_schema_url)
    first, second = refresh_many(settings, [NAME]), refresh_many(settings, [NAME])
    assert (first[0].status, second[0].status) == ("updated", "unchanged"), first[0].error
    assert staged_refs(settings) == sorted(r["Reference"] for r in clermont_rows())


def test_a_concurrent_run_of_the_same_dataset_is_refused(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    from patrimoine.staging.locks import dataset_lock

    with dataset_lock(engine_for(first_run), NAME):
        (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "lock"
    assert "un autre run" in (outcome.error or "")
    (again,) = refresh_many(first_run, [NAME])
    assert again.status == "unchanged"


def test_a_list_of_communes_is_a_territory_too(tmp_path: Path, upstream: UpstreamServer) -> None:
    for commune in clermont_communes():
        upstream.add_commune(commune)
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY="communes:63075")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    expected = sorted(
        r["Reference"] for r in clermont_rows() if r["Commune_forme_editoriale"] == "Chamalières"
    )
    assert expected and staged_refs(settings) == expected
    sheet = json.loads(published(settings)["metadata.json"])
    assert sheet["titre"] == "Monuments historiques – Chamalières"


def test_changes_elsewhere_in_france_do_not_republish(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before = {p: p.stat().st_mtime_ns for p in (first_run.portal_dir / NAME).iterdir()}
    elsewhere = [dict(r, Titre_editorial_de_la_notice="Autre titre") for r in aube_rows()]
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(clermont_rows() + elsewhere))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert {p: p.stat().st_mtime_ns for p in (first_run.portal_dir / NAME).iterdir()} == before
    runs = ledger.runs_of(engine_for(first_run), NAME)
    assert runs[-1]["source_checksum"] != runs[0]["source_checksum"]
