"""Validate stage task: the source and published suites."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings


@task(name="validate", cache_policy=NONE, task_run_name="validate-{name}")
def validate(
    settings: Settings, name: str, output: stages.TransformOutput
) -> stages.ValidationOutput:
    """Run both suites; the pipeline reads the report (quarantine, block, warn)."""
    return stages.validate_stage(settings, name, output)
