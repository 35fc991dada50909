"""The offline snapshot published to the local data.gouv.fr through the whole pipeline.

Each test runs the real stages (``refresh_many``) against a real HTTP server on 127.0.0.1
(:class:`~patrimoine.sandbox.datagouv_portal.DatagouvPortal`) and counts what reached it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from patrimoine.sandbox.datagouv_portal import DatagouvPortal
from patrimoine.stages import engine_for
from patrimoine.staging import ledger, portal_store
from tests.conftest import make_settings

NAME = "monuments-historiques"
MERIMEE = (
    "static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2/"
    "20261126-060012/merimee.csv"
)
ROLES = {"donnees-csv", "donnees-geojson", "changelog", "documentation"}
RESOURCE_PUT = r"/api/1/datasets/[^/]+/resources/[^/]+/"


@pytest.fixture
def snapshot(snapshot_copy: Path) -> Path:
    return snapshot_copy


def settings_for(tmp_path: Path, portal: DatagouvPortal, snapshot: Path, **extra: str) -> Settings:
    env = {
        "PATRIMOINE_OFFLINE": "true",
        "PATRIMOINE_SNAPSHOT_DIR": str(snapshot),
        "PATRIMOINE_PORTAL": "datagouv",
        "PATRIMOINE_DATAGOUV_PUBLISH_URL": portal.url,
        "PATRIMOINE_DATAGOUV_API_KEY": portal.api_key,
        "PATRIMOINE_DATAGOUV_ORGANIZATION": portal.organization,
        **extra,
    }
    return make_settings(tmp_path, **env)


@pytest.fixture
def settings(tmp_path: Path, portal: DatagouvPortal, snapshot: Path) -> Settings:
    return settings_for(tmp_path, portal, snapshot)


def only_dataset(portal: DatagouvPortal) -> dict[str, Any]:
    (dataset,) = portal.state.datasets.values()
    return dataset


def by_id(portal: DatagouvPortal) -> dict[str, dict[str, Any]]:
    return {r["id"]: dict(r) for r in only_dataset(portal)["resources"]}


def stored(settings: Settings, portal: DatagouvPortal) -> portal_store.PortalDataset:
    record = portal_store.load(engine_for(settings), "datagouv", portal.url, NAME)
    assert record is not None
    return record


def writes(portal: DatagouvPortal) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in portal.writes()]


def publish(settings: Settings, **kwargs: Any) -> Any:
    (outcome,) = refresh_many(settings, [NAME], **kwargs)
    return outcome


def edit_unmapped_title(snapshot: Path) -> None:
    """An upstream change to a notice without coordinates: CSV changes, GeoJSON does not."""
    path = snapshot / MERIMEE
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="|"))
    target = next(r for r in rows[1:] if not r[10] and r[6].startswith("63113"))
    target[1] += " (titre corrigé)"
    out = io.StringIO(newline="")
    csv.writer(out, delimiter="|", lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_first_publication_creates_one_dataset_then_a_second_run_sends_nothing(
    settings: Settings, portal: DatagouvPortal
) -> None:
    outcome = publish(settings)
    assert outcome.status == "updated", outcome.error
    assert outcome.actions[0].startswith("créer le jeu « Monuments historiques")
    dataset = only_dataset(portal)
    create = next(r for r in portal.requests if r.method == "POST" and r.path == "/api/1/datasets/")
    sent = json.loads(create.body)
    assert sent["private"] is False and sent["organization"] == portal.organization
    assert dataset["license"] == "lov2" and dataset["frequency"] == "weekly"
    assert dataset["spatial"]["zones"] == ["fr:epci:246300701"]
    assert dataset["spatial"]["granularity"] == "fr:commune"
    assert dataset["temporal_coverage"]["start"].startswith("1842-01-01")
    assert "monuments-historiques" in dataset["tags"]
    assert "## En bref" in dataset["description"] and "Licence Ouverte" in dataset["description"]
    record = stored(settings, portal)
    assert record.remote_id == dataset["id"] and set(record.resources) == ROLES
    resources = by_id(portal)
    assert set(resources) == set(record.resources.values())
    titles = {role: resources[rid]["title"] for role, rid in record.resources.items()}
    assert titles["donnees-csv"] == "Monuments historiques – Clermont Auvergne Métropole (CSV)"
    assert titles["documentation"].endswith("(documentation)")  # not the file name
    kinds = {role: resources[rid]["type"] for role, rid in record.resources.items()}
    assert kinds == {
        "donnees-csv": "main",
        "donnees-geojson": "main",
        "changelog": "update",
        "documentation": "documentation",
    }
    assert resources[record.resources["donnees-csv"]]["schema"] is None
    page = httpx.get(outcome.location, follow_redirects=True).text
    assert dataset["id"] in page and record.resources["donnees-csv"] in page
    csv_url = resources[record.resources["donnees-csv"]]["latest"]
    published_csv = httpx.get(csv_url, follow_redirects=True).text
    assert published_csv.startswith("reference,")

    portal.clear_requests()
    again = publish(settings)
    assert again.status == "unchanged", again.error
    assert writes(portal) == []  # neither an upload nor a metadata PUT
    assert [r.method for r in portal.requests] == ["GET"]


def test_an_upstream_change_replaces_exactly_the_changed_resources(
    settings: Settings, portal: DatagouvPortal, snapshot: Path
) -> None:
    assert publish(settings).status == "updated"
    before = by_id(portal)
    record = stored(settings, portal)
    portal.clear_requests()
    edit_unmapped_title(snapshot)
    outcome = publish(settings)
    assert outcome.status == "updated", outcome.error
    after = by_id(portal)
    assert set(after) == set(before)  # same ids, nothing created
    assert len(portal.state.datasets) == 1
    changed = {
        role
        for role, rid in record.resources.items()
        if after[rid]["checksum"] != before[rid]["checksum"]
    }
    assert changed == {"donnees-csv", "changelog", "documentation"}  # the GeoJSON is the same
    uploads = {path for method, path in writes(portal) if path.endswith("/upload/")}
    dataset_id = record.remote_id
    assert uploads == {
        f"/api/1/datasets/{dataset_id}/resources/{record.resources[role]}/upload/"
        for role in changed
    }
    geojson = record.resources["donnees-geojson"]
    assert f"ignorer la ressource donnees-geojson ({geojson}) inchangée" in outcome.actions
    assert ("PUT", f"/api/1/datasets/{dataset_id}/") in writes(portal)  # last changes
    assert all(
        after[record.resources[r]]["title"] == before[record.resources[r]]["title"] for r in ROLES
    )  # put back after each upload
    assert stored(settings, portal).resources == record.resources


def test_a_refused_key_stops_with_the_message_and_appears_nowhere(
    tmp_path: Path, portal: DatagouvPortal, snapshot: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "udata_not-the-right-key-4f1d2c"
    settings = settings_for(tmp_path, portal, snapshot, PATRIMOINE_DATAGOUV_API_KEY=key)
    caplog.set_level(logging.DEBUG)
    outcome = publish(settings)
    assert outcome.status == "failed"
    assert "clé d'API refusée par data.gouv.fr : vérifiez PATRIMOINE_DATAGOUV_API_KEY" in (
        outcome.error or ""
    )
    assert portal.state.datasets == {}
    assert key not in caplog.text
    rows = ledger.runs_of(engine_for(settings), NAME)
    assert rows and key not in repr(rows)
    for path in tmp_path.rglob("*"):
        if path.is_file() and "snapshot" not in path.parts:
            assert key.encode() not in path.read_bytes(), path


def test_the_valid_key_is_not_kept_anywhere_either(
    settings: Settings, portal: DatagouvPortal, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert publish(settings).status == "updated"
    assert portal.api_key not in caplog.text
    assert portal.api_key not in repr(ledger.runs_of(engine_for(settings), NAME))
    for path in tmp_path.rglob("*"):
        if path.is_file() and "snapshot" not in path.parts:
            assert portal.api_key.encode() not in path.read_bytes(), path


def test_a_503_then_200_succeeds_after_a_retry(settings: Settings, portal: DatagouvPortal) -> None:
    portal.fail("POST", r"/api/1/datasets/", 503)  # the creation: checked, then sent again
    portal.fail("PUT", RESOURCE_PUT, 503)  # a metadata PUT: retried by the HTTP client
    outcome = publish(settings)
    assert outcome.status == "updated", outcome.error
    assert len(portal.state.datasets) == 1 and len(only_dataset(portal)["resources"]) == 4
    creations = [w for w in writes(portal) if w == ("POST", "/api/1/datasets/")]
    assert len(creations) == 2


def test_a_creation_done_despite_a_cut_connection_is_not_repeated(
    settings: Settings, portal: DatagouvPortal
) -> None:
    portal.drop("POST", r"/api/1/datasets/", after=True)
    portal.drop("POST", r"/api/1/datasets/[^/]+/upload/", after=True)
    outcome = publish(settings)
    assert outcome.status == "updated", outcome.error
    assert len(portal.state.datasets) == 1
    assert len(only_dataset(portal)["resources"]) == 4
    assert [w for w in writes(portal) if w == ("POST", "/api/1/datasets/")] == [
        ("POST", "/api/1/datasets/")
    ]


def test_a_crash_between_upload_and_metadata_is_repaired_by_the_next_run(
    settings: Settings, portal: DatagouvPortal
) -> None:
    portal.drop("PUT", RESOURCE_PUT, times=None)  # every resource PUT: the run fails
    failed = publish(settings)
    assert failed.status == "failed"
    assert "data.gouv.fr n'a pas répondu" in (failed.error or "")
    record = stored(settings, portal)
    assert set(record.resources) == {"donnees-csv"}  # kept although its PUT failed
    (resource,) = by_id(portal).values()
    assert resource["title"] == f"{NAME}.csv"  # as the upload left it

    portal.clear_faults()
    portal.clear_requests()
    repaired = publish(settings)
    assert repaired.status == "updated", repaired.error
    rid = record.resources["donnees-csv"]
    assert f"mettre à jour les métadonnées de la ressource donnees-csv ({rid})" in (
        repaired.actions
    )
    uploads = [path for _, path in writes(portal) if path.endswith("/upload/")]
    assert len(uploads) == 3  # the three others; the CSV is not sent again
    assert by_id(portal)[rid]["title"].endswith("(CSV)")
    assert len(only_dataset(portal)["resources"]) == 4
    portal.clear_requests()
    assert publish(settings).status == "unchanged" and writes(portal) == []


def test_a_dataset_deleted_on_the_portal_is_reported_not_recreated(
    settings: Settings, portal: DatagouvPortal
) -> None:
    assert publish(settings).status == "updated"
    dataset_id = stored(settings, portal).remote_id
    portal.fail("GET", rf"/api/1/datasets/{dataset_id}/", 410, times=None)
    portal.clear_requests()
    outcome = publish(settings)
    assert outcome.status == "failed"
    assert "le jeu a été supprimé sur data.gouv.fr" in (outcome.error or "")
    assert "n'est pas recréé" in (outcome.error or "")
    assert writes(portal) == []

    portal.clear_faults()
    deleted = httpx.delete(
        f"{portal.url}/api/1/datasets/{dataset_id}/", headers={"X-API-KEY": portal.api_key}
    )
    assert deleted.status_code == 204
    portal.clear_requests()
    seen_by_editor = publish(settings)  # its editors still read it, flagged ``deleted``
    assert seen_by_editor.status == "failed" and "a été supprimé" in (seen_by_editor.error or "")
    assert writes(portal) == [] and len(portal.state.datasets) == 1


def test_an_archived_dataset_is_reported(settings: Settings, portal: DatagouvPortal) -> None:
    assert publish(settings).status == "updated"
    portal.state.archive(stored(settings, portal).remote_id)
    portal.clear_requests()
    outcome = publish(settings)
    assert outcome.status == "failed" and "est archivé" in (outcome.error or "")
    assert writes(portal) == []


def test_dry_run_lists_the_actions_and_calls_no_write_endpoint(
    settings: Settings, portal: DatagouvPortal
) -> None:
    outcome = publish(settings, dry_run=True)
    assert outcome.status == "dry-run", outcome.error
    assert outcome.actions == [
        "créer le jeu « Monuments historiques – Clermont Auvergne Métropole »",
        "créer la ressource donnees-csv",
        "créer la ressource donnees-geojson",
        "créer la ressource changelog",
        "créer la ressource documentation",
    ]
    assert writes(portal) == [] and portal.state.datasets == {}


def test_dry_run_after_a_change_names_replaced_and_skipped_resources(
    settings: Settings, portal: DatagouvPortal, snapshot: Path
) -> None:
    assert publish(settings).status == "updated"
    record = stored(settings, portal)
    edit_unmapped_title(snapshot)
    portal.clear_requests()
    outcome = publish(settings, dry_run=True)
    rids = record.resources
    # A dry run stages nothing: the changelog and the « last changes » stay as they were.
    assert outcome.actions == [
        f"remplacer la ressource donnees-csv ({rids['donnees-csv']})",
        f"remplacer la ressource documentation ({rids['documentation']})",
        f"ignorer la ressource donnees-geojson ({rids['donnees-geojson']}) inchangée",
        f"ignorer la ressource changelog ({rids['changelog']}) inchangée",
    ]
    assert writes(portal) == []


def test_the_schema_url_is_attached_to_the_data_resource(
    tmp_path: Path, portal: DatagouvPortal, snapshot: Path
) -> None:
    settings = settings_for(
        tmp_path,
        portal,
        snapshot,
        PATRIMOINE_SCHEMA_BASE_URL="https://schemas.example.org/patrimoine/",
    )
    assert publish(settings).status == "updated"
    record = stored(settings, portal)
    resources = by_id(portal)
    data = resources[record.resources["donnees-csv"]]
    assert (
        data["schema"]["url"] == "https://schemas.example.org/patrimoine/monuments-historiques.json"
    )
    assert resources[record.resources["changelog"]]["schema"] is None


def test_private_is_sent_explicitly_on_every_metadata_write(
    tmp_path: Path, portal: DatagouvPortal, snapshot: Path
) -> None:
    settings = settings_for(tmp_path, portal, snapshot, PATRIMOINE_DATAGOUV_PRIVATE="true")
    assert publish(settings).status == "updated"
    assert only_dataset(portal)["private"] is True
    edit_unmapped_title(snapshot)
    assert publish(settings).status == "updated"
    bodies = [
        json.loads(r.body)
        for r in portal.requests
        if r.method in ("POST", "PUT")
        and r.path.rstrip("/").count("/") <= 4
        and "/resources/" not in r.path
        and not r.path.endswith("/upload/")
    ]
    assert len(bodies) == 2 and all(b["private"] is True for b in bodies)
