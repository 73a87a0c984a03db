"""Every route and every console command, as every role: the table of docs/api.md.

One node with a live alert and an open lead offer serves the whole table; each case
signs in afresh and asserts either that the role got past authorization (any answer but
401/403) or that it was refused (403) and nothing of that kind was journaled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.routing import Route, WebSocketRoute

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.load import default_agreement
from warnline.api.app import create_app
from warnline.api.server import serving
from warnline.api.stream import COMMAND_TYPES
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.stream_client import connect_stream

USERS = {
    Role.WATCH: "jor-watch",
    Role.COMMANDER: "jor-cmd",
    Role.OBSERVER: "jor-observer",
    Role.ADMIN: "jor-admin",
    Role.CELL: "usa-cell",
}
EVERY = frozenset(Role)
PUBLIC = "public"  # no session needed (and a session changes nothing)
SIGNED = "signed"  # a partner's signed request: a session alone is refused (401)


@dataclass(frozen=True)
class Case:
    method: str  # an HTTP method, or "WS" for a console command
    path: str  # the app's route path; for "WS", the command type
    may: frozenset[Role] | str
    kind: str | None = None  # the journal kind the change writes


TABLE: tuple[Case, ...] = (
    Case("POST", "/api/v1/session", PUBLIC),
    Case("DELETE", "/api/v1/session", EVERY),
    Case("GET", "/api/v1/me", EVERY),
    Case("POST", "/api/v1/reports", SIGNED, "report.received"),
    Case("POST", "/api/v1/cap", SIGNED, "report.received"),
    Case("POST", "/api/v1/alerts/{alert_id}/signed-ack", SIGNED, "ack.received"),
    Case("GET", "/api/v1/tracks", EVERY),
    Case("GET", "/api/v1/incidents", EVERY),
    Case("GET", "/api/v1/alerts", EVERY),
    Case("GET", "/api/v1/alerts/{alert_id}/cap", EVERY),
    Case("GET", "/api/v1/cap/certificate", PUBLIC),
    Case("GET", "/api/v1/feeds/{partner}/cap.atom", EVERY),
    Case("GET", "/api/v1/assignments", EVERY),
    Case("GET", "/api/v1/incidents/{incident_id}/lead", EVERY),
    Case("GET", "/api/v1/readiness", EVERY),
    Case("GET", "/api/v1/areas", EVERY),
    Case("GET", "/api/v1/audit/head", EVERY),
    Case("GET", "/api/v1/incidents/{incident_id}/timeline", EVERY),
    Case("GET", "/api/v1/audit/entries/{seq}", EVERY),
    Case("GET", "/api/v1/channels", frozenset({Role.CELL})),  # the cell partner's accounts
    Case("POST", "/api/v1/alerts/{alert_id}/ack", frozenset({Role.WATCH, Role.COMMANDER}),
         "ack.received"),
    Case("POST", "/api/v1/incidents/{incident_id}/lead", frozenset({Role.COMMANDER}),
         "response.answer"),
    Case("POST", "/api/v1/incidents/{incident_id}/override", frozenset({Role.CELL}),
         "response.override"),
    Case("PUT", "/api/v1/readiness", frozenset({Role.COMMANDER, Role.CELL}),
         "readiness.declared"),
    Case("POST", "/api/v1/roster/takeovers", frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
         "roster.takeover"),
    Case("POST", "/api/v1/manual/reports", frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
         "report.manual"),
    Case("GET", "/api/v1/manual/alerts", EVERY),
    Case("POST", "/api/v1/manual/alerts", frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
         "manual.drafted"),
    Case("POST", "/api/v1/manual/alerts/{draft_id}/approve", frozenset({Role.COMMANDER, Role.CELL}),
         "manual.approved"),
    Case("POST", "/api/v1/manual/alerts/{draft_id}/reject", frozenset({Role.COMMANDER, Role.CELL}),
         "manual.rejected"),
    Case("POST", "/api/v1/manual/alerts/{draft_id}/end",
         frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}), "manual.ended"),
    Case("GET", "/api/v1/stream", EVERY),  # the WebSocket itself
    Case("WS", "received", EVERY, "delivery.result"),  # receipts of one's own deliveries
    Case("WS", "ack", frozenset({Role.WATCH, Role.COMMANDER}), "ack.received"),
    Case("WS", "lead", frozenset({Role.COMMANDER}), "response.answer"),
    Case("WS", "override", frozenset({Role.CELL}), "response.override"),
    Case("GET", "/healthz", PUBLIC),
    Case("GET", "/metrics", frozenset({Role.ADMIN, Role.CELL})),  # or the scrape token
    Case("GET", "/", PUBLIC),
    Case("GET", "/openapi.json", PUBLIC),
    Case("GET", "/docs", PUBLIC),
    Case("GET", "/docs/oauth2-redirect", PUBLIC),
    Case("GET", "/redoc", PUBLIC),
)  # fmt: skip


def test_the_table_covers_every_route_of_the_app(agreement: Any, tmp_path: Path) -> None:
    journal = SQLiteJournal(tmp_path / "j.db")
    node = Node(agreement=agreement, journal=journal, clock=ManualClock(T0), accounts=Accounts([]))
    app = create_app(node, manage_node=False)
    routes = {
        (m, r.path)
        for r in app.routes
        if isinstance(r, Route)
        for m in r.methods or {}
        if m != "HEAD"
    } | {("GET", r.path) for r in app.routes if isinstance(r, WebSocketRoute)}
    in_table = {(c.method, c.path) for c in TABLE if c.method != "WS"}
    assert routes == in_table, "a route without a row in the role table (docs/api.md)"
    assert {c.path for c in TABLE if c.method == "WS"} == set(COMMAND_TYPES)
    journal.close()


@dataclass
class World:
    live: Live
    alert_id: str
    incident_id: str
    sector: str
    tokens: dict[Role, str] = field(default_factory=dict)

    async def token(self, c: httpx.AsyncClient, role: Role, *, fresh: bool = False) -> str:
        """A bearer header value for the role's user (signing in once: argon2 is slow)."""
        if fresh:  # one to sign out with
            return (await self.live.token(c, USERS[role]))["authorization"]
        if role not in self.tokens:
            self.tokens[role] = (await self.live.token(c, USERS[role]))["authorization"]
        return self.tokens[role]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    agreement = default_agreement()
    rules = replace(agreement.response, offer_timeout_s=3600, decide_within_s=7200)
    agreement = replace(agreement, response=rules)
    pw = Accounts.hash_password(PASSWORD)
    users = [User(username=u, partner=u[:3].upper(), role=r, password_hash=pw)
             for r, u in USERS.items()]  # fmt: skip
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path_factory.mktemp("roles") / "journal.db")
    node = Node(agreement=agreement, journal=journal, clock=clock, accounts=Accounts(users),
                settings=NodeSettings(speed=10, picture_push_s=0.2))  # fmt: skip
    async with serving(node, port=free_port()) as base, httpx.AsyncClient(base_url=base) as c:
        live = Live(base=base, node=node, clock=clock, journal=journal)
        await drive_drone(live, c)
        watch = await live.token(c, "jor-watch")

        async def offered() -> tuple[str, str] | None:
            alerts = (await c.get("/api/v1/alerts", headers=watch)).json()
            offers = (await c.get("/api/v1/assignments", headers=watch)).json()
            offers = [a for a in offers if a["status"] == "offered" and a["offered_to"] == "JOR"]
            return (alerts[0]["alert_id"], offers[0]["incident_id"]) if alerts and offers else None

        alert_id, incident_id = await wait_for(offered, "an alert and an offer to JOR")
        sector = agreement.response.sectors[0].sector_id
        yield World(live=live, alert_id=alert_id, incident_id=incident_id, sector=sector)
    journal.close()


