"""Ingest benchmark: a national-size Mérimée file into PostgreSQL, three ways, one run.

    python benchmarks/bench_merimee_ingest.py [--rows 46760] [--database-url URL]

Generates (once, under benchmarks/out/) a file in the real data.gouv.fr Mérimée format, then
measures, each in its own process so that peak memory is its own:

- raw COPY of the file into an all-text table (the floor);
- patrimoine's ingest path: parse, transform, load the candidate (COPY) and promote it,
  with the territory filter off;
- pandas ``read_csv`` + ``to_sql``.

It prints seconds, the ratio to raw COPY and the peak RSS of each. Targets for patrimoine's
path: at most 2x raw COPY and 350 MB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_RATIO, TARGET_RSS_MB = 2.0, 350.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int) -> None:
    from tests.samples.merimee import national_rows, write_merimee_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    write_merimee_csv(national_rows(rows, seed=1), tmp)
    tmp.replace(path)


def _schema_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql").split("?")[0]


def child_raw(path: Path, url: str, schema: str) -> float:
    import psycopg

    with psycopg.connect(_plain(url)) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        header = path.open(encoding="utf-8").readline().rstrip("\n").split("|")
        cols = ", ".join(f'"{c}" text' for c in header)
        started = time.perf_counter()
        conn.execute(f"CREATE TABLE raw_merimee ({cols})")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY raw_merimee FROM STDIN WITH (FORMAT csv, DELIMITER '|', HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started


def child_project(path: Path, url: str, schema: str) -> float:
    from patrimoine import stages
    from patrimoine.config import load_settings

    env = {
        "PATRIMOINE_DATABASE_URL": _schema_url(url, schema),
        "PATRIMOINE_CACHE_DIR": str(OUT / "cache"),
    }
    settings = load_settings(environ=env)
    stages.engine_for(settings)  # migrations are set-up, not ingest
    started = time.perf_counter()
    output = stages.transform_stage(settings, "monuments-historiques", path, territory_filter=False)
    stages.stage_stage(settings, "monuments-historiques", run_id="bench")
    elapsed = time.perf_counter() - started
    print(f"# project path kept {output.rows} rows", file=sys.stderr)
    return elapsed


def child_pandas(path: Path, url: str, schema: str) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(_schema_url(url, schema))
    started = time.perf_counter()
    frame = pd.read_csv(path, sep="|", dtype=str, keep_default_na=False)
    frame.to_sql("pandas_merimee", engine, index=False, chunksize=5000)
    return time.perf_counter() - started


CHILDREN = {"raw": child_raw, "project": child_project, "pandas": child_pandas}
LABELS = {
    "raw": "raw COPY (all-text table, floor)",
    "project": "patrimoine ingest (parse+transform+stage)",
    "pandas": "pandas read_csv + to_sql",
}


def run_child(kind: str, path: Path, url: str) -> dict[str, float]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                kind,
                "--file",
                str(path),
                "--database-url",
                url,
                "--schema",
                schema,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(exc.stderr)
        raise
    finally:
        with psycopg.connect(_plain(url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    sys.stderr.write(proc.stderr)
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=46_760)
    parser.add_argument("--database-url", default=os.environ.get("PATRIMOINE_BENCH_DB", DEFAULT_DB))
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--schema")
    args = parser.parse_args()

    if args.child:
        baseline = peak_rss_mb()
        seconds = CHILDREN[args.child](args.file, args.database_url, args.schema)
        print(
            json.dumps(
                {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "baseline_rss_mb": baseline}
            )
        )
        return 0

    path = OUT / f"merimee-{args.rows}.csv"
    if not path.exists():
        print(f"Generating {args.rows} notices in the Mérimée format → {path}", file=sys.stderr)
        generate(path, args.rows)
    size_mb = path.stat().st_size / 2**20
    print(f"File: {path.name}, {args.rows} notices, {size_mb:.1f} MB")
    results = {
        kind: run_child(kind, path, args.database_url) for kind in ("raw", "project", "pandas")
    }
    floor = results["raw"]["seconds"]
    print(f"{'path':45} {'seconds':>8} {'x raw COPY':>11} {'peak RSS MB':>12}")
    for kind, res in results.items():
        print(
            f"{LABELS[kind]:45} {res['seconds']:8.2f} {res['seconds'] / floor:11.2f} "
            f"{res['peak_rss_mb']:12.0f}"
        )
    project = results["project"]
    ratio = project["seconds"] / floor
    verdict = (
        "OK" if ratio <= TARGET_RATIO and project["peak_rss_mb"] <= TARGET_RSS_MB else "MISSED"
    )
    print(
        f"patrimoine vs targets (≤ {TARGET_RATIO}x raw COPY, ≤ {TARGET_RSS_MB:.0f} MB): "
        f"{ratio:.2f}x, {project['peak_rss_mb']:.0f} MB → {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
