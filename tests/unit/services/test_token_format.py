"""The idToken format rules per type (services/token_format.py, interface.md §10.2)."""

from __future__ import annotations

import pytest

from tourmaline.services.token_format import token_format_problem, token_key, token_refusal


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("04A2B3C4", "ISO14443"),
        ("04a2b3c4d5e6f7", "ISO14443"),
        ("E004010203040506", "ISO15693"),
        ("DE8EOC12345678X", "eMAID"),
        ("DE-8EO-C12345678", "eMAID"),
        ("001122334455", "MacAddress"),
        ("00-11-22-33-44-55-66-77", "MacAddress"),
        ("4711", "KeyCode"),
        ("any text at all", "Central"),
        ("", "NoAuthorization"),
        ("not empty", "NoAuthorization"),
    ],
)
def test_well_formed(token: str, kind: str) -> None:
    assert token_format_problem(token, kind) is None


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("04A2B3", "ISO14443"),
        ("04A2B3C4D5", "ISO14443"),
        ("04A2B3G4", "ISO14443"),
        ("E00401020304050", "ISO15693"),
        ("DE8EO", "eMAID"),
        ("D18EOC12345678X", "eMAID"),
        ("00:11-22:33:44:55", "MacAddress"),
        ("00:11:22:33:44", "MacAddress"),
        ("", "Local"),
        ("x", "Other"),
    ],
)
def test_malformed(token: str, kind: str) -> None:
    assert token_format_problem(token, kind) is not None


def test_refusal_text_names_the_field_and_the_rule() -> None:
    refusal = token_refusal({"idToken": "04A2", "type": "ISO14443"}, "groupIdToken")

    assert refusal == (
        "groupIdToken '04A2' is not a valid ISO14443: "
        "an ISO14443 UID is 4 or 7 bytes: 8 or 14 hexadecimal digits"
    )


def test_keys_ignore_case() -> None:
    assert token_key("04A2B3C4") == token_key("04a2b3c4")
