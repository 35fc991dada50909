"""Database connection and dated SQL migrations (``migrations/YYYYMMDD_description.sql``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from patrimoine.errors import StagingError

log = logging.getLogger(__name__)

MIGRATIONS = Path(str(resources.files("patrimoine.staging") / "migrations"))


def make_engine(url: str) -> Engine:
    """An engine for the staging database; the SQLite folder is created on demand."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def migrate(engine: Engine) -> list[str]:
    """Apply the migrations not yet recorded; return the versions applied now."""
    applied_now: list[str] = []
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version TEXT PRIMARY KEY, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)"
                )
            )
            done = {row[0] for row in conn.execute(text("SELECT version FROM schema_migrations"))}
            for path in sorted(MIGRATIONS.glob("*.sql")):
                version = path.stem
                if version in done:
                    continue
                for statement in _statements(path.read_text(encoding="utf-8")):
                    conn.execute(text(statement))
                conn.execute(
                    text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"),
                    {"v": version, "t": datetime.now(UTC)},
                )
                applied_now.append(version)
                log.info("Migration appliquée : %s", version)
    except OperationalError as exc:
        raise StagingError(
            f"base de données injoignable ou refusée ({engine.url.render_as_string()}) : {exc.orig}"
        ) from None
    return applied_now
