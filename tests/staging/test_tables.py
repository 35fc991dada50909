"""The per-dataset tables: candidate load, staged table and its key, schema evolution."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError

from patrimoine.errors import StagingError
from patrimoine.staging import tables
from tests.staging.support import MONUMENTS, at, contents, monument, museums, stage, staged


def test_load_and_read_a_candidate(engine: Engine) -> None:
    loaded = tables.load_candidate(
        engine, MONUMENTS, [monument("PA00000002", titre="Hôtel"), monument("PA00000001")]
    )
    assert (loaded.table, loaded.rows) == ("cand_monuments_historiques", 2)
    rows = tables.read_rows(engine, MONUMENTS, "cand_monuments_historiques")
    assert [r[0] for r in rows] == ["PA00000001", "PA00000002"]  # ordered by key
    first = dict(zip(MONUMENTS.column_names, rows[0], strict=True))
    assert first["date_maj_notice"] == date(2026, 7, 24)
    assert first["protection_partielle"] is False
    assert first["annee_premiere_protection"] == 1983
    assert first["latitude"] == 45.77
    assert dict(zip(MONUMENTS.column_names, rows[1], strict=True))["titre"] == "Hôtel"


def test_missing_text_is_empty_and_missing_typed_values_are_null(engine: Engine) -> None:
    values = monument("PA00000001", titre="", latitude=None, date_maj_notice=None)
    values[MONUMENTS.column_names.index("adresse")] = None  # a transform that gave None
    tables.load_candidate(engine, MONUMENTS, [values])
    (loaded,) = tables.read_rows(engine, MONUMENTS, "cand_monuments_historiques")
    row = dict(zip(MONUMENTS.column_names, loaded, strict=True))
    assert row["titre"] == "" and row["adresse"] == ""  # "" on both backends
    assert row["latitude"] is None and row["date_maj_notice"] is None


def test_a_new_load_replaces_the_candidate(engine: Engine) -> None:
    tables.load_candidate(engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002")])
    tables.load_candidate(engine, MONUMENTS, [monument("PA00000003")])
    assert [r[0] for r in tables.read_rows(engine, MONUMENTS, "cand_monuments_historiques")] == [
        "PA00000003"
    ]
    tables.drop_candidate(engine, MONUMENTS)
    assert not tables.table_exists(engine, "cand_monuments_historiques")
    tables.drop_candidate(engine, MONUMENTS)  # nothing to drop is fine


def test_a_candidate_may_hold_duplicate_and_empty_keys(engine: Engine) -> None:
    """The candidate has no key: duplicates must reach validation, not crash the load."""
    rows = [monument("PA00000001"), monument("PA00000001", titre="Autre"), monument("")]
    assert tables.load_candidate(engine, MONUMENTS, rows).rows == 3


def test_failed_load_leaves_the_staged_table_untouched(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA00000001")], "r1", at(0))
    before = contents(engine, "stg_monuments_historiques")

    def broken() -> Iterator[list[object]]:  # a source that breaks half-way through
        yield monument("PA00000009")
        raise OSError("source cassée")

    with pytest.raises(OSError, match="source cassée"):
        tables.load_candidate(engine, MONUMENTS, broken())
    with pytest.raises(StagingError, match="chargement de cand_monuments_historiques"):
        tables.load_candidate(engine, MONUMENTS, [monument("PA1", date_maj_notice="hier")])
    assert contents(engine, "stg_monuments_historiques") == before


def test_the_staged_table_is_keyed_on_the_business_key(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(engine, entry, [["M0001", 2023, "Musée", 10, 0.5]], "r1", at(0))
    pk = inspect(engine).get_pk_constraint("stg_frequentation_musees")
    assert pk["constrained_columns"] == ["identifiant_museofile", "annee"]
    assert tables.has_primary_key(engine, entry)
    assert not inspect(engine).get_pk_constraint("hist_frequentation_musees")[
        "constrained_columns"
    ]  # the history holds several versions per key
    table = tables.staged_table(entry)
    with engine.begin() as conn:  # another year of the same museum is another record
        conn.execute(table.insert().values(identifiant_museofile="M0001", annee=2024))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(table.insert().values(identifiant_museofile="M0001", annee=2023))


def test_evolve_adds_new_columns_and_drops_dropped_ones(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(engine, entry, [["M0001", 2023, "Musée", 10, 0.5]], "r1", at(0))
    evolved = museums(
        project,
        [{"name": "ville", "type": "string"}, {"name": "surface", "type": "number"}],
        without=["taux_gratuite"],
    )
    with engine.begin() as conn:
        assert tables.evolve(conn, evolved, drop=["taux_gratuite"]) == ["ville", "surface"]
    assert tables.existing_columns(engine, "stg_frequentation_musees") == [
        "identifiant_museofile",
        "annee",
        "nom_musee",
        "frequentation_totale",
        "ville",
        "surface",
    ]
    (row,) = contents(engine, "stg_frequentation_musees")
    assert row["ville"] == "" and row["surface"] is None  # text is never null when staged
    assert tables.has_primary_key(engine, evolved)  # kept through SQLite's table rebuild
    history = tables.existing_columns(engine, "hist_frequentation_musees")
    assert {"ville", "surface", "taux_gratuite"} <= set(history)  # history keeps old values
    (version,) = contents(engine, "hist_frequentation_musees")
    assert version["taux_gratuite"] == 0.5
    with engine.begin() as conn:  # nothing left to do
        assert tables.evolve(conn, evolved, drop=["taux_gratuite"]) == []


def test_read_rows_reads_missing_columns_as_null(engine: Engine, project: Path) -> None:
    entry = museums(project)
    stage(engine, entry, [["M0001", 2023, "Musée", 10, 0.5]], "r1", at(0))
    evolved = museums(project, [{"name": "ville", "type": "string"}])
    assert staged(engine, evolved) == [("M0001", 2023, "Musée", 10, 0.5, None)]
