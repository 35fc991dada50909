"""The OpenDataSoft (Huwise) portal, through its Automation API v1.0.

``PATRIMOINE_PORTAL=ods`` with ``PATRIMOINE_ODS_URL`` (the portal's address) and
``PATRIMOINE_ODS_API_KEY``; see :mod:`patrimoine.publish.ods.publisher` for what is sent.
"""

from __future__ import annotations

from sqlalchemy import Engine

from patrimoine.config import Settings
from patrimoine.publish.ods.client import OdsClient
from patrimoine.publish.ods.errors import OdsError
from patrimoine.publish.ods.publisher import OdsPublisher


def publisher(settings: Settings, engine: Engine) -> OdsPublisher:
    """The publisher for ``settings``; both OpenDataSoft settings are required."""
    missing = [
        name
        for name, value in (
            ("PATRIMOINE_ODS_URL", settings.ods_url),
            ("PATRIMOINE_ODS_API_KEY", settings.ods_api_key),
        )
        if not value
    ]
    if missing:
        raise OdsError(
            f"portail OpenDataSoft demandé (PATRIMOINE_PORTAL) sans {' ni '.join(missing)}",
            hint="renseignez l'adresse du portail et une clé d'API ayant les droits de "
            "publication, ou retirez « ods » de PATRIMOINE_PORTAL",
        )
    # Each portal configures its own licence list: the catalog's id (lov2) is sent only as
    # the portal's own id for it, when the data manager gives one.
    licences = {"lov2": settings.ods_licence} if settings.ods_licence else {}
    return OdsPublisher(settings, engine, license_ids=licences)


__all__ = ["OdsClient", "OdsError", "OdsPublisher", "publisher"]
