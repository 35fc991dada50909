from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog, select
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import CatalogError

CULTURE = {
    "monuments-historiques",
    "musees-de-france",
    "frequentation-musees",
    "jardins-remarquables",
    "architecture-contemporaine-remarquable",
}
NATURAL = {
    "espaces-proteges",
    "znieff-type-1",
    "znieff-type-2",
    "natura-2000",
    "patrimoine-geologique",
}
CONFIGURED = {"espaces-naturels-sensibles"}
"""Datasets read from a file the collectivité configures per département (no national layer)."""


def test_the_catalog_holds_the_culture_and_natural_datasets() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    assert set(catalog) == CULTURE | NATURAL | CONFIGURED
    assert len(catalog) == 11
    assert catalog["frequentation-musees"].business_key == ("identifiant_museofile", "annee")
    for entry in catalog.values():
        assert entry.metadata.licence == "Licence Ouverte 2.0", entry.name
        attribution = entry.metadata.attribution
        if entry.name in CULTURE:
            assert attribution.startswith("Ministère de la Culture"), entry.name
        elif entry.name in CONFIGURED:
            assert attribution.startswith("Conseil départemental"), entry.name
            assert entry.source["kind"] == "configured_file", entry.name
        else:
            assert attribution == "© PatriNat (OFB-MNHN-CNRS-IRD)", entry.name
            assert entry.source["kind"] == "wfs", entry.name


def test_the_catalog_describes_monuments_historiques() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    entry = catalog["monuments-historiques"]
    assert entry.business_key == ("reference",) and entry.table == "monuments_historiques"
    assert entry.source == {
        "kind": "datagouv_resource",
        "dataset_id": "5af120e5b595087cfabcde81",
        "format": "csv",
        "aliases": {},
    }
    assert entry.metadata.licence == "Licence Ouverte 2.0"
    assert entry.source_suite_path.is_file() and entry.published_suite_path.is_file()
    assert entry.schema_path.is_file()
    assert entry.max_age_days == 7  # weekly
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
    assert [e.name for e in select(catalog, None)] == list(catalog)
    assert [e.name for e in select(catalog, ["musees-de-france"])] == ["musees-de-france"]
    with pytest.raises(CatalogError, match="inconnu"):
        select(catalog, ["musees"])


def _entry_text(**overrides: str) -> str:
    text = (PROJECT_DIR / "catalog" / "monuments-historiques.toml").read_text(encoding="utf-8")
    for old, new in overrides.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_composite_business_key_must_name_published_columns(tmp_path: Path) -> None:
    for folder in ("schemas", "expectations"):
        shutil.copytree(PROJECT_DIR / folder, tmp_path / folder)
    (tmp_path / "catalog").mkdir()
    path = tmp_path / "catalog" / "monuments-historiques.toml"
    path.write_text(
        _entry_text(
            **{'business_key = ["reference"]': 'business_key = ["reference", "code_insee"]'}
        )
    )
    entry = load_catalog(tmp_path / "catalog")["monuments-historiques"]
    assert entry.business_key == ("reference", "code_insee")
    assert entry.key_text(("PA1", "x", "y", "z", "63113")) == "PA1 | 63113"
    path.write_text(
        _entry_text(**{'business_key = ["reference"]': 'business_key = ["reference", "annee"]'})
    )
    with pytest.raises(CatalogError, match="la clé « annee » n'est pas une colonne publiée"):
        load_catalog(tmp_path / "catalog")
    path.write_text(_entry_text(**{'business_key = ["reference"]': "business_key = []"}))
    with pytest.raises(CatalogError, match="business_key"):
        load_catalog(tmp_path / "catalog")
