"""Files the collectivité names per département (``kind = "configured_file"``): the
setting's format, which départements are read, the formats and CRS of a file, the errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from shapely.geometry import shape

from patrimoine.config import load_settings
from patrimoine.errors import NotConfigured, PipelineError, SchemaError, SettingsError
from patrimoine.http import HttpClient
from patrimoine.sources import configured_file
from patrimoine.sources.configured_file import DEPARTEMENT, MISSING, NOTES, read_features
from patrimoine.stages import entry_for
from patrimoine.territory import Commune, Territory
from tests.conftest import make_env, make_settings
from tests.samples import ens as samples
from tests.servers import UpstreamServer
from tests.transforms.geo import clermont_territory

NAME = "espaces-naturels-sensibles"
TERRITORY = clermont_territory()
TWO_DEPARTEMENTS = Territory(
    key="test",
    label="test",
    communes=(*TERRITORY.communes, Commune("03185", "Montluçon", "03")),
)


def test_the_setting_maps_departements_to_locations(tmp_path: Path) -> None:
    env = make_env(
        tmp_path, PATRIMOINE_ENS_SOURCES=" 63=https://exemple.fr/ens.geojson ; 3=data/ens03.csv;"
    )
    settings = load_settings(environ=env)
    (first, url), (second, path) = settings.ens_sources
    assert (first, url) == ("03", str(Path(__file__).resolve().parents[2] / "data/ens03.csv"))
    assert (second, path) == ("63", "https://exemple.fr/ens.geojson")


@pytest.mark.parametrize(
    "value", ["https://exemple.fr/ens.geojson", "63=", "6x=/a.csv", "63=a;63=b"]
)
def test_a_malformed_setting_names_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="PATRIMOINE_ENS_SOURCES"):
        load_settings(environ=make_env(tmp_path, PATRIMOINE_ENS_SOURCES=value))


def test_empty_setting_is_not_configured_naming_the_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(NotConfigured) as caught:
        configured_file.locations(entry_for(settings, NAME), settings, TERRITORY)
    assert "PATRIMOINE_ENS_SOURCES" in str(caught.value)
    assert "63=chemin ou URL" in str(caught.value)


def test_a_setting_for_other_departements_only_is_not_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES="42=/data/ens42.csv")
    with pytest.raises(NotConfigured, match="donné pour 42 seulement"):
        configured_file.locations(entry_for(settings, NAME), settings, TERRITORY)


def test_offline_uses_the_snapshot_sample_when_unset(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_OFFLINE="true")
    (location,) = configured_file.locations(entry_for(settings, NAME), settings, TERRITORY)
    assert location == configured_file.Location(
        "63", str(settings.snapshot_dir / "inputs" / samples.SAMPLE_FILE)
    )


def test_a_departement_without_file_is_a_warning_and_merged_as_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sample = tmp_path / "ens63.geojson"
    sample.write_bytes(samples.ens_geojson())
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES=f"63={sample}")
    with caplog.at_level(logging.WARNING), HttpClient(settings) as client:
        result = configured_file.extract(
            client, settings, entry_for(settings, NAME), TWO_DEPARTEMENTS
        )
    assert "aucun fichier pour le département 03" in caplog.text
    assert "PATRIMOINE_ENS_SOURCES" in caplog.text
    merged = json.loads(result.path.read_bytes())
    assert merged[NOTES] == {MISSING: ["03"]}
    assert len(merged["features"]) == len(samples.ORDER)
    assert {f["properties"][DEPARTEMENT] for f in merged["features"]} == {"63"}
    assert result.url == "63=fichier ens63.geojson"  # no local path in the sheet


def test_a_url_is_downloaded(tmp_path: Path, upstream: UpstreamServer) -> None:
    upstream.add_static("/ens/ens.csv", samples.ens_csv(), content_type="text/csv")
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES=f"63={upstream.url}/ens/ens.csv")
    with HttpClient(settings) as client:
        result = configured_file.extract(client, settings, entry_for(settings, NAME), TERRITORY)
    merged = json.loads(result.path.read_bytes())
    assert [f["properties"]["identifiant"] for f in merged["features"]] == list(samples.ORDER)
    assert result.url == f"63={upstream.url}/ens/ens.csv"


def test_an_unreadable_url_fails_naming_the_setting_and_departement(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES=f"63={upstream.url}/absent.geojson")
    with HttpClient(settings) as client, pytest.raises(PipelineError) as caught:
        configured_file.extract(client, settings, entry_for(settings, NAME), TERRITORY)
    message = str(caught.value)
    assert "département 63" in message and "PATRIMOINE_ENS_SOURCES" in message
    assert "404" in message


def test_a_missing_path_fails_naming_the_setting_and_departement(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES=f"63={tmp_path / 'absent.csv'}")
    with HttpClient(settings) as client, pytest.raises(PipelineError) as caught:
        configured_file.extract(client, settings, entry_for(settings, NAME), TERRITORY)
    message = str(caught.value)
    assert "département 63 introuvable" in message and "absent.csv" in message
    assert "corrigez PATRIMOINE_ENS_SOURCES pour le département 63" in message


def test_a_csv_without_geometry_column_fails_with_one_clear_message(tmp_path: Path) -> None:
    body = samples.ens_csv(geometry_column=None)
    with pytest.raises(SchemaError) as caught:
        read_features(body, "ens63.csv")
    assert "n'a pas de colonne de géométrie" in str(caught.value)
    assert "ou un fichier GeoJSON" in str(caught.value)
    # Through the source, the département and the setting are named too.
    path = tmp_path / "ens63.csv"
    path.write_bytes(body)
    settings = make_settings(tmp_path, PATRIMOINE_ENS_SOURCES=f"63={path}")
    with HttpClient(settings) as client, pytest.raises(SchemaError, match="département 63"):
        configured_file.extract(client, settings, entry_for(settings, NAME), TERRITORY)


@pytest.mark.parametrize(
    "body",
    [
        samples.ens_csv(),  # ; UTF-8 with BOM
        samples.ens_csv(encoding="utf-8", delimiter=","),
        samples.ens_csv(encoding="cp1252"),  # an Excel export
    ],
)
def test_csv_separators_and_encodings(body: bytes) -> None:
    found = read_features(body, "ens.csv")
    assert [f["properties"]["identifiant"] for f in found] == list(samples.ORDER)
    assert found[0]["properties"]["commentaire"].startswith("SYNTHÉTIQUE")
    assert "geometrie" not in found[0]["properties"]


def test_lambert93_is_detected_by_crs_member_by_metres_and_by_srid() -> None:
    expected = shape(samples.geometries()[samples.PLAIN])
    feature = samples.features()[-2]
    declared = samples.ens_geojson([feature])
    undeclared = json.loads(declared)
    del undeclared["crs"]
    lambert = shape(json.loads(declared)["features"][0]["geometry"])
    ewkt = f'identifiant;geom\n{samples.PLAIN};"SRID=2154;{lambert.wkt}"\n'.encode()
    geojson_text = json.dumps(json.loads(declared)["features"][0]["geometry"])
    quoted = geojson_text.replace('"', '""')
    as_text = f'identifiant;the_geom\n{samples.PLAIN};"{quoted}"\n'.encode()
    for body in (declared, json.dumps(undeclared).encode(), ewkt, as_text):
        (found,) = read_features(body, "ens")
        got = shape(found["geometry"])
        assert got.symmetric_difference(expected).area < 1e-4 * expected.area


def test_an_unreadable_geometry_text_is_kept_for_the_transform_to_report() -> None:
    body = b"identifiant;wkt\nfr-ENS063-000001;POLYGON((1 2, 3\nfr-ENS063-000002;\n"
    first, second = read_features(body, "ens.csv")
    assert first["geometry"] == {"type": "illisible"}
    assert second["geometry"] is None
