"""Console sessions: the list of every station's sessions with filters and paging, a station's
Sessions tab, a session's detail with its events and meter chart, Stop, and following a remote
start to the session it begins. Sessions are made by the real TransactionService."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import FixedClock
from tests.cluster.fakes import FakeLink
from tests.tx_support import TokenBook, at, tx_event
from tourmaline.api.deps import ApiDeps
from tourmaline.services.remote_requests import RemoteResult, record_remote_result
from tourmaline.services.stations import StationWrite
from tourmaline.services.tariffs import TariffService, TariffWrite
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import TransactionSettings
from tourmaline.ui.pages import sessions as sessions_page

from .conftest import Browser, field_error

TOKEN = "04A2B3C4"


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> TransactionService:
    book = TokenBook({TOKEN: ("Accepted", False)})
    tariffs = TariffService(sessionmaker, FixedClock())
    return TransactionService(
        sessionmaker, FixedClock(), TransactionSettings(), authorizer=book, tariffs=tariffs
    )


async def charge(
    service: TransactionService,
    station: str,
    tx: str,
    *,
    start: float = 0,
    token: str | None = None,
    end: str | None = None,
    **started: Any,
) -> None:
    """A session starting at T0 + `start` s with 0 Wh, 3500 Wh a minute later; ended with the
    reason `end` another minute later when given."""
    await service.on_transaction_event(
        station,
        tx_event("Started", tx, 0, timestamp=at(start), evse_id=1, connector_id=2, id_token=token,
                 meter_wh=0, **started),
    )  # fmt: skip
    await service.on_transaction_event(
        station, tx_event("Updated", tx, 1, timestamp=at(start + 60), meter_wh=3500)
    )
    if end is not None:
        ended = tx_event("Ended", tx, 2, timestamp=at(start + 120), stopped_reason=end)
        await service.on_transaction_event(station, ended)


def session_ids(text: str) -> list[str]:
    return re.findall(r'<tr data-session="([^"]+)"', text)


def row_of(text: str, tx: str) -> str:
    found = re.search(rf'<tr data-session="{tx}">(.*?)</tr>', text, re.S)
    assert found, f"no row for {tx}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


async def test_every_stations_sessions_newest_first_with_their_figures(
    browser: Browser, deps: ApiDeps, service: TransactionService
) -> None:
    assert deps.tariffs is not None
    await deps.tariffs.put(TariffWrite(currency="EUR", price_per_kwh=0.4))
    await charge(service, "cp1", "tx-a", token=TOKEN, end="EVDisconnected")
    await charge(service, "cp2", "tx-b", start=3600)

    page = await browser.get("/ui/sessions")

    assert page.status_code == 200
    assert session_ids(page.text) == ["tx-b", "tx-a"]
    assert row_of(page.text, "tx-a") == (
        "cp1 tx-a 1 · 2 04A2B3C4 2026-03-04 10:00:00 UTC 2026-03-04 10:02:00 UTC 2 min 00 s "
        "3.500 1.40 Ended EVDisconnected"
    )
    assert row_of(page.text, "tx-b").endswith("1 min 00 s 3.500 1.40 Active")
    assert '<th scope="col">Cost (EUR)</th>' in page.text
    assert 'href="/ui/sessions/cp1/tx-a"' in page.text
    # New and changed sessions appear live.
    assert 'data-events="/ui/events?sessions=1"' in page.text
    assert 'data-transactions=""' in page.text


async def test_filters_by_station_token_state_and_start_time(
    browser: Browser, service: TransactionService
) -> None:
    await charge(service, "cp1", "early", token=TOKEN, end="Local")
    await charge(service, "cp2", "late", start=3600, token=TOKEN)
    await charge(service, "cp1", "anonymous", start=7200)

    async def found(**filters: str) -> list[str]:
        response = await browser.get("/ui/sessions", params=filters)
        assert response.status_code == 200, response.text
        return session_ids(response.text)

    assert await found(station="cp1") == ["anonymous", "early"]
    assert await found(id_token=TOKEN.lower()) == ["late", "early"]
    assert await found(active="on") == ["anonymous", "late"]
    assert await found(**{"from": "2026-03-04T10:30"}) == ["anonymous", "late"]
    assert await found(**{"from": "2026-03-04T10:30", "to": "2026-03-04T11:00:00"}) == ["late"]
    assert await found(station="cp1", active="on", id_token=TOKEN) == []


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"station": "a/b"}, "station", "Not a station id"),
        ({"from": "yesterday"}, "from", "Enter a date and time (UTC)"),
        ({"to": "2026-03-04T10:00+01:00"}, "to", "Enter a date and time (UTC)"),
        ({"from": "2026-03-05T00:00", "to": "2026-03-04T00:00"}, "to", "before its start"),
    ],
)
async def test_bad_filters_are_shown_on_the_form(
    browser: Browser, filters: dict[str, str], field: str, message: str
) -> None:
    response = await browser.get("/ui/sessions", params=filters)

    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert "Please correct the" in response.text
    assert 'id="sessions-live"' not in response.text


async def test_a_bad_page_offset_gets_the_error_page(browser: Browser) -> None:
    response = await browser.get("/ui/sessions", params={"offset": "-1"})
    assert response.status_code == 400
    assert "This address has invalid parameters." in response.text


async def test_pages_of_sessions_and_the_live_fragment(
    browser: Browser, service: TransactionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions_page, "PAGE_SIZE", 2)
    for index, tx in enumerate(["one", "two", "three"]):
        await charge(service, "cp1", tx, start=index * 600)

    first = await browser.get("/ui/sessions", params={"station": "cp1"})
    assert session_ids(first.text) == ["three", "two"]
    older = html.unescape(re.search(r'href="([^"]+)">Older sessions', first.text).group(1))  # type: ignore[union-attr]
    assert older == "/ui/sessions?station=cp1&offset=2"
    second = await browser.get(older)
    assert session_ids(second.text) == ["one"]
    assert "Newer sessions" in second.text and "Older sessions" not in second.text

    fragment = await browser.get(older, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div class="overflow-auto">')
    assert "<html" not in fragment.text
    assert session_ids(fragment.text) == ["one"]


async def test_a_stations_sessions_tab_with_the_remote_start_form(
    browser: Browser, deps: ApiDeps, service: TransactionService
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    await charge(service, "cp1", "mine")
    await charge(service, "cp2", "theirs")

    page = await browser.get("/ui/stations/cp1/sessions")

    assert page.status_code == 200
    assert "<h1>Station cp1</h1>" in page.text
    assert 'aria-current="page">Sessions</a>' in page.text
    assert session_ids(page.text) == ["mine"]
    assert '<th scope="col">Station</th>' not in page.text
    assert 'id="command-RequestStartTransaction"' in page.text
    assert 'data-events="/ui/events?station=cp1&amp;sessions=1"' in page.text
    assert 'data-transactions="cp1"' in page.text
    assert (await browser.get("/ui/stations/nobody/sessions")).status_code == 404


async def test_a_sessions_detail_with_events_and_its_meter_chart(
    browser: Browser, sessionmaker: async_sessionmaker[AsyncSession], service: TransactionService
) -> None:
    await charge(service, "cp1", "tx/1", token=TOKEN, remote_start_id=77, end="Remote")
    answered = datetime(2026, 3, 4, 10, 1, 30, tzinfo=UTC)
    request, response = {"transactionId": "tx/1"}, {"status": "Accepted"}
    error = {"errorCode": "InternalError", "errorDescription": "busy", "errorDetails": {}}
    refused = RemoteResult(
        "cp1", "RequestStopTransaction", request, error, answered, "CallError", "busy"
    )
    result = RemoteResult("cp1", "RequestStopTransaction", request, response, answered)
    async with sessionmaker.begin() as session:
        await record_remote_result(session, refused)
        await record_remote_result(session, result)

    page = await browser.get("/ui/sessions/cp1/tx%2F1")

    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>Session tx/1</h1>" in text
    summary = html.unescape(re.sub(r"<[^>]+>", " ", text.split('id="session-summary"')[1]))
    summary = re.sub(r"\s+", " ", summary.split("</dl>")[0])
    assert "Ended Remote" in summary
    assert "EVSE · connector 1 · 2" in summary
    assert "idToken 04A2B3C4 (ISO14443), Accepted" in summary
    assert "Energy 3.500 kWh (meter start 0.000 kWh)" in summary
    assert "Remote start id 77" in summary
    events = re.findall(r"<td>(\d+)</td>\s*<th scope=\"row\">(\w+)</th>\s*<td>(\w+)</td>", text)
    assert events == [("0", "Started", "Authorized"), ("1", "Updated", "MeterValuePeriodic"),
                      ("2", "Ended", "StopAuthorized")]  # fmt: skip
    assert re.search(r"RequestStopTransaction</th><td>Accepted", text)
    assert re.search(r"RequestStopTransaction</th><td>CallError InternalError: busy", text)
    # The chart: an accessible SVG with both axes' units, the two series and the sample table.
    svg = text.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Energy and power over time, session tx/1</title>' in svg
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', svg, re.S).group(1)  # type: ignore[union-attr]
    assert desc == (
        "Energy delivered: 3.500 kWh at 2026-03-04 10:01:00 UTC, from 2 readings starting "
        "2026-03-04 10:00:00 UTC. Power (kW), derived from energy readings: up to 210.00 kW."
    )
    for label in ("Energy (kWh)", "Power (kW)", "Time (UTC)", "Energy delivered (kWh)"):
        assert f">{label}</text>" in svg
    # From 0 kWh on the bottom left to 3.5 of 4 kWh on the right; one derived level between.
    assert 'class="series-energy" d="M64,268 L656,65"' in svg
    assert re.search(r'class="series-power derived" d="M64,[0-9.]+ H656"', svg)
    assert "power is the energy delivered between consecutive readings" in text
    samples = re.findall(r'<td class="number">([^<]*)</td>', text.split('id="meter-samples"')[1])
    assert samples == ["0.000", "0.000", "—", "3.500", "3.500", "210.00"]
    # An ended session is not followed live and has no Stop button.
    assert "data-events" not in text and "Stop this session" not in text


async def test_sent_power_is_charted_as_sent(browser: Browser, service: TransactionService) -> None:
    started = tx_event("Started", "p1", 0, evse_id=1, timestamp=at(0))
    started["meterValue"] = [
        {"timestamp": "2026-03-04T10:00:00Z", "sampledValue": [
            {"value": 12.5, "measurand": "Energy.Active.Import.Register",
             "unitOfMeasure": {"unit": "kWh"}},
            {"value": 7.2, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "kW"}},
        ]},
        {"timestamp": "2026-03-04T10:05:00Z", "sampledValue": [
            {"value": 13100, "measurand": "Energy.Active.Import.Register"},
            {"value": 7400, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
        ]},
    ]  # fmt: skip
    await service.on_transaction_event("cp1", started)

    text = (await browser.get("/ui/sessions/cp1/p1")).text

    assert "Power (kW): up to 7.40 kW." in text
    assert "derived" not in text
    assert re.search(r'class="series-power" d="M64,[0-9.]+ L656,[0-9.]+"', text)
    samples = re.findall(r'<td class="number">([^<]*)</td>', text.split('id="meter-samples"')[1])
    assert samples == ["12.500", "0.000", "7.20", "13.100", "0.600", "7.40"]


async def test_a_session_without_meter_values_says_so(
    browser: Browser, service: TransactionService
) -> None:
    await service.on_transaction_event("cp1", tx_event("Started", "bare", 0, evse_id=1))
    text = (await browser.get("/ui/sessions/cp1/bare")).text
    assert '<p id="chart-empty">No meter values yet.</p>' in text
    assert "<svg" not in text


async def test_unknown_sessions_are_a_404_page(browser: Browser) -> None:
    for path in ("/ui/sessions/cp1/nope", "/ui/sessions/a:b/tx", "/ui/sessions/cp1/" + "x" * 40):
        response = await browser.get(path)
        assert response.status_code == 404, path
        assert "has no session" in response.text


async def test_stop_sends_request_stop_transaction_and_shows_the_answer(
    browser: Browser, deps: ApiDeps, service: TransactionService
) -> None:
    await charge(service, "cp2", "running")
    page = await browser.get("/ui/sessions/cp2/running")
    assert "Stop this session" in page.text
    assert 'data-events="/ui/events?station=cp2&amp;sessions=1"' in page.text
    assert 'data-transactions="cp2" hx-get="/ui/sessions/cp2/running"' in page.text
    link = FakeLink("cp2")
    await deps.connections.opened(link)

    async def answer() -> None:
        call = await link.next_call()
        assert (call.action, call.payload) == (
            "RequestStopTransaction",
            {"transactionId": "running"},
        )
        call.respond({"status": "Accepted"})

    station_side = asyncio.create_task(answer())
    response = await browser.post(
        "/ui/sessions/cp2/stop", {"transaction_id": "running"}, headers={"HX-Request": "true"}
    )
    await station_side

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="session-stop"')
    assert "RequestStopTransaction: Accepted" in response.text
    assert "the session ends when the station reports it" in response.text


async def test_stop_needs_the_csrf_token_and_a_known_session(
    browser: Browser, deps: ApiDeps, service: TransactionService
) -> None:
    await charge(service, "cp2", "running")
    link = FakeLink("cp2")
    await deps.connections.opened(link)
    await browser.get("/ui/sessions")

    forged = await browser.client.post("/ui/sessions/cp2/stop", data={"transaction_id": "running"})
    unknown = await browser.post("/ui/sessions/cp2/stop", {"transaction_id": "other"})

    assert (forged.status_code, unknown.status_code) == (403, 404)
    assert link.calls == []


async def test_a_remote_start_is_followed_to_its_session(
    browser: Browser, deps: ApiDeps, service: TransactionService
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    follow = "/ui/stations/cp1/sessions/remote-start/4242"

    waiting = await browser.get(follow)
    assert waiting.status_code == 200
    assert "has not reported the session yet" in waiting.text
    assert f'data-transactions="cp1" hx-get="{follow}"' in waiting.text

    await charge(service, "cp1", "remote-tx", remote_start_id=4242)
    found = await browser.get(follow)
    assert (found.status_code, found.headers["location"]) == (303, "/ui/sessions/cp1/remote-tx")
    # The waiting page, refreshed by htmx, is sent on with htmx's own redirect header.
    by_htmx = await browser.get(follow, headers={"HX-Request": "true"})
    assert by_htmx.headers["hx-redirect"] == "/ui/sessions/cp1/remote-tx"
    detail = await browser.get("/ui/sessions/cp1/remote-tx")
    assert re.search(r"<dt>Remote start id</dt><dd>4242</dd>", detail.text)


async def test_an_accepted_remote_start_links_to_the_coming_session(
    browser: Browser, deps: ApiDeps
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    link = FakeLink("cp1")
    await deps.connections.opened(link)

    async def answer() -> None:
        call = await link.next_call()
        assert call.payload == {"idToken": {"idToken": TOKEN, "type": "ISO14443"},
                                "evseId": 1, "remoteStartId": 31}  # fmt: skip
        call.respond({"status": "Accepted"})

    station_side = asyncio.create_task(answer())
    response = await browser.post(
        "/ui/stations/cp1/commands/RequestStartTransaction",
        {"id_token": TOKEN, "id_token_type": "ISO14443", "evse_id": "1", "remote_start_id": "31"},
    )
    await station_side

    assert "RequestStartTransaction: Accepted" in response.text
    assert re.search(
        r'<a href="/ui/stations/cp1/sessions/remote-start/31" id="follow-session">'
        r"Follow the session \(remoteStartId 31\)</a>",
        response.text,
    )
