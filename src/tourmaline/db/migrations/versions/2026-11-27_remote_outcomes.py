"""Remote requests that got no CALLRESULT: their outcome, error code and reason.

Revision ID: 2026_11_27_remote_outcomes
Revises: 2026_11_27_console
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_27_remote_outcomes"
down_revision: str | None = "2026_11_27_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remote_requests", schema=None) as batch_op:
        # Every row stored before this revision was a CALLRESULT.
        batch_op.add_column(
            sa.Column(
                "outcome",
                sa.String(length=20),
                server_default=sa.text("'Answered'"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remote_requests", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("error_code")
        batch_op.drop_column("outcome")
