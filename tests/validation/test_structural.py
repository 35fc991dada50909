"""Expectations generated from declarations: a TableSchema's constraints, a transform's fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from patrimoine.catalog import DatasetEntry, Metadata
from patrimoine.errors import CatalogError
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.fields import SourceField, with_catalog_aliases
from patrimoine.transforms.merimee import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING, validate_frame
from patrimoine.validation.gx import load_suite_json
from patrimoine.validation.structural import (
    DEFAULT_LEVELS,
    column_expectations,
    published_suite,
    schema_expectations,
    source_suite,
)

NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
REGEX = "expect_column_values_to_match_regex"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
EXISTS = "expect_column_to_exist"

SCHEMA_FIELDS: list[dict[str, Any]] = [
    {
        "name": "reference",
        "type": "string",
        "constraints": {"required": True, "unique": True, "pattern": "PA\\d{8}"},
    },
    {"name": "titre", "type": "string"},
    {"name": "statut", "type": "string", "constraints": {"enum": ["classé", "inscrit"]}},
    {"name": "annee", "type": "integer", "constraints": {"minimum": 1840, "maximum": 2030}},
    {"name": "surface", "type": "number", "constraints": {"minimum": 0, "required": False}},
]


def make_entry(
    tmp_path: Path, fields: list[dict[str, Any]], source: dict[str, Any] | None = None
) -> DatasetEntry:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": fields, "primaryKey": "reference"}), encoding="utf-8")
    return DatasetEntry(
        name="essai",
        source=source or {"kind": "datagouv_resource"},
        transform="merimee",
        business_key=(fields[0]["name"],),
        schema_path=schema,
        source_suite_path=tmp_path / "essai.source.json",
        published_suite_path=tmp_path / "essai.published.json",
        metadata=Metadata("t", "d", "l", "lov2", "https://l", "a", "weekly", "hebdomadaire"),
    )


def identities(expectations: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (e["type"], e["kwargs"]["column"], e["meta"]["level"], e["severity"]) for e in expectations
    ]


# --- From the TableSchema ------------------------------------------------------------------


def test_each_constraint_kind_gives_its_expectation_with_its_default_level(
    tmp_path: Path,
) -> None:
    generated = schema_expectations(make_entry(tmp_path, SCHEMA_FIELDS))
    assert identities(generated) == [
        (NOT_NULL, "reference", ROW, "critical"),
        (UNIQUE, "reference", BLOCKING, "critical"),
        (REGEX, "reference", ROW, "critical"),
        (IN_SET, "statut", ROW, "critical"),
        (BETWEEN, "annee", WARNING, "warning"),
        (BETWEEN, "annee", WARNING, "warning"),
        (BETWEEN, "surface", WARNING, "warning"),
    ]  # "required": false gives nothing; fields without constraints give nothing
    kwargs = [{k: v for k, v in e["kwargs"].items() if k != "column"} for e in generated]
    assert kwargs == [
        {},
        {},
        {"regex": "^(?:PA\\d{8})$"},
        {"value_set": ["classé", "inscrit"]},
        {"min_value": 1840},
        {"max_value": 2030},
        {"min_value": 0},
    ]
    assert [e["meta"]["origin"] for e in generated][:4] == [
        "TableSchema:required",
        "TableSchema:unique",
        "TableSchema:pattern",
        "TableSchema:enum",
    ]
    assert generated[2]["meta"]["title"] == "« reference » au format invalide (attendu PA\\d{8})"
    assert generated[4]["meta"]["title"] == "« annee » inférieure au minimum du schéma (1840)"
    assert generated[5]["meta"]["title"] == "« annee » supérieure au maximum du schéma (2030)"
    assert DEFAULT_LEVELS == {
        "required": ROW,
        "unique": BLOCKING,
        "pattern": ROW,
        "enum": ROW,
        "minimum": WARNING,
        "maximum": WARNING,
    }


def test_generated_expectations_run_and_catch_what_the_schema_forbids(tmp_path: Path) -> None:
    entry = make_entry(tmp_path, SCHEMA_FIELDS)
    business = {
        "name": "essai.published",
        "expectations": [
            {
                "type": NOT_NULL,
                "kwargs": {"column": "titre"},
                "meta": {"level": WARNING, "title": "Titre vide"},
            }
        ],
    }
    frame = pd.DataFrame(
        {
            "reference": ["PA00000001", "xPA00000002x", None, "PA00000001"],
            "titre": ["Eglise", "Maison", None, "Château"],
            "statut": ["classé", "radié", "inscrit", "classé"],
            "annee": [1900, 1790, 2206, 1950],
            "surface": [10.5, -3.0, None, 0.0],
        }
    )
    report = validate_frame(frame, published_suite(entry, business), key="reference")
    found = {(p.expectation, p.column, p.level, tuple(p.sample_keys)) for p in report.problems}
    assert found == {
        (UNIQUE, "reference", BLOCKING, ("PA00000001",)),
        (NOT_NULL, "reference", ROW, ("ligne 3",)),
        (REGEX, "reference", ROW, ("xPA00000002x",)),  # the schema's pattern is anchored
        (IN_SET, "statut", ROW, ("xPA00000002x",)),
        (BETWEEN, "annee", WARNING, ("xPA00000002x",)),
        (BETWEEN, "annee", WARNING, ("ligne 3",)),
        (BETWEEN, "surface", WARNING, ("xPA00000002x",)),
        (NOT_NULL, "titre", WARNING, ("ligne 3",)),  # the business check, after the schema's
    }
    assert report.problems[-1].title == "Titre vide"
    assert sorted(report.quarantine()) == ["ligne 3", "xPA00000002x"]


def test_the_override_property_changes_a_constraint_level(tmp_path: Path) -> None:
    fields = [
        {
            "name": "reference",
            "type": "string",
            "constraints": {"required": True, "pattern": "PA\\d{8}"},
            "x-patrimoine-levels": {"pattern": "warning", "required": "blocking"},
        },
        {
            "name": "annee",
            "type": "integer",
            "constraints": {"maximum": 2030},
            "x-patrimoine-levels": {"maximum": "row"},
        },
    ]
    assert identities(schema_expectations(make_entry(tmp_path, fields))) == [
        (NOT_NULL, "reference", BLOCKING, "critical"),
        (REGEX, "reference", WARNING, "warning"),
        (BETWEEN, "annee", ROW, "critical"),
    ]


@pytest.mark.parametrize(
    ("levels", "match"),
    [
        ({"pattern": "critical"}, "niveau « critical » inconnu"),
        ({"patern": "warning"}, "contrainte inconnue « patern »"),
        ({"unique": "warning"}, "ne déclare pas"),
        ({"required": "warning"}, "ne déclare pas"),  # "required": false
        (["pattern", "warning"], "doit associer"),
    ],
    ids=[
        "unknown-level",
        "misspelt-constraint",
        "undeclared-constraint",
        "false-constraint",
        "list",
    ],
)
def test_a_bad_override_is_a_catalog_error(tmp_path: Path, levels: Any, match: str) -> None:
    fields = [
        {
            "name": "reference",
            "type": "string",
            "constraints": {"pattern": "PA\\d{8}", "required": False},
            "x-patrimoine-levels": levels,
        }
    ]
    with pytest.raises(CatalogError, match=match) as info:
        schema_expectations(make_entry(tmp_path, fields))
    assert "reference" in str(info.value)


@pytest.mark.parametrize("kind", ["minimum", "maximum"])
@pytest.mark.parametrize("column_type", ["string", "date", "year"])
def test_bounds_on_a_non_numeric_column_are_a_catalog_error(
    tmp_path: Path, kind: str, column_type: str
) -> None:
    fields: list[dict[str, Any]] = [
        {"name": "reference", "type": "string"},
        {"name": "maj", "type": column_type, "constraints": {kind: "2026-01-01"}},
    ]
    with pytest.raises(CatalogError, match=f"« maj » : « {kind} »") as info:
        schema_expectations(make_entry(tmp_path, fields))
    assert "essai" in str(info.value)


def test_the_published_suite_is_generated_checks_then_the_files(tmp_path: Path) -> None:
    entry = make_entry(tmp_path, SCHEMA_FIELDS)
    business = {"name": "essai.published", "meta": {"x": 1}, "expectations": [{"type": "t"}]}
    suite = published_suite(entry, business)
    assert suite["name"] == "essai.published" and suite["meta"] == {"x": 1}
    assert suite["expectations"][:-1] == schema_expectations(entry)
    assert suite["expectations"][-1] == {"type": "t"}
    assert business["expectations"] == [{"type": "t"}]  # the loaded file is not modified


# --- From the transform's fields -----------------------------------------------------------


def test_each_non_required_field_gets_an_existence_check_at_its_level() -> None:
    fields = {
        "reference": SourceField(("Reference",), source_fields.REQUIRED),
        "titre": SourceField(("Titre_editorial_de_la_notice", "titre"), source_fields.BLOCKING),
        "lieudit": SourceField(("Lieudit",), source_fields.WARNING),
    }
    generated = column_expectations(fields)
    assert identities(generated) == [
        (EXISTS, "titre", BLOCKING, "critical"),
        (EXISTS, "lieudit", WARNING, "warning"),
    ]
    title = generated[0]["meta"]["title"]
    assert "« Titre_editorial_de_la_notice »" in title and "[source.aliases] titre" in title
    assert generated[0]["meta"]["origin"] == "transform:fields"
    suite = source_suite(fields, {"name": "essai.source", "expectations": [{"type": "t"}]})
    assert suite["expectations"] == [*generated, {"type": "t"}]


def test_the_merimee_fields_give_checks_the_loader_accepts(tmp_path: Path) -> None:
    entry = make_entry(tmp_path, SCHEMA_FIELDS, {"kind": "x", "aliases": {"lieudit": ["Lieu_dit"]}})
    generated = column_expectations(with_catalog_aliases(FIELDS, entry))
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert required == {"reference", "cog"}
    assert [e["kwargs"]["column"] for e in generated] == [n for n in FIELDS if n not in required]
    levels = {e["meta"]["level"] for e in generated}
    assert levels == {BLOCKING, WARNING}
    lieudit = next(e for e in generated if e["kwargs"]["column"] == "lieudit")
    assert "« Lieudit »" in lieudit["meta"]["title"]  # the producer's spelling, not the alias
    path = tmp_path / "generated.json"
    path.write_text(json.dumps({"name": "g", "expectations": generated}), encoding="utf-8")
    assert load_suite_json(path)["expectations"] == generated
