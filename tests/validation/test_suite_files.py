"""The suite files of expectations/: GX loads them whole, and they match their schemas."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

from patrimoine.validation import SEVERITIES, load_suite_json, suite_parameters

PROJECT_DIR = Path(__file__).resolve().parents[2]
SUITES = sorted((PROJECT_DIR / "expectations").glob("*.json"))


def schema_for(suite_path: Path) -> dict[str, Any]:
    path = PROJECT_DIR / "schemas" / suite_path.name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_there_are_suites() -> None:
    assert [p.name for p in SUITES] >= ["monuments-historiques.json"]


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_gx_loads_every_expectation_losslessly(path: Path) -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from great_expectations.core import ExpectationSuite

    data = load_suite_json(path)
    suite = ExpectationSuite(**data)
    # GX drops invalid expectations with a log line instead of raising: count them.
    assert len(suite.expectations) == len(data["expectations"])
    assert suite.to_json_dict() == data


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_suite_is_documented_in_french(path: Path) -> None:
    data = load_suite_json(path)
    assert data["name"] == path.stem
    for exp in data["expectations"]:
        assert exp["severity"] in SEVERITIES
        assert exp.get("description"), exp
        assert exp.get("notes"), exp


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_suite_matches_table_schema(path: Path) -> None:
    data = load_suite_json(path)
    fields = {f["name"]: f for f in schema_for(path)["fields"]}
    columns = {e["kwargs"]["column"] for e in data["expectations"] if "column" in e["kwargs"]}
    assert columns <= set(fields), "the suite names a column the schema does not publish"
    existing = {
        e["kwargs"]["column"] for e in data["expectations"] if e["type"] == "expect_column_to_exist"
    }
    required = {n for n, f in fields.items() if f.get("constraints", {}).get("required")}
    assert required <= existing


def test_monuments_historiques_rules() -> None:
    data = load_suite_json(PROJECT_DIR / "expectations" / "monuments-historiques.json")
    by_rule = {(e["type"], e["kwargs"].get("column")): e for e in data["expectations"]}
    assert suite_parameters(data) == {
        "territory_insee_codes",
        "lat_min",
        "lat_max",
        "lon_min",
        "lon_max",
    }
    regex = by_rule[("expect_column_values_to_match_regex", "reference")]
    assert regex["kwargs"]["regex"] == r"^PA\d{8}$"
    assert regex["kwargs"].get("mostly", 1.0) == 1.0  # GX does not write the default
    assert regex["severity"] == "critical"
    status = by_rule[("expect_column_values_to_be_in_set", "statut_protection")]
    assert status["severity"] == "warning"
    assert [e["severity"] for e in data["expectations"]].count("warning") == 1
    assert by_rule[("expect_table_row_count_to_be_between", None)]["kwargs"]["min_value"] == 1


def test_suite_files_are_what_build_suites_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_suites", PROJECT_DIR / "scripts" / "build_suites.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
