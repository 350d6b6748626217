"""Payload validation against the official OCPP 2.0.1 JSON schemas (draft-06, `ocpp` wheel).

Two jsonschema-rs validators per schema, compiled on first use and kept: a strict one with the
built-in RFC 3339 check, and a tolerant one whose date-time check (in Python) also admits a missing
offset. A payload the strict one accepts is returned as is, with no copy: that is the hot path,
about 2 µs per TransactionEvent. Only payloads it refuses pay for the tolerant pass.

Tolerances, each reported through the `on_warning(event, **fields)` hook:

* optional properties sent as `null` are removed before validation ("null_properties_removed");
* an RFC 3339 date-time without offset is read as UTC and rewritten with `Z`
  ("timestamp_without_zone", ocpp-rules §3.1).

Failures raise the OcppError chosen by ocpp-rules §2.2; `details["errors"]` lists every failure as
a JSON path and a schema keyword, never payload text.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, Protocol

import jsonschema_rs

from tourmaline.ocpp.errors import (
    ActionNotImplemented,
    FormatViolation,
    OccurrenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)
from tourmaline.ocpp.rpc import JsonObject

__all__ = ["MAX_REPORTED_ERRORS", "SchemaRegistry", "WarningHook", "is_date_time"]

SCHEMA_PACKAGE = "ocpp.v201.schemas"
MAX_REPORTED_ERRORS = 20

Direction = Literal["Request", "Response"]


class WarningHook(Protocol):
    """Receives tolerance warnings; a structlog logger's `warning` method fits."""

    def __call__(self, event: str, /, **fields: Any) -> None: ...


def _ignore_warning(event: str, /, **fields: Any) -> None:
    return None


# ocpp-rules §2.2: the first row matching ANY schema error picks the code.
_CODE_PRECEDENCE: tuple[tuple[frozenset[str], type[OcppError]], ...] = (
    (frozenset({"required", "minItems", "maxItems"}), OccurrenceConstraintViolation),
    (frozenset({"type"}), TypeConstraintViolation),
    (
        frozenset(
            {
                "enum",
                "const",
                "maxLength",
                "minLength",
                "pattern",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
                "format",
            }
        ),
        PropertyConstraintViolation,
    ),
)

# RFC 3339 §5.6 with the field ranges in the pattern (seconds up to 60 for a leap second); only
# days 29-31 need a calendar check afterwards. The offset is optional: ocpp-rules §3.1.
_DATE_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])"
    r"[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?"
    r"(?P<zone>[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)?\Z"
)


def _parse_date_time(value: str) -> re.Match[str] | None:
    """The match of a valid RFC 3339 date-time whose offset may be missing, else None."""
    match = _DATE_TIME.match(value)
    if match is None or match.group("day") <= "28":
        return match
    year, month = int(match.group("year")), int(match.group("month"))
    return match if int(match.group("day")) <= monthrange(year, month)[1] else None


def is_date_time(value: str) -> bool:
    """True for an RFC 3339 date-time, with or without an offset."""
    return _parse_date_time(value) is not None


@dataclass(slots=True)
class _Stamps:
    """Where a schema puts date-time strings: the only places a zone-less stamp can be rewritten."""

    leaf: bool = False
    properties: dict[str, _Stamps] = field(default_factory=dict)
    items: _Stamps | None = None

    def empty(self) -> bool:
        return not self.leaf and not self.properties and self.items is None


def _resolve(root: JsonObject, node: JsonObject) -> JsonObject:
    reference = node.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return node
    target: Any = root
    for part in reference[2:].split("/"):
        target = target[part]
    resolved: JsonObject = target
    return resolved


def _stamp_tree(root: JsonObject, node: JsonObject, depth: int = 0) -> _Stamps:
    node = _resolve(root, node)
    tree = _Stamps(leaf=node.get("format") == "date-time")
    if depth > 32:  # the 2.0.1 schemas are not recursive; this only guards against a loop
        return tree
    for name, sub in node.get("properties", {}).items():
        child = _stamp_tree(root, sub, depth + 1)
        if not child.empty():
            tree.properties[name] = child
    items = node.get("items")
    if isinstance(items, dict):
        child = _stamp_tree(root, items, depth + 1)
        tree.items = None if child.empty() else child
    return tree


@dataclass(slots=True)
class _Schema:
    raw: JsonObject
    strict: jsonschema_rs.Validator  # built-in RFC 3339 check, all in Rust: the hot path
    tolerant: jsonschema_rs.Validator  # zone-less stamps allowed, via a Python format check
    stamps: _Stamps | None = None


