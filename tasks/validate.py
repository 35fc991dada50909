"""Validate stage task: the GX suite gate."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings


@task(name="validate", cache_policy=NONE, task_run_name="validate-{name}")
def validate(settings: Settings, name: str, table: str) -> dict[str, Any]:
    """Run the suite; a blocking failure raises and stops this dataset."""
    return stages.validate_stage(settings, name, table)
