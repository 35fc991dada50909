"""Stage task: quarantine, diff, guards, promotion with the record history."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings


@task(name="stage", cache_policy=NONE, task_run_name="stage-{name}")
def stage(
    settings: Settings,
    name: str,
    run_id: str,
    left_out: list[dict[str, Any]] | None = None,
    *,
    dry_run: bool = False,
    accept_drop: bool = False,
) -> stages.StageOutput:
    """Replace the staged records that changed; record their history."""
    return stages.stage_stage(
        settings, name, run_id, left_out, dry_run=dry_run, accept_drop=accept_drop
    )
