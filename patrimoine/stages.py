"""The five stages of a dataset refresh, as plain functions of simple arguments.

Each takes the settings and names or paths (never large in-memory tables), opens what it
needs, and returns a small result, so Prefect tasks can wrap them thinly and run them on
any worker, and tests can call them directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import Settings
from patrimoine.errors import StagingError, TerritoryError, ValidationFailed
from patrimoine.http import open_client
from patrimoine.publish import PublicationResult, make_publisher
from patrimoine.publish.render import render
from patrimoine.sources import ExtractResult, get_extractor
from patrimoine.sources.geo_api import resolve_territory
from patrimoine.staging import tables, territory_store
from patrimoine.staging.db import make_engine, migrate
from patrimoine.territory import Territory
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.stats import TransformStats

log = logging.getLogger(__name__)


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


# --- Territory ---------------------------------------------------------------------------
def resolve_territory_stage(settings: Settings) -> Territory:
    with open_client(settings) as client:
        return resolve_territory(client, settings, engine_for(settings))


# --- Extract -----------------------------------------------------------------------------
def extract_stage(settings: Settings, name: str) -> ExtractResult:
    entry = entry_for(settings, name)
    with open_client(settings) as client:
        return get_extractor(entry)(client, settings, entry)


# --- Transform ---------------------------------------------------------------------------
@dataclass
class TransformOutput:
    table: str
    rows: int
    stats: dict[str, Any] = field(default_factory=dict)


def transform_stage(
    settings: Settings, name: str, raw_path: Path, territory_filter: bool = True
) -> TransformOutput:
    """Parse and transform the raw file straight into the candidate table."""
    entry = entry_for(settings, name)
    territory = territory_for(settings) if territory_filter else None
    stats = TransformStats()
    rows = get_transform(entry)(raw_path, entry, territory, stats)
    loaded = tables.load_candidate(engine_for(settings), entry, rows)
    if stats.problems:
        log.info("%s : remarques de qualité %s", name, dict(stats.problems))
    return TransformOutput(loaded.table, loaded.rows, stats.to_dict())


# --- Validate ----------------------------------------------------------------------------
def validation_parameters(territory: Territory) -> dict[str, Any]:
    lat_min, lat_max, lon_min, lon_max = territory.envelope()
    return {
        "territory_insee_codes": territory.codes,
        "lat_min": lat_min,
        "lat_max": lat_max,
        "lon_min": lon_min,
        "lon_max": lon_max,
    }


def validate_stage(settings: Settings, name: str, table: str) -> dict[str, Any]:
    """Run the dataset's GX suite on the candidate; raise when a blocking check fails."""
    import pandas as pd

    from patrimoine.validation import validate_frame

    entry = entry_for(settings, name)
    rows = tables.read_rows(engine_for(settings), entry, table)
    # Staged text columns hold "" for missing values; GX's not-null checks must see them.
    frame = pd.DataFrame(rows, columns=entry.column_names, dtype=object).replace({"": None})
    report = validate_frame(
        frame,
        entry.suite_path,
        key=entry.business_key,
        parameters=validation_parameters(territory_for(settings)),
    )
    if not report.success:
        raise ValidationFailed(report.summary_fr(), report=report.to_dict())
    if report.warnings:
        log.warning("%s : %s", name, report.summary_fr())
    return report.to_dict()


# --- Stage -------------------------------------------------------------------------------
def stage_stage(settings: Settings, name: str, run_id: str, dry_run: bool = False) -> tables.Diff:
    """Diff the candidate against the staged table, guard, then promote it."""
    entry = entry_for(settings, name)
    engine = engine_for(settings)
    diff = tables.diff_candidate(engine, entry)
    if dry_run or diff.is_empty:
        tables.drop_candidate(engine, entry)
        return diff
    if diff.previous_rows and diff.removed > settings.max_removed_share * diff.previous_rows:
        tables.drop_candidate(engine, entry)
        raise StagingError(
            f"{diff.removed} lignes sur {diff.previous_rows} disparaîtraient d'un coup "
            f"(plus de {settings.max_removed_share:.0%}) : source probablement incomplète, "
            "publication bloquée (PATRIMOINE_MAX_REMOVED_SHARE pour l'accepter)"
        )
    tables.promote(engine, entry, run_id)
    return diff


# --- Publish -----------------------------------------------------------------------------
def publish_stage(
    settings: Settings, name: str, source: dict[str, Any], dry_run: bool = False
) -> PublicationResult:
    """Render the staged table and hand it to the portal, which skips unchanged content."""
    entry = entry_for(settings, name)
    engine = engine_for(settings)
    rows = tables.read_rows(engine, entry, tables.staged_name(entry))
    files, metadata = render(entry, rows, territory_for(settings), source)
    publisher = make_publisher(settings)
    plan = publisher.plan(entry, files, metadata)
    if dry_run:
        return PublicationResult(
            entry.name, publisher.name, plan.unchanged, plan.actions, plan.target, {"dry_run": True}
        )
    result = publisher.apply(entry, plan, files, metadata)
    result.details["output_checksum"] = files[0].sha256
    result.details["rows"] = len(rows)
    return result
