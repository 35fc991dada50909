"""The territory page declared on the local data.gouv.fr as a reuse, through whole runs.

Real runs (``refresh_many``, pictures on) against the portal sandbox over HTTP; what the
portal holds is read back through its public API, as a reuser would see it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrimoine.config import Settings
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.publish.datagouv import reuse
from patrimoine.publish.datagouv.errors import DatagouvUnavailable
from patrimoine.report.run_report import latest_path
from patrimoine.sandbox.datagouv_portal import DatagouvPortal
from patrimoine.stages import engine_for
from patrimoine.staging import portal_store
from tests.publish.test_datagouv_publisher import settings_for as publication_settings

FIRST, SECOND = "jardins-remarquables", "architecture-contemporaine-remarquable"
PUBLIC = "https://patrimoine.exemple.fr/portail"
REUSES = "/api/1/reuses/"


def settings_for(tmp_path: Path, portal: DatagouvPortal, snapshot: Path, **extra: str) -> Settings:
    """The publication tests' settings, pictures on, the local folder kept, a public page."""
    wanted = {
        "PATRIMOINE_PORTAL": "local,datagouv",
        "PATRIMOINE_PICTURES": "true",
        "PATRIMOINE_PUBLIC_URL": PUBLIC,
        **extra,
    }
    return publication_settings(tmp_path, portal, snapshot, **wanted)


@pytest.fixture
def settings(tmp_path: Path, portal: DatagouvPortal, snapshot_copy: Path) -> Settings:
    return settings_for(tmp_path, portal, snapshot_copy)


def run(settings: Settings, *names: str, **kwargs: Any) -> list[Outcome]:
    outcomes = refresh_many(settings, list(names), **kwargs)
    for outcome in outcomes:
        assert outcome.status in ("updated", "unchanged", "dry-run"), outcome.error
    return outcomes


def organization_reuses(portal: DatagouvPortal) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{portal.url}{REUSES}",
        params={"organization": portal.organization},
        headers={"X-API-KEY": portal.api_key},
    )
    answer.raise_for_status()
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def only_reuse(portal: DatagouvPortal) -> dict[str, Any]:
    (found,) = organization_reuses(portal)
    return found


def reuse_writes(portal: DatagouvPortal) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in portal.writes() if r.path.startswith(REUSES)]


def dataset_id(settings: Settings, portal: DatagouvPortal, name: str) -> str:
    record = portal_store.load(engine_for(settings), "datagouv", portal.url, name)
    assert record is not None
    return record.remote_id


def stored(settings: Settings, portal: DatagouvPortal) -> portal_store.PortalDataset | None:
    return portal_store.load(engine_for(settings), reuse.PORTAL, portal.url, settings.territory.key)


def report_text(settings: Settings) -> str:
    return latest_path(settings).read_text(encoding="utf-8")


def test_the_page_is_declared_once_then_kept_up_to_date(
    settings: Settings, portal: DatagouvPortal
) -> None:
    run(settings, FIRST)
    found = only_reuse(portal)
    assert found["url"] == f"{PUBLIC}/territoire.html"
    assert found["type"] == "visualization" and found["topic"] == "culture_and_recreation"
    assert found["title"] == "Patrimoine de Clermont Auvergne Métropole : carte et graphiques"
    assert [d["id"] for d in found["datasets"]] == [dataset_id(settings, portal, FIRST)]
    assert "Jardins remarquables" in found["description"]
    assert found["organization"]["id"] == portal.organization
    image = httpx.get(found["image"])
    assert image.status_code == 200
    assert image.content == (settings.portal_dir / reuse.IMAGE).read_bytes()
    record = stored(settings, portal)
    assert record is not None and record.remote_id == found["id"]
    published = portal_store.load(engine_for(settings), "datagouv", portal.url, FIRST)
    assert published is not None and "carte" in published.resources  # the map, as a resource
    assert any(role.startswith("graphique-") for role in published.resources)
    text = report_text(settings)
    assert "Réutilisation data.gouv.fr : mise à jour" in text
    assert "déclarer la page du territoire en réutilisation" in text

    # A dry run reads, lists what would change, writes nothing.
    portal.clear_requests()
    (settings.portal_dir / reuse.IMAGE).write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    run(settings, FIRST, dry_run=True)
    assert reuse_writes(portal) == []
    simulation = sorted((settings.var_dir / "rapports").glob("simulation-*.html"))[-1]
    text = simulation.read_text("utf-8")
    assert "Réutilisation data.gouv.fr : simulation" in text
    assert "remplacer l&#x27;image de la réutilisation" in text

    # An unchanged night (the real run redraws the same map) sends nothing.
    run(settings, FIRST)
    assert reuse_writes(portal) == []
    assert "Réutilisation data.gouv.fr : inchangée" in report_text(settings)

    # A newly published dataset joins the same reuse, whose map changed.
    run(settings, SECOND)
    after = only_reuse(portal)
    assert after["id"] == found["id"]
    assert {d["id"] for d in after["datasets"]} == {
        dataset_id(settings, portal, name) for name in (FIRST, SECOND)
    }
    writes = reuse_writes(portal)
    assert ("PUT", f"{REUSES}{found['id']}/") in writes
    assert ("POST", f"{REUSES}{found['id']}/image/") in writes
    assert ("POST", REUSES) not in writes
    assert after["image"] != found["image"]


