"""The ids portals gave our datasets and resources, kept in the staging database.

A remote publisher finds its dataset again by the id saved here after creation (never by
title, which re-slugs on data.gouv.fr) and replaces the files of the resources saved under
a stable role (``donnees-csv``, ``donnees-geojson``, ``changelog``, ``documentation``…), so
reusers' links never change. ``state`` is the publisher's own memo (e.g. a hash of the
metadata last sent), JSON, so that unchanged metadata is not sent again.

Saved as soon as the portal answers (dataset created, resource uploaded), in its own
transaction: a crash right after an upload leaves the id here, and the next run repairs
the resource's metadata instead of creating a second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text


@dataclass
class PortalDataset:
    """One catalog dataset on one portal (``portal`` kind at ``base_url``)."""

    portal: str
    base_url: str
    dataset: str
    remote_id: str
    resources: dict[str, str] = field(default_factory=dict)
    """Role → resource id on the portal."""
    state: dict[str, Any] = field(default_factory=dict)


def load(engine: Engine, portal: str, base_url: str, dataset: str) -> PortalDataset | None:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT remote_id, resources, state FROM portal_datasets "
                "WHERE portal = :portal AND base_url = :base_url AND dataset = :dataset"
            ),
            {"portal": portal, "base_url": base_url, "dataset": dataset},
        ).first()
    if row is None:
        return None
    return PortalDataset(
        portal, base_url, dataset, row.remote_id, json.loads(row.resources), json.loads(row.state)
    )


def for_dataset(engine: Engine, dataset: str) -> list[PortalDataset]:
    """Every portal the dataset was created on (for ``patrimoine status``)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT portal, base_url, remote_id, resources, state FROM portal_datasets "
                "WHERE dataset = :dataset ORDER BY portal, base_url"
            ),
            {"dataset": dataset},
        ).all()
    return [
        PortalDataset(
            r.portal, r.base_url, dataset, r.remote_id, json.loads(r.resources), json.loads(r.state)
        )
        for r in rows
    ]


def save(engine: Engine, record: PortalDataset) -> None:
    """Insert or update the record (one transaction: what the portal did is never lost)."""
    now = datetime.now(UTC)
    values = {
        "portal": record.portal,
        "base_url": record.base_url,
        "dataset": record.dataset,
        "remote_id": record.remote_id,
        "resources": json.dumps(record.resources, sort_keys=True),
        "state": json.dumps(record.state, sort_keys=True, ensure_ascii=False),
        "now": now,
    }
    key = "portal = :portal AND base_url = :base_url AND dataset = :dataset"
    with engine.begin() as conn:
        updated = conn.execute(
            text(
                "UPDATE portal_datasets SET remote_id = :remote_id, resources = :resources, "
                f"state = :state, updated_at = :now WHERE {key}"
            ),
            values,
        )
        if updated.rowcount == 0:
            conn.execute(
                text(
                    "INSERT INTO portal_datasets (portal, base_url, dataset, remote_id, "
                    "resources, state, created_at, updated_at) VALUES (:portal, :base_url, "
                    ":dataset, :remote_id, :resources, :state, :now, :now)"
                ),
                values,
            )


def forget(engine: Engine, portal: str, base_url: str, dataset: str) -> None:
    """Drop the record (the data manager chose to recreate the portal dataset)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM portal_datasets "
                "WHERE portal = :portal AND base_url = :base_url AND dataset = :dataset"
            ),
            {"portal": portal, "base_url": base_url, "dataset": dataset},
        )


__all__ = ["PortalDataset", "for_dataset", "forget", "load", "save"]
