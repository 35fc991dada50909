"""What an alert says beyond the outcome, read from the run ledger: what stays published
and, for a validation failure, the checks that failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from patrimoine.staging import ledger
from patrimoine.validation.report import Problem, ValidationReport


@dataclass(frozen=True)
class Published:
    """The last good publication of a dataset (None fields: nothing was published yet)."""

    published_at: datetime | None = None
    """When the version online was published (the last ``updated`` run)."""
    rows: int | None = None
    confirmed_at: datetime | None = None
    """The last run that found the source unchanged or published it."""


@dataclass(frozen=True)
class DatasetFacts:
    published: Published = field(default_factory=Published)
    failed_checks: list[Problem] = field(default_factory=list)
    """The blocking checks of the run, for a validation failure."""


def _validation(run: dict[str, Any] | None) -> list[Problem]:
    stored = (run or {}).get("details", {}).get("validation")
    if not stored:
        return []
    return ValidationReport.from_dict(stored).blocking


def facts_for(engine: Engine, dataset: str, run_id: str | None) -> DatasetFacts:
    """The facts of ``dataset`` after its run ``run_id`` (empty id: no ledger row)."""
    update = ledger.last_run(engine, dataset, statuses=("updated",))
    success = ledger.last_run(engine, dataset, statuses=ledger.SUCCESS)
    published = Published(
        published_at=(update or {}).get("ended_at") or (update or {}).get("started_at"),
        rows=(update or {}).get("rows_published"),
        confirmed_at=(success or {}).get("ended_at") or (success or {}).get("started_at"),
    )
    run = ledger.run(engine, run_id) if run_id else None
    return DatasetFacts(published=published, failed_checks=_validation(run))
