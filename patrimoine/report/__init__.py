"""What a person reads after a run: the French run report and the local portal's home page.

:func:`after_run` runs at the end of every run (like the alerts, before them, so the alert
e-mails can point to the report). It never raises: a page that cannot be written must not
change a run's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from patrimoine.config import Settings
from patrimoine.pipeline import Outcome

log = logging.getLogger(__name__)


def after_run(
    settings: Settings,
    outcomes: Sequence[Outcome],
    *,
    dry_run: bool = False,
    when: datetime | None = None,
) -> Path | None:
    """Write the territory page (and declare it), the run report, the Prefect artifacts
    and the home page; the report's path.

    A dry run gets its report too, marked « simulation », but neither ``dernier.html`` nor
    the home page follow it: it published nothing.
    """
    from patrimoine.publish import territory
    from patrimoine.report import artifacts, home, run_report

    shared = territory.publish(settings, dry_run=dry_run)  # never raises
    path: Path | None = None
    try:
        report = run_report.build(settings, outcomes, dry_run=dry_run, when=when, shared=shared)
        path = run_report.write(settings, report)
        log.info("rapport du run : %s", path)
        artifacts.publish(report, path)
    except Exception as exc:
        log.error("rapport du run non écrit : erreur inattendue (%s: %s)", type(exc).__name__, exc)
    if not dry_run:
        try:
            home.write(settings)
        except Exception as exc:
            log.error(
                "page d'accueil du portail non écrite : erreur inattendue (%s: %s)",
                type(exc).__name__,
                exc,
            )
    return path


__all__ = ["after_run"]