def _count(world: World, kind: str | None) -> int:
    return sum(1 for e in world.live.journal.read() if kind and e.event.kind == kind)


def _body(case: Case, role: Role, world: World) -> dict[str, Any] | None:
    partner = world.live.node.agreement.partners[USERS[role][:3].upper()]
    contact = partner.contacts[0] if partner.contacts else None
    return (
        {
            "/api/v1/session": {"username": USERS[role], "password": PASSWORD},
            "/api/v1/alerts/{alert_id}/ack": {},
            "/api/v1/incidents/{incident_id}/lead": {"accept": True},
            "/api/v1/incidents/{incident_id}/override": {"lead": "JOR", "reason": "role table"},
            "/api/v1/readiness": {
                "sector": world.sector,
                "status": "ready",
                "time_to_respond_s": 60,
            },
            "/api/v1/manual/reports": {
                "lat": 32.3,
                "lon": 36.9,
                "observed_at": world.live.clock.now().isoformat(),
                "source": "role table",
            },
            "/api/v1/manual/alerts": {"areas": ["JOR-amman"], "stage": "alert", "text": "roles"},
            "/api/v1/manual/alerts/{draft_id}/approve": {},
            "/api/v1/manual/alerts/{draft_id}/reject": {"reason": "role table"},
            "/api/v1/manual/alerts/{draft_id}/end": {"stage": "cancel", "reason": "role table"},
            "/api/v1/roster/takeovers": {
                "role": contact.role if contact else "watch",
                "contact": contact.name if contact else "nobody",
                "minutes": 30,
            },
        }.get(case.path)
        if case.method in ("POST", "PUT", "DELETE")
        else None
    )


