"""Publish a catalog dataset to data.gouv.fr: one portal dataset, resources with stable roles.

The portal dataset is found by the id stored after its creation (never by title: titles
re-slug), its resources by the ids stored under their role (``donnees-csv``,
``donnees-geojson``, ``changelog``, ``documentation``), so reusers' links
(``/datasets/r/{rid}``) never change. Each write that creates something is saved at once
in ``portal_datasets``; the metadata hashes saved after each ``PUT`` tell what the portal
already has. A run interrupted anywhere is therefore finished by the next one: a file
uploaded but not described is described, nothing is created twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.http.client import HttpClient
from patrimoine.publish.base import PublicationPlan, PublicationResult
from patrimoine.publish.datagouv.client import (
    CHUNK_SIZE,
    CHUNK_THRESHOLD,
    DatagouvClient,
    Upload,
)
from patrimoine.publish.datagouv.errors import (
    DatagouvArchived,
    DatagouvAuthError,
    DatagouvForbidden,
    DatagouvGone,
    DatagouvUnavailable,
)
from patrimoine.publish.datagouv.payloads import (
    MARKER,
    Resource,
    dataset_payload,
    digest,
    resources,
)
from patrimoine.publish.render import RenderedFile
from patrimoine.staging import portal_store
from patrimoine.staging.portal_store import PortalDataset

log = logging.getLogger(__name__)

PORTAL = "datagouv"
CREATE, UPDATE = "create", "update"
NEW, REPLACE, DESCRIBE, ADOPT = "new", "replace", "describe", "adopt"


@dataclass
class _Step:
    kind: str
    action: str
    resource: Resource | None = None
    rid: str | None = None


@dataclass
class _Decision:
    """What the portal has and what to do about it (computed by plan and again by apply)."""

    record: PortalDataset | None
    remote: dict[str, Any] | None
    payload: dict[str, Any]
    steps: list[_Step] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        """The French actions; skipped resources are listed only beside real work."""
        return [s.action for s in self.steps] + self.skipped if self.steps else []


def checksum_of(resource: dict[str, Any]) -> str | None:
    """The sha1 udata computed on upload (``checksum.value``, not hydra's extras)."""
    checksum = resource.get("checksum") or {}
    value = checksum.get("value") if checksum.get("type", "sha1") == "sha1" else None
    return value if isinstance(value, str) else None


def adoptable(remote: dict[str, Any], sha1: str, taken: set[str]) -> str | None:
    """A hosted resource holding exactly our file and claimed by no role: ours, uploaded
    by a run that stopped before saving its id."""
    for resource in remote.get("resources") or []:
        if (
            resource.get("id") not in taken
            and resource.get("filetype", "file") == "file"
            and checksum_of(resource) == sha1
        ):
            return str(resource["id"])
    return None


class DatagouvPublisher:
    """The :class:`~patrimoine.publish.base.Publisher` of data.gouv.fr (udata API v1)."""

    name = PORTAL

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        chunk_threshold: int = CHUNK_THRESHOLD,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.base_url = settings.datagouv_publish_url.rstrip("/")
        self._transport = transport
        self._sleep = sleep
        self.chunk_threshold = chunk_threshold
        self.chunk_size = chunk_size

    # -- Publisher --------------------------------------------------------------------
    def plan(
        self, entry: DatasetEntry, files: list[RenderedFile], metadata: dict[str, Any]
    ) -> PublicationPlan:
        """Read the portal and our stored ids; list the actions (no write endpoint)."""
        with self._client() as client:
            decision = self._decide(client, entry, files, metadata)
        return PublicationPlan(entry.name, self._target(decision), decision.actions)

    def apply(
        self,
        entry: DatasetEntry,
        plan: PublicationPlan,
        files: list[RenderedFile],
        metadata: dict[str, Any],
    ) -> PublicationResult:
        if plan.unchanged:
            return PublicationResult(entry.name, self.name, True, [], plan.target)
        with self._client() as client:
            decision = self._decide(client, entry, files, metadata)
            record = self._apply(client, entry, decision)
        details = {"dataset_id": record.remote_id, "resources": dict(record.resources)}
        location = f"{self.base_url}/datasets/{record.remote_id}/"
        return PublicationResult(
            entry.name, self.name, not decision.actions, decision.actions, location, details
        )

    # -- deciding ---------------------------------------------------------------------
    @contextmanager
    def _client(self) -> Iterator[DatagouvClient]:
        if not self.settings.datagouv_api_key:
            raise DatagouvAuthError(
                "aucune clé d'API data.gouv.fr : renseignez PATRIMOINE_DATAGOUV_API_KEY"
            )
        with HttpClient(self.settings, transport=self._transport, sleep=self._sleep) as http:
            yield DatagouvClient(
                http,
                self.base_url,
                self.settings.datagouv_api_key,
                chunk_threshold=self.chunk_threshold,
                chunk_size=self.chunk_size,
            )

    def _target(self, decision: _Decision) -> str:
        if decision.record is None:
            return self.base_url
        return f"{self.base_url}/datasets/{decision.record.remote_id}/"

    def _decide(
        self,
        client: DatagouvClient,
        entry: DatasetEntry,
        files: list[RenderedFile],
        metadata: dict[str, Any],
    ) -> _Decision:
        payload = dataset_payload(entry, metadata, private=self.settings.datagouv_private)
        wanted = resources(entry, files, metadata, self.settings.schema_base_url)
        record = portal_store.load(self.engine, PORTAL, self.base_url, entry.name)
        if record is None:
            found = self._marked(client, entry)
            if found is None:
                decision = _Decision(None, None, payload)
                decision.steps.append(_Step(CREATE, f"créer le jeu « {payload['title']} »"))
                decision.steps.extend(_Step(NEW, f"créer la ressource {r.role}", r) for r in wanted)
                return decision
            record = PortalDataset(PORTAL, self.base_url, entry.name, str(found["id"]))
            log.warning(
                "Jeu data.gouv.fr %s retrouvé par son marqueur %s=%s : il est repris, pas recréé",
                record.remote_id,
                MARKER,
                entry.name,
            )
        remote = client.get_dataset(record.remote_id)
        self._check_alive(remote, entry)
        decision = _Decision(record, remote, payload)
        if record.state.get("metadata") != digest(payload):
            decision.steps.append(_Step(UPDATE, "mettre à jour les métadonnées"))
        by_id = {str(r.get("id")): r for r in remote.get("resources") or []}
        taken = set(record.resources.values())
        described = record.state.get("resources") or {}
        for resource in wanted:
            role, rid = resource.role, record.resources.get(resource.role)
            current = by_id.get(rid) if rid else None
            if current is None:
                orphan = adoptable(remote, resource.sha1, taken)
                if orphan is not None:
                    taken.add(orphan)
                    action = f"reprendre la ressource {role} ({orphan}) déjà envoyée"
                    decision.steps.append(_Step(ADOPT, action, resource, orphan))
                elif rid:
                    action = f"créer la ressource {role} (l'ancienne {rid} a disparu du portail)"
                    decision.steps.append(_Step(NEW, action, resource))
                else:
                    decision.steps.append(_Step(NEW, f"créer la ressource {role}", resource))
            elif checksum_of(current) != resource.sha1:
                action = f"remplacer la ressource {role} ({rid})"
                decision.steps.append(_Step(REPLACE, action, resource, rid))
            elif described.get(role) != digest(resource.metadata()):
                action = f"mettre à jour les métadonnées de la ressource {role} ({rid})"
                decision.steps.append(_Step(DESCRIBE, action, resource, rid))
            else:
                decision.skipped.append(f"ignorer la ressource {role} ({rid}) inchangée")
        return decision

    def _check_alive(self, remote: dict[str, Any], entry: DatasetEntry) -> None:
        """A dataset deleted or archived by someone on the portal is reported, not recreated."""
        url = f"{self.base_url}/datasets/{remote.get('id')}/"
        if remote.get("deleted"):
            raise DatagouvGone(
                f"le jeu data.gouv.fr {remote.get('id')} de « {entry.name} » a été supprimé "
                f"le {remote['deleted']}",
                url=url,
            )
        if remote.get("archived"):
            raise DatagouvArchived(
                f"le jeu data.gouv.fr {remote.get('id')} de « {entry.name} » est archivé "
                f"depuis le {remote['archived']}",
                url=url,
            )

    def _marked(self, client: DatagouvClient, entry: DatasetEntry) -> dict[str, Any] | None:
        """The organization's dataset carrying our marker (a creation whose id was lost)."""
        organization = self.settings.datagouv_organization
        if not organization:
            raise DatagouvForbidden(
                "aucune organisation data.gouv.fr : renseignez PATRIMOINE_DATAGOUV_ORGANIZATION"
            )
        for dataset in client.organization_datasets(organization):
            extras = dataset.get("extras") or {}
            if extras.get(MARKER) == entry.name and not dataset.get("deleted"):
                return dataset
        return None

    # -- applying ---------------------------------------------------------------------
    def _save(self, record: PortalDataset) -> None:
        portal_store.save(self.engine, record)

    def _apply(
        self, client: DatagouvClient, entry: DatasetEntry, decision: _Decision
    ) -> PortalDataset:
        record = decision.record
        for step in decision.steps:
            log.info("data.gouv.fr, jeu « %s » : %s", entry.name, step.action)
            if step.kind == CREATE:
                created = self._create(client, entry, decision.payload)
                record = PortalDataset(PORTAL, self.base_url, entry.name, str(created["id"]))
                record.state["metadata"] = digest(decision.payload)
                self._save(record)
                continue
            assert record is not None  # every other step follows a creation or a stored id
            if step.kind == UPDATE:
                client.update_dataset(record.remote_id, decision.payload)
                record.state["metadata"] = digest(decision.payload)
                self._save(record)
                continue
            resource = step.resource
            assert resource is not None
            described: dict[str, str] = record.state.setdefault("resources", {})
            rid = step.rid
            if step.kind in (NEW, REPLACE, ADOPT):
                if step.kind == NEW:
                    rid = self._upload_new(client, record, resource)
                elif step.kind == REPLACE:
                    assert rid is not None
                    self._replace(client, record.remote_id, rid, resource)
                assert rid is not None
                record.resources[resource.role] = rid
                described.pop(resource.role, None)
                self._save(record)  # the id is kept even if the PUT below fails
            assert rid is not None
            client.update_resource(record.remote_id, rid, resource.metadata())
            described[resource.role] = digest(resource.metadata())
            self._save(record)
        assert record is not None
        return record

    def _attempts(self) -> range:
        return range(self.settings.http_retries + 1)

    def _pause(self, number: int) -> None:
        self._sleep(self.settings.http_backoff * 2**number)

    def _create(
        self, client: DatagouvClient, entry: DatasetEntry, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Create the dataset; after a transient failure, look whether the server did."""
        body = {**payload, "organization": self.settings.datagouv_organization}
        for number in self._attempts():
            try:
                return client.create_dataset(body)
            except DatagouvUnavailable as exc:
                found = self._marked(client, entry)
                if found is not None:
                    log.warning("Le jeu avait été créé malgré l'erreur (%s) : repris", exc.cause)
                    return found
                if number == self._attempts()[-1]:
                    raise
                log.warning("Création du jeu échouée (%s) : nouvel essai", exc.cause)
                self._pause(number)
        raise AssertionError("unreachable")  # pragma: no cover

    def _upload(self, resource: Resource) -> Upload:
        return Upload(resource.file.name, resource.file.content, resource.file.mime)

    def _upload_new(self, client: DatagouvClient, record: PortalDataset, resource: Resource) -> str:
        """Upload a new resource; after a transient failure, adopt it if the server kept it."""
        for number in self._attempts():
            try:
                return str(client.upload(record.remote_id, self._upload(resource))["id"])
            except DatagouvUnavailable as exc:
                remote = client.get_dataset(record.remote_id)
                found = adoptable(remote, resource.sha1, set(record.resources.values()))
                if found is not None:
                    log.warning("Ressource %s reçue malgré l'erreur (%s)", found, exc.cause)
                    return found
                if number == self._attempts()[-1]:
                    raise
                log.warning("Envoi de %s échoué (%s) : nouvel essai", resource.role, exc.cause)
                self._pause(number)
        raise AssertionError("unreachable")  # pragma: no cover

    def _replace(
        self, client: DatagouvClient, dataset_id: str, rid: str, resource: Resource
    ) -> None:
        """Replace the file of ``rid``; after a transient failure, check before resending."""
        for number in self._attempts():
            try:
                client.upload(dataset_id, self._upload(resource), rid)
                return
            except DatagouvUnavailable as exc:
                remote = client.get_dataset(dataset_id)
                listed: list[dict[str, Any]] = remote.get("resources") or []
                current = next((r for r in listed if r.get("id") == rid), {})
                if checksum_of(current) == resource.sha1:
                    log.warning("Fichier de %s remplacé malgré l'erreur (%s)", rid, exc.cause)
                    return
                if number == self._attempts()[-1]:
                    raise
                log.warning("Remplacement de %s échoué (%s) : nouvel essai", rid, exc.cause)
                self._pause(number)


def publisher(settings: Settings, engine: Engine) -> DatagouvPublisher:
    """The factory :data:`patrimoine.publish.REMOTE` names."""
    return DatagouvPublisher(settings, engine)


__all__ = ["PORTAL", "DatagouvPublisher", "publisher"]
