from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog, select
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import CatalogError


def test_the_catalog_describes_monuments_historiques() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    entry = catalog["monuments-historiques"]
    assert entry.business_key == "reference" and entry.table == "monuments_historiques"
    assert entry.source == {
        "kind": "datagouv_resource",
        "dataset_id": "5af120e5b595087cfabcde81",
        "format": "csv",
    }
    assert entry.metadata.licence == "Licence Ouverte 2.0"
    assert entry.suite_path.is_file() and entry.schema_path.is_file()
    assert entry.column_names[0] == "reference"
    assert all(c.description for c in entry.columns)


def test_a_catalog_elsewhere_brings_its_own_schemas(tmp_path: Path) -> None:
    for folder in ("catalog", "schemas", "expectations"):
        shutil.copytree(PROJECT_DIR / folder, tmp_path / folder)
    entry = load_catalog(tmp_path / "catalog")["monuments-historiques"]
    assert entry.schema_path == tmp_path / "schemas" / "monuments-historiques.json"


def test_broken_entries_are_named(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "musees.toml").write_text('name = "musees"\n')
    with pytest.raises(CatalogError, match=r"musees\.toml : clé obligatoire « metadata »"):
        load_catalog(tmp_path / "catalog")
    with pytest.raises(CatalogError, match="aucun jeu"):
        load_catalog(tmp_path / "empty")


def test_select_refuses_unknown_names() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    assert [e.name for e in select(catalog, None)] == ["monuments-historiques"]
    with pytest.raises(CatalogError, match="inconnu"):
        select(catalog, ["musees"])
