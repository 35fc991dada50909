"""Nightly and on-demand refresh flows.

The flows take only plain parameters (names, flags) so a deployment can schedule them; the
settings come from ``patrimoine.toml`` and the ``PATRIMOINE_*`` environment of the worker.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import Flow, flow
from prefect.client.schemas.objects import FlowRun, State

from patrimoine import alerts
from patrimoine.alerts.links import flow_run_url
from patrimoine.catalog import load_catalog, select
from patrimoine.config import Settings, load_settings
from patrimoine.errors import RunFailed
from patrimoine.pipeline import Outcome, refresh_many
from tasks import resolve_territory, task_steps

log = logging.getLogger("patrimoine.alerts")


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


def _datasets_failed(state: State[Any]) -> bool:
    """The flow failed because a dataset did: each was alerted on its own already."""
    try:
        return isinstance(state.result(raise_on_failure=False), RunFailed)
    except Exception:
        return "RunFailed" in (state.message or "")


def alert_stopped(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Crash and failure hook: a crash alert, unless the failure is the datasets' own."""
    if not state.is_crashed() and _datasets_failed(state):
        return
    try:
        settings = _settings(bool(flow_run.parameters.get("offline", False)))
    except Exception as exc:
        setting = getattr(exc, "setting", type(exc).__name__)  # never the value: a secret?
        log.error("alerte d'arrêt du run non envoyée : réglage illisible (%s)", setting)
        return
    reason = state.message or state.name or "raison inconnue"
    alerts.flow_crashed(settings, reason, flow_run_url(str(flow_run.id)), flow_name=flow.name)


@flow(
    name="refresh-dataset",
    log_prints=True,
    on_crashed=[alert_stopped],
    on_failure=[alert_stopped],
)
def refresh_dataset(
    name: str, offline: bool = False, dry_run: bool = False, accept_drop: bool = False
) -> list[Outcome]:
    """Refresh one dataset of the catalog (``accept_drop`` confirms a held-back refresh)."""
    return _run([name], offline, dry_run, accept_drop)


@flow(
    name="refresh-all",
    log_prints=True,
    on_crashed=[alert_stopped],
    on_failure=[alert_stopped],
)
def refresh_all(
    datasets: list[str] | None = None,
    offline: bool = False,
    dry_run: bool = False,
    accept_drop: bool = False,
) -> list[Outcome]:
    """Refresh every dataset of the catalog (or those named), each independently."""
    return _run(datasets, offline, dry_run, accept_drop)
