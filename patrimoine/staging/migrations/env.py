"""Alembic environment: migrations run on the connection patrimoine hands over.

:func:`patrimoine.staging.db.migrate` passes its open connection in
``config.attributes["connection"]``, so migrations share the caller's transaction and
lock. Batch mode lets the same scripts alter tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - run through patrimoine.staging.db.migrate only
    raise RuntimeError("run the migrations through patrimoine.staging.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
