"""The link to a flow run in the Prefect UI, from Prefect's own settings.

Only when Prefect is already loaded (a flow run, or the CLI's engine): a ``--no-prefect``
run has no run to link to and must not pay for importing Prefect.
"""

from __future__ import annotations

import sys


def flow_run_url(flow_run_id: str | None = None) -> str | None:
    """The UI address of the flow run (the current one by default), or None.

    None outside a flow run and when no UI address is known (``PREFECT_UI_URL``, else
    derived by Prefect from ``PREFECT_API_URL``).
    """
    if "prefect" not in sys.modules:
        return None
    try:
        from prefect.runtime import flow_run
        from prefect.settings import PREFECT_UI_URL

        run_id = flow_run_id or flow_run.id
        base = PREFECT_UI_URL.value()
    except Exception:  # a link is a convenience: never a reason to lose the alert
        return None
    if not run_id or not base:
        return None
    return f"{str(base).rstrip('/')}/runs/flow-run/{run_id}"


NIGHTLY_DEPLOYMENT = "nightly"
"""Name of the nightly deployment (``deployments/prefect.yaml``): its runs get the digest."""


def is_nightly_run() -> bool:
    """True inside a run of the nightly deployment (read from ``prefect.runtime``)."""
    if "prefect" not in sys.modules:
        return False
    try:
        from prefect.runtime import deployment

        return bool(deployment.name == NIGHTLY_DEPLOYMENT)
    except Exception:
        return False
