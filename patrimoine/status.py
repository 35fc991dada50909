"""Where each dataset stands: last run and why, last good publication, freshness.

Plain data computed from the run ledger, for ``patrimoine status``, ``patrimoine datasets``
and (later) alerts and reports. A lock collision (``skipped``) is not a run of the
dataset: the run that held the lock says how it went. A dataset whose source setting is
empty (``unconfigured``) is shown « non configuré », never « en retard ».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry
from patrimoine.staging import ledger, portal_store
from patrimoine.staging.portal_store import PortalDataset
from patrimoine.validation.report import ValidationReport

EFFECTIVE = ("updated", "unchanged", "held", "failed", "dry-run", "interrupted", "unconfigured")
"""Statuses of runs that really refreshed (or tried to refresh) the dataset."""


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    last_run: dict[str, Any] | None
    """Latest effective run (lock collisions and runs under way aside)."""
    last_success: dict[str, Any] | None
    """Latest run that confirmed the published data (updated or unchanged)."""
    last_update: dict[str, Any] | None
    """Latest run that changed the published data."""
    running: dict[str, Any] | None
    validation: str | None
    max_age_days: int | None
    now: datetime
    portals: tuple[PortalDataset, ...] = ()
    """Where the dataset was created on a remote portal, with its ids there."""

    @property
    def rows_published(self) -> int | None:
        return self.last_success["rows_published"] if self.last_success else None

    @property
    def rows_quarantined(self) -> int | None:
        return self.last_success["rows_quarantined"] if self.last_success else None

    @property
    def late(self) -> bool:
        """The last confirmation is older than the dataset's declared frequency allows."""
        if self.max_age_days is None:
            return False
        if self.last_run is not None and self.last_run["status"] == "unconfigured":
            return False  # left aside on purpose: « non configuré » says so, not « en retard »
        if self.last_success is None:
            return self.last_run is not None
        age: timedelta = self.now - self.last_success["started_at"]
        return age > timedelta(days=self.max_age_days)


STATUS_LABELS = {
    "updated": "mis à jour",
    "unchanged": "inchangé",
    "held": "à confirmer",
    "failed": "en échec",
    "skipped": "ignoré (un autre run était en cours)",
    "unconfigured": "non configuré",
    "dry-run": "simulation",
    "interrupted": "interrompu",
}
"""A run's status as a sentence says it (reports, digests)."""


def validation_summary(details: dict[str, Any]) -> str | None:
    """One French phrase for the validation outcome stored in a run's details."""
    stored = details.get("validation")
    if not stored:
        return None
    return report_summary(ValidationReport.from_dict(stored))


def report_summary(report: ValidationReport) -> str:
    """One French phrase for a validation report: blocked, or passed with its problems."""
    if report.blocking:
        return f"bloquée ({len(report.blocking)} contrôle(s) bloquant(s))"
    parts = []
    quarantined = sum(len(p.keys) for p in report.row_problems)
    if quarantined:
        parts.append(f"{quarantined} ligne(s) en quarantaine")
    if report.warnings:
        parts.append(f"{len(report.warnings)} avertissement(s)")
    return "réussie" + (f" ({', '.join(parts)})" if parts else "")


def dataset_status(
    engine: Engine, entry: DatasetEntry, now: datetime | None = None
) -> DatasetStatus:
    last = ledger.last_run(engine, entry.name, statuses=EFFECTIVE)
    return DatasetStatus(
        name=entry.name,
        last_run=last,
        last_success=ledger.last_run(engine, entry.name, statuses=ledger.SUCCESS),
        last_update=ledger.last_run(engine, entry.name, statuses=("updated",)),
        running=ledger.last_run(engine, entry.name, statuses=("running",)),
        validation=validation_summary(last["details"]) if last else None,
        max_age_days=entry.max_age_days,
        now=now or datetime.now(UTC),
        portals=tuple(portal_store.for_dataset(engine, entry.name)),
    )
