from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import StagingError
from patrimoine.staging import ledger, tables
from patrimoine.staging.db import migrate

ENTRY = load_catalog(PROJECT_DIR / "catalog")["monuments-historiques"]


def row(ref: str, titre: str = "Maison", lat: float | None = 45.77) -> list[object]:
    values: dict[str, object] = {c: None for c in ENTRY.column_names}
    values.update(
        reference=ref,
        titre=titre,
        code_insee="63113",
        commune="Clermont-Ferrand",
        protection_partielle=False,
        hors_france=False,
        latitude=lat,
        longitude=3.08,
        date_maj_notice=date(2026, 7, 24),
        protections="[]",
        lien_pop=f"https://pop/{ref}",
    )
    return [values[c] for c in ENTRY.column_names]


def history(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        result = conn.execute(text("SELECT record_key, change FROM record_history ORDER BY 1, 2"))
        return [tuple(r) for r in result]


def test_migrations_are_recorded_once(engine: Engine) -> None:
    assert migrate(engine) == []
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version FROM schema_migrations"))]
    assert versions == ["20261129_initial"]


def test_load_diff_promote_and_history(engine: Engine) -> None:
    loaded = tables.load_candidate(engine, ENTRY, [row("PA00000001"), row("PA00000002")])
    assert loaded.rows == 2 and loaded.table == "cand_monuments_historiques"
    first = tables.diff_candidate(engine, ENTRY)
    assert (first.added, first.removed, first.changed) == (2, 0, 0)
    tables.promote(engine, ENTRY, "run1")
    assert not tables.table_exists(engine, "cand_monuments_historiques")
    staged = tables.read_rows(engine, ENTRY, "stg_monuments_historiques")
    assert [r[0] for r in staged] == ["PA00000001", "PA00000002"]
    assert staged[0][ENTRY.column_names.index("date_maj_notice")] == date(2026, 7, 24)
    assert staged[0][ENTRY.column_names.index("protection_partielle")] is False

    tables.load_candidate(engine, ENTRY, [row("PA00000002", "Hôtel"), row("PA00000003")])
    second = tables.diff_candidate(engine, ENTRY)
    assert (second.added, second.removed, second.changed) == (1, 1, 1)
    assert second.samples == {
        "added": ["PA00000003"],
        "removed": ["PA00000001"],
        "changed": ["PA00000002"],
    }
    tables.promote(engine, ENTRY, "run2")
    assert history(engine) == [
        ("PA00000001", "added"),
        ("PA00000001", "removed"),
        ("PA00000002", "added"),
        ("PA00000002", "changed"),
        ("PA00000003", "added"),
    ]


def test_identical_candidate_has_an_empty_diff(engine: Engine) -> None:
    tables.load_candidate(engine, ENTRY, [row("PA00000001"), row("PA00000002", lat=None)])
    tables.promote(engine, ENTRY, "run1")
    tables.load_candidate(engine, ENTRY, [row("PA00000001"), row("PA00000002", lat=None)])
    assert tables.diff_candidate(engine, ENTRY).is_empty
    tables.load_candidate(engine, ENTRY, [row("PA00000001"), row("PA00000002", lat=45.0)])
    assert tables.diff_candidate(engine, ENTRY).changed == 1  # NULL to a value is a change


def test_empty_strings_and_nulls_survive_the_load(engine: Engine) -> None:
    values = row("PA00000001", titre="", lat=None)
    tables.load_candidate(engine, ENTRY, [values])
    (loaded,) = tables.read_rows(engine, ENTRY, "cand_monuments_historiques")
    names = ENTRY.column_names
    assert loaded[names.index("titre")] == ""
    assert loaded[names.index("latitude")] is None
    assert loaded[names.index("adresse")] == ""  # a missing text value is "" on both backends


def test_failed_load_leaves_the_staged_table_untouched(engine: Engine) -> None:
    tables.load_candidate(engine, ENTRY, [row("PA00000001")])
    tables.promote(engine, ENTRY, "run1")

    def broken() -> Iterator[list[object]]:  # a source that breaks half-way through
        yield row("PA00000009")
        raise StagingError("source cassée")

    with pytest.raises(StagingError):
        tables.load_candidate(engine, ENTRY, broken())
    assert [r[0] for r in tables.read_rows(engine, ENTRY, "stg_monuments_historiques")] == [
        "PA00000001"
    ]


def test_ledger_start_finish_and_last_runs(engine: Engine) -> None:
    record = ledger.RunRecord(
        run_id="r1",
        dataset="monuments-historiques",
        started_at=datetime(2026, 11, 29, 2, 30, tzinfo=UTC),
    )
    ledger.start(engine, record)
    record.status, record.stage, record.rows_read = "failed", "extract", 10
    record.error, record.details = (
        "[jeu « monuments-historiques », étape extract] HTTP 503",
        {"a": 1},
    )
    ledger.finish(engine, record)
    (saved,) = ledger.runs_of(engine, "monuments-historiques")
    assert saved["status"] == "failed" and saved["rows_read"] == 10
    assert saved["ended_at"] is not None and "HTTP 503" in saved["error"]
    assert ledger.last_runs(engine)["monuments-historiques"]["status"] == "failed"


def test_runs_left_running_by_a_dead_process_are_closed(engine: Engine) -> None:
    started = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)
    ledger.start(engine, ledger.RunRecord("dead", "monuments-historiques", started))
    ledger.start(engine, ledger.RunRecord("alive", "monuments-historiques", started))
    ledger.start(engine, ledger.RunRecord("other", "musees", started))
    assert ledger.close_interrupted(engine, "monuments-historiques", "alive") == 1
    statuses = {r["run_id"]: r["status"] for r in ledger.runs_of(engine, "monuments-historiques")}
    assert statuses == {"dead": "interrupted", "alive": "running"}
    assert ledger.runs_of(engine, "musees")[0]["status"] == "running"
