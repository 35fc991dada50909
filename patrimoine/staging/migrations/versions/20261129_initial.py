"""Initial schema of patrimoine 0.1.0: run ledger, territory cache, record history.

Same tables as the hand-written ``20261129_initial.sql`` of 0.1.0, so a database created by
that release is stamped at this revision and upgraded from there.

Revision ID: 20261129_initial
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261129_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.Text, primary_key=True),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("stage", sa.Text),
        sa.Column("offline", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
        *(
            sa.Column(name, sa.BigInteger)
            for name in ("rows_read", "rows_kept", "rows_published", "added", "removed", "changed")
        ),
        *(
            sa.Column(name, sa.Text)
            for name in ("source_url", "source_checksum", "output_checksum", "error", "details")
        ),
    )
    op.create_index("ix_runs_dataset_started", "runs", ["dataset", "started_at"])
    op.create_table(
        "territory_communes",
        sa.Column("territory", sa.Text, nullable=False),
        sa.Column("territory_label", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("nom", sa.Text, nullable=False),
        sa.Column("departement", sa.Text, nullable=False),
        sa.Column("codes_postaux", sa.Text, nullable=False),
        sa.Column("population", sa.BigInteger),
        sa.Column("contour", sa.Text),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("territory", "code"),
    )
    op.create_table(
        "record_history",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("record_key", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_record_history_dataset", "record_history", ["dataset", "recorded_at"])


def downgrade() -> None:
    op.drop_table("record_history")
    op.drop_table("territory_communes")
    op.drop_index("ix_runs_dataset_started", "runs")
    op.drop_table("runs")
