"""Promotion with an SCD2 history, and the changelog derived from it."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from patrimoine.catalog import DatasetEntry
from patrimoine.staging import history, tables
from patrimoine.staging.diff import diff_candidate
from tests.staging.support import (
    MONUMENTS,
    at,
    aware,
    contents,
    diff_of,
    monument,
    museums,
    stage,
    staged,
    versions,
)

Key = tuple[Any, ...]


def values_of(entry: DatasetEntry, version: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(version[c] for c in entry.column_names)


def key_of(entry: DatasetEntry, row: tuple[Any, ...] | dict[str, Any]) -> Key:
    if isinstance(row, dict):
        return tuple(row[k] for k in entry.business_key)
    return tuple(row[i] for i in entry.key_positions)


def summary(found: list[history.Change]) -> list[tuple[str, str, str, str, Any, Any]]:
    return [(c.run_id, c.key, c.change, c.column, c.old, c.new) for c in found]


# --- SCD2 invariants over many promotions ------------------------------------------------


def next_state(
    rng: random.Random, state: dict[Key, tuple[Any, ...]], gone: list[Key], year: int
) -> dict[Key, tuple[Any, ...]]:
    """The next night's source: some records removed, some changed, some (re)appearing."""
    new: dict[Key, tuple[Any, ...]] = {}
    for key, row in state.items():
        roll = rng.random()
        if roll < 0.15:
            gone.append(key)
            continue
        if roll < 0.45:
            museum, annee, nom, visits, share = row
            column = rng.choice(["nom", "visits", "share"])
            if column == "nom":
                nom = rng.choice(["", f"{nom}+", "Musée"])
            elif column == "visits":
                visits = None if visits and rng.random() < 0.3 else rng.randrange(10_000)
            else:
                share = None if share is not None else round(rng.random(), 3)
            row = (museum, annee, nom, visits, share)
        new[key] = row
    for _ in range(rng.randrange(1, 4)):
        if gone and rng.random() < 0.5:
            key = gone.pop(rng.randrange(len(gone)))  # a record coming back
        else:
            key = (f"M{rng.randrange(30):04d}", year)
        if key not in new:
            new[key] = (*key, f"Musée {key[0]}", rng.randrange(10_000), round(rng.random(), 3))
    return new


def check_history(
    engine: Engine, entry: DatasetEntry, snapshots: list[tuple[str, dict[Key, tuple[Any, ...]]]]
) -> None:
    """The history tells, for every run so far, exactly what was staged then."""
    runs = [run for run, _ in snapshots]
    found = versions(engine, entry)
    by_key: dict[Key, list[dict[str, Any]]] = {}
    for version in found:
        by_key.setdefault(key_of(entry, version), []).append(version)
    _, current = snapshots[-1]
    assert staged(engine, entry) == sorted(current.values())
    # Exactly one open version per staged record, holding the staged values.
    open_versions = {key_of(entry, v): v for v in found if v["valid_to_run"] is None}
    assert len(open_versions) == len([v for v in found if v["valid_to_run"] is None])
    assert {k: values_of(entry, v) for k, v in open_versions.items()} == current
    assert history.current_count(engine, entry) == len(current)
    for key, key_versions in by_key.items():
        for version in key_versions:
            start = runs.index(version["valid_from_run"])
            end = runs.index(version["valid_to_run"]) if version["valid_to_run"] else len(runs)
            assert start < end
            assert aware(version["valid_from"]) == at(start)
            if version["valid_to_run"] is not None:
                assert aware(version["valid_to"]) == at(end)
                # Closed by the run that superseded it: the record changed or went then.
                assert snapshots[end][1].get(key) != values_of(entry, version)
            else:
                assert version["valid_to"] is None
            # A version holds what was staged in every run it covers (and only it does).
            for i in range(start, end):
                assert snapshots[i][1].get(key) == values_of(entry, version), (key, runs[i])
        covered = sum(
            1 for _, state in snapshots if key in state
        )  # the versions cover the runs the record was staged in, without overlap
        assert covered == sum(
            (runs.index(v["valid_to_run"]) if v["valid_to_run"] else len(runs))
            - runs.index(v["valid_from_run"])
            for v in key_versions
        )


