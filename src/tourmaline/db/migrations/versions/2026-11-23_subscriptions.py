"""Webhook subscriptions (issue 3).

Revision ID: 2026_11_23_subscriptions
Revises: 2026_11_23_report_requests
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_subscriptions"
down_revision: str | None = "2026_11_23_report_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("message_regex_filter", sa.Text(), nullable=True),
        sa.Column("on_connect", sa.Boolean(), nullable=False),
        sa.Column("on_close", sa.Boolean(), nullable=False),
        sa.Column("on_message", sa.Boolean(), nullable=False),
        sa.Column("sent_message", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_station_id"), ["station_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_station_id"))
    op.drop_table("subscriptions")
