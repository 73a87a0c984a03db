"""A partner system's signed report submission, as the benchmarks send it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.ingest.signature import sign_request

REPORTS = "/api/v1/reports"


async def post_reports(http: httpx.AsyncClient, partner: str, body: bytes) -> httpx.Response:
    """POST `body` to the node's report route, signed with the partner's exercise key
    (raises httpx.HTTPError on a transport failure, which a partner would retry)."""
    headers = sign_request(
        "POST",
        REPORTS,
        body,
        partner=partner,
        key=exercise_signing_key(partner),
        created=datetime.now(UTC),
    ) | {"content-type": "application/json"}
    return await http.post(REPORTS, content=body, headers=headers)
