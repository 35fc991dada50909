"""Record history (SCD2) and promotion of a candidate to the staged table.

``hist_<dataset>`` holds every version of every record: its values, the run that introduced
it (``valid_from_run``, ``valid_from``) and the run that superseded it (``valid_to_run``,
``valid_to``; null for the current version). A promotion writes only what changed, in one
transaction: close the superseded versions, insert the new ones, then apply the same
change to the staged table. Readers see the old table or the new one, never a mix.

The changes of a publication (added, removed, modified records with their old and new
values) are derived from the history, so they cannot disagree with it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Select,
    Table,
    Text,
    insert,
    inspect,
    literal,
    or_,
    select,
)

from patrimoine.catalog import DatasetEntry
from patrimoine.staging import tables
from patrimoine.staging.diff import (
    INCOMING,
    SUPERSEDED,
    Diff,
    changes_table,
    key_match,
    key_of,
)

log = logging.getLogger(__name__)

ADDED, REMOVED, MODIFIED = "ajout", "suppression", "modification"
COLUMN_ADDED, COLUMN_DROPPED = "colonne ajoutée", "colonne retirée"

schema_changes = Table(
    "schema_changes",
    MetaData(),
    Column("run_id", Text, nullable=False),
    Column("dataset", Text, nullable=False),
    Column("column_name", Text, nullable=False),
    Column("change", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


def _ensure_history(
    conn: Connection, entry: DatasetEntry, bootstrap_run: str, now: datetime
) -> None:
    """Create the history table; seed it from a staged table that predates it (0.1.0)."""
    name = tables.history_name(entry)
    if tables.table_exists(conn, name):
        return
    staged_columns = tables.existing_columns(conn, tables.staged_name(entry))
    history = tables.history_table(entry)
    history.create(conn)
    if staged_columns:
        present = [c for c in entry.column_names if c in staged_columns]
        staged = tables.staged_table(entry, present)
        conn.execute(
            insert(history).from_select(
                [*present, "valid_from_run", "valid_from"],
                select(
                    *(staged.c[c] for c in present),
                    literal(bootstrap_run),
                    literal(now, DateTime(timezone=True)),
                ),
            )
        )
        log.info("%s : historique initialisé depuis la table publiée", entry.name)


def promote(
    conn: Connection,
    entry: DatasetEntry,
    diff: Diff,
    run_id: str,
    now: datetime,
    *,
    bootstrap_run: str,
) -> None:
    """Apply the candidate: history first, then the staged table, in the caller's transaction."""
    _ensure_history(conn, entry, bootstrap_run, now)
    if not tables.table_exists(conn, tables.staged_name(entry)):
        tables.staged_table(entry).create(conn)
    elif diff.missing_primary_key:
        _rebuild_with_primary_key(conn, entry)
    tables.evolve(conn, entry, drop=diff.columns_dropped)
    history = tables.history_table(entry)
    columns = entry.column_names
    cand = tables.candidate_table(entry)
    stg = tables.staged_table(entry)
    changed = changes_table(entry)

    def keys_of_changes(kinds: tuple[str, ...]) -> Select[Any]:
        return select(*(changed.c[k] for k in entry.business_key)).where(
            changed.c.change.in_(kinds)
        )

    incoming = (
        select(*(cand.c[c] for c in columns))
        .select_from(cand.join(changed, key_match(changed, cand, entry)))
        .where(changed.c.change.in_(INCOMING))
    )
    # 1. Close the current versions of removed, changed and refreshed records.
    conn.execute(
        history.update()
        .where(
            history.c.valid_to_run.is_(None),
            key_of(history, entry).in_(keys_of_changes(SUPERSEDED)),
        )
        .values(valid_to_run=run_id, valid_to=now)
    )
    # 2. Their new versions, and those of the added records.
    conn.execute(
        insert(history).from_select(
            [*columns, "valid_from_run", "valid_from"],
            incoming.add_columns(literal(run_id), literal(now, DateTime(timezone=True))),
        )
    )
    # 3. The staged table follows: drop superseded rows, insert the incoming ones.
    conn.execute(stg.delete().where(key_of(stg, entry).in_(keys_of_changes(SUPERSEDED))))
    conn.execute(insert(stg).from_select(columns, incoming))
    for column_names, change in (
        (diff.columns_added, COLUMN_ADDED),
        (diff.columns_dropped, COLUMN_DROPPED),
    ):
        for name in column_names:
            conn.execute(
                schema_changes.insert().values(
                    run_id=run_id,
                    dataset=entry.name,
                    column_name=name,
                    change=change,
                    recorded_at=now,
                )
            )
    tables.drop_scratch(conn, entry)


