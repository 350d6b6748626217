"""ID tokens (authorizations), their restrictions, local authorization lists (issue 4).

Revision ID: 2026_11_23_tokens
Revises: 2026_11_23_subscriptions
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_23_tokens"
down_revision: str | None = "2026_11_23_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
