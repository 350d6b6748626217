"""Requests with a requestId (GetBaseReport, GetReport, …) and their progress (issue 3).

Revision ID: 2026_11_23_report_requests
Revises: 2026_11_23_device_model
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "2026_11_23_report_requests"
down_revision: str | None = "2026_11_23_device_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
