"""The offline snapshot published to a local OpenDataSoft through the Automation API."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from patrimoine.publish.ods.publisher import DATA_ROLE
from patrimoine.staging import portal_store
from tests.conftest import make_settings
from tests.servers.ods import OdsServer

NAME = "monuments-historiques"
POLYGONS = "natura-2000"
KEY = "cle-secrete-ods-0123456789"
MERIMEE = (
    "static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2/"
    "20261126-060012/merimee.csv"
)


@pytest.fixture
def ods() -> Iterator[OdsServer]:
    with OdsServer(api_key=KEY, processing_polls=2) as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def snapshot(snapshot_copy: Path) -> Path:
    return snapshot_copy


def settings_for(tmp_path: Path, ods: OdsServer, **extra: str) -> Settings:
    env = {
        "PATRIMOINE_OFFLINE": "true",
        "PATRIMOINE_PORTAL": "ods",
        "PATRIMOINE_ODS_URL": ods.url,
        "PATRIMOINE_ODS_API_KEY": KEY,
        "PATRIMOINE_HTTP_BACKOFF": "0",
        "PATRIMOINE_HTTP_TIMEOUT": "5",
        "PATRIMOINE_ODS_STATUS_TIMEOUT": "5",
        "PATRIMOINE_ODS_LICENCE": "licence-ouverte-v2-0",
        **extra,
    }
    return make_settings(tmp_path, **env)


def record(settings: Settings, ods: OdsServer, name: str = NAME) -> portal_store.PortalDataset:
    found = portal_store.load(create_engine(settings.database_url), "ods", ods.url, name)
    assert found is not None
    return found


def published_csv(ods: OdsServer, name: str = NAME) -> bytes:
    ds = ods.by_dataset_id(name)
    (resource,) = ds.resources.values()
    return ods.file_content(ds.uid, resource["datasource"]["file"]["uid"])


def rename_a_monument(snapshot: Path) -> None:
    """An upstream change: the producer corrects one monument's title."""
    source = snapshot / MERIMEE
    header, *lines = source.read_text(encoding="utf-8").splitlines()
    fields = header.split("|")
    rows = list(csv.reader(lines, delimiter="|"))
    ref, title = fields.index("Reference"), fields.index("Titre_editorial_de_la_notice")
    next(r for r in rows if r[ref] == "PA00091004")[title] = "Titre corrigé par le producteur"
    body = ["|".join(f'"{v}"' for v in r) for r in rows]
    source.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")


def test_first_run_creates_then_second_run_uploads_nothing(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    ds = ods.by_dataset_id(NAME)
    assert ds.uid.startswith("da_") and ds.is_published and ds.status == "idle"
    default = ds.metadata["default"]
    assert default["language"] == {"value": "fr"}
    assert default["title"]["value"].startswith("Monuments historiques")
    assert default["attributions"] == {"value": ["Ministère de la Culture (base Mérimée)"]}
    assert "<p>" in default["description"]["value"]
    assert "Licence Ouverte 2.0" in default["description"]["value"]
    # The portal's own id for Licence Ouverte 2.0 (PATRIMOINE_ODS_LICENCE), not data.gouv.fr's.
    assert ds.metadata["internal"]["license_id"] == {"value": "licence-ouverte-v2-0"}
    (resource,) = ds.resources.values()
    assert resource["type"] == "csvfile" and resource["params"]["separator"] == ","
    assert resource["datasource"]["type"] == "uploaded_file"
    assert published_csv(ods).startswith(b"reference,")
    stored = record(settings, ods)
    assert stored.remote_id == ds.uid and stored.resources == {DATA_ROLE: resource["uid"]}
    assert "pending_publish" not in stored.state
    assert ods.count_writes(r"/publish/$") == 1

    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error
    assert ods.count_writes() == 0
    assert len(ods.datasets) == 1


def test_an_upstream_change_replaces_only_the_file(
    tmp_path: Path, ods: OdsServer, snapshot: Path
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_SNAPSHOT_DIR=str(snapshot))
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    ds = ods.by_dataset_id(NAME)
    (before,) = ds.resources.values()
    old_file = before["datasource"]["file"]["uid"]
    rename_a_monument(snapshot)

    ods.calls.clear()
    (second,) = refresh_many(settings, [NAME])
    assert second.status == "updated", second.error
    assert len(ods.datasets) == 1 and ods.by_dataset_id(NAME).uid == ds.uid
    (after,) = ds.resources.values()
    assert after["uid"] == before["uid"]
    new_file = after["datasource"]["file"]["uid"]
    assert new_file != old_file  # the stand-in renames a second upload: the returned uid is used
    # The description carries the last changes, so it is the only metadata sent again.
    assert [c.path for c in ods.writes()] == [
        f"/datasets/{ds.uid}/resources/files/",
        f"/datasets/{ds.uid}/resources/{before['uid']}/",
        f"/datasets/{ds.uid}/metadata/default/description/",
        f"/datasets/{ds.uid}/publish/",
    ]
    put = ods.writes(r"/resources/re_")[0].body
    assert put["type"] == "csvfile" and put["title"] == before["title"]
    assert "uid" not in put and "display_name" not in put  # read-only fields not sent back
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(published_csv(ods).decode()))}
    assert rows["PA00091004"]["titre"] == "Titre corrigé par le producteur"
    assert ds.published_files[-1] == new_file


