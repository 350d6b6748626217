"""Initial schema: stations, boot records, connectors, credentials and the message log.

Revision ID: 2026_11_23_initial
Revises:
Create Date: 2026-11-23 21:47:42.104774
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "boots",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_info", sa.JSON(), nullable=True),
        sa.Column("heartbeat_interval", sa.Integer(), nullable=True),
        sa.Column("boot_retry_interval", sa.Integer(), nullable=True),
        sa.Column("get_base_report_on_pending", sa.Boolean(), nullable=True),
        sa.Column("boot_with_rejected_variables", sa.Boolean(), nullable=True),
        sa.Column("set_variable_ids", sa.JSON(), nullable=True),
        sa.Column("pending_boot_set_variable_ids", sa.JSON(), nullable=True),
        sa.Column("change_configurations_on_pending", sa.Boolean(), nullable=True),
        sa.Column("get_configurations_on_pending", sa.Boolean(), nullable=True),
        sa.Column("last_boot_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boots")),
    )
    op.create_table(
        "charging_stations",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("is_online", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("protocol", sa.String(length=32), nullable=True),
        sa.Column("registration_status", sa.String(length=16), nullable=True),
        sa.Column(
            "min_security_profile", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("charge_point_vendor", sa.String(length=50), nullable=True),
        sa.Column("charge_point_model", sa.String(length=20), nullable=True),
        sa.Column("charge_point_serial_number", sa.String(length=25), nullable=True),
        sa.Column("firmware_version", sa.String(length=50), nullable=True),
        sa.Column("iccid", sa.String(length=20), nullable=True),
        sa.Column("imsi", sa.String(length=20), nullable=True),
        sa.Column("latest_ocpp_message_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_stations")),
    )
    op.create_table(
        "message_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("origin", sa.String(length=4), nullable=False),
        sa.Column("message_type_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_log")),
    )
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_log_station_id"), ["station_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_message_log_station_id_message_id"),
            ["station_id", "message_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_message_log_timestamp"), ["timestamp"], unique=False)

    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("status_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["charging_stations.id"],
            name=op.f("fk_connectors_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint(
            "station_id",
            "evse_id",
            "connector_id",
            name=op.f("uq_connectors_station_id_evse_id_connector_id"),
        ),
    )
    op.create_table(
        "station_credentials",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("previous_password_hash", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["charging_stations.id"],
            name=op.f("fk_station_credentials_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_credentials")),
    )
    op.create_table(
        "status_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("connector_status", sa.String(length=20), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["charging_stations.id"],
            name=op.f("fk_status_notifications_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_notifications")),
    )
    with op.batch_alter_table("status_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_notifications_station_id_timestamp"),
            ["station_id", "timestamp"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("status_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_notifications_station_id_timestamp"))

    op.drop_table("status_notifications")
    op.drop_table("station_credentials")
    op.drop_table("connectors")
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_log_timestamp"))
        batch_op.drop_index(batch_op.f("ix_message_log_station_id_message_id"))
        batch_op.drop_index(batch_op.f("ix_message_log_station_id"))

    op.drop_table("message_log")
    op.drop_table("charging_stations")
    op.drop_table("boots")
