"""Per-dataset alert state in the staging database: the no-flood rule.

- ``failed`` and ``held`` need attention: the first such run sends an alert; while the
  dataset keeps needing attention, a reminder every ``alert_reminder_days`` (0: never), and
  a new alert when it goes from failed to held or back (what to do is different).
- ``updated`` and ``unchanged`` end an episode: « retour à la normale », if an alert about
  it was delivered.
- Every other status (unconfigured, skipped, dry-run, interrupted) changes nothing.

An alert counts as sent only once a channel delivered it: when every channel failed (SMTP
down), the next run tries again instead of staying silent for a week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, MetaData, Table, Text, select

ATTENTION = ("failed", "held")
RECOVERY = ("updated", "unchanged")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# Mirrors the Alembic revision 20261202_alert_state.
alert_state = Table(
    "alert_state",
    MetaData(),
    Column("dataset", Text, primary_key=True),
    Column("failing_since", DateTime(timezone=True)),
    Column("last_status", Text),
    Column("last_cause", Text),
    Column("last_alert_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass
class AlertState:
    dataset: str
    failing_since: datetime | None = None
    last_status: str | None = None
    last_cause: str | None = None
    last_alert_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to send for one outcome (``kind`` None: nothing) and the state to keep."""

    kind: str | None
    """failure, reminder, recovered or None."""
    state: AlertState
    """The state to save once the message went out (or failed to)."""
    since: datetime | None
    """Since when the dataset needs attention (for reminders and recoveries)."""


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back
    return moment


def load(engine: Engine, dataset: str) -> AlertState:
    with engine.connect() as conn:
        row = conn.execute(select(alert_state).where(alert_state.c.dataset == dataset)).first()
    if row is None:
        return AlertState(dataset)
    return AlertState(
        dataset,
        failing_since=_aware(row.failing_since),
        last_status=row.last_status,
        last_cause=row.last_cause,
        last_alert_at=_aware(row.last_alert_at),
    )


def save(engine: Engine, state: AlertState, now: datetime) -> None:
    values = {
        "failing_since": state.failing_since,
        "last_status": state.last_status,
        "last_cause": state.last_cause,
        "last_alert_at": state.last_alert_at,
        "updated_at": now,
    }
    with engine.begin() as conn:
        done = conn.execute(
            alert_state.update().where(alert_state.c.dataset == state.dataset).values(**values)
        ).rowcount
        if not done:
            conn.execute(alert_state.insert().values(dataset=state.dataset, **values))


def decide(
    previous: AlertState, status: str, cause: str | None, now: datetime, reminder_days: float
) -> Decision:
    """The no-flood rule for one outcome (pure: the tests drive it with any clock)."""
    state = AlertState(**previous.__dict__)
    if status in ATTENTION:
        kind: str | None = None
        if state.failing_since is None:
            state.failing_since, kind = now, "failure"
        elif state.last_alert_at is None or state.last_status != status:
            kind = "failure"  # never delivered yet, or failed ↔ held: a new situation
        elif reminder_days and now - state.last_alert_at >= timedelta(days=reminder_days):
            kind = "reminder"
        state.last_status, state.last_cause = status, cause
        return Decision(kind, state, state.failing_since)
    if status in RECOVERY:
        since = state.failing_since
        kind = "recovered" if since is not None and state.last_alert_at is not None else None
        state.failing_since, state.last_status, state.last_cause = None, status, None
        return Decision(kind, state, since)
    return Decision(None, previous, previous.failing_since)