def test_polygon_dataset_publishes_its_csv(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (outcome,) = refresh_many(settings, [POLYGONS])
    assert outcome.status == "updated", outcome.error
    content = published_csv(ods, POLYGONS).decode("utf-8")
    assert "identifiant" in content.splitlines()[0]
    assert '"type": "Polygon"' not in content and "coordinates" not in content


def test_a_refused_key_stops_with_the_french_message_and_is_never_written(
    tmp_path: Path, ods: OdsServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "cle-refusee-secrete-987654"
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_API_KEY=wrong)
    caplog.set_level(logging.DEBUG)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert (
        "clé d'API refusée par le portail OpenDataSoft : vérifiez PATRIMOINE_ODS_API_KEY"
        in outcome.error
    )
    assert ods.count_writes() == 0
    assert wrong not in caplog.text and wrong not in outcome.error
    with create_engine(settings.database_url).connect() as conn:
        rows = [str(tuple(r)) for r in conn.execute(text("SELECT * FROM runs"))]
        rows += [str(tuple(r)) for r in conn.execute(text("SELECT * FROM portal_datasets"))]
    assert rows and not any(wrong in r for r in rows)
    for path in tmp_path.rglob("*"):
        if path.is_file() and "snapshot" not in path.parts:
            assert wrong.encode() not in path.read_bytes(), path


def test_a_read_only_key_gets_403_and_the_same_message(tmp_path: Path) -> None:
    with OdsServer(api_key=KEY, read_only_keys=("lecture",)) as ods:
        settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_API_KEY="lecture")
        (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "vérifiez PATRIMOINE_ODS_API_KEY" in outcome.error and "HTTP 403" in outcome.error
    assert not ods.datasets


def test_a_503_then_200_succeeds_after_a_retry(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_next(1, 503, method="POST", path=r"/resources/files/$")
    ods.fail_next(1, 429, method="GET", path=r"/status/$")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert ods.count_writes(r"/resources/files/$") == 2
    assert len(ods.by_dataset_id(NAME).resources) == 1


def test_a_timeout_is_retried(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_HTTP_TIMEOUT="0.5")
    ods.delay_next(1.5, method="PUT", path=r"/metadata/")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error


def test_a_busy_dataset_is_waited_for_before_any_write(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ds = ods.by_dataset_id(NAME)
    ds.metadata["default"]["title"] = {"value": "Titre modifié à la main"}
    stored = record(settings, ods)
    stored.state["metadata"]["default/title"] = "ancien"
    portal_store.save(create_engine(settings.database_url), stored)
    ods.make_busy(ds.uid, polls=3)
    ods.calls.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert not any(c.body and c.body.get("error_code") for c in ods.calls)
    status_reads = [i for i, c in enumerate(ods.calls) if c.path.endswith("/status/")]
    first_write = next(i for i, c in enumerate(ods.calls) if c.method != "GET")
    assert len([i for i in status_reads if i < first_write]) >= 4  # waited for idle first
    assert [c.path for c in ods.writes()] == [
        f"/datasets/{ds.uid}/metadata/default/title/",
        f"/datasets/{ds.uid}/publish_metadata/",
    ]
    assert ds.metadata["default"]["title"]["value"].startswith("Monuments historiques")


def test_a_dataset_busy_beyond_the_timeout_fails_untouched(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_STATUS_TIMEOUT="0.3")
    assert refresh_many(settings, [NAME])[0].status == "updated"
    stored = record(settings, ods)
    stored.state["csv_sha1"] = "autre"
    portal_store.save(create_engine(settings.database_url), stored)
    ds = ods.by_dataset_id(NAME)
    ods.make_busy(ds.uid, polls=10_000)
    ods.calls.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "est resté occupé" in outcome.error and "rien n'a été modifié" in outcome.error
    assert ods.count_writes() == 0


def test_a_failed_processing_names_the_dataset_and_the_portal_message(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_processing("Valeur invalide pour le champ reference", record_errors=7)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert f"« {NAME} »" in outcome.error and "a échoué" in outcome.error
    assert "Valeur invalide pour le champ reference" in outcome.error
    assert "rec1 : Valeur invalide" in outcome.error and "(et 2 autres)" in outcome.error
    assert record(settings, ods).state["pending_publish"] == "data"
    # Next run: nothing to upload, but the publication is retried and succeeds.
    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert [c.path.rsplit("/", 2)[-2] for c in ods.writes()] == ["publish"]
    assert "pending_publish" not in record(settings, ods).state


def test_a_processing_longer_than_the_timeout_fails_clearly(
    tmp_path: Path,
) -> None:
    with OdsServer(api_key=KEY, processing_polls=10_000) as ods:
        settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_STATUS_TIMEOUT="0.3")
        (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "n'a pas fini de traiter le jeu « monuments-historiques »" in outcome.error
    assert "PATRIMOINE_ODS_STATUS_TIMEOUT" in outcome.error


def test_dry_run_calls_no_write_endpoint(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (planned,) = refresh_many(settings, [NAME], dry_run=True)
    assert planned.error is None, planned.error
    assert any("créer le jeu" in a for a in planned.actions), planned.actions
    assert ods.count_writes() == 0 and not ods.datasets


def test_unchanged_metadata_is_not_sent_again(
    tmp_path: Path, ods: OdsServer, snapshot: Path
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_SNAPSHOT_DIR=str(snapshot))
    assert refresh_many(settings, [NAME])[0].status == "updated"
    rename_a_monument(snapshot)
    ods.calls.clear()
    assert refresh_many(settings, [NAME])[0].status == "updated"
    sent = {c.path.split("/metadata/")[1] for c in ods.writes(r"/metadata/")}
    # Only the figures the description and title carry can change with the rows.
    assert sent <= {"default/title/", "default/description/"}
    assert "default/keyword/" not in sent and "internal/license_id/" not in sent


def test_a_crash_after_upload_reuses_the_file_and_the_resource(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_next(
        1, 400, method="POST", path=r"/resources/$", body={"error_code": "x", "message": "y"}
    )
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed"
    assert ods.count_writes(r"/resources/files/$") == 1
    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert ods.count_writes(r"/resources/files/$") == 0  # the uploaded file is reused
    assert len(ods.datasets) == 1 and len(ods.by_dataset_id(NAME).resources) == 1


def test_a_lost_database_adopts_the_dataset_by_its_dataset_id(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ds = ods.by_dataset_id(NAME)
    (resource,) = ds.resources.values()
    portal_store.forget(create_engine(settings.database_url), "ods", ods.url, NAME)
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert len(ods.datasets) == 1 and list(ds.resources) == [resource["uid"]]
    assert record(settings, ods).resources == {DATA_ROLE: resource["uid"]}


def test_a_dataset_deleted_on_the_portal_is_reported(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ods.datasets.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "n'existe plus sur le portail OpenDataSoft" in outcome.error
    assert not ods.datasets


def test_without_the_portals_licence_id_no_licence_field_is_sent(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_LICENCE="")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    ds = ods.by_dataset_id(NAME)
    assert "license_id" not in ds.metadata.get("internal", {})
    assert "Licence Ouverte 2.0" in ds.metadata["default"]["description"]["value"]
