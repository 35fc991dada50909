"""The run report's summary as Prefect artifacts, when the run is a Prefect flow run.

Only when Prefect is already imported: a ``--no-prefect`` run must not pay for importing it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from patrimoine.report.run_report import RunReport

log = logging.getLogger(__name__)

MARKDOWN_KEY = "rapport-du-run"
TABLE_KEY = "bilan-des-jeux"


def in_flow_run() -> bool:
    if "prefect" not in sys.modules:
        return False
    try:
        from prefect.runtime import flow_run

        return bool(flow_run.id)
    except Exception:
        return False


def publish(report: RunReport, report_path: Path | None = None) -> bool:
    """Create the markdown and table artifacts; True when both were created."""
    if not in_flow_run():
        return False
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact

        create_markdown_artifact(
            markdown=report.markdown(report_path),
            key=MARKDOWN_KEY,
            description="Rapport du run (résumé)",
        )
        create_table_artifact(
            table=report.rows(), key=TABLE_KEY, description="Bilan par jeu de données"
        )
    except Exception as exc:  # an artifact is a convenience, never a reason to fail the run
        log.warning("artefacts Prefect du rapport non créés : %s", exc)
        return False
    return True
