from __future__ import annotations

from pathlib import Path

import pytest

from patrimoine.errors import SourceError
from patrimoine.http import HttpClient
from patrimoine.sources.datagouv_resource import extract, pick_resource
from patrimoine.stages import entry_for
from patrimoine.territory import Commune, Territory
from tests.conftest import make_settings
from tests.servers import UpstreamServer, upstream_env

ID = "5af120e5b595087cfabcde81"
TERRITORY = Territory(
    "communes:63113", "Clermont-Ferrand", (Commune("63113", "Clermont-Ferrand", "63"),)
)


def test_pick_resource_wants_the_main_file_of_the_format() -> None:
    dataset = {
        "resources": [
            {"id": "geo", "format": "geojson", "type": "main"},
            {"id": "doc", "format": "csv", "type": "documentation"},
            {"id": "data", "format": " CSV ", "type": "main"},
        ]
    }
    assert pick_resource(dataset, "csv", "u")["id"] == "data"
    with pytest.raises(SourceError, match="format parquet"):
        pick_resource(dataset, "parquet", "https://example/api")


def test_extract_resolves_the_current_resource_every_time(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    upstream.add_datagouv_dataset(
        ID, [("geojson", "m.geojson", b"{}"), ("csv", "merimee.csv", b"Reference\n")]
    )
    settings = make_settings(tmp_path, **upstream_env(upstream))
    entry = entry_for(settings, "monuments-historiques")
    with HttpClient(settings) as client:
        first = extract(client, settings, entry, TERRITORY)
        upstream.replace_file(ID, "merimee.csv", b"Reference\nPA00000001\n")  # new URL
        second = extract(client, settings, entry, TERRITORY)
    assert first.resource_id == second.resource_id
    assert first.url != second.url and not second.not_modified
    assert second.path.read_bytes() == b"Reference\nPA00000001\n"
    assert second.path.parent == settings.cache_dir / "monuments-historiques"


def test_unknown_dataset_is_a_clear_source_error(tmp_path: Path, upstream: UpstreamServer) -> None:
    settings = make_settings(tmp_path, **upstream_env(upstream))
    entry = entry_for(settings, "monuments-historiques")
    with HttpClient(settings) as client, pytest.raises(SourceError) as caught:
        extract(client, settings, entry, TERRITORY)
    assert "HTTP 404" in str(caught.value) and f"/api/1/datasets/{ID}/" in str(caught.value)
