"""Alert state: where each dataset stands for the alerts, so a failure is told once.

One row per dataset: since when it needs attention (``failing_since``, empty when it is
fine), its last status and cause, and when the last alert about it was sent, so a failure
sends one alert, then a reminder every ``PATRIMOINE_ALERT_REMINDER_DAYS``, and its recovery
one « retour à la normale ».

Revision ID: 20261202_alert_state
Revises: 20261201_portal_datasets
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261202_alert_state"
down_revision = "20261201_portal_datasets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("dataset", sa.Text, primary_key=True),
        sa.Column("failing_since", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Text),
        sa.Column("last_cause", sa.Text),
        sa.Column("last_alert_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
