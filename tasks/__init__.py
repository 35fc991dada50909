"""Prefect tasks, one module per stage: thin wrappers around :mod:`patrimoine.stages`.

Tasks take settings and names or paths and return small results; caching is off because a
nightly refresh must look at the sources again every time. Only transient failures
(timeouts, connection resets, HTTP 429 and 5xx) are retried: a missing database, a
read-only portal or a broken file will not heal in a minute.
"""

from __future__ import annotations

from typing import Any

from patrimoine.config import Settings
from patrimoine.errors import is_transient
from patrimoine.pipeline import Steps
from tasks.extract import extract, resolve_territory
from tasks.publish import publish
from tasks.stage import stage
from tasks.transform import transform
from tasks.validate import validate


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry only what may heal by waiting."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


def task_steps(settings: Settings) -> Steps:
    """The Prefect version of the stages, network tasks retried as the settings say."""
    retries = settings.task_retries
    delays = [settings.task_retry_delay * 2**i for i in range(max(retries, 1))]
    return Steps(
        extract=extract.with_options(
            retries=retries, retry_delay_seconds=delays, retry_condition_fn=retry_if_transient
        ),
        transform=transform,
        validate=validate,
        stage=stage,
        publish=publish.with_options(
            retries=retries, retry_delay_seconds=delays, retry_condition_fn=retry_if_transient
        ),
    )


__all__ = [
    "extract",
    "publish",
    "resolve_territory",
    "retry_if_transient",
    "stage",
    "task_steps",
    "transform",
    "validate",
]
