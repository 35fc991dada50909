"""Quarantine, published-column changes, ledger columns for quarantine and accepted drops.

The key-only ``record_history`` of 0.1.0 is superseded by one SCD2 table per dataset
(``hist_<dataset>``: every version of every record with its values, created by
:mod:`patrimoine.staging.history` from the dataset's TableSchema). The old table held only
keys and change types; its rows are kept as the ``changes`` they were, in
``record_history_v0``, so nothing recorded is lost.

Revision ID: 20261201_quarantine_history
Revises: 20261129_initial
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_quarantine_history"
down_revision = "20261129_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        # 0.1.0 declared run_id "TEXT PRIMARY KEY", which SQLite lets be NULL.
        batch.alter_column("run_id", existing_type=sa.Text, nullable=False)
        batch.add_column(sa.Column("rows_quarantined", sa.BigInteger))
        batch.add_column(
            sa.Column("accept_drop", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "quarantine",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("record_key", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("record", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "record_key"),
    )
    op.create_index("ix_quarantine_dataset", "quarantine", ["dataset", "recorded_at"])
    op.create_table(
        "schema_changes",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("column_name", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "column_name"),
    )
    op.drop_index("ix_record_history_dataset", "record_history")
    op.rename_table("record_history", "record_history_v0")


def downgrade() -> None:
    op.rename_table("record_history_v0", "record_history")
    op.create_index("ix_record_history_dataset", "record_history", ["dataset", "recorded_at"])
    op.drop_table("schema_changes")
    op.drop_index("ix_quarantine_dataset", "quarantine")
    op.drop_table("quarantine")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("accept_drop")
        batch.drop_column("rows_quarantined")
