"""Format rules for OCPP 2.0.1 idTokens, by IdTokenEnumType (Part 2 §2.29, interface.md §10.2).

The schema only bounds the length (36); the type tells what the text must look like. A token
that breaks its type's rule is answered `Invalid` in the CALLRESULT, never with a CALLERROR
(interface.md §10.2 deviation), and the REST API refuses to store it (400).

| Type | Rule |
|---|---|
| ISO14443 | 4 or 7 bytes as hex: 8 or 14 hex digits (Part 2 IdTokenEnumType) |
| ISO15693 | 8 bytes as hex: 16 hex digits (Part 2 IdTokenEnumType) |
| eMAID | ISO 15118-2 Annex H contract id: country (2 letters), provider (3), instance (9), an
  optional check character; `-` allowed between the parts |
| MacAddress | EUI-48 or EUI-64: 12 or 16 hex digits, optionally in pairs separated by `:` or `-` |
| NoAuthorization | anything (the spec wants it empty; a non-empty one is not refused) |
| Central, Local, KeyCode | any non-empty text (OCPP defines no format) |

Hex digits and letters are case-insensitive: OCPP says idTokens are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NO_AUTHORIZATION",
    "TOKEN_TYPES",
    "token_format_problem",
    "token_key",
    "token_refusal",
]

NO_AUTHORIZATION = "NoAuthorization"
TOKEN_TYPES = (
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    NO_AUTHORIZATION,
)

_HEX = "[0-9A-Fa-f]"
_MAC_PAIR = f"{_HEX}{{2}}"
_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "ISO14443": (
        re.compile(f"(?:{_HEX}{{8}}|{_HEX}{{14}})"),
        "an ISO14443 UID is 4 or 7 bytes: 8 or 14 hexadecimal digits",
    ),
    "ISO15693": (
        re.compile(f"{_HEX}{{16}}"),
        "an ISO15693 UID is 8 bytes: 16 hexadecimal digits",
    ),
    "eMAID": (
        re.compile(r"[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[A-Za-z0-9]{9}(?:-?[A-Za-z0-9])?"),
        "an eMAID is country (2 letters), provider (3), instance (9) and an optional check "
        "character, optionally separated by '-'",
    ),
    "MacAddress": (
        re.compile(
            f"(?:{_HEX}{{12}}|{_HEX}{{16}}"
            f"|{_MAC_PAIR}(?:([:-]){_MAC_PAIR})(?:\\1{_MAC_PAIR}){{4}}(?:(?:\\1{_MAC_PAIR}){{2}})?)"
        ),
        "a MacAddress is an EUI-48 or EUI-64: 12 or 16 hexadecimal digits, optionally in "
        "pairs separated by ':' or '-'",
    ),
}


def token_format_problem(id_token: str, token_type: str) -> str | None:
    """Why `id_token` is not a valid token of `token_type`, or None when it is."""
    if token_type == NO_AUTHORIZATION:
        return None
    if token_type not in TOKEN_TYPES:
        return f"unknown idToken type {token_type!r}"
    if not id_token:
        return f"a {token_type} idToken may not be empty"
    rule = _RULES.get(token_type)
    if rule is not None and rule[0].fullmatch(id_token) is None:
        return rule[1]
    return None


def token_key(id_token: str) -> str:
    """The case-insensitive lookup key of an idToken (OCPP: idTokens are case insensitive)."""
    return id_token.casefold()


def token_refusal(token: Mapping[str, Any], field: str = "idToken") -> str | None:
    """The refusal text for an IdTokenType (wire form) that breaks its type's rule, or None."""
    value, token_type = str(token.get("idToken")), str(token.get("type"))
    problem = token_format_problem(value, token_type)
    if problem is None:
        return None
    return f"{field} {value!r} is not a valid {token_type}: {problem}"
