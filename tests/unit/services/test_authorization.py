"""The idToken verdict on a real database (interface.md §10.2): every status of Authorize and
TransactionEvent idTokens, restrictions read from the device model, group ids, ConcurrentTx and
the price message through small in-test implementations of the transactions service's ports."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.services.authorization import AuthorizationService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.token_models import AuthorizationWrite, RestrictionsWrite
from tourmaline.services.tokens import TokenStore

RFID = {"idToken": "04A2B3C4", "type": "ISO14443"}
MASTER = {"idToken": "MASTER-1", "type": "Central"}


class ActiveOnes:
    """ActiveTransactions: the tokens that hold an active transaction."""

    def __init__(self, *tokens: tuple[str, str]) -> None:
        self.tokens = set(tokens)
        self.asked: list[tuple[str, str]] = []

    async def has_active_transaction(self, id_token: str, token_type: str) -> bool:
        self.asked.append((id_token, token_type))
        return (id_token, token_type) in self.tokens


class FixedPrice:
    def __init__(self, price: Decimal | None) -> None:
        self.price = price

    async def price_per_kwh(self) -> Decimal | None:
        return self.price


@pytest.fixture
def tokens(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> TokenStore:
    return TokenStore(sessionmaker, clock)


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> AuthorizationService:
    return AuthorizationService(sessionmaker, clock)


def write_of(body: dict[str, Any]) -> AuthorizationWrite:
    """As the REST route reads it: strict, from JSON."""
    return AuthorizationWrite.model_validate_json(json.dumps(body))


async def issue(tokens: TokenStore, token: dict[str, Any] = RFID, **info: Any) -> None:
    await tokens.put(write_of({"idToken": token, "idTokenInfo": {"status": "Accepted", **info}}))


async def report(model: DeviceModelService, *items: tuple[dict[str, Any], str, str]) -> None:
    data = [
        {
            "component": component,
            "variable": {"name": variable},
            "variableAttribute": [{"value": value}],
        }
        for component, variable, value in items
    ]
    await model.apply_report("cp001", data, FakeClock().now())


def evse(evse_id: int, connector_id: int | None = None) -> dict[str, Any]:
    if connector_id is None:
        return {"name": "EVSE", "evse": {"id": evse_id}}
    return {"name": "Connector", "evse": {"id": evse_id, "connectorId": connector_id}}


async def status_of(service: AuthorizationService, token: dict[str, Any], **kw: Any) -> str:
    return (await service.authorize_request("cp001", token, **kw)).status


async def test_an_accepted_token_gets_its_stored_info(
    service: AuthorizationService, tokens: TokenStore, clock: FakeClock
) -> None:
    expiry = clock.now() + timedelta(days=1)
    await issue(
        tokens,
        cacheExpiryDateTime=expiry.isoformat(),
        chargingPriority=3,
        language1="nl",
        personalMessage={"format": "UTF8", "content": "Welkom"},
    )

    outcome = await service.authorize("cp001", {"idToken": "04a2b3c4", "type": "ISO14443"})

    assert outcome.id_token_info == {
        "status": "Accepted",
        "cacheExpiryDateTime": expiry.isoformat().replace("+00:00", "Z"),
        "chargingPriority": 3,
        "language1": "nl",
        "personalMessage": {"format": "UTF8", "content": "Welkom"},
    }
    assert outcome.concurrent_transaction is False


async def test_a_stored_refusal_is_returned_as_stored(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    for stored in ("Blocked", "Expired", "NoCredit", "Invalid", "NotAtThisTime"):
        info = {"status": stored, "groupIdToken": MASTER}
        await tokens.put(write_of({"idToken": RFID, "idTokenInfo": info}))

        outcome = await service.authorize_request("cp001", RFID)

        assert outcome.id_token_info == info


async def test_a_passed_cache_expiry_is_invalid(
    service: AuthorizationService, tokens: TokenStore, clock: FakeClock
) -> None:
    await issue(tokens, cacheExpiryDateTime=(clock.now() + timedelta(minutes=1)).isoformat())
    assert await status_of(service, RFID) == "Accepted"

    clock.advance(61)

    assert await status_of(service, RFID) == "Invalid"


MALFORMED = [
    {"idToken": "04A2B3C", "type": "ISO14443"},
    {"idToken": "04A2B3C4D5", "type": "ISO14443"},
    {"idToken": "04A2B3C4ZZ", "type": "ISO14443"},
    {"idToken": "E0040102030405", "type": "ISO15693"},
    {"idToken": "DE8EO", "type": "eMAID"},
    {"idToken": "00:11:22", "type": "MacAddress"},
    {"idToken": "", "type": "Central"},
]
WELL_FORMED = [
    {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"},
    {"idToken": "e004010203040506", "type": "ISO15693"},
    {"idToken": "DE-8EO-C12345678-X", "type": "eMAID"},
    {"idToken": "00:11:22:33:44:55", "type": "MacAddress"},
    {"idToken": "1234", "type": "KeyCode"},
]


async def test_a_malformed_token_is_invalid(service: AuthorizationService) -> None:
    for token in MALFORMED:
        outcome = await service.authorize_request("cp001", token)
        assert outcome.id_token_info == {"status": "Invalid"}, token


async def test_well_formed_tokens_of_each_type_are_looked_up(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    for token in WELL_FORMED:
        assert await status_of(service, token) == "Unknown", token
        await issue(tokens, token)
        assert await status_of(service, token) == "Accepted", token


async def test_no_authorization_is_accepted_without_a_record(
    service: AuthorizationService,
) -> None:
    outcome = await service.authorize_request("cp001", {"idToken": "", "type": "NoAuthorization"})

    assert outcome.id_token_info == {"status": "Accepted"}
    # Sessions without an identity never count as concurrent ones.
    assert outcome.concurrent_transaction is True


async def test_an_unknown_token_and_a_same_text_of_another_type_are_unknown(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    await issue(tokens, {"idToken": "04A2B3C4", "type": "Local"})

    assert await status_of(service, RFID) == "Unknown"


async def test_the_group_id_of_a_master_pass_is_returned(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    await issue(tokens, groupIdToken=MASTER)
    await issue(tokens, MASTER, groupIdToken=MASTER)

    for token in (RFID, MASTER):
        outcome = await service.authorize("cp001", token)
        assert outcome.id_token_info == {"status": "Accepted", "groupIdToken": MASTER}


async def test_connector_type_restrictions_follow_the_device_model(
    service: AuthorizationService, tokens: TokenStore, station_model: DeviceModelService
) -> None:
    await issue(tokens)
    await tokens.put_restrictions(
        "04A2B3C4", "ISO14443", RestrictionsWrite(allowed_connector_types=["cCCS2"])
    )
    # No connector type known yet: an allow-list needs a match.
    assert await status_of(service, RFID) == "NotAllowedTypeEVSE"

    await report(
        station_model,
        (evse(1, 1), "ConnectorType", "cType2"),
        (evse(2, 1), "ConnectorType", "cCCS2"),
    )

    assert await status_of(service, RFID) == "Accepted"
    assert (await service.authorize("cp001", RFID, evse_id=2)).status == "Accepted"
    assert (await service.authorize("cp001", RFID, evse_id=1)).status == "NotAllowedTypeEVSE"


async def test_evse_prefix_restrictions_refuse_only_excluded_evses(
    service: AuthorizationService, tokens: TokenStore, station_model: DeviceModelService
) -> None:
    await issue(tokens)
    await tokens.put_restrictions(
        "04A2B3C4", "ISO14443", RestrictionsWrite(disallowed_evse_id_prefixes=["DE*ABC"])
    )
    await report(station_model, (evse(1), "EvseId", "DE*ABC*E1"), (evse(2), "EvseId", "DE*XYZ*E2"))

    assert await status_of(service, RFID) == "Accepted"
    assert (await service.authorize("cp001", RFID, evse_id=1)).status == "NotAtThisLocation"
    assert (await service.authorize("cp001", RFID, evse_id=2)).status == "Accepted"

    await report(station_model, (evse(2), "EvseId", "de*abc*e2"))

    assert await status_of(service, RFID) == "NotAtThisLocation"


async def test_concurrent_tx_needs_an_active_transaction_and_the_flag_false(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    active = ActiveOnes(("04A2B3C4", "ISO14443"))
    await issue(tokens)
    assert await status_of(service, RFID) == "Accepted"  # port not wired: no check

    service.active_transactions = active

    assert await status_of(service, RFID) == "ConcurrentTx"
    # TransactionEvent idTokens: the transactions service decides with the stored flag.
    assert (await service.authorize("cp001", RFID)).status == "Accepted"
    await tokens.put(
        write_of(
            {"idToken": RFID, "idTokenInfo": {"status": "Accepted"}, "concurrentTransaction": True}
        )
    )
    outcome = await service.authorize_request("cp001", RFID)
    assert (outcome.status, outcome.concurrent_transaction) == ("Accepted", True)


async def test_price_message_when_the_station_can_show_it(
    service: AuthorizationService, tokens: TokenStore, station_model: DeviceModelService
) -> None:
    await issue(tokens, personalMessage={"format": "UTF8", "content": "Hi"})
    service.tariffs = FixedPrice(Decimal("0.35"))
    # The station has not said it can show messages: the stored message stays.
    assert (await service.authorize("cp001", RFID)).id_token_info["personalMessage"] == {
        "format": "UTF8",
        "content": "Hi",
    }

    tariff = {"name": "TariffCostCtrlr"}
    await station_model.apply_report(
        "cp001",
        [
            {
                "component": tariff,
                "variable": {"name": "Available", "instance": "Tariff"},
                "variableAttribute": [{"value": "true"}],
            }
        ],
        FakeClock().now(),
    )

    outcome = await service.authorize("cp001", RFID)
    assert outcome.id_token_info["personalMessage"] == {"format": "ASCII", "content": "0.35/kWh"}
    service.tariffs = FixedPrice(None)
    assert "Hi" in str(await service.authorize("cp001", RFID))


async def test_display_message_controller_enables_the_price_message(
    service: AuthorizationService, tokens: TokenStore, station_model: DeviceModelService
) -> None:
    await issue(tokens)
    service.tariffs = FixedPrice(Decimal("0.2"))
    await report(station_model, ({"name": "DisplayMessageCtrlr"}, "Available", "true"))

    outcome = await service.authorize("cp001", RFID)

    assert outcome.id_token_info["personalMessage"]["content"] == "0.2/kWh"


async def test_concurrent_lookups_each_get_their_own_answer(
    service: AuthorizationService, tokens: TokenStore
) -> None:
    known = [{"idToken": f"0000000{digit}", "type": "ISO14443"} for digit in range(5)]
    for token in known[:3]:
        await issue(tokens, token)

    statuses = await asyncio.gather(*(status_of(service, token) for token in known * 4))

    assert statuses == (["Accepted"] * 3 + ["Unknown"] * 2) * 4
