"""What a candidate changes compared with the staged (published) table, computed in SQL.

Content-based: records are matched on the business key and compared column by column with
a null-safe comparison, so a shuffled or re-exported identical source is unchanged. The
same queries feed the guards, the summary and the promotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    FromClause,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)

from patrimoine.catalog import DatasetEntry
from patrimoine.staging.tables import (
    SQL_TYPES,
    TEXT_TYPES,
    candidate_table,
    changes_name,
    existing_columns,
    has_primary_key,
    staged_name,
    staged_table,
)

SAMPLE = 20


@dataclass
class Diff:
    """Counts, sample keys and column-level facts of a candidate against the staged table."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    refreshed: int = 0
    """Records that differ only in columns new to the schema (filled for the first time)."""
    previous_rows: int = 0
    rows: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_dropped: list[str] = field(default_factory=list)
    emptied_columns: list[str] = field(default_factory=list)
    """Published columns that had values and would have none."""
    missing_primary_key: bool = False
    """The staged table predates the primary key (0.1.0): promote to add it."""

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.refreshed
            or self.columns_added
            or self.columns_dropped
            or self.missing_primary_key
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "refreshed": self.refreshed,
            "previous_rows": self.previous_rows,
            "rows": self.rows,
            "samples": self.samples,
            "columns_added": self.columns_added,
            "columns_dropped": self.columns_dropped,
            "emptied_columns": self.emptied_columns,
        }


def key_match(a: FromClause, b: FromClause, entry: DatasetEntry) -> ColumnElement[bool]:
    return and_(*(a.c[k] == b.c[k] for k in entry.business_key))


def key_of(table: FromClause, entry: DatasetEntry) -> ColumnElement[Any]:
    """The business key as one SQL expression (a row value when composite)."""
    if len(entry.business_key) == 1:
        return table.c[entry.business_key[0]]
    return tuple_(*(table.c[k] for k in entry.business_key))


def _nonempty(table: FromClause, entry: DatasetEntry, name: str) -> ColumnElement[bool]:
    column = table.c[name]
    kind = next(c.type for c in entry.columns if c.name == name)
    if kind in TEXT_TYPES:
        return and_(column.is_not(None), column != "")
    return column.is_not(None)


class DiffQueries:
    """The diff queries between ``cand_<dataset>`` and ``stg_<dataset>``.

    ``common`` are the published columns both tables have; ``new`` those only the
    candidate has (added to the schema since the last promotion).
    """

    def __init__(self, entry: DatasetEntry, staged_columns: list[str]) -> None:
        self.entry = entry
        present = set(staged_columns)
        self.common = [c for c in entry.column_names if c in present]
        self.new = [c for c in entry.column_names if c not in present]
        self.cand = candidate_table(entry).alias("c")
        self.stg = staged_table(entry, self.common).alias("s")

    def _keys(self, table: FromClause) -> list[ColumnElement[Any]]:
        return [table.c[k] for k in self.entry.business_key]

    def _differs(self) -> ColumnElement[bool]:
        keys = set(self.entry.business_key)
        columns = [c for c in self.common if c not in keys]
        if not columns:
            return false()
        return or_(*(self.cand.c[n].is_distinct_from(self.stg.c[n]) for n in columns))

    def _fills_new(self) -> ColumnElement[bool]:
        if not self.new:
            return false()
        return or_(*(_nonempty(self.cand, self.entry, n) for n in self.new))

    def added(self) -> Select[Any]:
        first = self.entry.business_key[0]
        return (
            select(*self._keys(self.cand))
            .select_from(self.cand.outerjoin(self.stg, key_match(self.stg, self.cand, self.entry)))
            .where(self.stg.c[first].is_(None))
        )

    def removed(self) -> Select[Any]:
        first = self.entry.business_key[0]
        return (
            select(*self._keys(self.stg))
            .select_from(self.stg.outerjoin(self.cand, key_match(self.stg, self.cand, self.entry)))
            .where(self.cand.c[first].is_(None))
        )

    def changed(self) -> Select[Any]:
        return (
            select(*self._keys(self.cand))
            .select_from(self.cand.join(self.stg, key_match(self.stg, self.cand, self.entry)))
            .where(self._differs())
        )

    def refreshed(self) -> Select[Any]:
        return (
            select(*self._keys(self.cand))
            .select_from(self.cand.join(self.stg, key_match(self.stg, self.cand, self.entry)))
            .where(~self._differs(), self._fills_new())
        )

    def filled(self, table: FromClause) -> Select[Any]:
        """Per common column, how many rows of ``table`` have a value."""
        return select(
            *(
                func.coalesce(
                    func.sum(case((_nonempty(table, self.entry, n), 1), else_=0)), 0
                ).label(n)
                for n in self.common
            )
        )


