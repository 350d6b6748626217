"""Security events, installed certificates, certificate signing, network profiles (issue 5).

Revision ID: 2026_11_27_security
Revises: 2026_11_23_transactions
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_27_security"
down_revision: str | None = "2026_11_23_transactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
