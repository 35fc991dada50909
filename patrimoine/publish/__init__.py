"""Portals: the local folder (default), data.gouv.fr and OpenDataSoft, behind one interface.

``PATRIMOINE_PORTAL`` lists the portals a run publishes to, in order; each plans first
(reads only), then applies. The remote publishers are imported only when configured.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlalchemy import Engine

from patrimoine.config import Settings
from patrimoine.publish.base import PublicationPlan, PublicationResult, Publisher
from patrimoine.publish.local import LocalPublisher

Factory = Callable[[Settings, Engine], Publisher]

REMOTE = {
    "datagouv": "patrimoine.publish.datagouv",
    "ods": "patrimoine.publish.ods",
}
"""Portal kind → module exposing ``publisher(settings, engine)``."""


def _local(settings: Settings, engine: Engine) -> Publisher:
    return LocalPublisher(settings.portal_dir)


def factory(kind: str) -> Factory:
    if kind == "local":
        return _local
    module = importlib.import_module(REMOTE[kind])
    made: Factory = module.publisher
    return made


def make_publishers(settings: Settings, engine: Engine) -> list[Publisher]:
    """The configured portals, in the order ``PATRIMOINE_PORTAL`` gives them."""
    return [factory(kind)(settings, engine) for kind in settings.portal]


__all__ = [
    "LocalPublisher",
    "PublicationPlan",
    "PublicationResult",
    "Publisher",
    "make_publishers",
]
