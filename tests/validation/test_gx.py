"""validate_frame's generic behaviour, on small in-memory tables and suites written here.

The real monuments-historiques suites are exercised in ``test_monuments_suites.py``; these
tests pin what any suite gets: offending rows named by their business key, ``row`` checks
that cannot name their rows turned blocking, parameters, titles, ordering, the report as
JSON, no file written, and bad suite files refused with the file's name.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from patrimoine.errors import CatalogError
from patrimoine.validation import (
    BLOCKING,
    ROW,
    WARNING,
    Problem,
    ValidationReport,
    load_suite_json,
    suite_parameters,
    validate_frame,
)

NOT_NULL = "expect_column_values_to_not_be_null"
REGEX = "expect_column_values_to_match_regex"
UNIQUE = "expect_column_values_to_be_unique"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
ROW_COUNT = "expect_table_row_count_to_be_between"
EXISTS = "expect_column_to_exist"


def exp(kind: str, level: str = ROW, title: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """One expectation as a suite file holds it."""
    meta: dict[str, Any] = {"level": level}
    if title is not None:
        meta["title"] = title
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def suite(*expectations: dict[str, Any], name: str = "essai.source") -> dict[str, Any]:
    return {"name": name, "id": None, "meta": {}, "notes": None, "expectations": list(expectations)}


def notices(count: int, **columns: Any) -> pd.DataFrame:
    """``count`` records keyed PA00000001…, with the given extra columns."""
    keys = [f"PA{i:08d}" for i in range(1, count + 1)]
    return pd.DataFrame({"reference": keys, **columns})


def only(report: ValidationReport, kind: str, column: str | None) -> Problem:
    found = [p for p in report.problems if p.expectation == kind and p.column == column]
    assert len(found) == 1, report.problems
    return found[0]


# --- Offending rows and their keys ---------------------------------------------------------


def test_a_row_problem_names_every_offending_record_not_only_twenty() -> None:
    titles = [None if i % 4 else "Eglise" for i in range(100)]  # 75 empty titles
    report = validate_frame(
        notices(100, titre=titles), suite(exp(NOT_NULL, column="titre")), key="reference"
    )
    problem = only(report, NOT_NULL, "titre")
    expected = [f"PA{i + 1:08d}" for i in range(100) if i % 4]
    assert problem.level == ROW
    assert problem.unexpected_count == 75
    assert problem.keys == expected  # all of them, in row order: the quarantine takes these
    assert problem.sample_keys == expected[:20]
    assert report.quarantine() == {key: [problem.title] for key in expected}


def test_a_warning_names_samples_only_and_quarantines_nothing() -> None:
    titles = [None] * 30
    report = validate_frame(
        notices(30, titre=titles), suite(exp(NOT_NULL, WARNING, column="titre")), key="reference"
    )
    problem = only(report, NOT_NULL, "titre")
    assert problem.level == WARNING and report.success
    assert len(problem.sample_keys) == 20 and problem.keys == []
    assert report.quarantine() == {}


@pytest.mark.parametrize(
    "index",
    [pd.Index([70, 3, 12]), pd.Index(["x", "y", "z"]), pd.MultiIndex.from_tuples([(1, 2)] * 3)],
    ids=["integer-labels", "string-labels", "duplicate-multiindex"],
)
def test_offending_rows_are_found_by_position_whatever_the_index(index: pd.Index) -> None:
    frame = notices(3, cog=["63113", "6311", "63075"])
    frame.index = index
    report = validate_frame(
        frame, suite(exp(REGEX, column="cog", regex=r"^\d{5}$")), key="reference"
    )
    problem = only(report, REGEX, "cog")
    # Label 3 taken as a position would name a row that does not exist, label 70 would crash.
    assert problem.keys == ["PA00000002"]
    assert problem.sample_values == ["6311"]


def test_the_frame_is_not_modified() -> None:
    frame = notices(3, cog=["63113", "6311", None])
    frame.index = pd.Index([5, 6, 7])
    before = frame.copy()
    validate_frame(frame, suite(exp(REGEX, column="cog", regex=r"^\d{5}$")), key="reference")
    pd.testing.assert_frame_equal(frame, before)


def test_a_record_without_key_is_named_by_its_position() -> None:
    frame = pd.DataFrame({"reference": ["PA00000001", None, ""], "titre": ["Eglise", None, None]})
    report = validate_frame(frame, suite(exp(NOT_NULL, column="titre")), key="reference")
    assert only(report, NOT_NULL, "titre").keys == ["ligne 2", "ligne 3"]


def test_duplicates_name_each_copy_once() -> None:
    frame = notices(4, lien=["a", "b", "a", "a"])
    report = validate_frame(frame, suite(exp(UNIQUE, column="lien")), key="reference")
    problem = only(report, UNIQUE, "lien")
    assert problem.keys == ["PA00000001", "PA00000003", "PA00000004"]
    assert problem.sample_values == ["a"]


# --- Row checks that cannot name their rows are escalated ----------------------------------


def test_a_row_check_on_a_missing_column_holds_the_dataset() -> None:
    report = validate_frame(
        notices(2),
        suite(exp(REGEX, title="COG mal formé", column="cog", regex=".")),
        key="reference",
    )
    problem = only(report, REGEX, "cog")
    assert problem.level == BLOCKING and not report.success
    assert problem.title == "Colonne « cog » absente : contrôle impossible (format)"
    assert problem.keys == [] and report.quarantine() == {}


def test_a_row_check_that_raises_holds_the_dataset() -> None:
    frame = notices(3, annee=[1900, "vers 1920", 2206])  # mixed types: GX's metric raises
    report = validate_frame(
        frame, suite(exp(BETWEEN, column="annee", min_value=1840, max_value=2030)), key="reference"
    )
    problem = only(report, BETWEEN, "annee")
    assert problem.level == BLOCKING
    assert problem.title.startswith("Contrôle impossible (intervalle) sur « annee » : ")
    assert problem.keys == []


def test_a_row_check_without_the_key_column_holds_the_dataset() -> None:
    frame = notices(2, titre=["Eglise", None])
    report = validate_frame(frame, suite(exp(NOT_NULL, column="titre")), key="_key")
    problem = only(report, NOT_NULL, "titre")
    assert problem.level == BLOCKING
    assert problem.unexpected_count == 1 and problem.keys == [] and problem.sample_keys == []


def test_a_table_level_row_check_holds_the_dataset() -> None:
    report = validate_frame(notices(2), suite(exp(ROW_COUNT, min_value=10)), key="reference")
    problem = only(report, ROW_COUNT, None)
    assert problem.level == BLOCKING
    assert problem.title == "Nombre de lignes inattendu : 2 (attendu au moins 10)"


def test_a_warning_on_a_missing_column_stays_a_warning() -> None:
    report = validate_frame(
        notices(2), suite(exp(NOT_NULL, WARNING, column="coordonnees")), key="reference"
    )
    problem = only(report, NOT_NULL, "coordonnees")
    assert problem.level == WARNING and report.success
    assert (
        problem.title
        == "Colonne « coordonnees » absente : contrôle impossible (valeurs obligatoires)"
    )


def test_a_missing_column_keeps_the_title_of_its_existence_check() -> None:
    title = "Colonne « Lieudit » absente du fichier source (renommée ?)"
    report = validate_frame(
        notices(2),
        suite(exp(EXISTS, WARNING, title, column="lieudit"), exp(EXISTS, BLOCKING, column="cog")),
        key="reference",
    )
    assert [(p.column, p.level, p.title) for p in report.problems] == [
        ("cog", BLOCKING, "Colonne « cog » absente"),  # no title in the suite: the generic one
        ("lieudit", WARNING, title),
    ]


# --- Empty table ---------------------------------------------------------------------------


def test_an_empty_frame_gives_problems_not_an_exception() -> None:
    frame = notices(0, titre=[])
    report = validate_frame(
        frame,
        suite(exp(NOT_NULL, column="titre"), exp(ROW_COUNT, BLOCKING, min_value=1)),
        key="reference",
    )
    assert (report.row_count, report.evaluated) == (0, 2)
    assert [(p.expectation, p.level, p.title, p.sample_values) for p in report.problems] == [
        (ROW_COUNT, BLOCKING, "Table vide : aucune ligne", [0])
    ]


# --- Parameters and titles -----------------------------------------------------------------


def test_a_missing_parameter_is_a_catalog_error_naming_it() -> None:
    data = suite(
        exp(IN_SET, column="cog", value_set={"$PARAMETER": "territory_insee_codes"}),
        exp(ROW_COUNT, WARNING, min_value={"$PARAMETER": "min_source_rows"}),
    )
    assert suite_parameters(data) == {"territory_insee_codes", "min_source_rows"}
    with pytest.raises(CatalogError, match="min_source_rows") as info:
        validate_frame(
            notices(1, cog=["63113"]),
            data,
            key="reference",
            parameters={"territory_insee_codes": {"63113"}},
            where="expectations/essai.source.json",
        )
    assert "expectations/essai.source.json" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "value"),
    [
        ({"min_value": {"$PARAMETER": "p"}}, "quarante"),
        ({"min_value": {"$PARAMETER": "p"}}, [1, 2]),
    ],
    ids=["text-for-a-number", "list-for-a-number"],
)
def test_a_parameter_of_the_wrong_type_is_a_catalog_error(
    kwargs: dict[str, Any], value: Any
) -> None:
    with pytest.raises(CatalogError, match="paramètres invalides") as info:
        validate_frame(
            notices(1),
            suite(exp(ROW_COUNT, WARNING, **kwargs)),
            key="reference",
            parameters={"p": value},
            where="essai.json",
        )
    assert "essai.json" in str(info.value)


def test_set_parameters_reach_gx_as_lists() -> None:
    frame = notices(3, cog=["63113", "75056", "63075"])
    report = validate_frame(
        frame,
        suite(exp(IN_SET, column="cog", value_set={"$PARAMETER": "codes"})),
        key="reference",
        parameters={"codes": frozenset({"63113", "63075"})},
    )
    assert only(report, IN_SET, "cog").keys == ["PA00000002"]


def test_titles_get_observed_and_parameter_fields_and_keep_the_others() -> None:
    title = "{observed} notices contre au moins {min_rows} ; {8} et {inconnu} restent"
    report = validate_frame(
        notices(3),
        suite(exp(ROW_COUNT, WARNING, title, min_value={"$PARAMETER": "min_rows"})),
        key="reference",
        parameters={"min_rows": 40},
    )
    problem = only(report, ROW_COUNT, None)
    assert problem.title == "3 notices contre au moins 40 ; {8} et {inconnu} restent"
    assert problem.sample_values == [3]
    assert problem.summary == problem.title


# --- Ordering ------------------------------------------------------------------------------


def test_problems_come_blocking_then_row_then_warning_each_in_suite_order() -> None:
    frame = notices(3, cog=["6311", "63113", "6311"], titre=["Eglise", None, None])
    data = suite(
        exp(NOT_NULL, WARNING, column="titre"),  # 0
        exp(REGEX, BLOCKING, column="cog", regex=r"^\d{5}$"),  # 1
        exp(NOT_NULL, column="titre"),  # 2
        exp(REGEX, column="adresse", regex="."),  # 3: GX gives this one first; row → blocking
        exp(UNIQUE, column="cog"),  # 4
        exp(EXISTS, WARNING, column="lieudit"),  # 5
    )
    report = validate_frame(frame, data, key="reference")
    assert [(p.expectation, p.column, p.level) for p in report.problems] == [
        (REGEX, "cog", BLOCKING),
        (REGEX, "adresse", BLOCKING),
        (NOT_NULL, "titre", ROW),
        (UNIQUE, "cog", ROW),
        (NOT_NULL, "titre", WARNING),
        (EXISTS, "lieudit", WARNING),
    ]
    assert report.evaluated == 6


def test_merged_reports_keep_the_level_order_source_first() -> None:
    def problem(suite_name: str, level: str) -> Problem:
        return Problem(suite_name, NOT_NULL, "titre", level, "t", 1, [None], ["PA1"], ["PA1"])

    source = ValidationReport(
        "a.source", 3, 10, [problem("a.source", ROW), problem("a.source", WARNING)]
    )
    published = ValidationReport("a.published", 2, 9, [problem("a.published", BLOCKING)])
    merged = source.merged(published)
    assert [(p.suite, p.level) for p in merged.problems] == [
        ("a.published", BLOCKING),
        ("a.source", ROW),
        ("a.source", WARNING),
    ]
    assert (merged.suite, merged.evaluated, merged.row_count) == ("a.source + a.published", 5, 9)
    assert not merged.success


# --- The report as data --------------------------------------------------------------------


def test_the_report_round_trips_through_json() -> None:
    frame = notices(
        4,
        annee=pd.array([1900, 2206, None, 3000], dtype="Int64"),
        mesure=np.array([1.5, np.nan, 99.0, 7.0]),
        maj=[dt.date(2026, 11, 19), None, pd.Timestamp("2026-11-20"), dt.date(2026, 1, 1)],
    )
    report = validate_frame(
        frame,
        suite(
            exp(BETWEEN, WARNING, column="annee", min_value=1840, max_value=2030),
            exp(BETWEEN, column="mesure", max_value=10),
            exp(IN_SET, WARNING, column="maj", value_set=["2026-01-01"]),
            exp("expect_column_mean_to_be_between", WARNING, column="mesure", max_value=5),
        ),
        key="reference",
    )
    assert len(report.problems) == 4
    text = json.dumps(report.to_dict())  # no default=: every value is plain JSON
    assert ValidationReport.from_dict(json.loads(text)) == report
    assert only(report, BETWEEN, "annee").sample_values == [2206, 3000]
    assert only(report, IN_SET, "maj").sample_values == [
        "2026-11-19",
        "2026-11-20T00:00:00",
        "2026-01-01",  # a date is not its ISO text
    ]


def test_nothing_is_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where GX would put a docs site
    validate_frame(
        notices(2, titre=["a", None]), suite(exp(NOT_NULL, column="titre")), key="reference"
    )
    assert list(tmp_path.rglob("*")) == [scratch]
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"


# --- Bad suite files -----------------------------------------------------------------------


def write_suite(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "essai.source.json"
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def unique(**overrides: Any) -> dict[str, Any]:
    return {**exp(UNIQUE, BLOCKING, column="reference"), **overrides}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{pas du json", "JSON invalide"),
        ([], "objet JSON"),
        ({"expectations": []}, "name"),
        ({"name": "s", "expectations": {}}, "expectations"),
        ({"name": "s", "expectations": ["expect_column_to_exist"]}, "attente n° 1"),
        ({"name": "s", "expectations": [{"kwargs": {}}]}, "type"),
        ({"name": "s", "expectations": [unique(kwargs=["reference"])]}, "kwargs"),
        ({"name": "s", "expectations": [unique(meta={})]}, r"meta\.level"),
        ({"name": "s", "expectations": [unique(meta={"level": "critical"})]}, "« critical »"),
        ({"name": "s", "expectations": [unique(), unique(severity="warning")]}, "attente n° 2"),
        (
            {"name": "s", "expectations": [unique(meta={"level": WARNING}, severity="critical")]},
            "sévérité",
        ),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-name",
        "expectations-not-a-list",
        "expectation-not-an-object",
        "no-type",
        "kwargs-not-an-object",
        "no-level",
        "old-severity-as-level",
        "blocking-with-warning-severity",
        "warning-with-critical-severity",
    ],
)
def test_a_bad_suite_file_is_a_catalog_error_naming_the_file(
    tmp_path: Path, content: Any, match: str
) -> None:
    path = write_suite(tmp_path, content)
    with pytest.raises(CatalogError, match=match) as info:
        load_suite_json(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("expectation", "match"),
    [
        (exp("expect_column_values_to_be_nice", column="reference"), "be_nice"),
        (exp(NOT_NULL, colum="reference"), "invalide"),
        (exp(NOT_NULL, column="reference", mostly=95), "invalide"),  # a percentage, not a share
    ],
    ids=["unknown-type", "misspelt-kwarg", "mostly-above-one"],
)
def test_an_expectation_gx_would_silently_drop_is_a_catalog_error(
    tmp_path: Path, expectation: dict[str, Any], match: str
) -> None:
    path = write_suite(tmp_path, suite(unique(), expectation))
    with pytest.raises(CatalogError, match=match) as info:
        validate_frame(notices(1), load_suite_json(path), key="reference", where=str(path))
    assert str(path) in str(info.value) and "attente n° 2" in str(info.value)


def test_a_suite_built_in_memory_is_checked_too() -> None:
    with pytest.raises(CatalogError, match=r"meta\.level") as info:
        validate_frame(
            notices(1), suite({"type": UNIQUE, "kwargs": {"column": "reference"}}), key="reference"
        )
    assert "essai.source" in str(info.value)


def test_a_missing_suite_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"absente\.json"):
        load_suite_json(tmp_path / "absente.json")
