"""Browser tests of the console: Debian's Chromium driven by Playwright (no browser download)
against a real runtime serving the REST app with uvicorn on port 0, WebSocket listeners on
port 0 and simulated chargers over real sockets.

One browser per test session (per xdist worker), a fresh browser context per test. The whole
module runs on the session event loop, which the browser lives on. Chromium is installed by
`make browser` (part of `make test`); without it these tests are skipped and say so.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from tourmaline.runtime import Runtime, build_runtime
from tourmaline.settings import ListenerSettings, Settings
from tourmaline.sim.station import SimulatedStation

CHROMIUM = Path(os.environ.get("TOURMALINE_TEST_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium's own connections are refused in a
# closed network and slow every page load.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: CI machines are shared, and a live update or a page load may take a while there.
expect.set_options(timeout=15_000)
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OPEN = "0"
AUTH = "1"

# For every browser test module: `pytestmark = BROWSER_TEST`.
BROWSER_TEST = [
    pytest.mark.ui,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing: run `make browser`"),
    pytest.mark.asyncio(loop_scope="session"),
]


def console_settings(database_url: str, **api: object) -> Settings:
    return Settings(
        env="test",
        instance_id="console-test",
        database={"url": database_url},
        api={"host": "127.0.0.1", "port": 0, **api},
        listeners=[
            ListenerSettings(
                id=OPEN, host="127.0.0.1", port=0, security_profile=0, allow_unknown_stations=True
            ),
            ListenerSettings(id=AUTH, host="127.0.0.1", port=0, security_profile=1),
        ],
        ocpp={"call_timeout": 5.0},
        log={"level": "WARNING"},
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Console:
    runtime: Runtime
    url: str

    def station_url(self, station_id: str, listener: str = OPEN) -> str:
        return self.runtime.station_url(listener, station_id)


@pytest_asyncio.fixture(loop_scope="session")
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    runtime = build_runtime(console_settings(f"sqlite+aiosqlite:///{tmp_path / 'ui.db'}"))
    await runtime.start(serve_api=True)
    try:
        yield Console(runtime, f"http://127.0.0.1:{runtime.ports()['api']}")
    finally:
        await runtime.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, console: Console) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=console.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    # Script errors and content-security-policy violations show up as console errors.
    errors: list[str] = []
    page.on("console", lambda message: _keep_error(errors, message.type, message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
        assert errors == []
    finally:
        await context.close()


def _keep_error(errors: list[str], kind: str, text: str) -> None:
    if kind == "error":
        errors.append(text)


Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Shot:
    """Save a PNG of the page as docs/screenshots/<name>.png when run with --screenshots."""
    enabled = bool(request.config.getoption("--screenshots"))

    async def take(page: Page, name: str) -> None:
        if enabled:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return take


StationFactory = Callable[..., Awaitable[SimulatedStation]]


@pytest_asyncio.fixture(loop_scope="session")
async def charger(console: Console) -> AsyncIterator[StationFactory]:
    """Connect simulated chargers; every one is closed at the end of the test."""
    opened: list[SimulatedStation] = []

    async def connect(station_id: str, listener: str = OPEN) -> SimulatedStation:
        station = SimulatedStation(console.station_url(station_id, listener), station_id)
        await station.connect()
        opened.append(station)
        return station

    yield connect
    for station in opened:
        await station.close()
