"""`/data/ocpprouter/subscription`: webhook subscriptions (interface.md §8.2, §9)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from tourmaline.api.deps import (
    StationIdQuery,
    StrictInt,
    TenantDep,
    wired,
)
from tourmaline.api.errors import ValidationFailed
from tourmaline.api.schemas import BAD_REQUEST
from tourmaline.api.strict import strict_body
from tourmaline.services.subscriptions import (
    SubscriptionService,
    SubscriptionView,
    SubscriptionWrite,
)

__all__ = ["router"]

router = APIRouter(prefix="/data/ocpprouter", tags=["ocpprouter"], responses=BAD_REQUEST)


SubscriptionsDep = Annotated[
    SubscriptionService, Depends(wired("subscriptions", "Subscriptions are"))
]


def _checked(write: SubscriptionWrite) -> SubscriptionWrite:
    failures = []
    if not write.has_event():
        failures.append(
            {
                "path": "body",
                "message": "One of onConnect, onClose, onMessage, sentMessage must be true",
                "type": "no_event",
            }
        )
    if write.message_regex_filter is not None:
        try:
            re.compile(write.message_regex_filter)
        except re.error as error:
            failures.append(
                {
                    "path": "body.messageRegexFilter",
                    "message": f"Invalid regular expression: {error}",
                    "type": "regex",
                }
            )
    if failures:
        raise ValidationFailed(failures)
    return write


@router.post("/subscription", response_model=int, summary="Subscribe a URL to station events")
async def post_subscription(
    request: Request, body: SubscriptionWrite, subscriptions: SubscriptionsDep, _: TenantDep
) -> int:
    write = _checked(await strict_body(request, SubscriptionWrite))
    return await subscriptions.create(write)


@router.get(
    "/subscription",
    response_model=list[SubscriptionView],
    response_model_by_alias=True,
    summary="The station's subscriptions",
)
async def get_subscriptions(
    subscriptions: SubscriptionsDep, station_id: StationIdQuery, _: TenantDep
) -> list[SubscriptionView]:
    return await subscriptions.for_station(station_id)


@router.delete("/subscription", response_model=Literal[True], summary="Delete a subscription")
async def delete_subscription(
    subscriptions: SubscriptionsDep,
    subscription_id: Annotated[StrictInt, Query(alias="id", ge=1)],
    _: TenantDep,
) -> Literal[True]:
    # CitrineOS answers true whether or not the subscription existed.
    await subscriptions.delete(subscription_id)
    return True