def expected_changes(
    entry: DatasetEntry, snapshots: list[tuple[str, dict[Key, tuple[Any, ...]]]]
) -> set[tuple[str, str, str, str, Any, Any]]:
    found: set[tuple[str, str, str, str, Any, Any]] = set()
    before: dict[Key, tuple[Any, ...]] = {}
    names = entry.column_names
    for run, state in snapshots:
        for key in state.keys() - before.keys():
            found.add((run, " | ".join(map(str, key)), history.ADDED, "", None, None))
        for key in before.keys() - state.keys():
            found.add((run, " | ".join(map(str, key)), history.REMOVED, "", None, None))
        for key in state.keys() & before.keys():
            for i, column in enumerate(names):
                if column not in entry.business_key and before[key][i] != state[key][i]:
                    found.add(
                        (
                            run,
                            " | ".join(map(str, key)),
                            history.MODIFIED,
                            column,
                            before[key][i],
                            state[key][i],
                        )
                    )
        before = state
    return found


def test_scd2_invariants_after_many_promotions(engine: Engine, project: Path) -> None:
    entry = museums(project)
    rng = random.Random(20261201)
    state: dict[Key, tuple[Any, ...]] = {}
    gone: list[Key] = []
    snapshots: list[tuple[str, dict[Key, tuple[Any, ...]]]] = []
    for night in range(8):
        state = next_state(rng, state, gone, 2020 + night % 3)
        if night == 0:
            state.update(
                {(f"M{i:04d}", 2020): (f"M{i:04d}", 2020, "Musée", i, None) for i in range(12)}
            )
        run = f"run{night}"
        rows = list(state.values())
        rng.shuffle(rows)
        diff = stage(engine, entry, rows, run, at(night))
        snapshots.append((run, dict(state)))
        check_history(engine, entry, snapshots)
        if night:
            previous = snapshots[-2][1]
            assert diff.added == len(state.keys() - previous.keys())
            assert diff.removed == len(previous.keys() - state.keys())
            assert diff.changed == sum(
                1 for k in state.keys() & previous.keys() if state[k] != previous[k]
            )
    assert len(gone) < 30  # the random walk did remove records...
    assert any(v["valid_to_run"] for v in versions(engine, entry))  # ...and change them
    # The changelog is what changed between consecutive runs, newest first.
    found = history.changes(engine, entry)
    assert set(summary(found)) == expected_changes(entry, snapshots)
    assert len(summary(found)) == len(set(summary(found)))
    moments = [aware(c.at) for c in found]
    assert moments == sorted(moments, reverse=True)
    # Narrowed to some runs, or to the runs since a moment: the same changes, filtered.
    chosen = {"run3", "run5"}
    assert set(summary(history.changes(engine, entry, runs=sorted(chosen)))) == {
        c for c in expected_changes(entry, snapshots) if c[0] in chosen
    }
    assert set(summary(history.changes(engine, entry, since=at(6)))) == {
        c for c in expected_changes(entry, snapshots) if c[0] in {"run6", "run7"}
    }


