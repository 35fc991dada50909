"""One path for every dataset: extract, transform, validate, stage, publish.

``refresh`` wires the stages, keeps the run ledger and turns failures into an outcome. The
stages come in a :class:`Steps` bundle: plain functions for tests and ``--no-prefect``,
Prefect tasks (see ``tasks/``) inside flows. Nothing here names a dataset.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.errors import PatrimoineError, PipelineError, TerritoryError, ValidationFailed
from patrimoine.staging import ledger
from patrimoine.staging.locks import dataset_lock
from patrimoine.staging.tables import Diff

log = logging.getLogger(__name__)


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
    """How the refresh of one dataset ended; printed in the summary, sent in alerts."""

    dataset: str
    status: str  # updated | unchanged | failed | dry-run
    run_id: str
    stage: str | None = None
    rows_read: int | None = None
    rows_kept: int | None = None
    rows_published: int | None = None
    diff: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    location: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class Timer:
    """Per-stage durations, logged as each stage ends."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 3)
        self._last = now
        log.info("%s : étape %s terminée en %.2f s", self.dataset, stage, self.timings[stage])


def _run_stages(
    settings: Settings,
    name: str,
    record: ledger.RunRecord,
    outcome: Outcome,
    timer: Timer,
    dry_run: bool,
    steps: Steps,
) -> None:
    """The stages in order; ``record.stage`` always names the stage under way."""
    record.stage = "extract"
    extracted = steps.extract(settings, name)
    record.source_url, record.source_checksum = extracted.url, extracted.sha256
    timer.mark("extract")

    record.stage = "transform"
    output = steps.transform(settings, name, extracted.path)
    record.rows_read, record.rows_kept = output.stats["read"], output.rows
    record.details["transform"] = output.stats
    timer.mark("transform")

    record.stage = "validate"
    try:
        report = steps.validate(settings, name, output.table)
    except ValidationFailed as exc:
        record.details["validation"] = exc.report
        raise
    record.details["validation"] = report
    outcome.warnings = [p["title"] for p in report.get("problems", [])]
    timer.mark("validate")

    record.stage = "stage"
    diff: Diff = steps.stage(settings, name, record.run_id, dry_run)
    record.added, record.removed, record.changed = diff.added, diff.removed, diff.changed
    outcome.diff = diff.to_dict()
    timer.mark("stage")

    if dry_run:
        record.status = "dry-run"
    else:
        record.stage = "publish"
        # Only stable identifiers: the national file changes every week, and a change
        # elsewhere in France must not republish this territory's unchanged data.
        source = {
            "jeu_de_donnees": extracted.page,
            "ressource": extracted.resource_id,
            "url": extracted.permalink or extracted.url,
        }
        published = steps.publish(settings, name, source)
        record.rows_published = published.details.get("rows")
        record.output_checksum = published.details.get("output_checksum")
        record.status = "unchanged" if published.unchanged else "updated"
        outcome.actions, outcome.location = published.actions, published.location
        timer.mark("publish")
    record.stage = "done"


def refresh(
    settings: Settings,
    name: str,
    *,
    dry_run: bool = False,
    steps: Steps = PLAIN_STEPS,
    territory_error: PipelineError | None = None,
) -> Outcome:
    """Refresh one dataset; never raises for a dataset failure, returns a failed outcome."""
    engine = stages.engine_for(settings)
    record = ledger.RunRecord(
        run_id=uuid.uuid4().hex,
        dataset=name,
        started_at=datetime.now(UTC),
        offline=settings.offline,
        dry_run=dry_run,
    )
    ledger.start(engine, record)
    timer = Timer(name)
    outcome = Outcome(dataset=name, status="running", run_id=record.run_id)
    try:
        if territory_error is not None:
            record.stage = "territory"
            raise TerritoryError(territory_error.cause, url=territory_error.url)
        with dataset_lock(engine, name):
            if ledger.close_interrupted(engine, name, record.run_id):
                log.warning("%s : un run précédent avait été interrompu", name)
            _run_stages(settings, name, record, outcome, timer, dry_run, steps)
    except PipelineError as exc:
        exc.with_context(dataset=name, stage=record.stage or "extract")
        record.status, record.stage, record.error = "failed", exc.stage, str(exc)
        log.error("%s", exc)
    except PatrimoineError as exc:
        record.status, record.error = "failed", f"[jeu « {name} », étape {record.stage}] {exc}"
        log.error("%s", record.error)
    except Exception as exc:  # a bug or an unexpected library error: keep the others going
        record.status = "failed"
        record.error = f"[jeu « {name} », étape {record.stage}] erreur inattendue : {exc!r}"
        log.exception("%s", record.error)
    finally:
        record.details["timings"] = timer.timings
        ledger.finish(engine, record)
    outcome.status, outcome.stage, outcome.error = record.status, record.stage, record.error
    outcome.rows_read, outcome.rows_kept = record.rows_read, record.rows_kept
    outcome.rows_published = record.rows_published
    outcome.timings = timer.timings
    return outcome


def refresh_many(
    settings: Settings,
    names: list[str],
    *,
    dry_run: bool = False,
    steps: Steps = PLAIN_STEPS,
    resolve: Callable[[Settings], Any] = stages.resolve_territory_stage,
) -> list[Outcome]:
    """Resolve the territory once, then refresh each dataset independently."""
    territory_error: PipelineError | None = None
    try:
        resolve(settings)
    except PipelineError as exc:
        territory_error = exc
    return [
        refresh(settings, name, dry_run=dry_run, steps=steps, territory_error=territory_error)
        for name in names
    ]