def test_a_creation_whose_answer_was_lost_is_adopted_not_duplicated(
    settings: Settings, portal: DatagouvPortal
) -> None:
    portal.drop("POST", f"^{REUSES}$", after=True)
    outcomes = refresh_many(settings, [FIRST])
    assert outcomes[0].status == "updated"  # the dataset itself is published
    assert stored(settings, portal) is None
    failed = report_text(settings)
    assert "Réutilisation data.gouv.fr : en échec" in failed
    assert portal.api_key not in failed
    portal.clear_faults()
    run(settings, FIRST)
    found = only_reuse(portal)
    record = stored(settings, portal)
    assert record is not None and record.remote_id == found["id"]
    assert found["image"]  # the image, never sent by the first run, is sent now


def test_a_reuse_deleted_on_the_portal_is_reported_not_recreated(
    settings: Settings, portal: DatagouvPortal
) -> None:
    run(settings, FIRST)
    found = only_reuse(portal)
    deleted = httpx.delete(
        f"{portal.url}{REUSES}{found['id']}/", headers={"X-API-KEY": portal.api_key}
    )
    assert deleted.status_code == 204
    portal.clear_requests()
    (outcome,) = refresh_many(settings, [FIRST])
    assert outcome.status == "unchanged"  # the dataset is untouched by the reuse's fate
    text = report_text(settings)
    assert f"la réutilisation {found['id']} (page du territoire) a été supprimée" in text
    assert ("POST", REUSES) not in reuse_writes(portal)
    assert organization_reuses(portal) == []


def test_without_a_public_address_nothing_is_declared(
    tmp_path: Path, portal: DatagouvPortal, snapshot_copy: Path
) -> None:
    settings = settings_for(tmp_path, portal, snapshot_copy, PATRIMOINE_PUBLIC_URL="")
    run(settings, FIRST, dry_run=True)
    assert [r for r in portal.requests if r.path.startswith(REUSES)] == []
    simulation = sorted((settings.var_dir / "rapports").glob("simulation-*.html"))[-1]
    assert "Réutilisation data.gouv.fr" not in simulation.read_text("utf-8")


def test_no_dataset_on_the_portal_yet_means_the_reuse_waits(
    settings: Settings, portal: DatagouvPortal
) -> None:
    run(settings, FIRST, dry_run=True)
    assert [r for r in portal.requests if r.path.startswith(REUSES)] == []
    simulation = sorted((settings.var_dir / "rapports").glob("simulation-*.html"))[-1]
    assert "Réutilisation data.gouv.fr : en attente" in simulation.read_text("utf-8")


def test_without_an_organization_a_lost_creation_is_found_among_the_users_reuses(
    tmp_path: Path, portal: DatagouvPortal, snapshot_copy: Path
) -> None:
    settings = settings_for(tmp_path, portal, snapshot_copy, PATRIMOINE_DATAGOUV_ORGANIZATION="")
    made = httpx.post(
        f"{portal.url}/api/1/datasets/",
        json={"title": "Jeu de l'utilisateur", "description": "Un jeu sans organisation."},
        headers={"X-API-KEY": portal.api_key},
    )
    assert made.status_code == 201
    engine = engine_for(settings)
    publisher = reuse.ReusePublisher(settings, engine)
    body = {**reuse.payload(settings, "Territoire d'essai", []), "datasets": [made.json()["id"]]}
    key = settings.territory.key
    portal.drop("POST", f"^{REUSES}$", after=True)
    with pytest.raises(DatagouvUnavailable, match=r"data\.gouv\.fr n.a pas répondu"):
        publisher.apply(key, publisher.plan(key, body, None))
    portal.clear_faults()
    plan = publisher.plan(key, body, None)
    assert plan.create is False and plan.reuse_id is not None
    assert plan.actions == [f"reprendre la réutilisation existante {plan.reuse_id}"]
    record = publisher.apply(key, plan)
    assert record is not None and record.remote_id == plan.reuse_id
    create = next(r for r in portal.requests if r.method == "POST" and r.path == REUSES)
    assert "organization" not in json.loads(create.body)
    assert publisher.plan(key, body, None).actions == []