def test_an_unchanged_record_keeps_its_version(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002")], "r1", at(0))
    stage(
        engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002", titre="B")], "r2", at(1)
    )
    stage(
        engine, MONUMENTS, [monument("PA00000002", titre="B"), monument("PA00000001")], "r3", at(2)
    )
    found = [
        (v["reference"], v["titre"], v["valid_from_run"], v["valid_to_run"])
        for v in versions(engine, MONUMENTS)
    ]
    assert found == [
        ("PA00000001", "Maison", "r1", None),
        ("PA00000002", "Maison", "r1", "r2"),
        ("PA00000002", "B", "r2", None),
    ]


# --- The changelog -----------------------------------------------------------------------


def test_a_composite_key_end_to_end(engine: Engine, project: Path) -> None:
    entry = museums(project)
    first = stage(
        engine,
        entry,
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0002", 2023, "Lecoq", 800, None]],
        "r1",
        at(0),
    )
    assert first.samples["added"] == ["M0001 | 2023", "M0002 | 2023"]
    second = stage(
        engine,
        entry,
        [
            ["M0001", 2023, "Bargoin", 1200, 0.5],  # corrected figure
            ["M0001", 2024, "Bargoin", 1500, 0.4],  # a new year of the same museum
        ],
        "r2",
        at(1),
    )
    assert (second.added, second.removed, second.changed) == (1, 1, 1)
    assert staged(engine, entry) == [
        ("M0001", 2023, "Bargoin", 1200, 0.5),
        ("M0001", 2024, "Bargoin", 1500, 0.4),
    ]
    assert [
        (v["identifiant_museofile"], v["annee"], v["frequentation_totale"], v["valid_to_run"])
        for v in versions(engine, entry)
    ] == [
        ("M0001", 2023, 1000, "r2"),
        ("M0001", 2023, 1200, None),
        ("M0001", 2024, 1500, None),
        ("M0002", 2023, 800, "r2"),
    ]
    # Newest run first; within a run, by key, then column in schema order.
    assert summary(history.changes(engine, entry)) == [
        ("r2", "M0001 | 2023", history.MODIFIED, "frequentation_totale", 1000, 1200),
        ("r2", "M0001 | 2024", history.ADDED, "", None, None),
        ("r2", "M0002 | 2023", history.REMOVED, "", None, None),
        ("r1", "M0001 | 2023", history.ADDED, "", None, None),
        ("r1", "M0002 | 2023", history.ADDED, "", None, None),
    ]


def test_changes_filters_and_order(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002")], "r1", at(0))
    stage(engine, MONUMENTS, [monument("PA00000001", titre="A")], "r2", at(1))
    stage(
        engine,
        MONUMENTS,
        [monument("PA00000001", titre="B", latitude=None), monument("PA00000002")],
        "r3",
        at(2),
    )
    everything = history.changes(engine, MONUMENTS)
    # Newest run first; within a run, by key, then column in schema order.
    assert summary(everything) == [
        ("r3", "PA00000001", history.MODIFIED, "titre", "A", "B"),
        ("r3", "PA00000001", history.MODIFIED, "latitude", 45.77, None),
        ("r3", "PA00000002", history.ADDED, "", None, None),  # it came back
        ("r2", "PA00000001", history.MODIFIED, "titre", "Maison", "A"),
        ("r2", "PA00000002", history.REMOVED, "", None, None),
        ("r1", "PA00000001", history.ADDED, "", None, None),
        ("r1", "PA00000002", history.ADDED, "", None, None),
    ]
    assert [aware(c.at) for c in everything] == [at(2)] * 3 + [at(1)] * 2 + [at(0)] * 2
    assert summary(history.changes(engine, MONUMENTS, runs=["r2"])) == summary(everything)[3:5]
    assert summary(history.changes(engine, MONUMENTS, runs=["r3", "r1"])) == (
        summary(everything)[:3] + summary(everything)[5:]
    )
    assert history.changes(engine, MONUMENTS, runs=[]) == []
    assert summary(history.changes(engine, MONUMENTS, since=at(1))) == summary(everything)[:5]
    naive = at(2).replace(tzinfo=None)  # a naive moment is read as UTC
    assert summary(history.changes(engine, MONUMENTS, since=naive)) == summary(everything)[:3]
    assert history.changes(engine, MONUMENTS, runs=["r1"], since=at(1)) == []


def test_no_history_no_changes(engine: Engine) -> None:
    assert history.changes(engine, MONUMENTS) == []
    assert history.current_count(engine, MONUMENTS) == 0


# --- Schema evolution --------------------------------------------------------------------


def test_a_new_schema_column_is_migrated_not_reported_per_record(
    engine: Engine, project: Path
) -> None:
    stage(
        engine,
        museums(project),
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0002", 2023, "Lecoq", 800, None]],
        "r1",
        at(0),
    )
    evolved = museums(
        project, [{"name": "ville", "type": "string"}, {"name": "surface", "type": "number"}]
    )
    diff = stage(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1000, 0.5, "Clermont-Ferrand", 1200.0],  # filled
            ["M0002", 2023, "Lecoq", 800, None, "", None],  # not filled
            ["M0003", 2023, "Roger-Quilliot", 500, None, "Clermont-Ferrand", None],
        ],
        "r2",
        at(1),
    )
    assert diff.columns_added == ["ville", "surface"] and diff.refreshed == 1
    assert staged(engine, evolved) == [
        ("M0001", 2023, "Bargoin", 1000, 0.5, "Clermont-Ferrand", 1200.0),
        ("M0002", 2023, "Lecoq", 800, None, "", None),
        ("M0003", 2023, "Roger-Quilliot", 500, None, "Clermont-Ferrand", None),
    ]
    assert summary(history.changes(engine, evolved, runs=["r2"])) == [
        ("r2", "", history.COLUMN_ADDED, "ville", None, None),
        ("r2", "", history.COLUMN_ADDED, "surface", None, None),
        ("r2", "M0003 | 2023", history.ADDED, "", None, None),
    ]
    # The values of the new columns are in the history from their first run.
    open_versions = {
        key_of(evolved, v): (v["ville"], v["surface"])
        for v in versions(engine, evolved)
        if v["valid_to_run"] is None
    }
    assert open_versions[("M0001", 2023)] == ("Clermont-Ferrand", 1200.0)
    # A later real change of a new column is a modification, whatever the record did before.
    stage(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1000, 0.5, "Clermont", 1200.0],
            ["M0002", 2023, "Lecoq", 800, None, "Clermont-Ferrand", 300.0],
            ["M0003", 2023, "Roger-Quilliot", 501, None, "Clermont-Ferrand", None],
        ],
        "r3",
        at(2),
    )
    modified = {
        (c.key, c.column, c.old or "", c.new) for c in history.changes(engine, evolved, runs=["r3"])
    }
    assert modified == {
        ("M0001 | 2023", "ville", "Clermont-Ferrand", "Clermont"),
        ("M0002 | 2023", "ville", "", "Clermont-Ferrand"),
        ("M0002 | 2023", "surface", "", 300.0),
        ("M0003 | 2023", "frequentation_totale", 500, 501),
    }
    # A record changing elsewhere, its new text column still empty: no spurious modification.
    stage(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1000, 0.5, "Clermont", 1200.0],
            ["M0002", 2023, "Lecoq", 801, None, "Clermont-Ferrand", 300.0],
            ["M0003", 2023, "Roger-Quilliot", 501, None, "Clermont-Ferrand", None],
        ],
        "r4",
        at(3),
    )
    assert summary(history.changes(engine, evolved, runs=["r4"])) == [
        ("r4", "M0002 | 2023", history.MODIFIED, "frequentation_totale", 800, 801)
    ]


