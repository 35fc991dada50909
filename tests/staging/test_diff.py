"""The diff of a candidate against the staged table, computed in SQL."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import Engine

from patrimoine.staging.diff import SAMPLE, Diff
from tests.staging.support import MONUMENTS, at, diff_of, monument, museums, stage


def test_without_a_staged_table_everything_is_added(engine: Engine) -> None:
    diff = diff_of(engine, MONUMENTS, [monument("PA00000002"), monument("PA00000001")])
    assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (2, 0, 0, 0)
    assert (diff.rows, diff.previous_rows) == (2, 0)
    assert diff.samples["added"] == ["PA00000001", "PA00000002"]
    assert not diff.is_empty and not diff.missing_primary_key


def test_a_shuffled_identical_candidate_has_an_empty_diff(engine: Engine) -> None:
    rows = [
        monument(f"PA{i:08d}", latitude=None if i % 3 else 45.0 + i / 100, adresse="")
        for i in range(30)
    ]
    stage(engine, MONUMENTS, rows, "r1", at(0))
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != rows
    diff = diff_of(engine, MONUMENTS, shuffled)
    assert diff.is_empty, diff
    assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (0, 0, 0, 0)
    assert (diff.rows, diff.previous_rows) == (30, 30)
    assert diff.emptied_columns == [] and diff.columns_added == diff.columns_dropped == []


def test_added_removed_and_changed_records(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument(f"PA0000000{i}") for i in range(1, 6)], "r1", at(0))
    diff = diff_of(
        engine,
        MONUMENTS,
        [
            monument("PA00000008"),
            monument("PA00000003", titre="Hôtel"),  # a text value changes
            monument("PA00000004", latitude=None),  # a value becomes null
            monument("PA00000005"),  # unchanged
            monument("PA00000007"),
            monument("PA00000006"),
        ],
    )
    assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (3, 2, 2, 0)
    assert (diff.rows, diff.previous_rows) == (6, 5)
    assert diff.samples == {
        "added": ["PA00000006", "PA00000007", "PA00000008"],
        "removed": ["PA00000001", "PA00000002"],
        "changed": ["PA00000003", "PA00000004"],
        "refreshed": [],
    }
    assert not diff.is_empty


def test_the_comparison_is_null_safe(engine: Engine) -> None:
    stage(
        engine,
        MONUMENTS,
        [monument("PA00000001", latitude=None), monument("PA00000002", latitude=None)],
        "r1",
        at(0),
    )
    assert diff_of(
        engine, MONUMENTS, [monument("PA00000001", latitude=None), monument("PA00000002")]
    ).samples["changed"] == ["PA00000002"]  # null to a value is a change, null to null is not
    assert diff_of(
        engine,
        MONUMENTS,
        [monument("PA00000001", latitude=None), monument("PA00000002", latitude=None)],
    ).is_empty


def test_samples_are_capped_but_counts_are_not(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA99999999")], "r1", at(0))
    diff = diff_of(
        engine, MONUMENTS, [monument("PA99999999"), *(monument(f"PA{i:08d}") for i in range(25))]
    )
    assert diff.added == 25
    assert diff.samples["added"] == [f"PA{i:08d}" for i in range(SAMPLE)]


def test_a_composite_key(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(
        engine,
        entry,
        [["M0001", 2023, "Musée Bargoin", 1000, 0.5], ["M0002", 2023, "Muséum Lecoq", 800, None]],
        "r1",
        at(0),
    )
    diff = diff_of(
        engine,
        entry,
        [
            ["M0002", 2023, "Muséum Lecoq", 800, None],  # unchanged
            ["M0001", 2024, "Musée Bargoin", 1000, 0.5],  # same museum, other year: new
            ["M0002", 2024, "Muséum Lecoq", 900, 0.1],
        ],
    )
    assert (diff.added, diff.removed, diff.changed) == (2, 1, 0)
    assert diff.samples["added"] == ["M0001 | 2024", "M0002 | 2024"]
    assert diff.samples["removed"] == ["M0001 | 2023"]
    diff = diff_of(
        engine,
        entry,
        [["M0001", 2023, "Musée Bargoin", 1001, 0.5], ["M0002", 2023, "Muséum Lecoq", 800, None]],
    )
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 1)
    assert diff.samples["changed"] == ["M0001 | 2023"]
    shuffled = [
        ["M0002", 2023, "Muséum Lecoq", 800, None],
        ["M0001", 2023, "Musée Bargoin", 1000, 0.5],
    ]
    assert diff_of(engine, entry, shuffled).is_empty


def test_emptied_columns(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(
        engine,
        entry,
        [["M0001", 2023, "Musée Bargoin", 1000, 0.5], ["M0002", 2023, "", 800, None]],
        "r1",
        at(0),
    )
    # Text emptied ("") and numbers emptied (NULL) are reported; a column keeping one value
    # is not.
    diff = diff_of(engine, entry, [["M0001", 2023, "", 1000, None], ["M0002", 2023, "", 800, None]])
    assert diff.emptied_columns == ["nom_musee", "taux_gratuite"]
    assert diff.changed == 1
    diff = diff_of(
        engine, entry, [["M0001", 2023, "", None, 0.5], ["M0002", 2023, "Lecoq", None, None]]
    )
    assert diff.emptied_columns == ["frequentation_totale"]
    diff = diff_of(engine, entry, [])  # nothing left at all
    assert diff.rows == 0 and diff.removed == 2
    assert diff.emptied_columns == [
        "identifiant_museofile",
        "annee",
        "nom_musee",
        "frequentation_totale",
        "taux_gratuite",
    ]


def test_a_column_that_was_already_empty_is_not_emptied(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(engine, entry, [["M0001", 2023, "", 1000, None]], "r1", at(0))
    assert diff_of(engine, entry, [["M0001", 2023, "", 1000, None]]).emptied_columns == []


def test_a_new_schema_column(engine: Engine, project: Path) -> None:
    stage(
        engine,
        museums(project),
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0002", 2023, "Lecoq", 800, None]],
        "r1",
        at(0),
    )
    evolved = museums(project, [{"name": "ville", "type": "string"}])
    # Filled for some records: they are refreshed, not changed.
    diff = diff_of(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1000, 0.5, "Clermont-Ferrand"],
            ["M0002", 2023, "Lecoq", 800, None, ""],
        ],
    )
    assert diff.columns_added == ["ville"] and diff.columns_dropped == []
    assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (0, 0, 0, 1)
    assert diff.samples["refreshed"] == ["M0001 | 2023"]
    # A record changing elsewhere too is changed (and only that).
    diff = diff_of(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1001, 0.5, "Clermont"],
            ["M0002", 2023, "Lecoq", 800, None, ""],
        ],
    )
    assert (diff.changed, diff.refreshed) == (1, 0)
    # Empty everywhere: nothing to refresh, but the table still has to gain the column.
    diff = diff_of(
        engine,
        evolved,
        [["M0001", 2023, "Bargoin", 1000, 0.5, ""], ["M0002", 2023, "Lecoq", 800, None, ""]],
    )
    assert (diff.changed, diff.refreshed) == (0, 0) and diff.columns_added == ["ville"]
    assert not diff.is_empty


def test_a_dropped_schema_column(engine: Engine, project: Path) -> None:
    stage(engine, museums(project), [["M0001", 2023, "Bargoin", 1000, 0.5]], "r1", at(0))
    diff = diff_of(
        engine, museums(project, without=["taux_gratuite"]), [["M0001", 2023, "Bargoin", 1000]]
    )
    assert diff.columns_dropped == ["taux_gratuite"] and diff.columns_added == []
    assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (0, 0, 0, 0)
    assert diff.emptied_columns == []  # a dropped column is not an emptied one
    assert not diff.is_empty


def test_diff_to_dict() -> None:
    diff = Diff(added=1, rows=3, previous_rows=2, samples={"added": ["a"]}, emptied_columns=["x"])
    assert diff.to_dict() == {
        "added": 1,
        "removed": 0,
        "changed": 0,
        "refreshed": 0,
        "previous_rows": 2,
        "rows": 3,
        "samples": {"added": ["a"]},
        "columns_added": [],
        "columns_dropped": [],
        "emptied_columns": ["x"],
    }
    assert Diff().is_empty and not Diff(missing_primary_key=True).is_empty