class SchemaRegistry:
    """The 128 official 2.0.1 schemas, compiled once each on first use (see the module doc)."""

    def __init__(self, *, on_warning: WarningHook | None = None) -> None:
        self._on_warning = on_warning or _ignore_warning
        self._schemas: dict[str, _Schema] = {}
        self._zoneless_seen = False
        self._files = resources.files(SCHEMA_PACKAGE)
        self._names = frozenset(
            entry.name.removesuffix(".json")
            for entry in self._files.iterdir()
            if entry.name.endswith(".json")
        )

    def knows(self, action: str) -> bool:
        """True when both schemas of `action` exist."""
        return f"{action}Request" in self._names and f"{action}Response" in self._names

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(name.removesuffix("Request") for name in self._names) & frozenset(
            name.removesuffix("Response") for name in self._names
        )

    def preload(self) -> None:
        """Compile every validator now instead of on first use."""
        for name in self._names:
            self._schema(name)

    def validate_request(
        self, action: str, payload: JsonObject, *, on_warning: WarningHook | None = None
    ) -> JsonObject:
        """The normalised request payload, or the OcppError of ocpp-rules §2.2."""
        return self._validate(action, "Request", payload, on_warning or self._on_warning)

    def validate_response(
        self, action: str, payload: JsonObject, *, on_warning: WarningHook | None = None
    ) -> JsonObject:
        """The normalised response payload, or the OcppError of ocpp-rules §2.2."""
        return self._validate(action, "Response", payload, on_warning or self._on_warning)

    def _validate(
        self, action: str, direction: Direction, payload: JsonObject, warn: WarningHook
    ) -> JsonObject:
        if not self.knows(action):
            raise ActionNotImplemented()
        schema = self._schema(action + direction)
        if schema.strict.is_valid(payload):
            return payload
        if self._is_valid(schema, payload):
            return self._normalise_stamps(schema, action, payload, warn)
        if _has_null(payload):
            removed: list[str] = []
            payload = _strip_nulls(payload, "$", removed)
            warn("null_properties_removed", action=action, paths=removed)
            if self._is_valid(schema, payload):
                return self._normalise_stamps(schema, action, payload, warn)
        raise _error_for(schema.tolerant.iter_errors(payload), f"{action}{direction}")

    def _is_valid(self, schema: _Schema, payload: JsonObject) -> bool:
        self._zoneless_seen = False
        return schema.tolerant.is_valid(payload)

    def _normalise_stamps(
        self, schema: _Schema, action: str, payload: JsonObject, warn: WarningHook
    ) -> JsonObject:
        if not self._zoneless_seen:
            return payload
        if schema.stamps is None:
            schema.stamps = _stamp_tree(schema.raw, schema.raw)
        rewritten: list[str] = []
        result: JsonObject = _rewrite_stamps(payload, schema.stamps, "$", rewritten)
        for path in rewritten:
            warn("timestamp_without_zone", action=action, path=path)
        return result

    def _schema(self, name: str) -> _Schema:
        schema = self._schemas.get(name)
        if schema is None:
            raw = json.loads((self._files / f"{name}.json").read_text(encoding="utf-8"))
            strict = jsonschema_rs.validator_for(raw, validate_formats=True)
            tolerant = jsonschema_rs.validator_for(
                raw, formats={"date-time": self._check_date_time}, validate_formats=True
            )
            schema = self._schemas[name] = _Schema(raw, strict, tolerant)
        return schema

    def _check_date_time(self, value: str) -> bool:
        match = _parse_date_time(value)
        if match is None:
            return False
        if match.group("zone") is None:
            self._zoneless_seen = True
        return True


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(item is None or _has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return False


def _strip_nulls(value: Any, path: str, removed: list[str]) -> Any:
    """A copy without null-valued properties (nulls inside arrays stay: they are no properties)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if item is None:
                removed.append(_join(path, key))
            else:
                kept[key] = _strip_nulls(item, _join(path, key), removed)
        return kept
    if isinstance(value, list):
        return [_strip_nulls(item, f"{path}[{index}]", removed) for index, item in enumerate(value)]
    return value


def _rewrite_stamps(value: Any, stamps: _Stamps, path: str, rewritten: list[str]) -> Any:
    """Copy-on-write: only containers on the way to a rewritten stamp are copied."""
    if stamps.leaf and isinstance(value, str):
        match = _parse_date_time(value)
        if match is not None and match.group("zone") is None:
            rewritten.append(path)
            return value + "Z"
        return value
    if isinstance(value, dict) and stamps.properties:
        copy: dict[str, Any] | None = None
        for key, child in stamps.properties.items():
            if key in value:
                new = _rewrite_stamps(value[key], child, _join(path, key), rewritten)
                if new is not value[key]:
                    copy = dict(value) if copy is None else copy
                    copy[key] = new
        return value if copy is None else copy
    if isinstance(value, list) and stamps.items is not None:
        child = stamps.items
        new_items = [
            _rewrite_stamps(item, child, f"{path}[{index}]", rewritten)
            for index, item in enumerate(value)
        ]
        changed = any(new is not old for new, old in zip(new_items, value, strict=True))
        return new_items if changed else value
    return value


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path = _join(path, part)
    return path


def _describe(error: jsonschema_rs.ValidationError) -> dict[str, str]:
    kind = error.kind.name
    path = _json_path(error.instance_path)
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
        # The missing name comes from the schema, not from the payload.
        path = _join(path, str(error.kind.property))
    return {"path": path, "kind": kind}


def _error_for(errors: Iterable[jsonschema_rs.ValidationError], schema_name: str) -> OcppError:
    described = [_describe(error) for error in errors]
    kinds = {entry["kind"] for entry in described}
    error_class: type[OcppError] = FormatViolation
    for row, candidate in _CODE_PRECEDENCE:
        if kinds & row:
            error_class = candidate
            break
    count = len(described)
    details: JsonObject = {"errors": described[:MAX_REPORTED_ERRORS]}
    if count > MAX_REPORTED_ERRORS:
        details["truncated"] = True
    noun = "error" if count == 1 else "errors"
    return error_class(
        f"{schema_name} payload violates the schema ({count} {noun})", details=details
    )
