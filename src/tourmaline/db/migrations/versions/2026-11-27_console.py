"""Operator console (issue 6).

Revision ID: 2026_11_27_console
Revises: 2026_11_27_security
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_27_console"
down_revision: str | None = "2026_11_27_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
