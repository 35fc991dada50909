"""Alembic migrations: fresh databases, re-runs, and databases made by release 0.1.0."""

from __future__ import annotations

import multiprocessing
import queue
import socket
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from patrimoine import guards
from patrimoine.errors import StagingError
from patrimoine.staging import db, history, ledger, quarantine, tables, territory_store
from patrimoine.staging.db import current_revision, head_revision, make_engine, migrate
from patrimoine.staging.diff import diff_candidate
from patrimoine.staging.quarantine import Quarantined
from tests.staging.support import MONUMENTS, aware, contents, monument, staged, versions

FIXED_TABLES = {
    "alembic_version",
    "runs",
    "territory_communes",
    "record_history_v0",
    "quarantine",
    "schema_changes",
    "portal_datasets",
    "alert_state",
}
LEGACY_RUN = "2155a6f4f342418fa31376c04790abaa"
LEGACY_REFERENCES = [f"PA0009100{i}" for i in range(6)]


def describe(engine: Engine) -> dict[str, Any]:
    """The fixed tables as the database has them: columns, primary keys, indexes."""
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for name in sorted(set(inspector.get_table_names()) & FIXED_TABLES):
        key = sorted(inspector.get_pk_constraint(name)["constrained_columns"])
        found[name] = {
            # A key column is not null whatever SQLite says: 0.1.0 declared ``run_id TEXT
            # PRIMARY KEY``, which SQLite (unlike PostgreSQL) lets be null.
            "columns": sorted(
                (c["name"], c["nullable"] and c["name"] not in key)
                for c in inspector.get_columns(name)
            ),
            "primary_key": key,
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(name)
            ),
        }
    return found


def alembic_versions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


# --- Fresh databases ---------------------------------------------------------------------


def test_a_fresh_database_reaches_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert migrate(engine) == head_revision() == "20261202_alert_state"
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) == FIXED_TABLES
        schema = describe(engine)
        assert ("accept_drop", False) in schema["runs"]["columns"]
        assert ("rows_quarantined", True) in schema["runs"]["columns"]
        assert schema["quarantine"]["primary_key"] == ["record_key", "run_id"]
        assert schema["schema_changes"]["primary_key"] == ["column_name", "run_id"]
        assert schema["territory_communes"]["primary_key"] == ["code", "territory"]
        assert schema["portal_datasets"]["primary_key"] == ["base_url", "dataset", "portal"]
        assert ("ix_runs_dataset_started", ("dataset", "started_at")) in schema["runs"]["indexes"]
        # The ledger works on the migrated tables.
        ledger.start(engine, ledger.RunRecord("r1", "monuments-historiques", datetime.now(UTC)))
        assert ledger.run(engine, "r1") is not None
    finally:
        engine.dispose()


def test_migrating_twice_is_a_no_op(engine: Engine) -> None:
    started = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    ledger.start(engine, ledger.RunRecord("r1", "monuments-historiques", started))
    before = describe(engine)
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()
    assert describe(engine) == before
    assert alembic_versions(engine) == [head_revision()]
    (kept,) = ledger.runs_of(engine, "monuments-historiques")
    assert kept["run_id"] == "r1" and aware(kept["started_at"]) == started


# --- Databases made by release 0.1.0 -----------------------------------------------------


