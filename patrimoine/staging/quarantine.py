"""Quarantined records: left out of a publication by a ``row`` check, kept with the reasons.

Each run that publishes records the records it left out, so the data manager can see what
is missing from the portal and why, and the next run starts again from the source.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    func,
    select,
)

from patrimoine.catalog import DatasetEntry
from patrimoine.staging.tables import candidate_table

quarantine = Table(
    "quarantine",
    MetaData(),
    Column("run_id", Text, primary_key=True),
    Column("dataset", Text, nullable=False),
    Column("record_key", Text, primary_key=True),
    Column("reasons", Text, nullable=False),
    Column("record", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Quarantined:
    """One record left out, with what the checks found wrong with it."""

    key: str
    reasons: list[str]
    record: dict[str, Any] = field(default_factory=dict)
    key_values: list[Any] | None = None
    """The record's key in the candidate table (None when it never reached it)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "reasons": self.reasons,
            "record": self.record,
            "key_values": self.key_values,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quarantined:
        return cls(
            key=str(data["key"]),
            reasons=list(data["reasons"]),
            record=dict(data.get("record") or {}),
            key_values=data.get("key_values"),
        )


def remove_from_candidate(
    conn: Connection, entry: DatasetEntry, records: Sequence[Quarantined]
) -> int:
    """Delete the quarantined records from the candidate; return how many rows went."""
    values = [r.key_values for r in records if r.key_values is not None]
    if not values:
        return 0
    cand = candidate_table(entry)
    where = and_(*(cand.c[k] == bindparam(f"k{i}") for i, k in enumerate(entry.business_key)))
    params = [{f"k{i}": v for i, v in enumerate(key)} for key in values]
    return int(conn.execute(cand.delete().where(where), params).rowcount or 0)


def record(
    conn: Connection,
    entry: DatasetEntry,
    run_id: str,
    now: datetime,
    records: Sequence[Quarantined],
) -> None:
    if not records:
        return
    conn.execute(
        quarantine.insert(),
        [
            {
                "run_id": run_id,
                "dataset": entry.name,
                "record_key": r.key,
                "reasons": json.dumps(r.reasons, ensure_ascii=False),
                "record": json.dumps(r.record, ensure_ascii=False, default=str),
                "recorded_at": now,
            }
            for r in records
        ],
    )


def of_run(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    query = (
        select(quarantine).where(quarantine.c.run_id == run_id).order_by(quarantine.c.record_key)
    )
    with engine.connect() as conn:
        return [
            {**dict(r), "reasons": json.loads(r["reasons"])} for r in conn.execute(query).mappings()
        ]


def count_of_run(engine: Engine, run_id: str) -> int:
    query = select(func.count()).select_from(quarantine).where(quarantine.c.run_id == run_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
