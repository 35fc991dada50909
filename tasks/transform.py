"""Transform stage task: raw file to candidate table."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings


@task(name="transform", cache_policy=NONE, task_run_name="transform-{name}")
def transform(
    settings: Settings, name: str, raw_path: Path, supplements: dict[str, Path] | None = None
) -> stages.TransformOutput:
    """Parse, clean and load the candidate table; returns its name and counts."""
    return stages.transform_stage(settings, name, raw_path, supplements=supplements)
