"""The per-dataset tables, built from the dataset's TableSchema.

- ``cand_<dataset>``: the candidate of this run, a scratch table (no key constraint: a
  duplicate or empty key must reach validation, not crash the load);
- ``stg_<dataset>``: what is published, primary key on the business key;
- ``hist_<dataset>``: every version of every record (see :mod:`patrimoine.staging.history`).

A column added to the TableSchema is added to the staged and history tables (nullable)
instead of breaking the run; a column removed from it is dropped from the staged table only
when the guard lets the refresh through (history keeps old values).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    Engine,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import StagingError
from patrimoine.staging import postgis

log = logging.getLogger(__name__)

BATCH = 5000
SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "string": Text,
    "integer": BigInteger,
    "number": Double,
    "boolean": Boolean,
    "date": Date,
    "array": Text,
    "object": Text,
    # A site's geometry: the compact RFC 7946 JSON text, normalised by the transform, so
    # an identical re-export is unchanged and a moved vertex is a modification.
    "geojson": Text,
}
TEXT_TYPES = frozenset({"string", "array", "object", "geojson"})
HISTORY_COLUMNS = ("valid_from_run", "valid_to_run", "valid_from", "valid_to")


def staged_name(entry: DatasetEntry) -> str:
    return f"stg_{entry.table}"


def candidate_name(entry: DatasetEntry) -> str:
    return f"cand_{entry.table}"


def history_name(entry: DatasetEntry) -> str:
    return f"hist_{entry.table}"


def changes_name(entry: DatasetEntry) -> str:
    return f"chg_{entry.table}"


def _columns(entry: DatasetEntry, names: Iterable[str] | None = None) -> list[Column[Any]]:
    wanted = set(entry.column_names if names is None else names)
    return [
        Column(c.name, SQL_TYPES.get(c.type, Text)()) for c in entry.columns if c.name in wanted
    ]


def candidate_table(entry: DatasetEntry) -> Table:
    return Table(candidate_name(entry), MetaData(), *_columns(entry))


def staged_table(entry: DatasetEntry, names: Iterable[str] | None = None) -> Table:
    """The staged table, with only ``names`` (the columns it really has) when given."""
    columns = _columns(entry, names)
    present = {c.name for c in columns}
    key = [k for k in entry.business_key if k in present]
    constraint = [PrimaryKeyConstraint(*key, name=f"pk_{staged_name(entry)}")] if key else []
    return Table(staged_name(entry), MetaData(), *columns, *constraint)


def history_table(entry: DatasetEntry, names: Iterable[str] | None = None) -> Table:
    """Every version of every record; indexed on the business key, which each promotion and
    each changelog reads by."""
    columns = _columns(entry, names)
    present = {c.name for c in columns}
    key = [k for k in entry.business_key if k in present]
    index = [Index(f"ix_{history_name(entry)}_key", *key, "valid_to_run")] if key else []
    return Table(
        history_name(entry),
        MetaData(),
        *columns,
        Column("valid_from_run", Text, nullable=False),
        Column("valid_to_run", Text),
        Column("valid_from", DateTime(timezone=True), nullable=False),
        Column("valid_to", DateTime(timezone=True)),
        *index,
    )


def table_exists(bind: Engine | Connection, name: str) -> bool:
    return inspect(bind).has_table(name)


def existing_columns(bind: Engine | Connection, name: str) -> list[str]:
    """Column names of a table as it is in the database (empty if it does not exist).

    Generated columns (the PostGIS ``<field>_geom``) are left out: the database computes
    them, so they are never loaded, compared, dropped as unknown or kept in the history.
    """
    if bind.dialect.name == "postgresql":  # the inspector would warn on PostGIS types
        query = text(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :name"
            " AND is_generated = 'NEVER' ORDER BY ordinal_position"
        )
        with _connection(bind) as conn:
            return [str(r[0]) for r in conn.execute(query, {"name": name})]
    inspector = inspect(bind)
    if not inspector.has_table(name):
        return []
    return [c["name"] for c in inspector.get_columns(name) if not c.get("computed")]


@contextmanager
def _connection(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def has_primary_key(bind: Engine | Connection, entry: DatasetEntry) -> bool:
    constraint = inspect(bind).get_pk_constraint(staged_name(entry))
    return list(constraint.get("constrained_columns") or []) == list(entry.business_key)


# --- Candidate ---------------------------------------------------------------------------


@dataclass
class LoadResult:
    table: str
    rows: int


def load_candidate(
    engine: Engine, entry: DatasetEntry, rows: Iterable[Sequence[Any]]
) -> LoadResult:
    """(Re)create the candidate table and bulk-load ``rows`` (COPY on PostgreSQL)."""
    table = candidate_table(entry)
    try:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
            if conn.dialect.name == "postgresql":
                count = _copy_rows(conn, entry, table, rows)
            else:
                count = _insert_rows(conn, entry, table, rows)
    except (SQLAlchemyError, psycopg.Error) as exc:
        cause = getattr(exc, "orig", None) or exc
        raise StagingError(f"chargement de {table.name} impossible : {cause}") from exc
    log.debug("%d lignes chargées dans %s", count, table.name)
    return LoadResult(table=table.name, rows=count)


def _copy_rows(
    conn: Connection, entry: DatasetEntry, table: Table, rows: Iterable[Sequence[Any]]
) -> int:
    """COPY in CSV form, written in batches by the C csv writer.

    Text columns are FORCE_NOT_NULL: a missing text value is stored as "" (as on SQLite) and
    only the typed columns (numbers, dates, booleans) read an empty field as NULL.
    """
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(c.name) for c in table.columns)
    text_cols = ", ".join(quote(c.name) for c in entry.columns if c.type in TEXT_TYPES)
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({text_cols})" if text_cols else "")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    count = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with cursor.copy(f"COPY {quote(table.name)} ({cols}) FROM STDIN WITH ({options})") as copy:
        for row in rows:
            writer.writerow(row)
            count += 1
            if count % BATCH == 0:
                copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        copy.write(buffer.getvalue())
    return count


def _insert_rows(
    conn: Connection, entry: DatasetEntry, table: Table, rows: Iterable[Sequence[Any]]
) -> int:
    """executemany in batches; a missing text value is stored as "" as COPY does."""
    names = [c.name for c in table.columns]
    text = [c.type in TEXT_TYPES for c in entry.columns]
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        values = ("" if v is None and t else v for v, t in zip(row, text, strict=True))
        batch.append(dict(zip(names, values, strict=True)))
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def drop_scratch(conn: Connection, entry: DatasetEntry) -> None:
    """Drop this run's candidate and the keys its diff wrote (``chg_<dataset>``)."""
    for name in (candidate_name(entry), changes_name(entry)):
        Table(name, MetaData()).drop(conn, checkfirst=True)


