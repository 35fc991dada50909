"""The flow the deployments run: ``refresh-all`` with the run timeout of the settings.

A deployment points at a flow by name, and Prefect has no deployment-level timeout: a
``with_options`` copy made in ``deploy`` would be lost, because the worker loads the flow
again from its entrypoint. So the entrypoint is this module, which applies
``PATRIMOINE_RUN_TIMEOUT`` (read where the run executes) when the worker imports it; a
run that outlives it fails with a timeout state and the flow's failure hooks report it.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.refresh import refresh_all as _refresh_all
from patrimoine.config import Settings, load_settings
from patrimoine.deployments.definitions import timeout_seconds
from patrimoine.errors import PatrimoineError


def timed(run_timeout: float) -> Flow[..., Any]:
    """``refresh-all`` (same name, parameters and hooks) stopped after ``run_timeout`` s."""
    return _refresh_all.with_options(timeout_seconds=timeout_seconds(run_timeout))


def _configured_timeout() -> float:
    """The worker's ``run_timeout``; with bad settings the default, and the flow itself
    then fails on those settings, through its hooks, instead of a crash at import."""
    try:
        return load_settings().run_timeout
    except PatrimoineError:
        return Settings().run_timeout


refresh_all = timed(_configured_timeout())
