"""The action table against interface.md §7.4 and §11."""

from __future__ import annotations

import pytest

from tourmaline.ocpp.v201.actions import (
    ACTIONS,
    ALL_ACTIONS,
    CSMS_ACTIONS,
    STATION_ACTIONS,
    message_api_route,
    message_api_routes,
)


def test_counts() -> None:
    assert len(ALL_ACTIONS) == 64
    assert len(STATION_ACTIONS) == 25
    assert len(CSMS_ACTIONS) == 40
    assert STATION_ACTIONS & CSMS_ACTIONS == {"DataTransfer"}
    assert STATION_ACTIONS | CSMS_ACTIONS == ALL_ACTIONS
    assert ACTIONS["DataTransfer"].sender == "both"


@pytest.mark.parametrize(
    ("action", "route"),
    [
        ("SetVariables", ("monitoring", "setVariables")),
        ("GetVariables", ("monitoring", "getVariables")),
        ("Reset", ("configuration", "reset")),
        ("TriggerMessage", ("configuration", "triggerMessage")),
        ("DataTransfer", ("configuration", "dataTransfer")),
        ("GetBaseReport", ("reporting", "getBaseReport")),
        ("CostUpdated", ("transactions", "costUpdated")),
        ("GetTransactionStatus", ("transactions", "getTransactionStatus")),
        ("RequestStartTransaction", ("evdriver", "requestStartTransaction")),
        ("CertificateSigned", ("certificates", "certificateSigned")),
        ("SetChargingProfile", ("smartcharging", "setChargingProfile")),
        ("Heartbeat", None),
        ("ClearedChargingLimit", None),
        ("Bogus", None),
    ],
)
def test_message_api_routes(action: str, route: tuple[str, str] | None) -> None:
    assert message_api_route(action) == route


def test_every_csms_action_has_exactly_one_route() -> None:
    routes = message_api_routes()
    assert sorted(action for _, _, action in routes) == sorted(CSMS_ACTIONS)
    assert len({(module, path) for module, path, _ in routes}) == 40
    modules = {module for module, _, _ in routes}
    assert modules == {
        "certificates",
        "configuration",
        "evdriver",
        "monitoring",
        "reporting",
        "smartcharging",
        "transactions",
    }
