"""The whole offline snapshot published to the three portals at once, as a collectivité that
keeps its local folder while it publishes to data.gouv.fr and to its OpenDataSoft portal.

Real stages, real local portals on 127.0.0.1: every dataset reaches every portal, a second
run writes nothing anywhere, and a dry run lists each portal's actions without a write.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import refresh_many
from patrimoine.sandbox.datagouv_portal import DatagouvPortal
from patrimoine.stages import engine_for
from patrimoine.staging import portal_store
from tests.conftest import make_settings
from tests.servers.ods import OdsServer

NAMES = sorted(load_catalog(PROJECT_DIR / "catalog"))
KEYS = ("udata-cle-secrete", "ods-cle-secrete")


@pytest.fixture
def portals() -> Iterator[tuple[DatagouvPortal, OdsServer]]:
    with DatagouvPortal() as datagouv, OdsServer(api_key=KEYS[1], processing_polls=1) as ods:
        yield datagouv, ods
    assert not datagouv.errors and not ods.errors


def settings_for(tmp_path: Path, datagouv: DatagouvPortal, ods: OdsServer) -> Settings:
    return make_settings(
        tmp_path,
        PATRIMOINE_OFFLINE="true",
        PATRIMOINE_PORTAL="local,datagouv,ods",
        PATRIMOINE_DATAGOUV_PUBLISH_URL=datagouv.url,
        PATRIMOINE_DATAGOUV_API_KEY=datagouv.api_key,
        PATRIMOINE_DATAGOUV_ORGANIZATION=datagouv.organization,
        PATRIMOINE_ODS_URL=ods.url,
        PATRIMOINE_ODS_API_KEY=ods.api_key,
        PATRIMOINE_ODS_STATUS_TIMEOUT="5",
        PATRIMOINE_HTTP_BACKOFF="0",
    )


def test_the_snapshot_reaches_every_portal_then_nothing_is_rewritten(
    tmp_path: Path, portals: tuple[DatagouvPortal, OdsServer]
) -> None:
    datagouv, ods = portals
    settings = settings_for(tmp_path, datagouv, ods)

    dry = {o.dataset: o for o in refresh_many(settings, NAMES, dry_run=True)}
    assert {o.status for o in dry.values()} == {"dry-run"}, [o.error for o in dry.values()]
    assert datagouv.writes() == [] and ods.writes() == []
    planned = dry["monuments-historiques"].actions
    assert "local : créer monuments-historiques.csv" in planned
    assert any(a.startswith("datagouv : créer le jeu") for a in planned)
    assert "ods : publier le jeu" in planned

    first = {o.dataset: o for o in refresh_many(settings, NAMES)}
    assert {o.status for o in first.values()} == {"updated"}, [o.error for o in first.values()]
    assert len(datagouv.state.datasets) == len(NAMES) == len(ods.datasets) == 11
    engine = engine_for(settings)
    for name in NAMES:
        assert (settings.portal_dir / name / f"{name}.csv").is_file()
        on_datagouv = portal_store.load(engine, "datagouv", datagouv.url, name)
        on_ods = portal_store.load(engine, "ods", ods.url, name)
        assert on_datagouv is not None and on_ods is not None, name
        assert on_datagouv.remote_id in datagouv.state.datasets
        assert ods.by_dataset_id(name).uid == on_ods.remote_id
    written = (len(datagouv.writes()), len(ods.writes()))

    again = {o.dataset: o.status for o in refresh_many(settings, NAMES)}
    assert set(again.values()) == {"unchanged"}
    assert (len(datagouv.writes()), len(ods.writes())) == written  # nothing sent anywhere
    # The keys are in no file the run left (database, portal folder, cache).
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(key.encode() in content for key in (datagouv.api_key, ods.api_key))
