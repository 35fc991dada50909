"""The offline snapshot refreshed once for the visuals tests: every dataset's staged rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.pipeline import refresh_many
from patrimoine.publish.render import RenderedFile
from patrimoine.stages import engine_for, territory_for
from patrimoine.staging import tables
from patrimoine.territory import Territory
from patrimoine.visuals import render_dataset
from tests.conftest import make_settings

Datasets = list[tuple[DatasetEntry, Sequence[Sequence[Any]]]]
Drawn = dict[str, dict[str, "RenderedFile"]]


@pytest.fixture(scope="session")
def offline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Datasets, Territory]:
    """Every catalog dataset refreshed from the bundled snapshot, read back from staging."""
    tmp: Path = tmp_path_factory.mktemp("visuals")
    # The tests draw from the staged rows themselves: the run need not draw them too.
    settings = make_settings(tmp, PATRIMOINE_OFFLINE="true", PATRIMOINE_PICTURES="false")
    catalog = load_catalog(PROJECT_DIR / "catalog")
    outcomes = refresh_many(settings, list(catalog))
    assert all(o.status == "updated" for o in outcomes), [o.error for o in outcomes]
    engine = engine_for(settings)
    datasets: Datasets = [
        (entry, tables.read_rows(engine, entry, tables.staged_name(entry)))
        for entry in catalog.values()
    ]
    return datasets, territory_for(settings)


@pytest.fixture(scope="session")
def drawn(offline: tuple[Datasets, Territory]) -> Drawn:
    """Every dataset's pictures and page, drawn once: dataset name → file name → file."""
    datasets, territory = offline
    return {
        entry.name: {f.name: f for f in render_dataset(entry, rows, territory)}
        for entry, rows in datasets
    }