def test_a_release_0_1_0_database_is_upgraded(legacy_engine: Engine, tmp_path: Path) -> None:
    assert "schema_migrations" in inspect(legacy_engine).get_table_names()
    assert migrate(legacy_engine) == head_revision()

    names = set(inspect(legacy_engine).get_table_names())
    assert names == FIXED_TABLES | {"stg_monuments_historiques"}  # schema_migrations is gone
    assert alembic_versions(legacy_engine) == [head_revision()]

    # The fixed tables are exactly those of a fresh database (columns, keys, indexes).
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh)
    assert describe(legacy_engine) == describe(fresh)
    fresh.dispose()

    # The ledger rows are kept and read through the ledger, with the new columns' defaults.
    (run,) = ledger.runs_of(legacy_engine, "monuments-historiques")
    assert run["run_id"] == LEGACY_RUN and run["status"] == "updated"
    assert run["offline"] is True and run["dry_run"] is False and run["accept_drop"] is False
    assert run["rows_quarantined"] is None
    assert (run["rows_read"], run["rows_kept"], run["added"]) == (167, 122, 122)
    last = ledger.last_run(legacy_engine, "monuments-historiques", statuses=ledger.SUCCESS)
    assert last is not None and last["run_id"] == LEGACY_RUN
    assert last["started_at"] == datetime(2026, 12, 1, 9, 14, 21, 303811, tzinfo=UTC)
    assert last["details"]["validation"]["success"] is True
    assert ledger.last_runs(legacy_engine)["monuments-historiques"]["run_id"] == LEGACY_RUN

    # The territory cache is kept.
    territory = territory_store.load(legacy_engine, "epci:246300701")
    assert territory is not None and territory.label == "Clermont Auvergne Métropole"
    assert len(territory.communes) == 21
    assert territory.communes[0].code == "63014" and territory.communes[0].codes_postaux == (
        "63170",
    )

    # The key-only history of 0.1.0 is kept as it was.
    with legacy_engine.connect() as conn:
        old = conn.execute(
            text("SELECT run_id, dataset, record_key, change FROM record_history_v0 ORDER BY 3")
        ).all()
    assert [tuple(r) for r in old] == [
        (LEGACY_RUN, "monuments-historiques", ref, "added") for ref in LEGACY_REFERENCES
    ]

    # The staged table is untouched until a promotion.
    assert [r[0] for r in staged(legacy_engine, MONUMENTS)] == LEGACY_REFERENCES
    assert "hors_france" in tables.existing_columns(legacy_engine, "stg_monuments_historiques")

    # The new columns and tables work.
    record = ledger.RunRecord("r2", "monuments-historiques", datetime.now(UTC))
    record.rows_quarantined, record.accept_drop = 1, True
    ledger.start(legacy_engine, record)
    saved = ledger.run(legacy_engine, "r2")
    assert saved is not None and saved["rows_quarantined"] == 1 and saved["accept_drop"]
    with legacy_engine.begin() as conn:
        quarantine.record(
            conn, MONUMENTS, "r2", datetime.now(UTC), [Quarantined("PA1", ["titre manquant"])]
        )
    assert quarantine.count_of_run(legacy_engine, "r2") == 1


def test_a_promotion_on_the_upgraded_0_1_0_staged_table(legacy_engine: Engine) -> None:
    migrate(legacy_engine)
    assert not tables.has_primary_key(legacy_engine, MONUMENTS)
    previous = staged(legacy_engine, MONUMENTS)
    names = MONUMENTS.column_names
    assert all(r[names.index("coordonnees_douteuses")] is None for r in previous)  # not there

    # The next run: coordonnees_douteuses is filled, hors_france is gone, one title changes,
    # the last notice disappears and a new one appears.
    rows = [list(r) for r in previous[:5]]
    for r in rows:
        r[names.index("coordonnees_douteuses")] = False
    rows[0][names.index("titre")] = "Maison dite du Lion d'or"
    rows.append(monument("PA00091999"))
    tables.load_candidate(legacy_engine, MONUMENTS, rows)
    now = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    with legacy_engine.begin() as conn:
        diff = diff_candidate(conn, MONUMENTS)
        assert diff.missing_primary_key and not diff.is_empty
        assert (diff.added, diff.removed, diff.changed, diff.refreshed) == (1, 1, 1, 4)
        assert diff.samples["removed"] == ["PA00091005"]
        assert diff.samples["changed"] == ["PA00091000"]
        assert diff.columns_added == ["coordonnees_douteuses"]
        assert diff.columns_dropped == ["hors_france"]
        assert [f.guard for f in guards.check(diff, 0.5)] == [guards.DROPPED_COLUMN]
        last = ledger.last_run(legacy_engine, MONUMENTS.name, statuses=("updated",))
        assert last is not None
        history.promote(conn, MONUMENTS, diff, "r2", now, bootstrap_run=last["run_id"])

    # The staged table has its primary key, the new column and not the dropped one.
    assert tables.has_primary_key(legacy_engine, MONUMENTS)
    assert tables.existing_columns(legacy_engine, "stg_monuments_historiques") == [
        *[c for c in names if c != "coordonnees_douteuses"],
        "coordonnees_douteuses",
    ]
    assert staged(legacy_engine, MONUMENTS) == sorted(tuple(r) for r in rows)

    # The history was bootstrapped from the 0.1.0 table, then the promotion applied.
    found = versions(legacy_engine, MONUMENTS)
    seeded = [v for v in found if v["valid_from_run"] == LEGACY_RUN]
    assert sorted(v["reference"] for v in seeded) == LEGACY_REFERENCES
    assert [tuple(v[c] for c in names) for v in seeded] == previous  # as 0.1.0 staged them
    assert {v["valid_to_run"] for v in seeded} == {"r2"}  # all superseded: the new column
    open_versions = [v for v in found if v["valid_to_run"] is None]
    assert sorted(v["reference"] for v in open_versions) == [
        r[0] for r in staged(legacy_engine, MONUMENTS)
    ]
    assert history.current_count(legacy_engine, MONUMENTS) == 6

    # What changed is what the promotion did, the new column's first values excepted.
    found_changes = {
        (c.run_id, c.key, c.change, c.column)
        for c in history.changes(legacy_engine, MONUMENTS, runs=["r2"])
    }
    assert found_changes == {
        ("r2", "PA00091000", history.MODIFIED, "titre"),
        ("r2", "PA00091005", history.REMOVED, ""),
        ("r2", "PA00091999", history.ADDED, ""),
        ("r2", "", history.COLUMN_ADDED, "coordonnees_douteuses"),
        ("r2", "", history.COLUMN_DROPPED, "hors_france"),
    }

    # The primary key is enforced now, and the next identical run changes nothing.
    with pytest.raises(IntegrityError), legacy_engine.begin() as conn:
        conn.execute(
            tables.staged_table(MONUMENTS).insert(),
            [dict(zip(names, monument("PA00091999", titre="Doublon"), strict=True))],
        )
    tables.load_candidate(legacy_engine, MONUMENTS, rows)
    with legacy_engine.connect() as conn:
        assert diff_candidate(conn, MONUMENTS).is_empty


