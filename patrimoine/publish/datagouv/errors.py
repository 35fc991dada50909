"""data.gouv.fr failures, each with the French sentence telling the data manager what to do.

    PublishError
    └── DatagouvError            the portal refused a call (status, message from its body)
        ├── DatagouvAuthError        401: key refused
        ├── DatagouvForbidden        403 / organization permission
        ├── DatagouvGone             410 or ``deleted``: the dataset was deleted on the portal
        ├── DatagouvArchived         the dataset is archived on the portal
        └── DatagouvUnavailable      timeouts, resets, 429, 5xx after the retries (transient)

The API key never enters a message: errors carry the URL, the status and the portal's
own message, never a request header.
"""

from __future__ import annotations

from typing import Any

from patrimoine.errors import PublishError


class DatagouvError(PublishError):
    """data.gouv.fr answered an error status (``status``, ``message`` from its JSON body)."""

    default_hint = "vérifiez les réglages PATRIMOINE_DATAGOUV_* puis relancez"

    def __init__(
        self, cause: str, *, status: int | None = None, message: str = "", **context: Any
    ) -> None:
        self.status = status
        self.message = message
        super().__init__(cause, **context)


class DatagouvAuthError(DatagouvError):
    default_hint = "vérifiez PATRIMOINE_DATAGOUV_API_KEY (clé valide, non révoquée, non expirée)"


class DatagouvForbidden(DatagouvError):
    default_hint = (
        "vérifiez PATRIMOINE_DATAGOUV_ORGANIZATION et que le compte de la clé est membre "
        "(éditeur ou administrateur) de cette organisation"
    )


class DatagouvGone(DatagouvError):
    default_hint = (
        "le jeu n'est pas recréé automatiquement : restaurez-le sur data.gouv.fr, ou supprimez "
        "son identifiant enregistré (table portal_datasets) pour en créer un nouveau"
    )


class DatagouvArchived(DatagouvError):
    default_hint = (
        "désarchivez le jeu sur data.gouv.fr pour reprendre sa mise à jour, ou supprimez son "
        "identifiant enregistré (table portal_datasets) pour en créer un nouveau"
    )


class DatagouvUnavailable(DatagouvError):
    default_hint = (
        "data.gouv.fr ne répond pas ou est en maintenance : relancez plus tard ; la reprise "
        "ne duplique ni jeu ni ressource"
    )

    def __init__(self, cause: str, **context: Any) -> None:
        context.setdefault("transient", True)
        super().__init__(cause, **context)


__all__ = [
    "DatagouvArchived",
    "DatagouvAuthError",
    "DatagouvError",
    "DatagouvForbidden",
    "DatagouvGone",
    "DatagouvUnavailable",
]
