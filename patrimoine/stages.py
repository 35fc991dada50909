"""The stages of a dataset refresh, as plain functions of simple arguments.

Each takes the settings and names or paths (never large in-memory tables), opens what it
needs, and returns a small result, so Prefect tasks can wrap them thinly and run them on
any worker, and tests can call them directly.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from patrimoine import guards
from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import Settings
from patrimoine.errors import StagingError, TerritoryError
from patrimoine.http import open_client
from patrimoine.publish import PublicationResult, make_publishers
from patrimoine.publish.base import combined
from patrimoine.publish.render import render
from patrimoine.sources import ExtractResult, get_extractor
from patrimoine.sources import supplements as supplement_files
from patrimoine.sources.geo_api import resolve_territory
from patrimoine.staging import history, ledger, quarantine, tables, territory_store
from patrimoine.staging.db import make_engine, migrate
from patrimoine.staging.diff import Diff, diff_candidate
from patrimoine.territory import Territory
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import KEY
from patrimoine.transforms.stats import TransformStats, remarks_fr

log = logging.getLogger(__name__)

SUMMARISED = {"patrimoine_summarised": True}
"""Lines the end-of-run summary prints too (see :mod:`patrimoine.cli.logs`)."""


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def engine_for(settings: Settings) -> Engine:
    """One migrated engine per database URL and process."""
    return _engine(settings.database_url)


def entry_for(settings: Settings, name: str) -> DatasetEntry:
    return load_catalog(settings.catalog_dir)[name]


def territory_for(settings: Settings) -> Territory:
    territory = territory_store.load(engine_for(settings), settings.territory.key)
    if territory is None:
        raise TerritoryError(f"territoire {settings.territory.key} non résolu pour ce run")
    return territory


def work_dir(settings: Settings, name: str) -> Path:
    """Scratch files of a dataset's run (the source records between transform and validate)."""
    return settings.var_dir / "work" / name


# --- Territory ---------------------------------------------------------------------------
def resolve_territory_stage(settings: Settings) -> Territory:
    with open_client(settings) as client:
        return resolve_territory(client, settings, engine_for(settings))


# --- Extract -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Unconfigured:
    """What the Prefect extract task returns for :class:`NotConfigured`, so that a dataset
    nobody configured is not a failed task run; the pipeline raises it again."""

    cause: str
    hint: str | None = None


def extract_stage(settings: Settings, name: str) -> ExtractResult:
    entry = entry_for(settings, name)
    territory = territory_for(settings)
    with open_client(settings) as client:
        result = get_extractor(entry)(client, settings, entry, territory)
        result.supplements.update(supplement_files.fetch(client, settings, entry))
    return result


# --- Transform ---------------------------------------------------------------------------
@dataclass
class TransformOutput:
    table: str
    rows: int
    """Rows of the candidate table."""
    source_path: Path
    """The territory's raw records (CSV), for the source suite."""
    source_rows: int
    stats: dict[str, Any] = field(default_factory=dict)


def transform_stage(
    settings: Settings,
    name: str,
    raw_path: Path,
    territory_filter: bool = True,
    supplements: dict[str, Path] | None = None,
) -> TransformOutput:
    """Parse and transform the raw file straight into the candidate table."""
    entry = entry_for(settings, name)
    territory = territory_for(settings) if territory_filter else None
    stats = TransformStats()
    result = get_transform(entry)(raw_path, entry, territory, stats, supplements)
    loaded = tables.load_candidate(engine_for(settings), entry, result.rows)
    source_path = work_dir(settings, name) / "source.csv"
    result.source.write_csv(source_path)
    for remark in remarks_fr(stats.to_dict()):
        log.info("%s : %s", name, remark, extra=SUMMARISED)
    return TransformOutput(
        loaded.table, loaded.rows, source_path, len(result.source.rows), stats.to_dict()
    )


# --- Validate ----------------------------------------------------------------------------
@dataclass
class ValidationOutput:
    report: dict[str, Any]
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    """Records a ``row`` check left out (:class:`patrimoine.staging.quarantine.Quarantined`)."""


def validation_parameters(settings: Settings, entry: DatasetEntry) -> dict[str, Any]:
    """Values the suites may refer to as ``{"$PARAMETER": name}``."""
    territory = territory_for(settings)
    last = ledger.last_run(engine_for(settings), entry.name, statuses=ledger.SUCCESS)
    previous = int(last["rows_kept"] or 0) if last else 0
    lat_min, lat_max, lon_min, lon_max = territory.extent()
    return {
        "territory_insee_codes": territory.codes,
        "territory_departements": territory.departements,
        "territory_lat_min": round(lat_min, 5),
        "territory_lat_max": round(lat_max, 5),
        "territory_lon_min": round(lon_min, 5),
        "territory_lon_max": round(lon_max, 5),
        "current_year": date.today().year,
        # Rounded first: 10 * (1 - 0.9) is 0.9999… in binary floating point.
        "min_source_rows": math.floor(round(previous * (1 - settings.max_removed_share), 6)),
    }


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    import pandas as pd

    # Missing values are "" upstream and in staged text columns; GX's null checks need None.
    return pd.DataFrame(rows, columns=columns, dtype=object).replace({"": None})


