"""The HTTP API and WebSocket stream (base /api/v1), and the console's static files.

Handlers hold no state: they authenticate, call the node, and return what release
shaped for the caller. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.resources import files
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from nacl.signing import SigningKey
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field, ValidationError

from warnline.accounts import Action
from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key
from warnline.alerting.cap_sign import CapSigner, exercise_cap_signer
from warnline.api.feed import CapPublisher, atom_feed
from warnline.api.headers import SecurityHeaders
from warnline.api.manual import add_manual_routes
from warnline.api.metrics import Metrics
from warnline.api.problems import HANDLERS
from warnline.api.record import add_record_routes
from warnline.api.session import SESSION_COOKIE, Caller, Scraper, session_view
from warnline.api.signing import HubSignature
from warnline.api.stream import console_stream
from warnline.api.strict import StrictJSONRoute, StrictModel
from warnline.api.submissions import SubmissionOut, submission_out
from warnline.errors import (
    ConfigError,
    ForbiddenError,
    InputError,
    NotFoundError,
    PayloadTooLargeError,
    SchemaError,
)
from warnline.ingest.cap_adapter import MAX_CAP_BYTES
from warnline.ingest.intake import MAX_BODY_BYTES
from warnline.ingest.signature import SignedRequest
from warnline.ingest.strict_json import check_unique_keys
from warnline.node import Node
from warnline.node.views import MAX_FROM_JOURNAL

CAP_SENDER = "hub@warnline.invalid"
T = TypeVar("T")


DEFAULT_ALERT_PAGE = 500
MAX_ALERT_PAGE = 5000


class AlertPage(BaseModel):
    """One page of alert versions read back after a cursor."""

    alerts: list[dict[str, Any]] = Field(
        description="alert versions released to the caller, oldest first"
    )
    next: int = Field(description="the cursor to pass as `since` on the next poll")


class LoginIn(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class AckIn(StrictModel):
    version: int | None = Field(default=None, ge=1)


class LeadAnswerIn(StrictModel):
    accept: bool
    version: int | None = Field(default=None, ge=1)


class OverrideIn(StrictModel):
    lead: str = Field(min_length=3, max_length=3)
    reason: str = Field(default="", max_length=500)


class ReadinessIn(StrictModel):
    sector: str = Field(min_length=1, max_length=64)
    status: Literal["ready", "limited", "unavailable"]
    time_to_respond_s: float = Field(ge=0, le=86_400)


class TakeoverIn(StrictModel):
    role: str = Field(min_length=1, max_length=64)
    contact: str = Field(min_length=1, max_length=200)
    minutes: float = Field(gt=0, le=24 * 60)


def create_app(
    node: Node,
    *,
    manage_node: bool = True,
    hub_key: SigningKey | None = None,
    cap_signer: CapSigner | None = None,
) -> FastAPI:
    metrics = Metrics(node)
    # Every CAP message is signed (routes and feeds alike): with the key given, which
    # `warnline serve` reads from [hub]; an exercise hub may fall back on the exercise key.
    if hub_key is None and not node.views.exercise:
        raise ConfigError("the hub signs every answer: a hub outside an exercise needs its key")
    if cap_signer is None and not node.views.exercise:
        raise ConfigError("the hub signs every CAP message: outside an exercise it needs its key")
    publisher = CapPublisher(sender=CAP_SENDER, signer=cap_signer or exercise_cap_signer())
    archive_reads = asyncio.Semaphore(1)  # a forgotten alert is a journal scan: one at a time

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_node:
            await node.start()
        yield
        if manage_node:
            await node.stop()

    app = FastAPI(
        title="Warnline",
        version="0.1.0",
        summary="Federated early-warning exchange for aerial threats",
        lifespan=lifespan,
    )
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)

    app.state.node = node
    app.router.route_class = StrictJSONRoute  # duplicate JSON keys refused on every body
    app.add_middleware(SecurityHeaders)

    async def submit(
        request: Request,
        accept: Callable[[SignedRequest], Awaitable[T]],
        limit: int,
        count: Callable[[T], int],
    ) -> T:
        """Read a signed submission within `limit`, journal it, count it."""
        body = await _bounded_body(request, limit)
        try:
            outcome = await accept(_signed(request, body))
        except InputError as exc:
            metrics.rejected.labels(reason=exc.type_slug).inc()
            raise
        partner = request.headers.get("x-warnline-partner", "")
        metrics.accepted.labels(partner=partner).inc(count(outcome))
        return outcome

    # Every answer is signed, whoever builds the app (serve, the exercise, tests): an
    # exercise hub with the exercise key, any other only with the key it was given.
    app.add_middleware(HubSignature, key=hub_key or exercise_signing_key(HUB_CODE))

    @app.post("/api/v1/session", tags=["console"])
    async def login(body: LoginIn, request: Request) -> JSONResponse:
        """Sign in. Failures slow down that (user name, peer address) with growing
        delays; a try before its delay ends is answered 429 with Retry-After."""
        source = request.client.host if request.client else ""
        s = await node.accounts.sign_in(body.username, body.password, node.now(), source)
        resp = JSONResponse(session_view(node, s) | {"token": s.token})
        resp.set_cookie(SESSION_COOKIE, s.token, httponly=True, samesite="strict")
        return resp

    @app.delete("/api/v1/session", tags=["console"], status_code=204)
    async def logout(caller: Caller) -> Response:
        node.accounts.logout(caller.token)
        resp = Response(status_code=204)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    @app.get("/api/v1/me", tags=["console"])
    async def me(caller: Caller) -> dict[str, Any]:
        return session_view(node, caller)

    @app.post(
        "/api/v1/reports",
        status_code=202,
        tags=["ingest"],
        response_model=SubmissionOut,
        openapi_extra=_raw_body("application/json", {"$ref": "#/components/schemas/SubmissionIn"}),
    )
    async def post_reports(request: Request) -> SubmissionOut:
        """One report, a list, or {"reports": [...]}, signed by the partner (RFC 9421
        HTTP Message Signature, Ed25519, over method, path, query, X-Warnline-Partner,
        Content-Digest, key id, time and nonce: docs/partner-api.md). 202 once every
        report in `reports` is in the journal. A list may be accepted in part: a report
        that breaks the schema or the checks (422) or reuses an id for other content
        (409) is refused alone and listed in `refused` by index, field and reason. A
        fault of the whole request (signature, digest, body not JSON or of the wrong
        shape, a key twice anywhere, size, count, rate), or every report refused, is
        answered with a problem document as for one report."""
        batch = await submit(
            request, node.commands.submit_batch, MAX_BODY_BYTES, lambda b: len(b.reports)
        )
        return submission_out(batch)

    @app.get("/api/v1/tracks", tags=["picture"])
    async def tracks(caller: Caller) -> dict[str, Any]:
        return node.views.picture_for(caller.user.partner)

    @app.get("/api/v1/incidents", tags=["picture"])
    async def incidents(caller: Caller) -> list[dict[str, Any]]:
        return node.views.incidents_for(caller.user.partner)

    @app.get(
        "/api/v1/alerts",
        tags=["alerts"],
        response_model=list[dict[str, Any]] | AlertPage,
    )
    async def alerts(
        caller: Caller,
        active: bool = False,
        since: Annotated[int | None, Query(ge=0)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ALERT_PAGE)] = DEFAULT_ALERT_PAGE,
    ) -> list[dict[str, Any]] | AlertPage:
        """Alerts released to the caller.

        Without `since`: the latest version of each alert live or ended within the last
        15 minutes (`active=true`: only those still live, i.e. not ended by a Cancel), as
        a list.

        With `since=CURSOR`: read-back without loss. Every alert *version* stored after
        the cursor, oldest first, at most `limit`, as `{"alerts": [...], "next": N}`.
        Start with `since=0` and pass `next` back on every poll: no version is ever
        skipped, even when versions are issued while polling (the cursor is the journal
        sequence of the version's `alert.issued` entry; each version carries its own
        `cursor`). A full page means more may follow at once. Any cursor works, however
        old: versions sent over 15 minutes ago are read back from the journal.

        Each alert in JSON: `alert_id`, `version`, `msg_type` (Alert, Update, Cancel),
        `stage` (early_warning, alert, update, all_clear, cancel), `status`, `partner`,
        `area_id`, `area_name`, `area` (GeoJSON MultiPolygon covering the whole area,
        islands included; lon/lat), `area_polygons` (the same rings), `circle`
        (`{lon, lat, radius_km}`, the smallest circle covering the area) and
        `area_circle` ([lon, lat, radius_km]), `tracks`, `incidents` (every incident
        behind it), `incident_id` (that of the earliest-arriving track), `kinds`,
        `time_to_arrival_s`, `expected_at`, `time_to_shelter_s`, `sent_at` (ISO 8601,
        full precision, UTC), `headline`, `reason`, `superseded_by`, `version_key`,
        `acknowledged_by`.
        """
        if since is not None:
            older = None
            if since < node.views.alert_log.forgotten:  # beyond retention: the journal's
                older = await asyncio.to_thread(
                    node.views.forgotten_versions, since, MAX_FROM_JOURNAL
                )
            page = node.views.alerts_since(caller.user.partner, since, limit, older)
            return AlertPage(alerts=page["alerts"], next=page["next"])
        return node.views.alerts_for(caller.user.partner, active_only=active)

    @app.post("/api/v1/alerts/{alert_id}/ack", tags=["alerts"])
    async def ack(alert_id: str, caller: Caller, body: AckIn | None = None) -> dict[str, Any]:
        a = await node.commands.acknowledge(
            caller.user.username, alert_id, body.version if body else None, "api"
        )
        return {
            "alert_id": a.alert_id,
            "version": a.version,
            "user": a.user,
            "at": a.at.isoformat(),
        }

    @app.post(
        "/api/v1/alerts/{alert_id}/signed-ack",
        tags=["alerts"],
        openapi_extra=_raw_body("application/json", {"$ref": "#/components/schemas/AckIn"}),
    )
    async def signed_ack(alert_id: str, request: Request) -> dict[str, Any]:
        """A partner's system acknowledges: body {"version": n} (or empty), signed like
        report submissions; the signature covers this path, hence this alert."""
        body = await _bounded_body(request, 4096)
        signer = node.commands.verify_signed(_signed(request, body))  # authenticate, then parse
        try:
            check_unique_keys(body)
            version = AckIn.model_validate_json(body or b"{}").version
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SchemaError(
                err["msg"], field=".".join(str(p) for p in err["loc"]) or "body"
            ) from None
        a = await node.commands.acknowledge_signed(signer, alert_id, version)
        return {
            "alert_id": a.alert_id,
            "version": a.version,
            "user": a.user,
            "at": a.at.isoformat(),
        }

    @app.get("/api/v1/alerts/{alert_id}/cap", tags=["alerts"], response_class=Response)
    async def alert_cap(alert_id: str, caller: Caller, version: int | None = None) -> Response:
        try:
            versions = node.views.alert_versions(alert_id)
        except NotFoundError:  # forgotten (decision 48): the journal still has it
            async with archive_reads:
                versions = await asyncio.to_thread(node.views.archived_versions, alert_id)
            if not versions:
                raise
        if not node.views.alert_visible(caller.user.partner, versions[-1]):
            raise NotFoundError(f"no alert {alert_id}")
        chosen = (
            versions[-1]
            if version is None
            else next((v for v in versions if v.version == version), None)
        )
        if chosen is None:
            raise NotFoundError(f"alert {alert_id} has no version {version}")
        langs = node.views.languages_of(chosen.partner)
        released = node.views.alert_for(caller.user.partner, chosen)
        assert released is not None  # visible: the latest version is, so every one is
        xml = publisher.cap(released, [v for v in versions if v.version < chosen.version], langs)
        return Response(xml, media_type="application/cap+xml")

    @app.get("/api/v1/cap/certificate", tags=["alerts"], response_class=Response)
    async def cap_certificate() -> Response:
        """The certificate (PEM) whose key signs every CAP message the hub issues."""
        if publisher.signer is None:
            raise NotFoundError("this hub has no CAP signing key")
        return Response(publisher.signer.certificate_pem, media_type="application/x-pem-file")

    @app.post(
        "/api/v1/cap",
        status_code=202,
        tags=["ingest"],
        openapi_extra=_raw_body(
            "application/cap+xml",
            {"type": "string", "format": "binary", "maxLength": MAX_CAP_BYTES},
        ),
    )
    async def post_cap(request: Request) -> dict[str, Any]:
        """A CAP 1.2 message from a partner's civil-defence system (application/cap+xml),
        signed like JSON submissions (docs/partner-api.md); each info block is one
        observation (profile in ingest/cap_adapter.py). 202 once journaled."""
        keys = await submit(request, node.commands.submit_cap, MAX_CAP_BYTES, len)
        return {"accepted": len(keys), "reports": keys}

    @app.get("/api/v1/feeds/{partner}/cap.atom", tags=["alerts"], response_class=Response)
    async def cap_feed(partner: str, caller: Caller) -> Response:
        if caller.user.partner not in (partner, node.views.coordination_cell):
            raise ForbiddenError(f"feed of {partner} is not released to {caller.user.partner}")
        if not node.views.is_partner(partner):
            raise NotFoundError(f"no partner {partner}")
        return Response(atom_feed(node, partner, publisher), media_type="application/atom+xml")

    @app.get("/api/v1/assignments", tags=["response"])
    async def assignments(caller: Caller) -> list[dict[str, Any]]:
        return node.views.assignments_for(caller.user.partner)

    @app.get("/api/v1/incidents/{incident_id}/lead", tags=["response"])
    async def lead_state(incident_id: str, caller: Caller) -> dict[str, Any]:
        return node.views.assignment_for(caller.user.partner, incident_id)

    @app.post("/api/v1/incidents/{incident_id}/lead", tags=["response"], status_code=202)
    async def lead_answer(incident_id: str, body: LeadAnswerIn, caller: Caller) -> dict[str, Any]:
        """A commander accepts or declines the lead (or consent) offered to their partner."""
        return await node.commands.respond_to_offer(
            caller.user.username, incident_id, body.accept, "api", body.version
        )

    @app.post("/api/v1/incidents/{incident_id}/override", tags=["response"], status_code=202)
    async def lead_override(incident_id: str, body: OverrideIn, caller: Caller) -> dict[str, Any]:
        """The coordination cell assigns the lead itself."""
        return await node.commands.override_lead(
            caller.user.username, incident_id, body.lead, body.reason
        )

    @app.put("/api/v1/readiness", tags=["response"])
    async def put_readiness(body: ReadinessIn, caller: Caller) -> dict[str, Any]:
        return await node.commands.declare_readiness(
            caller.user.username, body.sector, body.status, body.time_to_respond_s
        )

    @app.get("/api/v1/readiness", tags=["response"])
    async def get_readiness(caller: Caller) -> list[dict[str, Any]]:
        return node.views.readiness_for(caller.user.partner)

    @app.post("/api/v1/roster/takeovers", tags=["alerts"], status_code=201)
    async def take_over(body: TakeoverIn, caller: Caller) -> dict[str, Any]:
        """Someone of the caller's partner takes over a duty role for `minutes`: escalations
        raised meanwhile reach that person instead of the rostered one."""
        if not node.accounts.may(caller.user.username, Action.TAKE_OVER):
            raise ForbiddenError(f"role {caller.user.role} may not take over a duty role")
        until = node.now() + timedelta(minutes=body.minutes)
        t = await node.commands.take_over(caller.user.partner, body.role, body.contact, until)
        return {
            "partner": t.partner,
            "role": t.role,
            "contact": t.contact,
            "from": t.at.isoformat(),
            "until": t.until.isoformat(),
        }

    @app.get("/api/v1/audit/head", tags=["audit"])
    async def audit_head(caller: Caller) -> dict[str, Any]:
        """The latest signed tree head of the record: `size` entries whose RFC 6962 Merkle
        root is `root`, `timestamp`, `signer`, and the Ed25519 `signature` (format in
        docs/audit-format.md). Keep the heads you fetch: `warnline audit verify PATH
        --head FILE` fails on a later record that does not extend a kept head."""
        head = node.views.record_head()
        if head is None:
            raise NotFoundError("this node keeps no signed tree head")
        return head

    @app.get("/api/v1/channels", tags=["alerts"])
    async def channels(caller: Caller) -> list[dict[str, Any]]:
        """Health of each delivery channel (coordination cell only): a dead channel is
        one whose last deliveries all failed; escalation has moved past it."""
        if caller.user.partner != node.views.coordination_cell:
            raise ForbiddenError("channel health is for the coordination cell")
        return node.views.channel_health() + node.views.feed_health()

    @app.get("/api/v1/areas", tags=["picture"])
    async def areas(caller: Caller) -> dict[str, Any]:
        return node.views.areas_for(caller.user.partner)

    add_record_routes(app, node)  # incident timelines, record entries with proofs
    add_manual_routes(app, node, read_body=_bounded_body)
    app.add_api_websocket_route("/api/v1/stream", console_stream(node))

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, Any]:
        """ "ok", "starting", or "degraded" with `reasons` when a loop lags."""
        health = node.views.loop_health()
        status = "degraded" if health["reasons"] else "ok"
        feeds = node.views.feed_health()  # counts only: partners' names are the cell's
        return {
            "status": status if node.ready.is_set() else "starting",
            "journal_seq": node.views.journal_seq(),
            **health,
            **(
                {"asterix_listeners": {"count": len(feeds),
                                       "up": sum(f["status"] == "ok" for f in feeds)}}
                if feeds else {}
            ),
        }  # fmt: skip

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def prometheus(viewer: Scraper) -> Response:
        """Prometheus text, behind a scrape credential: the scrape token of the node config
        (`Authorization: Bearer <token>`) or an administrator's or the cell's session.
        Each reads only the series released to it (see api/metrics.py)."""
        metrics.refresh()
        view = metrics.view_for(viewer)
        return Response(generate_latest(view), media_type=CONTENT_TYPE_LATEST)

    static = files("warnline.console") / "static"

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(str(static / "index.html"))

    app.mount("/console", StaticFiles(directory=str(static)), name="console")
    return app


def _raw_body(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a handler that reads its body raw (it must verify the signature over
    the exact bytes before parsing them)."""
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def _signed(request: Request, body: bytes) -> SignedRequest:
    """The request as its signature covers it: the path and query exactly as sent."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target = raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return SignedRequest(method=request.method, target=target, headers=request.headers, body=body)


async def _bounded_body(request: Request, limit: int) -> bytes:
    """Read at most `limit` bytes: a hostile sender cannot make the node buffer more."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"body of {declared} bytes; the limit is {limit}", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"body larger than {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["create_app"]
