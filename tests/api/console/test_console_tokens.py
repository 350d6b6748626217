"""Console ID tokens: the list with search and filters, create, edit and delete through the
token store with the REST API's validation, each problem shown next to its field."""

from __future__ import annotations

import re

import pytest

from tourmaline.api.deps import ApiDeps
from tourmaline.services.token_models import AuthorizationWrite, RestrictionsWrite
from tourmaline.services.tokens import TokenFilters, TokenStore

from .conftest import Browser, field_error

EDIT = "/ui/tokens/edit?type=ISO14443&id_token=04A2B3C4"


def store(deps: ApiDeps) -> TokenStore:
    assert deps.tokens is not None
    return deps.tokens


def listed(text: str) -> list[str]:
    return re.findall(r'<tr data-token="([^"]*)">', text)


async def put(deps: ApiDeps, id_token: str, token_type: str = "ISO14443", **info: object) -> None:
    body = {"idToken": {"idToken": id_token, "type": token_type},
            "idTokenInfo": {"status": "Accepted", **info}}  # fmt: skip
    await store(deps).put(AuthorizationWrite.model_validate(body))


FULL_FORM = {
    "id_token": "04A2B3C4",
    "type": "ISO14443",
    "status": "Blocked",
    "cache_expiry": "2027-01-31T23:30",
    "charging_priority": "-2",
    "concurrent_transaction": "on",
    "group_id_token": "FLEET-7",
    "group_type": "Central",
    "language1": "nl",
    "language2": "en",
    "message_format": "UTF8",
    "message_language": "nl",
    "message_content": "Welkom",
    "allowed_connector_types": "cType2, cCCS2",
    "disallowed_evse_id_prefixes": "NL*ABC\nNL*XYZ",
}


async def test_create_stores_every_field_and_opens_the_edit_page(
    browser: Browser, deps: ApiDeps
) -> None:
    assert (await browser.get("/ui/tokens/new")).status_code == 200
    response = await browser.post("/ui/tokens", FULL_FORM)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == EDIT + "&done=added"
    view = await store(deps).get("04a2b3c4", "ISO14443")
    assert view is not None
    assert view.id_token_info == {
        "status": "Blocked",
        "cacheExpiryDateTime": "2027-01-31T23:30:00Z",
        "chargingPriority": -2,
        "language1": "nl",
        "language2": "en",
        "groupIdToken": {"idToken": "FLEET-7", "type": "Central"},
        "personalMessage": {"format": "UTF8", "language": "nl", "content": "Welkom"},
    }
    assert view.concurrent_transaction is True
    assert view.allowed_connector_types == ["cType2", "cCCS2"]
    assert view.disallowed_evse_id_prefixes == ["NL*ABC", "NL*XYZ"]

    page = await browser.get(response.headers["location"])
    assert "ID token added." in page.text
    assert (
        'id="cache_expiry" name="cache_expiry" type="datetime-local" value="2027-01-31T23:30:00"'
        in page.text
    )
    assert 'value="cType2, cCCS2"' in page.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_token": "not-hex"}, "id_token", "is not a valid ISO14443: an ISO14443 UID is 4 or 7"),
        ({"id_token": "", "type": "Central"}, "id_token", "a Central idToken may not be empty"),
        ({"type": "Paper"}, "type", "Choose one of: Central, eMAID"),
        ({"status": ""}, "status", "Required."),
        ({"status": "Happy"}, "status", "Input should be 'Accepted', 'Blocked'"),
        ({"charging_priority": "12"}, "charging_priority", "less than or equal to 9"),
        ({"charging_priority": "1.5"}, "charging_priority", "Enter a whole number."),
        ({"cache_expiry": "tomorrow"}, "cache_expiry", "Enter a date and time (UTC)"),
        ({"language1": ""}, "language2", "language2 needs language1"),
        ({"language1": "a-very-long-tag"}, "language1", "at most 8 characters"),
        ({"group_type": "ISO15693"}, "group_id_token", "not a valid ISO15693"),
        ({"message_content": "x" * 513}, "message_content", "at most 512 characters"),
        ({"allowed_connector_types": "cType2, " + "c" * 51}, "allowed_connector_types",
         "at most 50 characters"),
    ],
)  # fmt: skip
async def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    browser: Browser, deps: ApiDeps, changes: dict[str, str], field: str, message: str
) -> None:
    response = await browser.post("/ui/tokens", {**FULL_FORM, **changes})

    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert "Please correct the" in response.text
    assert await store(deps).find(TokenFilters()) == []
    # The operator's input is kept.
    assert 'value="Welkom"' in response.text or field == "message_content"


async def test_an_existing_token_is_not_overwritten_by_create(
    browser: Browser, deps: ApiDeps
) -> None:
    await put(deps, "04A2B3C4", language1="de")
    response = await browser.post("/ui/tokens", FULL_FORM)
    assert response.status_code == 400
    assert "exists already" in field_error(response.text, "id_token")
    view = await store(deps).get("04A2B3C4", "ISO14443")
    assert view is not None and view.id_token_info == {"status": "Accepted", "language1": "de"}


