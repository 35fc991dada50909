"""Nightly and on-demand refresh flows.

The flows take only plain parameters (names, flags) so a deployment can schedule them; the
settings come from ``patrimoine.toml`` and the ``PATRIMOINE_*`` environment of the worker.
"""

from __future__ import annotations

from prefect import flow

from patrimoine.catalog import load_catalog, select
from patrimoine.config import Settings, load_settings
from patrimoine.errors import RunFailed
from patrimoine.pipeline import Outcome, refresh_many
from tasks import resolve_territory, task_steps


def _settings(offline: bool) -> Settings:
    settings = load_settings()
    return settings.with_overrides(offline=True) if offline else settings


def _run(names: list[str] | None, offline: bool, dry_run: bool, accept_drop: bool) -> list[Outcome]:
    settings = _settings(offline)
    entries = select(load_catalog(settings.catalog_dir), names)
    outcomes = refresh_many(
        settings,
        [e.name for e in entries],
        dry_run=dry_run,
        accept_drop=accept_drop,
        steps=task_steps(settings),
        resolve=resolve_territory,
    )
    if any(not o.ok for o in outcomes):
        raise RunFailed(outcomes)
    return outcomes


@flow(name="refresh-dataset", log_prints=True)
def refresh_dataset(
    name: str, offline: bool = False, dry_run: bool = False, accept_drop: bool = False
) -> list[Outcome]:
    """Refresh one dataset of the catalog (``accept_drop`` confirms a held-back refresh)."""
    return _run([name], offline, dry_run, accept_drop)


@flow(name="refresh-all", log_prints=True)
def refresh_all(
    datasets: list[str] | None = None,
    offline: bool = False,
    dry_run: bool = False,
    accept_drop: bool = False,
) -> list[Outcome]:
    """Refresh every dataset of the catalog (or those named), each independently."""
    return _run(datasets, offline, dry_run, accept_drop)
