"""Database connection and schema migrations (Alembic, dated revisions).

The fixed tables (run ledger, territory cache, quarantine) are migrated by the Alembic
revisions in ``migrations/versions/`` (``YYYYMMDD_description.py``), applied automatically
at start, the same scripts on SQLite and PostgreSQL. The per-dataset tables (staged table
and history) follow their TableSchema instead: :mod:`patrimoine.staging.tables` adds a new
column when the schema gains one. On PostgreSQL, PostGIS is enabled here when the server
offers it (:mod:`patrimoine.staging.postgis`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from patrimoine.errors import StagingError
from patrimoine.staging import postgis

log = logging.getLogger(__name__)

MIGRATIONS = Path(str(resources.files("patrimoine.staging") / "migrations"))
LEGACY_TABLE = "schema_migrations"
"""The hand-written migration runner of 0.1.0 recorded its versions here."""
LEGACY_BASELINE = "20261129_initial"
_MIGRATION_LOCK = 0x70617472  # "patr": serialises concurrent start-ups on PostgreSQL
_MIGRATING = threading.Lock()
"""Alembic's ``context`` is process-wide: one migration at a time per process."""
WAL_ATTEMPTS = 40
"""Tries of the switch to WAL of a new SQLite file (about 40 s in all, see :func:`_wal`)."""
_IMMEDIATE = "patrimoine_begin_immediate"
"""Execution option: on SQLite, take the write lock at BEGIN (see :func:`migrate`)."""


def make_engine(url: str) -> Engine:
    """An engine for the staging database; the SQLite folder is created on demand."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # pysqlite would BEGIN only before DML, leaving DDL (new tables, new columns)
            # outside the transaction: take over BEGIN so a promotion is all or nothing.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            _wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            immediate = conn.get_execution_options().get(_IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL (once for good), trying again while it is locked.

    On a new file two start-ups can meet in rollback-journal mode: one commits its first
    migration while the other asks for the exclusive lock WAL needs. SQLite answers such
    a would-be deadlock at once, without the busy timeout; trying again lets the first
    commit, and from then on the file is in WAL.
    """
    for attempt in range(1, WAL_ATTEMPTS + 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _adopt_legacy(conn: Connection, config: Config) -> None:
    """A 0.1.0 database: stamp it at the baseline its SQL migration created, then forget it."""
    applied = {row[0] for row in conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}"))}
    if LEGACY_BASELINE not in applied:
        raise StagingError(
            f"base créée par une version inconnue de patrimoine (migrations {sorted(applied)})",
            hint="utilisez une base neuve ou la version de patrimoine qui l'a créée",
        )
    command.stamp(config, LEGACY_BASELINE)
    conn.execute(text(f"DROP TABLE {LEGACY_TABLE}"))
    log.info("Base de la version 0.1.0 reprise par Alembic (révision %s)", LEGACY_BASELINE)


def migrate(engine: Engine) -> str:
    """Bring the database to the head revision; return it.

    Raises:
        StagingError: the database is unreachable or refuses the migration.
    """
    try:
        # Concurrent start-ups wait for each other: in this process on the lock, across
        # processes on PostgreSQL's advisory lock or SQLite's write lock, taken up front
        # (a deferred BEGIN would fail, not wait, when the first migration commits).
        with (
            _MIGRATING,
            engine.connect() as conn,
            conn.execution_options(**{_IMMEDIATE: True}).begin(),
        ):
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            config = alembic_config(conn)
            tables = set(inspect(conn).get_table_names())
            if LEGACY_TABLE in tables and "alembic_version" not in tables:
                _adopt_legacy(conn, config)
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(config, "head")
            after = MigrationContext.configure(conn).get_current_revision()
            postgis.enable(conn)  # at every start: the server may have gained PostGIS since
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
        raise StagingError(
            f"base de données injoignable ou refusée "
            f"({engine.url.render_as_string(hide_password=True)}) : {first_line}"
        ) from None
    if before != after:
        log.info("Schéma de la base mis à jour : %s → %s", before or "vide", after)
    return str(after)
