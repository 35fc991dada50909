"""Stage task: diff, guard and atomic promotion of the candidate table."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.staging.tables import Diff


@task(name="stage", cache_policy=NONE, task_run_name="stage-{name}")
def stage(settings: Settings, name: str, run_id: str, dry_run: bool = False) -> Diff:
    """Replace the staged table when the content changed; record the history."""
    return stages.stage_stage(settings, name, run_id, dry_run)