async def test_edit_changes_the_token_and_keeps_what_the_form_does_not_show(
    browser: Browser, deps: ApiDeps
) -> None:
    body = {"idToken": {"idToken": "04A2B3C4", "type": "ISO14443",
                        "additionalInfo": [{"additionalIdToken": "X1", "type": "custom"}]},
            "idTokenInfo": {"status": "Accepted"}, "concurrentTransaction": True}  # fmt: skip
    await store(deps).put(AuthorizationWrite.model_validate(body))
    await store(deps).put_restrictions(
        "04A2B3C4",
        "ISO14443",
        RestrictionsWrite.model_validate({"allowedConnectorTypes": ["sType3"]}),
    )
    page = await browser.get(EDIT)
    assert 'name="allowed_connector_types" type="text" value="sType3"' in page.text
    assert re.search(r'id="concurrent_transaction"[^>]* checked', page.text)

    # Unticked and emptied: concurrent sessions off, no restriction; the idToken is the link's.
    changed = {"id_token": "EVIL", "status": "Expired", "cache_expiry": "2026-12-01T08:00",
               "message_format": "UTF8"}  # fmt: skip
    response = await browser.post(EDIT, changed)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == EDIT + "&done=saved"
    view = await store(deps).get("04A2B3C4", "ISO14443")
    assert view is not None
    assert view.id_token == body["idToken"]
    assert view.id_token_info == {
        "status": "Expired",
        "cacheExpiryDateTime": "2026-12-01T08:00:00Z",
    }
    assert view.concurrent_transaction is False
    assert view.allowed_connector_types is None
    assert await store(deps).get("EVIL", "ISO14443") is None
    assert "ID token saved." in (await browser.get(response.headers["location"])).text


async def test_bad_edits_are_refused_and_change_nothing(browser: Browser, deps: ApiDeps) -> None:
    await put(deps, "04A2B3C4")
    response = await browser.post(EDIT, {"status": "Accepted", "language2": "en"})
    assert response.status_code == 400
    assert "language2 needs language1" in field_error(response.text, "language2")
    view = await store(deps).get("04A2B3C4", "ISO14443")
    assert view is not None and view.id_token_info == {"status": "Accepted"}


async def test_delete_asks_then_removes(browser: Browser, deps: ApiDeps) -> None:
    await put(deps, "04A2B3C4")
    confirm = await browser.get("/ui/tokens/delete?type=ISO14443&id_token=04A2B3C4")
    assert "Delete ID token 04A2B3C4 (ISO14443)?" in confirm.text

    deleted = await browser.post("/ui/tokens/delete?type=ISO14443&id_token=04A2B3C4", {})

    assert (deleted.status_code, deleted.headers["location"]) == (303, "/ui/tokens?done=deleted")
    assert await store(deps).get("04A2B3C4", "ISO14443") is None
    assert "ID token deleted." in (await browser.get("/ui/tokens?done=deleted")).text
    again = await browser.post("/ui/tokens/delete?type=ISO14443&id_token=04A2B3C4", {})
    assert again.status_code == 404
    assert (await browser.get(EDIT)).status_code == 404


async def test_the_list_searches_substrings_and_filters_status_and_type(
    browser: Browser, deps: ApiDeps
) -> None:
    await put(deps, "04A2B3C4")
    await put(deps, "04A2FFFF", status="Blocked")
    await put(deps, "FLEET-1", "Central")
    await put(deps, "50%_off", "Central")

    async def found(**filters: str) -> list[str]:
        response = await browser.get("/ui/tokens", params=filters)
        assert response.status_code == 200
        return listed(response.text)

    assert await found() == ["04A2B3C4", "04A2FFFF", "FLEET-1", "50%_off"]
    page = await browser.get("/ui/tokens")
    assert 'aria-current="page">Tokens</a>' in page.text
    assert await found(q="a2") == ["04A2B3C4", "04A2FFFF"]
    assert await found(q="%_") == ["50%_off"]
    assert await found(status="Blocked") == ["04A2FFFF"]
    assert await found(type="Central") == ["FLEET-1", "50%_off"]
    assert await found(type="Central", q="fleet") == ["FLEET-1"]
    fragment = await browser.get(
        "/ui/tokens", params={"q": "fleet"}, headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div id="token-table"')
    bad = await browser.get("/ui/tokens", params={"type": "Paper"})
    assert bad.status_code == 400


async def test_token_forms_need_the_csrf_token(browser: Browser, deps: ApiDeps) -> None:
    await put(deps, "04A2B3C4")
    await browser.get("/ui/tokens")
    created = await browser.client.post("/ui/tokens", data={**FULL_FORM, "id_token": "11223344"})
    edited = await browser.client.post(EDIT, data={"status": "Blocked", "csrf": "0" * 64})
    removed = await browser.client.post(
        "/ui/tokens/delete?type=ISO14443&id_token=04A2B3C4", data={"confirm": "yes"}
    )

    assert (created.status_code, edited.status_code, removed.status_code) == (403, 403, 403)
    assert await store(deps).get("11223344", "ISO14443") is None
    view = await store(deps).get("04A2B3C4", "ISO14443")
    assert view is not None and view.id_token_info == {"status": "Accepted"}
