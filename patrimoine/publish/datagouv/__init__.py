"""data.gouv.fr publisher (udata API v1): client, payloads, plan and apply."""

from __future__ import annotations

from patrimoine.publish.datagouv.publisher import PORTAL, DatagouvPublisher, publisher

__all__ = ["PORTAL", "DatagouvPublisher", "publisher"]
