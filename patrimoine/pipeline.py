"""One path for every dataset: extract, transform, validate, stage, publish.

``refresh`` wires the stages, keeps the run ledger and turns every failure into an
outcome: it never raises for a dataset. The stages come in a :class:`Steps` bundle: plain
functions for tests and ``--no-prefect``, Prefect tasks (see ``tasks/``) inside flows.
Nothing here names a dataset.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrimoine import guards, stages
from patrimoine.config import Settings
from patrimoine.errors import (
    DatasetBusy,
    NotConfigured,
    PatrimoineError,
    PipelineError,
    StagingError,
    TerritoryError,
    ValidationFailed,
)
from patrimoine.staging import ledger
from patrimoine.staging.locks import dataset_lock
from patrimoine.transforms.stats import remarks_fr
from patrimoine.validation.report import ValidationReport

log = logging.getLogger(__name__)

SUMMARISED = {"patrimoine_summarised": True}
"""Marks failure lines the end-of-run summary repeats (the console prints them once)."""

STAGE_LABELS = {
    "database": "base de données",
    "territory": "territoire",
    "lock": "verrou",
    "extract": "extraction",
    "transform": "transformation",
    "validate": "validation",
    "stage": "mise en base",
    "publish": "publication",
    "done": "terminé",
}
"""The stages as the ledger stores them, and as people read them."""


@dataclass(frozen=True)
class Steps:
    """The stage callables a refresh uses (same signatures as :mod:`patrimoine.stages`)."""

    extract: Callable[..., Any] = stages.extract_stage
    transform: Callable[..., Any] = stages.transform_stage
    validate: Callable[..., Any] = stages.validate_stage
    stage: Callable[..., Any] = stages.stage_stage
    publish: Callable[..., Any] = stages.publish_stage


PLAIN_STEPS = Steps()


@dataclass
class Outcome:
    """How the refresh of one dataset ended; printed in the summary, sent in alerts.

    ``status``: updated, unchanged, held (à confirmer), failed, skipped (another run of the
    dataset was under way), unconfigured (its source setting is empty: left aside, not a
    failure) or dry-run.
    """

    dataset: str
    status: str
    run_id: str
    stage: str | None = None
    rows_read: int | None = None
    rows_kept: int | None = None
    rows_quarantined: int | None = None
    rows_published: int | None = None
    diff: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    location: str | None = None
    warnings: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    """Data-quality remarks of the transform, with identifiers (nothing was left out)."""
    quarantined: list[str] = field(default_factory=list)
    """Summaries of the row checks that left records out."""
    accept_drop: bool = False
    wall_time: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing for a person to do (a held refresh waits for a confirmation)."""
        return self.status not in ("failed", "held")


