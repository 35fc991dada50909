"""Staged tables: load a candidate, diff it against the staged table, promote it atomically.

Readers only ever see ``stg_<dataset>``; a load goes to ``cand_<dataset>`` and replaces the
staged table in one transaction (drop + rename), after validation. The history of what was
added, removed or changed is written in the same transaction. "Changed" is a null-safe
comparison of every published column, done by the database.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    Engine,
    MetaData,
    Select,
    Table,
    Text,
    func,
    inspect,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import StagingError

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
}
TEXT_TYPES = frozenset({"string", "array", "object"})

record_history = Table(
    "record_history",
    MetaData(),
    Column("run_id", Text, nullable=False),
    Column("dataset", Text, nullable=False),
    Column("record_key", Text, nullable=False),
    Column("change", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


def staged_name(entry: DatasetEntry) -> str:
    return f"stg_{entry.table}"


def candidate_name(entry: DatasetEntry) -> str:
    return f"cand_{entry.table}"


def table_for(entry: DatasetEntry, name: str) -> Table:
    columns = [Column(c.name, SQL_TYPES.get(c.type, Text)()) for c in entry.columns]
    return Table(name, MetaData(), *columns)


@dataclass
class LoadResult:
    table: str
    rows: int


def load_candidate(
    engine: Engine, entry: DatasetEntry, rows: Iterable[Sequence[Any]]
) -> LoadResult:
    """(Re)create the candidate table and bulk-load ``rows`` (COPY on PostgreSQL)."""
    name = candidate_name(entry)
    table = table_for(entry, name)
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
        raise StagingError(f"chargement de {name} impossible : {cause}") from exc
    log.info("%d lignes chargées dans %s", count, name)
    return LoadResult(table=name, rows=count)


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


def table_exists(engine: Engine | Connection, name: str) -> bool:
    return inspect(engine).has_table(name)


def read_rows(engine: Engine, entry: DatasetEntry, name: str) -> list[tuple[Any, ...]]:
    """The published columns of a staged or candidate table, ordered by business key."""
    table = table_for(entry, name)
    query = table.select().order_by(table.c[entry.business_key])
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


@dataclass
class Diff:
    """What a candidate changes compared with the staged (last published) table."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    previous_rows: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "previous_rows": self.previous_rows,
            "samples": self.samples,
        }


def _diff_queries(entry: DatasetEntry) -> dict[str, Select[Any]]:
    """Keys added, removed and changed; without a staged table everything is added."""
    cand = table_for(entry, candidate_name(entry)).alias("c")
    stg = table_for(entry, staged_name(entry)).alias("s")
    key = entry.business_key
    same_key = stg.c[key] == cand.c[key]
    differs = or_(*(cand.c[n].is_distinct_from(stg.c[n]) for n in entry.column_names if n != key))
    return {
        "added": select(cand.c[key].label("k"))
        .select_from(cand.outerjoin(stg, same_key))
        .where(stg.c[key].is_(None)),
        "removed": select(stg.c[key].label("k"))
        .select_from(stg.outerjoin(cand, same_key))
        .where(cand.c[key].is_(None)),
        "changed": select(cand.c[key].label("k"))
        .select_from(cand.join(stg, same_key))
        .where(differs),
    }


def diff_candidate(engine: Engine, entry: DatasetEntry, sample: int = 10) -> Diff:
    """Count added, removed and changed records of the candidate against the staged table."""
    diff = Diff()
    with engine.connect() as conn:
        if not table_exists(conn, staged_name(entry)):
            cand = table_for(entry, candidate_name(entry))
            diff.added = int(conn.execute(select(func.count()).select_from(cand)).scalar_one())
            return diff
        stg = table_for(entry, staged_name(entry))
        diff.previous_rows = int(conn.execute(select(func.count()).select_from(stg)).scalar_one())
        for change, query in _diff_queries(entry).items():
            keys = sorted(str(r[0]) for r in conn.execute(query))
            setattr(diff, change, len(keys))
            diff.samples[change] = keys[:sample]
    return diff


def promote(engine: Engine, entry: DatasetEntry, run_id: str) -> None:
    """Replace the staged table by the candidate and record the history, atomically."""
    now = datetime.now(UTC)
    columns = ["run_id", "dataset", "record_key", "change", "recorded_at"]
    try:
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            if table_exists(conn, staged_name(entry)):
                queries = _diff_queries(entry)
            else:
                cand = table_for(entry, candidate_name(entry))
                queries = {"added": select(cand.c[entry.business_key].label("k"))}
            for change, query in queries.items():
                keys = query.subquery()
                conn.execute(
                    record_history.insert().from_select(
                        columns,
                        select(
                            literal(run_id),
                            literal(entry.name),
                            keys.c.k,
                            literal(change),
                            literal(now, DateTime(timezone=True)),
                        ),
                    )
                )
            table_for(entry, staged_name(entry)).drop(conn, checkfirst=True)
            conn.exec_driver_sql(
                f"ALTER TABLE {quote(candidate_name(entry))} RENAME TO {quote(staged_name(entry))}"
            )
    except Exception as exc:
        raise StagingError(f"promotion de la table impossible : {exc}") from exc


def drop_candidate(engine: Engine, entry: DatasetEntry) -> None:
    with engine.begin() as conn:
        table_for(entry, candidate_name(entry)).drop(conn, checkfirst=True)
