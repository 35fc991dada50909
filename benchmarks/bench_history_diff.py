"""History + diff benchmark: a national-size monuments table, 1 % of it modified, one run.

    python benchmarks/bench_history_diff.py [--rows 46760] [--database-url URL]

Builds the staged table of a national-size monuments-historiques dataset (the generator's
46,760 notices, transformed by patrimoine with the territory filter off), then loads a
candidate in which 1 % of the records changed and measures, on the same database:

- patrimoine's promotion: the diff in SQL, then the SCD2 history (close the superseded
  versions, insert the new ones) and the staged table updated in place, in one transaction;
- a full reload of the same table, as 0.1.0 did: drop the staged table and write every row
  again (no diff, no history).

It prints both times and their ratio. Each is measured twice from the same starting state
and the better time kept, so one cold cache does not decide.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NAME = "monuments-historiques"


def _schema_url(url: str, schema: str) -> str:
    if url.startswith("sqlite"):
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=46_760)
    parser.add_argument("--modified", type=float, default=0.01, help="share of records changed")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()

    from sqlalchemy import MetaData, Table, insert, select, text

    from patrimoine.catalog import load_catalog
    from patrimoine.config import PROJECT_DIR
    from patrimoine.staging import history, tables
    from patrimoine.staging.db import make_engine, migrate
    from patrimoine.staging.diff import diff_candidate
    from patrimoine.transforms import TransformStats
    from patrimoine.transforms.registry import get_transform
    from tests.samples.merimee import national_rows, write_merimee_csv

    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"merimee-{args.rows}.csv"
    if not source.exists():
        write_merimee_csv(national_rows(args.rows), source)
    entry = load_catalog(PROJECT_DIR / "catalog")[NAME]
    rows = list(get_transform(entry)(source, entry, None, TransformStats()).rows)
    title = entry.column_names.index("titre")
    step = max(int(1 / args.modified), 1)
    changed = [
        tuple(f"{v} (corrigé)" if i == title else v for i, v in enumerate(r))
        if n % step == 0
        else r
        for n, r in enumerate(rows)
    ]

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = make_engine(args.database_url)
    if plain.dialect.name == "postgresql":
        with plain.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(_schema_url(args.database_url, schema))
    try:
        migrate(engine)

        def fresh_state() -> None:
            """The staged table and its history as after the first publication."""
            with engine.begin() as conn:
                for name in (tables.staged_name(entry), tables.history_name(entry)):
                    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            tables.load_candidate(engine, entry, rows)
            with engine.begin() as conn:
                history.promote(
                    conn,
                    entry,
                    diff_candidate(conn, entry),
                    "first",
                    datetime.now(UTC),
                    bootstrap_run="first",
                )
            tables.load_candidate(engine, entry, changed)

        def promote() -> tuple[float, int]:
            fresh_state()
            started = time.perf_counter()
            with engine.begin() as conn:
                diff = diff_candidate(conn, entry)
                history.promote(conn, entry, diff, "second", datetime.now(UTC), bootstrap_run="x")
            return time.perf_counter() - started, diff.changed

        def full_reload() -> float:
            fresh_state()
            started = time.perf_counter()
            with engine.begin() as conn:
                staged = tables.staged_table(entry)
                staged.drop(conn)
                staged.create(conn)
                cand = Table(tables.candidate_name(entry), MetaData(), autoload_with=conn)
                conn.execute(insert(staged).from_select(entry.column_names, select(cand)))
                cand.drop(conn)
            return time.perf_counter() - started

        promoted = min(promote() for _ in range(2))
        reloaded = min(full_reload() for _ in range(2))
    finally:
        engine.dispose()
        if plain.dialect.name == "postgresql":
            with plain.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        plain.dispose()

    seconds, count = promoted
    print(f"{len(rows)} records, {count} modified ({args.modified:.0%}), {engine.dialect.name}")
    print(f"  history + diff (patrimoine)   {seconds:7.3f} s")
    print(f"  full reload of the same table {reloaded:7.3f} s")
    print(f"  ratio history+diff / reload   {seconds / reloaded:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
