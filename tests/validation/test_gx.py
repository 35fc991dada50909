"""validate_frame on small in-memory tables, with the real monuments-historiques suite."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from patrimoine.errors import CatalogError
from patrimoine.validation import (
    Problem,
    ValidationReport,
    load_suite_json,
    suite_parameters,
    validate_frame,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
SUITE = PROJECT_DIR / "expectations" / "monuments-historiques.json"
SCHEMA = PROJECT_DIR / "schemas" / "monuments-historiques.json"
COLUMNS = [f["name"] for f in json.loads(SCHEMA.read_text(encoding="utf-8"))["fields"]]
PARAMETERS: dict[str, Any] = {
    "territory_insee_codes": {"01053", "01004"},
    "lat_min": 45.9,
    "lat_max": 46.4,
    "lon_min": 4.9,
    "lon_max": 5.6,
}


def row(reference: str | None, **values: Any) -> dict[str, Any]:
    """One valid row of the published table; ``values`` override columns."""
    base: dict[str, Any] = {column: "" for column in COLUMNS}
    base.update(
        reference=reference,
        titre=f"Monument {reference}",
        code_insee="01053",
        commune="Bourg-en-Bresse",
        statut_protection="classé",
        lien_pop=f"https://pop.culture.gouv.fr/notice/merimee/{reference}",
        latitude=46.2,
        longitude=5.22,
        annee_premiere_protection=1914,
    )
    base.update(values)
    return base


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def good_frame() -> pd.DataFrame:
    return frame(
        row("PA01000001"),
        row("PA01000002", code_insee="01004", commune="Ambérieu-en-Bugey"),
        row("PA01000003", latitude=None, longitude=None, statut_protection="inscrit"),
        row("PA01000004", statut_protection=None),
    )


def validate(df: pd.DataFrame, **parameters: Any) -> ValidationReport:
    return validate_frame(df, SUITE, key="reference", parameters={**PARAMETERS, **parameters})


def only(problems: list[Problem], expectation: str, column: str | None) -> Problem:
    found = [p for p in problems if p.expectation == expectation and p.column == column]
    assert len(found) == 1, problems
    return found[0]


@pytest.fixture(scope="module")
def good_report() -> ValidationReport:
    return validate(good_frame())


# --- Success --------------------------------------------------------------------------------


def test_valid_table_passes(good_report: ValidationReport) -> None:
    assert good_report.success
    assert good_report.problems == []
    assert good_report.suite == "monuments-historiques"
    assert good_report.evaluated == len(load_suite_json(SUITE)["expectations"])
    assert good_report.row_count == 4
    assert good_report.summary_fr().startswith("Tous les contrôles sont passés")


def test_null_coordinates_are_allowed(good_report: ValidationReport) -> None:
    # GX "between" ignores nulls: the row without coordinates raised no problem.
    assert not [p for p in good_report.problems if p.column in ("latitude", "longitude")]


def test_frame_is_not_modified() -> None:
    df = good_frame()
    df.index = pd.Index(["a", "b", "c", "d"])
    before = df.copy()
    validate(df)
    pd.testing.assert_frame_equal(df, before)


# --- Blocking problems ----------------------------------------------------------------------


def test_duplicate_reference_reports_the_duplicated_reference() -> None:
    report = validate(frame(row("PA01000001"), row("PA01000002"), row("PA01000001")))
    assert not report.success
    problem = only(report.blocking, "expect_column_values_to_be_unique", "reference")
    assert problem.severity == "critical"
    assert problem.title == "Valeurs en double dans « reference »"
    assert problem.unexpected_count == 2
    assert problem.sample_values == ["PA01000001"]
    assert problem.sample_keys == ["PA01000001"]


def test_code_insee_outside_territory_reports_that_row() -> None:
    report = validate(frame(row("PA01000001"), row("PA75000002", code_insee="75056")))
    assert not report.success
    problem = only(report.blocking, "expect_column_values_to_be_in_set", "code_insee")
    assert problem.unexpected_count == 1
    assert problem.sample_values == ["75056"]
    assert problem.sample_keys == ["PA75000002"]
    assert len(report.problems) == 1


def test_index_labels_are_mapped_to_business_keys() -> None:
    df = frame(row("PA01000001"), row("PA01000002", latitude=48.85))
    df.index = pd.Index([70, 3])  # not positions: GX indexes must not be used as labels
    report = validate(df)
    problem = only(report.blocking, "expect_column_values_to_be_between", "latitude")
    assert problem.sample_keys == ["PA01000002"]
    assert problem.sample_values == [48.85]


def test_bad_reference_format_and_missing_values() -> None:
    report = validate(
        frame(
            row("PA01000001"),
            row("PA0100000X"),
            row(None),
            row("PA01000004", titre=None, commune=None),
        )
    )
    assert not report.success
    regex = only(report.blocking, "expect_column_values_to_match_regex", "reference")
    assert regex.sample_keys == ["PA0100000X"]
    null_ref = only(report.blocking, "expect_column_values_to_not_be_null", "reference")
    assert null_ref.sample_keys == ["ligne 3"]  # no key: the row's position
    assert null_ref.sample_values == [None]
    for column in ("titre", "commune"):
        problem = only(report.blocking, "expect_column_values_to_not_be_null", column)
        assert problem.sample_keys == ["PA01000004"]
        assert problem.title == f"Valeurs manquantes dans « {column} »"


def test_missing_column_is_a_critical_problem_not_a_crash() -> None:
    report = validate(good_frame().drop(columns=["commune"]))
    assert not report.success
    exists = only(report.blocking, "expect_column_to_exist", "commune")
    assert exists.title == "Colonne « commune » absente"
    not_null = only(report.blocking, "expect_column_values_to_not_be_null", "commune")
    assert "commune" in not_null.title
    assert {p.column for p in report.problems} == {"commune"}


def test_missing_key_column_gives_no_keys() -> None:
    report = validate(good_frame().drop(columns=["reference"]))
    assert not report.success
    assert only(report.blocking, "expect_column_to_exist", "reference").sample_keys == []


def test_empty_frame_fails_without_exception() -> None:
    report = validate(good_frame().iloc[0:0])
    assert not report.success
    assert report.row_count == 0
    problem = only(report.blocking, "expect_table_row_count_to_be_between", None)
    assert problem.title == "Table vide : aucune ligne"
    assert problem.sample_values == [0]
    assert len(report.problems) == 1


# --- Warnings -------------------------------------------------------------------------------


def test_unknown_protection_status_is_a_warning_only() -> None:
    report = validate(frame(row("PA01000001"), row("PA01000002", statut_protection="radié")))
    assert report.success
    assert report.blocking == []
    problem = only(report.warnings, "expect_column_values_to_be_in_set", "statut_protection")
    assert problem.severity == "warning"
    assert problem.sample_keys == ["PA01000002"]
    assert report.summary_fr() == (
        "1 avertissement : Valeurs hors de la liste attendue dans « statut_protection » (1)."
    )


def test_blocking_problems_come_first_and_summary_counts_them() -> None:
    report = validate(
        frame(
            row("PA01000001", statut_protection="radié"),
            row("PA01000001", code_insee="75056"),
        )
    )
    assert [p.severity for p in report.problems] == ["critical", "critical", "warning"]
    assert report.summary_fr().startswith("2 contrôles bloquants en échec : Valeurs en double")
    assert "1 avertissement : " in report.summary_fr()


# --- Report as data -------------------------------------------------------------------------


def test_report_round_trips_through_json() -> None:
    report = validate(
        frame(row("PA01000001", latitude=float("nan")), row("PA01000001", latitude=10.0))
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert ValidationReport.from_dict(data) == report


# --- Failures of the tool -------------------------------------------------------------------


def test_no_file_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    validate(good_frame())
    assert list(tmp_path.rglob("*")) == []
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"


def test_missing_parameter_is_a_catalog_error() -> None:
    params = {k: v for k, v in PARAMETERS.items() if k != "lat_max"}
    with pytest.raises(CatalogError, match="lat_max"):
        validate_frame(good_frame(), SUITE, key="reference", parameters=params)
    assert suite_parameters(load_suite_json(SUITE)) == set(PARAMETERS)


def test_parameter_of_the_wrong_type_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="paramètres invalides"):
        validate(good_frame(), lat_min="quarante-cinq")


def write_suite(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "suite.json"
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def expectation(**overrides: Any) -> dict[str, Any]:
    return {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}, **overrides}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "JSON invalide"),
        ([], "objet JSON"),
        ({"expectations": []}, "name"),
        ({"name": "s", "expectations": {}}, "expectations"),
        ({"name": "s", "expectations": [expectation(severity="grave")]}, "sévérité"),
        # GX would log and silently drop these two instead of raising:
        ({"name": "s", "expectations": [expectation(type="expect_nothing")]}, "expect_nothing"),
        ({"name": "s", "expectations": [expectation(kwargs={"colum": "a"})]}, "invalide"),
    ],
)
def test_bad_suite_file_is_a_catalog_error(tmp_path: Path, content: Any, match: str) -> None:
    path = write_suite(tmp_path, content)
    with pytest.raises(CatalogError, match=match) as info:
        validate_frame(pd.DataFrame({"a": [1]}), path, key="a")
    assert str(path) in str(info.value)


def test_missing_suite_file_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(CatalogError, match=r"absent\.json"):
        load_suite_json(path)
