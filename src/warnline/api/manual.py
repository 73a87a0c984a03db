"""Manual entries from the console: a report typed in by hand, and manual alerts with
their two-person approval (alerting/manual.py has the rule; docs/api.md who may what).

Every route answers once its input is journaled (202): the node decides on it in its
next turn, as it does for every input, so the record and a replay agree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Request
from pydantic import Field

from warnline.api.session import Caller
from warnline.api.strict import StrictModel
from warnline.domain import AlertStage
from warnline.domain.codec import to_json
from warnline.ingest.manual import ManualReportIn
from warnline.node import Node

MAX_MANUAL_BODY = 8192
PREFIX = "/api/v1/manual"
_F = TypeVar("_F", bound=Callable[..., Any])
AreaId = str


class DraftIn(StrictModel):
    areas: list[AreaId] = Field(min_length=1, max_length=50)
    stage: Literal["early_warning", "alert"]
    text: str = Field(min_length=1, max_length=500)


class DecisionIn(StrictModel):
    reason: str = Field(default="", max_length=500)


class EndIn(StrictModel):
    stage: Literal["all_clear", "cancel"]
    reason: str = Field(min_length=1, max_length=500)


def add_manual_routes(
    app: FastAPI, node: Node, *, read_body: Callable[[Request, int], Awaitable[bytes]]
) -> None:
    """Onto the app itself (its strict route class, its role table); `read_body`: the
    app's bounded reader (a body beyond the limit is refused unread)."""
    router = _Prefixed(app)

    @router.post(
        "/reports",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ManualReportIn.model_json_schema()}},
            }
        },
    )
    async def manual_report(request: Request, caller: Caller) -> dict[str, Any]:
        """A watch officer's report by hand (a call from a border post): position,
        observation time, kind and identity if known, heading and speed if known, and
        the source in words. It is a report of the caller's partner, with its
        releasability, checked like a partner system's; 202 once journaled."""
        body = await read_body(request, MAX_MANUAL_BODY)
        report = await node.commands.manual_report(caller.user.username, body)
        return {"report": report.key, "sensor": report.sensor, "report_id": report.report_id}

    @router.get("/alerts")
    async def drafts(caller: Caller) -> list[dict[str, Any]]:
        """Manual alert drafts of the caller's partner (the cell: every partner's),
        pending approval first; each says whether the caller may approve it."""
        return node.views.manual_drafts_for(caller.user.partner)

    @router.post("/alerts", status_code=202)
    async def draft(body: DraftIn, caller: Caller) -> dict[str, Any]:
        """Draft a manual alert. Every area the caller's own partner's: issued at once.
        Any area of another partner (coalition-wide): pending until a second person
        approves it, or it expires."""
        d = await node.commands.draft_alert(
            caller.user.username, body.areas, AlertStage(body.stage), body.text
        )
        status = "pending_approval" if d.needs_approval else "issuing"
        return to_json(d) | {"status": status}

    @router.post("/alerts/{draft_id}/approve", status_code=202)
    async def approve(
        draft_id: str, caller: Caller, body: DecisionIn | None = None
    ) -> dict[str, Any]:
        """Approve another person's pending draft (a commander of the drafter's partner,
        or the cell): never one's own (403). Decided or expired drafts: 409."""
        reason = body.reason if body else ""
        d = await node.commands.decide_draft(caller.user.username, draft_id, True, reason)
        return to_json(d)

    @router.post("/alerts/{draft_id}/reject", status_code=202)
    async def reject(draft_id: str, body: DecisionIn, caller: Caller) -> dict[str, Any]:
        """Reject a pending draft, with a reason (the same people as approve)."""
        d = await node.commands.decide_draft(caller.user.username, draft_id, False, body.reason)
        return to_json(d)

    @router.post("/alerts/{draft_id}/end", status_code=202)
    async def end(draft_id: str, body: EndIn, caller: Caller) -> dict[str, Any]:
        """A manual all-clear or cancel of an issued manual alert."""
        e = await node.commands.end_manual(
            caller.user.username, draft_id, AlertStage(body.stage), body.reason
        )
        return to_json(e)


class _Prefixed:
    """`app.get`/`app.post` under /api/v1/manual, tagged "manual"."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str, **kw: Any) -> Callable[[_F], _F]:
        return self.app.get(PREFIX + path, tags=["manual"], **kw)

    def post(self, path: str, **kw: Any) -> Callable[[_F], _F]:
        return self.app.post(PREFIX + path, tags=["manual"], **kw)
