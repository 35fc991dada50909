"""Prefect tasks, one module per stage: thin wrappers around :mod:`patrimoine.stages`.

Tasks take settings and names or paths and return small results; caching is off because a
nightly refresh must look at the sources again every time.
"""

from __future__ import annotations

from patrimoine.config import Settings
from patrimoine.pipeline import Steps
from tasks.extract import extract, resolve_territory
from tasks.publish import publish
from tasks.stage import stage
from tasks.transform import transform
from tasks.validate import validate


def task_steps(settings: Settings) -> Steps:
    """The Prefect version of the stages, network tasks retried as the settings say."""
    retries = settings.task_retries
    delays = [settings.task_retry_delay * 2**i for i in range(max(retries, 1))]
    return Steps(
        extract=extract.with_options(retries=retries, retry_delay_seconds=delays),
        transform=transform,
        validate=validate,
        stage=stage,
        publish=publish.with_options(retries=retries, retry_delay_seconds=delays),
    )


__all__ = [
    "extract",
    "publish",
    "resolve_territory",
    "stage",
    "task_steps",
    "transform",
    "validate",
]
