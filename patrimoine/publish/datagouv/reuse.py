"""Declare the territory page on data.gouv.fr as a reuse of the published datasets.

A reuse points at a public page and lists the datasets it uses, so a visitor of any of
them on data.gouv.fr finds the map of the whole territory. The page is the local portal's
``territoire.html`` served at ``PATRIMOINE_PUBLIC_URL``; the reuse is kept like a dataset:
found by the id saved at its creation (``portal_datasets``, portal ``datagouv-reuse``),
its fields sent only when their digest changed, its image (``carte-territoire.png``)
uploaded only when its bytes changed. A creation whose answer was lost is found again by
its URL among the organisation's reuses, never created twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.http.client import HttpClient
from patrimoine.publish.datagouv.client import DatagouvClient, Upload
from patrimoine.publish.datagouv.errors import DatagouvAuthError, DatagouvError, DatagouvGone
from patrimoine.publish.datagouv.payloads import digest
from patrimoine.staging import portal_store
from patrimoine.staging.portal_store import PortalDataset

log = logging.getLogger(__name__)

PORTAL = "datagouv-reuse"
DATASETS_PORTAL = "datagouv"
PAGE = "territoire.html"
IMAGE = "carte-territoire.png"
REUSE_TYPE = "visualization"
REUSE_TOPIC = "culture_and_recreation"
TAGS = ("patrimoine", "carte", "monuments-historiques", "musees", "espaces-naturels")


@dataclass
class ReusePlan:
    """What the reuse needs; ``actions`` is empty when the portal already has it all."""

    reuse_id: str | None
    payload: dict[str, Any]
    image: bytes | None
    actions: list[str] = field(default_factory=list)
    create: bool = False
    update: bool = False
    send_image: bool = False


def wanted(settings: Settings) -> bool:
    """Declared only when the page is public, drawn and data.gouv.fr is published to."""
    return bool(settings.public_url) and settings.pictures and DATASETS_PORTAL in settings.portal


def page_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/{PAGE}"


def published_datasets(
    settings: Settings, engine: Engine, entries: list[DatasetEntry]
) -> list[tuple[DatasetEntry, str]]:
    """The catalog datasets already created on data.gouv.fr, with their portal ids."""
    base_url = settings.datagouv_publish_url.rstrip("/")
    found = []
    for entry in entries:
        record = portal_store.load(engine, DATASETS_PORTAL, base_url, entry.name)
        if record is not None:
            found.append((entry, record.remote_id))
    return found


def payload(
    settings: Settings, territory_label: str, datasets: list[tuple[DatasetEntry, str]]
) -> dict[str, Any]:
    """The reuse's fields: what the page shows, the datasets it draws, where it lives."""
    titles = [entry.metadata.title.format(territoire=territory_label) for entry, _ in datasets]
    listing = "\n".join(f"- {title}" for title in titles)
    description = (
        f"Carte interactive et graphiques du patrimoine de {territory_label} : monuments "
        "historiques, musées, jardins remarquables, architecture contemporaine remarquable "
        "et espaces naturels, sur les contours des communes.\n\n"
        "La page est redessinée chaque nuit par patrimoine à partir des jeux de données "
        f"publiés sur data.gouv.fr :\n\n{listing}\n"
    )
    return {
        "title": f"Patrimoine de {territory_label} : carte et graphiques",
        "description": description,
        "type": REUSE_TYPE,
        "topic": REUSE_TOPIC,
        "url": page_url(settings),
        "datasets": [remote_id for _, remote_id in datasets],
        "tags": list(TAGS),
        "private": settings.datagouv_private,
    }


