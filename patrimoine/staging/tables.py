"""Staged tables: load a candidate, diff it against the staged table, promote it atomically.

Readers only ever see ``stg_<dataset>``; a load goes to ``cand_<dataset>`` and replaces the
staged table in one transaction (drop + rename), after validation. The history of what was
added, removed or changed is written in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Double,
    Engine,
    MetaData,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.types import TypeEngine

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import StagingError

log = logging.getLogger(__name__)

HASH_COLUMN = "_row_hash"
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


def staged_name(entry: DatasetEntry) -> str:
    return f"stg_{entry.table}"


def candidate_name(entry: DatasetEntry) -> str:
    return f"cand_{entry.table}"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def table_for(entry: DatasetEntry, name: str) -> Table:
    columns = [Column(c.name, SQL_TYPES.get(c.type, Text)()) for c in entry.columns]
    return Table(name, MetaData(), *columns, Column(HASH_COLUMN, Text, nullable=False))


def row_hash(row: Sequence[Any]) -> str:
    """Stable fingerprint of a published row (what "changed" means in the history).

    ``repr`` of a tuple of str, int, float, bool, date and None is stable across runs and
    Python versions, and much cheaper than formatting each value.
    """
    return hashlib.sha1(repr(tuple(row)).encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass
class LoadResult:
    table: str
    rows: int
    checksum: str


def load_candidate(
    engine: Engine, entry: DatasetEntry, rows: Iterable[Sequence[Any]]
) -> LoadResult:
    """(Re)create the candidate table and bulk-load ``rows`` (COPY on PostgreSQL)."""
    name = candidate_name(entry)
    table = table_for(entry, name)
    digest = hashlib.sha256()

    def hashed() -> Iterator[list[Any]]:
        for row in rows:
            h = row_hash(row)
            digest.update(h.encode())
            yield [*row, h]

    count = 0
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        if conn.dialect.name == "postgresql":
            count = _copy_rows(conn, table, hashed())
        else:
            count = _insert_rows(conn, table, hashed())
    log.info("%d lignes chargées dans %s", count, name)
    return LoadResult(table=name, rows=count, checksum=digest.hexdigest())


def _copy_rows(conn: Connection, table: Table, rows: Iterable[list[Any]]) -> int:
    cols = ", ".join(_quote(conn, c.name) for c in table.columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    count = 0
    with cursor.copy(f"COPY {_quote(conn, table.name)} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert_rows(conn: Connection, table: Table, rows: Iterable[list[Any]]) -> int:
    names = [c.name for c in table.columns]
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(names, row, strict=True)))
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def table_exists(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)


def read_rows(engine: Engine, entry: DatasetEntry, name: str) -> list[tuple[Any, ...]]:
    """The published columns of a staged or candidate table, ordered by business key."""
    table = table_for(entry, name)
    key = table.c[entry.business_key]
    cols = [table.c[c] for c in entry.column_names]
    with engine.connect() as conn:
        query = table.select().with_only_columns(*cols).order_by(key)
        return [tuple(r) for r in conn.execute(query)]


def table_checksum(engine: Engine, entry: DatasetEntry, name: str) -> str | None:
    if not table_exists(engine, name):
        return None
    table = table_for(entry, name)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        query = (
            table.select()
            .with_only_columns(table.c[HASH_COLUMN])
            .order_by(table.c[entry.business_key])
        )
        for (h,) in conn.execute(query):
            digest.update(h.encode())
    return digest.hexdigest()


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


def _diff_queries(conn: Connection, entry: DatasetEntry) -> dict[str, str]:
    key, h = _quote(conn, entry.business_key), _quote(conn, HASH_COLUMN)
    cand, stg = _quote(conn, candidate_name(entry)), _quote(conn, staged_name(entry))
    return {
        "added": f"SELECT c.{key}, NULL, c.{h} FROM {cand} c LEFT JOIN {stg} s "
        f"ON s.{key} = c.{key} WHERE s.{key} IS NULL",
        "removed": f"SELECT s.{key}, s.{h}, NULL FROM {stg} s LEFT JOIN {cand} c "
        f"ON s.{key} = c.{key} WHERE c.{key} IS NULL",
        "changed": f"SELECT c.{key}, s.{h}, c.{h} FROM {cand} c JOIN {stg} s "
        f"ON s.{key} = c.{key} WHERE s.{h} <> c.{h}",
    }


def diff_candidate(engine: Engine, entry: DatasetEntry, sample: int = 10) -> Diff:
    """Count added, removed and changed records of the candidate against the staged table."""
    diff = Diff()
    with engine.connect() as conn:
        if not inspect(conn).has_table(staged_name(entry)):
            cand = _quote(conn, candidate_name(entry))
            total = conn.execute(text(f"SELECT count(*) FROM {cand}"))
            diff.added = int(total.scalar_one())
            return diff
        stg = _quote(conn, staged_name(entry))
        diff.previous_rows = int(conn.execute(text(f"SELECT count(*) FROM {stg}")).scalar_one())
        for change, query in _diff_queries(conn, entry).items():
            keys = [str(r[0]) for r in conn.execute(text(query))]
            setattr(diff, change, len(keys))
            diff.samples[change] = sorted(keys)[:sample]
    return diff


def promote(engine: Engine, entry: DatasetEntry, run_id: str) -> None:
    """Replace the staged table by the candidate and record the history, atomically."""
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            cand, stg = _quote(conn, candidate_name(entry)), _quote(conn, staged_name(entry))
            if inspect(conn).has_table(staged_name(entry)):
                for change, query in _diff_queries(conn, entry).items():
                    conn.execute(
                        text(
                            "INSERT INTO record_history (run_id, dataset, record_key, old_hash, "
                            "new_hash, change, recorded_at) SELECT :run_id, :dataset, q.k, q.o, "
                            f"q.n, :change, :now FROM ({_aliased(query)}) q"
                        ),
                        {"run_id": run_id, "dataset": entry.name, "change": change, "now": now},
                    )
                conn.execute(text(f"DROP TABLE {stg}"))
            else:
                conn.execute(
                    text(
                        "INSERT INTO record_history (run_id, dataset, record_key, old_hash, "
                        f"new_hash, change, recorded_at) SELECT :run_id, :dataset, "
                        f"{_quote(conn, entry.business_key)}, NULL, {_quote(conn, HASH_COLUMN)}, "
                        f"'added', :now FROM {cand}"
                    ),
                    {"run_id": run_id, "dataset": entry.name, "now": now},
                )
            conn.execute(text(f"ALTER TABLE {cand} RENAME TO {stg}"))
    except Exception as exc:
        raise StagingError(f"promotion de la table impossible : {exc}") from exc


def _aliased(query: str) -> str:
    """Name the three selected columns k, o, n so the INSERT can pick them."""
    head, _, tail = query.partition(" FROM ")
    cols = head.removeprefix("SELECT ").split(", ")
    return f"SELECT {cols[0]} AS k, {cols[1]} AS o, {cols[2]} AS n FROM {tail}"


def drop_candidate(engine: Engine, entry: DatasetEntry) -> None:
    with engine.begin() as conn:
        table_for(entry, candidate_name(entry)).drop(conn, checkfirst=True)
