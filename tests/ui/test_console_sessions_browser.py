"""The sessions story in the browser: issue an ID token, start a session remotely from the
station page, follow it until the simulated charger reports it, watch its meter chart grow
without reloading, find it in the sessions list, and stop it from the console."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, expect

from tourmaline.services.token_models import AuthorizationWrite, RestrictionsWrite

from .conftest import BROWSER_TEST, Console, Shot, StationFactory

pytestmark = BROWSER_TEST

STATION = "cp-session-1"
TOKEN = "DRIVER-42"
TX = "TX-0001"
READINGS_WH = [0, 1800, 3900, 6100]


class RemoteCharger:
    """Accepts RequestStart/StopTransaction and hands each request to the test."""

    def __init__(self) -> None:
        self.starts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.stops: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_start(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.starts.put_nowait(payload)
        return {"status": "Accepted"}

    def on_stop(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.stops.put_nowait(payload)
        return {"status": "Accepted"}


async def issue_token(page: Page) -> None:
    await page.goto("/ui/tokens/new")
    # A field's label is its name and its hint.
    await page.get_by_label(re.compile("^idToken")).fill(TOKEN)
    await page.get_by_label(re.compile("^Type")).select_option("Central")
    await page.get_by_label("Preferred language").fill("en")
    await page.get_by_label(re.compile("^Message")).fill("Welcome back")
    await page.get_by_role("button", name="Add ID token").click()
    await expect(page.get_by_role("status").first).to_contain_text("ID token added.")


async def test_remote_start_live_meter_chart_and_stop(
    page: Page, console: Console, charger: StationFactory, screenshot: Shot
) -> None:
    await issue_token(page)
    await screenshot(page, "token-edit")
    station = await charger(STATION)
    remote = RemoteCharger()
    station.on("RequestStartTransaction", remote.on_start)
    station.on("RequestStopTransaction", remote.on_stop)
    await station.boot()

    await page.goto(f"/ui/stations/{STATION}/commands")
    start = page.locator("#command-RequestStartTransaction")
    await start.get_by_label("idToken", exact=True).fill(TOKEN)
    await start.get_by_label("EVSE id").fill("1")
    await start.get_by_role("button", name="Send RequestStartTransaction").click()
    await expect(start.get_by_role("status")).to_contain_text("RequestStartTransaction: Accepted")
    request = await asyncio.wait_for(remote.starts.get(), 10)
    assert request["idToken"] == {"idToken": TOKEN, "type": "Central"}
    remote_start_id = request["remoteStartId"]

    # The answer links to the session to come, which the page waits for live.
    await start.get_by_role("link", name=re.compile("Follow the session")).click()
    await expect(page.get_by_role("heading", name="Waiting for the session")).to_be_visible()
    await expect(page.locator("#live-status")).to_have_text("Live updates on")
    begin = datetime.now(UTC) - timedelta(minutes=15)
    started = await station.transaction_event(
        "Started", TX, 0, timestamp=begin, evse_id=1, connector_id=1, id_token=TOKEN,
        token_type="Central", meter_wh=READINGS_WH[0], remote_start_id=remote_start_id,
        trigger_reason="RemoteStart", charging_state="Charging",
    )  # fmt: skip
    assert started["idTokenInfo"]["status"] == "Accepted"

    await expect(page).to_have_url(re.compile(f"/ui/sessions/{STATION}/{TX}$"))
    summary = page.locator("#session-summary")
    await expect(summary).to_contain_text("Active")
    await expect(summary).to_contain_text(re.compile(rf"Remote start id\s*{remote_start_id}\b"))
    await expect(summary).to_contain_text(f"{TOKEN} (Central), Accepted")
    await expect(page.locator("#chart-empty")).to_be_hidden()
    await expect(page.locator("#live-status")).to_have_text("Live updates on")

    samples = page.locator("#meter-samples tbody tr")
    markers = page.locator("svg.meter-chart circle.marker-energy")
    for seq_no, wh in enumerate(READINGS_WH[1:], start=1):
        moment = begin + timedelta(minutes=5 * seq_no)
        await station.transaction_event("Updated", TX, seq_no, timestamp=moment, meter_wh=wh)
        # The chart and its table grow without a reload.
        await expect(samples).to_have_count(seq_no + 1)
        await expect(markers).to_have_count(seq_no + 1)
    await expect(page.locator("#session-energy")).to_contain_text("6.100 kWh")
    chart = page.get_by_role("img", name=re.compile("Energy and power over time"))
    await expect(chart).to_be_visible()
    await expect(page.locator("#chart-desc")).to_contain_text("Energy delivered: 6.100 kWh")
    await expect(page.locator("#session-events tbody tr")).to_have_count(4)
    await screenshot(page, "session")

    await page.get_by_role("link", name="Sessions", exact=True).first.click()
    row = page.locator(f'tr[data-session="{TX}"]')
    await expect(row).to_contain_text(STATION)
    await expect(row).to_contain_text("6.100")
    await expect(row).to_contain_text("Active")
    await screenshot(page, "sessions")
    await page.set_viewport_size({"width": 390, "height": 844})
    await screenshot(page, "sessions-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
    # The list follows the session live too.
    await expect(page.locator("#live-status")).to_have_text("Live updates on")
    seq_no = len(READINGS_WH)
    await station.transaction_event("Updated", TX, seq_no, timestamp=begin + timedelta(minutes=18),
                                    meter_wh=6250)  # fmt: skip
    await expect(row).to_contain_text("6.250")

    await row.get_by_role("link", name=TX).click()
    await page.get_by_role("button", name="Stop this session").click()
    await expect(page.locator("#stop-result")).to_contain_text("RequestStopTransaction: Accepted")
    assert await asyncio.wait_for(remote.stops.get(), 10) == {"transactionId": TX}
    await station.transaction_event(
        "Ended", TX, seq_no + 1, timestamp=datetime.now(UTC), meter_wh=6400,
        stopped_reason="Remote", trigger_reason="RemoteStop",
    )  # fmt: skip
    await expect(summary).to_contain_text("Ended Remote")
    await expect(page.get_by_role("button", name="Stop this session")).to_have_count(0)
    await expect(page.locator("#session-energy")).to_contain_text("6.400 kWh")
    await expect(page.get_by_role("table", name=re.compile("Commands sent"))).to_contain_text(
        "RequestStopTransaction"
    )

    await add_fleet_tokens(console)
    await page.get_by_role("link", name="Tokens", exact=True).click()
    await expect(page.locator(f'tr[data-token="{TOKEN}"]')).to_contain_text("Accepted")
    await expect(page.locator('tr[data-token="04A2B3C4"]')).to_contain_text("Blocked")
    await screenshot(page, "tokens")


async def add_fleet_tokens(console: Console) -> None:
    """More tokens, so that the list's screenshot shows its columns filled."""
    group = {"idToken": "FLEET-7", "type": "Central"}
    for token, status in (("04A2B3C4", "Blocked"), ("0A1B2C3D4E5F60", "Accepted")):
        body = {"idToken": {"idToken": token, "type": "ISO14443"},
                "idTokenInfo": {"status": status, "groupIdToken": group,
                                "cacheExpiryDateTime": "2027-06-30T00:00:00Z"}}  # fmt: skip
        await console.runtime.tokens.put(AuthorizationWrite.model_validate_json(json.dumps(body)))
    limits = RestrictionsWrite.model_validate({"allowedConnectorTypes": ["cType2", "cCCS2"]})
    await console.runtime.tokens.put_restrictions("0A1B2C3D4E5F60", "ISO14443", limits)