class ReusePublisher:
    """The territory page as a data.gouv.fr reuse: plan (reads only), then apply."""

    def __init__(self, settings: Settings, engine: Engine, *, http: HttpClient | None = None):
        self.settings = settings
        self.engine = engine
        self.base_url = settings.datagouv_publish_url.rstrip("/")
        self._http = http

    @contextmanager
    def _client(self) -> Iterator[DatagouvClient]:
        key = self.settings.datagouv_api_key
        if not key:
            raise DatagouvAuthError(
                "aucune clé d'API data.gouv.fr : renseignez PATRIMOINE_DATAGOUV_API_KEY"
            )
        if self._http is not None:
            yield DatagouvClient(self._http, self.base_url, key)
            return
        with HttpClient(self.settings) as http:
            yield DatagouvClient(http, self.base_url, key)

    def _record(self, territory_key: str) -> PortalDataset | None:
        return portal_store.load(self.engine, PORTAL, self.base_url, territory_key)

    # -- plan -------------------------------------------------------------------------
    def plan(self, territory_key: str, body: dict[str, Any], image: Path | None) -> ReusePlan:
        with self._client() as client:
            return self._decide(client, territory_key, body, image)

    def _decide(
        self,
        client: DatagouvClient,
        territory_key: str,
        body: dict[str, Any],
        image_path: Path | None,
    ) -> ReusePlan:
        image = image_path.read_bytes() if image_path and image_path.is_file() else None
        record = self._record(territory_key)
        reuse_id = record.remote_id if record else None
        if record is not None:
            self._alive(client, record.remote_id)
        else:
            reuse_id = self._find(client, body["url"])
        plan = ReusePlan(reuse_id, body, image)
        state = record.state if record else {}
        if reuse_id is None:
            plan.create = True
            plan.actions.append(f"déclarer la page du territoire en réutilisation ({body['url']})")
        elif record is None:
            plan.update = True
            plan.actions.append(f"reprendre la réutilisation existante {reuse_id}")
        elif state.get("digest") != digest(body):
            plan.update = True
            plan.actions.append(f"mettre à jour la réutilisation {reuse_id}")
        if image is not None and (plan.create or state.get("image_sha1") != _sha1(image)):
            plan.send_image = True
            plan.actions.append(f"remplacer l'image de la réutilisation par {IMAGE}")
        return plan

    def _alive(self, client: DatagouvClient, reuse_id: str) -> None:
        try:
            remote = client.get_reuse(reuse_id)
        except DatagouvGone as exc:
            raise _gone(reuse_id, exc.url) from exc
        except DatagouvError as exc:
            if exc.status == 404:
                raise _gone(reuse_id, exc.url) from exc
            raise
        if remote.get("deleted"):
            raise _gone(reuse_id, client.url(f"reuses/{reuse_id}/"))

    def _find(self, client: DatagouvClient, url: str) -> str | None:
        """Our reuse created by a run whose answer was lost: same page URL, same owner."""
        organization = self.settings.datagouv_organization
        filters = {"organization": organization} if organization else {"owner": client.me()["id"]}
        for reuse in client.reuses(**filters):
            if reuse.get("url") == url and not reuse.get("deleted"):
                return str(reuse["id"])
        return None

    # -- apply ------------------------------------------------------------------------
    def apply(self, territory_key: str, plan: ReusePlan) -> PortalDataset | None:
        if not plan.actions:
            return self._record(territory_key)
        with self._client() as client:
            record = self._record(territory_key)
            body = plan.payload
            if plan.create:
                made = client.create_reuse(self._with_owner(body))
                record = PortalDataset(PORTAL, self.base_url, territory_key, str(made["id"]))
                record.state["digest"] = digest(body)
                record.state["page"] = made.get("page")
                portal_store.save(self.engine, record)  # at once: never created twice
                log.info("réutilisation data.gouv.fr créée : %s", made["id"])
            elif plan.update and plan.reuse_id is not None:
                updated = client.update_reuse(plan.reuse_id, body)
                record = record or PortalDataset(
                    PORTAL, self.base_url, territory_key, plan.reuse_id
                )
                record.state["digest"] = digest(body)
                record.state["page"] = updated.get("page")
                portal_store.save(self.engine, record)
                log.info("réutilisation data.gouv.fr mise à jour : %s", plan.reuse_id)
            if plan.send_image and plan.image is not None and record is not None:
                client.upload_reuse_image(record.remote_id, Upload(IMAGE, plan.image, "image/png"))
                record.state["image_sha1"] = _sha1(plan.image)
                portal_store.save(self.engine, record)
            return record

    def _with_owner(self, body: dict[str, Any]) -> dict[str, Any]:
        organization = self.settings.datagouv_organization
        return {**body, "organization": organization} if organization else dict(body)


def _sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def _gone(reuse_id: str, url: str | None) -> DatagouvGone:
    return DatagouvGone(
        f"la réutilisation {reuse_id} (page du territoire) a été supprimée sur data.gouv.fr",
        url=url,
        hint=(
            "elle n'est pas recréée automatiquement : restaurez-la sur data.gouv.fr, ou "
            "supprimez son identifiant enregistré (table portal_datasets, portail "
            f"{PORTAL}) pour en déclarer une nouvelle"
        ),
    )


__all__ = ["PORTAL", "ReusePlan", "ReusePublisher", "page_url", "payload", "wanted"]
