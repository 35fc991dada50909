"""A small typed client for the udata API v1 of data.gouv.fr, on the project's HTTP layer.

Why not ``datagouv-client`` 0.5.1: it only targets the three hosted environments (no base
URL, so no local portal to test against) and has no chunked upload. This client speaks
only the calls the publisher needs, maps every error status to a French sentence, and
never lets the API key out of the ``X-API-KEY`` header.

Creations (a new dataset, a new resource, the last call of a chunked upload) are sent
once (``retry=False``): on a transient failure the caller reads the portal again to learn
whether the server did it before trying again. Reads, metadata ``PUT`` and chunk parts are
idempotent and retried by :meth:`HttpClient.send`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from patrimoine.errors import PipelineError
from patrimoine.http.client import HttpClient
from patrimoine.publish.datagouv.errors import (
    DatagouvAuthError,
    DatagouvError,
    DatagouvForbidden,
    DatagouvGone,
    DatagouvUnavailable,
)

CHUNK_THRESHOLD = 20 * 1000 * 1000
"""Files above this size go through the chunked upload (what data.gouv.fr's front does)."""
CHUNK_SIZE = 20 * 1000 * 1000
API_KEY_HEADER = "X-API-KEY"
PAGE_SIZE = 100


@dataclass(frozen=True)
class Upload:
    """A file to send: its name on the portal, its bytes and media type."""

    name: str
    content: bytes
    mime: str


def portal_message(response: httpx.Response) -> str:
    """The portal's own explanation: ``message``, ``error`` or ``errors`` of its JSON body."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "").split(";")[0] or "sans type"
        return f"réponse non JSON ({kind})"
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("message", "error") if body.get(k)]
    if body.get("errors"):
        parts.append(json.dumps(body["errors"], ensure_ascii=False, sort_keys=True))
    return " ; ".join(parts)[:400]


def error_for(response: httpx.Response, what: str, url: str) -> DatagouvError:
    """The French error for an error status (never retried: it needs a human)."""
    status = response.status_code
    message = portal_message(response)
    said = f" (data.gouv.fr : {message})" if message else ""
    context: dict[str, Any] = {"status": status, "message": message, "url": url}
    if status == 401:
        return DatagouvAuthError(
            "clé d'API refusée par data.gouv.fr : vérifiez PATRIMOINE_DATAGOUV_API_KEY" + said,
            **context,
        )
    if status == 403 or (status == 400 and "organization" in message):
        return DatagouvForbidden(
            f"data.gouv.fr refuse l'écriture ({what}) : droits insuffisants{said}", **context
        )
    if status == 404:
        return DatagouvError(
            f"introuvable sur data.gouv.fr ({what}){said}",
            hint=(
                "vérifiez PATRIMOINE_DATAGOUV_PUBLISH_URL ; si le jeu ou la ressource a été "
                "supprimé à la main, supprimez son identifiant enregistré (table portal_datasets)"
            ),
            **context,
        )
    if status == 410:
        return DatagouvGone(f"le jeu a été supprimé sur data.gouv.fr ({what}){said}", **context)
    if status == 413:
        return DatagouvError(
            f"fichier trop volumineux pour le serveur de data.gouv.fr ({what}, HTTP 413)",
            hint=(
                "un proxy limite la taille des requêtes : l'envoi par morceaux s'applique "
                "au-delà de 20 Mo ; signalez la limite à l'équipe de data.gouv.fr"
            ),
            **context,
        )
    if status == 415:
        return DatagouvError(
            f"data.gouv.fr refuse le type du fichier ({what}, HTTP 415){said}",
            hint="le fichier envoyé n'a pas le contenu attendu (CSV, GeoJSON, texte) : signalez-le",
            **context,
        )
    if status == 423:
        return DatagouvError(
            f"data.gouv.fr refuse temporairement toute création ({what}, HTTP 423){said}",
            hint="la plateforme est en lecture seule ou en mode anti-spam : relancez plus tard",
            **context,
        )
    if status == 400:
        return DatagouvError(
            f"data.gouv.fr a refusé la requête ({what}, HTTP 400){said}",
            hint=(
                "corrigez les métadonnées du jeu dans le catalogue (licence, fréquence, "
                "zones, mots-clés) ou PATRIMOINE_SCHEMA_BASE_URL, puis relancez"
            ),
            **context,
        )
    return DatagouvError(f"data.gouv.fr a répondu HTTP {status} ({what}){said}", **context)


class DatagouvClient:
    """The udata calls of a publication: datasets, uploads (single or chunked), resources."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        api_key: str,
        *,
        chunk_threshold: int = CHUNK_THRESHOLD,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.chunk_threshold = chunk_threshold
        self.chunk_size = chunk_size

    def __repr__(self) -> str:  # the key stays out of any repr that might be logged
        return f"DatagouvClient({self.base_url!r})"

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/1/{path.lstrip('/')}"

    # -- plumbing ---------------------------------------------------------------------
    def _call(
        self, method: str, path: str, what: str, *, retry: bool = True, **kwargs: Any
    ) -> httpx.Response:
        url = self.url(path)
        headers = {"Accept": "application/json", API_KEY_HEADER: self._api_key}
        try:
            response = self.http.send(method, url, retry=retry, headers=headers, **kwargs)
        except PipelineError as exc:
            raise DatagouvUnavailable(
                f"data.gouv.fr n'a pas répondu ({what}) : {exc.cause}", url=url
            ) from exc
        if response.status_code >= 400:
            raise error_for(response, what, url)
        return response

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DatagouvError(
                f"réponse illisible de data.gouv.fr ({what}) : objet JSON attendu",
                status=response.status_code,
                url=str(response.request.url),
            )
        return body

    # -- datasets ---------------------------------------------------------------------
    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        """The dataset with its resources (a former slug is followed: 308)."""
        what = f"lecture du jeu {dataset_id}"
        return self._json(self._call("GET", f"datasets/{dataset_id}/", what), what)

    def create_dataset(self, payload: dict[str, Any]) -> dict[str, Any]:
        what = "création du jeu"
        return self._json(self._call("POST", "datasets/", what, retry=False, json=payload), what)

    def update_dataset(self, dataset_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        what = f"mise à jour des métadonnées du jeu {dataset_id}"
        return self._json(self._call("PUT", f"datasets/{dataset_id}/", what, json=payload), what)

    def organization_datasets(self, organization: str) -> Iterator[dict[str, Any]]:
        """Every dataset of the organization (private ones too: the key is a member's)."""
        page = 1
        while True:
            what = f"liste des jeux de l'organisation {organization}"
            body = self._json(
                self._call(
                    "GET",
                    f"organizations/{organization}/datasets/",
                    what,
                    params={"page": page, "page_size": PAGE_SIZE},
                ),
                what,
            )
            yield from body.get("data") or []
            if not body.get("next_page"):
                return
            page += 1

    # -- resources --------------------------------------------------------------------
    def update_resource(
        self, dataset_id: str, resource_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        what = f"mise à jour de la ressource {resource_id}"
        path = f"datasets/{dataset_id}/resources/{resource_id}/"
        return self._json(self._call("PUT", path, what, json=payload), what)

    def upload(
        self, dataset_id: str, upload: Upload, resource_id: str | None = None
    ) -> dict[str, Any]:
        """Upload a new resource (``resource_id`` None) or replace that resource's file.

        Above ``chunk_threshold`` the file goes in parts of ``chunk_size`` (retried one by
        one: a part sent twice overwrites itself), then a last call without file asks the
        portal to assemble them; that call, like a single upload, is sent once.
        """
        if resource_id is None:
            path, what = f"datasets/{dataset_id}/upload/", f"envoi de {upload.name}"
        else:
            path = f"datasets/{dataset_id}/resources/{resource_id}/upload/"
            what = f"remplacement du fichier de la ressource {resource_id}"
        size = len(upload.content)
        if size <= self.chunk_threshold:
            files = {"file": (upload.name, upload.content, upload.mime)}
            return self._uploaded(self._call("POST", path, what, retry=False, files=files), what)
        token = str(uuid.uuid4())
        offsets = range(0, size, self.chunk_size)
        for index, offset in enumerate(offsets):
            part = upload.content[offset : offset + self.chunk_size]
            fields = {
                "uuid": token,
                "filename": upload.name,
                "partindex": str(index),
                "partbyteoffset": str(offset),
                "totalparts": str(len(offsets)),
                "chunksize": str(len(part)),
            }
            files = {"file": (upload.name, part, "application/octet-stream")}
            part_what = f"{what}, morceau {index + 1}/{len(offsets)}"
            self._uploaded(self._call("POST", path, part_what, data=fields, files=files), what)
        final = {"uuid": token, "filename": upload.name, "totalparts": str(len(offsets))}
        return self._uploaded(self._call("POST", path, what, retry=False, data=final), what)

    # -- reuses -----------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        what = "lecture du compte de la clé d'API"
        return self._json(self._call("GET", "me/", what), what)

    def get_reuse(self, reuse_id: str) -> dict[str, Any]:
        what = f"lecture de la réutilisation {reuse_id}"
        return self._json(self._call("GET", f"reuses/{reuse_id}/", what), what)

    def create_reuse(self, payload: dict[str, Any]) -> dict[str, Any]:
        what = "création de la réutilisation"
        return self._json(self._call("POST", "reuses/", what, retry=False, json=payload), what)

    def update_reuse(self, reuse_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        what = f"mise à jour de la réutilisation {reuse_id}"
        return self._json(self._call("PUT", f"reuses/{reuse_id}/", what, json=payload), what)

    def reuses(self, **filters: str) -> Iterator[dict[str, Any]]:
        """The reuses matching ``organization=`` or ``owner=`` (private ones too: ours)."""
        page = 1
        while True:
            what = "liste des réutilisations"
            params: dict[str, Any] = {**filters, "page": page, "page_size": PAGE_SIZE}
            body = self._json(self._call("GET", "reuses/", what, params=params), what)
            yield from body.get("data") or []
            if not body.get("next_page"):
                return
            page += 1

    def upload_reuse_image(self, reuse_id: str, upload: Upload) -> dict[str, Any]:
        """Replace the reuse's image (sending it twice only replaces it twice: retried)."""
        what = f"envoi de l'image de la réutilisation {reuse_id}"
        files = {"file": (upload.name, upload.content, upload.mime)}
        return self._uploaded(
            self._call("POST", f"reuses/{reuse_id}/image/", what, files=files), what
        )

    def _uploaded(self, response: httpx.Response, what: str) -> dict[str, Any]:
        body = self._json(response, what)
        if body.get("success") is False:
            raise DatagouvError(
                f"data.gouv.fr a refusé l'envoi ({what}) : {body.get('error', '')}",
                status=response.status_code,
                url=str(response.request.url),
            )
        return body


__all__ = ["CHUNK_SIZE", "CHUNK_THRESHOLD", "DatagouvClient", "Upload", "error_for"]