async def test_an_open_meter_samples_panel_stays_open_across_live_updates(
    page: Page, charger: StationFactory
) -> None:
    station = await charger("cp-samples")
    await station.boot()
    begin = datetime.now(UTC) - timedelta(minutes=10)
    await station.transaction_event(
        "Started", "TX-SAMPLES", 0, timestamp=begin, evse_id=1, connector_id=1, meter_wh=0,
        charging_state="Charging",
    )  # fmt: skip
    await page.goto("/ui/sessions/cp-samples/TX-SAMPLES")
    await expect(page.locator("#live-status")).to_have_text("Live updates on")
    panel = page.locator("details#meter-samples-panel")
    await panel.get_by_text(re.compile(r"^Meter samples")).click()
    await expect(panel).to_have_attribute("open", "")
    await expect(page.locator("#meter-samples")).to_be_visible()

    await station.transaction_event(
        "Updated", "TX-SAMPLES", 1, timestamp=begin + timedelta(minutes=5), meter_wh=2500
    )

    # The live refresh replaced the panel (it has the new sample) and kept it open.
    await expect(page.locator("#meter-samples tbody tr")).to_have_count(2)
    await expect(panel).to_have_attribute("open", "")
    await expect(page.locator("#meter-samples")).to_be_visible()
    # Closed by the user, it stays closed after the next refresh.
    await panel.get_by_text(re.compile(r"^Meter samples")).click()
    await station.transaction_event(
        "Updated", "TX-SAMPLES", 2, timestamp=begin + timedelta(minutes=8), meter_wh=4000
    )
    await expect(panel.locator("summary")).to_contain_text("Meter samples (3)")
    await expect(page.locator("#meter-samples")).to_be_hidden()
