"""Root test configuration. Database fixtures (`backend`, `database_url`, `engine`,
`sessionmaker`, …) live in tests/fixtures_db.py; runtime fixtures in tests/integration."""

from __future__ import annotations

import pytest
import structlog

from tourmaline.logging import configure_logging
from tourmaline.settings import LogSettings

pytest_plugins = ["tests.fixtures_db"]


def pytest_configure(config: pytest.Config) -> None:
    # Log as `tourmaline serve` does. structlog's unconfigured default renders each traceback
    # with every frame's local variables, which takes seconds for a FastAPI stack. Loggers are
    # not cached, so `structlog.testing.capture_logs` sees every logger.
    configure_logging(LogSettings(level="INFO"))
    structlog.configure(cache_logger_on_first_use=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="browser tests (tests/ui) save PNGs of the console pages into docs/screenshots/",
    )
