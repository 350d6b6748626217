"""Transactions, transaction events, meter values, tariffs (issue 4).

Revision ID: 2026_11_23_transactions
Revises: 2026_11_23_tokens
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_23_transactions"
down_revision: str | None = "2026_11_23_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