def validate_stage(settings: Settings, name: str, output: TransformOutput) -> ValidationOutput:
    """Run the source suite on the raw records and the published suite on the candidate."""
    import pandas as pd

    from patrimoine.validation import load_suite_json, validate_frame
    from patrimoine.validation.structural import published_suite, source_suite

    entry = entry_for(settings, name)
    parameters = validation_parameters(settings, entry)
    transform = get_transform(entry)

    raw = pd.read_csv(output.source_path, dtype=str, keep_default_na=False)
    source = validate_frame(
        raw.replace({"": None}),
        source_suite(transform.fields_for(entry), load_suite_json(entry.source_suite_path)),
        key=KEY,
        parameters=parameters,
        where=str(entry.source_suite_path),
    )
    rows = tables.read_rows(engine_for(settings), entry, tables.candidate_name(entry))
    records = [dict(zip(entry.column_names, row, strict=True)) for row in rows]
    keys = [entry.key_text(row) for row in rows]
    frame = _frame(records, entry.column_names)
    frame[KEY] = keys
    published = validate_frame(
        frame,
        published_suite(entry, load_suite_json(entry.published_suite_path)),
        key=KEY,
        parameters=parameters,
        where=str(entry.published_suite_path),
    )
    report = source.merged(published)

    by_key = dict(zip(keys, records, strict=True))
    raw_by_key = {k: r for k, r in zip(raw[KEY], raw.to_dict("records"), strict=True)}
    left_out = [
        quarantine.Quarantined(
            key=key,
            reasons=reasons,
            record=_jsonable(by_key.get(key) or raw_by_key.get(key) or {}),
            key_values=[by_key[key][k] for k in entry.business_key] if key in by_key else None,
        ).to_dict()
        for key, reasons in report.quarantine().items()
    ]
    if report.problems:
        log.info("%s : %s", name, report.summary_fr(), extra=SUMMARISED)
    return ValidationOutput(report.to_dict(), left_out)


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()}


# --- Stage -------------------------------------------------------------------------------
@dataclass
class StageOutput:
    diff: Diff
    findings: list[guards.GuardFinding] = field(default_factory=list)
    held: bool = False
    """A guard held the refresh back (nothing staged)."""
    quarantined: int = 0
    promoted: bool = False


def stage_stage(
    settings: Settings,
    name: str,
    run_id: str,
    left_out: list[dict[str, Any]] | None = None,
    *,
    dry_run: bool = False,
    accept_drop: bool = False,
) -> StageOutput:
    """Quarantine, diff, guard, then promote the candidate with its history."""
    entry = entry_for(settings, name)
    engine = engine_for(settings)
    records = [quarantine.Quarantined.from_dict(q) for q in left_out or []]
    try:
        with engine.begin() as conn:
            quarantine.remove_from_candidate(conn, entry, records)
            diff = diff_candidate(conn, entry)
    except Exception as exc:
        raise StagingError(f"comparaison avec la table publiée impossible : {exc}") from exc
    findings = guards.check(diff, settings.max_removed_share)
    output = StageOutput(diff, findings, held=bool(findings) and not accept_drop)
    output.quarantined = len(records)
    if output.held:
        tables.drop_candidate(engine, entry)
        return output
    if dry_run:
        return output  # the candidate stays for publish_stage(dry_run=True) to plan from
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            if diff.is_empty:
                tables.drop_scratch(conn, entry)
                # Nothing to promote, but a server that gained PostGIS gets its columns now.
                tables.evolve(conn, entry)
            else:
                last = ledger.last_run(engine, name, statuses=("updated",))
                history.promote(
                    conn,
                    entry,
                    diff,
                    run_id,
                    now,
                    bootstrap_run=last["run_id"] if last else "0.1.0",
                )
                output.promoted = True
            quarantine.record(conn, entry, run_id, now, records)
    except StagingError:
        raise
    except Exception as exc:
        raise StagingError(f"promotion de la table impossible : {exc}") from exc
    return output


# --- Publish -----------------------------------------------------------------------------
def publish_stage(
    settings: Settings, name: str, source: dict[str, Any], dry_run: bool = False
) -> PublicationResult:
    """Render the staged table and hand it to each portal, which skips unchanged content.

    Every portal plans before any applies, so a portal that cannot even be read (a key
    refused, a dataset deleted on it) stops the publication everywhere. ``dry_run`` plans
    from the candidate table the dry-run stage left (then drops it) and writes nothing.
    """
    entry = entry_for(settings, name)
    engine = engine_for(settings)
    table = tables.candidate_name(entry) if dry_run else tables.staged_name(entry)
    try:
        rows = tables.read_rows(engine, entry, table)
    finally:
        if dry_run:
            tables.drop_candidate(engine, entry)
    changes = history.changes(engine, entry)
    files, metadata = render(
        entry,
        rows,
        territory_for(settings),
        source,
        changes,
        pictures=settings.pictures,
        map_tiles_url=settings.map_tiles_url,
        map_tiles_attribution=settings.map_tiles_attribution,
    )
    publishers = make_publishers(settings, engine)
    try:
        plans = [(p, p.plan(entry, files, metadata)) for p in publishers]
        if dry_run:
            results = [
                (
                    p.name,
                    PublicationResult(
                        entry.name,
                        p.name,
                        plan.unchanged,
                        plan.actions,
                        plan.target,
                        {"dry_run": True},
                    ),
                )
                for p, plan in plans
            ]
            return combined(results)
        result = combined([(p.name, p.apply(entry, plan, files, metadata)) for p, plan in plans])
    finally:
        for publisher in publishers:  # a long-lived worker must not keep their connections
            close = getattr(publisher, "close", None)
            if callable(close):
                close()
    result.details["output_checksum"] = files[0].sha256
    result.details["rows"] = len(rows)
    return result


__all__ = [
    "StageOutput",
    "TransformOutput",
    "ValidationOutput",
    "engine_for",
    "entry_for",
    "extract_stage",
    "publish_stage",
    "resolve_territory_stage",
    "stage_stage",
    "territory_for",
    "transform_stage",
    "validate_stage",
]
