from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from patrimoine.errors import DatasetBusy
from patrimoine.staging.db import make_engine
from patrimoine.staging.locks import dataset_lock
from tests.conftest import fresh_schema


def test_a_dataset_is_refreshed_by_one_run_at_a_time(engine: Engine) -> None:
    with dataset_lock(engine, "monuments-historiques"):
        with (
            pytest.raises(DatasetBusy, match="un autre run"),
            dataset_lock(engine, "monuments-historiques"),
        ):
            pass
        with dataset_lock(engine, "musees"):  # other datasets are not blocked
            pass
    with dataset_lock(engine, "monuments-historiques"):  # released
        pass


@pytest.fixture
def other_schema_url(postgres_url: str) -> Iterator[str]:
    """A second staging database (schema) on the same PostgreSQL database."""
    with fresh_schema(postgres_url) as url:
        yield url


@pytest.mark.postgres
def test_staging_schemas_of_one_postgresql_database_lock_apart(
    pg_schema_url: str, other_schema_url: str
) -> None:
    """Advisory locks are database-wide: two territories staged in two schemas of the same
    database (or two test runs) must not block each other's datasets."""
    first, second = make_engine(pg_schema_url), make_engine(other_schema_url)
    try:
        with dataset_lock(first, "monuments-historiques"):
            with dataset_lock(second, "monuments-historiques"):
                pass
            with (
                pytest.raises(DatasetBusy),
                dataset_lock(make_engine(pg_schema_url), "monuments-historiques"),
            ):
                pass
    finally:
        first.dispose()
        second.dispose()
