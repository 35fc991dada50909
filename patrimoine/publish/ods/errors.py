"""What can go wrong on an OpenDataSoft portal, as :class:`PublishError` subclasses.

PublishError
└── OdsError                 the portal refused or failed a call
    ├── OdsAuthError             401/403: the API key is wrong or lacks rights
    ├── OdsNotFound              404: a dataset, resource or attachment we stored is gone
    ├── OdsBusy                  the dataset stayed busy (or the portal said so)
    ├── OdsProcessingFailed      the publication ended in ``error``/``limit_reached``
    └── OdsStatusTimeout         the processing did not end within the timeout
"""

from __future__ import annotations

from patrimoine.errors import PublishError

AUTH_HINT = (
    "la clé doit appartenir à un compte ayant le droit de créer, modifier et publier des jeux "
    "sur ce portail ; rien n'a été modifié"
)


class OdsError(PublishError):
    """The OpenDataSoft portal refused or failed a call."""

    default_hint = (
        "vérifiez PATRIMOINE_ODS_URL et l'état du portail OpenDataSoft ; la version publiée "
        "reste en ligne"
    )


class OdsAuthError(OdsError):
    """The API key was refused (401/403)."""


class OdsNotFound(OdsError):
    """A dataset, resource or attachment patrimoine created is no longer on the portal."""


class OdsBusy(OdsError):
    """The dataset was being processed and did not become idle in time."""

    default_hint = (
        "un traitement est en cours sur le portail (publication manuelle, moissonnage…) : "
        "relancez après sa fin ou augmentez PATRIMOINE_ODS_STATUS_TIMEOUT"
    )


class OdsProcessingFailed(OdsError):
    """The portal's processing of the publication failed."""

    default_hint = (
        "ouvrez le jeu dans le back-office du portail pour voir les enregistrements en erreur ; "
        "la publication sera retentée au prochain run"
    )


class OdsStatusTimeout(OdsError):
    """The processing did not reach ``idle`` within ``PATRIMOINE_ODS_STATUS_TIMEOUT``."""

    default_hint = (
        "le portail traite encore le jeu : vérifiez son état dans le back-office, augmentez "
        "PATRIMOINE_ODS_STATUS_TIMEOUT si le jeu est gros ; la publication sera vérifiée au "
        "prochain run"
    )


__all__ = [
    "AUTH_HINT",
    "OdsAuthError",
    "OdsBusy",
    "OdsError",
    "OdsNotFound",
    "OdsProcessingFailed",
    "OdsStatusTimeout",
]