def test_a_new_text_column_left_empty_is_not_a_later_modification(
    engine: Engine, project: Path
) -> None:
    stage(engine, museums(project), [["M0001", 2023, "Bargoin", 1000, 0.5]], "r1", at(0))
    evolved = museums(project, [{"name": "ville", "type": "string"}])
    stage(engine, evolved, [["M0001", 2023, "Bargoin", 1000, 0.5, ""]], "r2", at(1))
    stage(engine, evolved, [["M0001", 2023, "Bargoin", 1001, 0.5, ""]], "r3", at(2))
    assert summary(history.changes(engine, evolved, runs=["r3"])) == [
        ("r3", "M0001 | 2023", history.MODIFIED, "frequentation_totale", 1000, 1001)
    ]


def test_a_dropped_schema_column(engine: Engine, project: Path) -> None:
    stage(
        engine,
        museums(project),
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0002", 2023, "Lecoq", 800, 0.2]],
        "r1",
        at(0),
    )
    narrowed = museums(project, without=["taux_gratuite"])
    diff = stage(
        engine,
        narrowed,
        [["M0001", 2023, "Bargoin", 1000], ["M0002", 2023, "Lecoq", 900]],
        "r2",
        at(1),
    )
    assert diff.columns_dropped == ["taux_gratuite"]
    assert "taux_gratuite" not in tables.existing_columns(engine, "stg_frequentation_musees")
    assert tables.has_primary_key(engine, narrowed)
    assert staged(engine, narrowed) == [
        ("M0001", 2023, "Bargoin", 1000),
        ("M0002", 2023, "Lecoq", 900),
    ]
    assert summary(history.changes(engine, narrowed, runs=["r2"])) == [
        ("r2", "", history.COLUMN_DROPPED, "taux_gratuite", None, None),
        ("r2", "M0002 | 2023", history.MODIFIED, "frequentation_totale", 800, 900),
    ]
    # The history keeps the values the column had.
    assert {
        (v["identifiant_museofile"], v["taux_gratuite"]) for v in versions(engine, narrowed)
    } == {
        ("M0001", 0.5),
        ("M0002", 0.2),
        ("M0002", None),  # the version of r2 has no value for it
    }
    assert diff_of(
        engine, narrowed, [["M0001", 2023, "Bargoin", 1000], ["M0002", 2023, "Lecoq", 900]]
    ).is_empty


