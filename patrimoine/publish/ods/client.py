"""A small typed client of the OpenDataSoft Automation API v1.0 (the calls we need).

Built on the project's :class:`~patrimoine.http.client.HttpClient` so timeouts, resets,
429 and 5xx get the same retries as every source; every other status becomes an
:class:`~patrimoine.publish.ods.errors.OdsError` with the portal's own ``error_code`` and
``message``. The key travels in the ``Authorization: apikey`` header only (never in a URL,
which retries log), so it can appear in no message.
"""

from __future__ import annotations

from typing import Any

import httpx

from patrimoine.errors import SourceError
from patrimoine.http.client import HttpClient
from patrimoine.publish.ods.errors import (
    AUTH_HINT,
    OdsAuthError,
    OdsBusy,
    OdsError,
    OdsNotFound,
)

API_PATH = "/api/automation/v1.0/"
PAGE_SIZE = 100
"""Items asked per page of a paginated list (``limit``)."""
MAX_PAGES = 100
"""A bound on pages followed, so a portal whose ``next`` never ends cannot loop forever."""


class OdsClient:
    """``https://<domain>/api/automation/v1.0/`` with one API key."""

    def __init__(self, http: HttpClient, portal_url: str, api_key: str) -> None:
        self.http = http
        self.portal_url = portal_url.rstrip("/")
        self.base = self.portal_url + API_PATH
        self._headers = {"Authorization": f"apikey {api_key}", "Accept": "application/json"}

    # -- transport ------------------------------------------------------------------------
    def _call(self, method: str, path: str, what: str, *, retry: bool = True, **kwargs: Any) -> Any:
        """One call; ``what`` says in French what was attempted (for the error message)."""
        url = self.base + path
        try:
            response = self.http.send(method, url, retry=retry, headers=self._headers, **kwargs)
        except SourceError as exc:
            raise OdsError(
                f"{what} : portail OpenDataSoft injoignable ou en panne ({exc.cause})",
                url=url,
                hint="relancez plus tard ; la version publiée reste en ligne",
                transient=exc.transient,
            ) from exc
        if response.status_code >= 400:
            raise _error(response, what, url)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise OdsError(
                f"{what} : réponse du portail OpenDataSoft illisible (JSON attendu)", url=url
            ) from exc

    # -- datasets -------------------------------------------------------------------------
    def find_dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """The dataset whose ``dataset_id`` is given, or None (``GET datasets/?dataset_id=``)."""
        page = self._call(
            "GET",
            "datasets/",
            f"recherche du jeu « {dataset_id} »",
            params={"dataset_id": dataset_id, "limit": "2"},
        )
        matches = [d for d in page.get("results", []) if d.get("dataset_id") == dataset_id]
        return matches[0] if matches else None

    def get_dataset(self, uid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"datasets/{uid}/", f"lecture du jeu {uid}")
        return found

    def create_dataset(self, body: dict[str, Any]) -> dict[str, Any]:
        # Not retried blindly: a lost answer is repaired next run by ``find_dataset``.
        made: dict[str, Any] = self._call(
            "POST", "datasets/", "création du jeu", retry=False, json=body
        )
        return made

    def status(self, uid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
            "GET", f"datasets/{uid}/status/", f"lecture de l'état du jeu {uid}"
        )
        return found

    def publish(self, uid: str, *, metadata_only: bool = False) -> None:
        path = "publish_metadata/" if metadata_only else "publish/"
        self._call("POST", f"datasets/{uid}/{path}", f"publication du jeu {uid}")

    # -- metadata -------------------------------------------------------------------------
    def metadata(self, uid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
            "GET", f"datasets/{uid}/metadata/", f"lecture des métadonnées du jeu {uid}"
        )
        return found

    def put_metadata_field(self, uid: str, template: str, name: str, value: Any) -> None:
        """One field only: fields the data manager set on the portal stay as they are."""
        self._call(
            "PUT",
            f"datasets/{uid}/metadata/{template}/{name}/",
            f"mise à jour de la métadonnée {template}.{name} du jeu {uid}",
            json={"value": value},
        )

    # -- resources and files --------------------------------------------------------------
    def resources(self, uid: str) -> list[dict[str, Any]]:
        page = self._call(
            "GET",
            f"datasets/{uid}/resources/",
            f"lecture des ressources du jeu {uid}",
            params={"limit": "1000"},
        )
        results: list[dict[str, Any]] = page.get("results", [])
        return results

    def upload_file(self, uid: str, name: str, content: bytes, mime: str) -> dict[str, Any]:
        """``POST resources/files/`` (multipart ``file``): the DatasetFile, keep its ``uid``."""
        made: dict[str, Any] = self._call(
            "POST",
            f"datasets/{uid}/resources/files/",
            f"téléversement de {name} dans le jeu {uid}",
            files={"file": (name, content, mime)},
        )
        return made

    def create_resource(self, uid: str, resource: dict[str, Any]) -> dict[str, Any]:
        # Not retried blindly: a second resource would double every record.
        made: dict[str, Any] = self._call(
            "POST",
            f"datasets/{uid}/resources/",
            f"création de la ressource du jeu {uid}",
            retry=False,
            json=resource,
        )
        return made

    def update_resource(self, uid: str, re_uid: str, resource: dict[str, Any]) -> dict[str, Any]:
        made: dict[str, Any] = self._call(
            "PUT",
            f"datasets/{uid}/resources/{re_uid}/",
            f"mise à jour de la ressource {re_uid} du jeu {uid}",
            json=resource,
        )
        return made

    # -- attachments ----------------------------------------------------------------------
    def attachments(self, uid: str) -> list[dict[str, Any]]:
        """Every DatasetAttachment of the dataset (``uid``, ``filename``…), all pages read."""
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._call(
                "GET",
                f"datasets/{uid}/attachments/",
                f"lecture des pièces jointes du jeu {uid}",
                params={"limit": str(PAGE_SIZE), "offset": str(len(found))},
            )
            results = page.get("results") or []
            found += results
            if not page.get("next") or not results:
                break
        return found

    def add_attachment(self, uid: str, name: str, content: bytes, mime: str) -> dict[str, Any]:
        """``POST attachments/`` (multipart ``file``): the DatasetAttachment, keep its ``uid``."""
        # Not retried blindly: a second copy would stay on the portal; an attachment whose
        # answer was lost is found by its file name and removed by the next run.
        made: dict[str, Any] = self._call(
            "POST",
            f"datasets/{uid}/attachments/",
            f"ajout de la pièce jointe {name} au jeu {uid}",
            retry=False,
            files={"file": (name, content, mime)},
        )
        return made

    def delete_attachment(self, uid: str, at_uid: str) -> None:
        """Raises :class:`OdsNotFound` when the attachment is already gone."""
        self._call(
            "DELETE",
            f"datasets/{uid}/attachments/{at_uid}/",
            f"suppression de la pièce jointe {at_uid} du jeu {uid}",
        )


def _error(response: httpx.Response, what: str, url: str) -> OdsError:
    """The French error for an error status, with the portal's code and message."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("error_code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    detail = body.get("detail") if isinstance(body, dict) else None
    said = f" : « {message} »" if message else ""
    if detail:
        said += f" ({detail})"
    if status in (401, 403):
        return OdsAuthError(
            f"clé d'API refusée par le portail OpenDataSoft : vérifiez PATRIMOINE_ODS_API_KEY "
            f"({what}, HTTP {status}{said})",
            url=url,
            hint=AUTH_HINT,
        )
    if status == 404:
        return OdsNotFound(f"{what} : introuvable sur le portail OpenDataSoft (HTTP 404)", url=url)
    if code == "invalid_dataset_status":
        return OdsBusy(f"{what} : le jeu est en cours de traitement sur le portail{said}", url=url)
    label = f"{code}, " if code else ""
    return OdsError(
        f"{what} : refusé par le portail OpenDataSoft ({label}HTTP {status}){said}", url=url
    )


__all__ = ["API_PATH", "PAGE_SIZE", "OdsClient"]
