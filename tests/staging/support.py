"""Helpers for the staging tests: small catalog entries, rows, promotions, table contents."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select
from sqlalchemy.exc import SAWarning

from patrimoine.catalog import DatasetEntry, load_catalog, load_entry
from patrimoine.config import PROJECT_DIR
from patrimoine.staging import history, tables
from patrimoine.staging.diff import Diff, diff_candidate

MONUMENTS = load_catalog(PROJECT_DIR / "catalog")["monuments-historiques"]
FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def at(day: int) -> datetime:
    """The time of the nightly run of day ``day`` (0 is the first)."""
    return T0 + timedelta(days=day)


def monument(ref: str, **values: Any) -> list[Any]:
    """A full published row of monuments-historiques; ``values`` override the defaults."""
    row: dict[str, Any] = {  # missing text is "" as the transform gives it, typed is None
        c.name: "" if c.type in tables.TEXT_TYPES else None for c in MONUMENTS.columns
    }
    row.update(
        reference=ref,
        titre="Maison",
        code_insee="63113",
        commune="Clermont-Ferrand",
        protection_partielle=False,
        coordonnees_douteuses=False,
        latitude=45.77,
        longitude=3.08,
        date_maj_notice=date(2026, 7, 24),
        annee_premiere_protection=1983,
        protections="[]",
        lien_pop=f"https://pop.culture.gouv.fr/notice/merimee/{ref}",
    )
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return [row[c] for c in MONUMENTS.column_names]


# --- A museum-attendance-like dataset, keyed on (museum, year) ----------------------------

MUSEUM_FIELDS: list[dict[str, Any]] = [
    {"name": "identifiant_museofile", "type": "string"},
    {"name": "annee", "type": "integer"},
    {"name": "nom_musee", "type": "string"},
    {"name": "frequentation_totale", "type": "integer"},
    {"name": "taux_gratuite", "type": "number"},
]


def write_entry(
    project: Path,
    name: str,
    fields: Sequence[dict[str, Any]],
    business_key: Sequence[str],
    geometry: dict[str, str] | None = None,
) -> DatasetEntry:
    """Write a catalog entry, its TableSchema and its suites under ``project``; load it.

    Writing again with other ``fields`` is how a test evolves the schema between runs.
    """
    for folder in ("catalog", "schemas", "expectations"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    schema = {
        "name": name,
        "fields": [{"title": f["name"], "description": f["name"], **f} for f in fields],
        "primaryKey": list(business_key),
    }
    (project / "schemas" / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")
    for suite in ("source", "published"):
        (project / "expectations" / f"{name}.{suite}.json").write_text(
            json.dumps({"name": f"{name}.{suite}", "expectations": []}), encoding="utf-8"
        )
    keys = ", ".join(json.dumps(k) for k in business_key)
    (project / "catalog" / f"{name}.toml").write_text(
        f'name = "{name}"\n'
        'transform = "merimee"\n'
        f"business_key = [{keys}]\n"
        f'schema = "schemas/{name}.json"\n'
        "[suites]\n"
        f'source = "expectations/{name}.source.json"\n'
        f'published = "expectations/{name}.published.json"\n'
        "[source]\n"
        'kind = "datagouv_resource"\n'
        'dataset_id = "0"\n'
        "[metadata]\n"
        f'title = "{name}"\n'
        'description = "test"\n'
        'licence = "Licence Ouverte 2.0"\n'
        'licence_id = "lov2"\n'
        'licence_url = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"\n'
        'attribution = "test"\n'
        'frequency = "annual"\n'
        'frequency_label = "annuelle"\n'
        + (
            "[geometry]\n" + "".join(f'{k} = "{v}"\n' for k, v in geometry.items())
            if geometry
            else ""
        ),
        encoding="utf-8",
    )
    return load_entry(project / "catalog" / f"{name}.toml", project)


def museums(
    project: Path, extra: Sequence[dict[str, Any]] = (), without: Sequence[str] = ()
) -> DatasetEntry:
    """The museum entry, with ``extra`` fields added and ``without`` fields removed."""
    fields = [f for f in MUSEUM_FIELDS if f["name"] not in without]
    return write_entry(
        project, "frequentation-musees", [*fields, *extra], ["identifiant_museofile", "annee"]
    )


# --- Running the staging steps -----------------------------------------------------------


def stage(
    engine: Engine,
    entry: DatasetEntry,
    rows: Sequence[Sequence[Any]],
    run_id: str,
    now: datetime,
    *,
    bootstrap_run: str = "0.1.0",
) -> Diff:
    """Load ``rows`` as the candidate, diff and promote them in one transaction."""
    tables.load_candidate(engine, entry, rows)
    with engine.begin() as conn:
        diff = diff_candidate(conn, entry)
        history.promote(conn, entry, diff, run_id, now, bootstrap_run=bootstrap_run)
    return diff


def diff_of(engine: Engine, entry: DatasetEntry, rows: Sequence[Sequence[Any]]) -> Diff:
    tables.load_candidate(engine, entry, rows)
    with engine.begin() as conn:  # the diff keeps its keys for the promotion
        return diff_candidate(conn, entry)


def contents(engine: Engine, name: str) -> list[dict[str, Any]]:
    """Every row of a table as it is in the database, in a stable order."""
    with warnings.catch_warnings():  # a PostGIS geometry reads as NullType (hex WKB)
        warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)
        table = Table(name, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(table)).mappings()]
    return sorted(rows, key=lambda r: [repr(r[c]) for c in sorted(r)])


def staged(engine: Engine, entry: DatasetEntry) -> list[tuple[Any, ...]]:
    return tables.read_rows(engine, entry, tables.staged_name(entry))


def versions(engine: Engine, entry: DatasetEntry) -> list[dict[str, Any]]:
    """The history rows, oldest version of each key first."""
    rows = contents(engine, tables.history_name(entry))
    return sorted(
        rows,
        key=lambda r: ([str(r[k]) for k in entry.business_key], aware(r["valid_from"])),
    )


def aware(moment: datetime) -> datetime:
    """SQLite gives naive UTC datetimes back."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