def test_schema_changes_are_recorded(engine: Engine, project: Path) -> None:
    stage(engine, museums(project), [["M0001", 2023, "Bargoin", 1000, 0.5]], "r1", at(0))
    evolved = museums(project, [{"name": "ville", "type": "string"}], without=["taux_gratuite"])
    stage(engine, evolved, [["M0001", 2023, "Bargoin", 1000, "Clermont"]], "r2", at(1))
    recorded = [
        (r["run_id"], r["dataset"], r["column_name"], r["change"], aware(r["recorded_at"]))
        for r in contents(engine, "schema_changes")
    ]
    assert sorted(recorded) == [
        ("r2", "frequentation-musees", "taux_gratuite", history.COLUMN_DROPPED, at(1)),
        ("r2", "frequentation-musees", "ville", history.COLUMN_ADDED, at(1)),
    ]


# --- All or nothing ----------------------------------------------------------------------


def snapshot(engine: Engine, entry: DatasetEntry) -> dict[str, Any]:
    inspector = inspect(engine)
    return {
        name: (
            [c["name"] for c in inspector.get_columns(name)],
            inspector.get_pk_constraint(name)["constrained_columns"],
            contents(engine, name),
        )
        for name in (tables.staged_name(entry), tables.history_name(entry), "schema_changes")
    }


