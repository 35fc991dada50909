"""The run ledger: one row per dataset refresh, whatever its outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    MetaData,
    Table,
    Text,
    func,
    select,
)

SUCCESS = ("updated", "unchanged")
"""Statuses that confirm the published data is the current state of the source."""

# Mirrors the Alembic revisions, so values come back typed on every backend.
runs = Table(
    "runs",
    MetaData(),
    Column("run_id", Text, primary_key=True),
    Column("dataset", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("stage", Text),
    Column("offline", Boolean, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("accept_drop", Boolean, nullable=False),
    *(
        Column(name, BigInteger)
        for name in (
            "rows_read",
            "rows_kept",
            "rows_quarantined",
            "rows_published",
            "added",
            "removed",
            "changed",
        )
    ),
    *(
        Column(name, Text)
        for name in (
            "source_url",
            "source_checksum",
            "output_checksum",
            "error",
            "details",
        )
    ),
)


@dataclass
class RunRecord:
    """Everything the ledger keeps about one refresh of one dataset.

    ``status``: running, updated, unchanged, held (à confirmer), failed, skipped (another
    run held the lock), dry-run, interrupted (the process died).
    """

    run_id: str
    dataset: str
    started_at: datetime
    status: str = "running"
    stage: str | None = None
    offline: bool = False
    dry_run: bool = False
    accept_drop: bool = False
    ended_at: datetime | None = None
    rows_read: int | None = None
    rows_kept: int | None = None
    rows_quarantined: int | None = None
    rows_published: int | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    source_url: str | None = None
    source_checksum: str | None = None
    output_checksum: str | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["details"] = json.dumps(self.details, ensure_ascii=False, default=str)
        return data


def start(engine: Engine, record: RunRecord) -> None:
    with engine.begin() as conn:
        conn.execute(runs.insert().values(**record.row()))


def finish(engine: Engine, record: RunRecord) -> None:
    record.ended_at = record.ended_at or datetime.now(UTC)
    values = record.row()
    run_id = values.pop("run_id")
    with engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.run_id == run_id).values(**values))


def close_interrupted(engine: Engine, dataset: str, current_run: str) -> int:
    """Mark runs left "running" by a process that died as interrupted.

    Called under the dataset's lock, so no other run of the dataset can be alive.
    """
    query = (
        runs.update()
        .where(runs.c.dataset == dataset, runs.c.status == "running", runs.c.run_id != current_run)
        .values(status="interrupted", error="processus arrêté avant la fin du run")
    )
    with engine.begin() as conn:
        return conn.execute(query).rowcount


def _as_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    try:
        data["details"] = json.loads(data.get("details") or "{}")
    except ValueError:
        data["details"] = {}
    for key in ("started_at", "ended_at"):
        if isinstance(data.get(key), datetime) and data[key].tzinfo is None:
            data[key] = data[key].replace(tzinfo=UTC)  # SQLite gives naive UTC back
    return data


def last_runs(
    engine: Engine, *, statuses: tuple[str, ...] | None = None
) -> dict[str, dict[str, Any]]:
    """The latest run of each dataset (among ``statuses`` when given), details decoded."""
    base = select(runs.c.dataset, func.max(runs.c.started_at).label("m"))
    if statuses is not None:
        base = base.where(runs.c.status.in_(statuses))
    latest = base.group_by(runs.c.dataset).subquery()
    query = select(runs).join(
        latest, (latest.c.dataset == runs.c.dataset) & (latest.c.m == runs.c.started_at)
    )
    if statuses is not None:
        query = query.where(runs.c.status.in_(statuses))
    with engine.connect() as conn:
        return {row.dataset: _as_dict(row) for row in conn.execute(query)}


def last_run(
    engine: Engine, dataset: str, *, statuses: tuple[str, ...] | None = None
) -> dict[str, Any] | None:
    query = select(runs).where(runs.c.dataset == dataset)
    if statuses is not None:
        query = query.where(runs.c.status.in_(statuses))
    query = query.order_by(runs.c.started_at.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _as_dict(row) if row is not None else None


def runs_of(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    query = select(runs).where(runs.c.dataset == dataset).order_by(runs.c.started_at)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def run(engine: Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.run_id == run_id)).first()
    return _as_dict(row) if row is not None else None
