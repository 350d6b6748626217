"""Root test configuration. Database fixtures (`backend`, `database_url`, `engine`,
`sessionmaker`, …) live in tests/fixtures_db.py; runtime fixtures in tests/integration."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures_db"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="browser tests (tests/ui) save PNGs of the console pages into docs/screenshots/",
    )
