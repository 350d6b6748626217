"""Requests with a requestId (GetBaseReport, GetReport, …) and their progress (issue 3).

Revision ID: 2026_11_23_report_requests
Revises: 2026_11_23_device_model
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_report_requests"
down_revision: str | None = "2026_11_23_device_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "report_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seq_nos", sa.JSON(), nullable=False),
        sa.Column("final_seq_no", sa.Integer(), nullable=True),
        sa.Column("last_part_at", sa.DateTime(timezone=True), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_requests")),
        sa.UniqueConstraint(
            "station_id", "request_id", name=op.f("uq_report_requests_station_id_request_id")
        ),
    )
    op.create_table(
        "station_request_counters",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("last_request_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_request_counters")),
    )


def downgrade() -> None:
    op.drop_table("station_request_counters")
    op.drop_table("report_requests")
