"""The collectivité's own files next to an upstream dataset (museum opening hours)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrimoine.errors import SourceError
from patrimoine.http import HttpClient
from patrimoine.sources.supplements import fetch
from patrimoine.stages import entry_for
from tests.conftest import make_settings
from tests.servers import UpstreamServer, upstream_env

NAME = "musees-de-france"
HOURS = b"identifiant;horaires\nM9001;Tous les jours 10h-18h\n"


def test_unset_means_no_supplement(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with HttpClient(settings) as client:
        assert fetch(client, settings, entry_for(settings, NAME)) == {}


def test_a_local_file_is_used_where_it_is(tmp_path: Path) -> None:
    hours = tmp_path / "horaires.csv"
    hours.write_bytes(HOURS)
    settings = make_settings(tmp_path, PATRIMOINE_MUSEUM_HOURS=str(hours))
    with HttpClient(settings) as client:
        assert fetch(client, settings, entry_for(settings, NAME)) == {"horaires": hours}


def test_a_url_is_downloaded_into_the_cache(tmp_path: Path, upstream: UpstreamServer) -> None:
    upstream.add_static("/partage/horaires-musees.csv", HOURS, content_type="text/csv")
    settings = make_settings(
        tmp_path,
        **upstream_env(upstream),
        PATRIMOINE_MUSEUM_HOURS=f"{upstream.url}/partage/horaires-musees.csv",
    )
    with HttpClient(settings) as client:
        found = fetch(client, settings, entry_for(settings, NAME))
    assert found["horaires"].read_bytes() == HOURS
    assert found["horaires"].is_relative_to(settings.cache_dir / NAME)


def test_offline_uses_the_snapshot_sample_when_unset(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_OFFLINE="true")
    with HttpClient(settings) as client:
        found = fetch(client, settings, entry_for(settings, NAME))
    assert found == {"horaires": settings.snapshot_dir / "inputs" / "horaires-musees.csv"}


def test_a_configured_file_that_is_missing_fails_naming_the_variable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_MUSEUM_HOURS=str(tmp_path / "absent.csv"))
    with HttpClient(settings) as client, pytest.raises(SourceError) as caught:
        fetch(client, settings, entry_for(settings, NAME))
    message = str(caught.value)
    assert "fichier « horaires » introuvable" in message and "absent.csv" in message
    assert "corrigez PATRIMOINE_MUSEUM_HOURS" in message