class Timer:
    """Per-stage durations, logged as each stage ends."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.timings: dict[str, float] = {}
        self.started = self._last = time.perf_counter()

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 3)
        self._last = now
        log.info(
            "%s : étape %s terminée en %.2f s",
            self.dataset,
            STAGE_LABELS.get(stage, stage),
            self.timings[stage],
        )

    @property
    def wall(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def _run_stages(
    settings: Settings,
    name: str,
    record: ledger.RunRecord,
    outcome: Outcome,
    timer: Timer,
    steps: Steps,
) -> None:
    """The stages in order; ``record.stage`` always names the stage under way."""
    record.stage = "extract"
    extracted = steps.extract(settings, name)
    if isinstance(extracted, stages.Unconfigured):  # the Prefect task returns it, see tasks/
        raise NotConfigured(extracted.cause, hint=extracted.hint)
    record.source_url, record.source_checksum = extracted.url, extracted.sha256
    timer.mark("extract")

    record.stage = "transform"
    output = steps.transform(settings, name, extracted.path, supplements=extracted.supplements)
    record.rows_read, record.rows_kept = output.stats["read"], output.source_rows
    record.details["transform"] = output.stats
    outcome.remarks = remarks_fr(output.stats)
    timer.mark("transform")

    record.stage = "validate"
    validated = steps.validate(settings, name, output)
    record.details["validation"] = validated.report
    report = ValidationReport.from_dict(validated.report)
    outcome.warnings = [p.summary for p in report.warnings]
    outcome.quarantined = [p.summary for p in report.row_problems]
    if not report.success:
        raise ValidationFailed(report.summary_fr(), report=validated.report)
    timer.mark("validate")

    record.stage = "stage"
    staged = steps.stage(
        settings,
        name,
        record.run_id,
        validated.quarantine,
        dry_run=record.dry_run,
        accept_drop=record.accept_drop,
    )
    diff = staged.diff
    record.added, record.removed, record.changed = diff.added, diff.removed, diff.changed
    record.rows_quarantined = staged.quarantined
    record.details["diff"] = diff.to_dict()
    record.details["guards"] = [f.to_dict() for f in staged.findings]
    outcome.diff = diff.to_dict()
    timer.mark("stage")
    if staged.findings and not staged.held and record.accept_drop:
        log.warning(
            "%s : baisse acceptée (--accept-drop) : %s", name, guards.summary_fr(staged.findings)
        )
    if staged.held:
        record.status, record.error = "held", guards.summary_fr(staged.findings)
        return
    record.stage = "publish"
    # Only stable identifiers: the national file changes every week, and a change
    # elsewhere in France must not republish this territory's unchanged data.
    source = {
        "jeu_de_donnees": extracted.page,
        "ressource": extracted.resource_id,
        "url": extracted.permalink or extracted.url,
    }
    if record.dry_run:
        planned = steps.publish(settings, name, source, dry_run=True)
        outcome.actions = planned.actions
        record.details["portal_plan"] = planned.actions
        record.status = "dry-run"
        record.stage = "done"
        return
    published = steps.publish(settings, name, source)
    record.rows_published = published.details.get("rows")
    record.output_checksum = published.details.get("output_checksum")
    record.status = "unchanged" if published.unchanged else "updated"
    outcome.actions, outcome.location = published.actions, published.location
    timer.mark("publish")
    record.stage = "done"


def _failed_without_ledger(name: str, exc: PatrimoineError) -> Outcome:
    """The database itself failed: there is no ledger to write to, say so in the outcome."""
    if isinstance(exc, PipelineError):
        exc.with_context(dataset=name, stage="database")
        message = _labelled(exc)
    else:
        message = f"[jeu « {name} », étape {STAGE_LABELS['database']}] {exc}"
    log.error("%s", message, extra=SUMMARISED)
    return Outcome(dataset=name, status="failed", run_id="", stage="database", error=message)


def refresh(
    settings: Settings,
    name: str,
    *,
    dry_run: bool = False,
    accept_drop: bool = False,
    steps: Steps = PLAIN_STEPS,
    territory_error: PipelineError | None = None,
) -> Outcome:
    """Refresh one dataset; never raises for a dataset failure, returns its outcome."""
    timer = Timer(name)
    record = ledger.RunRecord(
        run_id=uuid.uuid4().hex,
        dataset=name,
        started_at=datetime.now(UTC),
        offline=settings.offline,
        dry_run=dry_run,
        accept_drop=accept_drop,
    )
    try:
        engine = stages.engine_for(settings)
        ledger.start(engine, record)
    except PatrimoineError as exc:
        return _failed_without_ledger(name, exc)
    except Exception as exc:  # a driver error the staging layer did not wrap
        return _failed_without_ledger(name, StagingError(f"base de données inutilisable : {exc}"))
    outcome = Outcome(dataset=name, status="running", run_id=record.run_id, accept_drop=accept_drop)
    try:
        if territory_error is not None:
            record.stage = "territory"
            raise TerritoryError(
                territory_error.cause, url=territory_error.url, hint=territory_error.hint
            )
        record.stage = "lock"
        with dataset_lock(engine, name):
            if ledger.close_interrupted(engine, name, record.run_id):
                log.warning("%s : un run précédent avait été interrompu ; il est repris", name)
            _run_stages(settings, name, record, outcome, timer, steps)
    except NotConfigured as exc:
        exc.with_context(dataset=name, stage="extract")
        record.status, record.error = "unconfigured", _labelled(exc)
        log.warning("%s", record.error, extra=SUMMARISED)
    except DatasetBusy as exc:
        exc.with_context(dataset=name, stage="lock")
        record.status, record.error = "skipped", _labelled(exc)
        log.warning("%s", record.error, extra=SUMMARISED)
    except PipelineError as exc:
        exc.with_context(dataset=name, stage=record.stage or "extract")
        record.status, record.error = "failed", _labelled(exc)
        log.error("%s", record.error, extra=SUMMARISED)
    except PatrimoineError as exc:
        record.status = "failed"
        record.error = (
            f"[jeu « {name} », étape {STAGE_LABELS.get(record.stage or '', record.stage)}] {exc}"
        )
        log.error("%s", record.error, extra=SUMMARISED)
    except Exception as exc:  # a bug or an unexpected library error: keep the others going
        record.status = "failed"
        record.error = (
            f"[jeu « {name} », étape {STAGE_LABELS.get(record.stage or '', record.stage)}] "
            f"erreur inattendue : {exc!r} — relancez avec -v et signalez l'anomalie"
        )
        log.error("%s", record.error, exc_info=log.isEnabledFor(logging.DEBUG), extra=SUMMARISED)
    finally:
        record.details["timings"] = timer.timings
        try:
            ledger.finish(engine, record)
        except Exception as exc:  # the database went away during the run
            log.error("%s : le run n'a pas pu être enregistré dans la base : %s", name, exc)
    outcome.status, outcome.stage, outcome.error = record.status, record.stage, record.error
    outcome.rows_read, outcome.rows_kept = record.rows_read, record.rows_kept
    outcome.rows_quarantined, outcome.rows_published = (
        record.rows_quarantined,
        record.rows_published,
    )
    outcome.timings = timer.timings
    outcome.wall_time = timer.wall
    return outcome


def _labelled(exc: PipelineError) -> str:
    """The error's French line, with the stage as people read it."""
    stage = exc.stage
    exc.stage = STAGE_LABELS.get(stage or "", stage)
    try:
        return str(exc)
    finally:
        exc.stage = stage


