"""Extract stage tasks: the territory and the raw source files."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.sources import ExtractResult
from patrimoine.territory import Territory


@task(name="resolve-territory", cache_policy=NONE)
def resolve_territory(settings: Settings) -> Territory:
    """Communes and contours of the territory (cached in the database, so no retry)."""
    return stages.resolve_territory_stage(settings)


@task(name="extract", cache_policy=NONE, task_run_name="extract-{name}")
def extract(settings: Settings, name: str) -> ExtractResult:
    """Download the dataset's source file (conditional GET)."""
    return stages.extract_stage(settings, name)
