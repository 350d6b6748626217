"""ID tokens (authorizations), local authorization lists and reservations (issue 4).

Revision ID: 2026_11_23_tokens
Revises: 2026_11_23_subscriptions
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_tokens"
down_revision: str | None = "2026_11_23_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
    ]


def _create_authorizations() -> None:
    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_token", sa.String(length=36), nullable=False),
        sa.Column("token_key", sa.String(length=108), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("additional_info", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cache_expiry_date_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("charging_priority", sa.Integer(), nullable=True),
        sa.Column("language1", sa.String(length=8), nullable=True),
        sa.Column("language2", sa.String(length=8), nullable=True),
        sa.Column("group_id_token", sa.JSON(), nullable=True),
        sa.Column("personal_message", sa.JSON(), nullable=True),
        sa.Column("allowed_connector_types", sa.JSON(), nullable=True),
        sa.Column("disallowed_evse_id_prefixes", sa.JSON(), nullable=True),
        sa.Column(
            "concurrent_transaction", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
        sa.UniqueConstraint("token_key", "type", name=op.f("uq_authorizations_token_key_type")),
    )


def _create_local_lists() -> None:
    op.create_table(
        "local_list_versions",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_local_list_versions")),
    )
    op.create_table(
        "local_list_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("token_key", sa.String(length=108), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("id_token", sa.JSON(), nullable=False),
        sa.Column("id_token_info", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_list_entries")),
        sa.UniqueConstraint(
            "station_id",
            "token_key",
            "type",
            name=op.f("uq_local_list_entries_station_id_token_key_type"),
        ),
    )
    op.create_table(
        "local_list_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("update_type", sa.String(length=12), nullable=False),
        sa.Column("local_authorization_list", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("status_info", sa.JSON(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_list_requests")),
    )
    with op.batch_alter_table("local_list_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_local_list_requests_station_id_version_number"),
            ["station_id", "version_number"],
            unique=False,
        )


def _create_reservations() -> None:
    op.create_table(
        "reservations",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("expiry_date_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connector_type", sa.String(length=20), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("id_token", sa.JSON(), nullable=False),
        sa.Column("group_id_token", sa.JSON(), nullable=True),
        sa.Column("reserve_status", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("ended_reason", sa.String(length=16), nullable=True),
        sa.Column("terminated_by_transaction", sa.String(length=36), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("station_id", "id", name=op.f("pk_reservations")),
    )


def upgrade() -> None:
    _create_authorizations()
    _create_local_lists()
    _create_reservations()


def downgrade() -> None:
    op.drop_table("reservations")
    with op.batch_alter_table("local_list_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_list_requests_station_id_version_number"))
    op.drop_table("local_list_requests")
    op.drop_table("local_list_entries")
    op.drop_table("local_list_versions")
    op.drop_table("authorizations")
