"""Shared fixtures: isolated settings, the PostgreSQL gate, the offline snapshot."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

from patrimoine.config import PROJECT_DIR, Settings, load_settings
from patrimoine.sandbox.datagouv_portal import DatagouvPortal
from tests.servers import UpstreamServer

PG_URL = os.environ.get(
    "PATRIMOINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SNAPSHOT_DIR = PROJECT_DIR / "snapshot"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Enable PostGIS once, before parallel workers could race to create the extension."""
    if hasattr(session.config, "workerinput") or _postgres_reachable():
        return
    import psycopg

    with contextlib.suppress(Exception):
        plain = PG_URL.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")


def make_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for an isolated run: its own database, cache and portal under tmp_path."""
    env = {
        "PATRIMOINE_DATABASE_URL": f"sqlite:///{tmp_path / 'patrimoine.db'}",
        "PATRIMOINE_PORTAL_DIR": str(tmp_path / "portal"),
        "PATRIMOINE_CACHE_DIR": str(tmp_path / "cache"),
        "PATRIMOINE_HTTP_BACKOFF": "0",
        "PATRIMOINE_HTTP_RETRIES": "2",
        "PATRIMOINE_TASK_RETRIES": "0",
        "PATRIMOINE_PROGRESS": "false",
        # Maps and charts cost a second per dataset: drawn only where a test looks at them
        # (tests/visuals, tests/report, the offline CLI runs).
        "PATRIMOINE_PICTURES": "false",
    }
    env.update(extra)
    return env


def make_settings(tmp_path: Path, **extra: str) -> Settings:
    return load_settings(environ=make_env(tmp_path, **extra))


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The CLI configures logging for its process; in-process CLI tests must not leak it."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    own = {name: logging.getLogger(name).level for name in ("patrimoine", "great_expectations")}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, saved in own.items():
        logging.getLogger(name).setLevel(saved)
    logging.captureWarnings(False)


@pytest.fixture
def snapshot_copy(tmp_path: Path) -> Path:
    """A copy of the bundled snapshot a test may edit, as an upstream that changed."""
    copy = tmp_path / "snapshot"
    shutil.copytree(PROJECT_DIR / "snapshot", copy)
    return copy


@pytest.fixture
def datagouv_portal() -> Iterator[DatagouvPortal]:
    """The local data.gouv.fr (the portal sandbox), fresh per test; must end without errors."""
    with DatagouvPortal() as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def upstream() -> Iterator[UpstreamServer]:
    """A local server playing data.gouv.fr and geo.api.gouv.fr; must end without errors."""
    with UpstreamServer() as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path)


@pytest.fixture
def offline_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, PATRIMOINE_OFFLINE="true")


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except Exception as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server URL; under CI an unreachable server fails the test."""
    problem = _postgres_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required under CI but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL} ({problem}); runs under CI=true")
    return PG_URL


@contextlib.contextmanager
def fresh_schema(postgres_url: str) -> Iterator[str]:
    """A database URL whose search_path is a new schema, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A staging database of its own: a fresh schema of the PostgreSQL test database."""
    with fresh_schema(postgres_url) as url:
        yield url