CHANGES = ("added", "removed", "changed", "refreshed")
SUPERSEDED = ("removed", "changed", "refreshed")
"""Changes whose staged version ends now."""
INCOMING = ("added", "changed", "refreshed")
"""Changes that bring a new version from the candidate."""


def changes_table(entry: DatasetEntry) -> Table:
    """The keys the candidate changes and how: written once by the diff, read by the
    promotion, so the comparison of every column of every record runs once."""
    types = {c.name: SQL_TYPES.get(c.type, Text) for c in entry.columns}
    return Table(
        changes_name(entry),
        MetaData(),
        *(Column(k, types[k](), primary_key=True) for k in entry.business_key),
        Column("change", Text, nullable=False),
    )


def _record_changes(conn: Connection, entry: DatasetEntry, queries: DiffQueries | None) -> None:
    table = changes_table(entry)
    table.drop(conn, checkfirst=True)
    table.create(conn)
    keys = list(entry.business_key)
    if queries is None:  # no staged table yet: every record is added
        cand = candidate_table(entry)
        parts = [select(*(cand.c[k] for k in keys), literal("added"))]
    else:
        parts = [getattr(queries, change)().add_columns(literal(change)) for change in CHANGES]
    conn.execute(insert(table).from_select([*keys, "change"], union_all(*parts)))
    if conn.dialect.name == "postgresql":  # a fresh table has no statistics: plan with real ones
        conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}")


def _counted(conn: Connection, entry: DatasetEntry, diff: Diff) -> None:
    table = changes_table(entry)
    counts: dict[str, int] = dict(
        conn.execute(select(table.c.change, func.count()).group_by(table.c.change)).tuples().all()
    )
    keys = [table.c[k] for k in entry.business_key]
    for change in CHANGES:
        setattr(diff, change, int(counts.get(change, 0)))
        query = select(*keys).where(table.c.change == change).order_by(*keys).limit(SAMPLE)
        diff.samples[change] = [" | ".join(str(v) for v in row) for row in conn.execute(query)]


def diff_candidate(conn: Connection, entry: DatasetEntry) -> Diff:
    """Compare the candidate with the staged table (everything is added when there is none).

    The changed keys are kept in ``chg_<dataset>`` for :func:`patrimoine.staging.history.promote`.
    """
    cand = candidate_table(entry)
    rows = int(conn.execute(select(func.count()).select_from(cand)).scalar_one())
    staged_columns = existing_columns(conn, staged_name(entry))
    diff = Diff(rows=rows)
    if not staged_columns:
        _record_changes(conn, entry, None)
        _counted(conn, entry, diff)
        return diff
    queries = DiffQueries(entry, staged_columns)
    stg = staged_table(entry, queries.common)
    diff.previous_rows = int(conn.execute(select(func.count()).select_from(stg)).scalar_one())
    diff.columns_added = list(queries.new)
    diff.columns_dropped = [c for c in staged_columns if c not in entry.column_names]
    diff.missing_primary_key = not has_primary_key(conn, entry)
    _record_changes(conn, entry, queries)
    _counted(conn, entry, diff)
    if queries.common:
        before = conn.execute(queries.filled(stg)).mappings().one()
        after = conn.execute(queries.filled(cand)).mappings().one()
        diff.emptied_columns = [n for n in queries.common if before[n] and not after[n]]
    return diff
