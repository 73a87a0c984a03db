"""Manual entries over the API: a report typed in by hand, and manual alerts with their
two-person approval, against a real node served on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, Live, wait_for
from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement
from warnline.api.server import serving
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, payload
from warnline.node import Node, NodeSettings

MANUAL = "/api/v1/manual"


def _report(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lat": 32.3,
        "lon": 36.9,
        "observed_at": T0.isoformat(),
        "kind": "drone",
        "identity": "hostile",
        "heading_deg": 270.0,
        "speed_m_s": 50.0,
        "source": "call from border post 7",
    }
    return body | over


def _kinds(live: Live, kind: Kind) -> list[Any]:
    return [e.event for e in live.journal.read() if e.event.kind == kind]


async def _draft(c: httpx.AsyncClient, live: Live, user: str, areas: list[str], **over: Any) -> Any:
    h = await live.token(c, user)
    body = {"areas": areas, "stage": "alert", "text": "drones seen crossing the border"} | over
    r = await c.post(f"{live.base}{MANUAL}/alerts", json=body, headers=h)
    assert r.status_code == 202, r.text
    return r.json()


async def _status(c: httpx.AsyncClient, live: Live, user: str, draft_id: str) -> str:
    h = await live.token(c, user)
    drafts = (await c.get(f"{live.base}{MANUAL}/alerts", headers=h)).json()
    return next(d["status"] for d in drafts if d["draft_id"] == draft_id)


async def _alerts(c: httpx.AsyncClient, live: Live, user: str) -> list[dict[str, Any]]:
    h = await live.token(c, user)
    return list((await c.get(f"{live.base}/api/v1/alerts", headers=h)).json())


# -- reports by hand ----------------------------------------------------------------------


async def test_a_manual_report_is_the_officers_partners_report_and_names_who(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-watch")
        r = await c.post(f"{live.base}{MANUAL}/reports", json=_report(), headers=h)
        assert r.status_code == 202, r.text
        key = r.json()["report"]
    assert key.startswith("JOR/manual-")
    (received,) = [payload(e, Received) for e in _kinds(live, Kind.REPORT)]
    report = received.report
    assert (report.partner, report.sensor, report.source_format) == (
        "JOR",
        "manual:jor-watch",
        "manual",
    )
    assert report.releasability == live.node.agreement.partners["JOR"].releasability
    assert report.velocity is not None and report.velocity.east == pytest.approx(-50.0)
    assert not report.altitude_measured  # no altitude given: not pretended
    (note,) = _kinds(live, Kind.MANUAL_REPORT)
    assert note.payload == {
        "report_id": report.report_id,
        "partner": "JOR",
        "user": "jor-watch",
        "source": "call from border post 7",
    }


async def test_a_single_manual_report_makes_no_alert(live: Live) -> None:
    """Human evidence still goes through the picture's confirmation: one report is a
    tentative track, so no alert rests on it (a person who must warn drafts an alert)."""
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-watch")
        r = await c.post(f"{live.base}{MANUAL}/reports", json=_report(lon=36.4), headers=h)
        assert r.status_code == 202
        for s in range(1, 8):  # ticks pass with nothing else reported
            live.clock.set(T0 + timedelta(seconds=s))
            await wait_for(lambda s=s: _seen_tick(live, s), f"a tick at {s}s")

        async def tentative() -> bool:
            tracks = (await c.get(f"{live.base}/api/v1/tracks", headers=h)).json()["tracks"]
            return any(t["state"] == "tentative" for t in tracks)

        assert await wait_for(tentative, "the tentative track")
        assert await _alerts(c, live, "jor-watch") == []
    assert not _kinds(live, Kind.ALERT)


async def _seen_tick(live: Live, s: int) -> bool:
    at = T0 + timedelta(seconds=s)
    return any(e.event.kind == Kind.TICK and e.event.at >= at for e in live.journal.read())


@pytest.mark.parametrize(
    ("over", "field", "status"),
    [
        ({"lat": 95.0}, "lat", 422),
        ({"lat": "32.3"}, "lat", 422),  # strict: a string is not a number
        ({"source": ""}, "source", 422),
        ({"heading_deg": None}, "heading_deg", 422),  # speed without heading
        ({"observed_at": (T0 - timedelta(hours=1)).isoformat()}, "observed_at", 422),
        ({"observed_at": "2026-11-25T12:00:00"}, "observed_at", 422),
        ({"speed_m_s": 9000.0}, "speed_m_s", 422),  # the checks' speed bound, as its field
        ({"colour": "red"}, "colour", 422),
    ],
)
async def test_bad_manual_report_is_a_problem_naming_the_field(
    live: Live, over: dict[str, Any], field: str, status: int
) -> None:
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-watch")
        body = {k: v for k, v in _report(**over).items() if v is not None}
        r = await c.post(f"{live.base}{MANUAL}/reports", json=body, headers=h)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field and r.json()["reason"]
    assert not _kinds(live, Kind.REPORT)


async def test_an_observer_may_not_enter_a_report(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-observer")
        r = await c.post(f"{live.base}{MANUAL}/reports", json=_report(), headers=h)
    assert r.status_code == 403
    assert not _kinds(live, Kind.REPORT)


# -- manual alerts ------------------------------------------------------------------------


async def test_partner_only_alert_is_issued_without_approval(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        d = await _draft(c, live, "jor-watch", ["JOR-amman"])
        assert d["needs_approval"] is False and d["partners"] == ["JOR"]

        async def issued() -> list[dict[str, Any]]:
            return [
                a for a in await _alerts(c, live, "jor-watch") if a["incident_id"] == d["draft_id"]
            ]

        (alert,) = await wait_for(issued, "the manual alert")
        assert alert["stage"] == "alert" and alert["area_id"] == "JOR-amman"
        assert "drones seen crossing the border" in alert["reason"]
        assert alert["severity"] == "Extreme"
        (issue,) = _kinds(live, Kind.MANUAL_ISSUE)
        assert issue.payload["approved_by"] is None
        # Release holds: Israel neither sees Jordan's manual alert nor its draft.
        assert await _alerts(c, live, "isr-watch") == []
        h = await live.token(c, "isr-watch")
        assert (await c.get(f"{live.base}{MANUAL}/alerts", headers=h)).json() == []
        # The CAP message is out like any alert's.
        h = await live.token(c, "jor-watch")
        cap = await c.get(f"{live.base}/api/v1/alerts/{alert['alert_id']}/cap", headers=h)
        assert cap.status_code == 200 and b"<msgType>Alert</msgType>" in cap.content


async def test_coalition_wide_alert_waits_refuses_self_approval_and_issues_on_a_second(
    live: Live,
) -> None:
    async with httpx.AsyncClient() as c:
        d = await _draft(c, live, "jor-cmd", ["JOR-amman", "ISR-eilat"], stage="early_warning")
        draft_id = d["draft_id"]
        assert d["needs_approval"] is True and d["status"] == "pending_approval"
        assert d["partners"] == ["ISR", "JOR"]
        assert await _status(c, live, "jor-watch", draft_id) == "pending_approval"
        # The drafter, a commander who may approve others' drafts, may not approve this one.
        own = await live.token(c, "jor-cmd")
        r = await c.post(f"{live.base}{MANUAL}/alerts/{draft_id}/approve", json={}, headers=own)
        assert r.status_code == 403 and "own draft" in r.json()["detail"]
        # A watch officer may not approve; nor a commander of a partner it would warn.
        for user in ("jor-watch", "isr-cmd"):
            h = await live.token(c, user)
            r = await c.post(f"{live.base}{MANUAL}/alerts/{draft_id}/approve", json={}, headers=h)
            assert r.status_code in (403, 404), (user, r.text)
        assert not _kinds(live, Kind.MANUAL_APPROVAL)
        assert await _alerts(c, live, "isr-watch") == []
        # The coordination cell approves: one alert per area, each to its own partner.
        cell = await live.token(c, "usa-watch")
        r = await c.post(
            f"{live.base}{MANUAL}/alerts/{draft_id}/approve",
            json={"reason": "confirmed by phone"},
            headers=cell,
        )
        assert r.status_code == 202, r.text

        async def isr_alert() -> list[dict[str, Any]]:
            return await _alerts(c, live, "isr-watch")

        (isr,) = await wait_for(isr_alert, "Israel's alert")
        assert (isr["area_id"], isr["stage"], isr["partner"]) == (
            "ISR-eilat",
            "early_warning",
            "ISR",
        )
        assert "jor-cmd" not in isr["reason"] and "second officer" in isr["reason"]
        assert [a["area_id"] for a in await _alerts(c, live, "jor-watch")] == ["JOR-amman"]
        assert await _status(c, live, "usa-watch", draft_id) == "issued"
        (issue,) = _kinds(live, Kind.MANUAL_ISSUE)
        assert issue.payload["approved_by"] == "usa-watch"
        # A second approval is too late.
        h = await live.token(c, "jor-cmd")
        r = await c.post(f"{live.base}{MANUAL}/alerts/{draft_id}/approve", json={}, headers=cell)
        assert r.status_code == 409
        # Israel's duty officer acknowledges it like any alert; it reaches the consoles'
        # dispatch (an attempt per recipient) and ends only by a manual all-clear.
        h = await live.token(c, "isr-watch")
        r = await c.post(f"{live.base}/api/v1/alerts/{isr['alert_id']}/ack", json={}, headers=h)
        assert r.status_code == 200, r.text
        h = await live.token(c, "jor-watch")
        r = await c.post(
            f"{live.base}{MANUAL}/alerts/{draft_id}/end",
            json={"stage": "all_clear", "reason": "the drones came down"},
            headers=h,
        )
        assert r.status_code == 202, r.text

        async def ended() -> bool:  # nobody sheltered: an early warning is withdrawn
            alerts = await _alerts(c, live, "isr-watch")
            return bool(alerts) and alerts[0]["stage"] == "cancel"

        await wait_for(ended, "the manual end")
        (isr_end,) = await _alerts(c, live, "isr-watch")
        assert isr_end["msg_type"] == "Cancel" and "the drones came down" in isr_end["reason"]
        assert await _status(c, live, "jor-watch", draft_id) == "ended"


async def test_reject_with_a_reason(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        d = await _draft(c, live, "jor-watch", ["ISR-eilat"])
        h = await live.token(c, "jor-cmd")
        url = f"{live.base}{MANUAL}/alerts/{d['draft_id']}/reject"
        r = await c.post(url, json={"reason": ""}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await c.post(url, json={"reason": "the post saw an airliner"}, headers=h)
        assert r.status_code == 202, r.text

        async def rejected() -> bool:
            return await _status(c, live, "jor-watch", d["draft_id"]) == "rejected"

        await wait_for(rejected, "the rejection")
        drafts = (await c.get(f"{live.base}{MANUAL}/alerts", headers=h)).json()
        assert drafts[0]["decided_by"] == "jor-cmd"
        assert drafts[0]["decision_reason"] == "the post saw an airliner"
        r = await c.post(f"{live.base}{MANUAL}/alerts/{d['draft_id']}/approve", json={}, headers=h)
        assert r.status_code == 409
    assert not _kinds(live, Kind.MANUAL_ISSUE) and not _kinds(live, Kind.ALERT)


async def test_a_pending_draft_expires_on_the_nodes_clock(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        d = await _draft(c, live, "jor-watch", ["ISR-eilat"])
        expire_s = live.node.views.manual_rules.expire_after_s
        live.clock.set(T0 + timedelta(seconds=expire_s + 1))

        async def expired() -> bool:
            return await _status(c, live, "jor-watch", d["draft_id"]) == "expired"

        await wait_for(expired, "the expiry")
        (expiry,) = _kinds(live, Kind.MANUAL_EXPIRY)
        assert expiry.payload["draft_id"] == d["draft_id"]
        h = await live.token(c, "jor-cmd")
        r = await c.post(f"{live.base}{MANUAL}/alerts/{d['draft_id']}/approve", json={}, headers=h)
        assert r.status_code == 409
    assert not _kinds(live, Kind.ALERT)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"areas": ["XYZ-nowhere"], "stage": "alert", "text": "x"}, "areas.0"),
        ({"areas": [], "stage": "alert", "text": "x"}, "areas"),
        ({"areas": ["JOR"], "stage": "all_clear", "text": "x"}, "stage"),
        ({"areas": ["JOR"], "stage": "alert", "text": "  "}, "text"),
    ],
)
async def test_bad_draft_is_a_problem_naming_the_field(
    live: Live, body: dict[str, Any], field: str
) -> None:
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-watch")
        r = await c.post(f"{live.base}{MANUAL}/alerts", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["field"].removeprefix("body.") == field  # the body's schema says "body."
    assert not _kinds(live, Kind.MANUAL_DRAFT)


async def test_a_restart_keeps_a_pending_draft(agreement: Agreement, tmp_path: Path) -> None:
    pw = Accounts.hash_password(PASSWORD)
    users = [
        User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw),
        User(username="jor-cmd", partner="JOR", role=Role.COMMANDER, password_hash=pw),
    ]
    clock = ManualClock(T0)

    async def run(check: Any) -> None:
        journal = SQLiteJournal(tmp_path / "journal.db")
        node = Node(agreement=agreement, journal=journal, clock=clock,
                    accounts=Accounts(users), settings=NodeSettings(speed=10))  # fmt: skip
        try:
            async with serving(node, port=free_port()) as base, httpx.AsyncClient() as c:
                await check(Live(base=base, node=node, clock=clock, journal=journal), c)
        finally:
            journal.close()

    drafted: list[str] = []

    async def first(live: Live, c: httpx.AsyncClient) -> None:
        d = await _draft(c, live, "jor-watch", ["ISR-eilat"])
        drafted.append(d["draft_id"])
        await wait_for(lambda: _decided(live), "the draft folded")

    async def second(live: Live, c: httpx.AsyncClient) -> None:
        assert await _status(c, live, "jor-cmd", drafted[0]) == "pending_approval"
        h = await live.token(c, "jor-cmd")
        r = await c.post(f"{live.base}{MANUAL}/alerts/{drafted[0]}/approve", json={}, headers=h)
        assert r.status_code == 202, r.text
        await wait_for(lambda: _has(live, Kind.MANUAL_ISSUE), "the issue after the restart")

    await run(first)
    await run(second)


async def _decided(live: Live) -> bool:
    return bool(live.node.views.manual_drafts_for("JOR"))


async def _has(live: Live, kind: Kind) -> bool:
    return bool(_kinds(live, kind))


async def test_a_hidden_members_areas_are_unknown_to_a_drafter(live: Live) -> None:
    """Qatar's membership is hidden from other partners: Jordan cannot name its areas
    (answered like an area that does not exist), the coordination cell can."""
    assert not live.node.agreement.partners["QAT"].membership_visible
    async with httpx.AsyncClient() as c:
        h = await live.token(c, "jor-watch")
        body = {"areas": ["QAT-doha"], "stage": "alert", "text": "x"}
        r = await c.post(f"{live.base}{MANUAL}/alerts", json=body, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "areas.0"
        d = await _draft(c, live, "usa-watch", ["QAT-doha"])
        assert d["needs_approval"] is True and d["partners"] == ["QAT"]
        h = await live.token(c, "jor-cmd")
        drafts = (await c.get(f"{live.base}{MANUAL}/alerts", headers=h)).json()
        assert drafts == []  # the cell's draft is the cell's business
