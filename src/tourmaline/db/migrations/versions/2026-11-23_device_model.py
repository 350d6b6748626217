"""Device model: components, variables, attributes, characteristics, status history (issue 3).

Revision ID: 2026_11_23_device_model
Revises: 2026_11_23_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_device_model"
down_revision: str | None = "2026_11_23_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _station_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["station_id"],
        ["charging_stations.id"],
        name=op.f(f"fk_{table}_station_id_charging_stations"),
        ondelete="CASCADE",
    )


def _create_components_and_variables() -> None:
    op.create_table(
        "device_components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("natural_key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("instance", sa.String(length=50), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        _station_fk("device_components"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_components")),
        sa.UniqueConstraint(
            "station_id", "natural_key", name=op.f("uq_device_components_station_id_natural_key")
        ),
    )
    op.create_table(
        "device_variables",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("natural_key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("instance", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["device_components.id"],
            name=op.f("fk_device_variables_component_id_device_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_variables")),
        sa.UniqueConstraint(
            "component_id",
            "natural_key",
            name=op.f("uq_device_variables_component_id_natural_key"),
        ),
    )
    op.create_table(
        "device_variable_characteristics",
        sa.Column("variable_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("data_type", sa.String(length=20), nullable=False),
        sa.Column("min_limit", sa.Float(), nullable=True),
        sa.Column("max_limit", sa.Float(), nullable=True),
        sa.Column("values_list", sa.String(length=1000), nullable=True),
        sa.Column("supports_monitoring", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["variable_id"],
            ["device_variables.id"],
            name=op.f("fk_device_variable_characteristics_variable_id_device_variables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variable_id", name=op.f("pk_device_variable_characteristics")),
    )


def _create_attributes_and_statuses() -> None:
    op.create_table(
        "device_variable_attributes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("variable_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=10), server_default=sa.text("'Actual'"), nullable=False),
        sa.Column("data_type", sa.String(length=20), nullable=True),
        sa.Column("value", sa.String(length=4000), nullable=True),
        sa.Column("has_secret", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "mutability",
            sa.String(length=10),
            server_default=sa.text("'ReadWrite'"),
            nullable=False,
        ),
        sa.Column("persistent", sa.Boolean(), nullable=True),
        sa.Column("constant", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _station_fk("device_variable_attributes"),
        sa.ForeignKeyConstraint(
            ["variable_id"],
            ["device_variables.id"],
            name=op.f("fk_device_variable_attributes_variable_id_device_variables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_variable_attributes")),
        sa.UniqueConstraint(
            "variable_id", "type", name=op.f("uq_device_variable_attributes_variable_id_type")
        ),
    )
    with op.batch_alter_table("device_variable_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_variable_attributes_station_id"), ["station_id"], unique=False
        )
    op.create_table(
        "device_attribute_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("attribute_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=4000), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_info", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_id"],
            ["device_variable_attributes.id"],
            name=op.f("fk_device_attribute_statuses_attribute_id_device_variable_attributes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_attribute_statuses")),
    )
    with op.batch_alter_table("device_attribute_statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_attribute_statuses_attribute_id_created_at"),
            ["attribute_id", "created_at"],
            unique=False,
        )


def upgrade() -> None:
    _create_components_and_variables()
    _create_attributes_and_statuses()


def downgrade() -> None:
    op.drop_table("device_attribute_statuses")
    op.drop_table("device_variable_attributes")
    op.drop_table("device_variable_characteristics")
    op.drop_table("device_variables")
    op.drop_table("device_components")
