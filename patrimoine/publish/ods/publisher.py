"""Publish a dataset to an OpenDataSoft portal: one dataset, one CSV resource, kept ids.

The recipe of the Automation API (portals.md §2.1): find the dataset by the uid stored
after its creation (else by its ``dataset_id``, else create it with its metadata); wait
until it is not busy; upload the CSV to the dataset's files and point the resource at the
returned file uid (``PUT`` of the full resource, so its ``re_…`` uid and the portal's
field configuration stay); send the metadata fields that changed; keep the maps and
charts (the PNG files) as the dataset's attachments; publish; poll ``status/`` until it
is idle. Every id is saved right after the call that made it, and a publication not seen
through (processing failed, timeout, crash) is retried next run.

Attachments cannot be replaced in place: a changed picture is attached again, its new uid
saved, then the old attachment deleted. Uids still to delete are kept in the state, and
an attachment bearing one of our file names but an uid we do not know (a lost answer) is
deleted, so the portal ends with one attachment per picture. Other attachments (added by
hand on the portal) are never touched.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.http.client import HttpClient
from patrimoine.publish.base import PublicationPlan, PublicationResult
from patrimoine.publish.ods import metadata as meta
from patrimoine.publish.ods.client import OdsClient
from patrimoine.publish.ods.errors import (
    OdsBusy,
    OdsError,
    OdsNotFound,
    OdsProcessingFailed,
    OdsStatusTimeout,
)
from patrimoine.publish.render import RenderedFile
from patrimoine.staging import portal_store
from patrimoine.staging.portal_store import PortalDataset

log = logging.getLogger(__name__)

PORTAL = "ods"
DATA_ROLE = "donnees-csv"
BUSY = frozenset({"queued", "processing", "aborting_processing", "deleting", "saving_version"})
FAILED = frozenset({"error", "limit_reached"})
READ_ONLY_RESOURCE_FIELDS = ("uid", "display_name", "extraction_infos", "origin", "updated_at")
CSV_PARAMS = {
    "doublequote": True,
    "encoding": "utf-8",
    "first_row_no": 1,
    "headers_first_row": True,
    "separator": ",",
}
"""How ``render.rows_to_csv`` writes: UTF-8, comma, header first, doubled quotes."""
POLL_INTERVAL = 3.0
"""Seconds between two status reads (what Opendatasoft's own scripts use)..."""
POLLS_PER_TIMEOUT = 50
"""...or less with a short ``PATRIMOINE_ODS_STATUS_TIMEOUT``: at least 50 reads before it."""
MAX_ERRORS_SHOWN = 5
ATTACHMENTS = "attachments"
"""State key: picture file name → ``{"uid": attachment uid, "sha1": content sha1}``."""
TO_DELETE = "attachments_to_delete"
"""State key: uids of attachments we replaced or retired, deleted once the portal agrees."""
POSTING = "attachments_posting"
"""State key: file names sent whose answer never came: a copy may be on the portal."""


def sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def pictures(files: list[RenderedFile]) -> dict[str, RenderedFile]:
    """The maps and charts (top-level PNG files), as data.gouv.fr publishes them: not the
    pages' own assets (``static/…``)."""
    return {f.name: f for f in files if f.format.lower() == "png" and "/" not in f.name}


@dataclass
class _Attachments:
    """What to do with the dataset's attachments (computed by plan, and again by apply)."""

    upload: list[tuple[RenderedFile, str | None]] = field(default_factory=list)
    """Pictures to attach, with the uid of the former version to delete afterwards."""
    retire: list[tuple[str, str]] = field(default_factory=list)
    """(file name, uid) of pictures no longer rendered."""
    stale: list[tuple[str, str]] = field(default_factory=list)
    """(file name, uid) of former versions a previous run did not manage to delete."""
    orphans: list[tuple[str, str]] = field(default_factory=list)
    """(file name, uid) bearing one of our names, unknown to us (a lost answer)."""
    on_portal: set[str] = field(default_factory=set)

    @property
    def actions(self) -> list[str]:
        said = [
            f"remplacer la pièce jointe {f.name}" if old else f"joindre {f.name}"
            for f, old in self.upload
        ]
        said += [f"retirer la pièce jointe {name}" for name, _ in self.retire]
        said += [
            f"retirer l'ancienne version de la pièce jointe {name} ({at})"
            for name, at in self.stale
        ]
        said += [
            f"retirer la pièce jointe {name} ({at}) laissée par un envoi interrompu"
            for name, at in self.orphans
        ]
        return said


def _attachment_work(
    state: dict[str, Any], files: list[RenderedFile], remote: list[dict[str, Any]]
) -> _Attachments:
    """Compare the rendered pictures, our state and the portal's attachments (``remote``)."""
    pics = pictures(files)
    known: dict[str, dict[str, str]] = state.get(ATTACHMENTS) or {}
    names = {str(a["uid"]): str(a.get("filename") or "") for a in remote if a.get("uid")}
    work = _Attachments(on_portal=set(names))
    for name, picture in pics.items():
        ours = known.get(name) or {}
        old = ours.get("uid") if ours.get("uid") in names else None
        if old is not None and ours.get("sha1") == sha1(picture.content):
            continue  # unchanged and still on the portal: no call at all
        work.upload.append((picture, old))
    for name, ours in known.items():
        if name not in pics and ours["uid"] in names:
            work.retire.append((name, ours["uid"]))
    pending: list[str] = state.get(TO_DELETE) or []
    work.stale = [(names[at], at) for at in pending if at in names]
    kept = {ours["uid"] for ours in known.values()} | set(pending)
    mine = set(pics) | set(known) | set(state.get(POSTING) or [])
    work.orphans = [
        (name, at) for at, name in sorted(names.items()) if name in mine and at not in kept
    ]
    return work


def _republish(state: dict[str, Any]) -> None:
    """Attachments changed: the portal shows them after a publication, of the metadata at
    least (a pending data publication covers them too)."""
    state.setdefault("pending_publish", "metadata")


def _lists_attachments(state: dict[str, Any], files: list[RenderedFile]) -> bool:
    """Whether the portal's attachments matter: a picture, or one we made or may have made."""
    return bool(
        pictures(files) or state.get(ATTACHMENTS) or state.get(TO_DELETE) or state.get(POSTING)
    )


class OdsPublisher:
    """The ``ods`` portal: ``PATRIMOINE_ODS_URL`` with ``PATRIMOINE_ODS_API_KEY``."""

    name = PORTAL

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        client: OdsClient | None = None,
        poll_interval: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        license_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self._owned_http: HttpClient | None = None
        if client is None:
            self._owned_http = HttpClient(settings)
            client = OdsClient(self._owned_http, settings.ods_url, settings.ods_api_key)
        self.client = client
        self.base_url = self.client.portal_url
        self.timeout = settings.ods_status_timeout
        self.poll_interval = (
            min(POLL_INTERVAL, self.timeout / POLLS_PER_TIMEOUT)
            if poll_interval is None
            else poll_interval
        )
        self._sleep = sleep
        self._clock = clock
        self.license_ids = dict(license_ids or {})
        """Catalog licence id → the portal's licence id (portals configure their own list)."""

    def close(self) -> None:
        """Close the connections this publisher opened (an injected client is the caller's)."""
        if self._owned_http is not None:
            self._owned_http.close()

    # -- plan -----------------------------------------------------------------------------
    def plan(
        self, entry: DatasetEntry, files: list[RenderedFile], metadata: dict[str, Any]
    ) -> PublicationPlan:
        """Read-only: our stored ids, the dataset and its resources on the portal."""
        data = _data_file(entry, files)
        plan = PublicationPlan(dataset=entry.name, target=self._target(entry))
        record = self._record(entry)
        if record is None:
            found = self.client.find_dataset(entry.name)
            if found is None:
                plan.actions += [
                    f"créer le jeu « {entry.name} » sur le portail OpenDataSoft",
                    f"téléverser {data.name} et créer la ressource de données",
                    *_attachment_work({}, files, []).actions,
                    "publier le jeu",
                ]
                return plan
            plan.actions.append(f"reprendre le jeu existant « {entry.name} » ({found['uid']})")
            record = PortalDataset(PORTAL, self.base_url, entry.name, found["uid"])
        else:
            self._existing(record)
        re_uid = record.resources.get(DATA_ROLE)
        remote = {r.get("uid") for r in self.client.resources(record.remote_id)}
        if re_uid is None or re_uid not in remote:
            plan.actions.append(f"téléverser {data.name} et créer la ressource de données")
        elif record.state.get("csv_sha1") != sha1(data.content):
            plan.actions.append(f"téléverser {data.name} et y pointer la ressource {re_uid}")
        changed = meta.changed(self._fields(entry, metadata), record.state.get("metadata", {}))
        if changed:
            plan.actions.append(f"mettre à jour les métadonnées : {meta.labels(changed)}")
        plan.actions += self._attachments(record, files).actions
        if plan.actions or record.state.get("pending_publish"):
            plan.actions.append("publier le jeu")
        return plan

    # -- apply ----------------------------------------------------------------------------
    def apply(
        self,
        entry: DatasetEntry,
        plan: PublicationPlan,
        files: list[RenderedFile],
        metadata: dict[str, Any],
    ) -> PublicationResult:
        if plan.unchanged:
            return PublicationResult(entry.name, self.name, True, [], self._location(entry))
        data = _data_file(entry, files)
        values = self._fields(entry, metadata)
        record = self._dataset(entry, values)
        uid = record.remote_id
        self._wait_until_resting(entry, uid)
        if self._data_changed(record, data):
            self._replace_data(record, data)
        changed = meta.changed(values, record.state.get("metadata", {}))
        if changed:
            sent = dict(record.state.get("metadata", {}))
            for key in changed:
                template, field = key.split("/", 1)
                self.client.put_metadata_field(uid, template, field, values[key])
                sent[key] = meta.digest(values[key])
            record.state["metadata"] = sent
            record.state.setdefault("pending_publish", "metadata")
            portal_store.save(self.engine, record)
        self._sync_attachments(record, files)
        if record.state.get("pending_publish"):
            self._publish(entry, record)
        return PublicationResult(
            entry.name,
            self.name,
            False,
            plan.actions,
            self._location(entry),
            {
                "dataset_uid": uid,
                "resource_uid": record.resources.get(DATA_ROLE),
                "file_uid": record.state.get("file_uid"),
                "attachment_uids": {
                    name: ours["uid"]
                    for name, ours in (record.state.get(ATTACHMENTS) or {}).items()
                },
            },
        )

    # -- steps ----------------------------------------------------------------------------
    def _record(self, entry: DatasetEntry) -> PortalDataset | None:
        return portal_store.load(self.engine, PORTAL, self.base_url, entry.name)

    def _existing(self, record: PortalDataset) -> dict[str, Any]:
        """The stored dataset on the portal; gone means reported, never silently recreated."""
        try:
            return self.client.get_dataset(record.remote_id)
        except OdsNotFound as exc:
            raise OdsNotFound(
                f"le jeu {record.remote_id} (« {record.dataset} ») créé par patrimoine n'existe "
                "plus sur le portail OpenDataSoft",
                url=exc.url,
                hint="s'il a été supprimé volontairement, oubliez-le (portal_store.forget) pour "
                "qu'il soit recréé au prochain run ; sinon vérifiez PATRIMOINE_ODS_URL",
            ) from exc

    def _dataset(self, entry: DatasetEntry, values: dict[str, Any]) -> PortalDataset:
        """Our record of the dataset, creating the dataset (saved at once) when needed."""
        record = self._record(entry)
        if record is not None:
            self._existing(record)
            return record
        found = self.client.find_dataset(entry.name)
        if found is not None:
            log.info("Jeu OpenDataSoft « %s » repris : %s", entry.name, found["uid"])
            record = PortalDataset(PORTAL, self.base_url, entry.name, found["uid"])
        else:
            made = self.client.create_dataset(
                {
                    "dataset_id": entry.name,
                    "is_restricted": False,
                    "metadata": meta.templates(values),
                }
            )
            log.info("Jeu OpenDataSoft « %s » créé : %s", entry.name, made["uid"])
            record = PortalDataset(
                PORTAL,
                self.base_url,
                entry.name,
                made["uid"],
                state={"metadata": meta.digests(values), "pending_publish": "data"},
            )
        portal_store.save(self.engine, record)
        return record

    def _data_changed(self, record: PortalDataset, data: RenderedFile) -> bool:
        re_uid = record.resources.get(DATA_ROLE)
        if re_uid is None or record.state.get("csv_sha1") != sha1(data.content):
            return True
        return re_uid not in {r.get("uid") for r in self.client.resources(record.remote_id)}

    def _replace_data(self, record: PortalDataset, data: RenderedFile) -> None:
        """Upload the CSV, then point the data resource at it (created the first time)."""
        uid, digest = record.remote_id, sha1(data.content)
        uploaded = record.state.get("uploaded") or {}
        if uploaded.get("sha1") == digest:
            file_uid = uploaded["file_uid"]  # uploaded by a run that stopped right after
        else:
            file_uid = self.client.upload_file(uid, data.name, data.content, data.mime)["uid"]
            record.state["uploaded"] = {"sha1": digest, "file_uid": file_uid}
            portal_store.save(self.engine, record)
        datasource = {"type": "uploaded_file", "file": {"uid": file_uid}}
        resources = {r.get("uid"): r for r in self.client.resources(uid)}
        re_uid = record.resources.get(DATA_ROLE)
        if re_uid is None:
            re_uid = _lone_uploaded(resources.values())  # created by a run that stopped
        if re_uid is not None and re_uid in resources:
            body = {
                k: v for k, v in resources[re_uid].items() if k not in READ_ONLY_RESOURCE_FIELDS
            }
            body["datasource"] = datasource
            self.client.update_resource(uid, re_uid, body)
            log.info("Ressource %s du jeu %s pointée sur %s", re_uid, uid, file_uid)
        else:
            made = self.client.create_resource(
                uid,
                {
                    "type": "csvfile",
                    "title": data.title,
                    "params": CSV_PARAMS,
                    "datasource": datasource,
                },
            )
            re_uid = made["uid"]
            log.info("Ressource %s créée dans le jeu %s", re_uid, uid)
        record.resources[DATA_ROLE] = re_uid
        record.state.pop("uploaded", None)
        record.state.update(csv_sha1=digest, file_uid=file_uid, pending_publish="data")
        portal_store.save(self.engine, record)

    def _attachments(self, record: PortalDataset, files: list[RenderedFile]) -> _Attachments:
        """Read-only: what the attachments need (one listing, only when pictures matter)."""
        listed = (
            self.client.attachments(record.remote_id)
            if _lists_attachments(record.state, files)
            else []
        )
        return _attachment_work(record.state, files, listed)

    def _sync_attachments(self, record: PortalDataset, files: list[RenderedFile]) -> None:
        """Attach new pictures, replace changed ones (new first), delete what is ours only.

        Every uid is saved as soon as the portal gives or forgets it: a run stopped between
        an attachment and the deletion of its former version finishes the deletion.
        """
        work = self._attachments(record, files)
        state, uid = record.state, record.remote_id
        for picture, old in work.upload:
            posting: list[str] = state.setdefault(POSTING, [])
            if picture.name not in posting:
                posting.append(picture.name)
            _republish(state)
            portal_store.save(self.engine, record)
            made = self.client.add_attachment(uid, picture.name, picture.content, picture.mime)
            log.info("Pièce jointe %s ajoutée au jeu %s : %s", picture.name, uid, made["uid"])
            state.setdefault(ATTACHMENTS, {})[picture.name] = {
                "uid": made["uid"],
                "sha1": sha1(picture.content),
            }
            if old is not None:
                state.setdefault(TO_DELETE, []).append(old)
            posting.remove(picture.name)
            portal_store.save(self.engine, record)
            if old is not None:
                self._delete_attachment(record, old)
        for name, at_uid in work.retire:
            state.setdefault(TO_DELETE, []).append(at_uid)
            state[ATTACHMENTS].pop(name, None)
            portal_store.save(self.engine, record)
            self._delete_attachment(record, at_uid)
        for _, at_uid in work.stale:
            self._delete_attachment(record, at_uid)
        for name, at_uid in work.orphans:
            log.info("Pièce jointe %s (%s) d'un envoi interrompu : retrait", name, at_uid)
            self._delete_attachment(record, at_uid)
        # Everything listed was handled: uids to delete that the listing lacked are gone, a
        # lost answer's copy was an orphan, a picture not rendered nor listed is forgotten.
        state.pop(TO_DELETE, None)
        state.pop(POSTING, None)
        rendered = pictures(files)
        known = {n: a for n, a in (state.get(ATTACHMENTS) or {}).items() if n in rendered}
        if known:
            state[ATTACHMENTS] = known
        else:
            state.pop(ATTACHMENTS, None)
        portal_store.save(self.engine, record)

    def _delete_attachment(self, record: PortalDataset, at_uid: str) -> None:
        """Delete one of our attachments; already gone (404) counts as done."""
        _republish(record.state)
        try:
            self.client.delete_attachment(record.remote_id, at_uid)
        except OdsNotFound:
            log.info("Pièce jointe %s déjà absente du jeu %s", at_uid, record.remote_id)
        else:
            log.info("Pièce jointe %s retirée du jeu %s", at_uid, record.remote_id)
        pending = record.state.get(TO_DELETE) or []
        if at_uid in pending:
            pending.remove(at_uid)
        if not pending:
            record.state.pop(TO_DELETE, None)
        portal_store.save(self.engine, record)

    def _publish(self, entry: DatasetEntry, record: PortalDataset) -> None:
        uid = record.remote_id
        metadata_only = record.state.get("pending_publish") == "metadata"
        try:
            self.client.publish(uid, metadata_only=metadata_only)
        except OdsBusy:
            self._wait_until_resting(entry, uid)
            self.client.publish(uid, metadata_only=metadata_only)
        status = self._await(uid)
        if status is None:
            raise OdsStatusTimeout(
                f"le portail OpenDataSoft n'a pas fini de traiter le jeu « {entry.name} » "
                f"({uid}) en {self.timeout:g} s",
                url=self._location(entry),
            )
        if status.get("status") in FAILED:
            raise OdsProcessingFailed(_failure(entry, uid, status), url=self._location(entry))
        if not metadata_only and status.get("is_published") is False:
            raise OdsProcessingFailed(
                f"le jeu « {entry.name} » ({uid}) n'est pas publié après son traitement",
                url=self._location(entry),
            )
        record.state.pop("pending_publish", None)
        portal_store.save(self.engine, record)
        log.info("Jeu OpenDataSoft « %s » publié (%s)", entry.name, uid)

    def _await(self, uid: str) -> dict[str, Any] | None:
        """The first status that is not busy, or None once the timeout has passed."""
        deadline = self._clock() + self.timeout
        while True:
            status = self.client.status(uid)
            if status.get("status") not in BUSY:
                return status
            if self._clock() >= deadline:
                return None
            self._sleep(self.poll_interval)

    def _wait_until_resting(self, entry: DatasetEntry, uid: str) -> None:
        """Never write while the portal processes the dataset: wait, else stop untouched."""
        status = self.client.status(uid)
        if status.get("status") not in BUSY:
            return
        log.info("Jeu %s occupé (%s) : attente de la fin du traitement", uid, status["status"])
        if self._await(uid) is None:
            raise OdsBusy(
                f"le jeu « {entry.name} » ({uid}) est resté occupé (état « "
                f"{status.get('status')} ») plus de {self.timeout:g} s : rien n'a été modifié",
                url=self._location(entry),
            )

    def _fields(self, entry: DatasetEntry, metadata: dict[str, Any]) -> dict[str, Any]:
        licence = entry.metadata.licence_id
        return meta.fields(metadata, self.license_ids.get(licence) or None)

    def _target(self, entry: DatasetEntry) -> str:
        return f"{self.base_url} (jeu {entry.name})"

    def _location(self, entry: DatasetEntry) -> str:
        return f"{self.base_url}/explore/dataset/{entry.name}/"


def _data_file(entry: DatasetEntry, files: list[RenderedFile]) -> RenderedFile:
    name = f"{entry.name}.csv"
    for f in files:
        if f.name == name:
            return f
    raise OdsError(f"fichier {name} absent de la publication")  # pragma: no cover


def _lone_uploaded(resources: Any) -> str | None:
    uploaded = [
        r.get("uid")
        for r in resources
        if (r.get("datasource") or {}).get("type") == "uploaded_file"
    ]
    return uploaded[0] if len(uploaded) == 1 else None


def _failure(entry: DatasetEntry, uid: str, status: dict[str, Any]) -> str:
    """The portal's own words: its message and the first records' errors."""
    state = status.get("status")
    what = "a échoué" if state == "error" else "a dépassé une limite du portail"
    parts = [f"le traitement du jeu « {entry.name} » ({uid}) sur le portail OpenDataSoft {what}"]
    if status.get("message"):
        parts.append(f"message du portail : « {status['message']} »")
    errors = status.get("records_errors") or []
    shown = [f"{e.get('record_id') or '?'} : {e.get('message')}" for e in errors[:MAX_ERRORS_SHOWN]]
    if shown:
        more = f" (et {len(errors) - len(shown)} autres)" if len(errors) > len(shown) else ""
        parts.append(f"erreurs d'enregistrements : {' ; '.join(shown)}{more}")
    limit = (status.get("params") or {}).get("error")
    if state == "limit_reached" and limit:
        parts.append(f"limite : {limit}")
    return " ; ".join(parts)


__all__ = ["ATTACHMENTS", "DATA_ROLE", "TO_DELETE", "OdsPublisher", "pictures"]
