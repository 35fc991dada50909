"""Portal datasets: the id each portal gave a catalog dataset, and its resources' ids.

A portal dataset is found again by the id stored here after its creation, never by title
(a title change re-slugs it on data.gouv.fr). One row per (portal, portal address,
dataset): rehearsing on demo.data.gouv.fr never reuses the ids of www.data.gouv.fr.

Revision ID: 20261201_portal_datasets
Revises: 20261201_quarantine_history
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_portal_datasets"
down_revision = "20261201_quarantine_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_datasets",
        sa.Column("portal", sa.Text, nullable=False),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        # JSON: {"role": "resource id", …} and the last metadata sent (to skip unchanged).
        sa.Column("resources", sa.Text, nullable=False, server_default="{}"),
        sa.Column("state", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("portal", "base_url", "dataset"),
    )


def downgrade() -> None:
    op.drop_table("portal_datasets")