def _rebuild_with_primary_key(conn: Connection, entry: DatasetEntry) -> None:
    """A 0.1.0 staged table has no primary key (or one on another business key): copy it
    into one keyed on the business key."""
    present = tables.existing_columns(conn, tables.staged_name(entry))
    old_name = f"old_{tables.staged_name(entry)}"
    old_key = inspect(conn).get_pk_constraint(tables.staged_name(entry)).get("name")
    conn.exec_driver_sql(f"ALTER TABLE {tables.staged_name(entry)} RENAME TO {old_name}")
    if old_key and conn.dialect.name == "postgresql":
        # The old key keeps its name, which PostgreSQL gives to an index of the schema: free
        # it for the new table's key.
        conn.exec_driver_sql(f'ALTER TABLE {old_name} DROP CONSTRAINT "{old_key}"')
    keep = [c for c in entry.column_names if c in present]
    new = tables.staged_table(entry, keep)
    new.create(conn)
    old = Table(old_name, MetaData(), *(Column(c) for c in keep))
    conn.execute(insert(new).from_select(keep, select(*(old.c[c] for c in keep))))
    old.drop(conn)


# --- Changes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of the changelog: a record added or removed, or one column modified."""

    at: datetime
    run_id: str
    key: str
    change: str
    column: str = ""
    old: Any = None
    new: Any = None


def _versions(
    engine: Engine, entry: DatasetEntry, runs: Sequence[str] | None
) -> list[dict[str, Any]]:
    name = tables.history_name(entry)
    present = tables.existing_columns(engine, name)
    if not present:
        return []
    keep = [c for c in present if c not in tables.HISTORY_COLUMNS]
    history = Table(
        name,
        MetaData(),
        *(Column(c) for c in keep),
        *(Column(c) for c in ("valid_from_run", "valid_to_run")),
        Column("valid_from", DateTime(timezone=True)),
        Column("valid_to", DateTime(timezone=True)),
    )
    query = select(history)
    if runs is not None:
        query = query.where(
            or_(history.c.valid_from_run.in_(runs), history.c.valid_to_run.in_(runs))
        )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _schema_events(
    engine: Engine, entry: DatasetEntry
) -> dict[str, list[tuple[str, str, datetime]]]:
    query = select(schema_changes).where(schema_changes.c.dataset == entry.name)
    events: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(query):
            events[row.run_id].append((row.column_name, row.change, row.recorded_at))
    return events


def changes(
    engine: Engine,
    entry: DatasetEntry,
    *,
    runs: Sequence[str] | None = None,
    since: datetime | None = None,
) -> list[Change]:
    """The changes recorded by the history, newest first (``runs``/``since`` narrow them)."""
    versions = _versions(engine, entry, runs)
    events = _schema_events(engine, entry)
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for version in versions:
        by_key[tuple(version[k] for k in entry.business_key)].append(version)
    found: list[Change] = []
    compared = [c for c in entry.column_names if c not in entry.business_key]
    text = {c.name for c in entry.columns if c.type in tables.TEXT_TYPES}
    for key_values, history in by_key.items():
        key = " | ".join(str(v) for v in key_values)
        opened = {v["valid_from_run"]: v for v in history}
        for version in history:
            run = version["valid_from_run"]
            previous = next((v for v in history if v["valid_to_run"] == run), None)
            if previous is None:
                found.append(Change(version["valid_from"], run, key, ADDED))
                continue
            new_columns = {c for c, kind, _ in events.get(run, []) if kind == COLUMN_ADDED}
            for column in compared:
                if column in new_columns or column not in version:
                    continue
                old, new = previous.get(column), version.get(column)
                if _comparable(old, column, text) != _comparable(new, column, text):
                    found.append(
                        Change(version["valid_from"], run, key, MODIFIED, column, old, new)
                    )
        for version in history:
            closed = version["valid_to_run"]
            if closed is not None and closed not in opened:
                found.append(Change(version["valid_to"], closed, key, REMOVED))
    for run, run_events in events.items():
        if runs is not None and run not in runs:
            continue
        for column, kind, at in run_events:
            found.append(Change(at, run, "", kind, column))
    if runs is not None:  # versions of other runs were read only to pair these runs' ones
        found = [c for c in found if c.run_id in runs]
    if since is not None:
        found = [c for c in found if _aware(c.at) >= _aware(since)]
    order = {name: i for i, name in enumerate(entry.column_names)}
    found.sort(key=lambda c: (c.key, order.get(c.column, -1)))
    found.sort(key=lambda c: _aware(c.at), reverse=True)  # stable: newest run first
    return found


def _comparable(value: Any, column: str, text: set[str]) -> Any:
    """A missing text value is "" in the staged table but NULL in versions older than the
    column: the same absence."""
    return "" if value is None and column in text else value


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; compare them as UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def current_count(engine: Engine, entry: DatasetEntry) -> int:
    """Open versions in the history (should equal the staged rows)."""
    name = tables.history_name(entry)
    if not tables.table_exists(engine, name):
        return 0
    history = tables.history_table(entry)
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(history).where(history.c.valid_to_run.is_(None))
            ).scalar_one()
        )
