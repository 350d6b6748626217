"""Root test configuration. Database fixtures (`backend`, `database_url`, `engine`,
`sessionmaker`, …) live in tests/fixtures_db.py; runtime fixtures in tests/integration."""

from __future__ import annotations

pytest_plugins = ["tests.fixtures_db"]
