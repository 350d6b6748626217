"""Strict request bodies (interface.md §0: no type coercion, unknown properties refused).

FastAPI validates bodies in pydantic's lax mode (`"60"` becomes 60). Routes still declare the
model so it documents the body, then re-read it here in strict mode; a failure is a
`ValidationError`, which the exception handlers turn into 400 `validation_failed`.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

__all__ = ["strict_body"]

ModelT = TypeVar("ModelT", bound=BaseModel)


async def strict_body(request: Request, model: type[ModelT]) -> ModelT:
    return model.model_validate_json(await request.body(), strict=True)
