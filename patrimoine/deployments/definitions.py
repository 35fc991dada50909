"""What the two deployments are, as plain data, and their Prefect objects.

The plain :class:`DeploymentSpec` is what ``deployments/prefect.yaml`` is checked against;
:func:`build_deployments` turns it into Prefect ``RunnerDeployment`` objects for ``serve``
and ``deploy``. Prefect is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from patrimoine.config import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

FLOW_NAME = "refresh-all"
NIGHTLY = "nightly"
ON_DEMAND = "on-demand"
WORK_POOL = "patrimoine"
TIMEZONE = "Europe/Paris"
PARIS = ZoneInfo(TIMEZONE)
ENTRYPOINT = "patrimoine.deployments.entrypoints.refresh_all"
"""A module path, not a file: the installed package is found whatever the worker's cwd."""

ENQUEUE = "ENQUEUE"
CANCEL_NEW = "CANCEL_NEW"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of ``refresh-all``, independent of Prefect's classes."""

    name: str
    description: str
    tags: tuple[str, ...]
    parameters: dict[str, Any]
    cron: str | None
    concurrency_limit: int = 1
    collision_strategy: str = ENQUEUE
    timeout_seconds: float | None = None
    timezone: str = field(default=TIMEZONE)

    @property
    def full_name(self) -> str:
        """How ``prefect deployment run`` names it: ``<flow>/<deployment>``."""
        return f"{FLOW_NAME}/{self.name}"


def nightly_cron(nightly_time: str) -> str:
    """``HH:MM`` (already validated by the settings) as a daily cron, read in Paris time."""
    hours, minutes = nightly_time.split(":")
    return f"{int(minutes)} {int(hours)} * * *"


def timeout_seconds(run_timeout: float) -> float | None:
    """``run_timeout`` for Prefect: 0 means no limit."""
    return run_timeout if run_timeout > 0 else None


def specs(settings: Settings) -> list[DeploymentSpec]:
    """The nightly and on-demand deployments for these settings.

    Nightly: at most one run at a time, and a run that would start while the previous one
    still runs is cancelled (CANCEL_NEW), not queued: the next night refreshes everything
    anyway, and a queue behind a stuck run would pile up duplicate work. On-demand: one at
    a time too, but queued (ENQUEUE): a run asked for by hand must not be dropped.
    """
    parameters = {
        "datasets": None,
        "offline": settings.offline,
        "dry_run": False,
        "accept_drop": False,
    }
    timeout = timeout_seconds(settings.run_timeout)
    return [
        DeploymentSpec(
            name=NIGHTLY,
            description=(
                f"Rafraîchissement nocturne de tous les jeux du catalogue, chaque nuit à "
                f"{settings.nightly_time} (heure de Paris). Un seul run à la fois : un run "
                "qui démarrerait pendant le précédent est annulé."
            ),
            tags=("patrimoine", "nightly"),
            parameters=dict(parameters),
            cron=nightly_cron(settings.nightly_time),
            collision_strategy=CANCEL_NEW,
            timeout_seconds=timeout,
        ),
        DeploymentSpec(
            name=ON_DEMAND,
            description=(
                "Rafraîchissement à la demande : datasets (liste de jeux, vide pour tous), "
                "dry_run (montrer sans publier), accept_drop (confirmer une publication "
                "retenue par une garde, « à confirmer »). Les demandes attendent leur tour."
            ),
            tags=("patrimoine", "manual"),
            parameters=dict(parameters),
            cron=None,
            collision_strategy=ENQUEUE,
            timeout_seconds=timeout,
        ),
    ]


def build_deployments(settings: Settings, work_pool: str | None = None) -> list[RunnerDeployment]:
    """Prefect deployments of :func:`specs` (for a work pool, or for ``serve`` with None)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.deployments.runner import RunnerDeployment
    from prefect.types.entrypoint import EntrypointType

    from patrimoine.deployments.entrypoints import timed

    deployments = []
    for spec in specs(settings):
        flow = timed(settings.run_timeout)
        deployment = cast(
            RunnerDeployment,
            flow.to_deployment(
                spec.name,
                schedules=(
                    [CronSchedule(cron=spec.cron, timezone=spec.timezone)] if spec.cron else None
                ),
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=spec.concurrency_limit,
                    collision_strategy=ConcurrencyLimitStrategy(spec.collision_strategy),
                ),
                parameters=spec.parameters,
                description=spec.description,
                tags=list(spec.tags),
                work_pool_name=work_pool,
                entrypoint_type=EntrypointType.MODULE_PATH,
            ),
        )
        deployment.entrypoint = ENTRYPOINT
        deployments.append(deployment)
    return deployments


def next_runs(cron: str, count: int, start: datetime) -> list[datetime]:
    """The next ``count`` times of a cron as Prefect's scheduler computes them, in Paris time.

    Uses the server-side schedule (the one the scheduler service calls), so daylight saving
    reads as it will happen: a time that does not exist in March runs an hour later, a time
    that exists twice in October runs once.
    """
    from prefect.server.schemas.schedules import CronSchedule as ServerCronSchedule
    from prefect.utilities.asyncutils import run_coro_as_sync

    schedule = ServerCronSchedule(cron=cron, timezone=TIMEZONE)
    dates = cast("list[datetime]", run_coro_as_sync(schedule.get_dates(n=count, start=start)))
    return [d.astimezone(PARIS) for d in dates]


def french_time(moment: datetime) -> str:
    """``lundi 30 mars 2026 à 02:30`` in Paris time, whatever the locale of the machine."""
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    local = moment.astimezone(PARIS)
    return (
        f"{days[local.weekday()]} {local.day} {months[local.month - 1]} {local.year} "
        f"à {local:%H:%M}"
    )


def describe(spec: DeploymentSpec, now: datetime) -> Sequence[str]:
    """French lines saying what a deployment does and, for the nightly one, when it runs."""
    lines = [f"  {spec.full_name} : {spec.description}"]
    if spec.cron:
        (upcoming,) = next_runs(spec.cron, 1, now)
        lines.append(f"    prochain run : {french_time(upcoming)} (heure de Paris)")
    return lines
