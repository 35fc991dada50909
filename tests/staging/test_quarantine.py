"""Quarantined records: removed from the candidate by key, recorded with their reasons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from patrimoine.staging import quarantine, tables
from patrimoine.staging.quarantine import Quarantined
from tests.staging.support import MONUMENTS, at, aware, diff_of, monument, museums, stage


def test_records_are_removed_from_the_candidate_by_key(engine: Engine) -> None:
    tables.load_candidate(
        engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002"), monument("PA00000003")]
    )
    left_out = [
        Quarantined("PA00000001", ["titre manquant"], key_values=["PA00000001"]),
        Quarantined("PA00000003", ["coordonnées hors commune"], key_values=["PA00000003"]),
        Quarantined("ligne 12", ["référence invalide"]),  # never reached the candidate
        Quarantined("PA00000009", ["absent"], key_values=["PA00000009"]),  # not there: no-op
    ]
    with engine.begin() as conn:
        assert quarantine.remove_from_candidate(conn, MONUMENTS, left_out) == 2
    remaining = tables.read_rows(engine, MONUMENTS, tables.candidate_name(MONUMENTS))
    assert [r[0] for r in remaining] == ["PA00000002"]
    with engine.begin() as conn:
        assert quarantine.remove_from_candidate(conn, MONUMENTS, []) == 0
        assert quarantine.remove_from_candidate(conn, MONUMENTS, left_out[2:3]) == 0


def test_a_composite_key_removes_only_that_record(engine: Engine, project: Path) -> None:
    entry = museums(project)
    tables.load_candidate(
        engine,
        entry,
        [
            ["M0001", 2023, "Bargoin", 1000, 0.5],
            ["M0001", 2024, "Bargoin", -1, 0.5],
            ["M0002", 2024, "Lecoq", 800, None],
        ],
    )
    with engine.begin() as conn:
        removed = quarantine.remove_from_candidate(
            conn,
            entry,
            [Quarantined("M0001 | 2024", ["fréquentation négative"], {}, ["M0001", 2024])],
        )
    assert removed == 1
    assert tables.read_rows(engine, entry, tables.candidate_name(entry)) == [
        ("M0001", 2023, "Bargoin", 1000, 0.5),
        ("M0002", 2024, "Lecoq", 800, None),
    ]


def test_a_quarantined_staged_record_is_removed_by_the_diff(engine: Engine) -> None:
    stage(engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002")], "r1", at(0))
    tables.load_candidate(
        engine, MONUMENTS, [monument("PA00000001"), monument("PA00000002", titre="")]
    )
    with engine.begin() as conn:
        quarantine.remove_from_candidate(
            conn,
            MONUMENTS,
            [Quarantined("PA00000002", ["titre manquant"], key_values=["PA00000002"])],
        )
    from patrimoine.staging.diff import diff_candidate

    with engine.connect() as conn:
        diff = diff_candidate(conn, MONUMENTS)
    assert (diff.removed, diff.changed, diff.samples["removed"]) == (1, 0, ["PA00000002"])
    assert diff_of(engine, MONUMENTS, [monument("PA00000001")]).removed == 1


def test_quarantined_records_are_kept_with_their_reasons(engine: Engine) -> None:
    records = [
        Quarantined(
            "PA00000002",
            ["titre manquant", "code INSEE hors territoire"],
            {"reference": "PA00000002", "titre": None, "date_maj_notice": date(2026, 7, 24)},
            ["PA00000002"],
        ),
        Quarantined("ligne 12", ["référence invalide"], {"Reference": "PA1"}),
    ]
    with engine.begin() as conn:
        quarantine.record(conn, MONUMENTS, "r1", at(0), records)
        quarantine.record(conn, MONUMENTS, "r2", at(1), records[:1])
        quarantine.record(conn, MONUMENTS, "r3", at(2), [])  # nothing to record
    found = quarantine.of_run(engine, "r1")
    assert [q["record_key"] for q in found] == ["PA00000002", "ligne 12"]  # by key
    first = found[0]
    assert first["reasons"] == ["titre manquant", "code INSEE hors territoire"]
    assert first["dataset"] == "monuments-historiques" and first["run_id"] == "r1"
    assert aware(first["recorded_at"]) == at(0)
    assert '"date_maj_notice": "2026-07-24"' in first["record"]
    assert quarantine.count_of_run(engine, "r1") == 2
    assert quarantine.count_of_run(engine, "r2") == 1
    assert quarantine.of_run(engine, "r3") == [] and quarantine.count_of_run(engine, "r3") == 0


def test_quarantined_round_trips_through_a_dict() -> None:
    record = Quarantined("M0001 | 2024", ["x"], {"annee": 2024}, ["M0001", 2024])
    assert Quarantined.from_dict(record.to_dict()) == record
    assert Quarantined.from_dict({"key": "k", "reasons": ["r"]}) == Quarantined("k", ["r"])
