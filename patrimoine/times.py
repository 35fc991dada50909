"""Times: stored in UTC, read by people in Paris time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris(moment: datetime) -> datetime:
    """A stored time (naive means UTC, as SQLite returns them) in Paris time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def paris_text(moment: datetime | None) -> str:
    """« 01/12/2026 à 02:30 », or « jamais »."""
    return f"{paris(moment):%d/%m/%Y à %H:%M}" if moment else "jamais"
