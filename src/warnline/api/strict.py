"""Strict bodies for every JSON endpoint: exact types, no unknown fields, no key twice.

Pydantic's default coerces `"24.5"` to a number and `true` to 1, ignores unknown fields
and keeps the last of two equal keys: each of those lets a client's bug (or an
attacker's probe) pass for valid input. Here a string is never a number, a bool never a
number, an unknown field is refused by name, and so is a key given twice.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from warnline.ingest.strict_json import check_unique_keys


class StrictModel(BaseModel):
    """Base of the API's request bodies."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is refused (422, naming the key) when a key repeats.
    Routes that read their body raw (signed submissions) check it themselves, after
    the bounded read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict_handler(request: Request) -> Response:
            check_unique_keys(await request.body())
            return await handler(request)

        return strict_handler
