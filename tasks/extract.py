"""Extract stage tasks: the territory and the raw source files."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.errors import NotConfigured
from patrimoine.sources import ExtractResult
from patrimoine.territory import Territory


@task(name="resolve-territory", cache_policy=NONE)
def resolve_territory(settings: Settings) -> Territory:
    """Communes and contours of the territory (cached in the database, so no retry)."""
    return stages.resolve_territory_stage(settings)


@task(name="extract", cache_policy=NONE, task_run_name="extract-{name}")
def extract(settings: Settings, name: str) -> ExtractResult | stages.Unconfigured:
    """Download the dataset's source file (conditional GET).

    A source nobody configured is not a failure: the task completes with
    :class:`stages.Unconfigured` and the pipeline records « non configuré ».
    """
    try:
        return stages.extract_stage(settings, name)
    except NotConfigured as exc:
        return stages.Unconfigured(exc.cause, exc.hint)
