"""Lists shown a page at a time: the links to the neighbouring pages keep the list's filters."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

__all__ = ["page_links"]


def page_links(
    path: str, filters: Mapping[str, str], offset: int, size: int, *, more: bool
) -> dict[str, str | None]:
    """`previous_url` and `next_url` for a page of `size` rows from `offset` (None where there is
    no such page); `more` says whether rows follow this page."""

    def url(start: int) -> str:
        return path + "?" + urlencode({**filters, "offset": start})

    return {
        "previous_url": url(max(offset - size, 0)) if offset else None,
        "next_url": url(offset + size) if more else None,
    }
