"""The udata client, payloads and chunked uploads against the local data.gouv.fr."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.http.client import HttpClient
from patrimoine.publish.datagouv import DatagouvPublisher
from patrimoine.publish.datagouv.client import DatagouvClient, Upload
from patrimoine.publish.datagouv.errors import (
    DatagouvAuthError,
    DatagouvError,
    DatagouvGone,
    DatagouvUnavailable,
)
from patrimoine.publish.datagouv.payloads import (
    dataset_payload,
    resources,
    spatial,
    tags,
    temporal_coverage,
)
from patrimoine.publish.render import render
from patrimoine.sandbox.datagouv_portal import DatagouvPortal
from patrimoine.stages import engine_for
from tests.conftest import make_settings
from tests.publish.test_local import ENTRY, TERRITORY, rows

SOURCE = {"url": "https://example.org/merimee.csv"}


def settings_for(tmp_path: Path, portal: DatagouvPortal, **extra: str) -> Settings:
    env = {
        "PATRIMOINE_PORTAL": "datagouv",
        "PATRIMOINE_DATAGOUV_PUBLISH_URL": portal.url,
        "PATRIMOINE_DATAGOUV_API_KEY": portal.api_key,
        "PATRIMOINE_DATAGOUV_ORGANIZATION": portal.organization,
        **extra,
    }
    return make_settings(tmp_path, **env)


@pytest.fixture
def client(tmp_path: Path, portal: DatagouvPortal) -> Iterator[DatagouvClient]:
    with HttpClient(settings_for(tmp_path, portal)) as http:
        yield DatagouvClient(http, portal.url, portal.api_key, chunk_threshold=5, chunk_size=2)


def created(client: DatagouvClient, portal: DatagouvPortal) -> dict[str, Any]:
    return client.create_dataset(
        {"title": "Essai", "description": "d", "organization": portal.organization}
    )


def test_chunked_upload_then_replacement_keep_the_id(
    client: DatagouvClient, portal: DatagouvPortal
) -> None:
    dataset = created(client, portal)
    first = client.upload(dataset["id"], Upload("essai.csv", b"a,b\n1,2\n", "text/csv"))
    assert first["checksum"]["value"] == hashlib.sha1(b"a,b\n1,2\n").hexdigest()
    parts = [r for r in portal.requests if r.path.endswith("/upload/")]
    assert len(parts) == 5  # four parts of 2 bytes, then the call that assembles them
    replaced = client.upload(dataset["id"], Upload("essai.csv", b"ab", "text/csv"), first["id"])
    assert replaced["id"] == first["id"] and replaced["filesize"] == 2
    assert len(client.get_dataset(dataset["id"])["resources"]) == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "a refusé la requête"),
        (403, "droits insuffisants"),
        (404, "introuvable sur data.gouv.fr"),
        (410, "a été supprimé"),
        (413, "trop volumineux"),
        (415, "type du fichier"),
        (423, "refuse temporairement"),
    ],
)
def test_final_statuses_fail_at_once_with_a_french_message(
    client: DatagouvClient, portal: DatagouvPortal, status: int, words: str
) -> None:
    portal.fail("GET", r"/api/1/datasets/x/", status, times=None)
    with pytest.raises(DatagouvError) as caught:
        client.get_dataset("x")
    assert words in str(caught.value) and caught.value.status == status
    assert not caught.value.transient
    assert len(portal.requests) == 1  # never retried
    assert portal.api_key not in str(caught.value) and portal.api_key not in repr(client)


def test_401_names_the_setting_and_hides_the_key(tmp_path: Path, portal: DatagouvPortal) -> None:
    with HttpClient(settings_for(tmp_path, portal)) as http:
        wrong = DatagouvClient(http, portal.url, "udata_secret-wrong")
        with pytest.raises(DatagouvAuthError) as caught:
            wrong.create_dataset({"title": "t", "description": "d"})
    text = str(caught.value)
    assert "clé d'API refusée par data.gouv.fr : vérifiez PATRIMOINE_DATAGOUV_API_KEY" in text
    assert "udata_secret-wrong" not in text


def test_429_and_5xx_are_retried_then_reported_as_transient(
    client: DatagouvClient, portal: DatagouvPortal
) -> None:
    dataset = created(client, portal)
    portal.fail("GET", rf"/api/1/datasets/{dataset['id']}/", 429)
    assert client.get_dataset(dataset["id"])["id"] == dataset["id"]
    portal.fail("GET", rf"/api/1/datasets/{dataset['id']}/", 502, times=None)
    with pytest.raises(DatagouvUnavailable) as caught:
        client.get_dataset(dataset["id"])
    assert caught.value.transient and "n'a pas répondu" in str(caught.value)


def test_deleted_is_gone(client: DatagouvClient, portal: DatagouvPortal) -> None:
    portal.fail("GET", r"/api/1/datasets/y/", 410)
    with pytest.raises(DatagouvGone):
        client.get_dataset("y")


def test_payloads_from_the_sheet() -> None:
    files, sheet = render(ENTRY, rows(), TERRITORY, SOURCE)
    assert spatial(sheet) == {"zones": ["fr:commune:63113"], "granularity": "fr:commune"}
    epci = {
        **sheet,
        "couverture_spatiale": {**sheet["couverture_spatiale"], "identifiant": "epci:246300701"},
    }
    assert spatial(epci)["zones"] == ["fr:epci:246300701"]
    assert temporal_coverage({"couverture_temporelle": {"debut": "1840", "fin": None}}) == {
        "start": "1840-01-01",
        "end": None,
    }
    assert temporal_coverage(
        {"couverture_temporelle": {"debut": "01/05/2024", "fin": "2025-02-03"}}
    ) == {"start": "2024-05-01", "end": "2025-02-03"}
    assert temporal_coverage({"couverture_temporelle": None}) is None
    assert tags(["Monuments historiques", "MH", "Patrimoine", "patrimoine"]) == [
        "monuments-historiques",
        "patrimoine",
    ]
    payload = dataset_payload(ENTRY, sheet, private=False)
    assert payload["private"] is False and payload["license"] == "lov2"
    assert "organization" not in payload  # only on creation
    roles = [r.role for r in resources(ENTRY, files, sheet, "")]
    assert roles == ["donnees-csv", "donnees-geojson", "changelog", "documentation"]
    with_schema = resources(ENTRY, files, sheet, "https://s.example/schemas")
    assert with_schema[0].metadata()["schema"] == {
        "url": "https://s.example/schemas/monuments-historiques.json"
    }
    assert "schema" not in with_schema[1].metadata()


def chunked_setup(
    tmp_path: Path, portal: DatagouvPortal
) -> tuple[DatagouvPublisher, list[Any], dict[str, Any], int]:
    """A publisher whose documentation file goes in parts; the number of its parts."""
    settings = settings_for(tmp_path, portal, PATRIMOINE_HTTP_TIMEOUT="1")
    files, sheet = render(ENTRY, rows(), TERRITORY, SOURCE)
    publisher = DatagouvPublisher(
        settings, engine_for(settings), chunk_threshold=3000, chunk_size=2000
    )
    wanted = resources(ENTRY, files, sheet, "")
    assert [len(r.file.content) <= 3000 for r in wanted] == [True, True, True, False]
    parts = -(-len(wanted[-1].file.content) // 2000)
    assert parts >= 2
    return publisher, files, sheet, parts


def test_a_timeout_in_the_middle_of_a_chunked_upload_is_retried_without_duplicate(
    tmp_path: Path, portal: DatagouvPortal
) -> None:
    publisher, files, sheet, parts = chunked_setup(tmp_path, portal)
    # Three single uploads, then the first part passes and the second is answered too late.
    portal.delay("POST", r"/api/1/datasets/[^/]+/upload/", 1.5, after=True, skip=4)
    plan = publisher.plan(ENTRY, files, sheet)
    result = publisher.apply(ENTRY, plan, files, sheet)
    assert not result.unchanged
    (dataset,) = portal.state.datasets.values()
    assert len(dataset["resources"]) == 4
    doc = resources(ENTRY, files, sheet, "")[-1]
    by_rid = {r["id"]: r for r in dataset["resources"]}
    uploaded = by_rid[result.details["resources"]["documentation"]]
    assert uploaded["checksum"]["value"] == doc.sha1
    uploads = [r for r in portal.requests if r.path.endswith("/upload/")]
    assert len(uploads) == 3 + parts + 1 + 1  # the late part sent twice


def test_a_timeout_on_the_assembling_call_adopts_the_resource_the_server_made(
    tmp_path: Path, portal: DatagouvPortal
) -> None:
    publisher, files, sheet, parts = chunked_setup(tmp_path, portal)
    portal.delay("POST", r"/api/1/datasets/[^/]+/upload/", 1.5, after=True, skip=3 + parts)
    result = publisher.apply(ENTRY, publisher.plan(ENTRY, files, sheet), files, sheet)
    (dataset,) = portal.state.datasets.values()
    assert len(dataset["resources"]) == 4  # the server's resource was found, not re-sent
    uploads = [r for r in portal.requests if r.path.endswith("/upload/")]
    assert len(uploads) == 3 + parts + 1
    doc = next(r for r in dataset["resources"] if r["type"] == "documentation")
    assert doc["id"] == result.details["resources"]["documentation"]
    assert doc["title"].endswith("(documentation)")
    assert publisher.plan(ENTRY, files, sheet).unchanged


def test_a_missing_key_is_refused_before_any_request(
    tmp_path: Path, portal: DatagouvPortal
) -> None:
    settings = settings_for(tmp_path, portal, PATRIMOINE_DATAGOUV_API_KEY="")
    files, sheet = render(ENTRY, rows(), TERRITORY, SOURCE)
    with pytest.raises(DatagouvAuthError, match="renseignez PATRIMOINE_DATAGOUV_API_KEY"):
        DatagouvPublisher(settings, engine_for(settings)).plan(ENTRY, files, sheet)
    assert portal.requests == []


def test_catalog_entries_all_map_to_valid_portal_metadata(
    tmp_path: Path, portal: DatagouvPortal
) -> None:
    """Every catalog entry's licence and frequency are ids data.gouv.fr accepts."""
    from patrimoine.sandbox.datagouv_state import FREQUENCIES, LICENSES

    for entry in load_catalog(PROJECT_DIR / "catalog").values():
        assert entry.metadata.licence_id in LICENSES, entry.name
        assert entry.metadata.frequency in FREQUENCIES, entry.name


def test_pictures_are_documentation_and_pages_stay_local() -> None:
    from patrimoine.catalog import load_entry
    from patrimoine.config import PROJECT_DIR
    from patrimoine.publish.datagouv.payloads import resources
    from patrimoine.publish.render import RenderedFile, render
    from tests.transforms.geo import clermont_territory

    entry = load_entry(PROJECT_DIR / "catalog" / "monuments-historiques.toml", PROJECT_DIR)
    files, sheet = render(entry, [], clermont_territory(), {})
    files += [
        RenderedFile("carte.png", "Carte", "png", "image/png", b"\x89PNG"),
        RenderedFile("carte.html", "Carte interactive", "html", "text/html", b"<html>"),
        RenderedFile("static/leaflet/images/layers.png", "x", "png", "image/png", b"\x89PNG"),
    ]
    found = {r.role: r for r in resources(entry, files, sheet, "")}
    assert set(found) == {"donnees-csv", "donnees-geojson", "changelog", "carte", "documentation"}
    assert found["carte"].kind == "documentation"
    assert found["donnees-csv"].kind == "main"
