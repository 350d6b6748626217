"""Reading console forms: same-origin and CSRF checks, then strict field parsing.

Forms arrive urlencoded (htmx and plain HTML forms alike). Field readers never coerce: " 1" or
"1.0" is not a number. Each problem is recorded against its field, so the page is rendered again
with the operator's input and a message next to the field, answered 400.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request

from tourmaline.ui.render import ConsoleError, session_of
from tourmaline.ui.session import CSRF_FIELD, CSRF_HEADER

__all__ = ["MAX_FORM_BYTES", "Form", "read_form"]

MAX_FORM_BYTES = 64 * 1024
_INTEGER = re.compile(r"-?[0-9]{1,10}")
# What <input type="datetime-local"> sends (seconds only when the step asks for them).
_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_FORM_TYPE = "application/x-www-form-urlencoded"


class Form:
    """The submitted values and the problems found while reading them."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        for name, value in pairs:
            self.values.setdefault(name, value)
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, *, required: bool = False, max_length: int = 1000) -> str | None:
        value = self.values.get(name, "").strip()
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        if len(value) > max_length:
            self.fail(name, f"At most {max_length} characters.")
            return None
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self.text(name, required=required, max_length=12)
        if raw is None:
            return None
        if not _INTEGER.fullmatch(raw):
            self.fail(name, "Enter a whole number.")
            return None
        number = int(raw)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.fail(name, _range_text(minimum, maximum))
            return None
        return number

    def choice(self, name: str, options: Iterable[str], *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        allowed = list(options)
        if value is not None and value not in allowed:
            self.fail(name, "Choose one of: " + ", ".join(allowed) + ".")
            return None
        return value

    def moment(self, name: str) -> datetime | None:
        """A date and time in UTC, as a datetime-local field sends it."""
        raw = self.text(name, max_length=40)
        if raw is None:
            return None
        try:
            if not _LOCAL_TIME.fullmatch(raw):
                raise ValueError(raw)
            return datetime.fromisoformat(raw).replace(tzinfo=UTC)
        except ValueError:
            self.fail(name, "Enter a date and time (UTC), e.g. 2026-03-01T12:00.")
            return None

    def listed(self, name: str) -> list[str] | None:
        """Comma- or line-separated entries, without blanks; None when there are none."""
        raw = self.values.get(name, "")
        entries = [entry.strip() for entry in re.split(r"[,\n]", raw) if entry.strip()]
        return entries or None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in ("on", "true", "1")


def _range_text(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"Enter a number from {minimum} to {maximum}."
    if minimum is not None:
        return f"Enter a number of at least {minimum}."
    return f"Enter a number of at most {maximum}."


async def read_form(request: Request, *, check_csrf: bool = True) -> Form:
    """The request's form after the same-origin and CSRF checks (403 when they fail)."""
    _require_same_origin(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != _FORM_TYPE:
        raise ConsoleError(415, "Unsupported form", "Forms must be sent urlencoded.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ConsoleError(413, "Form too large", f"A form may have at most {MAX_FORM_BYTES} B.")
    try:
        form = Form(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200))
    except (UnicodeDecodeError, ValueError):
        raise ConsoleError(400, "Unreadable form", "The form could not be read.") from None
    token = request.headers.get(CSRF_HEADER) or form.values.get(CSRF_FIELD)
    if check_csrf and not session_of(request).accepts(token):
        raise ConsoleError(
            403, "Form expired", "This form is no longer valid. Reload the page and try again."
        )
    return form


def _require_same_origin(request: Request) -> None:
    """Browsers name the page a POST comes from; one from another site is refused outright."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise ConsoleError(403, "Refused", "Console forms are accepted only from the console.")
