"""The run ledger: one row per dataset refresh, whatever its outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

STATUSES = ("running", "updated", "unchanged", "failed", "dry-run")


@dataclass
class RunRecord:
    """Everything the ledger keeps about one refresh of one dataset."""

    run_id: str
    dataset: str
    started_at: datetime
    status: str = "running"
    stage: str | None = None
    offline: bool = False
    dry_run: bool = False
    ended_at: datetime | None = None
    rows_read: int | None = None
    rows_kept: int | None = None
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
    columns = list(record.row())
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO runs ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            record.row(),
        )


def finish(engine: Engine, record: RunRecord) -> None:
    record.ended_at = record.ended_at or datetime.now(UTC)
    values = record.row()
    columns = [c for c in values if c not in ("run_id",)]
    with engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE runs SET {', '.join(f'{c} = :{c}' for c in columns)} "
                "WHERE run_id = :run_id"
            ),
            values,
        )


def last_runs(engine: Engine) -> dict[str, dict[str, Any]]:
    """The latest run of each dataset, for ``patrimoine datasets``."""
    query = text(
        "SELECT r.dataset, r.status, r.stage, r.started_at, r.ended_at, r.rows_published, "
        "r.error FROM runs r JOIN (SELECT dataset, max(started_at) AS m FROM runs "
        "GROUP BY dataset) l ON l.dataset = r.dataset AND l.m = r.started_at"
    )
    with engine.connect() as conn:
        return {row.dataset: dict(row._mapping) for row in conn.execute(query)}


def runs_of(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(
            text("SELECT * FROM runs WHERE dataset = :d ORDER BY started_at"), {"d": dataset}
        )
        return [dict(r._mapping) for r in result]