def refresh_many(
    settings: Settings,
    names: list[str],
    *,
    dry_run: bool = False,
    accept_drop: bool = False,
    steps: Steps = PLAIN_STEPS,
    resolve: Callable[[Settings], Any] = stages.resolve_territory_stage,
    alert_clock: Callable[[], datetime] | None = None,
) -> list[Outcome]:
    """Resolve the territory once, refresh each dataset independently, then alert.

    ``alert_clock`` stands for the current time of the alert state (tests simulate days).
    """
    territory_error: PipelineError | None = None
    try:
        resolve(settings)
    except PipelineError as exc:
        territory_error = exc
    except Exception as exc:  # never let one answer stop every dataset without a ledger row
        territory_error = TerritoryError(f"résolution du territoire impossible : {exc!r}")
    outcomes = [
        refresh(
            settings,
            name,
            dry_run=dry_run,
            accept_drop=accept_drop,
            steps=steps,
            territory_error=territory_error,
        )
        for name in names
    ]
    report = _report(settings, outcomes, dry_run=dry_run)
    _alert(settings, outcomes, dry_run=dry_run, clock=alert_clock, report=report)
    return outcomes


def _report(settings: Settings, outcomes: list[Outcome], *, dry_run: bool) -> Path | None:
    """The run report and the portal's home page; a page problem never changes the outcomes."""
    try:
        from patrimoine import report  # late: report reads Outcome from this module

        return report.after_run(settings, outcomes, dry_run=dry_run)
    except Exception as exc:
        log.error("rapport du run non écrit : erreur inattendue (%s)", type(exc).__name__)
        return None


def _alert(
    settings: Settings,
    outcomes: list[Outcome],
    *,
    dry_run: bool,
    clock: Callable[[], datetime] | None,
    report: Path | None = None,
) -> None:
    """Every run alerts, whoever started it; an alert problem never changes the outcomes."""
    try:
        from patrimoine import alerts  # late: alerts reads Outcome from this module

        alerts.after_run(settings, outcomes, dry_run=dry_run, clock=clock, report=report)
    except Exception as exc:
        log.error("alertes non envoyées : erreur inattendue (%s)", type(exc).__name__)
