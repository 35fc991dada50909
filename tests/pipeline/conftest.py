"""Fixtures of the end-to-end refresh tests (plain stages, no orchestrator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from tests.pipeline.helpers import (
    AUBE,
    AUBE_EPCI,
    MERIMEE_ID,
    NAME,
    aube_rows,
    clermont_rows,
    csv_bytes,
    settings_for,
)
from tests.servers import UpstreamServer, clermont_communes, make_commune, square


@pytest.fixture
def upstream(upstream: UpstreamServer) -> UpstreamServer:
    """The shared local upstream, serving two territories and a national Mérimée file."""
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    upstream.add_epci(
        AUBE_EPCI,
        [
            make_commune(
                c.code,
                c.nom,
                code_epci=AUBE_EPCI,
                code_departement="10",
                code_region="44",
                contour=square(c.lon, c.lat, 0.05),
            )
            for c in AUBE
        ],
        nom="CC de Brienne (test)",
    )
    upstream.add_datagouv_dataset(
        MERIMEE_ID,
        [
            ("geojson", "merimee.geojson", b"{}"),
            ("csv", "merimee.csv", csv_bytes(clermont_rows() + aube_rows())),
        ],
    )
    return upstream


@pytest.fixture
def settings(tmp_path: Path, upstream: UpstreamServer) -> Settings:
    return settings_for(tmp_path, upstream)


@pytest.fixture
def first_run(settings: Settings) -> Settings:
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    return settings
