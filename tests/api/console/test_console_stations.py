"""Console station pages: the list with search and filters, create / edit / delete with
passwords set or generated (shown once) and, on edit, set on the charger too (OCPP A01), and the
station overview with its connectors."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.cluster.fakes import FakeCall, FakeLink
from tourmaline.api.deps import ApiDeps
from tourmaline.services.stations import StationWrite
from tourmaline.transport.ports import CallTimeout

from .conftest import Browser, field_error

PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def station_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-station="([^"]+)"', html)


async def add(browser: Browser, station_id: str, **form: str) -> None:
    data = {"station_id": station_id, "min_security_profile": "0", "password_mode": "keep"}
    response = await browser.post("/ui/stations", {**data, **form})
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?done=added")


async def test_every_page_of_a_station_renders(browser: Browser, deps: ApiDeps) -> None:
    await add(browser, "cp 1-x")
    paths = ("", "/boot", "/device-model", "/device-model/set", "/commands", "/messages",
             "/sessions")  # fmt: skip
    for path in paths:
        response = await browser.get(f"/ui/stations/cp%201-x{path}")
        assert response.status_code == 200, path
        assert "<h1>Station cp 1-x</h1>" in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["cache-control"] == "no-store"
    home = await browser.client.get("/ui")
    assert (home.status_code, home.headers["location"]) == (303, "/ui/stations")


async def test_unknown_station_is_a_404_page(browser: Browser) -> None:
    for path in ("/ui/stations/nobody", "/ui/stations/nobody/boot", "/ui/stations/a:b/commands"):
        response = await browser.get(path)
        assert response.status_code == 404
        assert "There is no station" in response.text
        assert response.headers["content-type"].startswith("text/html")


async def test_list_searches_and_filters(browser: Browser, deps: ApiDeps) -> None:
    for station_id in ("north-1", "north-2", "south-1"):
        await deps.stations.upsert(station_id, StationWrite())
    await deps.connections.opened(FakeLink("north-2"))

    everything = await browser.get("/ui/stations")
    assert station_ids(everything.text) == ["north-1", "north-2", "south-1"]
    assert re.search(r'data-station="north-2".*?>Online<', everything.text, re.S)
    searched = await browser.get("/ui/stations", params={"q": "NORTH"})
    assert station_ids(searched.text) == ["north-1", "north-2"]
    never = await browser.get("/ui/stations", params={"status": "none", "q": "south"})
    assert station_ids(never.text) == ["south-1"]
    nothing = await browser.get("/ui/stations", params={"status": "Pending"})
    assert station_ids(nothing.text) == []
    assert "No stations match these filters." in nothing.text
    # htmx asks for the table alone.
    fragment = await browser.get("/ui/stations", params={"q": "2"}, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="station-table"')
    assert station_ids(fragment.text) == ["north-2"]


async def test_one_row_is_rendered_for_live_refresh_and_vanishes_when_deleted(
    browser: Browser, deps: ApiDeps
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    row = await browser.get("/ui/stations/cp1/row")
    assert station_ids(row.text) == ["cp1"]
    assert ">Offline<" in row.text
    await deps.stations.delete("cp1")
    gone = await browser.get("/ui/stations/cp1/row")
    assert (gone.status_code, gone.text) == (200, "")


async def test_create_with_a_generated_password_shows_it_once(
    browser: Browser, deps: ApiDeps
) -> None:
    response = await browser.post(
        "/ui/stations",
        {"station_id": "cp1", "min_security_profile": "1", "password_mode": "generate"},
    )

    assert response.status_code == 200
    shown = re.search(
        r'id="generated-password" type="text" readonly value="([^"]+)"', response.text
    )
    assert shown is not None
    assert deps.credentials is not None
    assert await deps.credentials.verify("cp1", html.unescape(shown.group(1)))
    station = await deps.stations.get("cp1")
    assert station is not None and station.min_security_profile == 1
    page = await browser.get("/ui/stations/cp1")
    assert shown.group(1) not in page.text
    assert "Password: set." in page.text


async def test_create_with_a_given_password_then_edit(browser: Browser, deps: ApiDeps) -> None:
    await add(browser, "cp1", min_security_profile="2", password_mode="set", password=PASSWORD)
    assert deps.credentials is not None
    assert await deps.credentials.verify("cp1", PASSWORD)
    page = await browser.get("/ui/stations/cp1?done=added")
    assert '<p role="status" class="notice">Station cp1 added.</p>' in page.text
    foreign = await browser.get("/ui/stations/cp1?done=Your+key+expired")
    assert 'class="notice"' not in foreign.text

    edited = await browser.post(
        "/ui/stations/cp1", {"min_security_profile": "0", "password_mode": "keep"}
    )

    assert edited.status_code == 303
    station = await deps.stations.get("cp1")
    assert station is not None and station.min_security_profile == 0
    assert await deps.credentials.verify("cp1", PASSWORD)


# -- setting the password on the charger (OCPP A01) ------------------------------------------------

EDIT = {"min_security_profile": "1", "password_mode": "set", "password": PASSWORD}


def set_variable_result(status: str) -> dict[str, Any]:
    return {
        "setVariableResult": [
            {
                "attributeStatus": status,
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
            }
        ]
    }


async def edit_answered(
    browser: Browser, link: FakeLink, form: dict[str, str], answer: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """Post the edit form while the station answers its SetVariables with `answer`."""

    async def station_side() -> dict[str, Any]:
        call = await link.next_call()
        assert call.action == "SetVariables"
        call.respond(answer)
        return call.payload

    answering = asyncio.create_task(station_side())
    response = await browser.post("/ui/stations/cp1", form)
    return response, await answering


async def test_the_edit_form_offers_to_set_the_password_on_the_charger_by_default(
    browser: Browser,
) -> None:
    await add(browser, "cp1")

    page = await browser.get("/ui/stations/cp1")

    checkbox = re.search(r'<input id="set_on_charger"[^>]*>', page.text)
    assert checkbox is not None and " checked" in checkbox.group(0)
    assert re.search(
        r'<label for="set_on_charger">\s*<input[^>]*>\s*Also set it on the charger', page.text
    )
    new = await browser.get("/ui/stations/new")
    assert 'id="set_on_charger"' not in new.text


@pytest.mark.parametrize(
    ("status", "notice"),
    [
        ("Accepted", "The charger accepted the new password; it is stored."),
        ("RebootRequired", "applies it after a reboot; the previous password stays valid"),
    ],
)
async def test_a_password_the_charger_accepts_is_sent_then_the_station_saved(
    browser: Browser, deps: ApiDeps, status: str, notice: str
) -> None:
    await add(browser, "cp1")
    link = FakeLink("cp1")
    await deps.connections.opened(link)

    response, sent = await edit_answered(
        browser, link, {**EDIT, "set_on_charger": "on"}, set_variable_result(status)
    )

    assert response.status_code == 303, response.text
    assert sent == {
        "setVariableData": [
            {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeType": "Actual",
                "attributeValue": PASSWORD,
            }
        ]
    }
    station = await deps.stations.get("cp1")
    assert station is not None and station.min_security_profile == 1
    page = await browser.get(response.headers["location"])
    assert notice in page.text
    assert PASSWORD not in page.text


async def test_a_generated_password_goes_to_the_charger_and_is_not_shown(
    browser: Browser, deps: ApiDeps
) -> None:
    await add(browser, "cp1")
    link = FakeLink("cp1")
    await deps.connections.opened(link)
    form = {"min_security_profile": "0", "password_mode": "generate", "set_on_charger": "on"}

    response, sent = await edit_answered(browser, link, form, set_variable_result("Accepted"))

    generated = sent["setVariableData"][0]["attributeValue"]
    assert len(generated) == 40
    assert response.status_code == 303
    assert generated not in (await browser.get(response.headers["location"])).text


def rejected(call: FakeCall) -> None:
    call.respond(set_variable_result("Rejected"))


def call_error(call: FakeCall) -> None:
    call.respond_error("InternalError", "no room")


def no_answer(call: FakeCall) -> None:
    call.fail(CallTimeout())


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (rejected, 502, "The charger rejected the password (Rejected)."),
        (call_error, 502, "The charger answered CALLERROR InternalError no room."),
        (no_answer, 504, "The charger did not answer within 30 s."),
    ],
    ids=["rejected", "callerror", "timeout"],
)
async def test_a_password_the_charger_refuses_changes_nothing(
    browser: Browser,
    deps: ApiDeps,
    answer: Callable[[FakeCall], None],
    status: int,
    message: str,
) -> None:
    await add(browser, "cp1", min_security_profile="0")
    link = FakeLink("cp1")
    await deps.connections.opened(link)

    async def station_side() -> None:
        answer(await link.next_call())

    answering = asyncio.create_task(station_side())
    response = await browser.post("/ui/stations/cp1", {**EDIT, "set_on_charger": "on"})
    await answering

    assert response.status_code == status
    assert field_error(response.text, "set_on_charger") == f"{message} Nothing was saved."
    station = await deps.stations.get("cp1")
    assert station is not None and station.min_security_profile == 0
    assert deps.credentials is not None and not await deps.credentials.has_password("cp1")


async def test_a_charger_that_is_offline_is_told_and_nothing_changes(
    browser: Browser, deps: ApiDeps
) -> None:
    await add(browser, "cp1", min_security_profile="0")

    response = await browser.post("/ui/stations/cp1", {**EDIT, "set_on_charger": "on"})

    assert response.status_code == 409
    assert field_error(response.text, "set_on_charger").startswith(
        "The charger is not connected, so the password was not sent."
    )
    # The operator's choice is kept for the next attempt, the password is not echoed.
    checkbox = re.search(r'<input id="set_on_charger"[^>]*>', response.text)
    assert checkbox is not None and " checked" in checkbox.group(0)
    assert PASSWORD not in response.text
    assert deps.credentials is not None and not await deps.credentials.has_password("cp1")

    stored_only = await browser.post("/ui/stations/cp1", EDIT)

    assert stored_only.status_code == 303
    assert await deps.credentials.verify("cp1", PASSWORD)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"station_id": ""}, "station_id", "Required."),
        ({"station_id": "a:b"}, "station_id", "without ':', '/' or control characters"),
        ({"station_id": "x" * 49}, "station_id", "At most 48 characters."),
        ({"min_security_profile": "4"}, "min_security_profile", "from 0 to 3"),
        ({"min_security_profile": "1.0"}, "min_security_profile", "Enter a whole number."),
        ({"min_security_profile": "1"}, "password_mode", "needs a password"),
        ({"password_mode": "set"}, "password", "Enter the password"),
        ({"password_mode": "set", "password": "too-short"}, "password", "16-40 characters"),
        ({"password_mode": "maybe"}, "password_mode", "Choose one of: keep, set, generate."),
    ],
)
async def test_bad_station_input_is_shown_on_the_form_and_stores_nothing(
    browser: Browser, deps: ApiDeps, form: dict[str, str], field: str, message: str
) -> None:
    data = {"station_id": "cp1", "min_security_profile": "0", "password_mode": "keep"}
    response = await browser.post("/ui/stations", {**data, **form})

    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert 'role="alert"' in response.text
    assert [view.id for view in await deps.stations.list()] == []


async def test_an_existing_id_is_not_overwritten(browser: Browser, deps: ApiDeps) -> None:
    await deps.stations.upsert("cp1", StationWrite(min_security_profile=2))
    response = await browser.post(
        "/ui/stations", {"station_id": "cp1", "min_security_profile": "0", "password_mode": "keep"}
    )
    assert response.status_code == 400
    assert field_error(response.text, "station_id") == "A station with this id exists already."
    station = await deps.stations.get("cp1")
    assert station is not None and station.min_security_profile == 2


async def test_overview_shows_connectors_and_the_listeners_that_admit_the_station(
    browser: Browser, deps: ApiDeps
) -> None:
    await deps.stations.upsert("cp1", StationWrite(min_security_profile=1))
    await deps.stations.record_status(
        "cp1", evse_id=1, connector_id=2, status="Occupied", timestamp=T0
    )
    page = await browser.get("/ui/stations/cp1")
    assert re.search(r"<td>1</td><td>2</td><td><span[^>]*>Occupied</span>", page.text)
    # Default listeners: 8081 profile 0, 8082 profile 1; profile 1 admits only the second.
    assert "<dd>1 (port 8082, profile 1)</dd>" in page.text
    live = await browser.get("/ui/stations/cp1/live")
    assert live.text.lstrip().startswith('<section id="station-live" data-station="cp1"')


async def test_delete_removes_the_station_and_closes_its_socket(
    browser: Browser, deps: ApiDeps
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    link = FakeLink("cp1")
    await deps.connections.opened(link)
    confirm = await browser.get("/ui/stations/cp1/delete")
    assert "Delete station cp1?" in confirm.text

    response = await browser.post("/ui/stations/cp1/delete", {})

    assert response.status_code == 303
    assert response.headers["location"] == "/ui/stations?deleted=cp1"
    listed = await browser.get(response.headers["location"])
    assert '<p role="status" class="notice">Station cp1 deleted.</p>' in listed.text
    assert await deps.stations.get("cp1") is None
    assert link.closed_with == (1000, "Station deleted")
    again = await browser.post("/ui/stations/cp1/delete", {})
    assert again.status_code == 404


async def test_bad_query_values_get_the_console_error_page(browser: Browser) -> None:
    response = await browser.get("/ui/stations", params={"online": "maybe"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "This address has invalid parameters." in response.text
    # The REST API keeps its JSON error body.
    rest = await browser.client.get("/data/configuration/chargingStation", params={"limit": "x"})
    assert rest.status_code == 400
    assert rest.json()["code"] == "validation_failed"


async def test_pages_load_only_assets_served_by_tourmaline(browser: Browser) -> None:
    page = await browser.get("/ui/stations/new")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assets = [url for url in urls if url.startswith("/ui/static/")]
    assert sorted(assets) == [
        "/ui/static/console.css",
        "/ui/static/console.js",
        "/ui/static/htmx.min.js",
        "/ui/static/pico.min.css",
    ]
    assert all(url.startswith(("/", "#")) and not url.startswith("//") for url in urls)
    for asset in assets:
        response = await browser.client.get(asset)
        assert response.status_code == 200, asset
