"""Transactions, transaction events, stand-alone meter values, tariffs, remote requests (issue 4).

Revision ID: 2026_11_23_transactions
Revises: 2026_11_23_tokens
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_transactions"
down_revision: str | None = "2026_11_23_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False
    )


def _create_transactions() -> None:
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _time("start_time"),
        _time("end_time"),
        _time("last_event_at"),
        sa.Column("charging_state", sa.String(length=20), nullable=True),
        sa.Column("time_spent_charging", sa.Integer(), nullable=True),
        sa.Column("stopped_reason", sa.String(length=32), nullable=True),
        sa.Column("stopped_note", sa.String(length=255), nullable=True),
        sa.Column("ended_seq_no", sa.Integer(), nullable=True),
        sa.Column("remote_start_id", sa.Integer(), nullable=True),
        sa.Column("id_token", sa.String(length=36), nullable=True),
        sa.Column("id_token_type", sa.String(length=20), nullable=True),
        sa.Column("authorization_status", sa.String(length=20), nullable=True),
        sa.Column("meter_start", sa.Float(), nullable=True),
        _time("meter_start_at"),
        sa.Column("meter_max", sa.Float(), nullable=True),
        sa.Column("total_kwh", sa.Float(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=True),
        sa.Column("last_seq_no", sa.Integer(), nullable=True),
        sa.Column("seq_ranges", sa.JSON(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint(
            "station_id", "transaction_id", name=op.f("uq_transactions_station_id_transaction_id")
        ),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_active_evse",
            ["station_id", "evse_id"],
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )
        batch_op.create_index(batch_op.f("ix_transactions_id_token"), ["id_token"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transactions_start_time"), ["start_time"], unique=False
        )


def _create_transaction_events() -> None:
    op.create_table(
        "transaction_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_db_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("seq_no", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=8), nullable=False),
        _time("timestamp", nullable=False),
        _time("received_at", nullable=False),
        sa.Column("trigger_reason", sa.String(length=32), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("number_of_phases_used", sa.Integer(), nullable=True),
        sa.Column("cable_max_current", sa.Integer(), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("id_token", sa.JSON(), nullable=True),
        sa.Column("transaction_info", sa.JSON(), nullable=False),
        sa.Column("meter_value", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_db_id"],
            ["transactions.id"],
            name=op.f("fk_transaction_events_transaction_db_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_events")),
        sa.UniqueConstraint(
            "station_id",
            "transaction_id",
            "seq_no",
            name=op.f("uq_transaction_events_station_id_transaction_id_seq_no"),
        ),
    )
    with op.batch_alter_table("transaction_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_events_transaction_db_id"),
            ["transaction_db_id"],
            unique=False,
        )


def _create_meter_values() -> None:
    op.create_table(
        "meter_values",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        _time("timestamp", nullable=False),
        sa.Column("sampled_value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_values")),
    )
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meter_values_station_id_evse_id_timestamp"),
            ["station_id", "evse_id", "timestamp"],
            unique=False,
        )


def _create_tariffs() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_per_kwh", sa.Float(), nullable=False),
        sa.Column("price_per_min", sa.Float(), nullable=True),
        sa.Column("price_per_session", sa.Float(), nullable=True),
        sa.Column("payment_fee", sa.Float(), nullable=True),
        sa.Column("authorization_amount", sa.Float(), nullable=True),
        sa.Column("tax_rate", sa.Float(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )


def _create_remote_requests() -> None:
    op.create_table(
        "remote_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        _time("answered_at", nullable=False),
        sa.Column("remote_start_id", sa.Integer(), nullable=True),
        sa.Column("id_token", sa.String(length=36), nullable=True),
        sa.Column("id_token_type", sa.String(length=20), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_requests")),
    )
    with op.batch_alter_table("remote_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_requests_station_id_answered_at"),
            ["station_id", "answered_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_remote_requests_station_id_remote_start_id"),
            ["station_id", "remote_start_id"],
            unique=False,
        )


def upgrade() -> None:
    _create_transactions()
    _create_transaction_events()
    _create_meter_values()
    _create_tariffs()
    _create_remote_requests()


def downgrade() -> None:
    with op.batch_alter_table("remote_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_requests_station_id_remote_start_id"))
        batch_op.drop_index(batch_op.f("ix_remote_requests_station_id_answered_at"))
    op.drop_table("remote_requests")
    op.drop_table("tariffs")
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_values_station_id_evse_id_timestamp"))
    op.drop_table("meter_values")
    with op.batch_alter_table("transaction_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_events_transaction_db_id"))
    op.drop_table("transaction_events")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transactions_start_time"))
        batch_op.drop_index(batch_op.f("ix_transactions_id_token"))
        batch_op.drop_index("ix_transactions_active_evse")
    op.drop_table("transactions")
