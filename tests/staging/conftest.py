from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, Date, DateTime, Engine, MetaData, Table

from patrimoine.staging import postgis
from patrimoine.staging.db import make_engine, migrate
from tests.staging.support import FIXTURES

LEGACY_TABLES = (
    "schema_migrations",
    "runs",
    "territory_communes",
    "record_history",
    "stg_monuments_historiques",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'staging.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Where a test writes its own catalog entries, TableSchemas and suites."""
    return tmp_path / "project"


# --- A database made by patrimoine 0.1.0 --------------------------------------------------


def sql_statements(path: Path) -> list[str]:
    """The statements of a SQL file (no ``;`` inside literals), comments left out."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _legacy_rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of the 0.1.0 SQLite dump, by table."""
    memory = sqlite3.connect(":memory:")
    memory.row_factory = sqlite3.Row
    memory.executescript((FIXTURES / "release-0.1.0.sqlite.sql").read_text(encoding="utf-8"))
    rows = {t: [dict(r) for r in memory.execute(f"SELECT * FROM {t}")] for t in LEGACY_TABLES}
    memory.close()
    return rows


def _typed(value: Any, column_type: Any) -> Any:
    """A value of the SQLite dump as PostgreSQL wants it (booleans were 0/1, dates text)."""
    if value is None:
        return None
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


def create_legacy_database(database_url: str) -> Engine:
    """The 0.1.0 database of the fixtures, on the backend of ``database_url``, not migrated."""
    if database_url.startswith("sqlite:///"):
        raw = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        raw.executescript((FIXTURES / "release-0.1.0.sqlite.sql").read_text(encoding="utf-8"))
        raw.close()
        return make_engine(database_url)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for statement in sql_statements(FIXTURES / "release-0.1.0.postgresql.sql"):
            conn.exec_driver_sql(statement)
        for name, rows in _legacy_rows().items():
            table = Table(name, MetaData(), autoload_with=conn)
            conn.execute(
                table.insert(),
                [{c: _typed(v, table.c[c].type) for c, v in row.items()} for row in rows],
            )
    return engine


@pytest.fixture
def legacy_engine(database_url: str) -> Iterator[Engine]:
    """A staging database created by patrimoine 0.1.0 (6 staged notices), not yet migrated."""
    engine = create_legacy_database(database_url)
    yield engine
    engine.dispose()


# --- PostGIS --------------------------------------------------------------------------------


@pytest.fixture
def postgis_engine(pg_schema_url: str) -> Iterator[Engine]:
    """A PostgreSQL staging database with PostGIS enabled (as :func:`migrate` does it).

    Skipped with a reason when the server has no PostGIS, except under ``CI=true`` where
    the test fails: ``.ci/run`` installs it.
    """
    engine = make_engine(pg_schema_url)
    migrate(engine)
    with engine.connect() as conn:
        schema = postgis.extension_schema(conn)
    if schema is None:
        engine.dispose()
        problem = "PostGIS not available on the PostgreSQL test server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}, required under CI (.ci/run installs postgresql-*-postgis-3)")
        pytest.skip(f"{problem}; install postgresql-15-postgis-3 (required under CI=true)")
    yield engine
    engine.dispose()