def test_a_promotion_that_fails_midway_changes_nothing(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(
        engine,
        entry,
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0002", 2023, "Lecoq", 800, None]],
        "r1",
        at(0),
    )
    before = snapshot(engine, entry)
    evolved = museums(project, [{"name": "ville", "type": "string"}], without=["taux_gratuite"])
    # The candidate holds a key twice: the history takes both, the staged table refuses,
    # after columns were added and dropped and versions closed.
    tables.load_candidate(
        engine,
        evolved,
        [
            ["M0001", 2023, "Bargoin", 1001, "Clermont"],
            ["M0003", 2023, "Quilliot", 1, ""],
            ["M0003", 2023, "Quilliot bis", 2, ""],
        ],
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        diff = diff_candidate(conn, evolved)
        assert diff.columns_added == ["ville"] and diff.columns_dropped == ["taux_gratuite"]
        history.promote(conn, evolved, diff, "r2", at(1), bootstrap_run="0.1.0")
    assert snapshot(engine, entry) == before
    assert tables.table_exists(engine, tables.candidate_name(entry))  # kept for inspection


def test_a_promotion_failing_at_its_last_step_changes_nothing(
    engine: Engine, project: Path
) -> None:
    entry = museums(project)
    stage(engine, entry, [["M0001", 2023, "Bargoin", 1000, 0.5]], "r1", at(0))
    before = snapshot(engine, entry)
    evolved = museums(project, [{"name": "ville", "type": "string"}])
    tables.load_candidate(
        engine,
        evolved,
        [["M0001", 2023, "B", 1, 0.5, "Clermont"], ["M0002", 2023, "L", 2, None, ""]],
    )
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE schema_changes RENAME TO schema_changes_gone"))
    with pytest.raises(SQLAlchemyError), engine.begin() as conn:
        history.promote(
            conn, evolved, diff_candidate(conn, evolved), "r2", at(1), bootstrap_run="x"
        )
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE schema_changes_gone RENAME TO schema_changes"))
    assert snapshot(engine, entry) == before


def test_a_first_promotion_that_fails_leaves_no_table(engine: Engine, project: Path) -> None:
    entry = museums(project)
    tables.load_candidate(
        engine, entry, [["M0001", 2023, "B", 1, None], ["M0001", 2023, "B", 2, None]]
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        history.promote(conn, entry, diff_candidate(conn, entry), "r1", at(0), bootstrap_run="x")
    assert not tables.table_exists(engine, tables.staged_name(entry))
    assert not tables.table_exists(engine, tables.history_name(entry))


# --- Tables made by 0.1.0 (no primary key, no history) -----------------------------------


def make_keyless_staged_table(engine: Engine, entry: DatasetEntry, rows: list[list[Any]]) -> None:
    """The staged table as 0.1.0 left it: the renamed candidate, without a key."""
    table = tables.candidate_table(entry).to_metadata(MetaData(), name=tables.staged_name(entry))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [dict(zip(entry.column_names, r, strict=True)) for r in rows])


@pytest.mark.parametrize("composite", [False, True], ids=["reference", "museum-year"])
def test_a_staged_table_without_primary_key_gets_one(
    engine: Engine, project: Path, composite: bool
) -> None:
    if composite:
        entry = museums(project)
        rows = [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0001", 2024, "Bargoin", 1100, None]]
    else:
        entry = MONUMENTS
        rows = [monument("PA00000001"), monument("PA00000002", latitude=None)]
    make_keyless_staged_table(engine, entry, rows)
    assert not tables.has_primary_key(engine, entry)
    diff = diff_of(engine, entry, rows)  # the same records
    assert diff.missing_primary_key and not diff.is_empty
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 0)
    with engine.begin() as conn:
        history.promote(conn, entry, diff, "r2", at(1), bootstrap_run="r1")
    assert inspect(engine).get_pk_constraint(tables.staged_name(entry))[
        "constrained_columns"
    ] == list(entry.business_key)
    assert staged(engine, entry) == sorted(tuple(r) for r in rows)
    assert {v["valid_from_run"] for v in versions(engine, entry)} == {"r1"}  # bootstrapped
    assert history.current_count(engine, entry) == 2
    assert {c.change for c in history.changes(engine, entry)} == {history.ADDED}
    assert not tables.table_exists(engine, f"old_{tables.staged_name(entry)}")
    assert diff_of(engine, entry, rows).is_empty


def test_a_changed_business_key_rebuilds_the_staged_table(engine: Engine, project: Path) -> None:
    """A catalog that narrows its key to (museum, year): the staged table is re-keyed."""
    from tests.staging.support import MUSEUM_FIELDS, write_entry

    by_museum = write_entry(
        project, "frequentation-musees", MUSEUM_FIELDS, ["identifiant_museofile"]
    )
    stage(engine, by_museum, [["M0001", 2023, "Bargoin", 1000, 0.5]], "r1", at(0))
    by_year = museums(project)
    diff = stage(
        engine,
        by_year,
        [["M0001", 2023, "Bargoin", 1000, 0.5], ["M0001", 2024, "Bargoin", 1100, None]],
        "r2",
        at(1),
    )
    assert diff.missing_primary_key and diff.added == 1
    assert tables.has_primary_key(engine, by_year)
    assert len(staged(engine, by_year)) == 2


def test_a_first_promotion_creates_the_tables(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA00000001")], "r1", at(0))
    assert tables.has_primary_key(engine, MONUMENTS)
    assert not tables.table_exists(engine, tables.candidate_name(MONUMENTS))
    (version,) = versions(engine, MONUMENTS)
    assert version["valid_from_run"] == "r1" and version["valid_to_run"] is None
    assert isinstance(version["valid_from"], datetime)
