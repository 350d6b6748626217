"""Console protection: with api.auth = "api_key" a sign-in with an API key gives an HttpOnly,
SameSite=Strict session cookie (never the key), valid for /ui only; every console POST needs the
session's CSRF token and a same-origin request; with auth "none" the console is open."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from tourmaline.api.deps import ApiDeps
from tourmaline.services.stations import StationWrite
from tourmaline.ui.session import SESSION_COOKIE, SESSION_LIFETIME, SessionSigner

from .conftest import API_KEY, Browser

protected = pytest.mark.parametrize("auth", ["api_key"])


async def sign_in(client: httpx.AsyncClient, key: str = API_KEY, **extra: str) -> httpx.Response:
    return await client.post("/ui/login", data={"key": key, **extra})


@protected
async def test_pages_send_the_browser_to_the_login_form_and_back(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/ui/stations", params={"q": "north"})
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=" + quote("/ui/stations?q=north", safe="")
    form = await client.get(page.headers["location"])
    assert form.status_code == 200
    assert '<label for="key">API key' in form.text
    assert 'value="/ui/stations?q=north"' in form.text
    # Assets the login page needs are open; everything else answers 401.
    assert (await client.get("/ui/static/pico.min.css")).status_code == 200
    assert (await client.post("/ui/stations", data={})).status_code == 401
    assert (await client.get("/ui/events")).status_code == 303


@protected
async def test_signing_in_sets_a_signed_session_cookie_not_the_key(
    client: httpx.AsyncClient,
) -> None:
    response = await sign_in(client, next="/ui/stations?q=north")

    assert response.status_code == 303
    assert response.headers["location"] == "/ui/stations?q=north"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=v1.")
    assert API_KEY not in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/ui", f"Max-Age={SESSION_LIFETIME}"):
        assert attribute.lower() in cookie.lower()
    page = await client.get("/ui/stations")
    assert page.status_code == 200
    assert "Sign out" in page.text


@protected
async def test_a_wrong_key_is_refused_on_the_form(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, key="not-the-key")
    assert response.status_code == 401
    assert "That API key is not valid." in response.text
    assert (await client.get("/ui/stations")).status_code == 303


@protected
async def test_the_cookie_opens_the_console_only_not_the_rest_api(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client)
    assert (await client.get("/ui/stations")).status_code == 200
    assert (await client.get("/data/configuration/chargingStation")).status_code == 401
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    assert (
        await client.get("/data/configuration/chargingStation", headers=bearer)
    ).status_code == 200


@protected
@pytest.mark.parametrize(
    "cookie",
    [
        SessionSigner.issue("another-key")[1],
        SessionSigner.issue(API_KEY, now=time.time() - SESSION_LIFETIME - 5)[1],
        SessionSigner.issue(API_KEY)[1][:-4] + "AAAA",
        "v1.garbage.garbage",
    ],
    ids=["other-key", "expired", "tampered", "garbage"],
)
async def test_forged_or_expired_cookies_are_refused(app: object, cookie: str) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tourmaline", cookies={SESSION_COOKIE: cookie}
    ) as client:
        assert (await client.get("/ui/stations")).status_code == 303


@protected
async def test_sign_out_ends_the_session(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    browser = Browser(client)
    await browser.get("/ui/stations")
    response = await browser.post("/ui/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert (await client.get("/ui/stations")).status_code == 303


@pytest.mark.parametrize(
    "target", ["//evil.example/ui", "https://evil.example", "/data/x", "/ui\\x"]
)
@protected
async def test_sign_in_never_sends_the_browser_elsewhere(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await sign_in(client, next=target)
    assert response.headers["location"] == "/ui/stations"


async def test_without_auth_the_console_is_open(client: httpx.AsyncClient) -> None:
    page = await client.get("/ui/stations")
    assert page.status_code == 200
    assert "Sign out" not in page.text
    assert (await client.get("/ui/login")).headers["location"] == "/ui/stations"


async def test_posts_need_the_session_csrf_token(
    client: httpx.AsyncClient, browser: Browser, deps: ApiDeps
) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    await browser.get("/ui/stations")
    form = {"status": "Pending"}
    missing = await client.post("/ui/stations/cp1/boot", data=form)
    wrong = await client.post("/ui/stations/cp1/boot", data={**form, "csrf": "0" * 64})
    as_header = await client.post(
        "/ui/stations/cp1/boot", data=form, headers={"X-CSRF-Token": browser.csrf}
    )
    assert (missing.status_code, wrong.status_code, as_header.status_code) == (403, 403, 200)
    assert "This form is no longer valid" in missing.text
    boot = await deps.boots.get("cp1")
    assert boot is not None and boot.status == "Pending"


async def test_posts_from_another_site_are_refused(browser: Browser, deps: ApiDeps) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    foreign = await browser.post(
        "/ui/stations/cp1/boot", {"status": "Rejected"}, headers={"Origin": "http://evil.example"}
    )
    same = await browser.post(
        "/ui/stations/cp1/boot", {"status": "Rejected"}, headers={"Origin": "http://tourmaline"}
    )
    assert (foreign.status_code, same.status_code) == (403, 200)


async def test_forms_must_be_urlencoded(browser: Browser, deps: ApiDeps) -> None:
    await deps.stations.upsert("cp1", StationWrite())
    await browser.get("/ui/stations")
    response = await browser.client.post(
        "/ui/stations/cp1/boot",
        json={"status": "Pending", "csrf": browser.csrf},
        headers={"X-CSRF-Token": browser.csrf},
    )
    assert response.status_code == 415
    assert await deps.boots.get("cp1") is None
