from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from patrimoine.config import PROJECT_DIR, TerritorySpec, load_settings
from patrimoine.errors import SettingsError


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings(environ={})
    assert settings.territory == TerritorySpec("epci", ("246300701",))
    assert settings.database_url == f"sqlite:///{PROJECT_DIR / 'var' / 'patrimoine.db'}"
    assert settings.portal_dir == PROJECT_DIR / "var" / "portal"
    assert settings.datagouv_url == "https://www.data.gouv.fr"
    assert settings.geo_api_url == "https://geo.api.gouv.fr"
    assert settings.offline is False


def test_environment_overrides_toml(tmp_path: Path) -> None:
    config = tmp_path / "patrimoine.toml"
    config.write_text(
        'territory = "communes:63113,63075"\nhttp_retries = 5\n'
        'datagouv_url = "http://mirror.test/"\n'
    )
    settings = load_settings(environ={"PATRIMOINE_HTTP_RETRIES": "1"}, config_file=config)
    assert settings.territory.codes == ("63113", "63075")
    assert settings.http_retries == 1
    assert settings.datagouv_url == "http://mirror.test"


def test_postgres_url_gets_the_psycopg_driver() -> None:
    settings = load_settings(environ={"PATRIMOINE_DATABASE_URL": "postgresql://u@h/db"})
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PATRIMOINE_TERRITORY", "epci:12"),
        ("PATRIMOINE_TERRITORY", "departement:63"),
        ("PATRIMOINE_TERRITORY", "communes:6311"),
        ("PATRIMOINE_DATABASE_URL", "mysql://x"),
        ("PATRIMOINE_DATAGOUV_URL", "www.data.gouv.fr"),
        ("PATRIMOINE_HTTP_RETRIES", "beaucoup"),
        ("PATRIMOINE_OFFLINE", "peut-être"),
    ],
)
def test_invalid_setting_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={variable: value})
    assert caught.value.setting == variable
    assert variable in str(caught.value)


def test_unknown_key_in_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text('territoire = "epci:246300701"\n')
    with pytest.raises(SettingsError, match="territoire"):
        load_settings(environ={}, config_file=config)


def test_committed_example_only_documents_defaults() -> None:
    assert load_settings(environ={}, config_file=PROJECT_DIR / "patrimoine.toml") == load_settings(
        environ={}, config_file=None
    )


def test_cli_exits_2_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "patrimoine.cli", "run", "--no-prefect"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PATRIMOINE_TERRITORY": "epci:abc"},
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "PATRIMOINE_TERRITORY" in lines[0]


def test_database_password_never_shows_in_repr_or_errors() -> None:
    from patrimoine.errors import StagingError
    from patrimoine.staging.db import make_engine, migrate

    url = "postgresql+psycopg://patrimoine:s3cr3t-pw@127.0.0.1:1/nowhere"
    settings = load_settings(environ={"PATRIMOINE_DATABASE_URL": url})
    assert "s3cr3t-pw" not in repr(settings)
    with pytest.raises(StagingError) as caught:
        migrate(make_engine(settings.database_url))
    assert "s3cr3t-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize("key", ["datagouv_api_key", "ods_api_key"])
def test_an_api_key_in_toml_is_refused_without_being_echoed(tmp_path: Path, key: str) -> None:
    config = tmp_path / "patrimoine.toml"
    config.write_text(f'{key} = "udata_cle_secrete_123"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, config_file=config)
    message = str(caught.value)
    assert f"PATRIMOINE_{key.upper()}" in message
    assert "udata_cle_secrete_123" not in message


def test_portals_are_a_list_of_known_kinds() -> None:
    settings = load_settings(environ={"PATRIMOINE_PORTAL": "local, datagouv,ods,local"})
    assert settings.portal == ("local", "datagouv", "ods")
    with pytest.raises(SettingsError, match="portails connus"):
        load_settings(environ={"PATRIMOINE_PORTAL": "ckan"})
    secret = load_settings(environ={"PATRIMOINE_DATAGOUV_API_KEY": "udata_cle"})
    assert "udata_cle" not in repr(secret)
