"""Publish task: render and send to the portal (skipped when unchanged)."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.publish import PublicationResult


@task(name="publish", cache_policy=NONE, task_run_name="publish-{name}")
def publish(
    settings: Settings, name: str, source: dict[str, Any], dry_run: bool = False
) -> PublicationResult:
    """Publish the staged table's files and metadata sheet (``dry_run``: plan only)."""
    return stages.publish_stage(settings, name, source, dry_run=dry_run)
