"""Device model: components, variables, attributes, characteristics, status history (issue 3).

Revision ID: 2026_11_23_device_model
Revises: 2026_11_23_initial
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_23_device_model"
down_revision: str | None = "2026_11_23_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