def drop_candidate(engine: Engine, entry: DatasetEntry) -> None:
    with engine.begin() as conn:
        drop_scratch(conn, entry)


# --- Reading -----------------------------------------------------------------------------


def read_rows(engine: Engine, entry: DatasetEntry, name: str) -> list[tuple[Any, ...]]:
    """The published columns of a staged or candidate table, ordered by business key.

    A column the table does not have yet (added to the schema, not migrated) reads as None.
    """
    present = set(existing_columns(engine, name))
    table = Table(name, MetaData(), *_columns(entry, present))
    order = [table.c[k] for k in entry.business_key if k in present]
    with engine.connect() as conn:
        fetched = conn.execute(table.select().order_by(*order)).mappings().all()
    return [tuple(r.get(c) for c in entry.column_names) for r in fetched]


# --- Schema evolution --------------------------------------------------------------------


def evolve(conn: Connection, entry: DatasetEntry, *, drop: Sequence[str] = ()) -> list[str]:
    """Add the schema's new columns to the staged and history tables; drop ``drop`` columns.

    Returns the columns added to the staged table. Uses Alembic's operations so that the
    same call works on SQLite and PostgreSQL. With PostGIS, each GeoJSON column then gets its
    generated ``<field>_geom`` (see :mod:`patrimoine.staging.postgis`), also on tables made
    before PostGIS was there.
    """
    ops = Operations(MigrationContext.configure(conn))
    added: list[str] = []
    for name, with_history in ((staged_name(entry), False), (history_name(entry), True)):
        present = set(existing_columns(conn, name))
        if not present:
            continue
        text_types = {c.name for c in entry.columns if c.type in TEXT_TYPES}
        for column in _columns(entry):
            if column.name not in present:
                ops.add_column(name, Column(column.name, column.type))
                if not with_history:
                    added.append(column.name)
                    if column.name in text_types:  # staged text is "" when missing, never NULL
                        conn.execute(
                            Table(name, MetaData(), Column(column.name, Text))
                            .update()
                            .values({column.name: ""})
                        )
        if not with_history:
            for column_name in drop:
                if column_name in present:
                    postgis.drop_geometry_column(conn, name, column_name)
                    with ops.batch_alter_table(name) as batch:
                        batch.drop_column(column_name)
    geojson = [c.name for c in entry.columns if c.type == "geojson"]
    if geojson and conn.dialect.name == "postgresql":
        for name in (staged_name(entry), history_name(entry)):
            postgis.add_geometry_columns(conn, name, geojson, existing_columns(conn, name))
    if added or drop:
        log.info("%s : colonnes ajoutées %s, retirées %s", entry.name, added, list(drop))
    return added
