"""The run ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from patrimoine.staging import ledger

STARTED = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)


def test_ledger_start_finish_and_last_runs(engine: Engine) -> None:
    record = ledger.RunRecord(run_id="r1", dataset="monuments-historiques", started_at=STARTED)
    ledger.start(engine, record)
    assert ledger.run(engine, "r1") is not None
    record.status, record.stage, record.rows_read = "failed", "extract", 10
    record.rows_quarantined, record.accept_drop = 2, True
    record.error = "[jeu « monuments-historiques », étape extract] HTTP 503"
    record.details = {"a": 1}
    ledger.finish(engine, record)
    (saved,) = ledger.runs_of(engine, "monuments-historiques")
    assert saved["status"] == "failed" and saved["rows_read"] == 10
    assert saved["rows_quarantined"] == 2 and saved["accept_drop"] is True
    assert saved["ended_at"] is not None and "HTTP 503" in saved["error"]
    latest = ledger.last_runs(engine)["monuments-historiques"]
    assert latest["status"] == "failed" and latest["details"] == {"a": 1}
    assert latest["started_at"] == STARTED  # aware on both backends
    assert ledger.last_run(engine, "monuments-historiques", statuses=ledger.SUCCESS) is None
    assert ledger.run(engine, "nope") is None


def test_last_run_among_statuses(engine: Engine) -> None:
    for i, status in enumerate(("updated", "unchanged", "failed")):
        record = ledger.RunRecord(f"r{i}", "monuments-historiques", STARTED + timedelta(days=i))
        record.status = status
        ledger.start(engine, record)
    last = ledger.last_run(engine, "monuments-historiques", statuses=ledger.SUCCESS)
    assert last is not None and last["run_id"] == "r1"
    assert ledger.last_runs(engine, statuses=("updated",))["monuments-historiques"]["run_id"] == (
        "r0"
    )
    assert ledger.last_runs(engine)["monuments-historiques"]["run_id"] == "r2"


def test_runs_left_running_by_a_dead_process_are_closed(engine: Engine) -> None:
    ledger.start(engine, ledger.RunRecord("dead", "monuments-historiques", STARTED))
    ledger.start(engine, ledger.RunRecord("alive", "monuments-historiques", STARTED))
    ledger.start(engine, ledger.RunRecord("other", "musees", STARTED))
    assert ledger.close_interrupted(engine, "monuments-historiques", "alive") == 1
    statuses = {r["run_id"]: r["status"] for r in ledger.runs_of(engine, "monuments-historiques")}
    assert statuses == {"dead": "interrupted", "alive": "running"}
    assert ledger.runs_of(engine, "musees")[0]["status"] == "running"
