"""The offline snapshot refreshed once per module: the pages a person would open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import Settings
from patrimoine.pipeline import Outcome, refresh_many
from tests.conftest import make_settings


@dataclass(frozen=True)
class OfflineRun:
    settings: Settings
    outcomes: list[Outcome]

    @property
    def portal(self) -> Path:
        return self.settings.portal_dir

    @property
    def latest_report(self) -> Path:
        return self.settings.var_dir / "rapports" / "dernier.html"


def offline_run(root: Path) -> OfflineRun:
    settings = make_settings(root, PATRIMOINE_OFFLINE="true", PATRIMOINE_PICTURES="true")
    names = sorted(load_catalog(settings.catalog_dir))
    return OfflineRun(settings, refresh_many(settings, names))


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory: pytest.TempPathFactory) -> OfflineRun:
    """Every catalog dataset refreshed from the bundled snapshot, as ``make run`` does."""
    run = offline_run(tmp_path_factory.mktemp("offline"))
    assert all(o.status == "updated" for o in run.outcomes), [
        (o.dataset, o.status, o.error) for o in run.outcomes
    ]
    return run