def test_an_unknown_legacy_database_is_refused(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)")
        )
        conn.execute(text("INSERT INTO schema_migrations VALUES ('20250101_other', 'x')"))
    with pytest.raises(StagingError, match="version inconnue") as error:
        migrate(engine)
    assert "20250101_other" in str(error.value) and error.value.hint
    assert set(inspect(engine).get_table_names()) == {"schema_migrations"}  # untouched
    engine.dispose()


# --- Unreachable databases ---------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_postgresql_server_is_named_without_its_password() -> None:
    port = _closed_port()
    engine = make_engine(f"postgresql+psycopg://patrimoine:s3cr3t@127.0.0.1:{port}/patrimoine")
    with pytest.raises(StagingError) as error:
        migrate(engine)
    message = str(error.value)
    assert f"postgresql+psycopg://patrimoine:***@127.0.0.1:{port}/patrimoine" in message
    assert "s3cr3t" not in message and "injoignable" in message
    assert "PATRIMOINE_DATABASE_URL" in message  # the hint says what to check


def test_an_unopenable_sqlite_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder}")
    with pytest.raises(StagingError, match="injoignable") as error:
        migrate(engine)
    assert str(folder) in str(error.value)


def test_the_staged_values_survive_the_upgrade(legacy_engine: Engine) -> None:
    """Dates, booleans, numbers and text of the 0.1.0 rows come back typed after migrating."""
    before = contents(legacy_engine, "stg_monuments_historiques")
    migrate(legacy_engine)
    assert contents(legacy_engine, "stg_monuments_historiques") == before
    first = dict(zip(MONUMENTS.column_names, staged(legacy_engine, MONUMENTS)[0], strict=True))
    assert first["date_premiere_protection"] == date(1983, 7, 9)
    assert first["protection_partielle"] is False
    assert first["annee_premiere_protection"] == 1983
    assert first["latitude"] == pytest.approx(45.7471222)
    assert first["titre"] == "Maison dite du Lion d'or | ancienne auberge"


# --- Concurrent start-ups ----------------------------------------------------------------


def _start_up(url: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    barrier.wait()
    try:
        results.put(migrate(engine))
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))
    finally:
        engine.dispose()


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_concurrent_start_ups_migrate_once(database_url: str, workers: str) -> None:
    """The nightly run and a manual run starting together on a new database both work."""
    count = 3
    if workers == "threads":  # Prefect runs tasks in threads
        barrier: Any = threading.Barrier(count)
        results: Any = queue.Queue()
        started: list[Any] = [
            threading.Thread(target=_start_up, args=(database_url, barrier, results))
            for _ in range(count)
        ]
    else:
        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(count), context.Queue()
        started = [
            context.Process(target=_start_up, args=(database_url, barrier, results))
            for _ in range(count)
        ]
    for worker in started:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in range(count)]
    for worker in started:
        worker.join(timeout=60)
    assert outcomes == [head_revision()] * count
    engine = make_engine(database_url)
    assert alembic_versions(engine) == [head_revision()]
    assert set(inspect(engine).get_table_names()) == FIXED_TABLES
    engine.dispose()


class _LockedCursor:
    """A cursor whose file stays locked ``busy`` times: another start-up committing."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.calls = 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.busy:
            raise sqlite3.OperationalError("database is locked")


def test_the_switch_to_wal_waits_for_another_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite answers a would-be deadlock at once: the switch tries again, then gives up."""
    monkeypatch.setattr("patrimoine.staging.db.time.sleep", lambda _s: None)
    cursor = _LockedCursor(busy=3)
    db._wal(cursor)  # type: ignore[arg-type]
    assert cursor.calls == 4
    stuck = _LockedCursor(busy=10**6)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db._wal(stuck)  # type: ignore[arg-type]
    assert stuck.calls == db.WAL_ATTEMPTS