async def _http(case: Case, role: Role, world: World, c: httpx.AsyncClient) -> int:
    token = await world.token(c, role, fresh=case.method == "DELETE")
    path = case.path.format(
        alert_id=world.alert_id, incident_id=world.incident_id, partner="JOR", seq=1,
        draft_id="MD-none",  # an unknown draft: past authorization it is a 404
    )  # fmt: skip
    if case.path == "/api/v1/stream":
        ws = await connect_stream(world.live.base, token[7:])
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        finally:
            await ws.close()
        return 200 if hello["type"] == "hello" else 403
    body = _body(case, role, world)
    r = await c.request(case.method, path, headers={"authorization": token}, json=body)
    assert r.status_code != 422, r.text  # the table's bodies are valid: refusals are by role
    return r.status_code


async def _command(case: Case, role: Role, world: World, c: httpx.AsyncClient) -> int:
    """Send one console command, then a probe that always draws an error: the first
    error back tells whether the command itself was refused, without waiting."""
    token = (await world.token(c, role))[7:]
    cmd: dict[str, Any] = {
        "received": {"type": "received", "alert_id": world.alert_id, "version": 1},
        "ack": {"type": "ack", "alert_id": world.alert_id},
        "lead": {"type": "lead", "incident_id": world.incident_id, "accept": True},
        "override": {"type": "override", "incident_id": world.incident_id, "lead": "JOR"},
    }[case.path]
    ws = await connect_stream(world.live.base, token)
    try:
        await ws.send(json.dumps(cmd))
        await ws.send(json.dumps({"type": "probe"}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if msg["type"] == "error":
                return 200 if "probe" in msg["detail"] else msg["status"]
    finally:
        await ws.close()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("case", TABLE, ids=lambda c: f"{c.method} {c.path}")
async def test_role_may_only_what_the_table_says(world: World, case: Case, role: Role) -> None:
    before = _count(world, case.kind)
    async with httpx.AsyncClient(base_url=world.live.base, timeout=10) as c:
        if case.may == SIGNED:  # a session is not a partner's signature
            headers = {"authorization": await world.token(c, role)}
            path = case.path.format(alert_id=world.alert_id)
            r = await c.post(path, content=b"{}", headers=headers)
            assert r.status_code == 401 and r.json()["field"] == "x-warnline-partner"
        else:
            status = await (_command if case.method == "WS" else _http)(case, role, world, c)
            if case.may == PUBLIC or role in case.may:
                assert status not in (401, 403), f"{role} was refused {case.method} {case.path}"
            else:
                assert status == 403, f"{role} got {status} on {case.method} {case.path}"
    if case.may == SIGNED or (case.may != PUBLIC and role not in case.may):
        assert _count(world, case.kind) == before, "a refused request left a journal entry"
