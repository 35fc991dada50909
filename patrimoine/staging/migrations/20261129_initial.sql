-- Initial schema: run ledger, territory cache, record history.
-- Written to run unchanged on PostgreSQL and SQLite.

CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    dataset TEXT NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at TIMESTAMP WITH TIME ZONE,
    status TEXT NOT NULL,
    stage TEXT,
    offline BOOLEAN NOT NULL DEFAULT FALSE,
    dry_run BOOLEAN NOT NULL DEFAULT FALSE,
    rows_read BIGINT,
    rows_kept BIGINT,
    rows_published BIGINT,
    added BIGINT,
    removed BIGINT,
    changed BIGINT,
    source_url TEXT,
    source_checksum TEXT,
    output_checksum TEXT,
    error TEXT,
    details TEXT
);

CREATE INDEX IF NOT EXISTS ix_runs_dataset_started ON runs (dataset, started_at);

CREATE TABLE IF NOT EXISTS territory_communes (
    territory TEXT NOT NULL,
    territory_label TEXT NOT NULL,
    code TEXT NOT NULL,
    nom TEXT NOT NULL,
    departement TEXT NOT NULL,
    codes_postaux TEXT NOT NULL,
    population BIGINT,
    contour TEXT,
    fetched_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (territory, code)
);

CREATE TABLE IF NOT EXISTS record_history (
    run_id TEXT NOT NULL,
    dataset TEXT NOT NULL,
    record_key TEXT NOT NULL,
    change TEXT NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_record_history_dataset ON record_history (dataset, recorded_at);
