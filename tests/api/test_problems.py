"""Back-pressure answers say when to retry."""

from __future__ import annotations

from starlette.requests import Request

from warnline.api.problems import input_error
from warnline.errors import RateLimitError, SchemaError


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/api/v1/reports", "headers": []})


async def test_a_429_carries_retry_after() -> None:
    resp = await input_error(_request(), RateLimitError("partner BHR has 1500 reports waiting"))
    assert resp.status_code == 429 and resp.headers["retry-after"] == "1"


async def test_other_refusals_do_not() -> None:
    resp = await input_error(_request(), SchemaError("bad", field="reports.0.position.lat"))
    assert resp.status_code == 422 and "retry-after" not in resp.headers
