"""One refresh of a dataset at a time (the nightly run and a manual run may overlap).

PostgreSQL: a session advisory lock, released even if the process dies. SQLite: an flock on
a file beside the database, released by the kernel likewise.

Advisory locks belong to the whole PostgreSQL database, so the key names the schema the
staging tables are in (``current_schema()``): staging databases kept as schemas of one
PostgreSQL database (one per territory, or one per test) do not block each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from patrimoine.errors import DatasetBusy

_BUSY = "un autre run de ce jeu est en cours ; réessayez quand il sera terminé"


def _key(dataset: str, schema: str = "public") -> int:
    scope = "" if schema == "public" else f"{schema}:"  # "public" keeps the 0.1.0 key
    return zlib.crc32(f"patrimoine:{scope}{dataset}".encode())


@contextlib.contextmanager
def dataset_lock(engine: Engine, dataset: str) -> Iterator[None]:
    """Hold the dataset's lock for the block; raise :class:`DatasetBusy` if it is taken."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = _key(dataset, str(conn.execute(text("SELECT current_schema()")).scalar_one()))
            taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            if not taken.scalar_one():
                raise DatasetBusy(_BUSY)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(f"{Path(database).name}.{dataset}.lock")
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatasetBusy(_BUSY) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
