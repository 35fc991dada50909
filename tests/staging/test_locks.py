from __future__ import annotations

import pytest
from sqlalchemy import Engine

from patrimoine.errors import DatasetBusy
from patrimoine.staging.locks import dataset_lock


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
